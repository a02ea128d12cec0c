"""Formatting of an :class:`~cnnviz.analysis.Analysis`: tables, text, CSV, Markdown, LaTeX, JSON.

The analysis computes; this module only presents. Numbers are written for people: thousands
separators (46,764,746) and short forms (46.8M).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from cnnviz.analysis import Analysis, LayerRow, call_nesting, numbers_at_depth, where_the_numbers_are
from cnnviz.memory import available_memory, is_out_of_memory
from cnnviz.textbook import EXACT

ORDERS = ("pytorch", "textbook")


def _in_units(value: int | float, units: tuple[tuple[float, str], ...], separator: str) -> str | None:
    """``value`` with one decimal in the largest of ``units`` (descending) it reaches; a value that
    rounds up to 1000 of a unit is written in the next one (999,960 is 1.0M, not 1000.0K). None
    below the smallest unit."""
    for i, (limit, suffix) in enumerate(units):
        if abs(value) >= limit:
            text = f"{value / limit:.1f}"
            if i > 0 and abs(float(text)) >= 1000:
                limit, suffix = units[i - 1]
                text = f"{value / limit:.1f}"
            return f"{text}{separator}{suffix}"
    return None


def human_count(value: int | float) -> str:
    """46764746 -> '46.8M'; 61706 -> '61.7K'; 850 -> '850'; 999960 -> '1.0M'."""
    short = _in_units(value, ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")), "")
    if short is not None:
        return short
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:.3g}"


def human_bytes(value: int) -> str:
    """Bytes in decimal units, as the course writes them (412 MB)."""
    return _in_units(value, ((1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")), " ") \
        or f"{value} B"


def shape_text(shape: tuple[int, ...] | None, order: str = "pytorch") -> str:
    """(96, 54, 54) -> '96×54×54' in PyTorch order, '(54, 54, 96)' in the textbook's."""
    if shape is None:
        return "—"
    if order == "textbook":
        if len(shape) == 3:
            shape = (shape[1], shape[2], shape[0])
        elif len(shape) == 1:
            shape = (shape[0], 1)
        return "(" + ", ".join(str(v) for v in shape) + ")"
    return "×".join(str(v) for v in shape)


def activation_shape_text(row: LayerRow, order: str = "pytorch") -> str:
    """A row's activation shape, or why it has none: the layer that failed, or one after it."""
    if row.failed:
        return "does not fit"
    if not row.reached:
        return "not reached"
    return shape_text(row.output_shape, order)


def _hyper_text(row: LayerRow) -> str:
    """f, s, p, n of a conv or pool; a linear layer's features as "400 → 120" (short: the column fits)."""
    if set(row.hyper) == {"in features", "out features"}:
        return f"{row.hyper['in features']} → {row.hyper['out features']} features"
    names = {"kernel": "f", "stride": "s", "padding": "p", "filters": "n", "dilation": "d"}  # the column's order
    ordered = sorted(row.hyper.items(), key=lambda item: list(names).index(item[0]) if item[0] in names else len(names))
    return ", ".join(f"{names.get(key, key)}={value}" for key, value in ordered)


def _rf_text(row: LayerRow) -> str:
    if row.receptive_field is None:
        return "—" if row.receptive_field_unknown else ""
    h, w = row.receptive_field
    return f"{h}×{w}" if h != w else f"{h}"


def receptive_field_text(analysis: Analysis) -> str:
    """The network's receptive field: "212×212", or "—" (see :func:`receptive_field_note`)."""
    rf = analysis.receptive_field
    return "—" if rf is None else "×".join(str(v) for v in rf)


def receptive_field_note(analysis: Analysis) -> str | None:
    """Why the receptive fields show "—" from some layer on (None where they are all known)."""
    reason = analysis.receptive_field_unknown
    return None if reason is None else f"Receptive field unknown (—): {reason}, which the analysis does not follow."


def layer_table(analysis: Analysis, depth: int | None = None, order: str = "pytorch",
                with_input: bool = True) -> pd.DataFrame:
    """The layer table as a DataFrame, one row per layer (plus an 'Input' row, as on the slides):
    the slides' columns first, up to the receptive field, then weights, biases and buffers."""
    shape_column = "activation shape (C×H×W)" if order == "pytorch" else "activation shape (H, W, C)"
    records = []
    if with_input:
        size = 1
        for value in analysis.input_shape:
            size *= value
        records.append({"layer": "Input", "type": "", "f, s, p, n": "",
                        shape_column: shape_text(analysis.input_shape, order), "activation size": size,
                        "# parameters": 0, "formula": "", "MACs": 0, "receptive field": "1",
                        "weights": 0, "biases": 0, "buffers": 0})
    for row in analysis.rows_at_depth(depth):
        name = row.name if row.call_index == 0 else f"{row.name} (call {row.call_index + 1})"
        numbers = numbers_at_depth(row, depth)
        records.append({
            "layer": ("  " * (row.depth - 1)) + name if depth != 1 else name,
            "type": row.type,
            "f, s, p, n": _hyper_text(row),
            shape_column: activation_shape_text(row, order),
            "activation size": numbers["activation_size"],
            "# parameters": numbers["params"],
            "formula": row.formula or (f"shared with {row.shared_with}" if row.shared_with else ""),
            "MACs": numbers["macs"],
            "receptive field": _rf_text(row),
            # after the slides' columns: the formula already splits the # parameters
            "weights": numbers["weights"],
            "biases": numbers["biases"],
            "buffers": numbers["buffers"],
        })
    return pd.DataFrame.from_records(records)


def ran_until(analysis: Analysis) -> str | None:
    """For a network that does not fit: "until fc1", what its MACs, activation memory and
    receptive field cover (the layers that ran until one failed), so that no one takes them for
    the whole network's. None where it fits: they are the network's."""
    return None if analysis.fits else f"until {analysis.diagnosis.layer}"


def _of_layers_that_ran(analysis: Analysis, text: str) -> str:
    scope = ran_until(analysis)
    return text if scope is None else f"{text}, the layers {scope} only (it does not fit)"


def totals(analysis: Analysis) -> dict[str, str]:
    """The headline numbers, formatted: exact with separators and short."""
    partial = functools.partial(_of_layers_that_ran, analysis)
    return {
        "# parameters": f"{analysis.total_params:,} ({human_count(analysis.total_params)})",
        "trainable": f"{analysis.trainable_params:,}",
        "buffers (not parameters)": f"{analysis.total_buffers:,}",
        "MACs per image": partial(f"{analysis.total_macs:,} ({human_count(analysis.total_macs)})"),
        "FLOPs per image": partial(f"{analysis.total_flops:,} ({human_count(analysis.total_flops)})"),
        "activation memory": partial(human_bytes(analysis.activation_memory_bytes)),
        "parameter memory": human_bytes(analysis.param_memory_bytes),
        **({"depth": f"{analysis.network_depth} layers ({analysis.weight_layers} weight layers)"}
           if analysis.fits else {}),
        "receptive field": partial(receptive_field_text(analysis)),
    }


def _share(part: int, whole: int) -> str:
    share = 100 * part / whole
    return "<0.1%" if 0 < share < 0.05 else f"{share:.1f}%"


def chart_lesson(analysis: Analysis, order: str = "pytorch") -> str:
    """What the per-layer chart of this network shows, in a sentence or two with its numbers:
    "Fully-connected layers hold 95.8% of the 61,706 parameters (fc1 alone 48,120: 78.0%); conv
    layers 4.2%. Activations are largest at conv1 (4,704 values: 6×28×28); the output has 10."."""
    where = where_the_numbers_are(analysis)
    sentences = []
    if where.most_params is not None:
        names = {"conv": "conv layers", "fully-connected": "fully-connected layers",
                 "other": f"other layers ({', '.join(where.other_types) or 'parameters of blocks'})"}
        kinds = sorted(where.params_by_kind.items(), key=lambda item: -item[1])

        def alone(kind: str) -> str:
            """" (fc alone 1,025,000: 15.5%)": a kind's largest layer, beside its kind's share (GoogLeNet's
            fc once stood beside the conv layers' share), for the first kind and the largest layer's."""
            top = where.most_params_by_kind.get(kind)
            if top is None or (kind != kinds[0][0] and top is not where.most_params):
                return ""
            return f" ({top.name} alone {top.params:,}: {_share(top.params, where.total_params)})"

        if len(kinds) == 1:
            sentence = f"All {where.total_params:,} parameters are in {names[kinds[0][0]]}{alone(kinds[0][0])}"
        else:
            (first, count), rest = kinds[0], kinds[1:]
            sentence = (f"{names[first][0].upper()}{names[first][1:]} hold {_share(count, where.total_params)} of "
                        f"the {where.total_params:,} parameters{alone(first)}; "
                        + ", ".join(f"{names[kind]} {_share(n, where.total_params)}{alone(kind)}" for kind, n in rest))
        sentences.append(sentence + ".")
    largest = where.largest_activation
    if largest is not None:
        sentence = (f"Activations are largest at {largest.name} ({largest.activation_size:,} values: "
                    f"{shape_text(largest.output_shape, order)})")
        if where.last_that_ran is not None:
            sentence += (f"; the network does not fit its input, and the last layer that ran, "
                         f"{where.last_that_ran.name}, has {where.last_that_ran.activation_size:,}")
        elif analysis.output_shape is not None:
            sentence += f"; the output has {math.prod(analysis.output_shape):,}"
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _text_cell(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def text_table(frame: pd.DataFrame) -> str:
    """A fixed-width table for the terminal."""
    cells = [[str(c) for c in frame.columns]] + [[_text_cell(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(frame.columns))]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(cell.rjust(w) if numeric[i] and n else cell.ljust(w)
                               for i, (cell, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    def escape(value) -> str:
        return _text_cell(value).replace("|", "\\|").strip()

    header = "| " + " | ".join(escape(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(frame[c]) else "---"
                          for c in frame.columns) + "|"
    body = ["| " + " | ".join(escape(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


# The tables' own symbols as math, so the LaTeX is ASCII and compiles with pdflatex too (which
# stops at γ: "Unicode character not set up for use with LaTeX").
_LATEX_SYMBOLS = {"×": r"$\times$", "·": r"$\cdot$", "→": r"$\to$", "γ": r"$\gamma$", "β": r"$\beta$",
                  "—": "---"}


def _unindented(frame: pd.DataFrame) -> pd.DataFrame:
    """The table without the layer column's indentation, for files: the indent shows nesting on
    screen, but in a spreadsheet it is leading spaces; the dotted names (layer1.0.conv1) keep it."""
    if "layer" not in frame.columns:
        return frame
    return frame.assign(layer=frame["layer"].str.lstrip())


def latex_table(frame: pd.DataFrame) -> str:
    """A LaTeX tabular for lecture notes (booktabs rules), numbers right-aligned."""
    formatted = _unindented(frame).map(_text_cell)
    columns = "".join("r" if pd.api.types.is_numeric_dtype(frame[c]) else "l" for c in frame.columns)
    latex = formatted.to_latex(index=False, escape=True, column_format=columns)
    for symbol, command in _LATEX_SYMBOLS.items():
        latex = latex.replace(symbol, command)
    return "% needs \\usepackage{booktabs}\n" + latex


def csv_table(frame: pd.DataFrame) -> str:
    return _unindented(frame).to_csv(index=False)


def diagnosis_text(analysis: Analysis, order: str = "pytorch") -> str:
    if analysis.diagnosis is None:
        return ""
    message, suggestion = analysis.diagnosis.worded(order)
    return f"Does not fit at {analysis.diagnosis.layer}: {message}\n{suggestion}"


def summary_text(analysis: Analysis, depth: int | None = None, order: str = "pytorch") -> str:
    """The whole summary as terminal text: title, table, totals, where the parameters and
    activations are (as the page's charts say it), diagnosis."""
    parts = [f"{analysis.title} — input {shape_text(analysis.input_shape, order)}",
             text_table(layer_table(analysis, depth, order)), ""]
    parts += [f"{key}: {value}" for key, value in totals(analysis).items()]
    if lesson := chart_lesson(analysis, order):
        parts += ["", lesson]
    if note := receptive_field_note(analysis):
        parts += ["", note]
    if analysis.diagnosis:
        parts += ["", diagnosis_text(analysis, order)]
    return "\n".join(parts)


def to_json(analysis: Analysis, depth: int | None = None) -> str:
    return json.dumps(analysis.to_dict(depth), indent=2)


class CannotSummarise(Exception):
    """torchinfo cannot run this network here; the message says why and what to do."""


@dataclass
class TorchinfoSummary:
    text: str  # torchinfo's own summary
    note: str | None  # why its Mult-Adds differ from the layer table's MACs, in this network's numbers


def torchinfo_summary(analysis: Analysis, model_factory, depth: int = 3) -> TorchinfoSummary:
    """torchinfo's familiar summary of the network ``analysis`` describes, built by ``model_factory``.

    torchinfo runs the model for real: it allocates the weights and one image's activations, which
    the analysis (on the meta device) has already counted. A network that would need more than
    half the memory available is refused before it is built, and one the allocator fails on all
    the same is reported: both raise :class:`CannotSummarise`.
    """
    import torch
    import torchinfo

    need = analysis.param_memory_bytes + analysis.activation_memory_bytes
    available = available_memory(torch.device("cpu"))
    what = (f"{human_bytes(analysis.param_memory_bytes)} of weights and "
            f"{human_bytes(analysis.activation_memory_bytes)} of activations")
    fix = "the layer table has the same numbers, computed without building the network"
    if available is not None and need > available // 2:
        raise CannotSummarise(f"torchinfo would build this network for real: {what}, more than half of "
                              f"the {human_bytes(available)} of memory available. Use a smaller network "
                              f"or input; {fix}.")
    try:
        model = model_factory()
        with torch.no_grad():
            stats = torchinfo.summary(model, input_size=(1, *analysis.input_shape), depth=depth, verbose=0,
                                      col_names=("output_size", "num_params", "mult_adds"), device="cpu")
    except Exception as error:
        if is_out_of_memory(error):
            raise CannotSummarise(f"torchinfo ran out of memory building this network ({what}). Use a "
                                  f"smaller network or input; {fix}.") from None
        raise
    # torchinfo writes its unit as the enum it is ("Total mult-adds (Units.MEGABYTES): 0.42") on Python 3.11+
    text = re.sub(r"\(Units\.(\w+)\)", lambda m: f"({_TORCHINFO_UNITS.get(m[1], m[1].lower())})", str(stats))
    return TorchinfoSummary(text, _mult_adds_note(analysis, stats.total_mult_adds))


_TORCHINFO_UNITS = {"NONE": "", "KILOBYTES": "K", "MEGABYTES": "M", "GIGABYTES": "G", "TERABYTES": "T"}


def _mult_adds_note(analysis: Analysis, mult_adds: int) -> str | None:
    """Why torchinfo's Mult-Adds exceed the table's MACs: it counts the biases (a conv's at every
    output position) and batch norm's γ and β as multiply-adds; the MACs are the weights' products
    only, as FlopCounterMode counts them. LeNet-5: 423,038 against 416,520."""
    extra = mult_adds - analysis.total_macs
    if extra <= 0:
        return None
    note = (f"torchinfo's Mult-Adds, {mult_adds:,}, are {extra:,} more than the layer table's MACs, "
            f"{analysis.total_macs:,}: torchinfo counts the biases and batch norm's γ and β as multiply-adds "
            "too")
    conv = next((row for row in analysis.rows if row.is_leaf and row.type.startswith("Conv") and row.biases
                 and row.output_shape and len(row.output_shape) == 3 and row.call_index == 0), None)
    if conv is not None:
        positions = conv.output_shape[1] * conv.output_shape[2]
        note += (f", a conv's bias at every output position ({conv.name}: {conv.params:,} parameters × "
                 f"{positions:,} positions = {conv.params * positions:,}, against the table's {conv.weights:,} "
                 f"weights × {positions:,} = {conv.macs:,})")
    return note + ". The table's MACs are the products of the weights only, as torch's FlopCounterMode counts them."


def _outputs_in_order(rows: list[LayerRow]) -> Iterator[LayerRow]:
    """The rows in the order their outputs are made: a block's after its layers' (rows are in call
    order, a block before its layers), so an Inception block's concat follows its branches."""
    open_blocks: list[LayerRow] = []
    for row, containers in call_nesting(rows):
        while len(open_blocks) > len(containers):
            yield open_blocks.pop()
        if row.is_leaf:
            yield row
        else:
            open_blocks.append(row)
    yield from reversed(open_blocks)


def stage_shapes(analysis: Analysis) -> list[tuple[int, ...]]:
    """The feature map at the end of each stage: every time the height and width change, the last
    map made before the change (a block's output, not its last branch's), and the last feature map
    (the classifier's vectors are not stages)."""
    shapes = [row.output_shape for row in _outputs_in_order(analysis.rows)
              if row.output_shape and len(row.output_shape) == 3 and not row.failed]
    if len(analysis.output_shape or ()) == 3 and not analysis.diagnosis:  # the network's own output, last
        shapes.append(analysis.output_shape)  # (a lone Inception block has no row of its own)
    stages = []
    for shape, following in zip(shapes, shapes[1:] + [None]):
        if following is None or shape[1:] != following[1:]:
            if not stages or stages[-1] != shape:
                stages.append(shape)
    return stages


def comparison_table(analyses: list[Analysis], order: str = "pytorch") -> pd.DataFrame:
    """One column per network: the numbers a student compares, then one row per stage (the shape
    each network has reached there, in ``order`` as the layer table), so the ways they shrink the
    image read side by side."""
    stages = {a.model_id: stage_shapes(a) for a in analyses}
    most = max((len(shapes) for shapes in stages.values()), default=0)
    data = {
        a.model_id: {
            "input": shape_text(a.input_shape, order),
            "# parameters": f"{a.total_params:,} ({human_count(a.total_params)})",
            "MACs per image": _of_layers_that_ran(a, f"{a.total_macs:,} ({human_count(a.total_macs)})"),
            "activation memory": _of_layers_that_ran(a, human_bytes(a.activation_memory_bytes)),
            "parameter memory": human_bytes(a.param_memory_bytes),
            "depth": str(a.network_depth) if a.fits else "—",
            "weight layers": str(a.weight_layers),
            "receptive field": _of_layers_that_ran(a, receptive_field_text(a)),
            "output": shape_text(a.output_shape, order) if a.fits else "does not fit",
            **{f"stage {i + 1}": shape_text(shapes[i], order) if i < len(shapes) else ""
               for i, shapes in ((i, stages[a.model_id]) for i in range(most))},
        }
        for a in analyses
    }
    return pd.DataFrame(data)


def claim_value(value) -> str:
    """A claimed or computed value as a student reads it: 2,416; (28, 28, 6); a line of a printed
    summary as d2l prints it, 'Conv2d [1, 96, 54, 54]'."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return f"{value[0]} {list(value[1])}"
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def claim_text(check) -> str:
    """'CONV2(f=5, s=1) · # parameters: claimed 416, computed 2,416', the document's words first
    where they say more than the number ("claimed '~ 138 millions' → 138,000,000")."""
    claimed = claim_value(check.claimed)
    if check.as_written and not isinstance(check.claimed, tuple):
        claimed = f"{check.as_written!r} → {claimed}"
    text = f"{check.item} · {check.quantity}: claimed {claimed}, computed {claim_value(check.computed)}"
    return text if check.tolerance == EXACT else f"{text} ({check.tolerance})"


def check_count_text(checks) -> str:
    """'**26 claims** about this network in the course documents: 22 correct, **4 wrong**:' (Markdown)."""
    wrong = sum(not c.matches for c in checks)
    return (f"**{len(checks)} claim{'s' * (len(checks) != 1)}** about this network in the course documents: "
            f"{len(checks) - wrong} correct, **{wrong} wrong**" + (":" if wrong else "."))


def check_input_text(default: Analysis, shown: Analysis, order: str = "pytorch") -> str:
    """At which input the textbook check computed (``default``: the network at its own input, the
    documents'), and, where the page shows another (``shown``), that the check did not use it."""
    text = f"Computed at {default.model_id}'s own input {shape_text(default.input_shape, order)}, the one the " \
           "documents use"
    classes = shown.output_shape if shown.output_shape != default.output_shape and shown.output_shape \
        and len(shown.output_shape) == 1 else None  # a network that does not fit has none to compare
    if shown.input_shape != default.input_shape:
        text += f", not at the input above: {shape_text(shown.input_shape, order)}" + (
            f" with {classes[0]:,} classes" if classes else "")
    elif classes:
        text += f", with its own classes, not the {classes[0]:,} above"
    return text + "."


def checks_table(checks) -> pd.DataFrame:
    """The textbook check as a table: claimed vs computed, and why a claim is wrong."""
    return pd.DataFrame.from_records([
        {"": "✓" if c.matches else "✗", "source": c.source, "network": c.architecture, "item": c.item,
         "quantity": c.quantity, "claimed": claim_value(c.claimed), "computed": claim_value(c.computed),
         "explanation": c.explanation}
        for c in checks
    ])
