"""The Architectures page: AppTest for its logic, real Chromium for what a student sees."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from cnnviz import textbook
from cnnviz.analysis import analyze_architecture
from cnnviz.report import human_bytes, latex_table, layer_table
from cnnviz.spec import spec_json
from tests.live_app import ROOT, StreamlitPage

PAGE = str(ROOT / "pages" / "architectures.py")


def open_page(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_link_opens_the_architecture_with_its_totals():
    at = open_page(arch="alexnet-d2l")
    assert not at.exception
    assert at.selectbox(key="arch").value == "alexnet-d2l"
    assert metrics(at)["# parameters"] == "46,764,746"
    table = at.dataframe[0].value
    assert table.loc[table["layer"] == "conv1", "activation shape (C×H×W)"].item() == "96×54×54"
    assert table.loc[table["layer"] == "fc6", "# parameters"].item() == 26_218_496
    assert dict(at.query_params) == {"arch": "alexnet-d2l", "input": "1,224,224", "classes": "10"}


def test_activation_memory_is_the_layer_tables_sizes_times_four_bytes():
    at = open_page(arch="lenet5")
    table = at.dataframe[0].value
    layers = table[table["layer"] != "Input"]
    # conv and tanh, then pool, per stage; the flatten; each fc and its tanh
    assert int(layers["activation size"].sum()) == 2 * 6 * 28 * 28 + 6 * 14 * 14 + 2 * 16 * 10 * 10 + 2 * 16 * 5 * 5 \
        + 2 * 120 + 2 * 84 + 10 == 15_002
    memory = next(m for m in at.metric if m.label == "activation memory")
    assert memory.value == human_bytes(4 * int(layers["activation size"].sum()))
    assert "× 4 bytes" in memory.help


def test_switching_architecture_resets_the_input_and_the_url():
    at = open_page(arch="lenet5")
    at.selectbox(key="arch").set_value("vgg16").run()
    assert (at.number_input(key="in_c").value, at.number_input(key="in_h").value) == (3, 224)
    assert metrics(at)["# parameters"] == "138,357,544"
    assert at.query_params["arch"] == "vgg16"


def test_the_link_holds_the_order_and_the_depths_and_opens_them():
    """A shared ResNet-18 view in textbook order, cut at depth 2, its diagram at depth 3."""
    at = open_page(arch="resnet18")
    assert {"order", "depth", "diagram_depth"}.isdisjoint(at.query_params)  # the defaults stay out of the link
    at.toggle(key="textbook_order").set_value(True).run()
    at.select_slider(key="depth").set_value(2).run()
    at.query_params["view"] = "Diagram"
    at.run()
    at.slider(key="diagram_depth").set_value(3).run()
    link = {key: at.query_params[key] for key in ("arch", "order", "depth", "diagram_depth", "view")}
    assert link == {"arch": "resnet18", "order": "textbook", "depth": "2", "diagram_depth": "3", "view": "Diagram"}

    diagram = open_page(**link)
    assert not diagram.warning
    assert (diagram.toggle(key="textbook_order").value, diagram.slider(key="diagram_depth").value) == (True, 3)
    shared = open_page(**{**link, "view": "Layer table"})
    assert shared.select_slider(key="depth").value == 2
    rows = shared.dataframe[0].value
    assert list(rows["layer"].str.strip())[:8] == ["Input", "conv1", "bn1", "relu", "maxpool", "layer1.0",
                                                   "layer1.1", "layer2.0"]  # cut at depth 2: the blocks
    assert rows.loc[rows["layer"].str.strip() == "layer1.0", "activation shape (H, W, C)"].item() == "(56, 56, 64)"

    shared.selectbox(key="arch").set_value("vgg16").run()  # another network: its own default depths
    assert "depth" not in shared.query_params and "diagram_depth" not in shared.query_params
    assert shared.select_slider(key="depth").value == "every layer"


@pytest.mark.parametrize("params, warning", [
    ({"arch": "lenet5", "depth": "3"}, "Depth 3 is not a level of this network's layer table (one level): showing "
                                       "depth 1."),
    ({"arch": "resnet18", "depth": "100"}, "Depth 100 is not a level of this network's layer table (levels 1 to 4): "
                                           "showing every layer."),
    ({"arch": "resnet18", "depth": "0"}, "Depth 0 is not a level of this network's layer table (levels 1 to 4): "
                                         "showing every layer."),
    ({"arch": "resnet18", "diagram_depth": "7", "view": "Diagram"},
     "Diagram depth 7 is not a level of this network's diagram (levels 1 to 4): showing depth 2."),
    ({"arch": "resnet18", "depth": "deep"}, "Ignoring the link's depth 'deep': give a whole number of levels, "
                                            "e.g. depth=2."),
    ({"arch": "resnet18", "order": "hwc"}, "Ignoring the link's order 'hwc': give order=textbook for the slides' "
                                           "(H, W, C), or leave it out for PyTorch's C×H×W."),
])
def test_a_link_with_a_depth_or_order_the_network_cannot_show_says_so(params, warning):
    at = open_page(**params)
    assert not at.exception
    assert [w.value for w in at.warning] == [warning]  # one note a value, not a clamp and then a fallback
    assert "depth" not in at.query_params and "diagram_depth" not in at.query_params and "order" not in at.query_params


@pytest.mark.parametrize("key, typed, kept, note", [
    ("in_h", 2000, 1024, "height (H) must be from 1 to 1,024: 2,000 is out of range, so the page uses 1,024."),
    ("in_w", -3, 1, "width (W) must be from 1 to 1,024: −3 is out of range, so the page uses 1."),
    ("in_c", 0, 1, "channels (C) must be from 1 to 1,024: an empty box or 0 is out of range, so the page uses 1."),
    ("classes", 200_000, 100_000,
     "classes must be from 1 to 100,000: 200,000 is out of range, so the page uses 100,000."),
])
def test_a_number_typed_out_of_range_is_brought_in_and_said(key, typed, kept, note):
    """Streamlit's own bounds left 2000 in a red box while the table stayed at the old input."""
    at = open_page(arch="lenet5")
    at.number_input(key=key).set_value(typed).run()
    assert not at.exception
    assert at.number_input(key=key).value == kept
    assert note in [w.value for w in at.warning]
    shape = tuple(at.number_input(key=k).value for k in ("in_c", "in_h", "in_w"))
    assert at.query_params["input"] == ",".join(map(str, shape))  # the table and the link use what the box shows
    at.number_input(key="in_h").set_value(33).run()  # the next change: the note goes
    assert note not in [w.value for w in at.warning]


def test_changing_the_input_updates_everything():
    at = open_page(arch="resnet18")
    at.number_input(key="in_h").set_value(64).run()
    at.number_input(key="in_w").set_value(64).run()
    at.number_input(key="classes").set_value(7).run()
    assert not at.exception
    assert metrics(at)["# parameters"] == f"{11_689_512 - 1000 * 513 + 7 * 513:,}"
    assert at.query_params["input"] == "3,64,64"


@pytest.mark.parametrize("arch, lesson", [
    ("vgg16", "Fully-connected layers hold 89.4% of the 138,357,544 parameters (classifier.0 alone 102,764,544"),
    ("resnet18", "Conv layers hold 95.5% of the 11,689,512 parameters (layer4.0.conv2 alone 2,359,296"),
])
def test_the_charts_say_where_this_networks_parameters_are(arch, lesson):
    """The charts' caption said "parameters pile up in the fully-connected layers" for every
    network, ResNet's 95.5% in conv layers too."""
    at = open_page(arch=arch, view="Charts")
    assert not at.exception
    assert [caption.value for caption in at.caption if caption.value.startswith(lesson)]


def test_textbook_order_shows_h_w_c():
    at = open_page(arch="lenet5")
    at.toggle(key="textbook_order").set_value(True).run()
    table = at.dataframe[0].value
    assert table.loc[table["layer"] == "conv2", "activation shape (H, W, C)"].item() == "(10, 10, 16)"


def test_the_diagnosis_writes_shapes_in_the_tables_order():
    """LeNet-5 at 1×36×36: fc1 receives a 16×6×6 map, written (6, 6, 16) in the table beside it."""
    at = open_page(arch="lenet5", input="1,36,36")
    assert "receives 576 = 16×6×6." in at.error[0].value and "an input from 1×32×32 to 1×35×35." in at.error[0].value
    at.toggle(key="textbook_order").set_value(True).run()
    assert at.dataframe[0].value.loc[lambda t: t["layer"] == "pool2", "activation shape (H, W, C)"].item() \
        == "(6, 6, 16)"
    assert "receives 576 = 6×6×16." in at.error[0].value and "an input from 32×32×1 to 35×35×1." in at.error[0].value


def test_simple_cnn_shows_its_diagnosis_not_an_exception():
    at = open_page(arch="simple-cnn")
    assert not at.exception
    assert "fc expects 320 input features but receives 500 = 20×5×5." in at.error[0].value
    assert "in_features=500" in at.error[0].value


def test_the_metrics_of_a_network_that_does_not_fit_say_which_layers_they_cover():
    """LeNet-5 at 1×64×64 stops at fc1: its MACs (540,000 in conv1 + 1,622,400 in conv2, by hand),
    activation memory and receptive field are those of the layers until fc1, and the chips say so."""
    at = open_page(arch="lenet5", input="1,64,64")
    shown = {m.label: m for m in at.metric}
    assert shown["MACs per image"].delta == "2,162,400 until fc1"
    assert shown["activation memory"].delta == "batch 1, float32, until fc1"
    assert (shown["receptive field"].value, shown["receptive field"].delta) == ("16×16", "until fc1")
    assert "only the layers that ran, until fc1" in shown["receptive field"].help
    assert shown["# parameters"].value == "61,706"  # fc1's own weights are counted, as always
    assert "depth" not in shown
    fitting = {m.label: m for m in open_page(arch="lenet5").metric}
    assert fitting["MACs per image"].delta == "416,520" and fitting["receptive field"].delta == "last feature map"
    assert fitting["activation memory"].delta == "batch 1, float32"


def test_an_input_too_small_is_diagnosed():
    at = open_page(arch="lenet5", input="1,8,8")
    assert not at.exception
    assert "conv2 has a 5×5 kernel but its input is only 2×2" in at.error[0].value


def test_invalid_link_values_fall_back_with_a_message():
    at = open_page(arch="lenet9", input="1,x", classes="many")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "There is no architecture 'lenet9'" in warnings
    assert "Ignoring the link's input" in warnings
    assert "Ignoring the link's classes 'many'" in warnings
    assert at.selectbox(key="arch").value == "lenet5"


def test_textbook_check_lists_the_wrong_rows():
    at = open_page(arch="lenet5", view="Textbook check")
    checks = at.dataframe[0].value
    wrong = checks[checks[""] == "✗"]
    assert set(wrong["claimed"]) == {"416", "48,000", "10,080", "840"}
    assert "2,416" in set(wrong["computed"])
    # the four mistakes lead, each with why, before the table of all 26 claims
    mistakes = next(m.value for m in at.markdown if m.value.startswith("- ✗"))
    assert mistakes.count("- ✗") == 4
    assert ("- ✗ CONV2(f=5, s=1) · \\# parameters\\: claimed 416, computed 2,416  \n"  # '#' and ':' as written
            "  → input channels forgotten\\: (5·5+1)·16 = 416 instead of (5·5·6+1)·16 = 2,416") in mistakes
    captions = [c.value for c in at.caption]
    assert "Computed at lenet5's own input 1×32×32, the one the documents use." in captions
    # at another input, the claims are still checked at the documents' (LeNet-5 at 28×28 does not even fit)
    other = open_page(arch="lenet5", input="1,28,28", view="Textbook check")
    assert other.dataframe[0].value.equals(checks)
    assert ("Computed at lenet5's own input 1×32×32, the one the documents use, not at the input above: 1×28×28."
            in [c.value for c in other.caption])


def test_the_textbook_check_shows_a_printed_summary_line_as_d2l_prints_it():
    at = open_page(arch="alexnet-d2l", view="Textbook check")
    checks = at.dataframe[0].value
    assert checks["claimed"].iloc[0] == checks["computed"].iloc[0] == "Conv2d [1, 96, 54, 54]"


@pytest.mark.parametrize("arch, depth, shown, not_shown", [
    ("lenet5", 1, "blue boxes have parameters", "residual"),
    ("resnet18", 2, "Green boxes are residual blocks", "Inception"),
])
def test_the_diagram_legend_is_the_network_s(arch, depth, shown, not_shown):
    at = open_page(arch=arch, view="Diagram")
    assert at.slider[0].value == depth
    captions = " ".join(c.value for c in at.caption)
    assert shown in captions and not_shown not in captions


def test_a_network_without_claims_offers_the_ones_with_claims_and_opens_one():
    at = open_page(arch="resnet18", view="Textbook check")
    assert "No course document makes a claim about this network" in at.info[-1].value
    offered = [b.label for b in at.button if b.key and b.key.startswith("open_")]
    assert offered == textbook.architectures_with_claims()
    at.button(key="open_lenet5-padded").click().run()
    assert not at.exception
    assert at.selectbox(key="arch").value == "lenet5-padded"
    assert (at.number_input(key="in_h").value, at.query_params["arch"]) == (28, "lenet5-padded")
    checks = next(d.value for d in at.dataframe if "claimed" in d.value.columns)
    assert set(checks["network"]) == {"lenet5-padded"}


def test_compare_from_a_link():
    at = open_page(arch="lenet5", compare="vgg16,nope", view="Compare")
    assert not at.exception
    assert at.multiselect(key="compare").value == ["vgg16"]
    comparison = next(d.value for d in at.dataframe if "vgg16" in d.value.columns)
    assert comparison.loc["# parameters", "vgg16"] == "138,357,544 (138.4M)"
    assert (comparison.loc["depth", "vgg16"], comparison.loc["weight layers", "vgg16"]) == ("16", "16")
    assert "Not comparing unknown architectures: nope." in " ".join(w.value for w in at.warning)
    typed = open_page(arch="lenet5", compare="vgg16, resnet18,vgg16,,nope, nope", view="Compare")
    assert typed.multiselect(key="compare").value == ["vgg16", "resnet18"]  # spaces and repeats as typed by hand
    assert typed.query_params["compare"] == "vgg16,resnet18"
    typed_comparison = next(d.value for d in typed.dataframe if "resnet18" in d.value.columns)
    assert (typed_comparison.loc["depth", "resnet18"], typed_comparison.loc["weight layers", "resnet18"]) == (
        "18", "21")
    assert [w.value for w in typed.warning if "Not comparing" in w.value] == [
        "Not comparing unknown architectures: nope."]
    slides = open_page(arch="lenet5", compare="vgg16", view="Compare", order="textbook")
    slides_comparison = next(d.value for d in slides.dataframe if "vgg16" in d.value.columns)
    assert slides_comparison.loc["input"].tolist() == ["(32, 32, 1)", "(224, 224, 3)"]  # as the toggle asks


def test_custom_network_valid_and_invalid():
    at = open_page(arch="custom")
    assert not at.exception
    assert metrics(at)["# parameters"] == "61,706"  # the LeNet-5 example spec
    assert at.text_input[0].label == "classes" and at.text_input[0].value == "10"  # its fc3, not the zoo's box
    assert '  "input_shape": [1, 28, 28],' in at.text_area(key="spec_text").value.splitlines()
    spec = {"name": "tiny", "input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 0, "kernel": 3}]}
    at.text_area(key="spec_text").set_value(json.dumps(spec)).run()
    assert "layer 0 (conv)" in at.error[0].value and "'filters'" in at.error[0].value
    at.text_area(key="spec_text").set_value("{not json").run()
    assert at.error[0].value.startswith("Invalid spec — invalid JSON at line 1, column 2: ")
    assert not at.exception


def warnings_of(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def test_out_of_range_link_values_are_clamped_with_a_warning():
    at = open_page(arch="lenet5", input="1,5000,0")
    assert not at.exception
    assert (at.number_input(key="in_c").value, at.number_input(key="in_h").value,
            at.number_input(key="in_w").value) == (1, 1024, 1)
    warnings = warnings_of(at)
    assert "height (H) 5,000 is out of range: it must be from 1 to 1,024; using 1,024 instead." in warnings
    assert "width (W) 0 is out of range: it must be from 1 to 1,024; using 1 instead." in warnings
    assert "channels" not in warnings  # the valid part of the link is kept, silently
    assert at.query_params["input"] == "1,1024,1"


def test_a_link_value_of_many_digits_is_named_as_written():
    """30 digits are read as HUGE (10**15) to stay cheap; the warning still shows the link's own digits."""
    at = open_page(arch="lenet5", input="1," + "9" * 30 + ",28")
    assert not at.exception
    assert at.number_input(key="in_h").value == 1024
    assert (f"height (H) {'9' * 30} is out of range: it must be from 1 to 1,024; using 1,024 instead."
            in warnings_of(at))


def test_out_of_range_classes_are_clamped_not_reset():
    at = open_page(arch="resnet18", classes="200000")
    assert not at.exception
    assert at.number_input(key="classes").value == 100_000
    assert "classes 200,000 is out of range: it must be from 1 to 100,000; using 100,000 instead." in warnings_of(at)
    assert metrics(at)["# parameters"] == f"{11_689_512 - 1000 * 513 + 100_000 * 513:,}"
    assert at.query_params["classes"] == "100000"


def test_a_custom_spec_with_an_input_out_of_range_is_an_error_not_changed():
    at = open_page(arch="custom")
    spec = {"name": "big", "input_shape": [3, 2048, 2048], "layers": [{"type": "conv", "filters": 4, "kernel": 3}]}
    at.text_area(key="spec_text").set_value(json.dumps(spec)).run()
    assert not at.exception
    message = at.error[0].value
    assert "input_shape [3, 2048, 2048]" in message
    assert "height (H) 2,048 is out of range" in message and "width (W) 2,048 is out of range" in message
    assert not at.metric  # nothing analysed at another input


def custom_spec(layers: int) -> dict:
    body = [{"type": "conv", "filters": 4, "kernel": 3, "padding": 1}, {"type": "relu"}] * layers
    return {"name": "link-net", "input_shape": [1, 16, 16], "layers": [
        *body, {"type": "flatten"}, {"type": "linear", "out_features": 3}]}


@pytest.mark.parametrize("layers", [1, 12])  # short: JSON in the link; long: compressed
def test_a_custom_network_link_reopens_the_same_network(layers):
    at = open_page(arch="custom")
    spec = custom_spec(layers)
    at.text_area(key="spec_text").set_value(json.dumps(spec)).run()
    at.number_input(key="in_h").set_value(20).run()
    link = dict(at.query_params)
    assert link["input"] == "1,20,16" and "example" not in link
    assert link["spec"].startswith("{" if layers == 1 else "z.")
    total = metrics(at)["# parameters"]
    expected = (3 * 3 + 1) * 4 + ((3 * 3 * 4 + 1) * 4) * (layers - 1) + (4 * 20 * 16 + 1) * 3
    assert total == f"{expected:,}"

    shared = open_page(**link)
    assert not shared.exception and not shared.warning
    assert json.loads(shared.text_area(key="spec_text").value) == spec
    assert (shared.number_input(key="in_h").value, shared.number_input(key="in_w").value) == (20, 16)
    assert metrics(shared)["# parameters"] == total
    assert dict(shared.query_params) == link


def test_a_custom_link_input_wins_over_the_example_input():
    at = open_page(arch="custom", input="1,32,32")
    assert not at.exception
    assert (at.number_input(key="in_h").value, at.number_input(key="in_w").value) == (32, 32)
    assert at.query_params["input"] == "1,32,32" and at.query_params["example"] == "lenet5"
    table = at.dataframe[0].value
    assert table["activation shape (C×H×W)"].iloc[0] == "1×32×32"


def test_a_spec_link_without_arch_opens_the_custom_network():
    """A hand-made link with only spec= showed LeNet-5 and said nothing."""
    spec = {"name": "tiny", "input_shape": [1, 8, 8], "layers": [{"type": "conv", "filters": 4, "kernel": 3}]}
    at = open_page(spec=json.dumps(spec))
    assert at.selectbox(key="arch").value == "custom" and not at.warning
    assert metrics(at)["# parameters"] == f"{(3 * 3 + 1) * 4:,}"
    assert open_page(example="nope").warning[0].value.startswith("There is no example 'nope'")
    mixed = open_page(arch="lenet5", spec=json.dumps(spec))
    assert mixed.selectbox(key="arch").value == "lenet5"
    assert mixed.warning[0].value == ("Ignoring the link's spec: it describes a custom network (arch=custom), "
                                      "and this link opens 'lenet5'.")


def test_a_damaged_custom_link_says_so():
    at = open_page(arch="custom", spec="z.eJyrVkrLz1eyUkpKLFKqBQAhFgR9"[:-6])
    assert not at.exception
    assert "Ignoring the link's spec: the link's compressed spec" in warnings_of(at)
    assert "copied? Starting from the example lenet5." in warnings_of(at)  # once read "copied?. Starting"
    assert metrics(at)["# parameters"] == "61,706"  # the example it says it starts from


def test_an_invalid_spec_in_a_link_is_shown_for_fixing():
    at = open_page(arch="custom", spec=json.dumps({"name": "x", "input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 0, "kernel": 3}]}))
    assert not at.exception
    assert "layer 0 (conv)" in at.error[0].value and "'filters'" in at.error[0].value
    assert '"filters": 0' in at.text_area(key="spec_text").value


@pytest.mark.parametrize("layer", [{"type": "conv", "filters": 10**30, "kernel": 3},  # past int64
                                   {"type": "conv", "filters": 1, "kernel": 2000000001, "padding": 1000000000}])
def test_a_spec_too_large_for_torch_names_its_layer(layer):
    """Sizes past int64, or a weight of more bytes than int64 counts, are refused by torch with a
    C++ stack dump: the page names the layer instead, and keeps the spec for fixing."""
    at = open_page(arch="custom", spec=json.dumps({"name": "x", "input_shape": [1, 8, 8], "layers": [layer]}))
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Invalid spec — layer 0 (conv): too large for PyTorch to build — its weights would have more values "
        "than a tensor can hold; use smaller sizes"]
    assert json.loads(at.text_area(key="spec_text").value)["layers"] == [layer]


def test_back_to_the_custom_network_keeps_its_spec():
    at = open_page(arch="custom")
    spec = custom_spec(1)
    at.text_area(key="spec_text").set_value(json.dumps(spec)).run()
    at.selectbox(key="arch").set_value("vgg16").run()
    at.selectbox(key="arch").set_value("custom").run()
    assert not at.exception and not at.error
    assert json.loads(at.text_area(key="spec_text").value) == spec
    assert (at.number_input(key="in_h").value, at.number_input(key="in_w").value) == (16, 16)


def test_custom_network_nested_too_deeply_is_a_message():
    at = open_page(arch="custom")
    layers = [{"type": "relu"}]
    for _ in range(400):
        layers = [{"type": "residual", "layers": layers}]
    at.text_area(key="spec_text").set_value(json.dumps({"input_shape": [1, 8, 8], "layers": layers})).run()
    assert not at.exception
    assert at.error[0].value.startswith("Invalid spec — layer 0.layers.0.")
    assert at.error[0].value.endswith(": residual and concat blocks nest at most 16 deep, and this residual is "
                                      "block 17 inside one another; put blocks one after the other instead")
    at.text_area(key="spec_text").set_value("[" * 100_000 + "]" * 100_000).run()
    assert not at.exception
    assert at.error[0].value == ("Invalid spec — the spec is nested too deeply to be read; residual and concat "
                                 "blocks nest at most 16 deep")


def test_torchinfo_of_a_network_too_large_to_build_is_a_message():
    at = open_page(arch="custom", view="torchinfo")
    spec = {"name": "huge", "input_shape": [1, 28, 28], "layers": [{"type": "conv", "filters": 10**12, "kernel": 3}]}
    at.text_area(key="spec_text").set_value(json.dumps(spec)).run()
    next(b for b in at.button if b.label == "Show the torchinfo summary").click().run()
    assert not at.exception
    assert at.error[0].value.startswith("torchinfo would build this network for real: 40.0 TB of weights and "
                                        "2.7 PB of activations, more than half of the ")


# --------------------------------------------------------------------------- in a real browser


@pytest.mark.browser
def test_browser_alexnet_d2l_total_and_shapes(app: StreamlitPage):
    page = app.open("/architectures?arch=alexnet-d2l")
    expect(page.get_by_text("46,764,746").first).to_be_visible()
    grid = page.locator('[data-testid="stDataFrame"]').first
    for shape in ("96×54×54", "256×5×5", "6400"):
        expect(grid).to_contain_text(shape)


@pytest.mark.browser
def test_browser_the_layer_table_downloads_as_csv_and_latex(app: StreamlitPage):
    app.page.set_viewport_size({"width": 1400, "height": 3000})  # no scrolling under the sticky top bar
    page = app.open("/architectures?arch=lenet5")
    with page.expect_download() as download:
        page.get_by_role("button", name="CSV", exact=True).click()
    table = pd.read_csv(download.value.path(), thousands=",")
    assert download.value.suggested_filename == "lenet5.csv"
    assert table["# parameters"].sum() == 61_706
    assert table.loc[table["layer"] == "conv2", "formula"].item() == "(5·5·6+1)·16 = 2,416"

    page = app.open("/architectures?arch=vgg-style")
    with page.expect_download() as download:
        page.get_by_role("button", name="LaTeX", exact=True).click()
    latex = Path(download.value.path()).read_text()
    assert download.value.suggested_filename == "vgg-style.tex"
    assert latex == latex_table(layer_table(analyze_architecture("vgg-style"), None, "pytorch"))
    assert r"2$\cdot$20 = 40 ($\gamma$ and $\beta$)" in latex


@pytest.mark.browser
def test_browser_switch_architecture_and_compare(app: StreamlitPage):
    page = app.open("/architectures?arch=lenet5")
    expect(page.get_by_text("61,706").first).to_be_visible()
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.keyboard.type("resnet20")
    page.get_by_role("option", name=re.compile(r"\(resnet20\)")).click()
    expect(page.get_by_text("269,722").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"arch=resnet20"))
    app.wait_idle()
    page.get_by_role("tab", name="Compare").click()
    page.locator('[data-testid="stMultiSelect"]').first.click()
    page.keyboard.type("plain20")
    page.get_by_role("option", name=re.compile(r"\(plain20\)")).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"compare=plain20"))
    comparison = page.locator('[data-testid="stDataFrame"]').filter(has_text="weight layers")
    expect(comparison).to_contain_text("269,722 (269.7K)")
    app.wait_idle()


@pytest.mark.browser
def test_browser_simple_cnn_diagnosis(app: StreamlitPage):
    page = app.open("/architectures?arch=simple-cnn")
    expect(page.get_by_text("expects 320 input features but receives 500")).to_be_visible()


@pytest.mark.browser
def test_browser_custom_network(app: StreamlitPage):
    page = app.open("/architectures?arch=custom")
    spec = {"name": "tiny", "input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 4, "kernel": 3}, {"type": "relu"}, {"type": "flatten"},
        {"type": "linear", "out_features": 2}]}
    editor = page.get_by_role("textbox", name="Network spec (JSON)")
    editor.fill(json.dumps(spec))
    editor.press("Control+Enter")
    expect(page.get_by_text(f"{(9 + 1) * 4 + (144 + 1) * 2:,}").first).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_contain_text("4×6×6")


@pytest.mark.browser
def test_browser_a_typo_fixed_in_the_spec_keeps_its_input(app: StreamlitPage):
    """The error stopped the page before the C, H, W boxes, and Streamlit dropped their values: the
    spec fixed read 1, 1, 1 in the boxes (the table still 1×28×28), and the next example 1×1×1.
    (AppTest keeps the values of widgets a run did not draw; only a real server shows this.)"""
    page = app.open("/architectures?arch=custom")
    editor = page.get_by_role("textbox", name="Network spec (JSON)")
    expect(editor).to_have_value(re.compile(r'"layers"'))  # drawn, and filled: an empty read made the typo ""
    spec_text = editor.input_value()
    editor.fill(spec_text.replace(",", "", 1))
    editor.press("Control+Enter")
    expect(page.get_by_text("Invalid spec — invalid JSON")).to_be_visible(timeout=30_000)
    app.wait_idle()  # a fix typed while that run still draws can be lost on a busy machine
    editor.fill(spec_text)
    editor.press("Control+Enter")
    app.wait_idle()
    expect(page.get_by_text("Invalid spec")).to_have_count(0, timeout=30_000)  # a busy CI machine reruns late
    for name, value in (("channels (C)", "1"), ("height (H)", "28"), ("width (W)", "28")):
        expect(page.get_by_role("spinbutton", name=name)).to_have_value(value)
    page.get_by_role("spinbutton", name="width (W)").fill("30")  # the next change starts from 1×28×28
    page.get_by_role("spinbutton", name="width (W)").press("Enter")
    app.wait_idle()
    expect(page).to_have_url(re.compile(r"input=1%2C28%2C30"))
    app.assert_healthy()


@pytest.mark.browser
def test_browser_compare_selection_survives_switching_tabs(app: StreamlitPage):
    page = app.open("/architectures?arch=lenet5&compare=vgg16,resnet18&view=Compare")
    chosen = page.locator('[data-testid="stMultiSelect"]').first
    expect(chosen).to_contain_text("VGG-16")
    expect(chosen).to_contain_text("ResNet-18")
    page.get_by_role("tab", name="Layer table").click()
    app.wait_idle()
    expect(page).to_have_url(re.compile(r"compare=vgg16%2Cresnet18"))
    page.get_by_role("tab", name="Compare").click()
    app.wait_idle()
    expect(page).to_have_url(re.compile(r"compare=vgg16%2Cresnet18"))
    chosen = page.locator('[data-testid="stMultiSelect"]').first
    expect(chosen).to_contain_text("VGG-16")
    expect(chosen).to_contain_text("ResNet-18")
    comparison = page.locator('[data-testid="stDataFrame"]').filter(has_text="weight layers")
    expect(comparison).to_contain_text("138,357,544 (138.4M)")


@pytest.mark.browser
def test_browser_custom_network_link_round_trip(app: StreamlitPage):
    page = app.open("/architectures?arch=custom")
    spec = {"name": "shared", "input_shape": [2, 10, 10], "layers": [
        {"type": "conv", "filters": 3, "kernel": 3}, {"type": "flatten"}, {"type": "linear", "out_features": 5}]}
    editor = page.get_by_role("textbox", name="Network spec (JSON)")
    editor.fill(json.dumps(spec))
    editor.press("Control+Enter")
    total = f"{(3 * 3 * 2 + 1) * 3 + (3 * 8 * 8 + 1) * 5:,}"
    expect(page.get_by_text(total).first).to_be_visible()
    expect(page).to_have_url(re.compile(r"spec="))
    app.wait_idle()
    link = page.url
    page.goto("about:blank")
    page.goto(link)
    app.wait_idle()
    expect(page.get_by_text(total).first).to_be_visible()
    expect(page.get_by_role("textbox", name="Network spec (JSON)")).to_have_value(spec_json(spec))
    expect(page.get_by_role("spinbutton", name="height (H)")).to_have_value("10")


def test_layer_table_columns_fit_their_text():
    from cnnviz import report
    from cnnviz.ui.architectures import layer_table_columns

    frame = report.layer_table(analyze_architecture("lenet5"))
    order, config = layer_table_columns(frame)
    assert order[-2:] == ["weights", "biases"] and "buffers" not in order  # lenet5 has no buffers
    assert config["formula"]["width"] >= 119 + 17  # "(5·5·6+1)·16 = 2,416" is 119 px in Chromium
    assert frame.loc[frame["layer"] == "fc2", "f, s, p, n"].item() == "120 → 84 features"
    assert config["f, s, p, n"]["width"] >= 104 + 17  # "400 → 120 features", as wide as "f=5, s=1, p=0, n=6"
    # the course's words, as in the CLI's table and the CSV: the page's headers say the same
    assert [config[column]["label"] for column in order[:9]] == [
        "layer", "type", "f, s, p, n", "activation shape", "activation size", "# parameters", "formula", "MACs",
        "receptive field"]
    assert "C×H×W" in config["activation shape (C×H×W)"]["help"]


def test_the_slides_columns_of_every_layer_table_fit_a_1400_px_window():
    """The grid has 1,238 px in a 1400-px window (the navigation is at the top, not in a sidebar):
    the course's own networks fit whole; in the larger ones only the weights and biases after the
    receptive field (the formula already splits them) need a scroll."""
    from cnnviz import report
    from cnnviz.ui.architectures import layer_table_columns
    from cnnviz.zoo import list_architectures

    whole, slides = {}, {}
    for arch in list_architectures():
        order, config = layer_table_columns(report.layer_table(analyze_architecture(arch.id)))
        whole[arch.id] = sum(config[column]["width"] for column in order)
        slides[arch.id] = sum(config[column]["width"] for column in order[:order.index("receptive field") + 1])
    assert max(slides.values()) <= 1238
    assert all(whole[arch.id] <= 1238 for arch in list_architectures()
               if arch.family in ("LeNet", "Course examples") or arch.id == "inception-block"), whole
    assert whole["lenet5"] < whole["vgg16"] < whole["resnet18"]


@pytest.mark.browser
def test_browser_back_and_forward_show_the_earlier_views(app: StreamlitPage):
    """The link was read once a session, and the page wrote its state over the address Back brought."""
    page = app.open("/architectures?arch=lenet5")
    expect(page).to_have_url(re.compile(r"classes=10"))
    app.wait_idle()
    page.get_by_text("Textbook order (H, W, C)").click()
    expect(page).to_have_url(re.compile(r"order=textbook"))
    app.wait_idle()
    toggle = page.locator('.st-key-textbook_order input')
    expect(toggle).to_be_checked()
    page.go_back()
    expect(page).not_to_have_url(re.compile(r"order=textbook"))
    app.wait_idle()
    expect(toggle).not_to_be_checked()
    page.wait_for_timeout(1500)  # the page's own rerun must not write the order back
    expect(page).not_to_have_url(re.compile(r"order=textbook"))
    page.go_forward()
    expect(page).to_have_url(re.compile(r"order=textbook"))
    app.wait_idle()
    expect(toggle).to_be_checked()


@pytest.mark.browser
def test_browser_a_layer_table_fits_a_1400_px_window(app: StreamlitPage):
    app.page.set_viewport_size({"width": 1400, "height": 1000})
    page = app.open("/architectures?arch=lenet5")
    expect(page.locator('[data-testid="stTopNav"]').get_by_role("link", name="Training")).to_be_visible()
    grid = page.locator('[data-testid="stDataFrame"] .dvn-scroller').first
    expect(grid).to_be_visible()
    scroll_width, client_width = grid.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert 1200 <= client_width and scroll_width <= client_width, (scroll_width, client_width)


@pytest.mark.browser
def test_browser_metrics_are_not_cut_off(app: StreamlitPage):
    app.page.set_viewport_size({"width": 1400, "height": 1000})
    page = app.open("/architectures?arch=vgg16")
    values = page.locator('[data-testid="stMetricValue"] [data-testid="stMarkdownContainer"]')
    expect(values.first).to_have_text("138,357,544")
    expect(values).to_have_count(6)  # Streamlit sends the page element by element: wait for all six
    sizes = values.evaluate_all("els => els.map(e => [e.innerText, e.scrollWidth, e.clientWidth])")
    assert len(sizes) == 6
    assert all(scroll <= client for _, scroll, client in sizes), sizes
