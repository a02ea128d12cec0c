"""State of the Architectures page: widgets <-> URL
(``?arch=ID&input=C,H,W&classes=N&compare=a,b``; a custom network adds ``spec=`` or ``example=``;
the view adds ``order=textbook``, ``depth=N`` and ``diagram_depth=N`` where they are not the defaults).

The URL is read when the session opens (a shared link opens the page in its state) and when Back
or Forward brings an address the page did not write, and it is written after every run, so the
address bar always holds a link to what is on the screen.
"""

from __future__ import annotations

import json
import re
from typing import Any

import streamlit as st

from cnnviz.messages import cut_short, quoted
from cnnviz.spec import EXAMPLE_SPECS, SpecError, parse_spec, spec_json
from cnnviz.speclink import SpecLinkError, decode_spec, encode_spec
from cnnviz.ui.links import HUGE, came_by_back_or_forward, whole_number
from cnnviz.zoo import Architecture

CUSTOM = "custom"
DEFAULT_ARCH = "lenet5"
DEFAULT_EXAMPLE = next(iter(EXAMPLE_SPECS))

# The input widgets and their bounds: the page draws them from here, links are checked against them.
INPUT_FIELDS = (("in_c", "channels (C)"), ("in_h", "height (H)"), ("in_w", "width (W)"))
INPUT_RANGE = (1, 1024)
CLASSES_RANGE = (1, 100_000)

# Widgets drawn only in some runs (in a tab, for the custom network only, or after a spec that
# stopped the page with its error): Streamlit drops the state of a widget that was not drawn, so
# these are written back at the start of every run.
KEPT_KEYS = ("compare", "example", "spec_text", *(key for key, _ in INPUT_FIELDS), "classes", "textbook_order",
             "depth", "diagram_depth")
EVERY_LAYER = "every layer"  # the layer table's deepest cut, the first choice of its depth slider


def architecture_label(architectures: dict[str, Architecture], arch_id: str) -> str:
    if arch_id == CUSTOM:
        return "Custom network (your own layers)"
    return architectures[arch_id].label


def keep_hidden_widgets(arch_id: str) -> None:
    """Keep the state of the widgets not drawn in this run (a closed tab, the custom network's
    editor); a network is never compared with itself."""
    for key in KEPT_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    if arch_id in st.session_state.get("compare", []):
        st.session_state.compare = [a for a in st.session_state.compare if a != arch_id]


def _set_defaults(arch: Architecture | None) -> None:
    if arch is None:  # a custom network brings its own input shape
        return
    st.session_state.in_c, st.session_state.in_h, st.session_state.in_w = arch.input_shape
    st.session_state.classes = max(arch.num_classes, 1)


def reset_input_to_defaults(architectures: dict[str, Architecture]) -> None:
    """on_change of the architecture: its own default input, classes and depths (a custom network's
    input comes from its spec, applied when the spec is read)."""
    _set_defaults(architectures.get(st.session_state.arch))
    for key in ("depth", "diagram_depth", "input_note"):  # another network has other levels of blocks
        st.session_state.pop(key, None)
    if st.session_state.arch == CUSTOM:
        st.session_state.pop("spec_input", None)


def open_architecture(arch_id: str, architectures: dict[str, Architecture]) -> None:
    """on_click of a button that opens another network, as choosing it in the box does."""
    st.session_state.arch = arch_id
    reset_input_to_defaults(architectures)


def out_of_range(label: str, value: int, low: int, high: int, shown: str | None = None) -> str | None:
    """What is wrong with ``value`` for the widget ``label`` that takes ``low`` to ``high``, or None;
    ``shown`` is how the value is written (default: ``value`` with thousands separators)."""
    if low <= value <= high:
        return None
    return f"{label} {shown or f'{value:,}'} is out of range: it must be from {low:,} to {high:,}"


def _clamp(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


def _read_number(key: str, label: str, text: str, limits: tuple[int, int], warnings: list[str]) -> None:
    value = whole_number(text)
    if value is None:
        warnings.append(f"Ignoring the link's {label} {quoted(text)}: give a whole number from "
                        f"{limits[0]:,} to {limits[1]:,}.")
        return
    huge = value == HUGE  # the link's own digits, not the number they were read as
    problem = out_of_range(label, value, *limits, shown=cut_short(text.strip()) if huge else None)
    if problem:
        warnings.append(f"The link's {problem}; using {_clamp(value, *limits):,} instead.")
    st.session_state[key] = _clamp(value, *limits)


def _read_input(text: str, warnings: list[str]) -> None:
    parts = [part for part in re.split(r"[,\sx×]+", text.strip()) if part]
    values = [whole_number(part) for part in parts]
    if len(values) != 3 or None in values:
        warnings.append(f"Ignoring the link's input {quoted(text)}: give three whole numbers C,H,W, "
                        "e.g. input=1,28,28.")
        return
    for (key, label), part in zip(INPUT_FIELDS, parts, strict=True):
        _read_number(key, label, part, INPUT_RANGE, warnings)


def spec_input_problem(shape: tuple[int, ...]) -> str | None:
    """Why a custom spec's input_shape cannot be analysed on the page, or None."""
    problems = [problem for (_, label), value in zip(INPUT_FIELDS, shape, strict=True)
                if (problem := out_of_range(label, value, *INPUT_RANGE))]
    if not problems:
        return None
    return (f"The spec's input_shape {list(shape)} is too large for this page: {'; '.join(problems)}. "
            f"Change input_shape in the spec to at most {INPUT_RANGE[1]:,} for each of C, H and W.")


def _spec_input(text: str) -> tuple[int, int, int] | None:
    try:
        return parse_spec(json.loads(text)).input_shape
    except (json.JSONDecodeError, SpecError):
        return None  # the page shows what is wrong with the spec


def _read_custom(params, warnings: list[str]) -> None:
    """A custom network's spec (``spec=``) or example (``example=``) into the editor."""
    state = st.session_state
    example = params.get("example", DEFAULT_EXAMPLE)
    if example not in EXAMPLE_SPECS:
        warnings.append(f"There is no example {quoted(example)} — starting from {DEFAULT_EXAMPLE}. "
                        f"Examples: {', '.join(EXAMPLE_SPECS)}.")
        example = DEFAULT_EXAMPLE
    state.example = state.spec_example = example
    text = spec_json(EXAMPLE_SPECS[example])
    if "spec" in params:
        try:
            text = decode_spec(params["spec"])
        except SpecLinkError as error:
            reason = str(error) if str(error)[-1:] in ".?!" else f"{error}."
            warnings.append(f"Ignoring the link's spec: {reason} Starting from the example {example}.")
        else:
            try:
                text = spec_json(json.loads(text))
            except (json.JSONDecodeError, RecursionError):
                pass  # shown as it is: the page says what is wrong with it
    state.spec_text = text
    state.spec_input = _spec_input(text)
    if state.spec_input is not None and spec_input_problem(state.spec_input) is None:
        state.in_c, state.in_h, state.in_w = state.spec_input


LINK_KEYS = ("arch", "input", "classes", "compare", "example", "spec", "order", "depth", "diagram_depth")


def _link_now() -> dict[str, str]:
    """The page's own part of the address (the open tab is Streamlit's)."""
    return {key: st.query_params[key] for key in LINK_KEYS if key in st.query_params}


def read_url_state(architectures: dict[str, Architecture]) -> list[str]:
    """Fill the widgets' state from the URL when the session opens, and again when Back or Forward
    brings another address than the page last wrote; warnings for invalid values.

    What is valid in the link is kept; a value out of a widget's range is clamped to it, and the
    warning says so."""
    state = st.session_state
    link = _link_now()  # empty after a switch from another page: the state the page had stays
    back = came_by_back_or_forward() and link and link != state.get("architectures_link")
    if "architectures_link" in state and not back:
        return []
    state.architectures_link = link  # a page stopped before it writes (a bad spec) does not read it again
    params = st.query_params
    warnings: list[str] = []
    custom_keys = [key for key in ("spec", "example") if key in params]
    arch_id = params.get("arch", CUSTOM if custom_keys else DEFAULT_ARCH)  # a spec alone: a custom network
    if custom_keys and arch_id != CUSTOM:
        what = "it describes" if len(custom_keys) == 1 else "they describe"
        warnings.append(f"Ignoring the link's {' and '.join(custom_keys)}: {what} a custom network "
                        f"(arch={CUSTOM}), and this link opens {quoted(arch_id)}.")
    if arch_id not in architectures and arch_id != CUSTOM:
        warnings.append(f"There is no architecture {quoted(arch_id)} — showing {DEFAULT_ARCH} instead.")
        arch_id = DEFAULT_ARCH
    st.session_state.arch = arch_id
    reset_input_to_defaults(architectures)
    if arch_id == CUSTOM:
        _read_custom(params, warnings)
    if "input" in params:  # the link's input wins over the network's (or the spec's) default
        _read_input(params["input"], warnings)
    if "classes" in params:
        _read_number("classes", "classes", params["classes"], CLASSES_RANGE, warnings)
    state.textbook_order = params.get("order") == "textbook"  # what the link leaves out is the default
    state.compare = []
    if params.get("order", "pytorch") not in ("textbook", "pytorch"):
        warnings.append(f"Ignoring the link's order {quoted(params['order'])}: give order=textbook for the "
                        "slides' (H, W, C), or leave it out for PyTorch's C×H×W.")
    for key in ("depth", "diagram_depth"):  # the network's own levels are checked by settle_depths
        if key in params:
            if (depth := whole_number(params[key])) is None:
                warnings.append(f"Ignoring the link's {key.replace('_', ' ')} {quoted(params[key])}: give a whole "
                                "number of levels, e.g. depth=2.")
            else:
                st.session_state[key] = depth
    if "compare" in params:
        wanted = list(dict.fromkeys(id.strip() for id in params["compare"].split(",") if id.strip()))
        unknown = [id for id in wanted if id not in architectures]
        if unknown:
            warnings.append(f"Not comparing unknown architectures: {cut_short(', '.join(unknown))}.")
        st.session_state.compare = [id for id in wanted if id in architectures and id != arch_id]
    return warnings


def apply_spec_input(shape: tuple[int, int, int]) -> None:
    """A spec read for the first time (typed, or another example) brings its own input."""
    if st.session_state.get("spec_input") != shape:
        st.session_state.spec_input = shape
        st.session_state.in_c, st.session_state.in_h, st.session_state.in_w = shape


def _as_json_data(value: Any) -> Any:
    return json.loads(json.dumps(value))


def settle_depths(max_depth: int, diagram_default: int) -> tuple[dict[str, Any], list[str]]:
    """Put the depths of the layer table and the diagram in this network's range before their
    sliders are drawn: the defaults where none was chosen; where a link (or another input, at which
    the network stopped sooner) asks for levels it does not have, the default, and a note why.
    Returns the defaults (which the link leaves out) and the notes."""
    state, notes = st.session_state, []
    table_default = EVERY_LAYER if max_depth > 1 else 1
    if state.get("depth") not in (EVERY_LAYER, *range(1, max_depth + 1)):
        if "depth" in state:
            levels = f"levels 1 to {max_depth}" if max_depth > 1 else "one level"
            notes.append(f"Depth {state.depth:,} is not a level of this network's layer table ({levels}): showing "
                         f"{table_default if max_depth > 1 else 'depth 1'}.")
        state.depth = table_default
    diagram_levels = max(max_depth, 2)
    if state.get("diagram_depth") not in range(1, diagram_levels + 1):
        if "diagram_depth" in state:
            notes.append(f"Diagram depth {state.diagram_depth:,} is not a level of this network's diagram (levels 1 "
                         f"to {diagram_levels}): showing depth {diagram_default}.")
        state.diagram_depth = diagram_default
    return {"depth": table_default, "diagram_depth": diagram_default}, notes


def write_url_state(depth_defaults: dict[str, Any], spec_data: Any = None) -> str | None:
    """The address bar follows the page: a link to exactly this view (the depths where they are not
    ``depth_defaults``). ``spec_data`` is the custom network's spec as parsed JSON. Returns a note
    when the link cannot hold the view."""
    state = st.session_state
    wanted = {"arch": state.arch, "input": f"{state.in_c},{state.in_h},{state.in_w}"}
    if state.get("textbook_order"):
        wanted["order"] = "textbook"
    for key, default in depth_defaults.items():
        if state.get(key) != default:
            wanted[key] = str(state[key])
    note = None
    if state.arch != CUSTOM:
        wanted["classes"] = str(state.classes)
    elif state.get("example") in EXAMPLE_SPECS and spec_data == _as_json_data(EXAMPLE_SPECS[state.example]):
        wanted["example"] = state.example
    else:
        try:
            wanted["spec"] = encode_spec(spec_data)
        except SpecLinkError as error:
            note = f"The address bar cannot hold this network: {error}."
    if state.get("compare"):
        wanted["compare"] = ",".join(state.compare)
    for key in LINK_KEYS:
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    changed = {key: value for key, value in wanted.items() if st.query_params.get(key) != value}
    if changed:  # in one message: one entry in the browser's history, not one a parameter
        st.query_params.update(changed)
    state.architectures_link = _link_now()
    return note


# ---------------------------------------------------------------- the layer table's columns

# Advance widths (px) of the dataframe's font (Source Sans, 14 px, as Chromium measures it),
# by class of characters; anything else counts as a wide lowercase letter.
_NARROW = (4.1, set(" |ijl',.:;·I!f"))
_SEMI = (4.9, set("()[]{}-trs/\\²"))
_DIGIT = (7.0, set("0123456789#$+<=>^~×*_xzceky?\"vJLFY"))
_WIDE = (9.3, set("BCDGHKNOPQRUSTVXZAE&→"))
_WIDEST = (11.6, set("mwMW%@—…"))
_LETTER = 7.8
_CELL_PADDING = 20  # 8 px each side, the grid line, and a margin for rounding


def text_width(text: str, bold: bool = False) -> float:
    """The width in pixels of ``text`` in the dataframe (headers are semi-bold: ~10% wider)."""
    width = 0.0
    for char in text:
        for size, chars in (_NARROW, _SEMI, _DIGIT, _WIDE, _WIDEST):
            if char in chars:
                width += size
                break
        else:
            width += _LETTER
    return width * (1.1 if bold else 1.0)


def _cell_text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# Column -> (label, help): the course's words ("activation shape", "# parameters"), as in the CLI's
# table and the CSV; the help says what each means.
_LAYER_COLUMNS = {
    "f, s, p, n": ("f, s, p, n", "kernel (f), stride (s), padding (p), filters (n); for a linear layer, "
                                 "its in and out features"),
    "activation shape (C×H×W)": ("activation shape", "in PyTorch's order C×H×W (the toggle above switches to "
                                                     "the slides' (H, W, C))"),
    "activation shape (H, W, C)": ("activation shape", "in the slides' order (H, W, C) (the toggle above "
                                                       "switches to PyTorch's C×H×W)"),
    "activation size": ("activation size", "how many numbers the layer outputs (C·H·W)"),
    "# parameters": ("# parameters", "weights + biases"),
    "formula": ("formula", "how the # parameters are computed: (f·f·channels in + 1)·filters for a conv, "
                           "(in features + 1)·out features for a linear layer"),
    "MACs": ("MACs", "multiply-accumulates per image; FLOPs = 2 × MACs"),
    "receptive field": ("receptive field", "how many input pixels (per side) one unit of this layer's output "
                                           "depends on, zero padding included; after a global pooling or a "
                                           "flatten, the whole image"),
    "buffers": ("buffers", "batch-norm running statistics: stored with the model, not parameters"),
}
_NUMBER_COLUMNS = ("activation size", "# parameters", "weights", "biases", "MACs", "buffers")


def layer_table_columns(frame) -> tuple[list[str], dict[str, Any]]:
    """The column order and ``st.column_config`` of the layer table: every column as wide as its
    widest cell (so no number is cut off), the course's words with what they mean in their help, the
    layer's name pinned, buffers only for a network that has them. The slides' columns fit a
    1400-px window; the course's networks fit it whole."""
    order = [c for c in frame.columns if c != "buffers" or frame[c].astype(bool).any()]
    config: dict[str, Any] = {}
    for column in order:
        label, help = _LAYER_COLUMNS.get(column, (column, None))
        width = max([text_width(label), *(text_width(_cell_text(v)) for v in frame[column])])
        options = {"label": label, "help": help, "width": int(width + _CELL_PADDING)}
        if column in _NUMBER_COLUMNS:
            config[column] = st.column_config.NumberColumn(format="localized", **options)
        else:
            config[column] = st.column_config.TextColumn(pinned=column == "layer", **options)
    return order, config
