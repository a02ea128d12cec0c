"""The conv-arithmetic engine against PyTorch (property-based) and against the course's examples."""

import math
import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz.arithmetic import (
    LIMITS,
    MAX_SIDE,
    PRESETS,
    InvalidSettings,
    Problem,
    compute,
    format_number,
    how_to_compute,
    matrices_text,
    output_shape,
    parse_bias,
    parse_matrices,
    validate,
)

SETTINGS = settings(max_examples=60, deadline=None)


def torch_reference(problem: Problem) -> torch.Tensor:
    x = torch.tensor(problem.input, dtype=torch.float64)[None]
    if problem.op == "conv":
        weight = torch.tensor(problem.kernels, dtype=torch.float64)
        bias = torch.tensor(problem.bias, dtype=torch.float64) if problem.bias is not None else None
        return F.conv2d(x, weight, bias, stride=problem.stride, padding=problem.padding,
                        dilation=problem.dilation)[0]
    pool = F.max_pool2d if problem.op == "max" else F.avg_pool2d
    return pool(x, problem.pool_size, problem.stride, problem.padding)[0]


small_numbers = st.integers(-9, 9).map(float) | st.floats(-5, 5, allow_nan=False).map(lambda v: round(v, 2))


def tensors(draw, *shape):
    count = math.prod(shape)
    flat = draw(st.lists(small_numbers, min_size=count, max_size=count))
    return torch.tensor(flat, dtype=torch.float64).reshape(shape).tolist()


@st.composite
def conv_problems(draw):
    c_in, c_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    span_h, span_w = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    h = draw(st.integers(max(1, span_h - 2 * padding[0]), 12))
    w = draw(st.integers(max(1, span_w - 2 * padding[1]), 12))
    bias = draw(st.none() | st.lists(small_numbers, min_size=c_out, max_size=c_out))
    return Problem("conv", tensors(draw, c_in, h, w), tensors(draw, c_out, c_in, kh, kw),
                   padding=padding, stride=stride, dilation=dilation, bias=bias)


@st.composite
def pool_problems(draw):
    op = draw(st.sampled_from(["max", "avg"]))
    channels, kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    padding = (draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    h = draw(st.integers(max(1, kh - 2 * padding[0]), 9))
    w = draw(st.integers(max(1, kw - 2 * padding[1]), 9))
    return Problem(op, tensors(draw, channels, h, w), pool_size=(kh, kw), padding=padding, stride=stride)


def assert_matches_torch(problem: Problem):
    assert validate(problem) == []
    result = compute(problem)
    expected = torch_reference(problem)
    assert result.shape.shape == tuple(expected.shape)
    assert torch.allclose(torch.tensor(result.output, dtype=torch.float64), expected, atol=1e-9)
    assert len(result.steps) == expected.numel()
    for step in result.steps:  # each step's value is the output cell it fills
        assert step.value == result.output[step.channel][step.row][step.col]
    return result


@SETTINGS
@given(conv_problems())
def test_convolution_matches_torch_conv2d(problem):
    result = assert_matches_torch(problem)
    for step in result.steps:  # the per-channel partial results add up to the cell
        partial_sum = sum(term.value for term in step.terms) + (step.bias or 0)
        assert math.isclose(partial_sum, step.value, abs_tol=1e-9)
        for term in step.terms:
            assert math.isclose(sum(term.products), term.value, abs_tol=1e-9)
            assert term.value == result.partials[step.channel][term.channel][step.row][step.col]


@SETTINGS
@given(pool_problems())
def test_pooling_matches_torch_max_and_avg_pool2d(problem):
    result = assert_matches_torch(problem)
    if problem.op == "max":
        for step in result.steps:
            row, col = step.winner
            assert result.padded[step.channel][row][col] == step.value
            assert not result.is_padding(row, col)  # padding (−∞) never wins


@SETTINGS
@given(conv_problems())
def test_output_size_formulas_agree_with_torch(problem):
    shape = problem.shape()
    expected = torch_reference(problem).shape
    for axis, size in zip((shape.height, shape.width), expected[1:], strict=True):
        # both textbook formulas, evaluated from their own numbers, give torch's size
        assert axis.out == size
        assert (axis.n - axis.effective_kernel + 2 * axis.p + axis.s) // axis.s == size
        assert axis.torch_formula.endswith(f"= {size}") and axis.course_formula.endswith(f"= {size}")


# --------------------------------------------------------------------------- the course's examples

DOCUMENTED = {
    "cs540-basic": [[[19, 25], [37, 43]]],
    "cs540-padding": [[[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]]],
    "cs540-stride": [[[0, 8], [6, 8]]],
    "multi-channel": [[[56, 72], [104, 120]]],
    "multi-output": [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]],
    "one-by-one": [[[2, 5, 8], [11, 14, 17], [20, 23, 26]],
                   [[0.5, 1.5, 2.5], [3.5, 4.5, 5.5], [6.5, 7.5, 8.5]]],
    "maxpool-2x2": [[[4, 5], [7, 8]]],
    "ufv-max-4x4": [[[9, 2], [6, 3]]],
    "ufv-avg-4x4": [[[3.75, 1.25], [3.75, 2]]],
    "ufv-exercise-5x5": [[[9, 9, 5], [9, 9, 5], [8, 6, 9]]],
}


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_matches_torch(name):
    assert_matches_torch(PRESETS[name].problem)


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_course_examples_give_the_documented_output(name):
    assert compute(PRESETS[name].problem).output == DOCUMENTED[name]


def test_pooling_over_a_volume_keeps_the_channels():
    result = compute(PRESETS["pool-volume"].problem)
    assert result.shape.shape == (3, 3, 3)  # 5×5×3 -> 3×3×3
    assert result.output[0] == DOCUMENTED["ufv-exercise-5x5"][0]


def test_cs540_expressions_are_written_as_on_the_slide():
    steps = compute(PRESETS["cs540-basic"].problem).steps
    assert [s.expression for s in steps] == [
        "0×0 + 1×1 + 3×2 + 4×3 = 19", "1×0 + 2×1 + 4×2 + 5×3 = 25",
        "3×0 + 4×1 + 6×2 + 7×3 = 37", "4×0 + 5×1 + 7×2 + 8×3 = 43"]
    first = steps[0]
    assert (first.top, first.left) == (0, 0)
    assert first.terms[0].cells == ((0, 0), (0, 1), (1, 0), (1, 1))
    assert first.terms[0].products == (0, 1, 6, 12)


def test_padding_and_stride_expressions():
    padded = compute(PRESETS["cs540-padding"].problem)
    assert padded.steps[0].expression == "0×0 + 0×1 + 0×2 + 0×3 = 0"
    assert padded.is_padding(0, 0) and not padded.is_padding(1, 1)
    strided = compute(PRESETS["cs540-stride"].problem)
    assert [s.expression for s in strided.steps][1:3] == ["0×0 + 0×1 + 1×2 + 2×3 = 8",
                                                          "0×0 + 6×1 + 0×2 + 0×3 = 6"]
    assert [(s.top, s.left) for s in strided.steps] == [(0, 0), (0, 2), (3, 0), (3, 2)]


def test_multi_channel_and_pooling_expressions():
    step = compute(PRESETS["multi-channel"].problem).steps[0]
    assert [t.expression for t in step.terms] == ["0×0 + 1×1 + 3×2 + 4×3 = 19",
                                                  "1×1 + 2×2 + 4×3 + 5×4 = 37"]
    assert step.expression == "19 + 37 = 56"
    assert compute(PRESETS["maxpool-2x2"].problem).steps[0].expression == "max(0, 1, 3, 4) = 4"
    assert compute(PRESETS["ufv-avg-4x4"].problem).steps[0].expression == "(1 + 3 + 2 + 9) / 4 = 3.75"
    winner = compute(PRESETS["ufv-max-4x4"].problem).steps[0].winner
    assert winner == (1, 1)  # the 9


@pytest.mark.parametrize("name", list(PRESETS))
def test_a_presets_note_states_no_output_value_and_its_worked_example_names_its_steps(name):
    """The note shows while a student tries the example: only the worked example may give values away,
    and worked_steps must list every step whose value it states."""
    preset = PRESETS[name]
    result = compute(preset.problem)
    values = {format_number(v) for channel in result.output for row in channel for v in row}
    assert not [value for value in values if re.search(rf"= {re.escape(value)}\b", preset.note)]
    stated = [format_number(result.steps[i].value) for i in preset.worked_steps]
    if name == "ufv-exercise-5x5":  # in words: "the 9 in the second row is the largest of four windows, ..."
        stated = []
    assert re.findall(r"= (-?\d+(?:\.\d+)?)", preset.worked) == stated


def test_a_presets_worked_example_waits_for_the_values_it_states():
    exercise = PRESETS["ufv-exercise-5x5"]
    note = "Overlapping windows: one value can be the largest of several. Output size ⌊(5 − 3)/1⌋ + 1 = 3."
    worked = "The 9 in the second row is the largest of four windows, the 9 in the corner of one."
    assert exercise.description() == f"{note} {worked}"
    assert [compute(exercise.problem).steps[i].value for i in exercise.worked_steps] == [9] * 5
    assert exercise.description(found=set()) == (
        f"{note} *(Its worked example shows once you have found output[0, 0], output[0, 1], output[1, 0], "
        "output[1, 1] and output[2, 2].)*")
    assert exercise.description(found={0, 1, 2, 3, 4, 5, 6, 7}) == (
        f"{note} *(Its worked example shows once you have found output[2, 2].)*")
    assert exercise.description(found=range(9)) == f"{note} {worked}"
    basic = PRESETS["cs540-basic"]  # no worked example: the note alone, tried or not
    assert basic.description(found=set()) == basic.description() == basic.note


@pytest.mark.parametrize(("problem", "step", "hint"), [
    (Problem("conv", [[[0, 1], [3, 4]]], [[[[-1, 0.5], [2, 3]]]], bias=[-1.5]), 0,
     "Multiply each window value by the kernel value on top of it and add the 4 products, then add the bias -1.5."),
    (PRESETS["multi-channel"].problem, 0, "For each of the 2 input channels, multiply each window value by the "
     "kernel value on top of it and add the 4 products; then add the channels' results."),
    (Problem("conv", [[[1, 2]], [[3, 4]]], [[[[1]], [[2]]]], bias=[7]), 1, "For each of the 2 input channels, "
     "multiply the window value by the kernel value on top of it; then add the channels' results and the bias 7."),
    (PRESETS["ufv-exercise-5x5"].problem, 0, "Take the largest of the window's 9 values."),
    (Problem("max", [[[0, 1], [3, 4]]], pool_size=(2, 2), padding=(1, 1), stride=(2, 2)), 0,
     "Take the largest of the window's 4 values (the −∞ padding never wins)."),
    (PRESETS["ufv-avg-4x4"].problem, 3, "Take the mean of the window's 4 values: add them and divide by 4."),
    (Problem("avg", [[[0, 1], [3, 4]]], pool_size=(2, 2), padding=(1, 1), stride=(2, 2)), 3,
     "Take the mean of the window's 4 values: add them and divide by 4 (the padding zeros count)."),
])
def test_how_to_compute_a_cell_speaks_of_its_operation(problem, step, hint):
    result = compute(problem)
    assert how_to_compute(result, result.steps[step]) == hint


def test_bias_negative_numbers_and_padding_in_expressions():
    problem = Problem("conv", [[[0, 1], [3, 4]]], [[[[-1, 0.5], [2, 3]]]], bias=[-1.5])
    assert compute(problem).steps[0].expression == "0×(-1) + 1×0.5 + 3×2 + 4×3 + (-1.5) = 17"
    max_pool = Problem("max", [[[0, 1], [3, 4]]], pool_size=(2, 2), padding=(1, 1), stride=(2, 2))
    assert compute(max_pool).steps[0].expression == "max(-∞, -∞, -∞, 0) = 0"
    avg_pool = Problem("avg", [[[0, 1], [3, 4]]], pool_size=(2, 2), padding=(1, 1), stride=(2, 2))
    # torch's count_include_pad=True: the padding zeros count in the mean
    assert compute(avg_pool).steps[3].expression == "(4 + 0 + 0 + 0) / 4 = 1"
    assert torch_reference(avg_pool)[0, 1, 1].item() == 1


def test_output_shape_formula_text():
    shape = output_shape(1, (3, 3), (2, 2), (1, 1), (3, 2))
    assert shape.height.torch_formula == "⌊(3 + 2×1 − 1×(2−1) − 1)/3⌋ + 1 = 2"
    assert shape.height.course_formula == "⌊(3 − 2 + 2 + 3)/3⌋ = 2"
    assert shape.width.course_formula == "⌊(3 − 2 + 2 + 2)/2⌋ = 2"
    dilated = output_shape(1, (7, 7), (3, 3), (0, 0), (1, 1), (2, 2))
    assert dilated.height.out == 3
    assert "dilation 2 spreads the height's kernel of 3 over 5 cells: 2×(3−1)+1" in dilated.formula_lines()


# --------------------------------------------------------------------------- impossible settings


@pytest.mark.parametrize(("problem", "words"), [
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1, 1, 1]] * 3]]),
     "larger than the padded input 2×2: it does not fit anywhere. Use a smaller kernel, less dilation or more "
     "padding (p)."),
    # pooling has no kernel to shrink and no dilation: its own words
    (Problem("max", [[[0, 1, 2]] * 3], pool_size=(4, 4)),
     "The pool size (f) 4×4 is larger than the padded input 3×3: it does not fit anywhere. Use a smaller pool "
     "size or more padding (p)."),
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1]]]], stride=(0, 1)), "stride (s) must be at least 1"),
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1]]]], padding=(-1, 0)), "padding (p) cannot be negative"),
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1, 1], [1, 1]]]], dilation=(2, 2)), "dilated to 3×3"),
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1]], [[1]]]]), "the input has 1"),
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1]]]], bias=[1, 2]), "one value per filter"),
    (Problem("max", [[[0, 1], [2, 3]]], pool_size=(3, 3), padding=(2, 2)), "at most half the pool size"),
    (Problem("avg", [[[0, 1], [2, 3]]], pool_size=(0, 0)), "pool size (f) must be at least 1"),
    (Problem("max", [[[0.0] * 33] * 2]), "at most 32×32"),
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1]]]], padding=(100_000_000, 0)),
     "padding (p) must be from 0 to 8 (got 100000000 for the height)"),
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1]]]], stride=(9, 9)), "stride (s) must be from 1 to 8 (got 9)"),
    (Problem("conv", [[[0, 1], [2, 3]]], [[[[1]]]], dilation=(1, 5)),
     "dilation must be from 1 to 4 (got 5 for the width)"),
    (Problem("max", [[[0, 1], [2, 3]]], pool_size=(9, 9), stride=(1, 1)), "pool size (f) must be from 1 to 8"),
    (Problem("avg", [[[0, 1], [2, 3]]], pool_size=(2, 2), stride=(10**9, 1)), "stride (s) must be from 1 to 8"),
])
def test_impossible_settings_are_explained(problem, words):
    messages = validate(problem)
    assert any(words in message for message in messages), messages
    with pytest.raises(InvalidSettings):
        compute(problem)


def test_the_largest_settings_still_match_torch_and_one_more_is_refused():
    """The limits are the page's and the CLI's: at them everything computes, beyond them a message."""
    p, s, d, f = LIMITS["pad"][1], LIMITS["stride"][1], LIMITS["dil"][1], LIMITS["pool_f"][1]
    n = LIMITS["filters"][1]
    x = [[[float((r * 7 + c) % 5 - 2) for c in range(MAX_SIDE)] for r in range(MAX_SIDE)]]
    kernel = [[[[1.0, -2.0, 0.5], [0.0, 3.0, 1.0], [-1.0, 1.0, 2.0]]]]
    kernels = [[[[w * (i + 1) for w in row] for row in kernel[0][0]]] for i in range(n)]  # n different filters
    biggest = Problem("conv", x, kernels, padding=(p, p), stride=(s, 1), dilation=(d, d), bias=[0.5] * n)
    result = assert_matches_torch(biggest)
    assert len(result.padded[0]) == MAX_SIDE + 2 * p  # the padded input: 48×48 at most
    assert len(result.output) == n
    assert validate(Problem("conv", x, [*kernels, kernel[0]], bias=[0.5] * (n + 1))) == [
        f"At most {n} filters (output channels), got {n + 1}: give at most {n} kernels (cnnviz writes out "
        "every output channel)."]
    assert_matches_torch(Problem("avg", x, pool_size=(f, f), padding=(f // 2, f // 2), stride=(s, s)))
    assert_matches_torch(Problem("max", x, pool_size=(f, f), padding=(f // 2, f // 2), stride=(1, 1)))
    for beyond in (dict(padding=(p + 1, p)), dict(stride=(s + 1, 1)), dict(dilation=(d + 1, d))):
        assert validate(Problem("conv", x, kernel, **beyond)), beyond
    assert validate(Problem("max", x, pool_size=(f + 1, f + 1), stride=(1, 1)))
    c = LIMITS["channels"][1]
    channels = [[[float(i + r - col) for col in range(3)] for r in range(3)] for i in range(c)]
    assert_matches_torch(Problem("conv", channels, [[[[1.0, -1.0], [2.0, 0.5]]] * c], bias=[1.0]))
    assert_matches_torch(Problem("max", channels, pool_size=(2, 2), stride=(1, 1)))
    for op, kernels in (("conv", [[[[1.0]]] * (c + 1)]), ("max", [])):
        assert validate(Problem(op, [*channels, channels[0]], kernels, pool_size=(1, 1))) == [
            f"The input has {c + 1} channels; cnnviz writes out at most {c}."]


def test_torch_agrees_the_pool_padding_rule():
    """Our message fires exactly where torch refuses: p > ⌊f/2⌋."""
    x = torch.zeros(1, 1, 6, 6)
    for f in range(1, 5):
        for p in range(0, 4):
            problem = Problem("max", x[0].tolist(), pool_size=(f, f), padding=(p, p), stride=(1, 1))
            try:
                F.max_pool2d(x, f, 1, p)
                refused = False
            except RuntimeError:
                refused = True
            assert bool(validate(problem)) == refused, (f, p)


# --------------------------------------------------------------------------- text in and out


def test_parse_matrices_rows_channels_and_errors():
    assert parse_matrices("0 1 2; 3 4 5") == [[[0, 1, 2], [3, 4, 5]]]
    assert parse_matrices("1,2\n3,4 | 5 6; 7 8") == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    assert matrices_text(parse_matrices("1 2; 3 4.5 | 5 6; 7 8")) == "1 2; 3 4.5 | 5 6; 7 8"
    # the minus sign of slides (and of this app's "−∞"), U+2212: once "'−1' is not a number"
    assert parse_matrices("\u22121 2; 3 \u22124.5") == [[[-1, 2], [3, -4.5]]]
    for text, words in [("0 1; 2", "ragged rows"), ("0 x", "'x' is not a number"), ("  ", "is empty"),
                        ("1 2 | 3", "same height and width"), ("1 nan", "finite")]:
        with pytest.raises(ValueError, match=words):
            parse_matrices(text)


def test_parse_bias_one_for_all_finite_only():
    assert parse_bias("1, -2.5", 2) == [1, -2.5]
    assert parse_bias("3", 3) == [3, 3, 3]  # one value for every filter
    assert parse_bias("\u22120.5, 2", 2) == [-0.5, 2]
    assert parse_bias("  ", 2) is None
    with pytest.raises(ValueError, match=r"bias \(b\): 'one' is not a list of numbers"):
        parse_bias("one", 1)
    for text in ("nan", "1, inf", "-inf", "1e999"):  # 1e999 reads as inf
        with pytest.raises(ValueError, match=r"^bias \(b\): use finite numbers \(no inf or nan\)$"):
            parse_bias(text, 2)
    problem = Problem("conv", [[[0, 1], [2, 3]]], [[[[1]]]], bias=[math.nan])  # built in Python
    assert validate(problem) == ["bias (b): use finite numbers (no inf or nan)"]


def test_number_formatting():
    assert [format_number(v) for v in (19.0, -3.0, 3.75, 1 / 3, 0.00001, -math.inf, 1e6)] == [
        "19", "-3", "3.75", "0.3333", "1e-05", "-∞", "1000000"]
    # from 1e15 on, not every integer is a float: the exponent form, not 1e308's 309 digits
    assert [format_number(v) for v in (999_999_999_999_999.0, 1e15, -2.5e20, 1e308)] == [
        "999999999999999", "1e+15", "-2.5e+20", "1e+308"]


# --------------------------------------------------------------------------- numbers past the largest float


def not_finite_cells(problem: Problem) -> list[tuple[int, int, int]]:
    """(channel, row, column) of torch's non-finite outputs, in row-major order: the independent answer."""
    return [tuple(cell) for cell in (~torch.isfinite(torch_reference(problem))).nonzero().tolist()]


@pytest.mark.parametrize(("problem", "message"), [
    # 1e308 sits under the kernel's 3 and 2 in the first row of windows: 3e308 and 2e308 are ∞ (torch too)
    (Problem("conv", [[[1, 2, 3], [4, 1e308, 5], [6, 7, 8]]], [[[[0, 1], [2, 3]]]]),
     "output[0, 0] is ∞ (and 1 more output cell): the product 1e+308×3 goes past the largest number a float "
     "holds (1.8e+308). Use smaller input or kernel values."),
    # +∞ and −∞ in one sum: nan
    (Problem("conv", [[[1e308, -1e308]]], [[[[10, 10]]]]),
     "output[0, 0] is nan (∞ − ∞): the product 1e+308×10 goes past the largest number a float holds (1.8e+308). "
     "Use smaller input or kernel values."),
    # every product finite, their sum not; the second filter's channel is named
    (Problem("conv", [[[1e308, 1e308]]], [[[[0, 1]]], [[[1, 1]]]]),
     "output channel 2 [0, 0] is ∞: the sum of its products goes past the largest number a float holds "
     "(1.8e+308). Use smaller input or kernel values."),
    (Problem("avg", [[[1e308, 1e308, 1e308, 1e308]]], pool_size=(1, 2), stride=(1, 1)),
     "output[0, 0] is ∞ (and 2 more output cells): the sum of its window goes past the largest number a float "
     "holds (1.8e+308). Use smaller input values."),
])
def test_outputs_past_the_largest_float_are_refused_naming_the_first(problem, message):
    assert validate(problem) == []  # every number is finite: only the result tells
    with pytest.raises(InvalidSettings) as refused:
        compute(problem)
    assert refused.value.messages == [message] and str(refused.value) == message
    channel, row, col = not_finite_cells(problem)[0]
    named = f"output[{row}, {col}]" if problem.output_channels == 1 else f"output channel {channel + 1} [{row}, {col}]"
    assert message.startswith(named)
    more = len(not_finite_cells(problem)) - 1
    assert (f"(and {more} more output cell" in message) == (more > 0)


def test_a_huge_bad_cell_or_bias_is_quoted_cut_to_80_characters():
    """A pasted paragraph in a box: the message quotes its start, not all 10,000 characters."""
    pasted = "x" * 10_000
    with pytest.raises(ValueError) as error:
        parse_matrices(f"1 2; 3 {pasted}")
    assert str(error.value) == f"input: '{'x' * 78}… is not a number (channel 1, row 2)"
    with pytest.raises(ValueError) as error:
        parse_matrices("9" * 10_000, "kernel")  # reads as inf
    assert str(error.value).startswith(f"kernel: '{'9' * 78}… is not a finite number (channel 1, row 1): ")
    with pytest.raises(ValueError) as error:
        parse_bias("one " * 2_500, 1)
    assert str(error.value) == f"bias (b): {repr('one ' * 20)[:79]}… is not a list of numbers (e.g. 1, or 1, -2)."
    with pytest.raises(ValueError, match=r"^input: 'x' is not a number"):  # a short one stays whole
        parse_matrices("x")


def test_the_largest_finite_numbers_still_compute():
    problem = Problem("conv", [[[1e308, -1e308]]], [[[[1, 1]]]], bias=[1.5e308])  # 1e308 − 1e308 + 1.5e308
    assert compute(problem).output == torch_reference(problem).tolist() == [[[1.5e308]]]
    assert compute(Problem("max", [[[1e308, -1e308]]], pool_size=(1, 2))).output == [[[1e308]]]


def test_inf_and_nan_in_the_numbers_are_refused_naming_where():
    with pytest.raises(ValueError, match=r"^input: '1e999' is not a finite number \(channel 2, row 3\): use finite "
                                         r"numbers \(no inf or nan; a float holds at most 1.8e\+308\)$"):
        parse_matrices("1 2; 3 4; 5 6 | 1 2; 3 4; 5 1e999")  # 1e999 reads as inf
    with pytest.raises(ValueError, match=r"^kernel: '-nan' is not a finite number \(channel 1, row 1\)"):
        parse_matrices("1 -nan", "kernel")
    built = Problem("conv", [[[0, 1], [2, math.inf]]], [[[[1]]], [[[math.nan]]]])  # built in Python
    assert validate(built) == [
        "The input has ∞ at channel 1, row 2, column 2: use finite numbers (no inf or nan).",
        "The kernel of filter 2 has nan at channel 1, row 1, column 1: use finite numbers (no inf or nan)."]
