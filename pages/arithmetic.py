"""Conv arithmetic: convolution, padding, stride, dilation, channels and pooling, step by step."""

import math

import streamlit as st

from cnnviz.arithmetic import OPS, PRESETS, InvalidSettings, compute, format_number, how_to_compute
from cnnviz.arithmetic_figures import MAX_FRAMES, arithmetic_figure, cell_name, step_lines
from cnnviz.messages import quoted
from cnnviz.ui.arithmetic import (
    CUSTOM,
    ensure_defaults,
    limited_box,
    load_selected_preset,
    mark_custom,
    parse_guess,
    preset_label,
    problem_from_state,
    read_url_state,
    settle_step,
    write_url_state,
)
from cnnviz.ui.navigation import run_through_app

run_through_app()
st.title("Conv arithmetic")
st.caption("Slide the kernel over the input and write every product out, as on the slides. "
           "Pick an example of the course or type your own matrices; press ▶ Play, or step by hand.")

link_warnings = st.container()  # what a link holds that the page cannot use
for warning in read_url_state():
    link_warnings.warning(warning)
ensure_defaults()
state = st.session_state

# ---------------------------------------------------------------- the example and its controls
preset_name = st.selectbox("Example", [*PRESETS, CUSTOM], key="preset", format_func=preset_label,
                           on_change=load_selected_preset)
if preset_name != CUSTOM:
    preset = PRESETS[preset_name]
    found = state.get("revealed", set()) if state.get("try_mode") else None  # its worked example waits
    st.markdown(f"**{preset.title}** — {preset.description(found)}  \n*Source:* {preset.source}")
else:
    st.markdown("**Your own example.** One row a line (or rows separated by `;`), numbers by spaces, "
                "channels separated by a line with `|`. Change anything below and the animation follows.")

with st.container(border=True):
    matrices, settings = st.columns([1, 1], gap="large")
    with settings:
        op = st.segmented_control("Operation", list(OPS), key="op", format_func=OPS.get,
                                  on_change=mark_custom, required=True)
        pad_col, stride_col, third_col = st.columns(3)
        with pad_col:
            limited_box("pad_h", "Zero rows added above and below (−∞ for max pooling).")
            limited_box("pad_w")
        with stride_col:
            limited_box("stride_h", "How many rows the window moves down per step.")
            limited_box("stride_w")
        with third_col:
            if op == "conv":
                limited_box("dil_h", "1: the kernel's cells touch; 2: one cell gap between them.")
                limited_box("dil_w")
            else:
                limited_box("pool_f", "The f×f window. PyTorch's default stride is f.")
        if op == "conv":
            filters_col, bias_col = st.columns(2)
            with filters_col:
                limited_box("filters", "Each filter gives one output channel.")
            bias_col.text_input("bias (b)", key="bias_text", on_change=mark_custom, placeholder="none",
                                help="One number per filter (or one for all), e.g. 1, -2.")
        if note := state.get("range_note"):
            st.warning(note)
    with matrices:
        st.text_area("Input", key="input_text", on_change=mark_custom, height="content",
                     help="e.g. 0 1 2; 3 4 5; 6 7 8 — two channels: 0 1; 2 3 | 4 5; 6 7")
        if op == "conv":
            for index in range(state.filters):
                label = "Kernel (f)" if state.filters == 1 else f"Kernel (f) of filter {index + 1}"
                st.text_area(label, key=f"kernel_{index}", on_change=mark_custom, height="content",
                             help="One matrix per input channel, separated by |")

# ---------------------------------------------------------------- the computation, or why not
problem, errors = problem_from_state()
result = None
if problem is not None:
    try:
        result = compute(problem)
    except InvalidSettings as error:  # impossible settings, or an output past the largest float
        errors = error.messages
if result is not None:
    signature = (repr(problem), len(result.steps))
    if state.get("signature") != signature:  # a new example: nothing revealed yet
        state.signature, state.revealed, state.feedback = signature, set(), {}
    if step_warning := settle_step(len(result.steps)):
        link_warnings.warning(step_warning)
write_url_state()
if errors:
    for message in errors:
        st.error(message, icon=":material/block:")
    st.info("Change the settings above: the animation appears as soon as the example can be computed.")
    st.stop()

steps = result.steps


def move(delta: int) -> None:
    state.step = min(max(state.step + delta, 1), len(steps))


def check_guess(step, hint: str) -> None:
    """on_click of Check (before the rerun draws anything): right reveals the cell, wrong gives the hint."""
    value = parse_guess(state.guess)
    feedback = state.setdefault("feedback", {})
    if value is None:
        feedback[step.index] = ("not-a-number", f"{quoted(state.guess)} is not a number: type a value such as "
                                                "19, 3.75 or -2.")
    elif math.isclose(value, step.value, abs_tol=1e-3):
        state.revealed.add(step.index)
        feedback[step.index] = ("right", f"Right! {step.expression}")
    else:
        feedback[step.index] = ("wrong", f"Not quite: {format_number(value)} is not the value. {hint}")
    state.guess = ""


# ---------------------------------------------------------------- the output size, with its formula
shape = result.shape
c, h, w = shape.shape
size_col, height_col, width_col = st.columns([1.2, 2, 2], gap="medium")
with size_col:
    st.metric("activation shape", f"{c}×{h}×{w}", help="PyTorch order C×H×W")
    st.caption(f"(H, W, C) = ({h}, {w}, {c}) · activation size {c * h * w}")
for column, axis in ((height_col, shape.height), (width_col, shape.width)):
    column.markdown(f"**output {axis.axis}**: n = {axis.n}, f = {axis.k}, p = {axis.p}, s = {axis.s}"
                    + (f", dilation d = {axis.d}" if axis.d > 1 else ""))
    column.code(f"{axis.torch_formula}\n{axis.course_formula}", language=None, wrap_lines=True)
notes = ["second line: the course's ⌊(n − f + p + s)/s⌋ with p the padding of both sides"]
notes += [line for line in shape.formula_lines() if line.startswith("dilation")]
if problem.op == "avg":
    notes.append("Padding zeros count in the mean (PyTorch's count_include_pad=True).")
if problem.op == "max" and problem.padding != (0, 0):
    notes.append("Max pooling pads with −∞: padding never wins.")
st.caption(" · ".join(notes))

# ---------------------------------------------------------------- the picture, stepped by hand
picture = st.container()
with picture:
    try_mode = st.toggle("Try it yourself", key="try_mode",
                         help="Type each output value before it is revealed.")
    current = steps[state.step - 1]
    hide = try_mode and current.index not in state.revealed
    figure = arithmetic_figure(result, current.index, revealed=state.revealed if try_mode else None)
    st.plotly_chart(figure, theme=None, config={"displayModeBar": False}, key="animation")
    if len(steps) > MAX_FRAMES and not try_mode:
        st.caption(f"{len(steps)} steps: too many to animate in the browser (at most {MAX_FRAMES}); "
                   "step by hand below.")
    elif figure.frames:
        st.caption("▶ Play and the slider above animate the picture in your browser. The step written out "
                   "below follows ◀ Previous, Next ▶ and its own slider.")
    back, forward, slider = st.columns([1.3, 1, 5], vertical_alignment="bottom")
    back.button("◀ Previous", on_click=move, args=(-1,), disabled=state.step <= 1, key="previous",
                width="stretch")
    forward.button("Next ▶", on_click=move, args=(1,), disabled=state.step >= len(steps), key="next",
                   width="stretch")
    with slider:
        if len(steps) > 1:
            st.slider("Step", 1, len(steps), key="step")
        else:
            st.caption("One step: the whole output is one cell.")
    st.markdown(f"**Step {current.index + 1} of {len(steps)}** · {cell_name(result, current)} · window at "
                f"row {current.top}, column {current.left} of the padded input")
    st.code("\n".join(step_lines(current, hide_value=hide)), language=None, wrap_lines=True)

    if try_mode:
        with st.form("guess_form", border=True):
            guess_col, check_col = st.columns([3, 1], vertical_alignment="bottom")
            guess_col.text_input(f"Your value for {cell_name(result, current)}", key="guess")
            check_col.form_submit_button("Check", width="stretch", on_click=check_guess,
                                         args=(current, how_to_compute(result, current)))
        kind, text = state.get("feedback", {}).get(current.index, (None, None))
        if kind == "right":
            st.success(text, icon=":material/check_circle:")
        elif kind == "wrong":
            st.error(text, icon=":material/cancel:")
        elif kind == "not-a-number":
            st.warning(text)
        if hide:
            st.button("Show me the answer", key="reveal", on_click=state.revealed.add, args=(current.index,))
        elif state.step < len(steps):
            st.button("Next cell ▶", key="next_cell", on_click=move, args=(1,))

# ---------------------------------------------------------------- the whole output
if not try_mode:
    st.subheader("Result")
    columns = st.columns(max(len(result.output), 1))
    for index, (column, channel) in enumerate(zip(columns, result.output, strict=True)):
        title = "output" if len(result.output) == 1 else f"output channel {index + 1}"
        cells = [[format_number(v) for v in row] for row in channel]
        width = max(len(cell) for row in cells for cell in row)
        column.markdown(f"**{title}**")
        column.code("\n".join(" ".join(cell.rjust(width) for cell in row) for row in cells), language=None)
else:
    st.caption("The full result is hidden while you try it yourself.")
