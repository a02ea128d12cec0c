"""Plotly figures of an analysis: parameters and activations per layer, comparisons, the diagram.

Plain Python (no streamlit): the pages render what these return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go

from cnnviz.analysis import Analysis, LayerRow
from cnnviz.report import human_count, shape_text

PARAMS_COLOR = "#3b5bdb"
ACTIVATION_COLOR = "#e8590c"


def _label(row: LayerRow) -> str:
    return row.name if row.call_index == 0 else f"{row.name} ({row.call_index + 1})"


def per_layer_figure(analysis: Analysis, depth: int | None = None, log: bool = True) -> go.Figure:
    """# parameters and activation size per layer, side by side on a shared layer axis.

    A student sees at a glance that parameters pile up in the fully-connected layers while
    activations shrink with depth.
    """
    rows = [row for row in analysis.rows_at_depth(depth) if not row.failed]
    labels = [_label(row) for row in rows]
    hover = [f"{row.type}<br>{shape_text(row.output_shape)}" for row in rows]
    figure = go.Figure()
    figure.add_bar(x=labels, y=[row.params for row in rows], name="# parameters",
                   marker_color=PARAMS_COLOR, customdata=hover,
                   hovertemplate="%{x}<br>%{customdata}<br># parameters: %{y:,}<extra></extra>")
    figure.add_bar(x=labels, y=[row.activation_size for row in rows], name="activation size",
                   marker_color=ACTIVATION_COLOR, customdata=hover,
                   hovertemplate="%{x}<br>%{customdata}<br>activation size: %{y:,}<extra></extra>")
    figure.update_layout(barmode="group", height=380, margin=dict(l=10, r=10, t=30, b=10),
                         legend=dict(orientation="h", y=1.1), xaxis_title=None,
                         yaxis_title="count (log scale)" if log else "count")
    if log:
        figure.update_yaxes(type="log")
    return figure


def comparison_figure(analyses: list[Analysis]) -> go.Figure:
    """Parameters, MACs and activation memory of several networks, on a log scale."""
    names = [a.model_id for a in analyses]
    figure = go.Figure()
    for label, values, color in (
        ("# parameters", [a.total_params for a in analyses], PARAMS_COLOR),
        ("MACs per image", [a.total_macs for a in analyses], "#2f9e44"),
        ("activation values", [a.activation_memory_bytes // 4 for a in analyses], ACTIVATION_COLOR),
    ):
        figure.add_bar(x=names, y=values, name=label, marker_color=color,
                       text=[human_count(v) for v in values], textposition="outside",
                       hovertemplate="%{x}<br>" + label + ": %{y:,}<extra></extra>")
    figure.update_layout(barmode="group", height=380, margin=dict(l=10, r=10, t=30, b=10),
                         legend=dict(orientation="h", y=1.12))
    figure.update_yaxes(type="log", title="log scale")
    return figure


# --------------------------------------------------------------------------- the diagram

RESIDUAL_TYPES = {"BasicBlock", "Bottleneck", "Residual"}
BRANCHING_TYPES = {"Inception", "Concat", "InceptionBlock"}


@dataclass
class Box:
    """A layer or block drawn as a box; ``column`` > 0 for a branch beside the main path."""

    row: LayerRow
    level: int
    column: int = 0
    columns: int = 1


@dataclass
class Diagram:
    boxes: list[Box] = field(default_factory=list)
    arrows: list[tuple[int, int]] = field(default_factory=list)  # (from box, to box) along the data
    residual_blocks: list[int] = field(default_factory=list)  # boxes with a skip connection around them


def _children(rows: list[LayerRow], parent: LayerRow) -> list[LayerRow]:
    parent_name = parent.name or None  # "" stands for the whole network
    return [row for row in rows if row.parent == parent_name and row.call_index == 0]


def build_diagram(analysis: Analysis, depth: int = 1) -> Diagram:
    """Boxes per layer at ``depth``: Inception branches side by side, residual blocks with a skip.

    A residual block at the cut stays one box with a skip connection around it; an Inception block
    opens into its branches, each branch one box (its layers summed), then joins again.
    """
    diagram = Diagram()
    rows = analysis.rows_at_depth(depth)
    if analysis.model_type in BRANCHING_TYPES and depth == 1:  # a lone block: its branches, joined
        rows = [LayerRow(name="", type=analysis.model_type, depth=0, parent=None, is_leaf=False,
                         output_shape=analysis.output_shape)]
    previous: list[int] = []  # boxes feeding the next level
    level = 0
    for row in rows:
        if row.type in BRANCHING_TYPES and not row.failed:
            branches = _children(analysis.rows, row)
            start = len(diagram.boxes)
            for column, branch in enumerate(branches):
                diagram.boxes.append(Box(branch, level, column, len(branches)))
                diagram.arrows += [(p, start + column) for p in previous]
            level += 1
            join = len(diagram.boxes)
            diagram.boxes.append(Box(row, level))
            diagram.arrows += [(start + c, join) for c in range(len(branches))]
            previous = [join]
        else:
            index = len(diagram.boxes)
            diagram.boxes.append(Box(row, level))
            diagram.arrows += [(p, index) for p in previous]
            if row.type in RESIDUAL_TYPES:
                diagram.residual_blocks.append(index)
            previous = [index]
        level += 1
    return diagram


def diagram_figure(analysis: Analysis, depth: int = 1, order: str = "pytorch") -> go.Figure:
    """The diagram as a plotly figure: boxes top to bottom, branches side by side, skips as arcs."""
    diagram = build_diagram(analysis, depth)
    box_width, box_height = 2.6, 0.62
    gap = 1.4 if diagram.residual_blocks else 1.0  # room between blocks for x to leave and to be added
    figure = go.Figure()
    centres = []
    for box in diagram.boxes:
        x = (box.column - (box.columns - 1) / 2) * (box_width + 0.4)
        y = -box.level * gap
        centres.append((x, y))
        row = box.row
        fill = "#fde2e1" if row.failed else ("#e7f5ff" if row.params else "#f1f3f5")
        if row.type in RESIDUAL_TYPES:
            fill = "#ebfbee"
        figure.add_shape(type="rect", x0=x - box_width / 2, x1=x + box_width / 2, y0=y - box_height / 2,
                         y1=y + box_height / 2, line=dict(color="#868e96", width=1), fillcolor=fill,
                         layer="below")
        shape = "does not fit" if row.failed else shape_text(row.output_shape, order)
        title = f"<b>{_label(row)}</b> · {row.type}" if row.name else f"<b>concat</b> ({row.type} output)"
        figure.add_annotation(x=x, y=y, showarrow=False, font=dict(size=11), text=f"{title}<br>{shape}")
    for source, target in diagram.arrows:
        (x0, y0), (x1, y1) = centres[source], centres[target]
        figure.add_annotation(x=x1, y=y1 + box_height / 2, ax=x0, ay=y0 - box_height / 2,
                              xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                              arrowhead=2, arrowsize=1, arrowwidth=1.2, arrowcolor="#495057", text="")
    for block in diagram.residual_blocks:
        # x leaves the main line above the block, goes around it and is added to F(x) below it (⊕)
        x, y = centres[block]
        above, below = y + box_height / 2 + 0.14, y - box_height / 2 - 0.2
        side = x + box_width / 2 + 0.45
        figure.add_shape(type="path", line=dict(color="#2f9e44", width=2),
                         path=f"M {x},{above} L {side - 0.2},{above} C {side + 0.2},{above} {side + 0.2},"
                              f"{below} {side - 0.2},{below} L {x + 0.09},{below}")
        figure.add_annotation(x=x, y=below, showarrow=False, text="⊕", font=dict(size=15, color="#2f9e44"),
                              bgcolor="white", hovertext="the block's input x is added to its output F(x)")
    levels = max((box.level for box in diagram.boxes), default=0) + 1
    widest = max((box.columns for box in diagram.boxes), default=1)
    half = widest * (box_width + 0.4) / 2 + 1
    figure.update_xaxes(visible=False, range=[-half, half])
    figure.update_yaxes(visible=False, range=[-levels * gap + 0.2, 0.6], scaleanchor=None)
    figure.update_layout(height=max(240, round(62 * levels * gap)), margin=dict(l=0, r=0, t=10, b=10),
                         plot_bgcolor="white", showlegend=False, dragmode="pan")
    return figure


def default_diagram_depth(analysis: Analysis) -> int:
    """The shallowest depth at which residual or Inception blocks appear as boxes (else 1)."""
    for depth in range(1, analysis.max_depth + 1):
        if any(row.type in RESIDUAL_TYPES | BRANCHING_TYPES for row in analysis.rows_at_depth(depth)):
            return depth
    return 1


def opened_blocks_note(analysis: Analysis, depth: int) -> str | None:
    """What a diagram deeper than its residual blocks does not show: it draws their layers in the
    order they run, the shortcut's among them, and the skip connections only at the blocks' depth."""
    blocks = [row for row in analysis.rows if row.type in RESIDUAL_TYPES]
    if not blocks or all(row.depth >= depth for row in blocks):
        return None
    shallowest = min(row.depth for row in blocks)
    return (f"At depth {depth} the residual blocks are opened: their layers are drawn in the order they "
            f"run (a shortcut's layers, such as downsample, after the main path's), and the skip "
            f"connections are not drawn. Depth {shallowest} shows each block as one box with its skip.")

