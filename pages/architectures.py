"""Architectures: browse, inspect, compare and check every network of the course."""

import json

import streamlit as st

from cnnviz import figures, report, textbook
from cnnviz.analysis import analyze_architecture, analyze_model
from cnnviz.messages import markdown_literal
from cnnviz.spec import EXAMPLE_SPECS, SpecError, build_model, loads_spec, spec_json
from cnnviz.ui.architectures import (
    CLASSES_RANGE,
    CUSTOM,
    EVERY_LAYER,
    INPUT_RANGE,
    apply_spec_input,
    architecture_label,
    keep_hidden_widgets,
    layer_table_columns,
    open_architecture,
    read_url_state,
    reset_input_to_defaults,
    settle_depths,
    spec_input_problem,
    write_url_state,
)
from cnnviz.ui.navigation import run_through_app
from cnnviz.ui.number_box import number_box
from cnnviz.zoo import list_architectures

run_through_app()
st.title("Architectures")
st.caption("Every layer's activation shape, activation size and # parameters — as you would compute "
           "them by hand — plus MACs and receptive fields. Change the input and everything updates.")

architectures = {arch.id: arch for arch in list_architectures()}
for warning in read_url_state(architectures):
    st.warning(warning)

# ---------------------------------------------------------------- choice of network and input
arch_id = st.selectbox(
    "Architecture", [*architectures, CUSTOM], key="arch",
    format_func=lambda id: architecture_label(architectures, id), on_change=reset_input_to_defaults,
    args=(architectures,), help="Type to search by name or family.",
)
keep_hidden_widgets(arch_id)
arch = architectures.get(arch_id)
fixed = arch is not None and not arch.configurable

if arch is not None:
    st.markdown(f"**{arch.title}** · {arch.family} · default input "
                f"{report.shape_text(arch.input_shape)}  \n*Source:* {arch.source}")
    st.info(arch.notes, icon=":material/lightbulb:")
    if fixed:
        st.caption("This network is built exactly as the document writes it: its channels and classes "
                   "are fixed; you can still change the height and width.")
else:
    with st.container(border=True):
        st.markdown("**Custom network** — a list of layers as JSON (data, never code). Layer types: "
                    "conv, maxpool, avgpool, batchnorm, relu, tanh, sigmoid, dropout, flatten, linear, "
                    "globalavgpool, residual, concat.")
        example = st.selectbox("Start from an example", list(EXAMPLE_SPECS), key="example")
        if st.session_state.get("spec_example") != example:
            st.session_state.spec_example = example
            st.session_state.spec_text = spec_json(EXAMPLE_SPECS[example])
        text = st.text_area("Network spec (JSON)", key="spec_text", height=320,
                            help="Edit, then press Ctrl+Enter (or click outside) to analyse.")
    try:
        spec = loads_spec(text, format="json")  # too deep, bad JSON: a SpecError, never a traceback
        spec_data = json.loads(text)  # read fine just above; the link carries the spec as written
    except SpecError as error:
        st.error(f"Invalid spec — {error}")
        st.stop()
    if problem := spec_input_problem(spec.input_shape):
        st.error(problem)
        st.stop()
    apply_spec_input(spec.input_shape)
    st.download_button("Export spec (JSON)", spec_json(spec.to_dict()),
                       file_name=f"{spec.name}.json", mime="application/json")

c_col, h_col, w_col, classes_col = st.columns(4)
channels = number_box("channels (C)", "in_c", INPUT_RANGE, "input_note", container=c_col, disabled=fixed)
height = number_box("height (H)", "in_h", INPUT_RANGE, "input_note", container=h_col)
width = number_box("width (W)", "in_w", INPUT_RANGE, "input_note", container=w_col)
input_shape = (int(channels), int(height), int(width))

if arch is not None:
    classes = number_box("classes", "classes", CLASSES_RANGE, "input_note", container=classes_col, disabled=fixed)
    analysis = analyze_architecture(arch.id, input_shape, None if fixed else int(classes))
else:
    try:
        model_factory = lambda: build_model(spec, input_shape)  # noqa: E731
        analysis = analyze_model(model_factory, input_shape, model_id=spec.name, title=spec.name)
    except SpecError as error:
        st.error(f"Invalid spec — {error}")
        st.stop()
    # what the spec's last layer gives, not a number of the zoo's box: the spec sets it
    classes_col.text_input("classes", report.shape_text(analysis.output_shape), disabled=True,
                           help="A custom network's last layer sets its classes: edit the spec to change them.")

if input_note := st.session_state.get("input_note"):
    st.warning(input_note)
depth_defaults, depth_notes = settle_depths(analysis.max_depth, figures.default_diagram_depth(analysis))
for note in depth_notes:
    st.warning(note)
if link_note := write_url_state(depth_defaults, None if arch is not None else spec_data):
    st.warning(link_note)

# ---------------------------------------------------------------- totals and diagnosis
rf_note = report.receptive_field_note(analysis)
until = report.ran_until(analysis)  # a network that does not fit: these cover the layers that ran
partial_help = "" if until is None else \
    f" The network does not fit its input: this counts only the layers that ran, {until}."
with st.container(horizontal=True, gap="medium"):  # each metric as wide as its number; they wrap
    st.metric("# parameters", f"{analysis.total_params:,}", report.human_count(analysis.total_params),
              delta_color="off", delta_arrow="off", width="content")
    st.metric("MACs per image", report.human_count(analysis.total_macs),
              f"{analysis.total_macs:,}" + (f" {until}" if until else ""), delta_color="off", delta_arrow="off",
              width="content", help=partial_help.strip() or None)
    st.metric("activation memory", report.human_bytes(analysis.activation_memory_bytes),
              "batch 1, float32" + (f", {until}" if until else ""), delta_color="off", delta_arrow="off",
              width="content",
              help="What the forward pass writes for one image: the activation sizes of every layer (the "
                   "layer table's size column at its deepest) × 4 bytes. Tensors made outside the layers — "
                   "an Inception block's concat, a residual add — are not counted, as in the slides' tables."
                   + partial_help)
    st.metric("parameter memory", report.human_bytes(analysis.param_memory_bytes), "float32",
              delta_color="off", delta_arrow="off", width="content")
    if analysis.fits:
        st.metric("depth", f"{analysis.network_depth} layers", f"{analysis.weight_layers} weight layers",
                  delta_color="off", delta_arrow="off", width="content",
                  help="Depth as the papers count it: the conv and linear layers on the longest path from "
                       "the input to the output (ResNet-18: 18, GoogLeNet: 22). The weight layers below it "
                       "count them all, shortcut projections and the parallel branches of Inception too.")
    st.metric("receptive field", report.receptive_field_text(analysis),
              "unknown" if rf_note else until or "last feature map", delta_color="off", delta_arrow="off",
              width="content",
              help="The input pixels (per side) one unit of the last feature map depends on: the last map "
                   "of more than one unit, before any global pooling. It counts the zero padding too, so it "
                   "can be larger than the image. After a global pooling or a flatten, every unit sees every "
                   "pixel the map before it saw: the whole image, less the last rows or columns that a stride "
                   "or pooling dropped (LeNet-5 at 1×37×41: 36×40)." + (f" {rf_note}" if rf_note else "")
                   + partial_help)
# The toggle sits below the diagnosis, whose shapes follow it: its value is in the state before it is drawn.
order = "textbook" if st.session_state.get("textbook_order") else "pytorch"
if analysis.diagnosis:
    message, suggestion = analysis.diagnosis.worded(order)
    st.error(f"**Does not fit at `{analysis.diagnosis.layer}`:** {message}  \n{suggestion}", icon=":material/error:")

st.toggle("Textbook order (H, W, C)", key="textbook_order",
          help="PyTorch writes activation shapes as C×H×W; the slides write (H, W, C).")

# Only the open tab runs (and its name is in the URL): a big diagram costs nothing until asked for.
table_tab, charts_tab, diagram_tab, check_tab, compare_tab, torchinfo_tab = st.tabs(
    ["Layer table", "Charts", "Diagram", "Textbook check", "Compare", "torchinfo"], key="view",
    bind="query-params")

with table_tab:
    if table_tab.open:
        depth_choice = st.select_slider("Depth of nested blocks", [EVERY_LAYER, *range(1, analysis.max_depth + 1)],
                                        key="depth", disabled=analysis.max_depth == 1)
        depth = None if depth_choice == EVERY_LAYER else int(depth_choice)
        frame = report.layer_table(analysis, depth, order)
        column_order, column_config = layer_table_columns(frame)
        st.dataframe(frame, hide_index=True, width="stretch", height=min(40 + 35 * len(frame), 1400),
                     column_order=column_order, column_config=column_config)
        st.caption("Batch-norm running statistics are buffers, not parameters. MACs count the "
                   "multiply-accumulates of conv and linear layers per image; FLOPs = 2 × MACs."
                   + (f" {rf_note}" if rf_note else ""))
        with st.container(horizontal=True):
            st.download_button("CSV", report.csv_table(frame), f"{analysis.model_id}.csv", "text/csv",
                               icon=":material/download:")
            st.download_button("Markdown", report.markdown_table(frame), f"{analysis.model_id}.md",
                               "text/markdown", icon=":material/download:")
            st.download_button("LaTeX", report.latex_table(frame), f"{analysis.model_id}.tex",
                               "application/x-tex", icon=":material/download:",
                               help="A booktabs tabular, plain ASCII: compiles with pdflatex too.")

with charts_tab:
    if charts_tab.open:
        st.plotly_chart(figures.per_layer_figure(analysis, depth=None), key="per_layer")
        st.caption(report.chart_lesson(analysis, order))

with diagram_tab:
    if diagram_tab.open:
        diagram_depth = st.slider("Diagram depth", 1, max(analysis.max_depth, 2), key="diagram_depth",
                                  disabled=analysis.max_depth == 1)
        if note := figures.unfollowed_blocks_note(analysis, diagram_depth):
            st.caption(note)
        st.plotly_chart(figures.diagram_figure(analysis, diagram_depth, order), key="diagram")
        st.caption(figures.diagram_legend(analysis, diagram_depth))

with check_tab:
    if check_tab.open:
        try:
            checks = textbook.check(arch_id) if arch is not None else []
        except textbook.UnknownSource:
            checks = []
        if checks:
            wrong = [c for c in checks if not c.matches]
            st.markdown(report.check_count_text(checks))
            st.caption(report.check_input_text(analyze_architecture(arch_id), analysis, order))
            if wrong:  # the mistakes first, with why: the lesson of the check
                st.markdown("\n".join(f"- ✗ {markdown_literal(report.claim_text(c))}  \n"
                                       f"  → {markdown_literal(c.explanation)}" for c in wrong))
            st.dataframe(report.checks_table(checks), hide_index=True, width="stretch",
                         height=min(40 + 35 * len(checks), 1400))  # every claim in view, as the slide's table
        else:
            st.info("No course document makes a claim about this network. Open one that they do:")
            with st.container(horizontal=True):
                for claimed in textbook.architectures_with_claims():
                    st.button(claimed, key=f"open_{claimed}", on_click=open_architecture,
                              args=(claimed, architectures))
        with st.expander("Every claim of the course documents"):
            st.dataframe(report.checks_table(textbook.check()), hide_index=True, width="stretch")

with compare_tab:
    if compare_tab.open:
        others = st.multiselect("Compare with", [a for a in architectures if a != arch_id], key="compare",
                                format_func=lambda id: architecture_label(architectures, id))
        compared = [analysis] + [analyze_architecture(other) for other in others]
        if others:
            comparison = report.comparison_table(compared, order)
            st.dataframe(comparison, width="stretch", height=40 + 35 * len(comparison))  # every row in view
            st.caption("Depth: the conv and linear layers on the longest path from input to output, as the "
                       "papers count it (ResNet-18: 18, GoogLeNet: 22); weight layers: all of them, shortcut "
                       "projections and parallel branches too. Stage n: the feature map each network has when "
                       "its height and width are about to change (before a stride, a pooling or a conv "
                       "without padding), and the last map of all, a global pool's 1×1 included (the "
                       "receptive field row is that of the last map larger than 1×1).")
            st.plotly_chart(figures.comparison_figure(compared), key="comparison")
        else:
            st.caption("Choose one or more networks to compare (each at its default input).")

with torchinfo_tab:
    if torchinfo_tab.open:
        st.caption("torchinfo's familiar summary. It builds the network with real weights, so it can take "
                   "a few seconds for the big ones.")
        if analysis.diagnosis:
            st.warning("torchinfo cannot summarise a network that does not fit its input.")
        elif st.button("Show the torchinfo summary"):
            factory = (lambda: arch.build(in_channels=None if fixed else input_shape[0],
                                          num_classes=None if fixed else int(classes))) if arch else model_factory
            try:
                with st.spinner("Running torchinfo…"):
                    summary = report.torchinfo_summary(analysis, factory)
                st.code(summary.text, language=None)
                if summary.note:
                    st.caption(summary.note)
            except report.CannotSummarise as error:
                st.error(str(error), icon=":material/memory:")
