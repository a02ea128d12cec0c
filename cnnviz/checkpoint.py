"""Checkpoints of training runs: the weights as safetensors (plain tensors: nothing is ever unpickled)
and, in the file's own metadata, what it takes to use them elsewhere: the architecture, the class
names, the input shape and the normalisation of the training images.

    from cnnviz.checkpoint import load_checkpoint
    trained = load_checkpoint("run-3.safetensors")
    trained.predict(images)  # N×C×H×W, pixels in [0, 1]: the class of each image
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from cnnviz.data import adapt_images
from cnnviz.zoo import UnknownArchitecture, get_architecture

FORMAT = "cnnviz-checkpoint-1"


class CheckpointError(ValueError):
    """A file that is not a usable checkpoint of a cnnviz run; the message says why."""


@dataclass
class TrainedModel:
    """A trained network, in eval mode, with what its weights expect of an image."""

    model: nn.Module
    arch: str
    classes: list[str]
    input_shape: tuple[int, int, int]  # C, H, W
    mean: float  # of the training images, which were normalised as (x − mean) / std
    std: float

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        """The class index of each of ``images`` (N×C×H×W, pixels in [0, 1], as the datasets here):
        resized to the network's input, channels repeated or averaged, normalised as in training."""
        inputs = (adapt_images(images.float(), self.input_shape) - self.mean) / self.std
        with torch.no_grad():
            return self.model(inputs).argmax(dim=1)


def save_checkpoint(path: Path, state_dict: dict[str, torch.Tensor], *, arch: str, classes: list[str],
                    normalisation: tuple[float, float]) -> None:
    """The weights of a run that trained ``arch`` at its input shape (the zoo's, recorded too: the
    file says what its weights expect even if the zoo's default changes later)."""
    mean, std = normalisation
    save_file(state_dict, str(path), metadata={
        "format": FORMAT, "arch": arch, "classes": json.dumps(list(classes)),
        "input_shape": json.dumps(list(get_architecture(arch).input_shape)),
        "mean": repr(float(mean)), "std": repr(float(std))})


def load_checkpoint(path: str | Path) -> TrainedModel:
    """The network of a run's checkpoint, built from the zoo and loaded with its weights."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except (SafetensorError, OSError) as error:
        raise CheckpointError(f"{path} is not a safetensors file ({error})") from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a checkpoint of a cnnviz run: its metadata does not name the "
                              f"architecture and the normalisation (a checkpoint saved by cnnviz before they "
                              f"were recorded can still be read with safetensors.torch.load_file)")
    try:
        architecture = get_architecture(metadata["arch"])
    except UnknownArchitecture as error:
        raise CheckpointError(f"{path}: {error}") from None
    classes = json.loads(metadata["classes"])
    model = architecture.build(num_classes=len(classes))
    try:
        model.load_state_dict(load_file(str(path)))
    except RuntimeError as error:  # weights of another shape than the zoo's network now has
        raise CheckpointError(f"{path}: its weights do not fit {architecture.id} as cnnviz builds it: "
                              f"{error}") from None
    return TrainedModel(model=model.eval(), arch=architecture.id, classes=classes,
                        input_shape=tuple(json.loads(metadata["input_shape"])),
                        mean=float(metadata["mean"]), std=float(metadata["std"]))
