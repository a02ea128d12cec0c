"""Custom networks as data: a JSON/YAML spec (a list of layers) -> validated record -> nn.Module.

A spec is never code: it is read with ``json``/``yaml.safe_load`` and only ever interpreted by
the table of layer types below. Every problem raises :class:`SpecError` naming the layer (its
index path, e.g. ``"4.layers.1"``) and the field::

    {"name": "my-net", "input_shape": [1, 28, 28], "num_classes": 10,
     "layers": [{"type": "conv", "filters": 6, "kernel": 5, "padding": 2}, {"type": "relu"},
                {"type": "maxpool", "kernel": 2}, {"type": "flatten"},
                {"type": "linear", "out_features": 10}]}

Input channels and ``in_features`` are inferred from the shape that reaches a layer unless they
are given; an explicit wrong value is kept (the analysis then diagnoses it).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn

from cnnviz.memory import is_out_of_memory
from cnnviz.messages import cut_short, quoted

Shape = tuple  # (C, H, W) or (F,); a spatial size is None once a layer no longer fits


class SpecError(ValueError):
    """An invalid spec. ``index`` is the layer's index path ("3", "4.layers.1") or None for a
    top-level problem, ``field`` the offending field or None; the message names both."""

    def __init__(self, message: str, index: str | None = None, field: str | None = None):
        super().__init__(message)
        self.index = index
        self.field = field


# --- the layer types: their fields, and how each field is checked --------------------------------

def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _non_negative(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _pair(check):
    """An int accepted by ``check``, or a list of two such ints (height, width)."""
    def accepts(value: Any) -> bool:
        if isinstance(value, list | tuple):
            return len(value) == 2 and all(check(v) for v in value)
        return check(value)
    return accepts


def _probability(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


@dataclass(frozen=True)
class Field:
    check: Any  # value -> bool
    expected: str  # what the message says a valid value is
    required: bool = False
    default: Any = None


_POSITIVE = "a positive integer"
_SIZE = "a positive integer or a list [height, width] of positive integers"
_PADDING = "a non-negative integer or a list [height, width] of non-negative integers"

_POOL_FIELDS = {
    "kernel": Field(_pair(_positive), _SIZE, required=True),
    "stride": Field(_pair(_positive), _SIZE + " (default: the kernel size)"),
    "padding": Field(_pair(_non_negative), _PADDING, default=0),
}

LAYER_FIELDS: dict[str, dict[str, Field]] = {
    "conv": {
        "filters": Field(_positive, _POSITIVE, required=True),
        "kernel": Field(_pair(_positive), _SIZE, required=True),
        "stride": Field(_pair(_positive), _SIZE, default=1),
        "padding": Field(_pair(_non_negative), _PADDING, default=0),
        "dilation": Field(_pair(_positive), _SIZE, default=1),
        "bias": Field(_boolean, "true or false", default=True),
        "in_channels": Field(_positive, _POSITIVE),
    },
    "maxpool": _POOL_FIELDS,
    "avgpool": _POOL_FIELDS,
    "batchnorm": {"num_features": Field(_positive, _POSITIVE)},
    "relu": {},
    "tanh": {},
    "sigmoid": {},
    "dropout": {"p": Field(_probability, "a number in [0, 1)", default=0.5)},
    "flatten": {},
    "linear": {
        "out_features": Field(_positive, _POSITIVE, required=True),
        "in_features": Field(_positive, _POSITIVE),
        "bias": Field(_boolean, "true or false", default=True),
    },
    "globalavgpool": {},
    "residual": {},  # "layers" and "shortcut" are nested layer lists, checked by _parse_layers
    "concat": {},  # "branches": a list of layer lists
}
LAYER_TYPES = tuple(LAYER_FIELDS)
_NESTED_FIELDS = {"residual": ("layers", "shortcut"), "concat": ("branches",)}
_NAME_PREFIX = {"conv": "conv", "maxpool": "pool", "avgpool": "pool", "batchnorm": "bn",
                "linear": "fc", "globalavgpool": "gap"}
_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TOP_FIELDS = ("name", "description", "input_shape", "num_classes", "layers")
MAX_NESTING = 16  # residual and concat blocks inside one another; deeper is refused, not recursed
MAX_LAYERS = 1_000  # blocks and layers in all (ResNet-152 as a spec: ~515); 12,000 took ~24 s a page rerun


# --- the records -------------------------------------------------------------------------------

@dataclass(frozen=True)
class LayerSpec:
    """One validated layer: its type, its fields with defaults filled in, an optional module
    name, and for residual/concat the nested layer lists."""

    type: str
    index: str
    options: dict = field(default_factory=dict)
    name: str | None = None
    layers: tuple[LayerSpec, ...] = ()  # residual: the F(x) branch
    shortcut: tuple[LayerSpec, ...] | None = None  # residual: None or () means identity
    branches: tuple[tuple[LayerSpec, ...], ...] = ()  # concat

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            data["name"] = self.name
        data.update({k: list(v) if isinstance(v, tuple) else v for k, v in self.options.items()})
        if self.type == "residual":
            data["layers"] = [layer.to_dict() for layer in self.layers]
            if self.shortcut is not None:
                data["shortcut"] = [layer.to_dict() for layer in self.shortcut]
        if self.type == "concat":
            data["branches"] = [[layer.to_dict() for layer in branch] for branch in self.branches]
        return data


@dataclass(frozen=True)
class NetworkSpec:
    name: str
    input_shape: tuple[int, int, int]
    layers: tuple[LayerSpec, ...]
    num_classes: int | None = None
    description: str = ""

    def to_dict(self) -> dict:
        """The spec as plain data (JSON/YAML-ready), every default written out."""
        data: dict[str, Any] = {"name": self.name}
        if self.description:
            data["description"] = self.description
        data["input_shape"] = list(self.input_shape)
        if self.num_classes is not None:
            data["num_classes"] = self.num_classes
        data["layers"] = [layer.to_dict() for layer in self.layers]
        return data


def spec_json(data: Any) -> str:
    """A spec as JSON that reads like the README's YAML: one layer a line, a block's layers and
    branches opened below it, short lists such as the input shape inline. ``json.dumps(indent=2)``
    wrote every number of [1, 28, 28] on a line of its own and '×' as '\\u00d7'."""
    def opens(value: Any) -> bool:  # a list of layers or of branches
        return isinstance(value, list) and bool(value) and all(isinstance(v, (dict, list)) for v in value)

    def text(value: Any, indent: str, top: bool = False) -> str:
        inner = indent + "  "
        if isinstance(value, dict) and (top or any(opens(v) for v in value.values())):
            items = [f"{inner}{json.dumps(key)}: {text(v, inner)}" for key, v in value.items()]
            return "{\n" + ",\n".join(items) + f"\n{indent}}}"
        if opens(value):
            return "[\n" + ",\n".join(inner + text(v, inner) for v in value) + f"\n{indent}]"
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))

    return text(data, "", top=True)


# --- parsing and validation ------------------------------------------------------------------


def _show(value: Any) -> str:
    """``value`` as JSON writes it, cut to SHOWN_CHARS with an ellipsis."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    except RecursionError:
        return "a value nested too deeply to show"
    return cut_short(text)


def _where(index: str, kind: str | None) -> str:
    return f"layer {index} ({kind})" if kind else f"layer {index}"


def parse_spec(data: Any) -> NetworkSpec:
    """Validate a spec given as plain data (a dict from JSON/YAML); raise SpecError if invalid."""
    if not isinstance(data, dict):
        raise SpecError(f"a spec must be a mapping with 'input_shape' and 'layers', got {_show(data)}")
    for key in data:
        if key not in _TOP_FIELDS:
            raise SpecError(f"unknown top-level field {_show(key)}{_suggest(key, _TOP_FIELDS)}; "
                            f"a spec has {', '.join(_TOP_FIELDS)}", field=str(key))
    name = data.get("name", "custom")
    if not isinstance(name, str) or not name.strip():
        raise SpecError(f"'name' must be a non-empty string, got {_show(name)}", field="name")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"'description' must be a string, got {_show(description)}",
                        field="description")
    if "input_shape" not in data:
        raise SpecError("'input_shape' is missing: give [channels, height, width], e.g. [1, 28, 28]",
                        field="input_shape")
    shape = data["input_shape"]
    if not (isinstance(shape, list | tuple) and len(shape) == 3 and all(_positive(d) for d in shape)):
        raise SpecError("'input_shape' must be a list of 3 positive integers [channels, height, "
                        f"width], got {_show(shape)}", field="input_shape")
    num_classes = data.get("num_classes")
    if num_classes is not None and not _positive(num_classes):
        raise SpecError(f"'num_classes' must be {_POSITIVE}, got {_show(num_classes)}",
                        field="num_classes")
    if "layers" not in data:
        raise SpecError("'layers' is missing: give a list of layers, e.g. "
                        '[{"type": "conv", "filters": 6, "kernel": 5}]', field="layers")
    layers = _parse_layers(data["layers"], prefix="", owner="'layers'", allow_empty=False)
    if (count := _count_layers(layers)) > MAX_LAYERS:
        raise SpecError(f"the spec has {count:,} layers (counting blocks and the layers inside them); cnnviz "
                        f"analyses at most {MAX_LAYERS:,}, so that its tables and diagrams answer in about a "
                        "second: use fewer layers", field="layers")
    return NetworkSpec(name=name, description=description, input_shape=tuple(shape),
                       num_classes=num_classes, layers=layers)


def _count_layers(layers: tuple[LayerSpec, ...]) -> int:
    return sum(1 + _count_layers(layer.layers) + _count_layers(layer.shortcut or ())
               + sum(_count_layers(branch) for branch in layer.branches) for layer in layers)


def _suggest(word: Any, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {quoted(close[0])}?)" if close else ""


def _parse_layers(items: Any, prefix: str, owner: str, allow_empty: bool, owner_index: str | None = None,
                  owner_field: str | None = None, nesting: int = 0) -> tuple[LayerSpec, ...]:
    """A layer list inside ``nesting`` blocks (0: the spec's own 'layers')."""
    if not isinstance(items, list) or (not items and not allow_empty):
        raise SpecError(f"{owner} must be a {'' if allow_empty else 'non-empty '}list of layers, "
                        f"got {_show(items)}", index=owner_index, field=owner_field or "layers")
    layers = tuple(_parse_layer(item, f"{prefix}{i}", nesting) for i, item in enumerate(items))
    names = [layer.name for layer in layers if layer.name is not None]
    for layer in layers:
        if layer.name is not None and names.count(layer.name) > 1:
            raise SpecError(f"{_where(layer.index, layer.type)}: 'name' {_show(layer.name)} is used by "
                            "another layer of the same list; names must be unique",
                            index=layer.index, field="name")
    return layers


def _parse_layer(item: Any, index: str, nesting: int = 0) -> LayerSpec:
    if not isinstance(item, dict):
        raise SpecError(f"layer {index}: a layer must be a mapping with a 'type', got {_show(item)}",
                        index=index)
    if "type" not in item:
        raise SpecError(f"layer {index}: 'type' is missing; one of {', '.join(LAYER_TYPES)}",
                        index=index, field="type")
    kind = item["type"]
    if kind not in LAYER_FIELDS:
        raise SpecError(f"layer {index}: unknown type {_show(kind)}{_suggest(kind, LAYER_TYPES)}; "
                        f"the types are {', '.join(LAYER_TYPES)}", index=index, field="type")
    where = _where(index, kind)
    fields = LAYER_FIELDS[kind]
    nested = _NESTED_FIELDS.get(kind, ())
    allowed = ("type", "name", *fields, *nested)
    for key in item:
        if key not in allowed:
            known = ", ".join(k for k in allowed if k not in ("type", "name"))
            raise SpecError(f"{where}: unknown field {_show(key)}{_suggest(key, allowed)}; "
                            f"{kind} takes {known or 'no fields'} (and an optional 'name')",
                            index=index, field=str(key))
    name = item.get("name")
    if name is not None and not (isinstance(name, str) and _NAME_PATTERN.fullmatch(name)):
        raise SpecError(f"{where}: 'name' must be an identifier (letters, digits, _), "
                        f"got {_show(name)}", index=index, field="name")
    if name is not None and hasattr(nn.Sequential(), name):
        raise SpecError(f"{where}: 'name' {quoted(name)} is reserved by PyTorch; choose another",
                        index=index, field="name")
    options = {}
    for key, spec_field in fields.items():
        if key not in item:
            if spec_field.required:
                raise SpecError(f"{where}: '{key}' is missing; it must be {spec_field.expected}",
                                index=index, field=key)
            if spec_field.default is not None:
                options[key] = spec_field.default
            continue
        value = item[key]
        if not spec_field.check(value):
            raise SpecError(f"{where}: '{key}' must be {spec_field.expected}, got {_show(value)}",
                            index=index, field=key)
        options[key] = tuple(value) if isinstance(value, list) else value
    if kind in ("maxpool", "avgpool"):
        _check_pool_padding(options, where, index)
    if kind in _NESTED_FIELDS and nesting >= MAX_NESTING:
        raise SpecError(f"{where}: residual and concat blocks nest at most {MAX_NESTING} deep, and this "
                        f"{kind} is block {nesting + 1} inside one another; put blocks one after the "
                        "other instead", index=index, field=_NESTED_FIELDS[kind][0])
    if kind == "residual":
        if "layers" not in item:
            raise SpecError(f"{where}: 'layers' is missing; a residual block needs the layers of "
                            "its F(x) branch", index=index, field="layers")
        layers = _parse_layers(item["layers"], f"{index}.layers.", f"{where}: 'layers'", False,
                               index, "layers", nesting + 1)
        shortcut = None
        if item.get("shortcut") is not None:
            shortcut = _parse_layers(item["shortcut"], f"{index}.shortcut.", f"{where}: 'shortcut'",
                                     True, index, "shortcut", nesting + 1)
        return LayerSpec(kind, index, options, name, layers=layers, shortcut=shortcut)
    if kind == "concat":
        branches = item.get("branches")
        if not isinstance(branches, list) or len(branches) < 2:
            raise SpecError(f"{where}: 'branches' must be a list of at least 2 layer lists, "
                            f"got {_show(branches)}", index=index, field="branches")
        parsed = tuple(_parse_layers(branch, f"{index}.branches.{b}.", f"{where}: branch {b}", True,
                                     index, "branches", nesting + 1) for b, branch in enumerate(branches))
        return LayerSpec(kind, index, options, name, branches=parsed)
    return LayerSpec(kind, index, options, name)


def _check_pool_padding(options: dict, where: str, index: str) -> None:
    """PyTorch refuses pool padding larger than half the kernel; say so before it does."""
    kernel, padding = _hw(options["kernel"]), _hw(options["padding"])
    if any(p > k // 2 for p, k in zip(padding, kernel, strict=True)):
        raise SpecError(f"{where}: 'padding' must be at most half the kernel "
                        f"({_show(options['kernel'])} allows {kernel[0] // 2}), "
                        f"got {_show(options['padding'])}", index=index, field="padding")


def _hw(value: int | tuple[int, int]) -> tuple[int, int]:
    return tuple(value) if isinstance(value, tuple) else (value, value)


# --- reading files and text ------------------------------------------------------------------

def loads_spec(text: str, format: str | None = None) -> NetworkSpec:
    """Parse a spec from JSON or YAML text (``format`` "json"/"yaml"; None: JSON if it looks
    like JSON, else YAML). YAML is read with ``yaml.safe_load``: data only, never objects."""
    if format is None:
        format = "json" if text.lstrip().startswith(("{", "[")) else "yaml"
    try:
        data = json.loads(text) if format == "json" else yaml.safe_load(text)
    except RecursionError:
        raise SpecError(f"the spec is nested too deeply to be read; residual and concat blocks nest at "
                        f"most {MAX_NESTING} deep") from None
    except json.JSONDecodeError as error:
        raise SpecError(f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SpecError(f"invalid YAML{at}: {cut_short(problem)}") from None
    return parse_spec(data)


def load_spec(path: str | Path) -> NetworkSpec:
    """Read and validate a spec file (.json, .yaml or .yml). Every SpecError names the file once,
    as ``path`` was given: "nets/my.json: layer 3 (conv): ..."."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(f"{path}: cannot read the spec file: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: the spec file is not UTF-8 text") from None
    suffix = path.suffix.lower()
    format = "json" if suffix == ".json" else "yaml" if suffix in (".yaml", ".yml") else None
    try:
        return loads_spec(text, format)
    except SpecError as error:
        raise SpecError(f"{path}: {error}", error.index, error.field) from None


# --- building the module ---------------------------------------------------------------------

class Residual(nn.Module):
    """A residual block of a custom spec: ``layers(x) + shortcut(x)`` (identity shortcut if
    none is given)."""

    def __init__(self, layers: nn.Sequential, shortcut: nn.Sequential | None):
        super().__init__()
        self.layers = layers
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.layers(x) + skip


class Concat(nn.Module):
    """Parallel branches concatenated along the channels (an Inception-style block)."""

    def __init__(self, branches: list[nn.Sequential]):
        super().__init__()
        for i, branch in enumerate(branches, start=1):
            self.add_module(f"branch{i}", branch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([branch(x) for branch in self.children()], dim=1)


def build_model(spec: NetworkSpec, input_shape: tuple[int, int, int] | None = None) -> nn.Module:
    """The nn.Module of a spec; channels and in_features are inferred for ``input_shape``
    (default: the spec's). Cheap to call under ``torch.device("meta")``."""
    shape = tuple(input_shape or spec.input_shape)
    model, _ = _build_sequence(spec.layers, shape)
    return model


def _build_sequence(layers: tuple[LayerSpec, ...], shape: Shape) -> tuple[nn.Sequential, Shape]:
    modules: OrderedDict[str, nn.Module] = OrderedDict()
    counters: dict[str, int] = {}
    chosen = {layer.name for layer in layers if layer.name}
    for layer in layers:
        try:
            module, shape = _build_layer(layer, shape)
        except (RuntimeError, TypeError, OverflowError) as error:  # torch's sizes are int64, bytes too
            if is_out_of_memory(error):  # a real allocation too large for this machine: the caller's to report
                raise
            raise SpecError(f"{_where(layer.index, layer.type)}: too large for PyTorch to build — its weights "
                            "would have more values than a tensor can hold; use smaller sizes",
                            index=layer.index) from None
        modules[layer.name or _auto_name(layer.type, counters, chosen | set(modules))] = module
    return nn.Sequential(modules), shape


def _auto_name(kind: str, counters: dict[str, int], taken) -> str:
    prefix = _NAME_PREFIX.get(kind, kind)
    while True:
        counters[prefix] = counters.get(prefix, 0) + 1
        candidate = f"{prefix}{counters[prefix]}"
        if candidate not in taken:
            return candidate


def _spatial(size: int | None, kernel: int, stride: int, padding: int, dilation: int = 1):
    """The output size formula floor((n + 2p - d(k-1) - 1) / s) + 1; None once it is < 1."""
    if size is None:
        return None
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    return out if out >= 1 else None


def _build_layer(layer: LayerSpec, shape: Shape) -> tuple[nn.Module, Shape]:
    o = layer.options
    kind = layer.type
    channels = shape[0]
    if kind == "conv":
        kernel, stride, padding, dilation = (_hw(o[k]) for k in ("kernel", "stride", "padding",
                                                                 "dilation"))
        module = nn.Conv2d(o.get("in_channels", channels), o["filters"], kernel, stride, padding,
                           dilation, bias=o["bias"])
        return module, (o["filters"], *_spatial_out(shape, kernel, stride, padding, dilation))
    if kind in ("maxpool", "avgpool"):
        kernel, padding = _hw(o["kernel"]), _hw(o["padding"])
        stride = _hw(o.get("stride", o["kernel"]))
        pool = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
        return pool(kernel, stride, padding), (channels, *_spatial_out(shape, kernel, stride, padding))
    if kind == "batchnorm":
        norm = nn.BatchNorm1d if len(shape) == 1 else nn.BatchNorm2d
        return norm(o.get("num_features", channels)), shape
    if kind in ("relu", "tanh", "sigmoid"):
        return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[kind](), shape
    if kind == "dropout":
        return nn.Dropout(o["p"]), shape
    if kind == "flatten":
        return nn.Flatten(), (_volume(shape),)
    if kind == "linear":
        in_features = o.get("in_features") or _inferred_in_features(layer, shape)
        return nn.Linear(in_features, o["out_features"], bias=o["bias"]), (o["out_features"],)
    if kind == "globalavgpool":
        return nn.AdaptiveAvgPool2d(1), (channels, 1, 1) if len(shape) == 3 else shape
    if kind == "residual":
        body, out_shape = _build_sequence(layer.layers, shape)
        shortcut = _build_sequence(layer.shortcut, shape)[0] if layer.shortcut else None
        return Residual(body, shortcut), out_shape
    # concat
    built = [_build_sequence(branch, shape) for branch in layer.branches]
    shapes = [s for _, s in built]
    return Concat([m for m, _ in built]), (sum(s[0] for s in shapes), *shapes[0][1:])


def _spatial_out(shape: Shape, kernel, stride, padding, dilation=(1, 1)) -> tuple:
    if len(shape) != 3:
        return (None, None)
    return tuple(_spatial(shape[i + 1], kernel[i], stride[i], padding[i], dilation[i]) for i in (0, 1))


def _volume(shape: Shape) -> int | None:
    return None if None in shape else math.prod(shape)


def _inferred_in_features(layer: LayerSpec, shape: Shape) -> int:
    where = _where(layer.index, layer.type)
    if len(shape) != 1:
        raise SpecError(f"{where}: the input reaching it is {_format_shape(shape)}, not a flat "
                        "vector; add {\"type\": \"flatten\"} before it, or give 'in_features'",
                        index=layer.index, field="in_features")
    if shape[0] is None:
        raise SpecError(f"{where}: 'in_features' cannot be inferred because an earlier layer does "
                        "not fit the input (its output would be empty); fix that layer's kernel, "
                        "stride or padding, or give 'in_features'", index=layer.index,
                        field="in_features")
    return shape[0]


def _format_shape(shape: Shape) -> str:
    return "×".join("?" if d is None else str(d) for d in shape)


# --- starting points for the page ------------------------------------------------------------

EXAMPLE_SPECS: dict[str, dict] = {
    "lenet5": {
        "name": "lenet5-custom",
        "description": "LeNet-5 for 28×28 digits (padding 2, ReLU, max-pooling)",
        "input_shape": [1, 28, 28], "num_classes": 10,
        "layers": [
            {"type": "conv", "filters": 6, "kernel": 5, "padding": 2}, {"type": "relu"},
            {"type": "maxpool", "kernel": 2},
            {"type": "conv", "filters": 16, "kernel": 5}, {"type": "relu"},
            {"type": "maxpool", "kernel": 2},
            {"type": "flatten"},
            {"type": "linear", "out_features": 120}, {"type": "relu"},
            {"type": "linear", "out_features": 84}, {"type": "relu"},
            {"type": "linear", "out_features": 10},
        ],
    },
    "small-resnet": {
        "name": "small-resnet",
        "description": "Two residual blocks (identity, then a 1×1 projection) and global average "
                       "pooling",
        "input_shape": [1, 28, 28], "num_classes": 10,
        "layers": [
            {"type": "conv", "filters": 16, "kernel": 3, "padding": 1, "bias": False},
            {"type": "batchnorm"}, {"type": "relu"},
            {"type": "residual", "layers": [
                {"type": "conv", "filters": 16, "kernel": 3, "padding": 1, "bias": False},
                {"type": "batchnorm"}, {"type": "relu"},
                {"type": "conv", "filters": 16, "kernel": 3, "padding": 1, "bias": False},
                {"type": "batchnorm"}]},
            {"type": "relu"},
            {"type": "residual", "layers": [
                {"type": "conv", "filters": 32, "kernel": 3, "stride": 2, "padding": 1,
                 "bias": False},
                {"type": "batchnorm"}, {"type": "relu"},
                {"type": "conv", "filters": 32, "kernel": 3, "padding": 1, "bias": False},
                {"type": "batchnorm"}],
             "shortcut": [{"type": "conv", "filters": 32, "kernel": 1, "stride": 2, "bias": False},
                          {"type": "batchnorm"}]},
            {"type": "relu"},
            {"type": "globalavgpool"}, {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    },
    "inception-like": {
        "name": "inception-like",
        "description": "One Inception-style block: 1×1, 1×1→3×3, 1×1→5×5 and pool→1×1 branches",
        "input_shape": [3, 32, 32], "num_classes": 10,
        "layers": [
            {"type": "conv", "filters": 32, "kernel": 3, "padding": 1}, {"type": "relu"},
            {"type": "concat", "branches": [
                [{"type": "conv", "filters": 16, "kernel": 1}, {"type": "relu"}],
                [{"type": "conv", "filters": 16, "kernel": 1}, {"type": "relu"},
                 {"type": "conv", "filters": 32, "kernel": 3, "padding": 1}, {"type": "relu"}],
                [{"type": "conv", "filters": 4, "kernel": 1}, {"type": "relu"},
                 {"type": "conv", "filters": 8, "kernel": 5, "padding": 2}, {"type": "relu"}],
                [{"type": "maxpool", "kernel": 3, "stride": 1, "padding": 1},
                 {"type": "conv", "filters": 8, "kernel": 1}, {"type": "relu"}]]},
            {"type": "globalavgpool"}, {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    },
    "does-not-fit": {
        "name": "simple-cnn-spec",
        "description": "The CS-E4890 SimpleCNN: its fc expects 320 features but receives 500",
        "input_shape": [1, 28, 28], "num_classes": 10,
        "layers": [
            {"type": "conv", "filters": 10, "kernel": 5, "padding": 1},
            {"type": "maxpool", "kernel": 2}, {"type": "relu"},
            {"type": "conv", "filters": 20, "kernel": 5, "padding": 1},
            {"type": "maxpool", "kernel": 2}, {"type": "relu"},
            {"type": "flatten"},
            {"type": "linear", "in_features": 320, "out_features": 10, "name": "fc"},
        ],
    },
}
