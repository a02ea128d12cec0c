"""``python -m cnnviz conv`` and ``pool`` in a subprocess, as a student runs them."""

import json
import re
import subprocess
import sys

import pytest

from tests.live_app import ROOT

X = "0 1 2; 3 4 5; 6 7 8"
UFV_4X4 = "1 3 2 1; 2 9 1 1; 1 3 2 3; 5 6 1 2"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def cli_json(*args: str) -> dict:
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_conv_text_with_steps_as_on_the_slide():
    result = cli("conv", "--input", X, "--kernel", "0 1; 2 3", "--steps")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[lines.index("output") + 1:lines.index("output") + 3] == ["  19 25", "  37 43"]
    assert "  [0,0] window at (0,0): 0×0 + 1×1 + 3×2 + 4×3 = 19" in lines
    assert "  [1,1] window at (1,1): 4×0 + 5×1 + 7×2 + 8×3 = 43" in lines
    assert "output shape (C×H×W): 1×2×2" in lines


def test_conv_json_padding_and_stride():
    data = cli_json("conv", "--input", X, "--kernel", "0 1; 2 3", "--padding", "1")
    assert data["output"] == [[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]]
    assert data["output_shape"] == [1, 4, 4]
    assert "steps" not in data
    data = cli_json("conv", "--input", X, "--kernel", "0 1; 2 3", "--padding", "1", "--stride", "3,2",
                    "--steps")
    assert data["output"] == [[0, 8], [6, 8]]
    assert "height: ⌊(3 + 2×1 − 1×(2−1) − 1)/3⌋ + 1 = 2" in data["formula"]
    assert "width (course, p = total padding): ⌊(3 − 2 + 2 + 2)/2⌋ = 2" in data["formula"]
    assert [s["expression"] for s in data["steps"]][1:3] == ["0×0 + 0×1 + 1×2 + 2×3 = 8",
                                                             "0×0 + 6×1 + 0×2 + 0×3 = 6"]
    assert data["steps"][2]["window_top_left"] == [3, 0]
    assert data["steps"][1]["terms"][0]["products"] == [0, 0, 2, 6]


def test_conv_several_channels_filters_bias_and_dilation():
    two_channels = f"{X} | 1 2 3; 4 5 6; 7 8 9"
    data = cli_json("conv", "--input", two_channels, "--kernel", "0 1; 2 3 | 1 2; 3 4",
                    "--kernel", "1 2; 3 4 | 2 3; 4 5", "--bias", "1,-1", "--steps")
    assert data["output"] == [[[57, 73], [105, 121]], [[75, 99], [147, 171]]]
    assert data["output_shape"] == [2, 2, 2]
    assert data["steps"][0]["expression"] == "19 + 37 + 1 = 57"
    assert [t["expression"] for t in data["steps"][0]["terms"]] == [
        "0×0 + 1×1 + 3×2 + 4×3 = 19", "1×1 + 2×2 + 4×3 + 5×4 = 37"]
    dilated = cli_json("conv", "--input", X, "--kernel", "1 1; 1 1", "--dilation", "2")
    assert dilated["output"] == [[0 + 2 + 6 + 8]]


def test_pool_max_and_avg():
    assert cli_json("pool", "--op", "max", "--input", UFV_4X4, "--size", "2")["output"] == [[9, 2], [6, 3]]
    assert cli_json("pool", "--op", "avg", "--input", UFV_4X4, "--size", "2")["output"] == [
        [3.75, 1.25], [3.75, 2]]
    exercise = "1 3 2 1 3; 2 9 1 1 5; 1 3 2 3 2; 8 3 5 1 0; 5 6 1 2 9"
    data = cli_json("pool", "--op", "max", "--input", exercise, "--size", "3", "--stride", "1", "--steps")
    assert data["output"] == [[9, 9, 5], [9, 9, 5], [8, 6, 9]]
    result = cli("pool", "--op", "max", "--input", X, "--size", "2", "--stride", "1", "--steps")
    assert "max(0, 1, 3, 4) = 4" in result.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["conv", "--input", "0 1; 2", "--kernel", "1"], "ragged rows"),
    (["conv", "--input", "0 one", "--kernel", "1"], "'one' is not a number"),
    (["conv", "--input", X, "--kernel", "1", "--stride", "0"], "stride (s) must be at least 1"),
    (["conv", "--input", X, "--kernel", "1 1 1 1; 1 1 1 1; 1 1 1 1; 1 1 1 1"], "larger than the padded"),
    (["conv", "--input", "; ".join([" ".join(["1"] * 33)] * 2), "--kernel", "1"], "at most 32×32"),
    (["conv", "--input", X, "--kernel", "1", "--padding", "a"], "--padding must be a whole number"),
    (["conv", "--input", X, "--kernel", "1 | 1"], "the input has 1"),
    (["pool", "--op", "max", "--input", X, "--size", "3", "--padding", "2"], "at most half the pool size"),
    (["conv", "--input", X, "--kernel", "0 1; 2 3", "--padding", "100000000"],
     "padding (p) must be from 0 to 8 (got 100000000)"),
    (["conv", "--input", X, "--kernel", "0 1; 2 3", "--padding", "3000,1", "--stride", "1,99999"],
     "stride (s) must be from 1 to 8 (got 99999 for the width)"),
    (["conv", "--input", X, "--kernel", "1", "--dilation", "5"], "dilation must be from 1 to 4"),
    (["pool", "--op", "avg", "--input", X, "--size", "100000000", "--stride", "1"],
     "pool size (f) must be from 1 to 8 (got 100000000×100000000)"),
    (["pool", "--op", "max", "--input", X, "--size", "2", "--stride", "100000000"],
     "stride (s) must be from 1 to 8"),
    (["conv", "--input", X, "--kernel", "0 1; 2 3", "--bias", "nan"], "--bias: use finite numbers (no inf or nan)"),
    (["conv", "--input", X, "--kernel", "1", "--kernel", "2", "--bias", "1,inf"], "use finite numbers"),
    (["conv", "--input", X, "--kernel", "1", "--bias", "one"], "--bias: 'one' is not a list of numbers"),
    (["conv", "--input", X, *["--kernel", "1"] * 5], "At most 4 filters (output channels), got 5"),
    (["conv", "--input", "1 2 3; 4 1e308 5; 6 7 8", "--kernel", "0 1; 2 3"],
     "output[0, 0] is ∞ (and 1 more output cell): the product 1e+308×3 goes past the largest number a float "
     "holds (1.8e+308)"),
    (["pool", "--op", "avg", "--input", "1e308 1e308", "--size", "1,2"], "the sum of its window goes past"),
    (["conv", "--input", "1 1e999", "--kernel", "1"], "input: '1e999' is not a finite number (channel 1, row 1)"),
    (["conv", "--input", X, "--kernel", "0 1; 2 3", "--bias", "-inf"], "--bias: use finite numbers (no inf or nan)"),
    (["conv", "--input", X, "--kernel", "1", "--kernel", "2", "--bias", "-1,-inf"], "--bias: use finite numbers"),
    (["conv", "--input", X, "--kernel", "1", "--stride", "-1,1"],
     "stride (s) must be at least 1 (got -1 for the height)"),
])
def test_bad_input_is_one_line_without_traceback(args, words):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert words in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("size, words", [("9", "must be from 1 to 8 (got 9×9)"), ("0", "must be at least 1 (got 0×0)"),
                                         ("2,9", "must be from 1 to 8 (got 2×9)")])
def test_a_bad_pool_size_is_blamed_on_the_size_alone(size, words):
    """The stride defaults to the pool size: a size out of range is the size's fault, not the
    stride's, which the student never set."""
    result = cli("pool", "--op", "max", "--input", X, "--size", size)
    assert result.returncode == 2
    assert result.stderr == f"error: The pool size (f) {words}.\n"


def test_negative_numbers_are_values_not_options():
    """argparse took "-1,-2.5", "-1e0" or "-inf" for unknown options; they are values of the option before them."""
    x_kernel = [[19, 25], [37, 43]]  # X ⋆ "0 1; 2 3"
    assert cli_json("conv", "--input", X, "--kernel", "0 1; 2 3", "--bias", "-1")["output"] == [
        [v - 1 for v in row] for row in x_kernel]
    data = cli_json("conv", "--input", X, "--kernel", "0 1; 2 3", "--kernel", "1 0; 0 1", "--bias", "-1,-2.5")
    identity = [[0 + 4, 1 + 5], [3 + 7, 4 + 8]]  # X ⋆ "1 0; 0 1"
    assert data["output"] == [[[v - 1 for v in row] for row in x_kernel], [[v - 2.5 for v in row] for row in identity]]
    assert cli_json("conv", "--input", "-1,2;3,-4", "--kernel", "-1e0")["output"] == [[1, -2], [-3, 4]]
    assert cli_json("pool", "--op", "max", "--input", "-1,-2;-3,-4", "--size", "2")["output"] == [[-1]]


def test_json_writes_huge_values_as_floats_and_small_integers_as_integers():
    """1e300 is "1e+300", not its 301 digits; 19 stays 19 (not 19.0): the text output's 1e15 cut-off."""
    result = cli("conv", "--input", "1e300 19; 0.5 999999999999999", "--kernel", "1", "--json", "--steps")
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)["output"]
    assert re.search(r"\[\s*1e\+300,\s*19\s*\],\s*\[\s*0\.5,\s*999999999999999\s*\]", result.stdout)
    assert output == [[1e300, 19], [0.5, 999_999_999_999_999]]
    assert [type(v) for row in output for v in row] == [float, int, float, int]
    step = json.loads(result.stdout)["steps"][0]
    assert not re.search(r"\d{20}", result.stdout)  # nowhere 1e300's 301 digits
    assert (step["value"], step["terms"][0]["values"], step["terms"][0]["products"]) == (1e300, [1e300], [1e300])


def test_as_many_filters_as_the_page_allows():
    """The page stops at LIMITS["filters"] (4); the CLI takes exactly as many, one output channel each."""
    data = cli_json("conv", "--input", X, *[arg for w in range(1, 5) for arg in ("--kernel", str(w))])
    assert data["output_shape"] == [4, 3, 3]
    assert data["output"] == [[[w * v for v in range(r * 3, r * 3 + 3)] for r in range(3)] for w in range(1, 5)]


def test_help_explains_channels_and_filters():
    result = cli("conv", "--help")
    assert "repeat --kernel, once per filter" in " ".join(result.stdout.split())
