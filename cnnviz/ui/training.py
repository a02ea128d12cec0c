"""Widgets of the Training page: the run and the comparison chosen by the URL, cheap polling, the results of a run."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cnnviz import training_figures as tf
from cnnviz.messages import quoted
from cnnviz.report import human_bytes
from cnnviz.runs import MetricRecord, RunRecord, RunStore
from cnnviz.training import EXPERIMENTS, TrainConfig, trainable_architectures  # noqa: F401 (EXPERIMENTS re-exported)

__all__ = ["EXPERIMENTS", "cached_trainable_architectures", "choose_compared_runs", "compared_runs_box",
           "fill_launch_form", "follow_run_choice", "launch_form", "read_compared_runs", "run_metrics", "runs_now",
           "runs_signature", "selected_run_id", "show_run_results", "watch_interval_s", "watch_runs",
           "write_compared_runs"]


@st.cache_data(show_spinner=False)
def cached_trainable_architectures(dataset: str) -> list[str]:
    return trainable_architectures(dataset)


def run_metrics(store: RunStore, run_id: int) -> list[MetricRecord]:
    """All metrics of a run, fetching only the rows added since the last call (polled every second)."""
    cache = st.session_state.setdefault("metrics_cache", {})
    known = cache.setdefault(run_id, [])
    known.extend(store.metrics(run_id, since_id=known[-1].id if known else 0))
    return known


def run_id_in_link(text: str) -> int | None:
    """A run id as a link writes it: plain ASCII digits ("²" and "١" pass str.isdigit, and int()
    refuses a 5,000-digit string), else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def selected_run_id(runs: list[RunRecord]) -> int:
    """The run of the URL (?run=ID), else the newest; an unknown id says so."""
    ids = [run.id for run in runs]
    wanted = st.query_params.get("run")
    if wanted is None:
        return ids[0]
    if run_id_in_link(wanted) in ids:
        return int(wanted)
    st.warning(f"There is no run {quoted(wanted)}; showing the newest run instead.")
    return ids[0]


def follow_run_choice() -> None:
    """on_change of the run select box: the URL follows, so a refresh or a shared link shows this run."""
    if isinstance(st.session_state.run_choice, int):  # never a label that stopped matching a run
        st.query_params["run"] = str(st.session_state.run_choice)


def launch_form() -> tuple[int, TrainConfig]:
    """(generation, settings) of the "New run" form: the defaults, or the settings of the run whose
    "New run from these settings" was pressed last. Each press makes a new generation, whose widgets
    (keys ending in it) start from those settings: the student's unsubmitted edits make way for them."""
    return st.session_state.get("launch_form", (0, TrainConfig()))


FORM_SEED_LIMIT = 2**53 - 1  # the largest whole number a browser's number field holds exactly


def fill_launch_form(config: dict, run_id: int) -> None:
    """on_click of "New run from these settings": the form above starts from run ``run_id``'s
    settings (those the form cannot show, such as log_every, come along too). A seed past what the
    form's field holds (the command line takes up to 2⁶⁴ − 1) is not copied, and the message says so."""
    settings = TrainConfig.from_dict(config)
    note = ""
    if settings.seed > FORM_SEED_LIMIT:
        note = (f" Its seed {settings.seed} is larger than the form's field holds ({FORM_SEED_LIMIT:,}): "
                f"the form has seed {TrainConfig.seed}.")
        settings.seed = TrainConfig.seed
    st.session_state.launch_form = (launch_form()[0] + 1, settings)
    st.toast(f"The form has run {run_id}'s settings: change what you want to try, then press Start.{note}")


def _compare_choice() -> tuple[int, list[int], str | None]:
    """(generation, run ids, note) of the last choice for the "Compare runs" box."""
    return st.session_state.get("compare_choice", (0, [], None))


def choose_compared_runs(ids: list[int], note: str | None = None) -> None:
    """Put ``ids`` into the "Compare runs" box (an experiment, a link), with ``note`` shown above it
    until the student changes the box. Each choice gets a new box that has ``ids`` as its default:
    a value set through ``st.session_state`` reached the browser too late while runs trained (the
    page reruns every second then) and the box came back empty a few seconds after an experiment."""
    generation = _compare_choice()[0] + 1
    st.session_state.compare_choice = (generation, list(ids), note)


def read_compared_runs(runs: list[RunRecord]) -> str | None:
    """The runs of the URL (?compare=ID,ID) into the "Compare runs" box, once per session (later
    the box decides); a note on the parts that are not runs here, shown until the box changes."""
    if "compare_choice" not in st.session_state and "compare" in st.query_params:
        ids = {run.id for run in runs}
        wanted = [part.strip() for part in st.query_params["compare"].split(",") if part.strip()]
        known = [part for part in wanted if run_id_in_link(part) in ids]
        unknown = [part for part in wanted if part not in known]
        choose_compared_runs(list(dict.fromkeys(int(part) for part in known)),
                             f"Not comparing {quoted(', '.join(unknown))}: no such run here (`python -m cnnviz "
                             f"runs` lists them)." if unknown else None)
    return _compare_choice()[2]


def comparison_link_note() -> str | None:
    """What a link's x_axis= or curve= that the chart does not have was replaced by (Streamlit drops
    such a value of a widget bound to the address silently), once per session."""
    if st.session_state.get("comparison_link_read"):
        return None
    st.session_state.comparison_link_read = True
    bad = [(f"{key} {quoted(st.query_params[key])}", f"{key}: {', '.join(choices)}", default)
           for key, choices, default in (("x_axis", list(tf.X_AXES), "epoch"), ("curve", tf.CURVES, "test accuracy"))
           if key in st.query_params and st.query_params[key] not in choices]
    if not bad:
        return None
    return (f"Ignoring the link's {' and '.join(b[0] for b in bad)} ({'; '.join(b[1] for b in bad)}): "
            f"the chart shows {' and '.join(b[2] for b in bad)}.")


def compared_runs_box(runs: list[RunRecord]) -> list[int]:
    """The "Compare runs" box. The student's changes are kept beside it, so the box comes back with
    them after a visit to another page (Streamlit forgets a widget that is not on screen)."""
    generation, ids, _ = _compare_choice()
    labels = {run.id: f"{run.id}: {run.config['arch']}" for run in runs}
    return st.multiselect("Compare runs", list(labels), default=[i for i in ids if i in labels],
                          key=f"compare_runs_{generation}", on_change=keep_compared_runs, args=(generation,),
                          format_func=labels.__getitem__)


def keep_compared_runs(generation: int) -> None:
    """on_change of the "Compare runs" box of ``generation``: the student's choice, kept beside it.
    The box of an older choice can report a change after an experiment made a new one (the browser
    still sent its empty value while runs trained, in CI): that late change is not the student's and
    must not empty the new box, so only the box of the current choice is kept."""
    if generation == _compare_choice()[0]:
        st.session_state.compare_choice = (generation, st.session_state[f"compare_runs_{generation}"], None)


def write_compared_runs(ids: list[int]) -> None:
    """The URL follows the "Compare runs" box, so a refresh or a link in another tab shows the same curves."""
    value = ",".join(map(str, ids))
    if not value:
        st.query_params.pop("compare", None)
    elif st.query_params.get("compare") != value:
        st.query_params["compare"] = value


def runs_signature(runs: list[RunRecord]) -> tuple[tuple[int, str], ...]:
    return tuple((run.id, run.status) for run in runs)


WATCH_EVERY_S = {"active": 1.0, "idle": 3.0}


def watch_interval_s(runs: list[RunRecord]) -> float:
    """How often the page looks at the store: every second while a run trains, else every 3 s."""
    return WATCH_EVERY_S["active" if any(run.active for run in runs) else "idle"]


def runs_now(store: RunStore, drawn: list[RunRecord]) -> list[RunRecord]:
    """The store's runs, for a fragment's tick; the whole page is redrawn instead when a run appeared
    (started from the CLI or another tab) or changed status (a queued run starts, a run ends) since
    the page drew ``drawn``, so the run box, the Stop button and the results follow. One small query."""
    runs = store.list_runs()
    if runs_signature(runs) != runs_signature(drawn):
        st.rerun(scope="app")
    return runs


def watch_runs(store: RunStore, runs: list[RunRecord]) -> None:
    """A fragment that does nothing but ``runs_now``: for a page that shows no fragment of runs."""

    @st.fragment(run_every=watch_interval_s(runs))
    def watcher() -> None:
        runs_now(store, runs)

    watcher()


def show_run_results(run: RunRecord, frame) -> None:
    """After a run: confusion matrix, per-class accuracy, misclassified images, metrics as CSV, weights."""
    results = run.results
    classes = results["classes"]
    st.subheader(f"Results of run {run.id}")
    left, right = st.columns(2)
    left.markdown("**Confusion matrix** (test set)")
    left.plotly_chart(tf.confusion_figure(results["confusion"], classes), key=f"confusion-{run.id}")
    right.markdown("**Accuracy per class** (test set)")
    right.plotly_chart(tf.per_class_figure(results["per_class_accuracy"], classes), key=f"per-class-{run.id}")
    figure = tf.misclassified_figure(results["misclassified"], classes)
    if figure is not None:
        st.markdown(f"**Misclassified test images** (true → predicted; "
                    f"{tf.misclassified_count_text(results['confusion'], len(results['misclassified']))})")
        st.plotly_chart(figure, key=f"misclassified-{run.id}")
    checkpoint = Path(run.final["checkpoint"]) if run.final.get("checkpoint") else None
    has_weights = checkpoint is not None and checkpoint.is_file()
    with st.container(horizontal=True):
        st.download_button("Metrics as CSV", frame.to_csv(index=False), file_name=f"run-{run.id}-metrics.csv",
                           mime="text/csv")
        if has_weights:  # read when clicked: VGG-16's weights are half a gigabyte
            st.download_button(f"Weights ({human_bytes(checkpoint.stat().st_size)}, safetensors)",
                               checkpoint.read_bytes, file_name=checkpoint.name, mime="application/octet-stream",
                               on_click="ignore", key=f"weights-{run.id}")
    if has_weights:
        st.caption(f"The weights, with the network, its classes and the images' normalisation, are in "
                   f"`{checkpoint}`. To use them in Python:")
        st.code(f'from cnnviz.checkpoint import load_checkpoint\n\ntrained = load_checkpoint("{checkpoint.name}")\n'
                f"trained.predict(images)  # N×C×H×W, pixels in [0, 1]: the class index of each image "
                f"({', '.join(results['classes'][:3])}, …)", language="python")
