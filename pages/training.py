"""Training: launch short runs, watch their curves grow live, compare runs."""

import os

import streamlit as st

from cnnviz import training_figures as tf
from cnnviz.run_notes import chance_note, settings_text
from cnnviz.runs import RunStore, StoreUnavailable, launch_run, prepare_worker
from cnnviz.training import (
    ConfigError,
    TrainConfig,
    background_threads,
    device_name,
    resolve_device,
    resolve_precision,
)
from cnnviz.training_choices import DATASET_NAMES, DEVICES, OPTIMIZERS, PRECISIONS, SCHEDULES
from cnnviz.ui.navigation import run_through_app
from cnnviz.ui.training import (
    EXPERIMENTS,
    cached_trainable_architectures,
    choose_compared_runs,
    compared_runs_box,
    comparison_link_note,
    fill_launch_form,
    follow_run_choice,
    launch_form,
    read_compared_runs,
    run_metrics,
    runs_now,
    selected_run_id,
    show_run_results,
    watch_interval_s,
    watch_runs,
    write_compared_runs,
)
from cnnviz.zoo import get_architecture

run_through_app()
st.title("Training")
st.caption("Train small networks on small datasets and watch the curves grow. Each run trains in its own "
           "process, so you can leave the page, open another tab or use the command line: "
           "`python -m cnnviz train --arch lenet5 --dataset digits`.")

try:
    store = RunStore()
    runs = store.list_runs()  # Start and the experiments rerun the page, so this list includes their runs
except StoreUnavailable as error:  # a damaged or unwritable CNNVIZ_HOME: say which and what to do
    st.error(str(error))
    st.stop()
if not any(run.active for run in runs):
    # A training process that imports torch while the form is filled in, so Start trains at once.
    # Not while a run trains: its ~2 s of imports on a busy CPU would slow that run's steps badly.
    try:
        prepare_worker()
    except (StoreUnavailable, OSError):  # a store that can only be read: Start will say why it cannot
        pass
generation, settings = launch_form()  # the defaults, or a run's settings ("New run from these settings")

# ---------------------------------------------------------------- launching
launch_col, experiments_col = st.columns([3, 2])
with launch_col.container(border=True):
    st.subheader("New run")
    dataset = st.selectbox("Dataset", DATASET_NAMES, index=DATASET_NAMES.index(settings.dataset),
                           key=f"dataset_{generation}",
                           help="digits: 1,797 real 8×8 handwritten digits bundled with scikit-learn (no "
                                "download). The others come through torchvision into CNNVIZ_HOME/data.")
    architectures = cached_trainable_architectures(dataset)
    with st.form("launch", enter_to_submit=False):  # only Start launches: Enter in a field made stray runs
        chosen_arch = settings.arch if settings.arch in architectures else TrainConfig.arch
        arch = st.selectbox("Architecture", architectures, index=architectures.index(chosen_arch),
                            format_func=lambda arch_id: get_architecture(arch_id).label, key=f"arch_{generation}")
        col1, col2, col3 = st.columns(3)
        epochs = col1.number_input("epochs", value=settings.epochs, step=1, key=f"epochs_{generation}")
        batch_size = col2.number_input("batch size", value=settings.batch_size, step=1,
                                       key=f"batch_size_{generation}")
        lr = col3.number_input("learning rate", value=float(settings.lr), format="%g", step=0.001,
                               key=f"lr_{generation}")
        col4, col5, col6 = st.columns(3)
        optimizer = col4.selectbox("optimizer", OPTIMIZERS, index=OPTIMIZERS.index(settings.optimizer),
                                   key=f"optimizer_{generation}")
        device = col5.selectbox("device", DEVICES, index=DEVICES.index(settings.device), key=f"device_{generation}")
        seed = col6.number_input("seed", value=settings.seed, step=1, key=f"seed_{generation}")
        with st.expander("More settings"):
            col7, col8 = st.columns(2)
            precision = col7.selectbox("precision", PRECISIONS, index=PRECISIONS.index(settings.precision),
                                       key=f"precision_{generation}",
                                       help="auto: bfloat16 autocast where the hardware computes it natively "
                                            "(a recent GPU, a CPU with AMX or AVX512-BF16), else float32")
            schedule = col8.selectbox("learning-rate schedule", SCHEDULES, index=SCHEDULES.index(settings.schedule),
                                      key=f"schedule_{generation}")
            label_smoothing = col7.number_input("label smoothing", value=float(settings.label_smoothing), step=0.05,
                                                format="%g", key=f"label_smoothing_{generation}")
            weight_decay = col8.number_input("weight decay", value=float(settings.weight_decay), step=1e-4,
                                             format="%g", key=f"weight_decay_{generation}")
            momentum = col7.number_input("SGD momentum", value=float(settings.momentum), step=0.05, format="%g",
                                         key=f"momentum_{generation}",
                                         help="sgd only: Adam and AdamW keep their own running averages")
            nesterov = col8.checkbox("Nesterov momentum (sgd)", value=settings.nesterov,
                                     key=f"nesterov_{generation}",
                                     help="sgd only: the gradient is taken after the momentum step")
            compiled = st.checkbox("torch.compile", value=settings.compile, key=f"compile_{generation}",
                                   help="compiles the model before the first step (tens of seconds); whether "
                                        "the steps get faster depends on the network and the device (LeNet's on "
                                        "a CPU do not)")
        auto_device = resolve_device("auto")
        threads = background_threads()
        notes = (["a core is left to this page"] if threads < (os.cpu_count() or 1) else []) + \
            (["fewer threads while other work uses the CPU"] if threads > 1 else [])
        on_cpu = (f", with {'at most ' * (threads > 1)}{threads} thread{'s' * (threads > 1)}"
                  + (f": {' and '.join(notes)}" if notes else "") if auto_device.type == "cpu" else "")
        st.caption(f"auto trains on **{device_name(auto_device)}** in **{resolve_precision('auto', auto_device)}** "
                   f"here{on_cpu}. Images are resized to the network's input.")
        started = st.form_submit_button("Start", type="primary")
    if started:
        config = TrainConfig(arch=arch, dataset=dataset, epochs=int(epochs), batch_size=int(batch_size),
                             lr=float(lr), optimizer=optimizer, device=device, precision=precision,
                             schedule=schedule, label_smoothing=float(label_smoothing),
                             weight_decay=float(weight_decay), seed=int(seed), compile=compiled,
                             # SGD's momentum field means nothing to adam and adamw: they get the default
                             momentum=float(momentum) if optimizer == "sgd" else TrainConfig.momentum,
                             nesterov=nesterov)
        try:
            run_id = launch_run(config, store)
        except (ConfigError, StoreUnavailable) as error:
            st.error(f"Not started: {error}")
        else:
            st.query_params["run"] = str(run_id)
            st.rerun()

with experiments_col.container(border=True):
    st.subheader("One-click experiments")
    for name, experiment in EXPERIMENTS.items():
        st.markdown(f"**{name}** — {experiment.explanation}")
        if st.button(f"Run: {name}", key=f"experiment-{name}"):
            try:
                for config in experiment.configs:  # all refused before any starts, or all launched
                    config.validate()
                ids = [launch_run(config, store) for config in experiment.configs]
            except (ConfigError, StoreUnavailable) as error:
                st.error(f"Not started: {error}")
            else:
                choose_compared_runs(ids)
                st.query_params["run"] = str(ids[0])
                st.rerun()

# ---------------------------------------------------------------- the selected run, live
if not runs:
    st.info("No runs yet: start one above.")
    watch_runs(store, runs)  # the first run, started here or elsewhere (the CLI, another tab), redraws the page
    st.stop()

st.session_state.run_choice = selected_run_id(runs)  # the URL decides which run is shown
# The label never changes while the box is on screen (no status in it): a label that changes under
# the box comes back from it as text instead of the run's id.
run_choice = st.selectbox("Run", [r.id for r in runs], key="run_choice", on_change=follow_run_choice,
                          format_func=lambda i: next(f"run {r.id} · {r.config['arch']} on {r.config['dataset']}"
                                                     for r in runs if r.id == i))
st.query_params["run"] = str(run_choice)
chosen = store.get_run(run_choice)
active = chosen.active


@st.fragment(run_every=1.0 if active else None)
def live_view(run_id: int) -> None:
    """Redrawn every second while the run trains ("All runs" below redraws the page when it ends)."""
    run = store.get_run(run_id)
    frame = tf.metrics_frame(run_metrics(store, run_id))
    with st.container(key=f"live-run-{run_id}"):  # a stable name: the browser tests find this run's view
        st.markdown(f"**Run {run.id}** · {tf.run_line(run)}")
        st.caption(settings_text(run.config))
        if run.stopping:
            st.info("Stopping: the run saves its results and the weights so far, then ends as cancelled.")
        elif run.active:
            fraction, text = tf.progress(run, frame)
            st.progress(fraction, text=text)
        elif run.status == "completed":
            st.success(f"Completed: {tf.result_text(run)}.")
            if note := chance_note(run):
                st.warning(note)
        elif run.status == "cancelled":
            st.info(tf.cancelled_text(run))
        elif run.status in ("failed", "diverged", "interrupted"):
            message = {"failed": st.error, "diverged": st.error, "interrupted": st.warning}
            message[run.status](f"**{run.status.capitalize()}:** {run.error}")
        if len(frame) or run.active:
            st.plotly_chart(tf.live_figure(frame, tf.loss_floor(run), run.config.get("epochs", 1)),
                            key=f"live-{run.id}")
            st.caption(f"{len(tf.metric_series(frame, 'train', 'loss'))} loss points")
        else:
            st.caption(f"No curves to draw: the run ended before its first logged step (the loss is logged "
                       f"every {run.config.get('log_every', 10)} steps).")


# Outside the fragment, so a click is never lost to the fragment's timer; in a row that is always
# there, so the live view keeps its place (and its elements) when the run ends and Stop goes.
with st.container(horizontal=True):
    if active and not chosen.stopping:
        st.button("Stop", key=f"stop-{run_choice}", on_click=store.cancel, args=(run_choice,),
                  help="Stops the run within seconds; what it recorded so far is kept.")
    st.button("New run from these settings", key=f"again-{run_choice}", on_click=fill_launch_form,
              args=(chosen.config, run_choice),
              help="Fills the New run form above with this run's settings: change one, press Start and "
                   "compare the two runs.")
live_view(run_choice)

record = store.get_run(run_choice)
if record.results:
    show_run_results(record, tf.metrics_frame(run_metrics(store, run_choice)))



# ---------------------------------------------------------------- all runs and their comparison
# The fragment that watches the store for the page: runs started elsewhere (the CLI, another tab) and
# runs that change status redraw the page. No other timer while no run trains: a second one made
# Streamlit 1.67 keep this fragment's old chart on screen under the new one when a choice in "Compare
# runs" met that timer's tick. While a run trains, the live view's timer can still do that; this
# fragment's own next tick (a second later) removes such a leftover.
@st.fragment(run_every=watch_interval_s(runs))
def all_runs(drawn: list) -> None:
    """The runs and the chosen runs' curves overlaid; redrawn every second while any run trains, else every 3 s."""
    runs = runs_now(store, drawn)
    st.subheader("All runs")
    st.dataframe(tf.runs_table(runs), hide_index=True, width="stretch", placeholder="—",
                 column_config={"test accuracy": st.column_config.NumberColumn(format="percent"),
                                "duration": st.column_config.TextColumn(
                                    help="the whole run: loading the data, training, testing and saving the "
                                         "weights")})
    if note := read_compared_runs(runs):
        st.warning(note)
    compare = compared_runs_box(runs)
    write_compared_runs(compare)
    if compare:
        x_col, metric_col = st.columns(2)
        # in the link too (?x_axis=time&curve=test+loss), as the compared runs are; one always chosen
        if note := comparison_link_note():
            st.warning(note)
        x = x_col.segmented_control("x axis", list(tf.X_AXES), default="epoch", key="x_axis", required=True,
                                    bind="query-params")
        metric = metric_col.segmented_control("curve", tf.CURVES, default="test accuracy", key="curve",
                                              required=True, bind="query-params")
        names = tf.comparison_names([next(r for r in runs if r.id == i) for i in compare])
        frames = {names[i]: tf.metrics_frame(run_metrics(store, i)) for i in compare}
        st.plotly_chart(tf.comparison_figure(frames, x, metric), key="comparison")


all_runs(runs)
