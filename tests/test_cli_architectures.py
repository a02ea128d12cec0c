"""``python -m cnnviz list`` and ``summary`` in a subprocess, as a user runs them."""

import json
import subprocess
import sys

import pytest

from cnnviz.zoo import list_architectures
from tests.live_app import ROOT


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=180)


def test_list_json_has_every_entry_with_its_fields():
    result = cli("list", "--json")
    assert result.returncode == 0
    entries = json.loads(result.stdout)
    assert [e["id"] for e in entries] == [a.id for a in list_architectures()]
    lenet = next(e for e in entries if e["id"] == "lenet5")
    assert lenet["input_shape"] == [1, 32, 32]
    assert lenet["num_classes"] == 10
    assert set(lenet) == {"id", "title", "family", "source", "input_shape", "num_classes"}


def test_list_text_is_a_table_of_the_zoo_under_a_header():
    lines = cli("list").stdout.splitlines()
    assert lines[0].split() == ["id", "family", "input", "title"]
    assert [line.split()[0] for line in lines[1:]] == [a.id for a in list_architectures()]
    assert lines[1].split(maxsplit=3) == ["lenet5", "LeNet", "1×32×32", "LeNet-5"]
    assert len({line.index(line.split()[1]) for line in lines}) == 1  # the family column lines up


def test_summary_json_of_alexnet_d2l():
    result = cli("summary", "alexnet-d2l", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total_params"] == 46_764_746
    assert data["input_shape"] == [1, 224, 224]
    assert data["diagnosis"] is None
    conv1 = data["layers"][0]
    assert conv1["name"] == "conv1"
    assert conv1["output_shape"] == [96, 54, 54]
    assert conv1["activation_size"] == 96 * 54 * 54
    assert conv1["formula"] == "(11·11·1+1)·96 = 11,712"
    assert conv1["macs"] == 96 * 54 * 54 * 11 * 11
    assert conv1["receptive_field"] == [11, 11]


def test_summary_with_other_input_and_classes():
    data = json.loads(cli("summary", "resnet18", "--input", "1,64,64", "--classes", "7",
                          "--depth", "1", "--format", "json").stdout)
    assert data["input_shape"] == [1, 64, 64]
    assert data["layers"][-1]["output_shape"] == [7]
    assert data["layers"][0]["formula"] == "7·7·1·64 = 3,136"
    assert (data["network_depth"], data["weight_layers"]) == (18, 21)
    text = cli("summary", "resnet18").stdout
    assert "\ndepth: 18 layers (21 weight layers)\nreceptive field: 435×435\n" in text + "\n"  # as on the page
    assert "\n\nConv layers hold 95.5% of the 11,689,512 parameters (layer4.0.conv2 alone 2,359,296: 20.2%)" in text


def test_summary_of_a_net_that_does_not_fit_prints_table_and_diagnosis():
    result = cli("summary", "simple-cnn")
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert "fc expects 320 input features but receives 500 = 20×5×5." in result.stdout
    assert "20×5×5" in result.stdout
    assert "depth:" not in result.stdout  # no path reaches the output
    data = json.loads(cli("summary", "simple-cnn", "--format", "json").stdout)
    assert data["diagnosis"]["layer"] == "fc"
    assert "in_features=500" in data["diagnosis"]["suggestion"]


def test_summary_of_a_spec_file(tmp_path):
    spec = {"name": "tiny", "input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 4, "kernel": 3}, {"type": "relu"}, {"type": "flatten"},
        {"type": "linear", "out_features": 2}]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(spec))
    data = json.loads(cli("summary", "--spec", str(path), "--format", "json").stdout)
    assert data["total_params"] == (9 + 1) * 4 + (4 * 6 * 6 + 1) * 2
    assert [layer["output_shape"] for layer in data["layers"]] == [[4, 6, 6], [4, 6, 6], [144], [2]]
    with_classes = cli("summary", "--spec", str(path), "--classes", "5")  # it would be ignored: refused
    assert with_classes.returncode == 2 and with_classes.stdout == ""
    assert with_classes.stderr == ("error: --classes sets a zoo network's classes; a spec's are its last linear "
                                   "layer's out_features: change that in the spec\n")


@pytest.mark.parametrize("fmt, marker", [("markdown", "| conv1 | Conv2d |"), ("csv", "conv1,Conv2d,"),
                                         ("latex", "\\begin{tabular}"), ("torchinfo", "Total params: 61,706")])
def test_summary_formats(fmt, marker):
    result = cli("summary", "lenet5", "--format", fmt)
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout


@pytest.mark.parametrize("fmt", ["csv", "markdown", "latex"])
def test_a_table_file_of_a_network_that_does_not_fit_is_the_table_alone(fmt):
    """`summary lenet5 --input 1,20,20 --format csv > t.csv` once ended the file with the diagnosis."""
    from cnnviz import report
    from cnnviz.analysis import analyze_architecture

    result = cli("summary", "lenet5", "--input", "1,20,20", "--format", fmt)
    analysis = analyze_architecture("lenet5", (1, 20, 20))
    writer = {"csv": report.csv_table, "markdown": report.markdown_table, "latex": report.latex_table}[fmt]
    assert result.returncode == 3
    assert result.stdout == writer(report.layer_table(analysis)).rstrip("\n") + "\n"  # the page's download
    assert result.stderr == report.diagnosis_text(analysis) + "\n"


@pytest.mark.parametrize("args, message", [
    (("summary", "lenet6"), "unknown architecture 'lenet6'. Did you mean lenet5"),
    (("summary", "lenet5", "--input", "1,28"), "input shape must be three positive integers"),
    (("summary", "lenet5", "--input", "0,28,28"), "input shape must be positive"),
    (("summary", "lenet5", "--classes", "0"), "--classes must be a positive integer"),
    (("summary",), "give either an architecture ID or --spec FILE"),
    (("summary", "--spec", "/no/such/file.json"), "/no/such/file.json"),
])
def test_bad_input_is_one_line_without_traceback(args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


TRUNCATED_JSON = '{"input_shape": [1, 8, 8], "layers": ['


@pytest.mark.parametrize(("content", "message"), [
    (TRUNCATED_JSON, f"invalid JSON at line 1, column {len(TRUNCATED_JSON) + 1}: Expecting value"),  # at its end
    (json.dumps({"input_shape": [1, 8, 8], "layers": [{"type": "conv", "filters": 2, "kernel": [0] * 50_000}]}),
     "layer 0 (conv): 'kernel' must be a positive integer or a list [height, width] of positive integers, got "
     + json.dumps([0] * 50_000)[:79] + "…"),
])
def test_a_bad_spec_file_is_named_once_and_its_bad_value_cut_short(tmp_path, content, message):
    path = tmp_path / "net.json"
    path.write_text(content)
    result = cli("summary", "--spec", str(path))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"error: {path}: {message}\n"


def test_input_too_small_prints_the_diagnosis():
    result = cli("summary", "lenet5", "--input", "1,8,8")
    assert result.returncode == 3
    assert "conv2 has a 5×5 kernel but its input is only 2×2" in result.stdout


def test_the_diagnosis_follows_the_tables_order():
    """--order textbook writes the table's shapes (H, W, C): its diagnosis too, on stdout and on stderr."""
    table = cli("summary", "lenet5", "--input", "1,36,36", "--order", "textbook")
    assert table.returncode == 3
    assert table.stdout.endswith("fc1 expects 400 input features but receives 576 = 6×6×16.\n"
                                 "Fix: set in_features=576 in fc1, or an input from 32×32×1 to 35×35×1.\n")
    csv = cli("summary", "lenet5", "--input", "1,36,36", "--order", "textbook", "--format", "csv")
    assert "activation shape (H, W, C)" in csv.stdout and "receives 576 = 6×6×16." in csv.stderr


def test_torchinfo_of_a_network_too_large_to_build_is_one_line(tmp_path):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"name": "huge", "input_shape": [1, 28, 28], "layers": [
        {"type": "conv", "filters": 10**12, "kernel": 3}]}))
    result = cli("summary", "--spec", str(path), "--format", "torchinfo")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: torchinfo would build this network for real: 40.0 TB of weights "
                                    "and 2.7 PB of activations, more than half of the ")
    assert len(result.stderr.strip().splitlines()) == 1
