"""The architecture figures: the diagram's boxes, arrows and skip connections, and the per-layer chart."""

import re

import pytest
import torch.nn.functional as F
from torch import nn

from cnnviz import figures
from cnnviz.analysis import analyze_architecture, analyze_model
from cnnviz.spec import EXAMPLE_SPECS, build_model, parse_spec
from cnnviz.zoo import create_model


@pytest.fixture(scope="module")
def resnet18():
    return analyze_architecture("resnet18")


def test_resnet18_diagram_has_one_box_per_block_and_a_skip_around_each(resnet18):
    depth = figures.default_diagram_depth(resnet18)
    diagram = figures.build_diagram(resnet18, depth)
    names = [box.row.name for box in diagram.boxes]
    blocks = [f"layer{stage}.{block}" for stage in (1, 2, 3, 4) for block in (0, 1)]
    assert depth == 2
    assert names == ["conv1", "bn1", "relu", "maxpool", *blocks, "avgpool", "fc"]
    assert [names[i] for i in diagram.residual_blocks] == blocks
    assert diagram.arrows == [(i, i + 1) for i in range(len(names) - 1)]  # one path, top to bottom
    assert [box.level for box in diagram.boxes] == list(range(len(names)))


def test_each_skip_leaves_above_its_block_and_is_added_below_it(resnet18):
    figure = figures.diagram_figure(resnet18, 2)
    boxes = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    paths = [shape for shape in figure.layout.shapes if shape.type == "path"]
    adds = [note for note in figure.layout.annotations if note.text == "⊕"]
    diagram = figures.build_diagram(resnet18, 2)
    assert len(boxes) == len(diagram.boxes) + 1 and len(paths) == len(adds) == 8  # and the input
    for block, path, add in zip(diagram.residual_blocks, paths, adds):
        box = boxes[block]
        points = [tuple(map(float, p)) for p in re.findall(r"(-?[\d.]+),(-?[\d.]+)", path.path)]
        (start_x, start_y), (end_x, end_y) = points[0], points[-1]
        centre = (box.x0 + box.x1) / 2
        assert start_x == pytest.approx(centre) and start_y > box.y1  # from the main line above the block
        assert end_y < box.y0 and end_x == pytest.approx(centre, abs=0.1)  # to the ⊕ below the block
        assert (add.x, add.y) == (pytest.approx(centre), pytest.approx(end_y))
        assert max(x for x, _ in points) > box.x1  # around the block, not through it
        next_box_top = boxes[block + 1].y1
        assert next_box_top < add.y  # the sum goes on to the next layer


def test_inception_branches_stand_side_by_side_and_join():
    diagram = figures.build_diagram(analyze_architecture("inception-block"), 1)
    branches, join = diagram.boxes[:4], diagram.boxes[4]
    assert [(b.row.name, b.level, b.column, b.columns) for b in branches] == \
        [(f"branch{i}", 0, i - 1, 4) for i in (1, 2, 3, 4)]
    assert sum(b.row.output_shape[0] for b in branches) == join.row.output_shape[0] == 256  # the concat
    assert diagram.arrows == [(i, 4) for i in range(4)] and diagram.residual_blocks == []


def test_the_input_stands_on_top_and_feeds_the_first_layer_or_each_branch():
    def arrows_from_the_input(figure, input_rect):
        return [(note.x, note.y) for note in figure.layout.annotations
                if note.showarrow and note.ay == input_rect.y0 and note.ax == 0]

    lenet = figures.diagram_figure(analyze_architecture("lenet5"), order="textbook")
    rects = [shape for shape in lenet.layout.shapes if shape.type == "rect"]
    top = rects[-1]
    assert lenet.layout.annotations[0].text == "<b>Input</b><br>(32, 32, 1)"
    assert top.y0 > max(rect.y1 for rect in rects[:-1]) and top.y1 < lenet.layout.yaxis.range[1]
    assert arrows_from_the_input(lenet, top) == [(0, rects[0].y1)]  # into conv1 alone

    block = figures.diagram_figure(analyze_architecture("inception-block"))
    rects = [shape for shape in block.layout.shapes if shape.type == "rect"]
    assert block.layout.annotations[0].text == "<b>Input</b><br>192×28×28"
    branch_tops = sorted(((r.x0 + r.x1) / 2, r.y1) for r in rects[:4])
    assert sorted(arrows_from_the_input(block, rects[-1])) == [pytest.approx(t) for t in branch_tops]


def _boxes_by_label(diagram) -> dict[str, int]:
    """Box index by its label ("layer2.0.relu (2)" for a second call); a ⊕ by "⊕ " and its block."""
    return {("⊕ " if box.is_add else "") + figures._label(box.row): i for i, box in enumerate(diagram.boxes)}


def test_a_projection_shortcut_stands_beside_the_main_path_and_joins_it_before_the_last_relu(resnet18):
    diagram = figures.build_diagram(resnet18, 3)
    box = _boxes_by_label(diagram)
    boxes, arrows = diagram.boxes, set(diagram.arrows)
    main = [box[f"layer2.0.{name}"] for name in ("conv1", "bn1", "relu", "conv2", "bn2")]
    downsample, add, relu = box["layer2.0.downsample"], box["⊕ layer2.0"], box["layer2.0.relu (2)"]
    assert {boxes[i].column for i in main} == {0} and boxes[downsample].column == 1
    assert boxes[downsample].level == boxes[main[0]].level  # beside the first conv, not after bn2
    assert boxes[main[-1]].level < boxes[add].level < boxes[relu].level  # ⊕ between bn2 and relu
    block_input = box["layer1.1.relu (2)"]
    assert {(block_input, main[0]), (block_input, downsample)} <= arrows  # x into both paths
    assert {(main[-1], add), (downsample, add), (add, relu), (relu, box["layer2.1.conv1"])} <= arrows
    assert (main[-1], downsample) not in arrows and (downsample, relu) not in arrows
    assert diagram.residual_blocks == []


def test_an_identity_shortcut_is_a_skip_arc_without_a_column(resnet18):
    diagram = figures.build_diagram(resnet18, 3)
    box = _boxes_by_label(diagram)
    add = box["⊕ layer1.0"]
    assert (box["layer1.0.conv1"], add) in diagram.skips
    assert all(b.column == 0 for b in diagram.boxes if b.row.name.startswith("layer1."))
    assert [source for source, target in diagram.arrows if target == add] == [box["layer1.0.bn2"]]
    assert len(diagram.skips) == 8 - 3  # every block but the three that downsample


def test_deeper_still_the_shortcut_opens_into_its_conv_and_batch_norm_in_its_column(resnet18):
    diagram = figures.build_diagram(resnet18, 4)
    box = _boxes_by_label(diagram)
    conv, norm, add = box["layer2.0.downsample.0"], box["layer2.0.downsample.1"], box["⊕ layer2.0"]
    assert diagram.boxes[conv].column == diagram.boxes[norm].column == 1
    assert {(box["layer1.1.relu (2)"], conv), (conv, norm), (norm, add), (box["layer2.0.bn2"], add),
            (add, box["layer2.0.relu (2)"])} <= set(diagram.arrows)


def test_the_figure_draws_the_shortcut_into_the_add_and_says_what_the_block_outputs(resnet18):
    figure = figures.diagram_figure(resnet18, 3)
    diagram = figures.build_diagram(resnet18, 3)
    adds = [note for note in figure.layout.annotations if note.text == "⊕"]
    assert len(adds) == 8 and len([s for s in figure.layout.shapes if s.type == "path"]) == 5  # identity arcs
    assert adds[2].hovertext == "layer2.0 outputs relu(F(x) + downsample(x)): F(x) is its main path, x its input"
    rects = [shape for shape in figure.layout.shapes if shape.type == "rect"]
    drawn = [figures._label(box.row) for box in diagram.boxes if not box.is_add]  # a ⊕ is no box
    assert len(rects) == len(drawn) + 1  # the input, last
    bn2, relu = (rects[drawn.index(label)] for label in ("layer2.0.bn2", "layer2.0.relu (2)"))
    assert relu.y1 < adds[2].y < bn2.y0 and adds[2].x == pytest.approx((bn2.x0 + bn2.x1) / 2)
    at_block_depth = [n for n in figures.diagram_figure(resnet18, 2).layout.annotations if n.text == "⊕"]
    assert at_block_depth[0].hovertext == "layer1.0 outputs relu(F(x) + x): F(x) is its main path, x its input"


def test_resnet20_option_a_shortcut_runs_first_but_stands_beside_the_main_path():
    analysis = analyze_architecture("resnet20")
    diagram = figures.build_diagram(analysis, 3)
    box = _boxes_by_label(diagram)
    shortcut, conv1, bn2 = box["stage2.block1.shortcut"], box["stage2.block1.conv1"], box["stage2.block1.bn2"]
    add, relu = box["⊕ stage2.block1"], box["stage2.block1.relu2"]
    assert diagram.boxes[shortcut].column == 1 and diagram.boxes[conv1].column == 0
    assert diagram.boxes[shortcut].level == diagram.boxes[conv1].level
    assert {(shortcut, add), (bn2, add), (add, relu)} <= set(diagram.arrows)
    assert (box["stage1.block1.conv1"], box["⊕ stage1.block1"]) in diagram.skips


def test_a_spec_residual_block_opens_into_its_layers_and_shortcut():
    spec = parse_spec(EXAMPLE_SPECS["small-resnet"])
    analysis = analyze_model(lambda: build_model(spec), spec.input_shape)
    at_layers = figures.build_diagram(analysis, 2)
    box = _boxes_by_label(at_layers)
    assert (box["residual1.layers"], box["⊕ residual1"]) in at_layers.skips
    assert at_layers.boxes[box["residual2.shortcut"]].column == 1
    assert {(box["relu2"], box["residual2.shortcut"]), (box["residual2.shortcut"], box["⊕ residual2"]),
            (box["residual2.layers"], box["⊕ residual2"]), (box["⊕ residual2"], box["relu3"])} \
        <= set(at_layers.arrows)
    deepest = figures.build_diagram(analysis, 3)
    box = _boxes_by_label(deepest)
    assert [deepest.boxes[box[f"residual2.shortcut.{n}"]].column for n in ("conv1", "bn1")] == [1, 1]
    assert {(box["residual2.layers.bn2"], box["⊕ residual2"]),
            (box["residual2.shortcut.bn1"], box["⊕ residual2"])} <= set(deepest.arrows)
    assert [b.row.name for b in figures.build_diagram(analysis, 1).boxes if b.row.type == "Residual"] == \
        ["residual1", "residual2"]  # at their own depth: one box each, as before


class BasicBlock(nn.Module):
    """An option A shortcut written in the forward, with no module: subsample, pad the channels."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x) + F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, 0, 4)))


def test_a_shortcut_without_a_module_is_an_arc_named_by_what_it_does():
    analysis = analyze_model(nn.Sequential(BasicBlock(), nn.Conv2d(8, 8, 1)), (4, 8, 8))
    diagram = figures.build_diagram(analysis, 2)
    assert [(figures._label(b.row), b.column, b.is_add) for b in diagram.boxes] == \
        [("0.conv", 0, False), ("0", 0, True), ("0.relu", 0, False), ("1", 0, False)]
    assert diagram.skips == [(0, 1)] and diagram.arrows == [(0, 1), (1, 2), (2, 3)]
    assert analysis.rows[0].skip.expression == "relu(F(x) + pad(x[…]))"


@pytest.fixture(scope="module")
def googlenet():
    return analyze_architecture("googlenet")


def _inception3a(diagram) -> tuple[dict[str, int], list[list[int]]]:
    """Boxes by label, and inception3a's branches: the boxes of each, top to bottom."""
    box = _boxes_by_label(diagram)
    branches = [[i for label, i in box.items() if label.startswith(f"inception3a.branch{b}.")] for b in (1, 2, 3, 4)]
    return box, branches


def test_deeper_than_the_inception_blocks_each_branch_is_a_column_of_its_layers(googlenet):
    diagram = figures.build_diagram(googlenet, 3)
    box, branches = _inception3a(diagram)
    boxes, arrows = diagram.boxes, set(diagram.arrows)
    assert branches[1] == [box["inception3a.branch2.0"], box["inception3a.branch2.1"]]  # 1×1, then 3×3
    assert [len({boxes[i].column for i in branch}) for branch in branches] == [1, 1, 1, 1]
    assert [boxes[branch[0]].column for branch in branches] == [0, 1, 2, 3]
    assert {boxes[i].columns for branch in branches for i in branch} == {4}  # centred on the main path
    block_input, concat = box["maxpool2"], box["inception3a"]
    assert {(block_input, branch[0]) for branch in branches} <= arrows  # x into every branch
    assert [(boxes[i].level, boxes[i].column) for i in branches[1]] == [(8, 1), (9, 1)]
    assert (branches[1][0], branches[1][1]) in arrows
    assert [source for source, target in diagram.arrows if target == concat] == [b[-1] for b in branches]
    assert (branches[0][-1], branches[1][0]) not in arrows  # no longer one long series
    assert boxes[concat].level > max(boxes[i].level for branch in branches for i in branch)
    assert (boxes[concat].column, boxes[concat].columns) == (0, 1)
    assert (concat, box["inception3b.branch1.conv"]) in arrows


def test_branches_of_different_lengths_start_together_and_the_concat_waits_for_the_longest(googlenet):
    diagram = figures.build_diagram(googlenet, 4)
    box, branches = _inception3a(diagram)
    boxes = diagram.boxes
    assert [len(branch) for branch in branches] == [2, 4, 4, 3]
    assert {boxes[branch[0]].level for branch in branches} == {8}  # tops aligned
    assert boxes[box["inception3a"]].level == 8 + 4
    assert [boxes[i].row.hyper["kernel"] for i in branches[1] if boxes[i].row.type == "Conv2d"] == ["1", "3"]
    figure = figures.diagram_figure(googlenet, 4)
    rects = [shape for shape in figure.layout.shapes if shape.type == "rect"]  # one per box: no ⊕ here
    bn, concat = rects[branches[0][-1]], rects[box["inception3a"]]
    down = [shape for shape in figure.layout.shapes if shape.type == "line"
            and shape.x0 == shape.x1 == pytest.approx((bn.x0 + bn.x1) / 2) and shape.y0 == pytest.approx(bn.y0)]
    assert len(down) == 1 and concat.y1 < down[0].y1 < bn.y0  # down its own column, not across the others


def test_at_the_blocks_own_depth_the_branches_are_one_box_each_as_before(googlenet):
    for depth in (1, 2):
        diagram = figures.build_diagram(googlenet, depth)
        box = _boxes_by_label(diagram)
        branches = [box[f"inception3a.branch{b}"] for b in (1, 2, 3, 4)]
        concat = box["inception3a"]
        assert [(diagram.boxes[i].column, diagram.boxes[i].columns) for i in branches] == [(c, 4) for c in range(4)]
        assert {diagram.boxes[i].level for i in branches} == {diagram.boxes[concat].level - 1}
        assert [source for source, target in diagram.arrows if target == concat] == branches
    d2l = analyze_architecture("googlenet-d2l")
    assert [(b.row.name, b.column) for b in figures.build_diagram(d2l, 2).boxes[8:13]] == \
        [*((f"b3.inception3a.branch{b}", b - 1) for b in (1, 2, 3, 4)), ("b3.inception3a", 0)]


def test_a_lone_inception_block_and_a_spec_concat_open_into_columns_of_their_layers():
    lone = figures.build_diagram(analyze_architecture("inception-block"), 2)
    box = _boxes_by_label(lone)
    assert [lone.boxes[box[f"branch2.{name}"]].column for name in ("conv1x1", "relu1", "conv3x3", "relu2")] == \
        [1, 1, 1, 1]
    assert [lone.boxes[box[f"branch{b}.conv1x1"]].level for b in (1, 2, 3)] == [0, 0, 0]
    assert lone.boxes[-1].row.name == "" and lone.boxes[-1].level == 4  # the concat, below branch2's relu2
    spec = parse_spec(EXAMPLE_SPECS["inception-like"])
    deepest = figures.build_diagram(analyze_model(lambda: build_model(spec), spec.input_shape), 3)
    box = _boxes_by_label(deepest)
    firsts = [box[f"concat1.branch{b}.{name}"] for b, name in ((1, "conv1"), (2, "conv1"), (3, "conv1"), (4, "pool1"))]
    assert [deepest.boxes[i].column for i in firsts] == [0, 1, 2, 3]
    assert {(box["relu1"], first) for first in firsts} <= set(deepest.arrows)
    assert (box["concat1.branch4.relu1"], box["concat1"]) in deepest.arrows


def _overlapping(rects) -> list[tuple[int, int]]:
    return [(i, j) for i, a in enumerate(rects) for j, b in enumerate(rects[:i])
            if a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1]


def test_a_branch_holding_blocks_of_its_own_takes_the_columns_it_needs():
    def conv(filters, kernel=1):
        return {"type": "conv", "filters": filters, "kernel": kernel, "padding": kernel // 2}
    spec = parse_spec({"name": "nested", "input_shape": [3, 8, 8], "layers": [conv(8), {"type": "concat", "branches": [
        [{"type": "residual", "layers": [conv(8, 3), {"type": "relu"}]}],  # an identity skip: an arc on the right
        [{"type": "concat", "branches": [[conv(4)], [conv(4), conv(4, 3)]]}],
        [{"type": "residual", "layers": [conv(8, 3)], "shortcut": [conv(8)]}],
        [conv(2)]]}]})
    analysis = analyze_model(lambda: build_model(spec), spec.input_shape)
    for depth in range(1, analysis.max_depth + 1):
        figure = figures.diagram_figure(analysis, depth)
        rects = [shape for shape in figure.layout.shapes if shape.type == "rect"]
        assert _overlapping(rects) == []
        for arc in (shape for shape in figure.layout.shapes if shape.type == "path"):
            right = max(float(x) for x in re.findall(r"(-?[\d.]+),", arc.path))
            assert not any(rect.x0 < right < rect.x1 for rect in rects)  # clear of the next branch
    deepest = figures.build_diagram(analysis, 5)
    box = _boxes_by_label(deepest)
    assert deepest.boxes[box["concat1.branch2.concat1"]].level == 3  # the inner concat, then the outer
    assert deepest.boxes[box["concat1"]].level == 4


def test_a_box_in_a_branch_is_named_from_its_block_with_the_whole_name_on_hover(googlenet):
    figure = figures.diagram_figure(googlenet, 4)
    names = [note for note in figure.layout.annotations if note.text.startswith("<b>")]
    by_hover = {note.hovertext: note.text for note in names if note.hovertext}
    assert by_hover["inception3a.branch2.1.conv"] == "<b>branch2.1.conv</b> · Conv2d<br>128×28×28"
    assert next(note.text for note in names if note.text.startswith("<b>inception3a</b>")) == \
        "<b>inception3a</b> · Inception<br>256×28×28"  # the concat: the block's whole name
    assert next(note for note in names if note.text.startswith("<b>maxpool2</b>")).hovertext is None


def test_the_googlenet_figure_fits_its_columns(googlenet):
    for depth in (3, 4):
        figure = figures.diagram_figure(googlenet, depth)
        rects = [shape for shape in figure.layout.shapes if shape.type == "rect"]
        assert _overlapping(rects) == []
        low, high = figure.layout.xaxis.range
        assert low < min(rect.x0 for rect in rects) and max(rect.x1 for rect in rects) < high


def test_a_diagram_deeper_than_the_blocks_draws_every_skip_it_followed(resnet18):
    assert all(figures.unfollowed_blocks_note(resnet18, depth) is None for depth in range(1, 6))
    vgg = analyze_architecture("vgg16")
    assert all(figures.unfollowed_blocks_note(vgg, depth) is None for depth in range(1, vgg.max_depth + 1))
    spec = parse_spec({"name": "bad-residual", "input_shape": [3, 8, 8], "layers": [
        {"type": "residual", "layers": [{"type": "conv", "filters": 16, "kernel": 3, "stride": 2, "padding": 1}]}]})
    failing = analyze_model(lambda: build_model(spec), (3, 8, 8))
    assert figures.unfollowed_blocks_note(failing, 1) is None
    note = figures.unfollowed_blocks_note(failing, 2)
    assert note.startswith("At depth 2 the layers of residual1 are drawn in the order they ran") and \
        "Depth 1 shows" in note
    assert figures.build_diagram(failing, 2).skips == []


def test_a_diagram_deeper_than_a_failed_inception_block_draws_its_branches_in_run_order_then_the_failed_join():
    assert all(figures.unfollowed_blocks_note(analyze_architecture("googlenet"), depth) is None for depth in (1, 2, 3))
    spec = parse_spec({"name": "bad-concat", "input_shape": [3, 8, 8], "layers": [
        {"type": "concat", "branches": [[{"type": "conv", "filters": 4, "kernel": 1}],
                                        [{"type": "conv", "filters": 4, "kernel": 3}]]}]})  # 8×8 and 6×6
    failing = analyze_model(lambda: build_model(spec), (3, 8, 8))
    assert failing.diagnosis.layer == "concat1"
    assert figures.unfollowed_blocks_note(failing, 1) is None
    assert figures.unfollowed_blocks_note(failing, 2) == (
        "At depth 2 the branches of concat1 are drawn one after another, in the order they ran, not side by "
        "side: the block's forward failed (see the diagnosis), so its branches were not joined.")
    levels = [(box.row.name, box.level, box.column) for box in figures.build_diagram(failing, 2).boxes]
    assert levels == [("concat1.branch1", 0, 0), ("concat1.branch2", 1, 0), ("concat1", 2, 0)]  # the join last
    arrows = figures.build_diagram(failing, 2).arrows
    assert arrows == [(0, 1), (1, 2)]


def test_per_layer_chart_shows_each_layers_parameters_and_activation_size():
    analysis = analyze_architecture("lenet5")
    params, activations = figures.per_layer_figure(analysis).data
    rows = analysis.rows_at_depth(None)
    assert list(params.x) == [row.name for row in rows]
    assert dict(zip(params.x, params.y))["conv2"] == (5 * 5 * 6 + 1) * 16  # 2,416, by hand
    assert dict(zip(activations.x, activations.y))["conv1"] == 6 * 28 * 28


def test_the_comparison_chart_names_a_network_that_does_not_fit_with_how_far_it_ran():
    """LeNet-5 at 1×64×64 ran until fc1: 540,000 + 1,622,400 MACs (conv1 and conv2, by hand), and
    its bar says where it stopped; at 1×32×32, LeNet-5's 416,520 under its plain name."""
    partial, whole = analyze_architecture("lenet5", (1, 64, 64)), analyze_architecture("lenet5")
    params, macs, activations = figures.comparison_figure([partial, whole]).data
    assert list(macs.x) == ["lenet5 (until fc1)", "lenet5"]
    assert list(macs.y) == [2_162_400, 416_520]
    assert list(params.y) == [61_706, 61_706]
    assert list(activations.y) == [partial.activation_memory_bytes // 4, 15_002]
    # the course's word for a count of activations, as the layer table's column
    assert [bar.name for bar in (params, macs, activations)] == ["# parameters", "MACs per image",
                                                                 "activation size (all layers)"]


def test_layers_after_the_failure_are_drawn_dotted_as_not_reached_and_left_out_of_the_chart():
    analysis = analyze_architecture("lenet5", (1, 16, 16))  # fc1 gets 16 features, not 400
    figure = figures.diagram_figure(analysis)
    texts = [note.text for note in figure.layout.annotations if note.text]  # arrows have none
    assert texts[-5:] == ["<b>fc1</b> · Linear<br>does not fit", "<b>tanh3</b> · Tanh<br>not reached",
                          "<b>fc2</b> · Linear<br>not reached", "<b>tanh4</b> · Tanh<br>not reached",
                          "<b>fc3</b> · Linear<br>not reached"]
    dashes = [shape.line.dash for shape in figure.layout.shapes if shape.type == "rect"]
    assert dashes == ["solid"] * 8 + ["dot"] * 4 + ["solid"]  # the input's box last
    params, _ = figures.per_layer_figure(analysis).data
    assert list(params.x)[-1] == "flatten" and "fc2" not in params.x  # no activation to chart


def test_a_block_that_failed_at_one_of_its_layers_is_not_drawn_above_them(fails_inside_a_block):
    analysis = analyze_model(lambda: build_model(fails_inside_a_block), (1, 8, 8))
    assert [box.row.name for box in figures.build_diagram(analysis, 1).boxes] == ["residual1", "flatten1", "fc1"]
    deeper = figures.build_diagram(analysis, 3)
    assert [(box.row.name, box.level) for box in deeper.boxes] == [
        ("residual1.layers.conv1", 0), ("residual1.layers.fc1", 1), ("residual1.layers.conv2", 2), ("flatten1", 3),
        ("fc1", 4)]
    assert deeper.arrows == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_the_legend_explains_only_what_the_diagram_draws(resnet18, googlenet):
    """LeNet-5's diagram has no residual or Inception blocks, so its legend does not explain them;
    ResNet-18 at depth 1 says which depth draws its blocks."""
    def legend(analysis, depth):
        return figures.diagram_legend(analysis, depth)

    lenet = legend(analyze_architecture("lenet5"), 1)
    assert "blue boxes have parameters" in lenet
    assert not any(word in lenet for word in ("residual", "Inception", "⊕", "red box"))
    assert "These boxes hold residual blocks: depth 2 draws them." in legend(resnet18, 1)
    assert "Green boxes are residual blocks" in legend(resnet18, 2) and "Inception" not in legend(resnet18, 2)
    opened = legend(resnet18, 3)
    assert "An opened residual block" in opened and "Green boxes" not in opened
    # the blocks whose shortcut is a 1×1 conv and a batch norm, not x: the torchvision model says which
    projected = [name for name, module in create_model("resnet18").named_modules()
                 if getattr(module, "downsample", None) is not None]
    assert projected == ["layer2.0", "layer3.0", "layer4.0"]
    assert legend(resnet18, 2).endswith(
        "In layer2.0, layer3.0 and layer4.0 the line is not x itself: x first goes through the block's shortcut "
        "layers, which give it F(x)'s shape (relu(F(x) + downsample(x))); depth 3 draws them.")
    spec = EXAMPLE_SPECS["small-resnet"]
    spec = parse_spec(spec) if isinstance(spec, dict) else spec
    small = legend(analyze_model(lambda: build_model(spec, spec.input_shape), spec.input_shape), 1)
    assert "In residual2 the line is not x itself" in small and "residual1" not in small  # x itself in residual1
    for analysis in (googlenet, analyze_architecture("inception-block")):
        text = legend(analysis, 1)
        assert "Inception branches stand side by side" in text and "residual" not in text
    assert "dotted boxes after it are never reached" in legend(analyze_architecture("lenet5", (1, 16, 16)), 1)


def test_the_legend_s_colours_are_the_diagram_s():
    """"blue boxes have parameters, grey ones none": the fills drawn for LeNet-5's conv1 and relu."""
    figure = figures.diagram_figure(analyze_architecture("lenet5"))
    texts = [note.text for note in figure.layout.annotations if note.text][1:]  # after the input's
    fills = dict(zip(texts, [shape.fillcolor for shape in figure.layout.shapes if shape.type == "rect"]))
    assert fills["<b>conv1</b> · Conv2d<br>6×28×28"] == "#e7f5ff"  # light blue
    assert fills["<b>tanh1</b> · Tanh<br>6×28×28"] == "#f1f3f5"  # light grey


def test_count_axes_use_the_words_of_the_bars():
    """The bars say 1.8G and 61.7K (report.human_count, the course's "60K"); plotly's own log axis
    wrote a billion "1B", and its SI format "10k"."""
    analyses = [analyze_architecture("resnet18"), analyze_architecture("lenet5")]
    comparison = figures.comparison_figure(analyses)
    assert comparison.data[1].text[0] == "1.8G"  # ResNet-18's MACs
    assert comparison.layout.yaxis.type == "log"
    # from LeNet-5's 61,706 parameters (10K) to ResNet-18's 1.8G MACs (10G): every power of ten
    assert comparison.layout.yaxis.tickvals == tuple(10 ** e for e in range(4, 11))
    assert comparison.layout.yaxis.ticktext == ("10K", "100K", "1M", "10M", "100M", "1G", "10G")
    per_layer = figures.per_layer_figure(analyses[1])  # LeNet-5: 10 outputs to 48,120 parameters (fc1)
    assert per_layer.layout.yaxis.ticktext == ("10", "100", "1K", "10K", "100K")
    assert figures.per_layer_figure(analyses[1], log=False).layout.yaxis.tickformat == ",d"  # 48,000
