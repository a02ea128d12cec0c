"""The layer table: what a student computes by hand, for every layer of any network.

One pass of the model on PyTorch's *meta* device (shapes only: no weights, no arithmetic) with
forward hooks on every module gives one :class:`LayerRow` per module call — output shape,
activation size, weights and biases with the formula a student writes, MACs — while a
``TorchFunctionMode`` follows the receptive field through every tensor operation, functional ones
included (``torch.cat``, ``x + identity``, ``F.max_pool2d``, ``x[:, :, ::2, ::2]``, ``F.pad``). An op
it does not follow (a flip, an upsampling) makes the field unknown from there on, shown with the
reason, never as a number. The same mode follows the data inside each block, so a residual block's
row says which of its layers are on the shortcut and where the add runs (:class:`SkipConnection`).
A network that does not fit its input gives no exception: the rows up to the failing layer and a
:class:`Diagnosis`.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from cnnviz.messages import quoted
from cnnviz.zoo import get_architecture

Shape = tuple[int, ...]
BYTES_PER_VALUE = 4  # float32


@dataclass
class SkipConnection:
    """Where a block's shortcut joins its main path F(x), as its forward ran: the diagram draws the
    shortcut's layers beside the main path's and the ⊕ where the add runs (in torchvision's
    BasicBlock, before the last ReLU). Positions count the block's child calls in the order they
    ran (0: the first), as the rows below the block do."""

    shortcut: tuple[int, ...]  # the child calls on the shortcut alone: () for x itself (or x[::2] ...)
    add_after: int  # child calls that ran before the add; the later ones take the sum
    expression: str  # what the block outputs, F(x) being its main path: "relu(F(x) + downsample(x))"


@dataclass
class LayerRow:
    """One call of one module. A module called twice (a shared ReLU) gives two rows; its
    parameters are counted on the first call only (``shared_with`` names that row)."""

    name: str  # dotted module path, e.g. "features.0"
    type: str  # the module's class name, e.g. "Conv2d"
    depth: int  # 1 for children of the model, 2 for their children, ...
    parent: str | None
    is_leaf: bool
    hyper: dict = field(default_factory=dict)  # kernel, stride, padding, dilation, groups ...
    input_shape: Shape | None = None  # batch excluded, PyTorch order
    output_shape: Shape | None = None  # None when the layer failed or was not reached
    activation_size: int = 0  # values in the output, batch excluded
    weights: int = 0
    biases: int = 0
    params: int = 0  # weights + biases (for a container: every parameter below it, once)
    trainable: int = 0
    buffers: int = 0  # batch-norm running statistics: never counted as parameters
    formula: str = ""  # "(5·5·3+1)·8 = 608"
    macs: int = 0  # multiply-accumulates per image
    flops: int = 0  # 2 · MACs, as torch.utils.flop_counter counts
    # (height, width) on the input: the largest receptive field of any unit of this layer (units
    # after an adaptive pool whose sizes do not divide differ), padding included
    receptive_field: tuple[int, int] | None = None
    jump: tuple[int, int] | None = None  # input pixels between neighbouring outputs (the largest)
    # why receptive_field is None after an op that moves positions in a way not followed (a flip,
    # an upsampling …): "flip in block1 mirrors the map"; never a number that could be wrong
    receptive_field_unknown: str | None = None
    call_index: int = 0  # 0 for the first call of this module, 1 for the second ...
    shared_with: str | None = None  # a later call of a shared module: where its params count
    failed: bool = False  # the layer where the network stopped fitting its input
    # False for a layer after the failure: the forward never got to it, but its parameters exist
    # (and count in the total), so the table lists it and its column of # parameters adds up
    reached: bool = True
    # a block whose forward joins two paths from its input with one add (a residual block)
    skip: SkipConnection | None = None

    @property
    def textbook_shape(self) -> Shape | None:
        """(H, W, C) as on the slides; (F, 1) for a vector."""
        shape = self.output_shape
        if shape is None:
            return None
        if len(shape) == 3:
            return (shape[1], shape[2], shape[0])
        if len(shape) == 1:
            return (shape[0], 1)
        return shape


NUMBERS = ("activation_size", "params", "weights", "biases", "buffers", "macs", "flops")


def numbers_at_depth(row: LayerRow, depth: int | None) -> dict[str, int]:
    """A row's numbers in the table cut at ``depth`` (None: the leaves). A failed block above the
    cut is listed only as the place the network stopped, its layers below it standing for its
    numbers: zeros there, so that every column adds up to its total."""
    counted = row.is_leaf or row.depth == depth
    return {name: getattr(row, name) if counted else 0 for name in NUMBERS}


@dataclass
class Diagnosis:
    layer: str
    message: str  # feature maps and inputs written C×H×W, PyTorch's order
    suggestion: str
    textbook: tuple[str, str]  # the message and the suggestion with them written H×W×C, the slides' order

    def worded(self, order: str = "pytorch") -> tuple[str, str]:
        """(message, suggestion) with shapes in ``order``, as the table beside it writes them."""
        return self.textbook if order == "textbook" else (self.message, self.suggestion)


@dataclass
class Analysis:
    model_id: str
    title: str
    input_shape: Shape
    rows: list[LayerRow]
    total_params: int  # each parameter tensor once, even when shared
    trainable_params: int
    total_buffers: int
    total_macs: int
    total_flops: int
    activation_memory_bytes: int  # every leaf's output, batch 1, float32, forward only
    param_memory_bytes: int
    output_shape: Shape | None
    receptive_field: tuple[int, int] | None  # the largest of a unit of the last spatial layer
    diagnosis: Diagnosis | None = None
    model_type: str = ""  # the class of the whole network, e.g. "Inception" for a lone block
    receptive_field_unknown: str | None = None  # why receptive_field is None, as in LayerRow
    # Depth as the papers count it: the conv and linear layers on the longest path from the input
    # to the output — ResNet-18's 18 leaves out its three 1×1 projection shortcuts, GoogLeNet's 22
    # goes through one branch of each Inception. None where the network does not fit.
    network_depth: int | None = None

    @property
    def fits(self) -> bool:
        return self.diagnosis is None

    def rows_at_depth(self, depth: int | None) -> list[LayerRow]:
        """Rows down to ``depth`` (None: the leaves). A container at the cut shows its subtree's
        parameters and MACs; containers above the cut are left out (their children stand), but for
        one whose own join failed (a concat of branches of different sizes): it marks where the
        network stopped, after the layers that ran inside it (see ``numbers_at_depth``). One whose
        layer failed is left out too: that layer's row says "does not fit"."""
        if depth is None:
            rows = [row for row in self.rows if row.is_leaf or row.failed]
        else:
            rows = [row for row in self.rows
                    if row.depth == depth or (row.depth < depth and (row.is_leaf or row.failed))]
        for block in [row for row in rows if row.failed and not row.is_leaf]:
            inside = [row for row in rows if row.name.startswith(block.name + ".")]
            if not inside:  # the block at the cut: its own row
                continue
            rows.remove(block)
            if not any(row.failed for row in inside):
                rows.insert(rows.index(inside[-1]) + 1, block)
        return rows

    @property
    def weight_layers(self) -> int:
        """Every layer with weights (conv and linear), side paths too: 21 for ResNet-18, whose
        ``network_depth`` is 18 — it leaves out the three 1×1 projection shortcuts."""
        return sum(1 for row in self.rows if row.is_leaf and row.call_index == 0
                   and row.type in ("Conv2d", "Linear"))

    @property
    def max_depth(self) -> int:
        return max((row.depth for row in self.rows), default=1)

    def to_dict(self, depth: int | None = None) -> dict:
        """The JSON of ``python -m cnnviz summary --format json``."""
        return {
            "id": self.model_id,
            "title": self.title,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output_shape) if self.output_shape else None,
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "total_buffers": self.total_buffers,
            "total_macs": self.total_macs,
            "total_flops": self.total_flops,
            "activation_memory_bytes": self.activation_memory_bytes,
            "param_memory_bytes": self.param_memory_bytes,
            "receptive_field": list(self.receptive_field) if self.receptive_field else None,
            "receptive_field_unknown": self.receptive_field_unknown,
            "network_depth": self.network_depth,
            "weight_layers": self.weight_layers,
            "layers": [
                {
                    "name": row.name,
                    "type": row.type,
                    "depth": row.depth,
                    "hyper": row.hyper,
                    "output_shape": list(row.output_shape) if row.output_shape else None,
                    **numbers_at_depth(row, depth),
                    "formula": row.formula,
                    "receptive_field": list(row.receptive_field) if row.receptive_field else None,
                    "receptive_field_unknown": row.receptive_field_unknown,
                    "jump": list(row.jump) if row.jump else None,
                    "reached": row.reached,  # false after the layer that failed
                    # a residual block: what it outputs, e.g. "relu(F(x) + downsample(x))"
                    **({"skip": row.skip.expression} if row.skip else {}),
                }
                for row in self.rows_at_depth(depth)
            ],
            "diagnosis": {"layer": self.diagnosis.layer, "message": self.diagnosis.message,
                          "suggestion": self.diagnosis.suggestion} if self.diagnosis else None,
        }


# --------------------------------------------------------------------------- hyper-parameters


PARAMETER_KINDS = {"Conv2d": "conv", "Linear": "fully-connected"}


@dataclass
class WhereTheNumbersAre:
    """What the per-layer chart shows, in numbers: the parameters by kind of layer, the layer with the
    most of them, and where the activations are largest and where they end. The chart's lesson
    differs by network (LeNet-5 and VGG keep most parameters in their fully-connected layers,
    ResNet and GoogLeNet in their convs), so it is computed, never written once for all."""

    total_params: int
    params_by_kind: dict[str, int]  # "conv", "fully-connected", "other", in that order; only kinds that have some
    other_types: list[str]  # the types of the layers counted as "other" (BatchNorm2d ...)
    most_params: LayerRow | None  # the first layer with the most parameters; None without parameters
    most_params_by_kind: dict[str, LayerRow]  # of each kind of layer, its first with the most parameters
    largest_activation: LayerRow | None  # among the layers that ran; None when none did
    # the last layer that ran, where the network does not fit its input (where it fits, the
    # network's output is the end: a lone Inception block's last leaf is one branch, not the concat)
    last_that_ran: LayerRow | None


def where_the_numbers_are(analysis: Analysis) -> WhereTheNumbersAre:
    leaves = [row for row in analysis.rows if row.is_leaf]
    by_kind = {"conv": 0, "fully-connected": 0, "other": 0}
    most_by_kind: dict[str, LayerRow] = {}
    other_types = []
    for row in leaves:
        kind = PARAMETER_KINDS.get(row.type, "other")
        by_kind[kind] += row.params
        if row.params and (kind not in most_by_kind or row.params > most_by_kind[kind].params):
            most_by_kind[kind] = row
        if kind == "other" and row.params and row.type not in other_types:
            other_types.append(row.type)
    # parameters of a module of its own beside its children (no leaf holds them) are "other" too;
    # a tensor shared by two leaves counts in the first's row only, so the kinds still add up
    by_kind["other"] += analysis.total_params - sum(by_kind.values())
    ran = [row for row in leaves if row.reached and not row.failed and row.output_shape is not None]
    return WhereTheNumbersAre(
        total_params=analysis.total_params,
        params_by_kind={kind: count for kind, count in by_kind.items() if count},
        other_types=other_types,
        most_params=max((row for row in leaves if row.params), key=lambda row: row.params, default=None),
        most_params_by_kind=most_by_kind,
        largest_activation=max(ran, key=lambda row: row.activation_size, default=None),
        last_that_ran=ran[-1] if ran and not analysis.fits else None,
    )


def _pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _fmt_pair(value) -> str:
    a, b = _pair(value)
    return str(a) if a == b else f"{a}×{b}"


def hyper_parameters(module: nn.Module) -> dict:
    """The settings a student reads off a layer: f, s, p, d, groups; pool size; features."""
    if isinstance(module, nn.modules.conv._ConvNd):
        hyper = {"filters": module.out_channels, "kernel": _fmt_pair(module.kernel_size),
                 "stride": _fmt_pair(module.stride), "padding": _fmt_pair(module.padding)
                 if not isinstance(module.padding, str) else module.padding}
        if _pair(module.dilation) != (1, 1):
            hyper["dilation"] = _fmt_pair(module.dilation)
        if module.groups != 1:
            hyper["groups"] = module.groups
        return hyper
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        hyper = {"kernel": _fmt_pair(module.kernel_size),
                 "stride": _fmt_pair(module.stride or module.kernel_size),
                 "padding": _fmt_pair(module.padding)}
        if isinstance(module, nn.MaxPool2d) and _pair(module.dilation) != (1, 1):
            hyper["dilation"] = _fmt_pair(module.dilation)
        return hyper
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return {"output size": _fmt_pair(module.output_size)}
    if isinstance(module, nn.Linear):
        return {"in features": module.in_features, "out features": module.out_features}
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return {"features": module.num_features}
    if isinstance(module, nn.Dropout):
        return {"p": module.p}
    return {}


# --------------------------------------------------------------------------- parameters


def _fmt(n: int) -> str:
    return f"{n:,}"


def parameter_formula(module: nn.Module) -> str:
    """The count as a student writes it: (f·f·C_in+1)·n for a conv, (in+1)·out for a linear."""
    weight = getattr(module, "weight", None)
    bias = getattr(module, "bias", None)
    has_bias = isinstance(bias, nn.Parameter)
    if isinstance(module, nn.modules.conv._ConvNd) and isinstance(weight, nn.Parameter):
        kh, kw = _pair(module.kernel_size)
        per_filter = f"{kh}·{kw}·{module.in_channels // module.groups}"
        total = weight.numel() + (bias.numel() if has_bias else 0)
        if has_bias:
            return f"({per_filter}+1)·{module.out_channels} = {_fmt(total)}"
        return f"{per_filter}·{module.out_channels} = {_fmt(total)}"
    if isinstance(module, nn.Linear) and isinstance(weight, nn.Parameter):
        total = weight.numel() + (bias.numel() if has_bias else 0)
        if has_bias:
            return f"({module.in_features}+1)·{module.out_features} = {_fmt(total)}"
        return f"{module.in_features}·{module.out_features} = {_fmt(total)}"
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.affine:
        return f"2·{module.num_features} = {_fmt(2 * module.num_features)} (γ and β)"
    return ""


def _is_bias(parameter_name: str) -> bool:
    """Biases by name ("bias", "fc.bias", MultiheadAttention's "in_proj_bias"); the rest are weights."""
    return parameter_name.endswith("bias")


def _split_weights_biases(module: nn.Module, first_call: bool, recurse: bool = False) -> tuple[int, int, int, int]:
    """(weights, biases, trainable, buffers) owned by ``module`` (with ``recurse``: by its whole
    subtree, each shared parameter once), so that weights + biases is its # parameters."""
    if not first_call:
        return 0, 0, 0, 0
    weights = biases = trainable = 0
    for name, parameter in module.named_parameters(recurse=recurse):
        if isinstance(parameter, nn.parameter.UninitializedParameter):
            continue
        if _is_bias(name):
            biases += parameter.numel()
        else:
            weights += parameter.numel()
        if parameter.requires_grad:
            trainable += parameter.numel()
    buffers = sum(b.numel() for name, b in module.named_buffers(recurse=recurse)
                  if not name.endswith("num_batches_tracked"))
    return weights, biases, trainable, buffers


def _count_parameters(row: LayerRow, module: nn.Module) -> None:
    """``row``'s # parameters, weights, biases, trainable and buffers, and a layer's formula: a
    block's count its whole subtree; a later call of a shared module counts none."""
    first_call = row.call_index == 0
    row.weights, row.biases, row.trainable, row.buffers = _split_weights_biases(
        module, first_call, recurse=not row.is_leaf)
    row.params = row.weights + row.biases
    if row.is_leaf and first_call:
        row.formula = parameter_formula(module)


def _count_tied_tensors_once(model: nn.Module, rows: list[LayerRow]) -> None:
    """A tensor that two layers share (a tied weight) counts in the first layer's row only, as it
    counts once in the total: the column of # parameters still adds up to it, at every depth the
    table is cut. The later row says so in its formula: "(4+1)·4 = 20 − 16 (weight shared with
    fc1) = 4". Blocks alike: of two blocks that hold a shared tensor, the second subtracts it."""
    holders: dict[int, list[LayerRow]] = {}  # the rows (first calls) that hold a tensor, in order
    for row in rows:
        if row.call_index != 0:
            continue
        module = model.get_submodule(row.name)
        for name, parameter in module.named_parameters(recurse=not row.is_leaf):
            if nn.parameter.is_lazy(parameter):
                continue
            earlier = [held for held in holders.setdefault(id(parameter), [])
                       if not row.name.startswith(held.name + ".")]  # a block holds its own layers' tensors
            holders[id(parameter)].append(row)
            if not earlier:
                continue
            owner = next((held for held in earlier if held.is_leaf), earlier[0]).name
            count = parameter.numel()
            if _is_bias(name):
                row.biases -= count
            else:
                row.weights -= count
            if parameter.requires_grad:
                row.trainable -= count
            before = row.params
            row.params -= count
            row.formula = (f"{row.formula or _fmt(before)} − {_fmt(count)} ({name} shared with {owner}) "
                           f"= {_fmt(row.params)}")


def layer_macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-accumulates per image of a conv or linear layer (other layers: 0)."""
    per_image = output.numel() // output.shape[0] if output.dim() > 1 else output.numel()
    if isinstance(module, nn.modules.conv._ConvNd):
        kernel = 1
        for k in module.kernel_size:
            kernel *= k
        return per_image * (module.in_channels // module.groups) * kernel
    if isinstance(module, nn.Linear):
        return per_image * module.in_features
    return 0


# --------------------------------------------------------------------------- receptive field

_WINDOW_OPS = {"conv2d", "max_pool2d", "_max_pool2d", "max_pool2d_with_indices", "avg_pool2d"}
_ADAPTIVE_OPS = {"adaptive_avg_pool2d", "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices"}
_SLIDING_OPS = _WINDOW_OPS | _ADAPTIVE_OPS | {"conv_transpose2d", "pad"}  # their units can differ
_FLAT_OPS = {"linear", "flatten", "view", "reshape"}  # to a vector: each feature sees the whole image
_WEIGHT_OPS = {"conv2d", "linear"}  # with a learned weight: a layer of the network's depth
# ops that may add or drop dimensions of size 1 in front of the height and width, which stay last
_RESHAPE_OPS = {"view", "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "view_as", "reshape_as"}
# over the height and width together, these pool the whole map (as an adaptive pool to 1×1 does)
_REDUCTIONS = {"mean", "sum", "amax", "amin", "max", "min", "nanmean", "nansum", "prod", "std", "var",
               "logsumexp", "argmax", "argmin", "median", "nanmedian", "all", "any"}
_CONSTANT_OPS = {"new_zeros", "new_ones", "new_full", "new_empty", "new_tensor", "zeros_like", "ones_like",
                 "empty_like", "full_like", "rand_like", "randn_like", "randint_like"}  # no pixel in them
_PERMUTATIONS = {"transpose", "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "adjoint", "t",
                 "mT", "mH", "T", "H"}
_EVERY_DIM = object()  # the default of roll and take_along_dim: the tensor taken flat
# Ops that move, reorder or resample positions, which the tracker does not follow: what they do
# (it ends the sentence "flip in block1 …"), and where their dims argument is (None: whatever the
# dims) with its default. Only an op whose dims include the height or width moves positions.
_MOVES: dict[str, tuple[str, int | None, str | None, object]] = {
    "flip": ("mirrors the map", 1, "dims", _EVERY_DIM),
    "roll": ("shifts the map", 2, "dims", _EVERY_DIM),
    "rot90": ("rotates the map", 2, "dims", (0, 1)),
    **dict.fromkeys(("interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "grid_sample"),
                    ("resamples the map", None, None, None)),
    "pixel_shuffle": ("moves channels into pixels", None, None, None),
    "pixel_unshuffle": ("moves pixels into channels", None, None, None),
    "unfold": ("cuts the map into patches", None, None, None),
    "fold": ("puts patches together into a map", None, None, None),
    **dict.fromkeys(("sort", "argsort", "msort"), ("reorders pixels", 1, "dim", -1)),
    **dict.fromkeys(("topk", "kthvalue"), ("reorders pixels", 2, "dim", -1)),
    **dict.fromkeys(("index_select", "gather", "scatter", "scatter_add", "scatter_reduce", "index_add",
                     "index_copy", "index_fill"), ("picks pixels by index", 1, "dim", None)),
    "take_along_dim": ("picks pixels by index", 2, "dim", _EVERY_DIM),
    "select": ("picks one row or column", 1, "dim", None),
    "unbind": ("splits the map into rows or columns", 1, "dim", 0),
    **dict.fromkeys(("split", "chunk", "tensor_split", "split_with_sizes"), ("splits the map", 2, "dim", 0)),
    **dict.fromkeys(("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"),
                    ("accumulates along a row or column", 1, "dim", None)),
    **dict.fromkeys(("softmax", "log_softmax", "softmin"), ("mixes every pixel of a row or column", 1, "dim", 1)),
    "diff": ("subtracts neighbouring pixels", 2, "dim", -1),
    "cat": ("joins maps along the height or width", 1, "dim", 0),
}
_OP_TEXT = {"__getitem__": "indexing", "mT": ".mT", "mH": ".mH", "T": ".T", "H": ".H"}  # in a reason
_ACTIVATION_TYPES = {"ReLU", "ReLU6", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Mish", "Tanh", "Sigmoid",
                     "Hardswish", "Hardsigmoid"}
_ADD_OPS = {"add", "__add__", "__radd__", "add_", "__iadd__"}  # a residual add: x + F(x), out += identity


def _argument(args, kwargs, index: int, name: str, default):
    """The argument of a call at position ``index`` or keyword ``name``."""
    if name in kwargs:
        return kwargs[name]
    return args[index] if len(args) > index else default


def _window(func_name: str, args, kwargs) -> tuple[tuple[int, int], ...]:
    """(kernel, stride, padding, dilation) of a conv or pooling call, from its arguments."""
    argument = functools.partial(_argument, args, kwargs)
    if func_name == "conv2d":
        kernel = tuple(argument(1, "weight", None).shape[-2:])
        stride = _pair(argument(3, "stride", 1))
        dilation = _pair(argument(5, "dilation", 1))
        padding = argument(4, "padding", 0)
        if isinstance(padding, str):  # "valid", or "same": the extra row/column goes after
            padding = tuple(0 if padding == "valid" else d * (k - 1) // 2 for k, d in zip(kernel, dilation))
        return kernel, stride, _pair(padding), dilation
    kernel = _pair(argument(1, "kernel_size", None))
    stride = argument(2, "stride", None)
    stride = _pair(stride) if stride not in (None, []) else kernel
    dilation = _pair(argument(4, "dilation", 1)) if "max" in func_name else (1, 1)
    return kernel, stride, _pair(argument(3, "padding", 0)), dilation


def _exact(value: int | Fraction) -> int | Fraction:
    """A jump of whole pixels as an int: the JSON and the table show it."""
    return int(value) if value.denominator == 1 else value


class _NotFollowed(Exception):
    """An op moves positions in a way the receptive field is not followed through; the message
    says what it does (it ends the sentence "flip in block1 …")."""


@dataclass(frozen=True)
class _Unknown:
    """The field of a tensor downstream of an op the tracker does not follow: shown as unknown,
    never as a number that could be wrong. ``reason`` names the op and the layer it ran in."""

    reason: str


@dataclass(frozen=True)
class _Axis:
    """Where the units along one axis (height or width) of a feature map look on the input: unit
    ``i`` depends on input pixels ``starts[i]`` to ``ends[i] - 1``. Beyond the borders (in the
    padding) units continue at the step ``jump``, so a window reaching into the padding counts
    it, as the textbook's r += (k−1)·j does — which is why a receptive field can exceed the image.

    Units are followed one by one because they need not be alike: the windows of an adaptive pool
    whose sizes do not divide differ in size (8 → 6 pools windows of 2, 2 → 7 windows of 1 or 2).
    A transposed conv makes units less than a pixel apart: ``jump`` is then a fraction.
    """

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    jump: int | Fraction

    @classmethod
    def pixels(cls, n: int) -> _Axis:
        return cls(tuple(range(n)), tuple(range(1, n + 1)), 1)

    def __len__(self) -> int:
        return len(self.starts)

    @functools.cached_property
    def receptive_field(self) -> int:
        """The largest receptive field of any unit on this axis."""
        return max(end - start for start, end in zip(self.starts, self.ends))

    @functools.cached_property
    def step(self) -> int | None:
        """The largest distance, in input pixels, between the windows of neighbouring units (a lone
        unit: the jump; None where that is less than a pixel)."""
        return max((b - a for a, b in zip(self.starts, self.starts[1:])),
                   default=self.jump if self.jump.denominator == 1 else None)

    @functools.cached_property
    def monotone(self) -> bool:
        """Units further on start and end no earlier (all but a reflected or circular padding): the
        pixels of units a to b are then a's start to b's end."""
        s, e = self.starts, self.ends
        return all(a <= b for a, b in zip(s, s[1:])) and all(a <= b for a, b in zip(e, e[1:]))

    def _span(self, i: int) -> tuple[int, int]:
        if 0 <= i < len(self.starts):
            return self.starts[i], self.ends[i]
        edge = 0 if i < 0 else len(self.starts) - 1
        shift = (i - edge) * self.jump
        if shift.denominator != 1:
            raise _NotFollowed("reaches past the border of a map whose units are less than a pixel "
                               "apart (after a conv_transpose2d)")
        return self.starts[edge] + int(shift), self.ends[edge] + int(shift)

    def gather(self, sources, jump: int | Fraction) -> _Axis:
        """Output unit ``o`` depends on the input units ``sources[o]`` (in increasing order, maybe
        beyond the borders): it sees the pixels from the first one any of them sees to the last."""
        span = self._span
        if self.monotone:
            spans = [(span(units[0])[0], span(units[-1])[1]) for units in sources]
        else:
            spans = [(min(span(i)[0] for i in units), max(span(i)[1] for i in units)) for units in sources]
        return _Axis(tuple(s for s, _ in spans), tuple(e for _, e in spans), _exact(jump))

    def window(self, kernel: int, stride: int, padding: int, dilation: int, outputs: int) -> _Axis:
        """After a conv or pool: output ``o`` sees input units o·s − p to o·s − p + d·(k − 1)."""
        reach = dilation * (kernel - 1) + 1
        return self.gather((range(o * stride - padding, o * stride - padding + reach, dilation)
                            for o in range(outputs)), self.jump * stride)

    def adaptive(self, inputs: int, outputs: int) -> _Axis:
        """After an adaptive pool, whose output ``i`` pools input units ⌊i·n/o⌋ to ⌈(i+1)·n/o⌉ − 1
        (PyTorch's windows). Beyond the borders it steps as a pool of stride ⌊n/o⌋ would."""
        windows = (range(i * inputs // outputs, -(-(i + 1) * inputs // outputs)) for i in range(outputs))
        return self.gather(windows, self.jump * max(inputs // outputs, 1))

    def select(self, units: range) -> _Axis:
        """After slicing ``x[..., a:b:s]`` or ``narrow``: the units ``units`` of this axis."""
        return self.gather(((i,) for i in units), self.jump * units.step)

    def padded(self, before: int, after: int, mode: str) -> _Axis:
        """After ``F.pad``: a constant pads as a conv's zero padding does (negative pads crop); the
        others repeat input units, whose pixels the padding then depends on."""
        n = len(self.starts)
        source = {"constant": lambda i: i, "replicate": lambda i: min(max(i, 0), n - 1),
                  "reflect": lambda i: abs(i) if i < n else 2 * (n - 1) - i,
                  "circular": lambda i: i % n}.get(mode)
        if source is None:
            raise _NotFollowed(f"pads in mode {mode!r}")
        return self.gather(((source(i),) for i in range(-before, n + after)), self.jump)

    def transposed(self, kernel: int, stride: int, padding: int, dilation: int, outputs: int) -> _Axis:
        """After a transposed conv, where input unit ``i`` adds its kernel to outputs i·s − p + d·k
        (k < kernel): output ``o`` depends on the input units that reach it (none beyond the
        borders: a transposed conv's padding crops its output)."""
        n = len(self.starts)
        sources = []
        for o in range(outputs):
            reached = (o + padding - dilation * k for k in range(kernel - 1, -1, -1))
            units = [t // stride for t in reached if t % stride == 0 and 0 <= t // stride < n]
            if not units:
                raise _NotFollowed(f"leaves output {o} that no input unit reaches (its stride "
                                   f"{stride} is larger than the kernel's reach)")
            sources.append(units)
        return self.gather(sources, Fraction(self.jump) / stride)

    def covering(self, pixels: int) -> _Axis:
        """One unit that sees every unit of this axis — on the image (an axis of ``pixels``): a
        feature of a flat vector sees the image, not the padding."""
        start = max(0, min(self.starts))
        return _Axis((start,), (max(start, min(pixels, max(self.ends))),), self.jump)


def _both_axes(height: _Axis, width: _Axis, move, along_height: tuple, along_width: tuple):
    """``move`` applied to each axis. A square map's two axes are one object (the tracker starts
    a square image so): moved alike, it is moved once, and the result is again one object."""
    moved = move(height, *along_height)
    if width is height and along_width == along_height:
        return moved, moved
    return moved, move(width, *along_width)


# Ops whose meta kernel PyTorch runs as a Python decomposition (a quarter to a third of a
# millisecond a call: most of the analysis time of a ResNet or of the course's small nets) only
# to find a shape that is plain. Each gives that shape, or runs the op where it is not sure.

def _batch_norm_shape(func, input, running_mean=None, running_var=None, weight=None, *args, **kwargs):
    """Batch norm keeps the shape. Same check, same message."""
    features = next((t.shape[0] for t in (running_mean, weight) if isinstance(t, torch.Tensor)), None)
    if features is not None and input.dim() > 1 and input.shape[1] != features:
        raise RuntimeError(f"running_mean should contain {input.shape[1]} elements not {features}")
    return torch.empty_like(input)


def _relu_shape(func, input, *args, **kwargs):
    """A ReLU keeps the shape; in place it returns its input, as PyTorch's does (and is fast)."""
    inplace = kwargs.get("inplace", args[0] if args else False)  # F.relu(x, inplace); torch.relu(x)
    if inplace or not input.is_floating_point():
        return func(input, *args, **kwargs)
    return torch.empty_like(input)


def _linear_shape(func, input, weight, bias=None):
    """(…, in) @ (out, in)ᵀ + (out,) is (…, out); anything else is PyTorch's to refuse."""
    if (input.dim() >= 1 and weight.dim() == 2 and input.shape[-1] == weight.shape[1]
            and input.dtype == weight.dtype
            and (bias is None or (bias.shape == weight.shape[:1] and bias.dtype == weight.dtype))):
        return input.new_empty((*input.shape[:-1], weight.shape[0]))
    return func(input, weight, bias)


_META_SHAPES = {"batch_norm": _batch_norm_shape, "relu": _relu_shape, "linear": _linear_shape}


# Ops that slide over feature maps. The analysis always passes a batch, so their input has 4
# dimensions; PyTorch would also take 2 or 3 (an unbatched map): a flat (1, 64) vector's "global
# average pool" then averages the batch in, and the network seems to fit.
_FEATURE_MAP_OPS = {"conv2d", "max_pool2d", "max_pool2d_with_indices", "avg_pool2d", "lp_pool2d",
                    "adaptive_avg_pool2d", "adaptive_max_pool2d"}


def _run_op(func, args, kwargs):
    """The op's result: on meta tensors, a plain shape by its formula (:data:`_META_SHAPES`).
    Refused where PyTorch would mix the batch into the other dimensions (batch 1 hides it)."""
    name = _op_name(func)
    if name in _FEATURE_MAP_OPS:
        image = args[0] if args else kwargs.get("input")
        if isinstance(image, torch.Tensor) and image.dim() != 4:
            raise RuntimeError(f"{name} needs a batch of C×H×W feature maps; its input has "
                               f"{image.dim()} dimensions {tuple(image.shape)}")
    if name in _ADD_OPS:
        ranks = {t.dim() for t in args[:2] if isinstance(t, torch.Tensor)}
        if len(ranks) == 2 and min(ranks) >= 2:  # a batch of vectors broadcast onto a batch of maps
            raise RuntimeError(f"{name} of tensors with {' and '.join(map(str, sorted(ranks)))} dimensions")
    shape_of = _META_SHAPES.get(name)
    if shape_of is not None and all(t.is_meta for t in _tensors_in((args, kwargs))):
        return shape_of(func, *args, **kwargs)
    return func(*args, **kwargs)


class _ShapesOnly(TorchFunctionMode):
    """Only the shapes, fast: whether an input fits needs no rows and no receptive fields. Without
    their hooks and tracking a probe is 2–3× cheaper on a ResNet that runs to the end, over 100×
    on a large network that fails at its first layers (the hooks are set on every module)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        return _run_op(func, args, kwargs or {})


class _NoInitOnMeta(TorchFunctionMode):
    """Building on the meta device, skip the weights' initialisation: a meta tensor has no values
    to set, yet PyTorch's random fills run there as Python decompositions (70% of building VGG-16).
    The fills leave every shape as it is, so the model is the same."""

    FILLS = {"uniform_", "normal_", "trunc_normal_", "zero_", "fill_", "erfinv_", "kaiming_uniform_",
             "kaiming_normal_", "xavier_uniform_", "xavier_normal_", "constant_", "ones_", "zeros_"}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        target = args[0] if args else kwargs.get("tensor")
        if getattr(func, "__name__", "") in self.FILLS and isinstance(target, torch.Tensor) and target.is_meta:
            return target
        return func(*args, **kwargs)


def _op_name(func) -> str:
    """The op's name; a property (``x.mT``) is called through its ``__get__``."""
    name = getattr(func, "__name__", "")
    if name == "__get__":
        return getattr(getattr(func, "__self__", None), "__name__", name)
    return name


def _dims(value, ndim: int) -> set[int]:
    """The dimensions a dims argument names (an int or a sequence of them), counted from 0."""
    if value is _EVERY_DIM or value is None:
        return set(range(ndim))
    dims = value if isinstance(value, (list, tuple, torch.Size)) else (value,)
    if not all(isinstance(d, int) for d in dims):
        raise _NotFollowed("names its dimensions")
    return {d % ndim for d in dims}


def _spatial_slices(index, shape: Shape) -> tuple[range | None, range | None]:
    """The units ``x[index]`` keeps along the height and the width (None: all of them), for an
    index of ints, slices, None and ``...`` — and integer tensors in front of the height. Anything
    else that touches the height or width raises _NotFollowed."""
    ndim = len(shape)
    items = list(index) if isinstance(index, tuple) else [index]
    consumed = sum(1 for item in items if item is not None and item is not Ellipsis)
    ellipsis = [i for i, item in enumerate(items) if item is Ellipsis]
    fill = [slice(None)] * (ndim - consumed)
    items = items[:ellipsis[0]] + fill + items[ellipsis[0] + 1:] if ellipsis else items + fill
    picked: dict[int, range] = {}
    dim = 0
    for item in items:
        if item is None:
            if dim > ndim - 2:
                raise _NotFollowed("adds a dimension next to the height or width")
            continue
        if dim >= ndim - 2:
            if isinstance(item, slice):
                units = range(*item.indices(shape[dim]))
                if units != range(shape[dim]):
                    picked[dim] = units
            elif isinstance(item, int) and not isinstance(item, bool):
                raise _NotFollowed("picks one row or column")
            else:
                raise _NotFollowed("picks pixels by index")
        elif isinstance(item, bool) or (isinstance(item, torch.Tensor) and item.dtype == torch.bool):
            raise _NotFollowed("picks pixels with a mask")
        dim += 1
    return picked.get(ndim - 2), picked.get(ndim - 1)


def _moved_dims(func, args, kwargs, ndim: int) -> tuple[int, int]:
    """Which input dimensions become the output's last two in a permutation (transpose, permute
    …): the op run on a meta tensor whose sizes number the dimensions."""
    probe = func(torch.empty(tuple(range(2, ndim + 2)), device="meta"), *args[1:], **kwargs)
    return probe.shape[-2] - 2, probe.shape[-1] - 2


class _CallFlow:
    """The data flow inside one container call, from its input to its output through its child
    calls and its own functional ops (not through what runs inside a child): enough to tell, at the
    add that joins two paths from its input, which children each path went through."""

    def __init__(self, inputs: list[torch.Tensor]):
        self.input_ids = {id(t) for t in inputs}
        # (child call, or None for an op; its name; ids of its tensor inputs; ids of its outputs)
        self.steps: list[tuple[int | None, str, tuple[int, ...], tuple[int, ...]]] = []
        self.children = 0  # child calls so far
        self.joins: list[tuple[int, int, tuple[int, ...]]] = []  # (step, children before it, operands)

    def record_op(self, name: str, inputs: list[torch.Tensor], outputs: list[torch.Tensor]) -> None:
        operands = tuple(id(t) for t in inputs)
        if name in _ADD_OPS and len(set(operands)) == 2:
            self.joins.append((len(self.steps), self.children, operands))
        self.steps.append((None, name, operands, tuple(id(t) for t in outputs)))

    def record_call(self, row: LayerRow, inputs, output) -> None:
        # in the block's expression an activation reads as its function (relu), whatever its name
        shown = row.type.lower() if row.type in _ACTIVATION_TYPES else row.name.rsplit(".", 1)[-1]
        self.steps.append((self.children, shown, tuple(id(t) for t in _tensors_in(inputs)),
                           tuple(id(t) for t in _tensors_in(output))))
        self.children += 1

    def _upstream(self, tensor: int, before: int) -> tuple[set[int], list[int], bool]:
        """The child calls and the steps a tensor came through since the call's input (steps, in
        run order), and whether it comes from that input. An in-place op's output keeps its input's
        id, so each tensor is looked up among the steps before the one that took it."""
        children, through, from_input = set(), set(), False
        pending, seen = [(tensor, before)], set()
        while pending:
            wanted = pending.pop()
            if wanted in seen:
                continue
            seen.add(wanted)
            tensor, before = wanted
            step = next((i for i in range(before - 1, -1, -1) if tensor in self.steps[i][3]), None)
            if step is None:
                from_input |= tensor in self.input_ids
                continue
            child, _, inputs, _ = self.steps[step]
            if child is not None:
                children.add(child)
            through.add(step)
            pending += [(t, step) for t in inputs]
        return children, sorted(through), from_input

    def skip_connection(self) -> SkipConnection | None:
        """The call's one add of two paths from its input, if it has exactly one. The shortcut is
        the path through fewer child calls (x itself through none); of two alike, the second
        operand, as in F(x) + shortcut(x). Paths sharing a child (a fork inside the block) give None."""
        if len(self.joins) != 1:
            return None
        step, children_before, operands = self.joins[0]
        paths = [self._upstream(t, step) for t in operands]
        if not all(from_input for _, _, from_input in paths):
            return None
        main, shortcut = sorted(paths, key=lambda path: len(path[0]), reverse=True)  # stable: ties keep order
        if main[0] & shortcut[0]:
            return None
        skipped = "x"
        for i in shortcut[1]:
            _, name, _, _ = self.steps[i]
            skipped = f"{skipped}[…]" if name == "__getitem__" else f"{name}({skipped})"
        expression, sum_ids = f"F(x) + {skipped}", set(self.steps[step][3])
        for _, name, inputs, outputs in self.steps[step + 1:]:  # what runs on the sum: torchvision's last ReLU
            if sum_ids.intersection(inputs):
                expression, sum_ids = f"{name}({expression})", set(outputs)
        return SkipConnection(shortcut=tuple(sorted(shortcut[0])), add_after=children_before,
                              expression=expression)


class _ShapeTracker(TorchFunctionMode):
    """Follows receptive fields through every tensor op, and remembers the op that failed.

    A tensor computed from no tracked tensor (a weight, a buffer, a constant) has no field: no
    pixel reaches it. An op that moves positions in a way not followed makes the field unknown,
    from there on."""

    def __init__(self, image_hw: tuple[int, int]):
        super().__init__()
        self.image_hw = image_hw
        height = _Axis.pixels(image_hw[0])  # a square image's axes are one object: see _both_axes
        self.image = (height, height if image_hw[1] == image_hw[0] else _Axis.pixels(image_hw[1]))
        self.fields: dict[int, tuple[_Axis, _Axis] | _Unknown] = {}
        self.weight_depths: dict[int, int] = {}  # weight layers on the longest path to a tensor
        self.keep: list[torch.Tensor] = []  # ids stay unique while the analysis runs
        self.failed_op: tuple[str, list[Shape]] | None = None
        self.open_rows: list[LayerRow] = []  # the module calls running: where an op runs
        self.flows: list[_CallFlow | None] = []  # beside open_rows: the data flow in each (None in a leaf)

    def field_of(self, tensor) -> tuple[_Axis, _Axis] | _Unknown:
        """The (height, width) axes of ``tensor``'s units; the input image's pixels by default."""
        return self.fields.get(id(tensor), self.image)

    def track(self, tensor: torch.Tensor, field: tuple[_Axis, _Axis] | _Unknown) -> None:
        self.fields[id(tensor)] = field
        self.keep.append(tensor)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = _op_name(func)
        try:
            result = _run_op(func, args, kwargs)
        except Exception:
            if self.failed_op is None:
                shapes = [tuple(a.shape[1:]) for a in _tensors_in((args, kwargs)) if a.dim() > 1]
                self.failed_op = (getattr(func, "__name__", str(func)), shapes)
            raise
        if not isinstance(result, (torch.Tensor, tuple, list)) or name in _CONSTANT_OPS:
            return result  # .shape, .dim(), .numel() ...
        outputs = list(_tensors_in(result))
        # x.expand_as(y) takes only y's shape
        operands = args[:1] if name.endswith("_as") else (args, *kwargs.values()) if kwargs else args
        inputs = [t for t in _tensors_in(operands) if id(t) in self.fields]
        if not outputs or not inputs:
            return result
        try:
            field = self._follow(name, func, args, kwargs, inputs, outputs)
        except Exception as error:  # _NotFollowed, or arguments it cannot read: never a guess
            where = self.open_rows[-1].name if self.open_rows else "the network's forward"
            what = error if isinstance(error, _NotFollowed) else "has arguments the analysis does not read"
            field = _Unknown(f"{_OP_TEXT.get(name, name)} in {where} {what}")
        learned = name in _WEIGHT_OPS and isinstance(_argument(args, kwargs, 1, "weight", None), nn.Parameter)
        depth = max(self.weight_depths.get(id(t), 0) for t in inputs) + learned
        for tensor in outputs:
            self.track(tensor, field)
            self.weight_depths[id(tensor)] = depth
        if self.flows and self.flows[-1] is not None:
            self.flows[-1].record_op(name, inputs, outputs)
        return result

    def _follow(self, name, func, args, kwargs, inputs, outputs) -> tuple[_Axis, _Axis] | _Unknown:
        """The field of the op's outputs from the fields of its tracked inputs.

        Invariant: a field of more than one unit has as many units as its tensor's last two
        dimensions. One of a single unit (a vector's, a 1×1 map's) is the same for every value of
        its tensor, whatever its shape, so ops that move values about keep it."""
        fields = [self.field_of(t) for t in inputs]
        unknown = next((f for f in fields if isinstance(f, _Unknown)), None)
        if unknown is not None:
            return unknown
        x, out = inputs[0], outputs[0]
        if name in _FLAT_OPS and out.dim() < 3:
            height, width = _widest(fields)
            return _both_axes(height, width, _Axis.covering, (self.image_hw[0],), (self.image_hw[1],))
        if all(len(h) == len(w) == 1 for h, w in fields):
            if name not in _SLIDING_OPS:
                return _widest(fields)
            if tuple(x.shape[-2:]) != (1, 1):
                raise _NotFollowed("slides over a map expanded from a vector or a 1×1 map")
        if len({id(t) for t in inputs}) > 1 and (name in _SLIDING_OPS or name in ("narrow", "__getitem__")):
            raise _NotFollowed("takes a second tensor computed from the input")
        height, width = fields[0]
        ndim = x.dim()
        # a global pool's unit, like a flat vector's feature, sees the whole image (not the padding
        # of the maps before it), so ResNet's last maps keep the familiar 435, its pooled vector 224
        def whole_image():
            return _both_axes(height, width, _Axis.covering, (self.image_hw[0],), (self.image_hw[1],))

        if name in _ADAPTIVE_OPS:
            (n_h, n_w), (o_h, o_w) = x.shape[-2:], out.shape[-2:]
            axes = whole_image() if (o_h, o_w) == (1, 1) else \
                _both_axes(height, width, _Axis.adaptive, (n_h, o_h), (n_w, o_w))
        elif name in _WINDOW_OPS:
            (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _window(name, args, kwargs)
            o_h, o_w = out.shape[-2:]
            axes = _both_axes(height, width, _Axis.window, (kh, sh, ph, dh, o_h), (kw, sw, pw, dw, o_w))
        elif name == "conv_transpose2d":
            kh, kw = _argument(args, kwargs, 1, "weight", None).shape[-2:]
            (sh, sw), (ph, pw), (dh, dw) = (_pair(_argument(args, kwargs, i, key, default)) for i, key, default
                                            in ((3, "stride", 1), (4, "padding", 0), (7, "dilation", 1)))
            o_h, o_w = out.shape[-2:]
            axes = _both_axes(height, width, _Axis.transposed, (kh, sh, ph, dh, o_h), (kw, sw, pw, dw, o_w))
        elif name == "pad":
            pad = tuple(_argument(args, kwargs, 1, "pad", ())) + (0, 0, 0, 0)
            mode = _argument(args, kwargs, 2, "mode", "constant")
            axes = _both_axes(height, width, _Axis.padded, (pad[2], pad[3], mode), (pad[0], pad[1], mode))
        elif name in ("__getitem__", "narrow"):
            if name == "narrow":
                dim, start, length = (int(_argument(args, kwargs, i, key, None))
                                      for i, key in ((1, "dim"), (2, "start"), (3, "length")))
                start = start % x.shape[dim]
                kept = {dim % ndim: range(start, start + length)}
                rows, cols = kept.get(ndim - 2), kept.get(ndim - 1)
            else:
                rows, cols = _spatial_slices(args[1], tuple(x.shape))
            axes = (height if rows is None else height.select(rows),
                    width if cols is None else width.select(cols))
        elif name in _REDUCTIONS and not isinstance(_argument(args, kwargs, 1, "other", None), torch.Tensor):
            dim = _argument(args, kwargs, 1, "dim", kwargs.get("axis"))
            reduced = _dims(None if isinstance(dim, bool) or dim == () else dim, ndim) & {ndim - 2, ndim - 1}
            if len(reduced) == 2:
                axes = whole_image()
            elif reduced:
                raise _NotFollowed("reduces the height or the width alone")
            else:
                axes = height, width
        elif name == "linear":
            raise _NotFollowed("mixes the pixels of each row")
        elif name in _PERMUTATIONS and _moved_dims(func, args, kwargs, ndim) != (ndim - 2, ndim - 1):
            # swapped, the height would follow the image's width: which the table's h×w shows is unclear
            raise _NotFollowed("moves the height or width")
        else:
            axes = _elementwise(name, args, kwargs, x, out, fields)
        units = (len(axes[0]), len(axes[1]))
        if 0 in units:
            raise _NotFollowed("leaves an empty map")
        for tensor in outputs:
            if tensor.dim() < 3 and units != (1, 1):
                raise _NotFollowed("turns the map into a vector")
            if tensor.dim() >= 3 and units != tuple(tensor.shape[-2:]):
                raise _NotFollowed("changes the map's size")
        return axes


def _widest(fields: list[tuple[_Axis, _Axis]]) -> tuple[_Axis, _Axis]:
    return max(fields, key=lambda f: f[0].receptive_field * f[1].receptive_field)


def _elementwise(name, args, kwargs, x, out, fields) -> tuple[_Axis, _Axis]:
    """An op that keeps every position (ReLU, add, a concat along the channels): each unit sees
    what the same unit of its inputs sees — the widest input's (a concat's units are those of its
    branches). Ops in :data:`_MOVES` that act along the height or width raise _NotFollowed."""
    ndim = x.dim()
    if name in _MOVES:
        what, position, keyword, default = _MOVES[name]
        dims = set(range(ndim)) if position is None else \
            _dims(_argument(args, kwargs, position, keyword, default), ndim)
        if dims & {ndim - 2, ndim - 1}:
            raise _NotFollowed(what)
    if name == "stack" and int(_argument(args, kwargs, 1, "dim", 0)) % (ndim + 1) >= ndim - 1:
        raise _NotFollowed("stacks maps along the height or width")
    if out.dim() >= 3 and out.dim() != ndim and name not in _RESHAPE_OPS and name != "stack":
        raise _NotFollowed("changes the map's dimensions")
    if len({(len(h), len(w)) for h, w in fields}) > 1:
        raise _NotFollowed("broadcasts a smaller map over a larger one")
    return _widest(fields)


def _tensors_in(obj):
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _tensors_in(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _tensors_in(item)


# --------------------------------------------------------------------------- the analysis


def _untracked(hook):
    """A hook reads shapes and counts parameters, nothing for the tracker to follow; through its
    ``__torch_function__`` each ``.shape`` or ``.numel()`` would cost microseconds, ten thousand
    times over the zoo."""
    @functools.wraps(hook)
    def run(*args):
        with torch._C.DisableTorchFunction():
            return hook(*args)
    return run


class _Recorder:
    """Forward hooks that turn module calls into rows."""

    def __init__(self, model: nn.Module, tracker: _ShapeTracker):
        self.tracker = tracker
        self.rows: list[LayerRow] = []
        self.stack: list[LayerRow] = []
        self.calls: dict[int, LayerRow] = {}  # id(module) -> its first row
        self.names = {id(module): name for name, module in model.named_modules() if name}
        self.depths = {name: name.count(".") + 1 for name in self.names.values()}
        self.handles = []
        for module in model.modules():
            if id(module) in self.names:
                self.handles.append(module.register_forward_pre_hook(self.before))
                self.handles.append(module.register_forward_hook(self.after))

    @_untracked
    def before(self, module, inputs):
        name = self.names[id(module)]
        first = self.calls.get(id(module))
        tensors = list(_tensors_in(inputs))
        row = LayerRow(
            name=name, type=type(module).__name__, depth=self.depths[name],
            parent=name.rsplit(".", 1)[0] if "." in name else None,
            is_leaf=not any(True for _ in module.children()),
            hyper=hyper_parameters(module),
            input_shape=tuple(tensors[0].shape[1:]) if tensors else None,
            call_index=0 if first is None else first.call_index + 1,
            shared_with=None if first is None else first.name,
            failed=True,  # until the forward hook says otherwise
        )
        if first is None:
            self.calls[id(module)] = row
        self.rows.append(row)
        self.stack.append(row)
        self.tracker.flows.append(None if row.is_leaf else _CallFlow(tensors))

    @_untracked
    def after(self, module, inputs, output):
        row = self.stack.pop()
        row.failed = False
        flow = self.tracker.flows.pop()
        if flow is not None:
            row.skip = flow.skip_connection()
        if self.tracker.flows and self.tracker.flows[-1] is not None:
            self.tracker.flows[-1].record_call(row, inputs, output)
        tensors = list(_tensors_in(output))
        if tensors:
            out = tensors[0]
            row.output_shape = tuple(out.shape[1:])
            row.activation_size = sum(_prod(t.shape[1:]) for t in tensors)  # shapes: no op to follow
            field = self.tracker.field_of(out)
            if isinstance(field, _Unknown):
                row.receptive_field_unknown = field.reason
            else:
                height, width = field
                row.receptive_field = (height.receptive_field, width.receptive_field)
                if len(row.output_shape) == 3 and None not in (height.step, width.step):
                    row.jump = (height.step, width.step)
            if row.is_leaf:
                row.macs = layer_macs(module, out)
                row.flops = 2 * row.macs
        _count_parameters(row, module)

    def close(self):
        for handle in self.handles:
            handle.remove()


def _add_unreached(model: nn.Module, rows: list[LayerRow]) -> None:
    """Rows, in place, for the modules the failed forward never called: each after the rows of its
    parent's subtree (at the end for a child of the network), so that they nest as if they had run."""
    subtree_end: dict[str, int] = {}  # a module that ran -> the index after its subtree's last row
    for i, row in enumerate(rows):
        parts = row.name.split(".")
        for k in range(1, len(parts) + 1):
            subtree_end[".".join(parts[:k])] = i + 1
    before: dict[str, int] = {}  # an unreached module -> the index of the row it goes before
    unreached: dict[int, list[LayerRow]] = {}
    for name, module in model.named_modules():  # parents before their children
        if not name or name in subtree_end:
            continue
        parent = name.rsplit(".", 1)[0] if "." in name else None
        before[name] = len(rows) if parent is None else before[parent] if parent in before else subtree_end[parent]
        row = LayerRow(name=name, type=type(module).__name__, depth=name.count(".") + 1, parent=parent,
                       is_leaf=not any(True for _ in module.children()), hyper=hyper_parameters(module),
                       reached=False)
        _count_parameters(row, module)
        unreached.setdefault(before[name], []).append(row)
    rows[:] = [row for i in range(len(rows) + 1) for row in (*unreached.get(i, ()), *rows[i:i + 1])]


def call_nesting(rows: list[LayerRow]) -> Iterator[tuple[LayerRow, tuple[LayerRow, ...]]]:
    """Each row with the container calls it ran inside, outermost first (rows are in call order)."""
    open_containers: list[LayerRow] = []
    for row in rows:
        while open_containers and not row.name.startswith(open_containers[-1].name + "."):
            open_containers.pop()
        yield row, tuple(open_containers)
        if not row.is_leaf:
            open_containers.append(row)


def _roll_up_macs(rows: list[LayerRow]) -> None:
    """A container's MACs are the sum of its calls' leaves."""
    for row, containers in call_nesting(rows):
        if row.is_leaf:
            for container in containers:
                container.macs += row.macs
                container.flops += row.flops


def propagate(model: nn.Module, input_shape: Shape) -> tuple[list[LayerRow], BaseException | None,
                                                             _ShapeTracker, torch.Tensor | None]:
    """Run ``model`` (on the meta device) on one image of ``input_shape``; rows and the error."""
    tracker = _ShapeTracker(image_hw=tuple(input_shape[1:3]) if len(input_shape) >= 3 else (1, 1))
    recorder = _Recorder(model, tracker)
    tracker.open_rows = recorder.stack
    error = None
    output = None
    try:
        with tracker, torch.no_grad():
            x = torch.zeros((1, *input_shape), device="meta")
            tracker.track(x, tracker.image)
            output = model(x)
    except Exception as exc:  # a network that does not fit: diagnosed, never raised
        error = exc
    finally:
        recorder.close()
    return recorder.rows, error, tracker, output


def analyze_model(model: nn.Module | Callable[[], nn.Module], input_shape: Shape, model_id: str = "custom",
                  title: str | None = None, diagnose: bool = True) -> Analysis:
    """The layer table of ``model`` on one image of ``input_shape`` (C, H, W).

    ``model`` may be a builder; it is then built on the meta device (nothing allocated). A model
    already built is moved to the meta device (a copy: the caller's weights are untouched).
    """
    model = _on_meta(model)
    model.eval()
    input_shape = tuple(int(v) for v in input_shape)
    rows, error, tracker, output = propagate(model, input_shape)
    for row in rows:  # the layers that failed still have their parameters: show them
        if row.failed:
            _count_parameters(row, model.get_submodule(row.name))
    if error is not None:
        _add_unreached(model, rows)
    _count_tied_tensors_once(model, rows)
    _roll_up_macs(rows)
    unique = {id(p): p for p in model.parameters()
              if not isinstance(p, nn.parameter.UninitializedParameter)}
    total_params = sum(p.numel() for p in unique.values())
    leaves = [row for row in rows if row.is_leaf and not row.failed and row.reached]
    diagnosis = None
    if error is not None:
        diagnosis = diagnose_failure(model, input_shape, rows, error, tracker) if diagnose else \
            Diagnosis(_failed_layer(rows), _one_line(error), "", (_one_line(error), ""))
    out_tensors = list(_tensors_in(output)) if output is not None else []
    receptive_field, unknown = _network_receptive_field(out_tensors, leaves, tracker)
    return Analysis(
        model_id=model_id,
        title=title or model_id,
        input_shape=input_shape,
        rows=rows,
        total_params=total_params,
        trainable_params=sum(p.numel() for p in unique.values() if p.requires_grad),
        total_buffers=sum(b.numel() for n, b in model.named_buffers()
                          if not n.endswith("num_batches_tracked")),
        total_macs=sum(row.macs for row in leaves),
        total_flops=sum(row.flops for row in leaves),
        activation_memory_bytes=BYTES_PER_VALUE * sum(row.activation_size for row in leaves),
        param_memory_bytes=BYTES_PER_VALUE * total_params,
        output_shape=tuple(out_tensors[0].shape[1:]) if out_tensors else None,
        receptive_field=receptive_field,
        diagnosis=diagnosis,
        model_type=type(model).__name__,
        receptive_field_unknown=unknown,
        network_depth=None if error is not None else
        max((tracker.weight_depths.get(id(t), 0) for t in out_tensors), default=0),
    )


def _network_receptive_field(outputs, leaves, tracker) -> tuple[tuple[int, int] | None, str | None]:
    """The largest of a unit of the output when it is a feature map of more than one unit, else of
    the widest map of more than one unit (a global pool's 1×1 map sees the whole image, which says
    nothing of the network), else of the widest map — and, where the field was not followed to the
    end, None and why."""
    field = tracker.field_of(outputs[0]) if outputs else None
    if isinstance(field, _Unknown):
        return None, field.reason
    unknown = next((row.receptive_field_unknown for row in leaves if row.receptive_field_unknown), None)
    if unknown is not None:
        return None, unknown
    if outputs and outputs[0].dim() == 4 and outputs[0].shape[-2] * outputs[0].shape[-1] > 1:
        height, width = field
        return (height.receptive_field, width.receptive_field), None
    maps = [row for row in leaves if row.output_shape and len(row.output_shape) == 3]
    fields = [row.receptive_field for row in maps if row.output_shape[1] * row.output_shape[2] > 1] or \
        [row.receptive_field for row in maps]
    return (max(fields, key=lambda f: f[0] * f[1]) if fields else None), None


def _on_meta(model: nn.Module | Callable[[], nn.Module]) -> nn.Module:
    if isinstance(model, nn.Module):
        tensors = [*model.parameters(), *model.buffers()]
        if any(t.device.type != "meta" for t in tensors):
            # A copy whose tensors are meta ones, each shared tensor still shared: ``.to("meta")``
            # gave each module its own copy of a tied weight (counted twice), after deepcopy had
            # copied every value (VGG-16: 0.55 GB) only to drop it. A lazy layer's tensors too: left
            # on the CPU, they were created there on the first call and failed beside meta ones.
            return copy.deepcopy(model, {id(t): _meta_twin(t) for t in tensors})
        return model
    with torch.device("meta"), _NoInitOnMeta():
        return model()


def _meta_twin(tensor: torch.Tensor) -> torch.Tensor:
    """An empty meta tensor of the same kind: parameter or buffer, lazy or not."""
    if isinstance(tensor, nn.parameter.UninitializedParameter):
        return nn.parameter.UninitializedParameter(requires_grad=tensor.requires_grad, device="meta")
    if isinstance(tensor, nn.parameter.UninitializedBuffer):
        return nn.parameter.UninitializedBuffer(requires_grad=tensor.requires_grad, device="meta")
    if isinstance(tensor, nn.Parameter):
        return nn.Parameter(torch.empty_like(tensor, device="meta"), requires_grad=tensor.requires_grad)
    return torch.empty_like(tensor, device="meta")


@functools.lru_cache(maxsize=256)
def analyze_architecture(arch_id: str, input_shape: Shape | None = None,
                         num_classes: int | None = None) -> Analysis:
    """The layer table of a zoo entry, at its default input unless another is given.

    Cached: the page asks again on every rerun. Treat the result as read-only.
    """
    arch = get_architecture(arch_id)
    shape = tuple(input_shape) if input_shape else arch.input_shape
    in_channels = shape[0] if arch.configurable else None
    classes = num_classes if arch.configurable else None
    return analyze_model(
        functools.partial(arch.build, in_channels=in_channels, num_classes=classes),
        shape, model_id=arch.id, title=arch.title,
    )


# --------------------------------------------------------------------------- diagnosis


def _one_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _failed_layer(rows: list[LayerRow]) -> str:
    failed = [row for row in rows if row.failed]
    return failed[-1].name if failed else "(input)"


def _times(shape: Shape) -> str:
    return "×".join(str(v) for v in shape)


# A feature map or an input in a diagnosis is marked while it is written, and each order writes it its way.
_MAP = re.compile("\ue000(\\d+)×(\\d+)×(\\d+)\ue001")


def _map(shape: Shape) -> str:
    """A C×H×W shape in a diagnosis's words; other shapes are written as they are."""
    return f"\ue000{_times(shape)}\ue001" if len(shape) == 3 else _times(shape)


def _diagnosis(layer: str, message: str, suggestion: str) -> Diagnosis:
    def worded(text: str, order: str) -> str:
        return _MAP.sub(lambda m: "×".join(m.group(2, 3, 1) if order == "textbook" else m.group(1, 2, 3)), text)
    return Diagnosis(layer, worded(message, "pytorch"), worded(suggestion, "pytorch"),
                     (worded(message, "textbook"), worded(suggestion, "textbook")))


def _modules_by_name(model: nn.Module) -> dict[str, nn.Module]:
    return dict(model.named_modules())


def _fits(model: nn.Module, input_shape: Shape) -> bool:
    """Whether ``model`` (on the meta device) runs on one image of ``input_shape``, as in :func:`propagate`."""
    try:
        with _ShapesOnly(), torch.no_grad():
            model(torch.zeros((1, *input_shape), device="meta"))
    except Exception:  # any failure: this input does not fit
        return False
    return True


def _fitting_input(model: nn.Module, input_shape: Shape, larger: bool = False) -> Shape | None:
    """The square input nearest to ``input_shape`` that the network accepts, if one is near;
    with ``larger``, the smallest larger one (a window that does not fit needs more pixels)."""
    channels, height = input_shape[0], input_shape[1]
    for delta in range(1, 257):
        for size in (height + delta,) if larger else (height + delta, height - delta):
            if 1 <= size <= 1024 and _fits(model, (channels, size, size)):
                return (channels, size, size)
    return None


class _Reached(Exception):
    """Stops a probe at the layer whose input it measures."""

    def __init__(self, features: int):
        super().__init__(features)
        self.features = features


def _features_into(model: nn.Module, input_shape: Shape, linear: nn.Module) -> int:
    """The features per image that reach ``linear`` at ``input_shape`` (0 where the input fails before it)."""
    def measure(_module, inputs):
        raise _Reached(inputs[0].shape[-1])

    handle = linear.register_forward_pre_hook(measure)
    try:
        with _ShapesOnly(), torch.no_grad():
            model(torch.zeros((1, *input_shape), device="meta"))
    except _Reached as reached:
        return reached.features
    except Exception:  # any failure before it: this input does not reach it
        return 0
    finally:
        handle.remove()
    return 0  # the forward ran to its end without calling it


def _input_for_features(model: nn.Module, input_shape: Shape, linear: nn.Linear) -> Shape | None:
    """The smallest square input that gives ``linear`` its in_features, found by bisection however
    far ``input_shape`` is from it (LeNet-5 at 2000×2000 needs 32×32 to 35×35): the maps after convs
    and pools grow with the input, and so do the features they flatten into. Checked by a probe,
    so a network where they do not grow (an adaptive pool) gets no suggestion rather than a wrong one."""
    channels, height = input_shape[0], input_shape[1]
    low, high = 1, max(height, 4096)
    if _features_into(model, (channels, high, high), linear) < linear.in_features:
        return None
    while low < high:
        middle = (low + high) // 2
        if _features_into(model, (channels, middle, middle), linear) >= linear.in_features:
            high = middle
        else:
            low = middle + 1
    smallest = (channels, low, low)
    return smallest if _fits(model, smallest) else None


def _largest_fitting(model: nn.Module, smallest: Shape, reach: int = 64) -> Shape | None:
    """The largest square input of the sizes that fit from ``smallest`` on, where they end within
    ``reach`` pixels: a linear layer after the flatten takes one feature-map size, so "at least"
    would send a student past it (d2l's VGG-11 takes 224 to 255, not 256). One probe where
    ``reach`` pixels more still fit (an adaptive pool: every larger size does)."""
    channels, size = smallest[0], smallest[1]
    if _fits(model, (channels, size + reach, size + reach)):
        return None
    first_misfit = next(n for n in range(size + 1, size + reach + 1) if not _fits(model, (channels, n, n)))
    return (channels, first_misfit - 1, first_misfit - 1)


def _without_padding(model: nn.Module) -> nn.Module:
    variant = copy.deepcopy(model)
    for module in variant.modules():
        if isinstance(module, nn.Conv2d):
            module.padding = (0, 0)
    return variant


def _features_after_change(model: nn.Module, input_shape: Shape, linear_name: str) -> Shape | None:
    """The shape that reaches layer ``linear_name``'s input in a changed model."""
    rows, _, _, _ = propagate(model, input_shape)
    for row in rows:
        if row.name == linear_name:
            return row.input_shape
    return None


def diagnose_failure(model: nn.Module, input_shape: Shape, rows: list[LayerRow], error: BaseException,
                     tracker: _ShapeTracker) -> Diagnosis:
    """Name the layer that does not fit, say what it expected and what it got, suggest a fix."""
    failed = [row for row in rows if row.failed]
    leaf = failed[-1] if failed else None
    layer = leaf.name if leaf else "(input)"
    module = _modules_by_name(model).get(layer)
    got = leaf.input_shape if leaf else None
    last_spatial = next((row.output_shape for row in reversed(rows)
                         if not row.failed and row.output_shape and len(row.output_shape) == 3), None)

    if isinstance(module, nn.Linear) and got:
        features = got[-1]
        origin = f" = {_map(last_spatial)}" if last_spatial and _prod(last_spatial) == features else ""
        message = (f"{layer} expects {module.in_features:,} input features but receives "
                   f"{features:,}{origin}.")
        fixes = [f"set in_features={features} in {layer}"]
        if any(isinstance(m, nn.Conv2d) and _pair(m.padding) != (0, 0) for m in model.modules()):
            unpadded = _without_padding(model)
            if _fits(unpadded, input_shape):
                shape = _features_after_change(unpadded, input_shape, layer)
                before = _last_spatial_before(unpadded, input_shape, layer)
                detail = f" gives {_map(before)} = {_prod(before):,}" if before else ""
                if shape:
                    fixes.append(f"padding=0 in the convs{detail}")
        if smallest := _input_for_features(model, input_shape, module):
            fixes.append(_inputs_text(smallest, _largest_fitting(model, smallest)))
        elif nearest := _fitting_input(model, input_shape):
            fixes.append(f"an input of {_map(nearest)}")
        return _diagnosis(layer, message, "Fix: " + ", or ".join(fixes) + ".")

    if isinstance(module, _NEEDS_A_FEATURE_MAP) and got and len(got) != 3:
        return _flat_input(rows, leaf, got)

    if isinstance(module, nn.modules.batchnorm._BatchNorm) and got and got[0] != module.num_features:
        unit = "channels" if len(got) > 1 else "features"
        return _diagnosis(
            layer,
            f"{layer} expects {module.num_features} {unit} but its input has {got[0]} ({_map(got)}).",
            f"Fix: set num_features to {got[0]} in {layer} (or leave num_features out of the spec: it "
            f"is then inferred).",
        )

    if isinstance(module, nn.modules.conv._ConvNd) and got:
        if got[0] != module.in_channels:
            return _diagnosis(
                layer,
                f"{layer} expects {module.in_channels} input channels but receives {got[0]} "
                f"(input {_map(got)}).",
                f"Fix: set in_channels={got[0]} in {layer}, or give the network "
                f"{module.in_channels}-channel input.",
            )
        return _too_small(model, input_shape, rows, layer, module, got)

    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)) and got:
        return _too_small(model, input_shape, rows, layer, module, got)

    if tracker.failed_op is not None:
        op, shapes = tracker.failed_op
        shown = " and ".join(_map(s) for s in shapes) or "its inputs"
        if op in _ADD_OPS:
            return _diagnosis(
                layer,
                f"the residual add in {layer} gets tensors of different shapes: {shown}.",
                "Fix: a skip connection adds equal shapes — when the block changes the channels or "
                "the size, give the shortcut a 1×1 conv with the same stride (a projection).",
            )
        if op == "cat":
            return _diagnosis(
                layer,
                f"the concat in {layer} joins branches of different sizes: {shown}.",
                "Fix: every branch of a concat must keep the same height and width — use padding "
                "(f=3 needs p=1, f=5 needs p=2) and the same stride in each branch.",
            )
        return _diagnosis(layer, f"{op} in {layer} fails on {shown}: {_one_line(error)}",
                         "Fix: check the shapes that reach this layer in the table above.")
    return _diagnosis(layer, _one_line(error), "Fix: check the shapes that reach this layer in the table above.")


_NEEDS_A_FEATURE_MAP = (nn.modules.conv._ConvNd, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
                        nn.AdaptiveMaxPool2d)


def _flat_input(rows: list[LayerRow], failed: LayerRow, got: Shape) -> Diagnosis:
    """A conv or pool after the flatten: it slides over a feature map, and a vector has none."""
    layer = failed.name
    message = f"{layer} needs a C×H×W feature map, but its input is a flat vector of {_prod(got):,} features."
    flatten = next((row.name for row in reversed(rows[:rows.index(failed)])
                    if row.type == "Flatten" and not row.failed), None)
    if flatten:
        fix = f"Fix: move {flatten} after {layer} (flatten just before the first linear layer), or remove it."
    else:
        fix = f"Fix: put {layer} before the layers that turn the feature map into a vector."
    return _diagnosis(layer, message, fix)


def _last_spatial_before(model: nn.Module, input_shape: Shape, layer: str) -> Shape | None:
    rows, _, _, _ = propagate(model, input_shape)
    last = None
    for row in rows:
        if row.name == layer:
            return last
        if row.output_shape and len(row.output_shape) == 3:
            last = row.output_shape
    return None


def _prod(shape: Shape) -> int:
    result = 1
    for value in shape:
        result *= value
    return result


def _too_small(model: nn.Module, input_shape: Shape, rows: list[LayerRow], layer: str, module: nn.Module,
               got: Shape) -> Diagnosis:
    kernel = _pair(module.kernel_size)
    padding = _pair(module.padding) if not isinstance(module.padding, str) else (0, 0)
    dilation = _pair(getattr(module, "dilation", 1))
    effective = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    padded = tuple(n + 2 * p for n, p in zip(got[1:3], padding))
    short = [(side, n) for side, n, k in zip(("row", "column"), padded, effective) if n < k]
    if len(short) == 1:  # 1024×3: the input is not small, one side of it is
        side, n = short[0]
        message = (f"{layer} has a {_times(kernel)} kernel but its input is {_times(got[1:3])} (padded: "
                   f"{_times(padded)}): the window is {'taller' if side == 'row' else 'wider'} than its "
                   f"{n} {side}{'s' * (n != 1)}.")
    else:
        message = (f"{layer} has a {_times(kernel)} kernel but its input is only {_times(got[1:3])} "
                   f"(padded: {_times(padded)}): the window does not fit.")
    if effective != kernel:
        message = message.replace("kernel", f"kernel (dilated to {_times(effective)})", 1)
    # The smaller side is the one to grow: 1×1024×3 is too narrow, not too small everywhere.
    smaller = (input_shape[0], *[min(input_shape[1:])] * 2)
    better = _fitting_input(model, smaller, larger=True) if smaller[1] < 1024 else None
    fix = _inputs_text(better, _largest_fitting(model, better)) if better else "a larger input"
    before = rows[:next((i for i, row in enumerate(rows) if row.name == layer), len(rows))]
    shrinking = any(row.is_leaf and row.input_shape and row.output_shape and len(row.output_shape) == 3
                    and any(o < i for o, i in zip(row.output_shape[1:], row.input_shape[-2:])) for row in before)
    if not shrinking:  # the first conv, or only padded ones before it: no layer to take away
        return _diagnosis(layer, message, f"Fix: {fix}, or more padding.")
    return _diagnosis(layer, message, f"Fix: {fix}, more padding, or fewer layers that shrink the map before {layer}.")


def _inputs_text(smallest: Shape, largest: Shape | None) -> str:
    """The square inputs that fit from ``smallest`` on, in a suggestion: one range for a network,
    whatever made it not fit (LeNet-5: 32×32 to 35×35, at 1×4×4 as at 1×2000×2000)."""
    if largest == smallest:
        return f"an input of {_map(smallest)} (the one size near it that fits)"
    if largest:
        return f"an input from {_map(smallest)} to {_map(largest)}"
    return f"an input of at least {_map(smallest)}"


def parse_shape(text: str) -> Shape:
    """'1,28,28' -> (1, 28, 28); a clear ValueError for anything else."""
    parts = [part for part in re.split(r"[,\sx×]+", text.strip()) if part]
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise ValueError(f"input shape must be three positive integers C,H,W (e.g. 1,28,28), got {quoted(text)}")
    shape = tuple(int(part) for part in parts)
    if min(shape) <= 0:
        raise ValueError(f"input shape must be positive, got {quoted(text)}")
    return shape
