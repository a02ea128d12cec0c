"""Plotly figures of an analysis: parameters and activations per layer, comparisons, the diagram.

Plain Python (no streamlit): the pages render what these return.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import plotly.graph_objects as go

from cnnviz.analysis import Analysis, LayerRow, call_nesting
from cnnviz.report import activation_shape_text, human_count, ran_until, shape_text

PARAMS_COLOR = "#3b5bdb"
ACTIVATION_COLOR = "#e8590c"


def _label(row: LayerRow) -> str:
    return row.name if row.call_index == 0 else f"{row.name} ({row.call_index + 1})"


def _count_axis(figure: go.Figure, values: list[int], log: bool) -> None:
    """The y axis of counts in the words of the bars and the tables (report.human_count: 60K,
    1.8G), as the course writes LeNet's "60K": plotly's own labels read "60k" (SI) or "1.8B".
    A log axis gets a tick per power of ten that the values span; a linear one full numbers."""
    if not log:
        figure.update_yaxes(tickformat=",d")
        return
    positive = [v for v in values if v > 0] or [1]
    powers = [10 ** e for e in range(int(math.floor(math.log10(min(positive)))),
                                     int(math.ceil(math.log10(max(positive)))) + 1)]
    figure.update_yaxes(type="log", tickvals=powers,
                        ticktext=[human_count(v).replace(".0", "") for v in powers])


def per_layer_figure(analysis: Analysis, depth: int | None = None, log: bool = True) -> go.Figure:
    """# parameters and activation size per layer, side by side on a shared layer axis.

    A student sees at a glance where the parameters pile up (LeNet's and VGG's fully-connected
    layers, ResNet's last convs) and where activations are largest (``report.chart_lesson`` says it
    in numbers).
    """
    rows = [row for row in analysis.rows_at_depth(depth) if not row.failed and row.reached]
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
    _count_axis(figure, [row.params for row in rows] + [row.activation_size for row in rows], log)
    return figure


def comparison_figure(analyses: list[Analysis]) -> go.Figure:
    """Parameters, MACs and activation sizes (of every layer, summed: the activation memory ÷ 4 bytes)
    of several networks, on a log scale; a network that does not fit is named with how far it ran
    ("lenet5 (until fc1)"): its MACs stop there."""
    names = [a.model_id if a.fits else f"{a.model_id} ({ran_until(a)})" for a in analyses]
    figure = go.Figure()
    bars = (
        ("# parameters", [a.total_params for a in analyses], PARAMS_COLOR),
        ("MACs per image", [a.total_macs for a in analyses], "#2f9e44"),
        ("activation size (all layers)", [a.activation_memory_bytes // 4 for a in analyses], ACTIVATION_COLOR),
    )
    for label, values, color in bars:
        figure.add_bar(x=names, y=values, name=label, marker_color=color,
                       text=[human_count(v) for v in values], textposition="outside",
                       hovertemplate="%{x}<br>" + label + ": %{y:,}<extra></extra>")
    figure.update_layout(barmode="group", height=380, margin=dict(l=10, r=10, t=30, b=10),
                         legend=dict(orientation="h", y=1.12))
    figure.update_yaxes(title="log scale")
    _count_axis(figure, [value for _, values, _ in bars for value in values], log=True)
    return figure


# --------------------------------------------------------------------------- the diagram

RESIDUAL_TYPES = {"BasicBlock", "Bottleneck", "Residual"}
BRANCHING_TYPES = {"Inception", "Concat", "InceptionBlock"}


@dataclass
class Box:
    """A layer or block drawn as a box, ``column - (columns - 1) / 2`` columns right of the main
    path: an Inception block's branches are ``columns`` columns centred on it, a residual block's
    shortcut one to the right. An ``is_add`` box is the ⊕ of an opened residual block (``row``):
    where its shortcut is added. ``branch_of`` names the Inception block whose branch the box stands
    in: the box's label leaves it out (the concat below names the block), so four columns fit."""

    row: LayerRow
    level: int
    column: int = 0
    columns: int = 1
    is_add: bool = False
    branch_of: str = ""


@dataclass
class Diagram:
    boxes: list[Box] = field(default_factory=list)
    arrows: list[tuple[int, int]] = field(default_factory=list)  # (from box, to box) along the data
    residual_blocks: list[int] = field(default_factory=list)  # boxes with a skip connection around them
    joins: list[int] = field(default_factory=list)  # the concat boxes below an Inception block's branches
    # an opened block whose shortcut has no layer to draw: (the first box of its main path, its ⊕)
    skips: list[tuple[int, int]] = field(default_factory=list)


def _children(rows: list[LayerRow], parent: LayerRow) -> list[LayerRow]:
    parent_name = parent.name or None  # "" stands for the whole network
    return [row for row in rows if row.parent == parent_name and row.call_index == 0]


def _is_opened_residual(call: LayerRow) -> bool:
    return call.type in RESIDUAL_TYPES and call.skip is not None


def _opens(call: LayerRow) -> bool:
    """Whether a block above the cut is drawn as its paths rather than its layers in run order."""
    return _is_opened_residual(call) or (call.type in BRANCHING_TYPES and not call.failed)


def _position(box: Box) -> float:
    """Where a box stands, in columns from the main path (half columns in a centred group)."""
    return box.column - (box.columns - 1) / 2


class _Layout:
    """Places rows into a :class:`Diagram`, level by level; a residual block above the cut opens
    into its main path, its shortcut's layers in a column beside it, and its ⊕ where the add ran;
    an Inception block into its branches, each a column of its layers, joined below them."""

    def __init__(self, analysis: Analysis):
        self.diagram = Diagram()
        self.rows = analysis.rows
        self.enclosing: dict[int, tuple[LayerRow, ...]] = {}  # id(row) -> the calls it ran inside
        self.position: dict[int, int] = {}  # id(row) -> its place among its parent call's children
        children: dict[int, int] = {}
        for row, calls in call_nesting(analysis.rows):
            self.enclosing[id(row)] = calls
            if calls:
                self.position[id(row)] = children.get(id(calls[-1]), 0)
                children[id(calls[-1])] = self.position[id(row)] + 1

    def _place(self, box: Box, previous: list[int]) -> int:
        index = len(self.diagram.boxes)
        self.diagram.boxes.append(box)
        self.diagram.arrows += [(p, index) for p in previous]
        return index

    def _calls_inside(self, row: LayerRow, block: LayerRow | None) -> tuple[LayerRow, ...]:
        """The calls ``row`` ran inside, below ``block`` (all of them for None)."""
        calls = self.enclosing.get(id(row), ())  # none for the lone block's stand-in
        below = next((i + 1 for i, call in enumerate(calls) if call is block), 0)
        return calls[below:]

    def sequence(self, rows: list[LayerRow], level: int, column: int, previous: list[int],
                 inside: LayerRow | None = None) -> tuple[int, list[int]]:
        """Rows top to bottom from ``level`` in ``column``, fed by the boxes ``previous``; the next
        free level and the boxes feeding what follows."""
        i = 0
        while i < len(rows):
            block = next((call for call in self._calls_inside(rows[i], inside) if _opens(call)), None)
            if block is None:
                level, previous = self.layer(rows[i], level, column, previous)
                i += 1
                continue
            end = i
            while end < len(rows) and any(call is block for call in self._calls_inside(rows[end], inside)):
                end += 1
            opened = self.opened_residual if block.type in RESIDUAL_TYPES else self.branches
            level, previous = opened(block, rows[i:end], level, column, previous)
            i = end
        return level, previous

    def layer(self, row: LayerRow, level: int, column: int, previous: list[int]) -> tuple[int, list[int]]:
        """A box; an Inception block's branches side by side, joined; a residual block with its skip."""
        if row.type in BRANCHING_TYPES and not row.failed:
            return self.branches(row, _children(self.rows, row), level, column, previous)
        index = self._place(Box(row, level, column), previous)
        if row.type in RESIDUAL_TYPES:
            self.diagram.residual_blocks.append(index)
        return level + 1, [index]

    def opened_residual(self, block: LayerRow, rows: list[LayerRow], level: int, column: int,
                        previous: list[int]) -> tuple[int, list[int]]:
        """The main path in ``column``, the shortcut's layers beside it from the same level (or a
        skip arc when it has none), both into a ⊕; then the layers that take the sum."""
        skip = block.skip
        main, shortcut, after = [], [], []
        for row in rows:
            child = (*self._calls_inside(row, block), row)[0]  # the block's child call it runs in
            position = self.position[id(child)]
            (after if position >= skip.add_after else shortcut if position in skip.shortcut else main).append(row)
        first = len(self.diagram.boxes)
        main_level, main_ends = self.sequence(main, level, column, previous, block)
        beside = column + 1 + math.ceil(max((_position(box) - column for box in self.diagram.boxes[first:]),
                                            default=0))
        shortcut_level, shortcut_ends = self.sequence(shortcut, level, beside, previous, block) if shortcut \
            else (level, [])
        add = self._place(Box(block, max(main_level, shortcut_level), column, is_add=True),
                        main_ends + shortcut_ends)
        if not shortcut and main:
            self.diagram.skips.append((first, add))
        return self.sequence(after, self.diagram.boxes[add].level + 1, column, [add], block)

    def branches(self, block: LayerRow, rows: list[LayerRow], level: int, column: int,
                 previous: list[int]) -> tuple[int, list[int]]:
        """Each branch (a child call of ``block``) a column of its ``rows``, the columns side by side
        and centred on ``column``, tops aligned at ``level``, all fed by ``previous``; the block's
        box (the concat) below the longest. The branches are the calls the rows ran inside, not
        their names: every row of one branch stands in its column, in the order it ran."""
        by_branch: dict[int, list[LayerRow]] = {}
        for row in rows:
            branch = (*self._calls_inside(row, block), row)[0]
            by_branch.setdefault(id(branch), []).append(row)
        first, width, bottom, ends = len(self.diagram.boxes), 0, level, []
        for branch_rows in by_branch.values():
            start = len(self.diagram.boxes)
            branch_level, branch_ends = self.sequence(branch_rows, level, column, previous, block)
            placed = self.diagram.boxes[start:]
            left = math.floor(min(_position(box) for box in placed) - column)
            arcs = [*self.diagram.residual_blocks, *(first_box for first_box, _ in self.diagram.skips)]
            has_arc = any(i >= start for i in arcs)  # it goes around on the right: room before the next
            right = math.ceil(max(_position(box) for box in placed) - column) + has_arc
            for box in placed:
                box.column += width - left
            width += right - left + 1
            bottom, ends = max(bottom, branch_level), ends + branch_ends
        for box in self.diagram.boxes[first:]:
            box.columns += width - 1  # the group centred on column
            box.branch_of = box.branch_of or block.name  # an inner block's branches keep theirs
        join = self._place(Box(block, bottom, column), ends)
        self.diagram.joins.append(join)
        return bottom + 1, [join]


def build_diagram(analysis: Analysis, depth: int = 1) -> Diagram:
    """Boxes per layer at ``depth``: Inception branches side by side, residual blocks with a skip.

    A residual block at the cut stays one box with a skip connection around it; one above the cut
    opens: its main path's layers in a column, its shortcut's (a 1×1 conv and batch norm) beside
    them, both into a ⊕ where the add ran (in torchvision's blocks, before the last ReLU). An
    Inception block at the cut opens into its branches side by side, each branch one box (its
    layers summed), joined at the block's box (the concat); above the cut each branch is a column
    of its layers, the columns side by side, the concat below the longest.
    """
    rows = analysis.rows_at_depth(depth)
    layout = _Layout(analysis)
    if analysis.model_type in BRANCHING_TYPES:  # a lone block: its branches, joined
        whole = LayerRow(name="", type=analysis.model_type, depth=0, parent=None, is_leaf=False,
                         output_shape=analysis.output_shape)
        layout.branches(whole, rows, 0, 0, [])
    else:
        layout.sequence(rows, 0, 0, [])
    return layout.diagram


def _skip_text(block: LayerRow) -> str:
    if block.skip is None:
        return "the block's input x is added to its main path's output F(x)"
    return f"{block.name} outputs {block.skip.expression}: F(x) is its main path, x its input"


SKIP_COLOR = "#2f9e44"


def _skip_arc(x: float, above: float, below: float, side: float, to_x: float) -> dict:
    """x leaves the main line at ``above``, goes around on the right at ``side`` and comes back at
    ``below`` to ``to_x`` (the ⊕)."""
    return dict(type="path", line=dict(color=SKIP_COLOR, width=2),
                path=f"M {x},{above} L {side - 0.2},{above} C {side + 0.2},{above} {side + 0.2},"
                     f"{below} {side - 0.2},{below} L {to_x},{below}")


def _add_sign(x: float, y: float, block: LayerRow) -> dict:
    return dict(x=x, y=y, showarrow=False, text="⊕", font=dict(size=15, color=SKIP_COLOR),
                bgcolor="white", hovertext=_skip_text(block))


def diagram_figure(analysis: Analysis, depth: int = 1, order: str = "pytorch") -> go.Figure:
    """The diagram as a plotly figure: boxes top to bottom, branches side by side, skips as arcs.

    Shapes and annotations are collected and handed to the layout once: plotly's add_shape and
    add_annotation validate the whole list again on every call (a 100-layer net took 7 s, not 0.1).
    """
    diagram = build_diagram(analysis, depth)
    box_width, box_height, add_radius = 2.6, 0.62, 0.16
    gap = 1.4 if diagram.residual_blocks else 1.0  # room between blocks for x to leave and to be added
    shapes: list[dict] = []
    annotations: list[dict] = []
    centres = []

    def box_rect(x: float, y: float, fill: str, dash: str = "solid") -> dict:
        return dict(type="rect", x0=x - box_width / 2, x1=x + box_width / 2, y0=y - box_height / 2,
                    y1=y + box_height / 2, fillcolor=fill, line=dict(color="#868e96", width=1, dash=dash),
                    layer="below")

    for box in diagram.boxes:
        x = _position(box) * (box_width + 0.4)
        y = -box.level * gap
        centres.append((x, y))
        row = box.row
        if box.is_add:
            annotations.append(_add_sign(x, y, row))
            continue
        fill = "#fde2e1" if row.failed else "#ffffff" if not row.reached else \
            "#e7f5ff" if row.params else "#f1f3f5"
        if row.type in RESIDUAL_TYPES:
            fill = "#ebfbee"
        shapes.append(box_rect(x, y, fill, "solid" if row.reached else "dot"))
        shape = activation_shape_text(row, order)
        label = _label(row)
        shown = label.removeprefix(f"{box.branch_of}.") if box.branch_of else label
        title = f"<b>{shown}</b> · {row.type}" if row.name else f"<b>concat</b> ({row.type} output)"
        annotations.append(dict(x=x, y=y, showarrow=False, font=dict(size=11), text=f"{title}<br>{shape}",
                                hovertext=label if shown != label else None))
    half_height = [add_radius if box.is_add else box_height / 2 for box in diagram.boxes]
    levels_of = [box.level for box in diagram.boxes]
    # the input on top, one level above the first, into every box nothing else feeds (the first
    # layer; a lone Inception block's branches): drawn as one more box, after the diagram's
    input_y, input_box = gap, len(diagram.boxes)
    shapes.append(box_rect(0, input_y, "#ffffff"))
    annotations.insert(0, dict(x=0, y=input_y, showarrow=False, font=dict(size=11),
                               text=f"<b>Input</b><br>{shape_text(analysis.input_shape, order)}"))
    fed = {target for _, target in diagram.arrows}
    centres.append((0, input_y))
    half_height.append(box_height / 2)
    levels_of.append(-1)
    for source, target in [*diagram.arrows, *((input_box, i) for i in range(input_box) if i not in fed)]:
        (x0, y0), (x1, y1) = centres[source], centres[target]
        start, end, color = (x0, y0 - half_height[source]), (x1, y1 + half_height[target]), "#495057"
        if diagram.boxes[target].is_add and x0 != x1:  # a shortcut's end: down beside the main path, then in
            shapes.append(dict(type="line", x0=x0, y0=start[1], x1=x0, y1=y1,
                               line=dict(color=SKIP_COLOR, width=1.2)))
            start, color, end = (x0, y1), SKIP_COLOR, (x1 + add_radius, y1)
        elif x0 != x1 and levels_of[target] > levels_of[source] + 1:
            # a shorter branch: down its own column, clear of the longer ones, then into the concat
            bend = y1 + gap - box_height / 2
            shapes.append(dict(type="line", x0=x0, y0=start[1], x1=x0, y1=bend, line=dict(color=color, width=1.2)))
            start = (x0, bend)
        annotations.append(dict(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x",
                                ayref="y", showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1.2,
                                arrowcolor=color, text=""))
    for block in diagram.residual_blocks:
        # x leaves the main line above the block, goes around it and is added to F(x) below it (⊕)
        x, y = centres[block]
        below = y - box_height / 2 - 0.2
        shapes.append(_skip_arc(x, y + box_height / 2 + 0.14, below, x + box_width / 2 + 0.45, x + 0.09))
        annotations.append(_add_sign(x, below, diagram.boxes[block].row))
    for first, add in diagram.skips:
        # an opened block's identity shortcut: around its main path to the ⊕ where the add ran
        (x, y), (_, add_y) = centres[first], centres[add]
        shapes.append(_skip_arc(x, y + box_height / 2 + 0.14, add_y, x + box_width / 2 + 0.45, x + add_radius))
    levels = max((box.level for box in diagram.boxes), default=0) + 2  # and the input
    xs = [x for x, _ in centres] or [0]
    margin = box_width / 2 + 1.2  # room for the skip arcs
    figure = go.Figure(layout=dict(shapes=shapes, annotations=annotations))
    figure.update_xaxes(visible=False, range=[min(xs) - margin, max(xs) + margin])
    figure.update_yaxes(visible=False, range=[-(levels - 1) * gap + 0.2, input_y + 0.6], scaleanchor=None)
    figure.update_layout(height=max(240, round(62 * levels * gap)), margin=dict(l=0, r=0, t=10, b=10),
                         plot_bgcolor="white", showlegend=False, dragmode="pan")
    return figure


def default_diagram_depth(analysis: Analysis) -> int:
    """The shallowest depth at which residual or Inception blocks appear as boxes (else 1)."""
    for depth in range(1, analysis.max_depth + 1):
        if any(row.type in RESIDUAL_TYPES | BRANCHING_TYPES for row in analysis.rows_at_depth(depth)):
            return depth
    return 1


def diagram_legend(analysis: Analysis, depth: int) -> str:
    """How to read the diagram at ``depth``: only what it draws (no residual blocks explained under
    LeNet), and where deeper blocks hide inside boxes, the depth that shows them."""
    diagram = build_diagram(analysis, depth)  # again after the figure's: 1 ms against its 140
    parts = ["Each box is a layer (or a block of layers) and the activation shape it outputs; blue boxes "
             "have parameters, grey ones none."]
    if any(box.row.failed for box in diagram.boxes):  # a ⊕ stands for a block that ran: never failed
        parts.append("The red box is where the input stops fitting; dotted boxes after it are never reached.")
    if diagram.residual_blocks:
        parts.append("Green boxes are residual blocks: their input x goes around the block's main path F(x) "
                     "(the green line) and is added at ⊕ — hover it for what the block outputs, such as "
                     "relu(F(x) + x). A deeper diagram opens each block.")
        projected = [row for row in (diagram.boxes[i].row for i in diagram.residual_blocks)
                     if row.skip is not None and row.skip.shortcut]
        if projected:  # ResNet-18's layer2.0: the line is downsample(x), a 1×1 conv and a batch norm
            names = [row.name for row in projected]
            listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
            parts.append(f"In {listed} the line is not x itself: x first goes through the block's shortcut "
                         f"layers, which give it F(x)'s shape ({projected[0].skip.expression}); depth "
                         f"{depth + 1} draws them.")
    if any(box.is_add for box in diagram.boxes):
        parts.append("An opened residual block: its main path F(x) in a column, its shortcut's layers "
                     "(downsample) beside it — or the green line where x itself is the shortcut — both into ⊕ "
                     "where the add runs; hover ⊕ for what the block outputs.")
    if diagram.joins:
        parts.append("Inception branches stand side by side and are joined by a concat, the block's box; "
                     "deeper, each branch is a column of its own layers. A box in a branch is named from its "
                     "block: hover it for the whole name.")
    shown = default_diagram_depth(analysis)
    if shown > depth:
        kinds = {row.type for row in analysis.rows_at_depth(shown)}
        blocks = "residual blocks" if kinds & RESIDUAL_TYPES else "Inception blocks"
        parts.append(f"These boxes hold {blocks}: depth {shown} draws them.")
    return " ".join(parts)


def unfollowed_blocks_note(analysis: Analysis, depth: int) -> str | None:
    """Which blocks opened at ``depth`` are drawn as a plain sequence: residual blocks without their
    skip (the forward did not run to its end, or joins its paths other than by one add) and Inception
    blocks without their branches side by side (the forward failed, at a branch or at the concat).
    Their layers then stand in the order they ran."""
    opened = [row for row in analysis.rows if row.depth < depth]
    residual = [row for row in opened if row.type in RESIDUAL_TYPES and row.skip is None]
    branching = [row for row in opened if row.type in BRANCHING_TYPES and row.failed]

    def names(blocks):
        return ", ".join(row.name for row in blocks[:3]) + (" …" if len(blocks) > 3 else "")

    notes = []
    if residual:
        notes.append(f"At depth {depth} the layers of {names(residual)} are drawn in the order they ran, "
                     f"without the skip connection: the block's forward did not run to its end or does not "
                     f"add two paths from its input once. Depth {min(row.depth for row in residual)} shows "
                     f"each block as one box with its skip.")
    if branching:
        notes.append(f"At depth {depth} the branches of {names(branching)} are drawn one after another, in "
                     f"the order they ran, not side by side: the block's forward failed (see the diagnosis), "
                     f"so its branches were not joined.")
    return " ".join(notes) or None
