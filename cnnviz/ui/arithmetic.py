"""State of the Conv arithmetic page: presets and controls <-> widgets <-> URL.

A preset fills the controls; editing any control turns the example into "custom" (the student's
own, starting from the preset). The URL holds ``?preset=NAME``, or for a custom example every
setting (``op, input, kernel (one per filter), p, s, d, f, bias``), and the step written out
(``step``, from 2 on) and "Try it yourself" (``try=1``), so a link reopens exactly it.
"""

from __future__ import annotations

import math
import re

import streamlit as st

from cnnviz.arithmetic import (
    LIMITS,
    OPS,
    PRESETS,
    Problem,
    matrices_text,
    parse_bias,
    parse_matrices,
    plain_minus,
)
from cnnviz.messages import quoted
from cnnviz.ui.links import came_by_back_or_forward, whole_number
from cnnviz.ui.number_box import number_box

CUSTOM = "custom"
DEFAULT_PRESET = "cs540-basic"
# the widgets' and links' bounds are cnnviz.arithmetic.LIMITS, the rule validate() (and so the CLI)
# applies too: every value inside them must give a result or a message, never an exception
MAX_FILTERS = LIMITS["filters"][1]  # a kernel box is kept for each
# the number boxes: key -> (label, the LIMITS entry that bounds it)
NUMBER_BOXES: dict[str, tuple[str, str]] = {
    "pad_h": ("padding (p) rows", "pad"), "pad_w": ("padding (p) columns", "pad"),
    "stride_h": ("stride (s) rows", "stride"), "stride_w": ("stride (s) columns", "stride"),
    "dil_h": ("dilation rows", "dil"), "dil_w": ("dilation columns", "dil"),
    "pool_f": ("pool size (f)", "pool_f"), "filters": ("filters (n)", "filters"),
}


def preset_label(name: str) -> str:
    return "Custom: your own matrices" if name == CUSTOM else f"{PRESETS[name].title} ({name})"


def _load_problem(problem: Problem) -> None:
    state = st.session_state
    state.op = problem.op
    state.input_text = matrices_text(problem.input, "\n", "\n|\n")
    state.pad_h, state.pad_w = problem.padding
    state.stride_h, state.stride_w = problem.stride
    state.dil_h, state.dil_w = problem.dilation
    state.pool_f = problem.pool_size[0]
    kernels = problem.kernels or [[[[1.0, 0.0], [0.0, 1.0]]] * problem.input_channels]
    state.filters = len(kernels)
    for index in range(MAX_FILTERS):
        state[f"kernel_{index}"] = matrices_text(kernels[min(index, len(kernels) - 1)], "\n", "\n|\n")
    state.bias_text = ", ".join(f"{b:g}" for b in problem.bias) if problem.bias else ""
    _start_over()


def _start_over() -> None:
    """A new example: its first step, nothing revealed; a link's step and an out-of-range note no
    longer apply."""
    state = st.session_state
    state.step = 1
    state.revealed = set()
    state.pop("link_step", None)
    state.pop("range_note", None)


def load_selected_preset() -> None:
    """on_change of the preset box: fill every control from the preset (custom keeps them)."""
    name = st.session_state.preset
    if name != CUSTOM:
        _load_problem(PRESETS[name].problem)


def mark_custom() -> None:
    """on_change of a control: the example is now the student's own."""
    st.session_state.preset = CUSTOM
    _start_over()


def limited_box(key: str, help_text: str | None = None) -> None:
    """One of NUMBER_BOXES, bounded by LIMITS (the engine's own); changing it makes the example the
    student's own."""
    label, limit = NUMBER_BOXES[key]
    number_box(label, key, LIMITS[limit], "range_note", help=help_text, then=mark_custom)


CONTROLS = ("op", "input_text", "pad_h", "pad_w", "stride_h", "stride_w", "dil_h", "dil_w", "pool_f",
            "filters", "bias_text", *(f"kernel_{index}" for index in range(MAX_FILTERS)))


def ensure_defaults() -> None:
    """Keep every control's value, drawn this run or not; fill in what is missing.

    Streamlit drops the state of a widget that a run does not draw (the kernels, filters, bias and
    dilation while pooling is shown; the pool size during a convolution). Writing each value back
    through the Session State API at the top of the run makes it the page's own, so a switch
    conv -> max -> conv gives back exactly what the student typed (Streamlit's "interrupting the
    widget clean-up process").
    """
    state = st.session_state
    if "op" not in state:
        state.preset = DEFAULT_PRESET
        load_selected_preset()
    for key in CONTROLS:
        if key in state:
            state[key] = state[key]
    for index in range(MAX_FILTERS):
        state.setdefault(f"kernel_{index}", state.get("kernel_0", "1 0; 0 1"))


def _link_now() -> dict[str, list[str]]:
    """The address's parameters, as the page last wrote them or Back and Forward brought them."""
    return {key: st.query_params.get_all(key) for key in st.query_params}


def read_url_state() -> list[str]:
    """Fill the controls from the URL when the session opens, and again when Back or Forward brings
    another address than the page last wrote; warnings for what cannot be used."""
    link = _link_now()  # empty after a switch from another page: the state the page had stays
    back = came_by_back_or_forward() and link and link != st.session_state.get("arithmetic_link")
    if "arithmetic_link" in st.session_state and not back:
        return []
    st.session_state.arithmetic_link = link  # a page stopped before it writes does not read it again
    st.session_state.try_mode = False  # what the link leaves out is the default
    params = st.query_params
    name = params.get("preset", DEFAULT_PRESET)
    if name not in PRESETS and name != CUSTOM:
        st.session_state.preset = DEFAULT_PRESET
        load_selected_preset()
        return [f"There is no preset '{name}' — showing {DEFAULT_PRESET}. Presets: {', '.join(PRESETS)}."]
    st.session_state.preset = name if name in PRESETS else DEFAULT_PRESET
    load_selected_preset()
    warnings = []
    if name == CUSTOM:
        st.session_state.preset = CUSTOM
        warnings = _read_custom(params)
    if "step" in params:  # checked by settle_step, once the example's number of steps is known
        st.session_state.link_step = params["step"]
    if "try" in params:  # "Try it yourself": a refresh must not show the answers
        if params["try"] == "1":
            st.session_state.try_mode = True
        else:
            warnings.append(f"Ignoring the link's try {quoted(params['try'])}: try=1 opens the example to try "
                            "yourself; leave it out to see every value.")
    return warnings


def _read_custom(params) -> list[str]:
    state, warnings = st.session_state, []
    if "op" in params:
        if params["op"] in OPS:
            state.op = params["op"]
        else:
            warnings.append(f"Ignoring the link's op={quoted(params['op'])}: use one of {', '.join(OPS)}.")
    if "input" in params:
        state.input_text = params["input"]
    kernels = params.get_all("kernel")
    if len(kernels) > MAX_FILTERS:
        warnings.append(f"The link gives {len(kernels)} kernels: the page takes at most {MAX_FILTERS} "
                        f"(one per filter); showing the first {MAX_FILTERS}.")
        kernels = kernels[:MAX_FILTERS]
    if kernels:
        state.filters = len(kernels)
        for index, text in enumerate(kernels):
            state[f"kernel_{index}"] = text
    for param, keys, (low, high) in (("p", ("pad_h", "pad_w"), LIMITS["pad"]),
                                     ("s", ("stride_h", "stride_w"), LIMITS["stride"]),
                                     ("d", ("dil_h", "dil_w"), LIMITS["dil"]),
                                     ("f", ("pool_f",), LIMITS["pool_f"])):
        if param not in params:
            continue
        values = [whole_number(part) for part in params[param].split(",")]
        if all(value is not None and low <= value <= high for value in values) and len(values) in (1, len(keys)):
            for key, value in zip(keys, values * len(keys), strict=False):
                state[key] = value
        elif len(keys) == 1 and len(values) > 1:  # the page's pool is square (the CLI takes --size 2,3)
            warnings.append(f"Ignoring the link's {param}={quoted(params[param])}: the page's pool size is "
                            f"one number, for a square pool, from {low} to {high}.")
        else:
            warnings.append(f"Ignoring the link's {param}={quoted(params[param])}: use whole numbers from "
                            f"{low} to {high}.")
    state.bias_text = params.get("bias", "")
    return warnings


def settle_step(step_count: int) -> str | None:
    """Keep the step within the example's 1..step_count, taking a link's step the first time the
    example is computed; a warning when the link's step is not one of the example's."""
    state = st.session_state
    link_step = state.pop("link_step", None)
    if link_step is not None:
        step = whole_number(link_step)
        if step is None or not 1 <= step <= step_count:
            state.step = 1
            return (f"Ignoring the link's step {quoted(link_step)}: this example has {step_count} "
                    f"step{'s' if step_count > 1 else ''}; use a whole number from 1 to {step_count}.")
        state.step = step
    state.step = min(max(int(state.get("step", 1)), 1), step_count)
    return None


def write_url_state() -> None:
    """The address bar follows the page: a link to exactly this example, at this step."""
    state = st.session_state
    if state.preset != CUSTOM:
        wanted = {"preset": state.preset}
    else:
        wanted = {"preset": CUSTOM, "op": state.op, "input": state.input_text,
                  "p": f"{state.pad_h},{state.pad_w}", "s": f"{state.stride_h},{state.stride_w}"}
        if state.op == "conv":
            wanted["kernel"] = [state[f"kernel_{i}"] for i in range(state.filters)]
            wanted["d"] = f"{state.dil_h},{state.dil_w}"
            if state.bias_text.strip():
                wanted["bias"] = state.bias_text
        else:
            wanted["f"] = str(state.pool_f)
    if state.step > 1:
        wanted["step"] = str(state.step)
    if state.get("try_mode"):
        wanted["try"] = "1"
    normalized = {key: value if isinstance(value, list) else [value] for key, value in wanted.items()}
    if _link_now() != normalized:
        st.query_params.from_dict(wanted)
    st.session_state.arithmetic_link = _link_now()


def problem_from_state() -> tuple[Problem | None, list[str]]:
    """The controls as a Problem, or None with messages that say what to fix in the text."""
    state = st.session_state
    errors = []
    try:
        matrix = parse_matrices(state.input_text, "input")
    except ValueError as error:
        matrix, errors = None, [str(error)]
    settings = dict(padding=(state.pad_h, state.pad_w), stride=(state.stride_h, state.stride_w))
    if state.op != "conv":
        if matrix is None:
            return None, errors
        return Problem(state.op, matrix, pool_size=(state.pool_f, state.pool_f), **settings), errors
    kernels = []
    for index in range(state.filters):
        try:
            kernels.append(parse_matrices(state[f"kernel_{index}"],
                                          f"kernel of filter {index + 1}" if state.filters > 1 else "kernel"))
        except ValueError as error:
            errors.append(str(error))
    try:
        bias = parse_bias(state.bias_text, state.filters)
    except ValueError as error:
        bias = None
        errors.append(str(error))
    if errors:
        return None, errors
    return Problem("conv", matrix, kernels, dilation=(state.dil_h, state.dil_w), bias=bias, **settings), []


# commas that group thousands, as the app writes numbers ("2,416"); any other comma is a decimal one
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_guess(text: str) -> float | None:
    """A student's typed value ("19", "3.75", "3,75", "1,000", "-2", "7/2"), or None when it is not
    a finite number."""
    text = plain_minus(text).strip().replace(" ", "")
    text = text.replace(",", "") if _THOUSANDS.fullmatch(text) else text.replace(",", ".")
    try:
        if "/" in text:
            numerator, _, denominator = text.partition("/")
            value = float(numerator) / float(denominator)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None
