"""The architecture registry: one entry per network, metadata next to its builder (as in timm).

A family module decorates each builder with :func:`register_model`::

    @register_model(
        "lenet5", title="LeNet-5", family="LeNet", input_shape=(1, 32, 32), num_classes=10,
        source="LeCun et al. 1998; UFV L11 'LeNet-5 analysis' table",
        notes="Average pooling and tanh, as in the paper ...",
    )
    def lenet5(in_channels: int = 1, num_classes: int = 10) -> nn.Module: ...

Builders take ``in_channels`` and ``num_classes`` keyword arguments; an entry whose network is
fixed (it exists to reproduce a document exactly) says so with ``configurable=False`` and is built
with its defaults only.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, field

from torch import nn

from cnnviz.messages import quoted

Shape = tuple[int, int, int]


class UnknownArchitecture(KeyError):
    """An id that is not in the zoo; the message suggests the closest ids."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Architecture:
    id: str
    title: str
    family: str
    source: str
    input_shape: Shape  # (C, H, W), PyTorch order
    num_classes: int
    builder: Callable[..., nn.Module] = field(repr=False, compare=False)
    notes: str = ""
    configurable: bool = True  # False: built exactly as documented, in_channels/num_classes fixed

    @property
    def label(self) -> str:
        """How the pages list it: family first, so a long list reads as groups."""
        return f"{self.family} · {self.title} ({self.id})"

    @property
    def fixed_text(self) -> str:
        """Why a network ``configurable=False`` takes no other channels or classes."""
        return (f"{self.id} is built exactly as documented: its channels ({self.input_shape[0]}) and classes "
                f"({self.num_classes}) are fixed")

    def build(self, in_channels: int | None = None, num_classes: int | None = None) -> nn.Module:
        """The network, with the default input channels and classes unless others are given. A fixed
        network (``configurable=False``) asked for others raises ValueError: it would not have them."""
        if not self.configurable:
            if in_channels not in (None, self.input_shape[0]) or num_classes not in (None, self.num_classes):
                raise ValueError(self.fixed_text)
            return self.builder()
        return self.builder(
            in_channels=self.input_shape[0] if in_channels is None else in_channels,
            num_classes=self.num_classes if num_classes is None else num_classes,
        )

    def to_dict(self) -> dict:
        """The JSON record of ``python -m cnnviz list --json``."""
        return {
            "id": self.id,
            "title": self.title,
            "family": self.family,
            "source": self.source,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
        }


_REGISTRY: dict[str, Architecture] = {}


def register_model(id: str, **metadata) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: add a builder to the zoo under ``id`` with its metadata."""

    def decorate(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if id in _REGISTRY:
            raise ValueError(f"architecture id {id!r} is registered twice")
        _REGISTRY[id] = Architecture(id=id, builder=builder, **metadata)
        return builder

    return decorate


def get_architecture(id: str) -> Architecture:
    """The entry for ``id``; an unknown id raises :class:`UnknownArchitecture` naming close ids."""
    try:
        return _REGISTRY[id]
    except KeyError:
        close = difflib.get_close_matches(id, _REGISTRY, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UnknownArchitecture(
            f"unknown architecture {quoted(id)}.{hint} 'python -m cnnviz list' shows them all."
        ) from None


def list_architectures(pattern: str | None = None, family: str | None = None) -> list[Architecture]:
    """Entries in registration order, filtered by a glob on the id (``'resnet*'``) and/or family."""
    return [
        arch
        for arch in _REGISTRY.values()
        if (pattern is None or fnmatch.fnmatch(arch.id, pattern))
        and (family is None or arch.family == family)
    ]


def create_model(id: str, in_channels: int | None = None, num_classes: int | None = None) -> nn.Module:
    return get_architecture(id).build(in_channels=in_channels, num_classes=num_classes)
