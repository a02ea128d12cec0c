"""Conv arithmetic, step by step: cross-correlation and pooling on small matrices, every number kept.

What a student computes by hand — the window under the kernel, the element-wise products, their
sum — is recorded for every output cell as a :class:`Step`, with the expression written the way
the course writes it (``0×0 + 1×1 + 3×2 + 4×3 = 19``, ``max(0, 1, 3, 4) = 4``). The numbers are
the ones PyTorch computes: ``torch.nn.functional.conv2d``, ``max_pool2d`` and ``avg_pool2d`` are
the tests' oracles. Plain Python and numpy only: the CLI, the figures and the page format these
records.

Conventions (PyTorch's): a convolution layer computes the cross-correlation (the kernel is not
flipped); zero padding; ``max_pool2d`` pads with −∞ so padding never wins; ``avg_pool2d`` pads
with zeros and divides by the full window size, padding included (torch's default
``count_include_pad=True``); a pooling padding may be at most half the pool size (torch's rule).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from cnnviz.messages import quoted

Op = Literal["conv", "max", "avg"]
OPS: dict[str, str] = {"conv": "convolution", "max": "max pooling", "avg": "average pooling"}
MAX_SIDE = 32  # the largest input height/width (and kernel side) a student may type
# the settings' bounds, (low, high), for the page's controls and links and for the CLI alike: with
# them a padded input is at most 48×48 and every computation is small enough to write out
LIMITS: dict[str, tuple[int, int]] = {"pad": (0, 8), "stride": (1, 8), "dil": (1, 4), "pool_f": (1, 8),
                                      "filters": (1, 4), "channels": (1, 8)}
Pair = tuple[int, int]
FLOAT_MAX = float(np.finfo(np.float64).max)  # ~1.8e308: a product or sum beyond it is ∞
# from here on not every integer is a float: text writes 1e+15, JSON a float, never 309 digits
EXACT_INTEGERS_BELOW = 1e15


# --------------------------------------------------------------------------- numbers and text


def format_number(value: float) -> str:
    """Integers as integers, other numbers compactly (at most 4 decimals), −∞ for max padding;
    magnitudes from 1e15 on in exponent form (1e+308, not its 309 digits)."""
    if math.isinf(value):
        return "-∞" if value < 0 else "∞"
    if abs(value) >= EXACT_INTEGERS_BELOW:
        return f"{value:.4g}"
    if float(value).is_integer():
        return str(int(value))
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{value:.3g}"


def _operand(value: float) -> str:
    """A number inside a sum or product: negatives in parentheses, as a student writes them."""
    text = format_number(value)
    return f"({text})" if text.startswith("-") else text


def plain_minus(text: str) -> str:
    """The minus sign "−" (U+2212) of slides and of this app's own text ("−∞") as Python reads it, "-"."""
    return text.replace("\u2212", "-")


def parse_matrices(text: str, what: str = "input") -> list[list[list[float]]]:
    """``"0 1 2; 3 4 5 | 1 2 3; 4 5 6"`` -> channels of rows of numbers.

    Rows are separated by ``;`` (or new lines), channels by ``|``; numbers by spaces or commas.
    Raises ValueError with a message that says what to fix.
    """
    channels = []
    for c, channel_text in enumerate(plain_minus(text).split("|")):
        rows = []
        for line in channel_text.replace(";", "\n").splitlines():
            cells = line.replace(",", " ").split()
            if not cells:
                continue
            try:
                rows.append([float(cell) for cell in cells])
            except ValueError:
                bad = quoted(next(cell for cell in cells if not _is_number(cell)))
                raise ValueError(f"{what}: {bad} is not a number (channel {c + 1}, row {len(rows) + 1})") from None
            if not all(math.isfinite(v) for v in rows[-1]):  # "inf", "nan", or "1e999", which reads as inf
                bad = quoted(next(cell for cell, v in zip(cells, rows[-1], strict=True) if not math.isfinite(v)))
                raise ValueError(f"{what}: {bad} is not a finite number (channel {c + 1}, row {len(rows)}): "
                                 f"use finite numbers (no inf or nan; a float holds at most {FLOAT_MAX:.2g})")
        where = f"{what} channel {c + 1}" if text.count("|") else what
        if not rows:
            raise ValueError(f"{where} is empty: write rows of numbers separated by ';', e.g. \"0 1; 2 3\"")
        widths = {len(row) for row in rows}
        if len(widths) > 1:
            raise ValueError(f"{where} has ragged rows (lengths {', '.join(str(len(r)) for r in rows)}): "
                             "every row needs the same number of values")
        channels.append(rows)
    shapes = {(len(ch), len(ch[0])) for ch in channels}
    if len(shapes) > 1:
        raise ValueError(f"{what}: every channel needs the same height and width, got "
                         + ", ".join(f"{h}×{w}" for h, w in ((len(ch), len(ch[0])) for ch in channels)))
    return channels


def parse_bias(text: str, filters: int, what: str = "bias (b)") -> list[float] | None:
    """``"1, -2"`` -> ``[1.0, -2.0]``; one value stands for every filter; blank -> None (no bias).

    Raises ValueError with a message that says what to fix, as :func:`parse_matrices` does.
    """
    cells = plain_minus(text).replace(",", " ").split()
    if not cells:
        return None
    if not all(_is_number(cell) for cell in cells):
        raise ValueError(f"{what}: {quoted(text)} is not a list of numbers (e.g. 1, or 1, -2).")
    values = [float(cell) for cell in cells]
    if any(not math.isfinite(v) for v in values):
        raise ValueError(f"{what}: use finite numbers (no inf or nan)")
    return values * filters if len(values) == 1 else values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def matrices_text(channels: list[list[list[float]]], rows: str = "; ", between: str = " | ") -> str:
    """The inverse of :func:`parse_matrices`: ``"0 1; 2 3 | 4 5; 6 7"`` (or one row a line)."""
    return between.join(rows.join(" ".join(format_number(v) for v in row) for row in channel)
                        for channel in channels)


def pair(value: int | tuple[int, int] | list[int]) -> Pair:
    """``2`` -> ``(2, 2)``; ``(1, 2)`` stays: the (height, width) form of a setting."""
    if isinstance(value, int | np.integer):
        return (int(value), int(value))
    height, width = value
    return (int(height), int(width))


# --------------------------------------------------------------------------- the output size


@dataclass(frozen=True)
class AxisSize:
    """The output size along one axis, with both textbook formulas written out."""

    axis: str  # "height" or "width"
    n: int  # input size
    k: int  # kernel size (before dilation)
    p: int  # padding on each side
    s: int  # stride
    d: int  # dilation
    out: int

    @property
    def effective_kernel(self) -> int:
        return self.d * (self.k - 1) + 1

    @property
    def torch_formula(self) -> str:
        """PyTorch's documentation: ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1."""
        return (f"⌊({self.n} + 2×{self.p} − {self.d}×({self.k}−1) − 1)/{self.s}⌋ + 1 = "
                f"{self.out}")

    @property
    def course_formula(self) -> str:
        """The course's ⌊(n − k + p + s)/s⌋ with p the total padding (both sides)."""
        k = self.effective_kernel
        return f"⌊({self.n} − {k} + {2 * self.p} + {self.s})/{self.s}⌋ = {self.out}"


@dataclass(frozen=True)
class OutputShape:
    channels: int
    height: AxisSize
    width: AxisSize

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height.out, self.width.out)

    def formula_lines(self) -> list[str]:
        """Both formulas for both axes, plus a note when dilation enlarges the kernel."""
        lines = []
        for axis in (self.height, self.width):
            lines.append(f"{axis.axis}: {axis.torch_formula}")
            lines.append(f"{axis.axis} (course, p = total padding): {axis.course_formula}")
        for axis in (self.height, self.width):
            if axis.d > 1:
                lines.append(f"dilation {axis.d} spreads the {axis.axis}'s kernel of {axis.k} over "
                             f"{axis.effective_kernel} cells: {axis.d}×({axis.k}−1)+1")
        return lines


def output_size(n: int, k: int, p: int, s: int, d: int = 1) -> int:
    """⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 (may be ≤ 0 for impossible settings)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def output_shape(channels: int, input_hw: Pair, kernel_hw: Pair, padding: Pair, stride: Pair,
                 dilation: Pair = (1, 1)) -> OutputShape:
    axes = [AxisSize(name, n, k, p, s, d, output_size(n, k, p, s, d))
            for name, n, k, p, s, d in zip(("height", "width"), input_hw, kernel_hw, padding, stride,
                                           dilation, strict=True)]
    return OutputShape(channels, *axes)


# --------------------------------------------------------------------------- the problem


@dataclass(frozen=True)
class Problem:
    """One conv or pooling computation, as a student sets it up.

    ``input`` is channels × rows × columns. For ``conv``, ``kernels`` holds one kernel per filter
    (output channel), each with one matrix per input channel; ``bias`` one value per filter or
    None. For pooling, ``pool_size`` is f (height, width); the stride defaults to f, as in PyTorch.
    """

    op: Op
    input: list[list[list[float]]]
    kernels: list[list[list[list[float]]]] = field(default_factory=list)
    pool_size: Pair = (2, 2)
    padding: Pair = (0, 0)
    stride: Pair = (1, 1)
    dilation: Pair = (1, 1)
    bias: list[float] | None = None

    @property
    def input_channels(self) -> int:
        return len(self.input)

    @property
    def input_hw(self) -> Pair:
        return (len(self.input[0]), len(self.input[0][0])) if self.input and self.input[0] else (0, 0)

    @property
    def kernel_hw(self) -> Pair:
        if self.op != "conv":
            return self.pool_size
        first = self.kernels[0][0] if self.kernels and self.kernels[0] else []
        return (len(first), len(first[0]) if first else 0)

    @property
    def output_channels(self) -> int:
        return len(self.kernels) if self.op == "conv" else self.input_channels

    @property
    def pad_value(self) -> float:
        return -math.inf if self.op == "max" else 0.0

    def shape(self) -> OutputShape:
        return output_shape(self.output_channels, self.input_hw, self.kernel_hw, self.padding,
                            self.stride, self.dilation)


def validate(problem: Problem) -> list[str]:
    """Everything that makes the computation impossible, in words; empty when it can run.

    Also what would make it too big to write out: sides beyond MAX_SIDE, settings beyond LIMITS.
    """
    messages = []
    height, width = problem.input_hw
    if not problem.input or height == 0 or width == 0:
        return ["The input is empty: give at least one row of numbers."]
    if height > MAX_SIDE or width > MAX_SIDE:
        messages.append(f"The input is {height}×{width}; cnnviz steps through matrices of at most "
                        f"{MAX_SIDE}×{MAX_SIDE}.")
    if problem.input_channels > LIMITS["channels"][1]:  # one panel each, stacked: more would not fit
        messages.append(f"The input has {problem.input_channels} channels; cnnviz writes out at most "
                        f"{LIMITS['channels'][1]}.")
    if problem.op not in OPS:
        return [f"Unknown operation {quoted(problem.op)}: use one of {', '.join(OPS)}."]
    messages += _not_finite_values(problem.input, "The input")
    if problem.op == "conv":
        messages += _validate_kernels(problem)
        if messages:
            return messages
    kh, kw = problem.kernel_hw
    messages += _per_axis(problem.stride, lambda s: s < 1, lambda s, where: (
        f"stride (s) must be at least 1 (got {s}{where}): the window has to move by at least one cell."))
    messages += _per_axis(problem.stride, lambda s: s > LIMITS["stride"][1], lambda s, where: (
        f"stride (s) must be from 1 to {LIMITS['stride'][1]} (got {s}{where})."))
    messages += _per_axis(problem.padding, lambda p: p < 0, lambda p, where: (
        f"padding (p) cannot be negative (got {p}{where})."))
    messages += _per_axis(problem.padding, lambda p: p > LIMITS["pad"][1], lambda p, where: (
        f"padding (p) must be from 0 to {LIMITS['pad'][1]} (got {p}{where}): cnnviz writes out every "
        "cell of the padded input."))
    messages += _per_axis(problem.dilation, lambda d: d < 1, lambda d, where: (
        f"dilation must be at least 1 (got {d}{where}); 1 means no gaps."))
    messages += _per_axis(problem.dilation, lambda d: d > LIMITS["dil"][1], lambda d, where: (
        f"dilation must be from 1 to {LIMITS['dil'][1]} (got {d}{where})."))
    if problem.op != "conv":
        if kh < 1 or kw < 1:
            messages.append(f"The pool size (f) must be at least 1 (got {kh}×{kw}).")
        elif kh > LIMITS["pool_f"][1] or kw > LIMITS["pool_f"][1]:
            messages.append(f"The pool size (f) must be from 1 to {LIMITS['pool_f'][1]} (got {kh}×{kw}).")
        else:
            messages += _per_axis(tuple(zip(problem.padding, (kh, kw), strict=True)),
                                  lambda pk: pk[0] > pk[1] // 2, lambda pk, where: (
                f"Pooling padding (p) may be at most half the pool size (f): p = {pk[0]} with f = "
                f"{pk[1]}{where} allows at most {pk[1] // 2} (PyTorch's rule: otherwise a window could "
                "hold only padding)."))
        if problem.dilation != (1, 1):
            messages.append("Pooling here has no dilation: set it to 1.")
        if problem.bias is not None:
            messages.append("Pooling has no bias (no weights to learn).")
    if messages:
        return messages
    padded = (height + 2 * problem.padding[0], width + 2 * problem.padding[1])
    spans = (problem.dilation[0] * (kh - 1) + 1, problem.dilation[1] * (kw - 1) + 1)
    if spans[0] > padded[0] or spans[1] > padded[1]:
        name = "kernel (f)" if problem.op == "conv" else "pool size (f)"
        dilated = f" (dilated to {spans[0]}×{spans[1]})" if problem.dilation != (1, 1) else ""
        fixes = ("a smaller kernel, less dilation or more padding (p)" if problem.op == "conv"
                 else "a smaller pool size or more padding (p)")
        messages.append(f"The {name} {kh}×{kw}{dilated} is larger than the padded input "
                        f"{padded[0]}×{padded[1]}: it does not fit anywhere. Use {fixes}.")
    return messages


def _per_axis(values, is_bad, message) -> list[str]:
    """One message for a bad setting: once when both axes share it, else once per axis."""
    height, width = values
    if height == width:
        return [message(height, "")] if is_bad(height) else []
    return [message(value, f" for the {axis}") for axis, value in (("height", height), ("width", width))
            if is_bad(value)]


def _not_finite_values(channels, what: str) -> list[str]:
    """The message for the first value of ``channels`` that is inf or nan (a Problem built in Python;
    parse_matrices refuses them in text)."""
    for c, channel in enumerate(channels):
        for r, row in enumerate(channel):
            for col, value in enumerate(row):
                if not math.isfinite(value):
                    return [f"{what} has {format_number(value)} at channel {c + 1}, row {r + 1}, column {col + 1}: "
                            "use finite numbers (no inf or nan)."]
    return []


def _validate_kernels(problem: Problem) -> list[str]:
    if not problem.kernels:
        return ["Give at least one kernel (filter)."]
    messages = []
    if len(problem.kernels) > LIMITS["filters"][1]:
        messages.append(f"At most {LIMITS['filters'][1]} filters (output channels), got {len(problem.kernels)}: "
                        f"give at most {LIMITS['filters'][1]} kernels (cnnviz writes out every output channel).")
    shapes = {(len(kernel), len(kernel[0]), len(kernel[0][0]) if kernel[0] else 0)
              for kernel in problem.kernels if kernel}
    if len(shapes) > 1:
        return ["Every filter needs the same kernel size and number of channels, got "
                + ", ".join(f"{c} channel(s) of {h}×{w}" for c, h, w in sorted(shapes)) + "."]
    channels, kh, kw = shapes.pop()
    if kh == 0 or kw == 0:
        return ["The kernel is empty: give at least one row of numbers."]
    if kh > MAX_SIDE or kw > MAX_SIDE:
        messages.append(f"The kernel is {kh}×{kw}; at most {MAX_SIDE}×{MAX_SIDE}.")
    if channels != problem.input_channels:
        messages.append(f"The kernel has {channels} channel(s) but the input has "
                        f"{problem.input_channels}: a filter needs one kernel matrix per input channel "
                        "(separate them with '|').")
    for index, kernel in enumerate(problem.kernels):
        messages += _not_finite_values(kernel, f"The kernel of filter {index + 1}" if len(problem.kernels) > 1
                                       else "The kernel")
    if problem.bias is not None and any(not math.isfinite(b) for b in problem.bias):
        messages.append("bias (b): use finite numbers (no inf or nan)")
    if problem.bias is not None and len(problem.bias) != len(problem.kernels):
        messages.append(f"The bias needs one value per filter: {len(problem.kernels)} filter(s), "
                        f"{len(problem.bias)} bias value(s).")
    return messages


# --------------------------------------------------------------------------- the steps


@dataclass(frozen=True)
class Term:
    """One input channel's share of one output cell: the window, the products, their sum."""

    channel: int  # input channel
    cells: tuple[Pair, ...]  # (row, column) in the padded input, kernel order (row-major)
    values: tuple[float, ...]  # the input values under the window (padding included)
    weights: tuple[float, ...] | None  # the kernel's values (convolution only)
    value: float  # the sum of products / the max / the mean
    expression: str  # "0×0 + 1×1 + 3×2 + 4×3 = 19", "max(0, 1, 3, 4) = 4", "(1 + 3) / 2 = 2"

    @property
    def products(self) -> tuple[float, ...] | None:
        if self.weights is None:
            return None
        return tuple(v * w for v, w in zip(self.values, self.weights, strict=True))


@dataclass(frozen=True)
class Step:
    """One output cell: where the window sits, what each channel adds, and the value."""

    index: int
    channel: int  # output channel
    row: int
    col: int
    top: int  # the window's top-left corner in the padded input
    left: int
    terms: tuple[Term, ...]  # one per input channel for a convolution; one for pooling
    bias: float | None
    value: float
    expression: str  # the whole cell: the term's expression, or "19 + 37 = 56" over channels
    winner: Pair | None = None  # max pooling: the padded-input cell holding the max


@dataclass(frozen=True)
class Result:
    problem: Problem
    shape: OutputShape
    padded: list[list[list[float]]]  # the input with its padding (0, or −∞ for max pooling)
    output: list[list[list[float]]]  # output channels × rows × columns
    steps: list[Step]
    partials: list[list[list[list[float]]]] | None  # conv: [filter][input channel] partial maps

    def is_padding(self, row: int, col: int) -> bool:
        ph, pw = self.problem.padding
        height, width = self.problem.input_hw
        return not (ph <= row < ph + height and pw <= col < pw + width)

    def to_dict(self, with_steps: bool = False) -> dict:
        """The CLI's JSON: output (a matrix, or one per output channel), shape, formula, steps."""
        output = self.output[0] if len(self.output) == 1 else self.output
        data = {
            "operation": OPS[self.problem.op],
            "output": _json_numbers(output),
            "output_shape": list(self.shape.shape),
            "formula": self.shape.formula_lines(),
        }
        if with_steps:
            data["steps"] = [_step_dict(step) for step in self.steps]
        return data


def output_cell_name(step: Step, output_channels: int) -> str:
    """``output[0, 1]`` or, with several output channels, ``output channel 2 [0, 1]``."""
    where = f"[{step.row}, {step.col}]"
    return f"output{where}" if output_channels == 1 else f"output channel {step.channel + 1} {where}"


def _json_numbers(value):
    """19, not 19.0, for a student's integers; a float (1e+300) for the rest, as format_number."""
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < EXACT_INTEGERS_BELOW else value


def _step_dict(step: Step) -> dict:
    data = {"output_channel": step.channel, "row": step.row, "col": step.col,
            "window_top_left": [step.top, step.left], "value": _json_numbers(step.value),
            "expression": step.expression}
    terms = []
    for term in step.terms:
        entry = {"input_channel": term.channel, "cells": [list(c) for c in term.cells],
                 "values": [format_number(v) if math.isinf(v) else _json_numbers(v) for v in term.values],
                 "expression": term.expression}
        if term.weights is not None:
            entry["products"] = _json_numbers(list(term.products))
        terms.append(entry)
    data["terms"] = terms
    if step.winner is not None:
        data["winner"] = list(step.winner)
    return data


class InvalidSettings(ValueError):
    """Raised by :func:`compute` for a problem that :func:`validate` rejects, or whose output is not
    finite; ``messages`` holds each reason (the page shows each, the CLI joins them)."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


def compute(problem: Problem) -> Result:
    """The output and every step; raises InvalidSettings for settings that :func:`validate`
    refuses and for finite numbers whose products or sums pass the largest float (1e308 × 10)."""
    messages = validate(problem)
    if messages:
        raise InvalidSettings(messages)
    ph, pw = problem.padding
    x = np.pad(np.asarray(problem.input, dtype=np.float64), ((0, 0), (ph, ph), (pw, pw)),
               constant_values=problem.pad_value)
    shape = problem.shape()
    out_h, out_w = shape.height.out, shape.width.out
    (sh, sw), (dh, dw), (kh, kw) = problem.stride, problem.dilation, problem.kernel_hw
    offsets = [(i * dh, j * dw) for i in range(kh) for j in range(kw)]
    output = np.zeros((problem.output_channels, out_h, out_w))
    partials = (np.zeros((problem.output_channels, problem.input_channels, out_h, out_w))
                if problem.op == "conv" else None)
    steps = []
    for o in range(problem.output_channels):
        for r in range(out_h):
            for c in range(out_w):
                top, left = r * sh, c * sw
                cells = tuple((top + di, left + dj) for di, dj in offsets)
                if problem.op == "conv":
                    step = _conv_step(problem, x, o, cells, len(steps), r, c, top, left)
                    partials[o, :, r, c] = [term.value for term in step.terms]
                else:
                    step = _pool_step(problem, x, o, cells, len(steps), r, c, top, left)
                output[o, r, c] = step.value
                steps.append(step)
    overflow = _overflow(problem, steps)
    if overflow:
        raise InvalidSettings([overflow])
    return Result(problem, shape, x.tolist(), output.tolist(), steps,
                  partials.tolist() if partials is not None else None)


def _overflow(problem: Problem, steps: list[Step]) -> str | None:
    """Why output cells are not finite, naming the first and what overflowed in it (None when every
    cell is finite). Finite inputs can still give ∞ (1e308 × 10), or nan (∞ − ∞): a result, not a
    setting, so only the computation can tell."""
    bad = [step for step in steps if not math.isfinite(step.value)]
    if not bad:
        return None
    step = bad[0]
    value = format_number(step.value) if not math.isnan(step.value) else "nan (∞ − ∞)"
    more = f" (and {len(bad) - 1} more output cell{'s' if len(bad) > 2 else ''})" if len(bad) > 1 else ""
    product = next((f"the product {_operand(v)}×{_operand(w)}" for term in step.terms if term.weights is not None
                    for v, w in zip(term.values, term.weights, strict=True) if not math.isfinite(v * w)), None)
    cause = product or ("the sum of its products" if problem.op == "conv" else "the sum of its window")
    numbers = "input or kernel" if problem.op == "conv" else "input"
    return (f"{output_cell_name(step, problem.output_channels)} is {value}{more}: {cause} goes past the "
            f"largest number a float holds ({FLOAT_MAX:.2g}). Use smaller {numbers} values.")


def _conv_step(problem: Problem, x: np.ndarray, o: int, cells, index, r, c, top, left) -> Step:
    terms = []
    for ch in range(problem.input_channels):
        values = tuple(float(x[ch, i, j]) for i, j in cells)
        weights = tuple(float(w) for row in problem.kernels[o][ch] for w in row)
        value = float(sum(v * w for v, w in zip(values, weights, strict=True)))
        products = " + ".join(f"{_operand(v)}×{_operand(w)}" for v, w in zip(values, weights, strict=True))
        terms.append(Term(ch, cells, values, weights, value, f"{products} = {format_number(value)}"))
    bias = problem.bias[o] if problem.bias is not None else None
    value = sum(term.value for term in terms) + (bias or 0.0)
    bias_text = f" + {_operand(bias)}" if bias is not None else ""
    if len(terms) == 1:
        lead = terms[0].expression.rsplit(" = ", 1)[0]
    else:
        lead = " + ".join(_operand(term.value) for term in terms)
    return Step(index, o, r, c, top, left, tuple(terms), bias, float(value),
                f"{lead}{bias_text} = {format_number(value)}")


def _pool_step(problem: Problem, x: np.ndarray, ch: int, cells, index, r, c, top, left) -> Step:
    values = tuple(float(x[ch, i, j]) for i, j in cells)
    listed = ", ".join(format_number(v) for v in values)
    winner = None
    if problem.op == "max":
        best = max(range(len(values)), key=lambda i: values[i])  # the first max, like a student
        value, winner = values[best], cells[best]
        expression = f"max({listed}) = {format_number(value)}"
    else:
        value = sum(values) / len(values)  # count_include_pad=True: padding zeros count
        expression = (f"({' + '.join(_operand(v) for v in values)}) / {len(values)} = "
                      f"{format_number(value)}")
    term = Term(ch, cells, values, None, float(value), expression)
    return Step(index, ch, r, c, top, left, (term,), None, float(value), expression, winner)


def how_to_compute(result: Result, step: Step) -> str:
    """How to get this output cell by hand, in the words of its operation: the hint after a wrong guess."""
    count = len(step.terms[0].values)
    padded = any(result.is_padding(row, col) for row, col in step.terms[0].cells)
    if result.problem.op == "max":
        return (f"Take the largest of the window's {count} values"
                + (" (the −∞ padding never wins)." if padded else "."))
    if result.problem.op == "avg":
        return (f"Take the mean of the window's {count} values: add them and divide by {count}"
                + (" (the padding zeros count)." if padded else "."))
    multiply = ("multiply the window value by the kernel value on top of it" if count == 1 else
                f"multiply each window value by the kernel value on top of it and add the {count} products")
    bias = f"the bias {format_number(step.bias)}" if step.bias is not None else ""
    if len(step.terms) == 1:
        return multiply[0].upper() + multiply[1:] + (f", then add {bias}." if bias else ".")
    return (f"For each of the {len(step.terms)} input channels, {multiply}; then add the channels' results"
            + (f" and {bias}." if bias else "."))


# --------------------------------------------------------------------------- the course's examples


def _counting(start: int, height: int, width: int) -> list[list[float]]:
    return [[float(start + r * width + c) for c in range(width)] for r in range(height)]


@dataclass(frozen=True)
class Preset:
    name: str  # stable: used in links /arithmetic?preset=NAME
    title: str
    source: str
    note: str  # what to notice; no output value, so it shows while a student finds them
    problem: Problem
    worked: str = ""  # a worked example: it states the values of the steps in worked_steps
    worked_steps: tuple[int, ...] = ()

    def description(self, found: Collection[int] | None = None) -> str:
        """The note and its worked example. ``found``: while a student tries the example, the steps
        found so far; the worked example waits until every value it states is among them."""
        if not self.worked:
            return self.note
        if found is None or set(self.worked_steps) <= set(found):
            return f"{self.note} {self.worked}"
        result = compute(self.problem)
        cells = [output_cell_name(result.steps[index], self.problem.output_channels)
                 for index in self.worked_steps if index not in found]
        listed = cells[0] if len(cells) == 1 else f"{', '.join(cells[:-1])} and {cells[-1]}"
        return f"{self.note} *(Its worked example shows once you have found {listed}.)*"


X_0_8 = _counting(0, 3, 3)
X_1_9 = _counting(1, 3, 3)
K_0_3 = _counting(0, 2, 2)
K_1_4 = _counting(1, 2, 2)
UFV_4X4 = [[1.0, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]]
UFV_5X5 = [[1.0, 3, 2, 1, 3], [2, 9, 1, 1, 5], [1, 3, 2, 3, 2], [8, 3, 5, 1, 0], [5, 6, 1, 2, 9]]
CS540 = "CS540 (Wisconsin) Deep Learning II: CNNs"
UFV = "UFV Deep Learning L11: CNNs part II"
D2L = ("d2l.ai §7.4 (multiple input and output channels); CS540 states the rule: \"have a kernel for each "
       "channel, and then sum results\"")

PRESETS: dict[str, Preset] = {p.name: p for p in [
    Preset("cs540-basic", "3×3 input ⋆ 2×2 kernel", f"{CS540}, 2-D cross-correlation",
           "Slide the kernel over the input; each output is the sum of the element-wise products.",
           Problem("conv", [X_0_8], [[K_0_3]])),
    Preset("cs540-padding", "Padding 1 on every side", f"{CS540}, Padding",
           "Padding adds rows and columns of zeros around the input: the 3×3 input gives a 4×4 output.",
           Problem("conv", [X_0_8], [[K_0_3]], padding=(1, 1))),
    Preset("cs540-stride", "Strides of 3 and 2 for height and width", f"{CS540}, Stride",
           "The window jumps 3 rows down and 2 columns right.",
           Problem("conv", [X_0_8], [[K_0_3]], padding=(1, 1), stride=(3, 2)),
           "Output[0, 1] is 0×0+0×1+1×2+2×3 = 8 and output[1, 0] is 0×0+6×1+0×2+0×3 = 6.", (1, 2)),
    Preset("multi-channel", "Two input channels, summed", f"{D2L}",
           "One kernel per input channel; the channels' results are added.",
           Problem("conv", [X_0_8, X_1_9], [[K_0_3, K_1_4]]),
           "The first output: 19 + 37 = 56.", (0,)),
    Preset("multi-output", "Three filters: three output channels", f"{D2L}",
           "Each filter (its kernels K, K+1, K+2) gives one output channel.",
           Problem("conv", [X_0_8, X_1_9], [[K_0_3, K_1_4],
                                            [_counting(1, 2, 2), _counting(2, 2, 2)],
                                            [_counting(2, 2, 2), _counting(3, 2, 2)]])),
    Preset("one-by-one", "1×1 convolution", "DSCI 565 (NiN) and Andrew Ng's notes: 1×1 convolution; "
           "weights chosen by cnnviz (d2l draws random ones)",
           "A 1×1 kernel mixes the channels of each pixel and keeps height and width: "
           "here 1×input₁ + 2×input₂, and the mean 0.5×input₁ + 0.5×input₂.",
           Problem("conv", [X_0_8, X_1_9], [[[[1.0]], [[2.0]]], [[[0.5]], [[0.5]]]])),
    Preset("maxpool-2x2", "2-D max pooling, 2×2 window, stride 1", f"{CS540}, Review: 2-D Max Pooling",
           "Each output is the maximal value in the window.",
           Problem("max", [X_0_8], pool_size=(2, 2), stride=(1, 1)),
           "The first window: max(0, 1, 3, 4) = 4.", (0,)),
    Preset("ufv-max-4x4", "Max pooling f = 2, s = 2", f"{UFV}, Max pooling",
           "Max pooling keeps the largest value of each 2×2 region; no weights to learn.",
           Problem("max", [UFV_4X4], pool_size=(2, 2), stride=(2, 2))),
    Preset("ufv-avg-4x4", "Average pooling f = 2, s = 2", f"{UFV}, Average pooling",
           "Average pooling keeps the mean of each 2×2 region.",
           Problem("avg", [UFV_4X4], pool_size=(2, 2), stride=(2, 2)),
           "The first region: (1 + 3 + 2 + 9) / 4 = 3.75.", (0,)),
    Preset("ufv-exercise-5x5", "Exercise: max pooling f = 3, s = 1 on 5×5", f"{UFV}, exercise",
           "Overlapping windows: one value can be the largest of several. Output size ⌊(5 − 3)/1⌋ + 1 = 3.",
           Problem("max", [UFV_5X5], pool_size=(3, 3), stride=(1, 1)),
           "The 9 in the second row is the largest of four windows, the 9 in the corner of one.",
           (0, 1, 3, 4, 8)),
    Preset("pool-volume", "Pooling over volumes: 5×5×3", f"{UFV}, Pooling layers over volumes; the "
           "second and third channels are chosen by cnnviz (the slide shows only the shape)",
           "Pooling works on each channel independently: 5×5×3 in, 3×3×3 out — the number of "
           "channels does not change.",
           Problem("max", [UFV_5X5, _counting(0, 5, 5), [row[::-1] for row in UFV_5X5[::-1]]],
                   pool_size=(3, 3), stride=(1, 1))),
]}
