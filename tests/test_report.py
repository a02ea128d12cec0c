"""Formatting of the analysis: short numbers, and torchinfo's summary refused or reported when the
network is too large to build for real."""

import functools
from collections import OrderedDict

import pytest
import torchinfo
from torch import nn

import cnnviz.report
from cnnviz.analysis import analyze_architecture, analyze_model
from cnnviz.report import (
    CannotSummarise,
    comparison_table,
    csv_table,
    latex_table,
    layer_table,
    ran_until,
    receptive_field_note,
    stage_shapes,
    summary_text,
    torchinfo_summary,
    totals,
)
from cnnviz.spec import build_model, parse_spec
from cnnviz.zoo import create_model


def conv_spec(filters: int):
    return parse_spec({"name": "wide", "input_shape": [1, 28, 28],
                       "layers": [{"type": "conv", "filters": filters, "kernel": 3}]})


def test_torchinfo_summary_is_torchinfo_s_own():
    model = functools.partial(create_model, "lenet5")
    analysis = analyze_model(model, (1, 32, 32))
    expected = torchinfo.summary(model(), input_size=(1, 1, 32, 32), depth=3, verbose=0,
                                 col_names=("output_size", "num_params", "mult_adds"), device="cpu")
    summary = torchinfo_summary(analysis, model)
    assert summary.text == str(expected).replace("(Units.MEGABYTES)", "(M)")  # once the enum's name
    assert "Total mult-adds (M): 0.42" in summary.text.splitlines()
    # torchinfo counts each bias as a multiply-add (a conv's at every output position): LeNet-5's
    # conv1 6·28·28, conv2 16·10·10, conv3 120, fc1 84 and fc2 10 biases
    extra = 6 * 28 * 28 + 16 * 10 * 10 + 120 + 84 + 10
    assert expected.total_mult_adds == analysis.total_macs + extra == 423_038
    assert summary.note == (
        "torchinfo's Mult-Adds, 423,038, are 6,518 more than the layer table's MACs, 416,520: torchinfo counts "
        "the biases and batch norm's γ and β as multiply-adds too, a conv's bias at every output position (conv1: "
        "156 parameters × 784 positions = 122,304, against the table's 150 weights × 784 = 117,600). The table's "
        "MACs are the products of the weights only, as torch's FlopCounterMode counts them.")


@pytest.mark.parametrize("arch", ["vgg-style", "nin", "resnet-small", "inception-block"])
def test_what_torchinfo_counts_beyond_the_macs_is_what_its_note_says(arch):
    """Biases (a conv's at every output position) and batch norm's γ and β, to the last one: the
    whole zoo was checked so; these networks have all three kinds between them."""
    analysis = analyze_architecture(arch)
    stats = torchinfo.summary(create_model(arch), input_size=(1, *analysis.input_shape), verbose=0)
    said = 0
    for row in analysis.rows:
        if row.is_leaf and row.call_index == 0:
            if row.type.startswith("Conv"):
                said += row.biases * row.output_shape[1] * row.output_shape[2]
            elif row.type == "Linear":
                said += row.biases
            elif row.type.startswith("BatchNorm"):
                said += row.params
    assert stats.total_mult_adds - analysis.total_macs == said > 0
    note = torchinfo_summary(analysis, functools.partial(create_model, arch)).note
    assert note.startswith(f"torchinfo's Mult-Adds, {stats.total_mult_adds:,}, are {said:,} more than")


def test_torchinfo_refuses_a_network_larger_than_half_the_memory_before_building_it(monkeypatch):
    spec = conv_spec(10**12)  # (3·3·1+1)·10¹² parameters: 40 TB of float32
    analysis = analyze_model(lambda: build_model(spec), (1, 28, 28))
    assert analysis.param_memory_bytes == 4 * 10 * 10**12
    assert analysis.activation_memory_bytes == 4 * 26 * 26 * 10**12

    def never_built():
        raise AssertionError("the network was built")

    monkeypatch.setattr(cnnviz.report, "available_memory", lambda device: 16 * 10**9)
    with pytest.raises(CannotSummarise) as error:
        torchinfo_summary(analysis, never_built)
    assert str(error.value) == (
        "torchinfo would build this network for real: 40.0 TB of weights and 2.7 PB of activations, "
        "more than half of the 16.0 GB of memory available. Use a smaller network or input; the layer "
        "table has the same numbers, computed without building the network.")
    # the limit is half the memory: a network of 4 kB of weights + 2,704 B of activations
    small = analyze_model(lambda: build_model(conv_spec(100)), (1, 28, 28))
    need = small.param_memory_bytes + small.activation_memory_bytes
    monkeypatch.setattr(cnnviz.report, "available_memory", lambda device: 2 * need)
    assert "Total params: 1,000" in torchinfo_summary(small, lambda: build_model(conv_spec(100))).text
    monkeypatch.setattr(cnnviz.report, "available_memory", lambda device: 2 * need - 1)
    with pytest.raises(CannotSummarise, match="more than half of the"):
        torchinfo_summary(small, never_built)


def test_torchinfo_reports_the_allocator_failing(monkeypatch):
    # Where the available memory cannot be told, torchinfo tries: 10¹⁴ filters need 3.6 PB, more
    # than any address space, so the CPU allocator refuses for real (nothing is touched).
    spec = conv_spec(10**14)
    analysis = analyze_model(lambda: build_model(spec), (1, 28, 28))
    monkeypatch.setattr(cnnviz.report, "available_memory", lambda device: None)
    with pytest.raises(CannotSummarise) as error:
        torchinfo_summary(analysis, lambda: build_model(spec))
    assert str(error.value) == (
        "torchinfo ran out of memory building this network (4.0 PB of weights and 270.4 PB of "
        "activations). Use a smaller network or input; the layer table has the same numbers, computed "
        "without building the network.")


def test_torchinfo_lets_other_errors_through():
    analysis = analyze_model(lambda: build_model(conv_spec(2)), (1, 28, 28))

    def broken():
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        torchinfo_summary(analysis, broken)


@pytest.mark.parametrize("value, text", [
    (0, "0"), (850, "850"), (999, "999"), (1_000, "1.0K"), (61_706, "61.7K"),
    (999_949, "999.9K"), (999_950, "1.0M"), (999_960, "1.0M"), (1_000_000, "1.0M"), (46_764_746, "46.8M"),
    (999_949_999, "999.9M"), (999_950_000, "1.0G"), (999_950_000_000, "1.0T"), (-999_960, "-1.0M"),
    (999_960 * 10**12, "999960.0T"),  # no unit above T
])
def test_human_count_rounds_up_into_the_next_unit(value, text):
    assert cnnviz.report.human_count(value) == text


@pytest.mark.parametrize("value, text", [
    (0, "0 B"), (999, "999 B"), (1_000, "1.0 kB"), (999_949, "999.9 kB"), (999_950, "1.0 MB"),
    (999_960, "1.0 MB"), (411_041_792, "411.0 MB"), (999_949_999, "999.9 MB"), (999_950_000, "1.0 GB"),
    (999_950_000_000, "1.0 TB"), (40 * 10**12, "40.0 TB"), (999_950 * 10**9, "1.0 PB"),
])
def test_human_bytes_rounds_up_into_the_next_unit(value, text):
    assert cnnviz.report.human_bytes(value) == text


def test_an_unknown_receptive_field_shows_as_a_dash_with_the_reason():
    model = nn.Sequential(OrderedDict(conv1=nn.Conv2d(1, 2, 3), up=nn.Upsample(scale_factor=2),
                                      conv2=nn.Conv2d(2, 2, 3)))
    analysis = analyze_model(model, (1, 8, 8))
    assert list(layer_table(analysis)["receptive field"]) == ["1", "3", "—", "—"]
    note = "Receptive field unknown (—): interpolate in up resamples the map, which the analysis does not follow."
    assert receptive_field_note(analysis) == note
    assert summary_text(analysis).endswith("\n\n" + note)
    lenet = analyze_architecture("lenet5")
    assert comparison_table([analysis, lenet]).loc["receptive field"].tolist() == ["—", "16×16"]
    assert receptive_field_note(lenet) is None and "Receptive field unknown" not in summary_text(lenet)


def test_the_totals_of_a_network_that_does_not_fit_say_they_cover_the_layers_that_ran():
    """LeNet-5 at 1×64×64 stops at fc1 (2,704 features for its 400). By hand, the layers that ran:
    conv1 6@5×5 on 64×64 → 6×60×60, 60·60·6·25 = 540,000 MACs; conv2 16@5×5·6 on 30×30 → 16×26×26,
    26·26·16·150 = 1,622,400 MACs. Those are totals of that part only, and say so; the parameters
    are the whole network's (fc1's included), as at 1×32×32."""
    analysis = analyze_architecture("lenet5", (1, 64, 64))
    lenet = analyze_architecture("lenet5")
    assert analysis.total_macs == 540_000 + 1_622_400
    assert ran_until(analysis) == "until fc1" and ran_until(lenet) is None
    shown = totals(analysis)
    assert shown["MACs per image"] == "2,162,400 (2.2M), the layers until fc1 only (it does not fit)"
    assert shown["# parameters"] == totals(lenet)["# parameters"] == "61,706 (61.7K)"
    assert shown["activation memory"].endswith(", the layers until fc1 only (it does not fit)")
    assert shown["receptive field"] == "16×16, the layers until fc1 only (it does not fit)"  # pool2's, as at 32×32
    assert totals(lenet)["receptive field"] == "16×16"
    assert not any("does not fit" in value for value in totals(lenet).values())
    compared = comparison_table([analysis])["lenet5"]  # a column per id: one network at a time
    assert compared["MACs per image"] == shown["MACs per image"]
    assert compared["receptive field"] == "16×16, the layers until fc1 only (it does not fit)"
    assert comparison_table([lenet])["lenet5"]["receptive field"] == "16×16"


def test_the_comparison_lines_up_the_stages_of_each_network():
    """A stage ends where the height and width change: LeNet-5 by hand, 32 → 28 (conv 5) → 14
    (pool 2) → 10 (conv 5) → 5 (pool 2); ResNet-18 halves 224 five times, then pools to 1×1."""
    table = comparison_table([analyze_architecture("lenet5"), analyze_architecture("resnet18")])
    stages = table.loc[[row for row in table.index if row.startswith("stage ")]]
    assert stages["lenet5"].tolist() == ["6×28×28", "6×14×14", "16×10×10", "16×5×5", "", ""]
    assert stages["resnet18"].tolist() == ["64×112×112", "64×56×56", "128×28×28", "256×14×14", "512×7×7",
                                           "512×1×1"]
    assert table.loc["output"].tolist() == ["10", "1000"]
    textbook_order = comparison_table([analyze_architecture("lenet5"), analyze_architecture("resnet18")], "textbook")
    assert textbook_order["lenet5"].tolist()[-6:] == ["(28, 28, 6)", "(14, 14, 6)", "(10, 10, 16)", "(5, 5, 16)", "",
                                                      ""]  # the layer table's order, as the toggle asks
    assert (textbook_order.loc["input"].tolist(), textbook_order.loc["output"].tolist()) == (
        ["(32, 32, 1)", "(224, 224, 3)"], ["(10, 1)", "(1000, 1)"])


def test_an_inception_stage_ends_with_the_blocks_concat_not_its_last_branch():
    """GoogLeNet leaves 28×28 after inception3b's concat of 128 + 192 + 96 + 64 = 480 channels, not
    with its last branch's 64 (the branches run one after another, the concat after them all)."""
    assert stage_shapes(analyze_architecture("googlenet")) == [
        (64, 112, 112), (192, 56, 56), (480, 28, 28), (832, 14, 14), (1024, 7, 7), (1024, 1, 1)]
    assert stage_shapes(analyze_architecture("inception-block")) == [(256, 28, 28)]  # the block is the network


def test_the_csv_and_latex_files_name_nested_layers_without_the_screen_indentation():
    """On screen a nested layer is indented; in a file the indent would be leading spaces in a
    spreadsheet cell. The files name each layer as the network does (layer1.0.conv1)."""
    import csv
    import io

    analysis = analyze_architecture("resnet18")
    frame = layer_table(analysis, None, "pytorch")
    assert frame["layer"].str.startswith(" ").any()  # the screen's table is indented
    names = [row["layer"] for row in csv.DictReader(io.StringIO(csv_table(frame)))]
    expected = [row.name if row.call_index == 0 else f"{row.name} (call {row.call_index + 1})"
                for row in analysis.rows_at_depth(None)]
    assert names == ["Input", *expected]
    assert "layer1.0.conv1" in names
    latex_rows = [line.split("&")[0] for line in latex_table(frame).splitlines() if "&" in line]
    assert r"layer1.0.conv1 " in latex_rows and not any(cell.startswith(" ") for cell in latex_rows)


def test_the_latex_table_is_ascii_so_pdflatex_takes_it_with_the_symbols_as_math():
    """pdflatex stops at γ ("Unicode character not set up for use with LaTeX"): every zoo table
    comes out as ASCII, its ×, ·, →, γ and β written as math."""
    for arch in ("lenet5", "vgg-style", "googlenet", "resnet18", "simple-cnn"):
        for depth in (None, 1):
            for order in ("pytorch", "textbook"):
                latex = latex_table(layer_table(analyze_architecture(arch), depth, order))
                assert latex.isascii(), (arch, depth, order, sorted({c for c in latex if not c.isascii()}))
    lines = latex_table(layer_table(analyze_architecture("lenet5"), None, "pytorch")).splitlines()
    assert lines[0] == r"% needs \usepackage{booktabs}"
    header = [cell.strip() for cell in lines[3].removesuffix(r"\\").split("&")]
    alignment = dict(zip(header, lines[1].removeprefix(r"\begin{tabular}{").removesuffix("}")))
    assert {name: alignment[name] for name in ("layer", r"activation shape (C$\times$H$\times$W)",
                                                r"\# parameters", "formula", "MACs")} == {
        "layer": "l", r"activation shape (C$\times$H$\times$W)": "l", r"\# parameters": "r", "formula": "l",
        "MACs": "r"}
    conv2 = next(line for line in lines if line.startswith("conv2 &"))
    assert [cell.strip() for cell in conv2.removesuffix(r"\\").split("&")] == [
        "conv2", "Conv2d", "f=5, s=1, p=0, n=16", r"16$\times$10$\times$10", "1,600", "2,416",
        r"(5$\cdot$5$\cdot$6+1)$\cdot$16 = 2,416", "240,000", "14", "2,400", "16", "0"]  # f, s, p, n as the header
    fc1 = next(line for line in lines if line.startswith("fc1 &"))
    assert r"400 $\to$ 120 features" in fc1
    batch_norm = latex_table(layer_table(analyze_model(
        lambda: build_model(parse_spec({"name": "bn", "input_shape": [1, 8, 8], "layers": [
            {"type": "conv", "filters": 4, "kernel": 3, "name": "conv_a"}, {"type": "batchnorm"}]})),
        (1, 8, 8)), None, "pytorch"))
    assert r"2$\cdot$4 = 8 ($\gamma$ and $\beta$)" in batch_norm
    assert r"conv\_a &" in batch_norm


def test_the_chart_lesson_of_lenet5_gives_the_hand_counted_shares():
    # fc: (400+1)·120 + (120+1)·84 + (84+1)·10 = 59,134; conv: (5·5·1+1)·6 + (5·5·6+1)·16 = 2,572
    assert cnnviz.report.chart_lesson(analyze_architecture("lenet5")) == (
        "Fully-connected layers hold 95.8% of the 61,706 parameters (fc1 alone 48,120: 78.0%); conv layers 4.2%. "
        "Activations are largest at conv1 (4,704 values: 6×28×28); the output has 10.")


def test_where_the_numbers_are_in_resnet18_matches_torch_itself():
    """Parameters by kind and the largest layer from torchvision's module tree, the largest
    activation from forward hooks on a real image: ResNet keeps its parameters in the convs."""
    import torch
    from torchvision.models import resnet18

    from cnnviz.analysis import where_the_numbers_are

    model = resnet18(weights=None)
    kinds = {nn.Conv2d: "conv", nn.Linear: "fully-connected", nn.BatchNorm2d: "other"}
    expected = {"conv": 0, "fully-connected": 0, "other": 0}
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    for _, module in leaves:
        if type(module) in kinds:
            expected[kinds[type(module)]] += sum(p.numel() for p in module.parameters())
    sizes = {}

    def record_size(name):
        def hook(module, inputs, output):
            sizes.setdefault(name, output[0].numel())  # returns None: the output stays as it is
        return hook

    for name, module in leaves:
        module.register_forward_hook(record_size(name))
    with torch.no_grad():
        model(torch.zeros(1, 3, 224, 224))
    largest_param_layer = max(leaves, key=lambda item: sum(p.numel() for p in item[1].parameters()))

    where = where_the_numbers_are(analyze_architecture("resnet18"))
    assert where.params_by_kind == expected and where.other_types == ["BatchNorm2d"]
    assert (where.most_params.name, where.most_params.params) == (
        largest_param_layer[0], sum(p.numel() for p in largest_param_layer[1].parameters()))
    assert (where.largest_activation.name, where.largest_activation.activation_size) == max(
        sizes.items(), key=lambda item: item[1])
    assert cnnviz.report.chart_lesson(analyze_architecture("resnet18")).startswith(
        "Conv layers hold 95.5% of the 11,689,512 parameters (layer4.0.conv2 alone 2,359,296: 20.2%); "
        "fully-connected layers 4.4%, other layers (BatchNorm2d) 0.1%.")


def test_the_chart_lesson_names_each_kind_s_own_largest_layer():
    """GoogLeNet's largest layer is its fc: the lesson once put "(fc alone 1,025,000)" beside the
    conv layers' share."""
    model = create_model("googlenet")
    convs = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    conv_name, conv = max(convs, key=lambda item: sum(p.numel() for p in item[1].parameters()))
    conv_params = sum(p.numel() for p in conv.parameters())
    fc_params = sum(p.numel() for p in model.fc.parameters())
    total = sum(p.numel() for p in model.parameters())
    assert (conv_params, fc_params) == (663_552, 1_025_000)
    lesson = cnnviz.report.chart_lesson(analyze_architecture("googlenet"))
    assert lesson.startswith(
        f"Conv layers hold 84.3% of the {total:,} parameters ({conv_name} alone {conv_params:,}: "
        f"{conv_params / total:.1%}); fully-connected layers 15.5% (fc alone {fc_params:,}: {fc_params / total:.1%}), "
        "other layers (BatchNorm2d) 0.2%.")


def test_the_chart_lesson_ends_at_the_output_or_where_the_network_stopped():
    # a lone Inception block: its output is the concat (64+128+32+32)·28·28, not its last branch
    assert cnnviz.report.chart_lesson(analyze_architecture("inception-block")).endswith("the output has 200,704.")
    assert cnnviz.report.chart_lesson(analyze_architecture("nin")).startswith(
        "All 1,992,166 parameters are in conv layers")
    # SimpleCNN's fc expects 320 features and gets 20·5·5 = 500
    assert cnnviz.report.chart_lesson(analyze_architecture("simple-cnn")).endswith(
        "the network does not fit its input, and the last layer that ran, flatten, has 500.")


def test_markdown_literal_keeps_a_claims_symbols_as_written():
    """'25 * c^2' (DSCI 565) would turn italic up to the next '*'; '$' starts LaTeX, ':x:' an emoji."""
    from cnnviz.messages import markdown_literal

    assert markdown_literal("25 * c^2 and 3 * 9 * c^2") == "25 \\* c^2 and 3 \\* 9 \\* c^2"
    assert markdown_literal("$5 :x: a_b [link](u) #1 | ~") == "\\$5 \\:x\\: a\\_b \\[link\\](u) \\#1 \\| \\~"
    assert markdown_literal("(5·5+1)·16 = 416") == "(5·5+1)·16 = 416"


def test_the_textbook_check_says_at_which_input_it_computed():
    from cnnviz.report import check_input_text

    own = analyze_architecture("lenet5")
    assert check_input_text(own, analyze_architecture("lenet5")) == \
        "Computed at lenet5's own input 1×32×32, the one the documents use."
    assert check_input_text(own, analyze_architecture("lenet5", (1, 28, 28), 7), "textbook") == (
        "Computed at lenet5's own input (32, 32, 1), the one the documents use, not at the input above: "
        "(28, 28, 1).")  # at 28×28 LeNet-5 does not fit: no classes to speak of
    assert check_input_text(own, analyze_architecture("lenet5", (1, 33, 33), 7)) == (
        "Computed at lenet5's own input 1×32×32, the one the documents use, not at the input above: 1×33×33 with "
        "7 classes.")
    assert check_input_text(own, analyze_architecture("lenet5", (1, 32, 32), 7)) == (
        "Computed at lenet5's own input 1×32×32, the one the documents use, with its own classes, not the 7 above.")


def test_the_check_counts_its_claims_in_words():
    from cnnviz import textbook
    from cnnviz.report import check_count_text

    assert check_count_text(textbook.check("lenet5")) == \
        "**26 claims** about this network in the course documents: 22 correct, **4 wrong**:"
    assert check_count_text(textbook.check("lenet5-padded")).startswith("**1 claim** about this network")

