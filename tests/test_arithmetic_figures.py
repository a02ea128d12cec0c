"""The animation figure: frames, titles, controls, and a schema-valid plotly figure."""

import plotly.graph_objects as go

from cnnviz.arithmetic import LIMITS, PRESETS, Problem, compute
from cnnviz.arithmetic_figures import MAX_FRAMES, arithmetic_figure, step_lines


def figure_of(name: str, **kwargs) -> go.Figure:
    return arithmetic_figure(compute(PRESETS[name].problem), **kwargs)


def texts(figure: go.Figure, name: str) -> list[list[list[str]]]:
    return [list(map(list, trace.text)) for trace in figure.data if trace.name == name]


def test_one_frame_per_step_with_the_expression_in_the_title():
    figure = figure_of("cs540-basic", step=2)
    assert [frame.name for frame in figure.frames] == ["0", "1", "2", "3"]
    assert "0×0 + 1×1 + 3×2 + 4×3 = 19" in figure.frames[0].layout.title.text
    assert figure.layout.title.text.startswith("<b>step 3 of 4</b>")
    assert "3×0 + 4×1 + 6×2 + 7×3 = 37" in figure.layout.title.text
    assert figure.layout.sliders[0].active == 2
    assert [b.label for b in figure.layout.updatemenus[0].buttons][:2] == ["▶ Play", "❚❚ Pause"]
    # the output fills in cell by cell: at step 3, three cells are shown
    assert texts(figure, "output") == [[["19", "25"], ["37", ""]]]
    go.Figure(figure.to_dict())  # every trace and frame passes plotly's schema


def test_padding_cells_are_drawn_apart_from_the_input():
    figure = figure_of("cs540-padding")
    padding = texts(figure, "padding")[0]
    values = texts(figure, "input")[0]
    assert padding[0] == ["0"] * 5 and padding[1][1:4] == ["", "", ""]
    assert values[1][1:4] == ["0", "1", "2"] and values[0] == [""] * 5
    last = figure.frames[-1]
    output = next(trace for trace in last.data if trace["name"] == "output")
    assert list(map(list, output["text"])) == [["0", "3", "8", "4"], ["9", "19", "25", "10"],
                                               ["21", "37", "43", "16"], ["6", "7", "8", "0"]]


def test_several_channels_show_partial_results_then_the_sum():
    figure = figure_of("multi-channel", step=0)
    partials = texts(figure, "partial")
    assert partials == [[["19", ""], ["", ""]], [["37", ""], ["", ""]]]
    assert step_lines(compute(PRESETS["multi-channel"].problem).steps[0]) == [
        "channel 1: 0×0 + 1×1 + 3×2 + 4×3 = 19", "channel 2: 1×1 + 2×2 + 4×3 + 5×4 = 37",
        "sum: 19 + 37 = 56"]


def test_the_most_channels_draw_one_panel_each():
    """Plotly refuses a vertical spacing past 1/(rows − 1): the largest number of channels must draw."""
    c = LIMITS["channels"][1]
    x = [[[float(i * r) for _ in range(3)] for r in range(3)] for i in range(c)]
    figure = arithmetic_figure(compute(Problem("max", x, pool_size=(2, 2), stride=(1, 1))), step=0)
    assert sorted({trace.yaxis for trace in figure.data}) == sorted(
        {"y"} | {f"y{n}" for n in range(2, 2 * c + 1)})  # c input panels and c output panels


def test_try_it_yourself_hides_the_value_and_has_no_frames():
    figure = figure_of("multi-channel", step=1, revealed={0})
    assert not figure.frames
    assert texts(figure, "output") == [[["56", "?"], ["", ""]]]
    title = figure.layout.title.text
    assert "= 72" not in title and "sum: channel 1 + channel 2 = ?" in title
    assert texts(figure, "partial")[0] == [["19", ""], ["", ""]]


def test_try_it_yourself_shows_only_the_cells_found():
    """Once the current cell was revealed, the figure had frames again: ▶ Play drew every hidden
    value (cs540-basic: 43 at output[1,1], never guessed). Only the cells found show, wherever the
    student steps to: skipping ahead to step 4 shows 19 and 43 found, not 25 and 37."""
    shown = figure_of("cs540-basic", step=1, revealed={0, 1})
    assert not shown.frames and not shown.layout.sliders and not shown.layout.updatemenus
    assert texts(shown, "output") == [[["19", "25"], ["", ""]]]
    assert "= 25" in shown.layout.title.text
    skipped = figure_of("cs540-basic", step=3, revealed={0, 3})
    assert texts(skipped, "output") == [[["19", ""], ["", "43"]]]
    hidden = figure_of("cs540-basic", step=2, revealed={0, 3})
    assert texts(hidden, "output") == [[["19", ""], ["?", "43"]]]


def test_max_pooling_marks_the_winner_and_large_problems_stay_static():
    figure = figure_of("ufv-max-4x4", step=0)
    winner = next(trace for trace in figure.data if trace.name == "max")
    corner = (min(x for x in winner.x if x is not None), min(y for y in winner.y if y is not None))
    assert corner == (0.5, 0.5)  # the 9 at row 1, column 1
    big = Problem("conv", [[[float(c) for c in range(17)]] * 17], [[[[1.0]]]])
    assert len(big.input[0]) ** 2 > MAX_FRAMES
    assert not arithmetic_figure(compute(big), 3).frames
