"""The conv-arithmetic animation: one plotly figure whose frames are the steps of a :class:`Result`.

The input (padding cells drawn grey), the kernel, each channel's partial result and the output sit
side by side; every frame moves the window, fills in the next output cell and writes the
products and their sum in the title. Play/Pause and the slider are plotly's own: the animation
runs in the browser without a server round-trip. Plain Python (no streamlit).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.arithmetic import Result, Step, format_number, output_cell_name

MAX_FRAMES = 256  # beyond this the figure is static at the chosen step (stepping by hand still works)
FRAME_MS = 800
WINDOW_COLOR = "#e8590c"
CELL_COLOR = "#2f9e44"
WINNER_COLOR = "#c92a2a"
INPUT_SCALE = [[0, "#eef3ff"], [1, "#a5c0f5"]]
KERNEL_SCALE = [[0, "#fff4e6"], [1, "#ffc078"]]
OUTPUT_SCALE = [[0, "#ebfbee"], [1, "#8ce99a"]]
PADDING_SCALE = [[0, "#e9ecef"], [1, "#e9ecef"]]
HIDDEN = "?"


# --------------------------------------------------------------------------- what a step says


def _wrap(text: str, width: int = 96) -> list[str]:
    """Break a long sum at its ' + ' signs so a 5×5 kernel's expression still fits."""
    lines, line = [], ""
    for part in text.split(" + "):
        candidate = f"{line} + {part}" if line else part
        if line and len(candidate) > width:
            lines.append(line + " +")
            line = part
        else:
            line = candidate
    return [*lines, line]


def step_lines(step: Step, hide_value: bool = False) -> list[str]:
    """What a student writes for this output cell: per channel, then the sum.

    ``hide_value`` replaces every result by "?" (for "try it yourself").
    """
    def hidden(expression: str) -> str:
        return expression.rsplit(" = ", 1)[0] + f" = {HIDDEN}" if hide_value else expression

    if len(step.terms) == 1:
        return [hidden(step.expression)]
    lines = [f"channel {t.channel + 1}: {hidden(t.expression)}" for t in step.terms]
    if hide_value:
        channels = " + ".join(f"channel {t.channel + 1}" for t in step.terms)
        bias = f" + {format_number(step.bias)}" if step.bias is not None else ""
        lines.append(f"sum: {channels}{bias} = {HIDDEN}")
    else:
        lines.append(f"sum: {step.expression}")
    return lines


def cell_name(result: Result, step: Step) -> str:
    """``output[0, 1]`` or, with several output channels, ``output channel 2 [0, 1]``."""
    return output_cell_name(step, len(result.output))


def step_title(result: Result, step: Step, hide_value: bool = False) -> str:
    lines = [line for text in step_lines(step, hide_value) for line in _wrap(text)]
    header = f"<b>step {step.index + 1} of {len(result.steps)}</b> · {cell_name(result, step)}"
    return "<br>".join([header, *lines])


# --------------------------------------------------------------------------- the layout


@dataclass(frozen=True)
class _Panel:
    title: str
    row: int  # 1-based subplot row and column
    col: int
    height: int  # in cells
    width: int


def _panels(result: Result) -> tuple[list[list[_Panel]], int, int]:
    """Panels per column (input, kernel, partial results, output) and the grid's size."""
    problem = result.problem
    c_in, c_out = problem.input_channels, problem.output_channels
    hp, wp = len(result.padded[0]), len(result.padded[0][0])
    (kh, kw), (oh, ow) = problem.kernel_hw, (result.shape.height.out, result.shape.width.out)
    ph, pw = problem.padding
    pad_note = f" (padding p = {ph})" if ph == pw and ph else f" (padding p = {ph}, {pw})" if ph or pw else ""
    several = c_in > 1

    def name(base: str, channel: int, count: int) -> str:
        return f"{base} channel {channel + 1}" if count > 1 else base

    columns = [[_Panel(name("input", c, c_in) + pad_note, c + 1, 1, hp, wp) for c in range(c_in)]]
    if problem.op == "conv":
        columns.append([_Panel(name("kernel (f)", c, c_in), c + 1, 2, kh, kw) for c in range(c_in)])
        if several:
            columns.append([_Panel(f"channel {c + 1} ⋆ kernel", c + 1, 3, oh, ow) for c in range(c_in)])
        label = "sum = output" if several else "output"
        columns.append([_Panel(name(label, o, c_out), o + 1, len(columns) + 1, oh, ow)
                        for o in range(c_out)])
    else:
        columns.append([_Panel(name("output", c, c_out), c + 1, 2, oh, ow) for c in range(c_out)])
    return columns, max(c_in, c_out), len(columns)


def _axes(panel: _Panel, n_cols: int) -> dict:
    index = (panel.row - 1) * n_cols + panel.col
    suffix = "" if index == 1 else str(index)
    return {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}


# Traces are plain dicts (validated once by plotly's schema in the tests, not per frame): building
# a few hundred frames through plotly's validators takes seconds, as dicts a fraction of that.
def _heatmap(values, text, scale, zrange, font_size, text_color="#1c2333", name="") -> dict:
    return dict(type="heatmap", z=values, text=text, texttemplate="%{text}", colorscale=scale,
                zmin=zrange[0], zmax=zrange[1], showscale=False, xgap=2, ygap=2, name=name,
                hoverinfo="skip", textfont=dict(size=font_size, color=text_color))


def _text(matrix) -> list[list[str]]:
    return [["" if v is None else format_number(v) for v in row] for row in matrix]


def _range(values) -> tuple[float, float]:
    finite = [v for row in values for v in row if v is not None and abs(v) != float("inf")]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    return (low, high if high > low else low + 1)


def _box(cells, dilated: bool) -> tuple[list, list]:
    """Outline of the window: its bounding box, or each cell when dilation leaves gaps."""
    if not cells:
        return [], []
    groups = [[cell] for cell in cells] if dilated else [cells]
    xs, ys = [], []
    for group in groups:
        top, left = min(r for r, _ in group) - 0.5, min(c for _, c in group) - 0.5
        bottom, right = max(r for r, _ in group) + 0.5, max(c for _, c in group) + 0.5
        xs += [left, right, right, left, left, None]
        ys += [top, top, bottom, bottom, top, None]
    return xs, ys


def _outline(cells, dilated: bool, color: str, width: float, name: str) -> dict:
    xs, ys = _box(cells, dilated)
    return dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=color, width=width),
                name=name, hoverinfo="skip", showlegend=False)


# --------------------------------------------------------------------------- the figure


def arithmetic_figure(result: Result, step: int = 0, *, revealed: Collection[int] | None = None,
                      animate: bool = True) -> go.Figure:
    """The figure at ``step``; with ``animate`` (and at most MAX_FRAMES steps) every step a frame.

    ``revealed``: "try it yourself" — the steps whose values the student has found or asked for;
    only their cells (and partial results) show, wherever the step is, and the figure has no
    frames: its ▶ Play and slider would play the hidden values.
    """
    problem, steps = result.problem, result.steps
    step = max(0, min(step, len(steps) - 1))
    trying = revealed is not None
    hide_current = trying and step not in revealed
    columns, n_rows, n_cols = _panels(result)
    col_widths = [max(p.width for p in column) for column in columns]
    row_heights = [max([p.height for column in columns for p in column if p.row == r] or [1])
                   for r in range(1, n_rows + 1)]
    titles = [""] * (n_rows * n_cols)
    for column in columns:
        for panel in column:
            titles[(panel.row - 1) * n_cols + panel.col - 1] = panel.title
    figure = make_subplots(rows=n_rows, cols=n_cols, subplot_titles=titles,
                           column_widths=[w + 1 for w in col_widths],
                           row_heights=[h + 1 for h in row_heights],
                           horizontal_spacing=0.04, vertical_spacing=0.08 if n_rows > 1 else 0.02)
    total_cells = sum(row_heights) + n_rows
    cell_px = max(16, min(46, 620 // total_cells))
    font_size = max(8, min(16, int(cell_px * 0.38)))

    # static: the input and its padding
    data: list[dict] = []
    input_panels = columns[0]
    pad_text = format_number(problem.pad_value)
    input_range = _range([row for channel in problem.input for row in channel])
    for c, panel in enumerate(input_panels):
        padded = result.padded[c]
        values = [[None if result.is_padding(r, k) else v for k, v in enumerate(row)]
                  for r, row in enumerate(padded)]
        padding = [[1 if result.is_padding(r, k) else None for k in range(len(row))]
                   for r, row in enumerate(padded)]
        data.append({**_heatmap(padding, [[pad_text if v else "" for v in row] for row in padding],
                                PADDING_SCALE, (0, 1), font_size, "#868e96", "padding"),
                     **_axes(panel, n_cols)})
        data.append({**_heatmap(values, _text(values), INPUT_SCALE, input_range, font_size, name="input"),
                     **_axes(panel, n_cols)})

    # dynamic: everything a frame changes, in a fixed order
    dynamic: list[tuple[str, int, _Panel]] = []  # (kind, channel, panel)
    if problem.op == "conv":
        dynamic += [("kernel", c, p) for c, p in enumerate(columns[1])]
        if len(columns) == 4:
            dynamic += [("partial", c, p) for c, p in enumerate(columns[2])]
    dynamic += [("output", o, p) for o, p in enumerate(columns[-1])]
    dynamic += [("window", c, p) for c, p in enumerate(input_panels)]
    if problem.op == "max":
        dynamic += [("winner", c, p) for c, p in enumerate(input_panels)]
    if len(columns) == 4:
        dynamic += [("partial-cell", c, p) for c, p in enumerate(columns[2])]
    dynamic += [("output-cell", o, p) for o, p in enumerate(columns[-1])]

    order = {(s.channel, s.row, s.col): s.index for s in steps}
    output_range = _range([row for channel in result.output for row in channel])
    partial_range = _range([row for f in result.partials or [] for ch in f for row in ch])
    kernel_range = _range([row for f in problem.kernels for ch in f for row in ch]) if problem.kernels \
        else (0, 1)
    dilated = problem.dilation != (1, 1)

    def shown_by(at: int, hide: bool):
        if trying:
            return lambda index: index in revealed
        return lambda index: index < at or (index == at and not hide)

    def traces_at(at: int, hide: bool) -> list:
        visible = shown_by(at, hide)

        def shown_cells(channel_values, channel: int):
            return [[v if visible(order[(channel, r, c)]) else None for c, v in enumerate(row)]
                    for r, row in enumerate(channel_values)]

        current = steps[at]
        traces = []
        for kind, channel, _panel in dynamic:
            if kind == "kernel":
                kernel = problem.kernels[current.channel][channel]
                traces.append(_heatmap(kernel, _text(kernel), KERNEL_SCALE, kernel_range, font_size,
                                       name="kernel"))
            elif kind == "partial":
                partial = result.partials[current.channel][channel]
                shown = shown_cells(partial, current.channel)
                traces.append(_heatmap(shown, _text(shown), OUTPUT_SCALE, partial_range, font_size,
                                       name="partial"))
            elif kind == "output":
                shown = shown_cells(result.output[channel], channel)
                text = _text(shown)
                if hide and channel == current.channel:
                    text[current.row][current.col] = HIDDEN
                traces.append(_heatmap(shown, text, OUTPUT_SCALE, output_range, font_size, name="output"))
            elif kind == "window":
                active = problem.op == "conv" or channel == current.channel
                traces.append(_outline(current.terms[0].cells if active else [], dilated, WINDOW_COLOR, 4,
                                       "window"))
            elif kind == "winner":
                cells = [current.winner] if channel == current.channel and not hide else []
                traces.append(_outline(cells, True, WINNER_COLOR, 3, "max"))
            else:  # the cell being filled, on the output or the partial results
                active = kind == "partial-cell" or channel == current.channel
                traces.append(_outline([(current.row, current.col)] if active else [], False, CELL_COLOR, 4,
                                       "cell"))
        return [{**trace, **_axes(panel, n_cols)} for trace, (_k, _c, panel) in zip(traces, dynamic,
                                                                                     strict=True)]

    dynamic_indices = list(range(len(data), len(data) + len(dynamic)))
    data += traces_at(step, hide_current)

    # square cells, row 0 on top, every panel drawn at the same cell size
    for column, width in zip(columns, col_widths, strict=True):
        for panel in column:
            height = row_heights[panel.row - 1]
            figure.update_xaxes(range=[-0.5, width - 0.5], row=panel.row, col=panel.col)
            figure.update_yaxes(range=[height - 0.5, -0.5], row=panel.row, col=panel.col)
    hidden_axis = dict(showticklabels=False, showgrid=False, zeroline=False, showline=False, ticks="",
                       constrain="domain")
    figure.update_xaxes(**hidden_axis)
    figure.update_yaxes(**hidden_axis)
    for index in range(1, n_rows * n_cols + 1):
        suffix = "" if index == 1 else str(index)
        figure.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
        if not titles[index - 1]:
            figure.layout[f"xaxis{suffix}"].visible = False
            figure.layout[f"yaxis{suffix}"].visible = False

    title_lines = max(len(step_title(result, s).split("<br>")) for s in steps)
    with_frames = animate and not trying and len(steps) <= MAX_FRAMES
    top = 30 + 22 * title_lines
    bottom = 150 if with_frames else 10
    figure.update_layout(
        title=dict(text=step_title(result, steps[step], hide_current), x=0, xanchor="left", y=1,
                   yanchor="top", pad=dict(t=10), font=dict(size=15)),
        height=int(top + bottom + cell_px * total_cells * 1.1 + 40 * n_rows),
        margin=dict(l=10, r=10, t=top, b=bottom), plot_bgcolor="rgba(0,0,0,0)",
        paper_bgcolor="rgba(0,0,0,0)", showlegend=False,
    )
    frames = []
    if with_frames:
        frames = [dict(name=str(s.index), data=traces_at(s.index, False), traces=dynamic_indices,
                       layout=dict(title=dict(text=step_title(result, s))))
                  for s in steps]
        _add_controls(figure, result, step)
    return go.Figure(data=data, layout=figure.layout, frames=frames, _validate=False)


def _add_controls(figure: go.Figure, result: Result, active: int) -> None:
    """plotly's own Play/Pause buttons and step slider: they run in the browser."""
    still = {"mode": "immediate", "frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}}
    playing = {"frame": {"duration": FRAME_MS, "redraw": True}, "transition": {"duration": 0},
               "mode": "immediate"}
    figure.update_layout(
        updatemenus=[dict(
            type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top",
            pad=dict(t=20, r=10), showactive=False,
            buttons=[
                dict(label="▶ Play", method="animate", args=[None, {**playing, "fromcurrent": True}]),
                dict(label="❚❚ Pause", method="animate",
                     args=[[None], {**still, "frame": {"duration": 0, "redraw": False}}]),
                dict(label="⟲ From the start", method="animate",
                     args=[None, {**playing, "fromcurrent": False}]),
            ],
        )],
        sliders=[dict(
            active=active, x=0, len=1, y=0, yanchor="top", pad=dict(t=75),
            currentvalue=dict(prefix="step ", visible=True, xanchor="left"),
            steps=[dict(label=str(s.index + 1), method="animate", args=[[str(s.index)], still])
                   for s in result.steps],
        )],
    )
