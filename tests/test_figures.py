"""The architecture figures: the diagram's boxes, arrows and skip connections, and the per-layer chart."""

import re

import pytest

from cnnviz import figures
from cnnviz.analysis import analyze_architecture


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
    assert len(boxes) == len(diagram.boxes) and len(paths) == len(adds) == 8
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


def test_a_diagram_deeper_than_the_blocks_says_what_it_leaves_out(resnet18):
    assert figures.opened_blocks_note(resnet18, 2) is None
    note = figures.opened_blocks_note(resnet18, 3)
    assert note.startswith("At depth 3 the residual blocks are opened") and "Depth 2 shows" in note
    diagram = figures.build_diagram(resnet18, 3)
    assert diagram.residual_blocks == [] and "layer2.0.downsample" in [b.row.name for b in diagram.boxes]
    vgg = analyze_architecture("vgg16")
    assert all(figures.opened_blocks_note(vgg, depth) is None for depth in range(1, vgg.max_depth + 1))


def test_per_layer_chart_shows_each_layers_parameters_and_activation_size():
    analysis = analyze_architecture("lenet5")
    params, activations = figures.per_layer_figure(analysis).data
    rows = analysis.rows_at_depth(None)
    assert list(params.x) == [row.name for row in rows]
    assert dict(zip(params.x, params.y))["conv2"] == (5 * 5 * 6 + 1) * 16  # 2,416, by hand
    assert dict(zip(activations.x, activations.y))["conv1"] == 6 * 28 * 28
