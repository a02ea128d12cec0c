"""The Training page: AppTest for its logic, real Chromium for the live view."""

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from cnnviz.messages import quoted
from cnnviz.runs import RunStore
from cnnviz.training import TrainConfig
from cnnviz.ui import training as ui_training
from cnnviz.worker import execute
from tests.live_app import ROOT, StreamlitPage, live_view, wait_for_loss_points

PAGE = str(ROOT / "pages" / "training.py")


def open_page(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def completed_run(**changes) -> int:
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=2, **changes))
    assert execute(store, run_id) == "completed"
    return run_id


def test_empty_store_invites_a_first_run():
    at = open_page()
    assert not at.exception
    assert "No runs yet" in at.info[0].value


def test_the_form_says_where_auto_trains_and_with_how_many_threads(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for cores, expected in ((2, "with 1 thread: a core is left to this page."),
                            (8, "with at most 7 threads: a core is left to this page and fewer threads while "
                                "other work uses the CPU."),
                            (1, "with 1 thread.")):
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        at = open_page()
        assert not at.exception
        caption = next(c.value for c in at.caption if c.value.startswith("auto trains on"))
        assert caption.startswith(f"auto trains on **CPU ({cores} cores)** in **")
        assert caption.endswith(f"here, {expected} Images are resized to the network's input.")


def test_a_completed_run_shows_its_result_and_sections():
    run_id = completed_run()
    record = RunStore().get_run(run_id)
    at = open_page(run=str(run_id))
    assert not at.exception
    assert f"test accuracy **{record.final['test_accuracy']:.2%}**" in at.success[0].value
    assert at.selectbox(key="run_choice").value == run_id
    assert [s.value for s in at.subheader][-2:] == [f"Results of run {run_id}", "All runs"]
    table = at.dataframe[0].value
    assert table.loc[0, "status"] == "completed" and table.loc[0, "architecture"] == "lenet5"


def test_a_damaged_run_database_is_a_message_and_stays_as_it_was(cnnviz_home):
    cnnviz_home.mkdir(parents=True, exist_ok=True)
    database = cnnviz_home / "runs.db"
    database.write_text("garbage")
    at = open_page()
    assert not at.exception
    assert str(database) in at.error[0].value and "CNNVIZ_HOME" in at.error[0].value
    assert database.read_text() == "garbage"  # nothing of the user's is overwritten


def test_an_unknown_run_in_the_link_falls_back_with_a_message():
    run_id = completed_run()
    at = open_page(run="999")
    assert "There is no run '999'" in at.warning[0].value
    assert at.selectbox(key="run_choice").value == run_id


def test_failed_and_diverged_runs_say_why():
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5-padded", epochs=1, lr=1e9, optimizer="sgd",
                                          schedule="constant"))
    assert execute(store, run_id) == "diverged"
    at = open_page(run=str(run_id))
    assert "Diverged:" in at.error[0].value and "learning rate" in at.error[0].value
    # it diverged before its first logged step: no empty chart with axes from epoch −1 to 6
    assert store.metrics(run_id) == [] and not at.get("plotly_chart")
    assert "No curves to draw: the run ended before its first logged step (the loss is logged every 10 steps)." \
        in [c.value for c in at.caption]


def test_a_run_stopping_says_so_and_offers_no_second_stop(capsys):
    """Its process has seen the Stop and is saving its results: the page and `runs cancel` say so."""
    from cnnviz.__main__ import main

    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5"))
    store.update(run_id, status="running", pid=os.getpid(), started_at=time.time(), heartbeat=time.time())
    store.cancel_seen(run_id)
    at = open_page(run=str(run_id))
    assert at.info[0].value == ("Stopping: the run saves its results and the weights so far, then ends as "
                                "cancelled.")
    assert [b.label for b in at.button if b.label == "Stop"] == []
    assert main(["runs", "cancel", str(run_id)]) == 0
    assert capsys.readouterr().out == (f"run {run_id}: stopping — it saves its results and the weights so far, "
                                       "then ends as cancelled\n")
    assert store.get_run(run_id).status == "running"  # this process, "the run's", was left alone


def test_a_cancelled_run_shows_what_it_reached_and_the_epochs_it_did():
    """It showed "Cancelled: cancelled by the user" alone, and "All runs" its setting of 50 epochs."""
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=50))
    store.update(run_id, status="running", started_at=time.time() - 15.0)
    store.finish(run_id, "cancelled", error="cancelled by the user",
                 final={"test_accuracy": 0.2167, "test_loss": 2.1973, "images_per_s": 31.0, "elapsed_s": 10.4,
                        "epochs_done": 3, "checkpoint": "run-1.safetensors"})
    at = open_page(run=str(run_id))
    assert at.info[0].value == ("**Cancelled by the user**: test accuracy **21.67%** after 3 of 50 epochs, test loss "
                                "2.1973, 31 images/s, 10.4 s of training (15.0 s in all, with loading the data and "
                                "saving the weights).")
    assert at.dataframe[0].value.loc[0, "epochs"] == "3 of 50"


def fragment_timers(monkeypatch, **params) -> dict[str, float | None]:
    """The page's fragments and their timers (run_every), by function name, as one run of it draws them."""
    import streamlit as st

    timers = {}
    real_fragment = st.fragment

    def recording_fragment(func=None, *, run_every=None):
        def decorate(f):
            timers[f.__name__] = run_every
            return real_fragment(f, run_every=run_every)
        return decorate(func) if func else decorate

    monkeypatch.setattr(st, "fragment", recording_fragment)
    assert not open_page(**params).exception
    return timers


def test_one_timer_watches_the_store_while_no_run_trains(monkeypatch):
    # Two timers on the page while no run trains left, in Streamlit 1.67, the old comparison chart on
    # screen under the new one when a choice in "Compare runs" met the other timer's tick.
    assert fragment_timers(monkeypatch) == {"watcher": 3.0}  # no runs yet: the first one redraws the page
    completed_run()
    assert fragment_timers(monkeypatch) == {"live_view": None, "all_runs": 3.0}
    RunStore().create_run(TrainConfig(arch="lenet5"))  # queued: a run about to train
    assert fragment_timers(monkeypatch) == {"live_view": 1.0, "all_runs": 1.0}


def test_only_start_launches_a_run_not_enter_in_a_field():
    """Enter in the epochs field submitted the form: three stray runs in front of a class."""
    def forms(node):
        if getattr(node, "type", None) == "form":
            yield node.proto.form
        for child in getattr(node, "children", {}).values():
            yield from forms(child)

    [launch] = [form for form in forms(open_page()._tree) if form.form_id == "launch"]
    assert launch.enter_to_submit is False


def test_bad_values_are_refused_before_anything_starts():
    at = open_page()
    at.number_input[2].set_value(0.0)  # learning rate
    at.button[0].click().run()
    assert "Not started: learning rate must be positive" in at.error[0].value
    assert RunStore().list_runs() == []


def test_momentum_settings_that_adam_would_ignore_are_not_recorded():
    """The form, as `train`, refuses Nesterov with adam or without momentum; adam's run keeps the
    default momentum whatever the SGD field says (the field is sgd's)."""
    at = open_page()
    at.checkbox(key="nesterov_0").check()
    at.button[0].click().run()
    assert at.error[0].value == ("Not started: Nesterov momentum is sgd's (adam keeps its own running averages): "
                                 "choose sgd, or leave Nesterov off")
    form = {widget.label: widget for widget in [*at.selectbox, *at.number_input]}
    form["optimizer"].set_value("sgd")
    form["SGD momentum"].set_value(0.0)
    at.button[0].click().run()
    assert at.error[0].value == "Not started: Nesterov momentum needs a momentum above 0 (without it, it is plain sgd)"
    assert RunStore().list_runs() == []
    form = {widget.label: widget for widget in [*at.selectbox, *at.number_input]}
    form["optimizer"].set_value("adam")
    form["SGD momentum"].set_value(0.5)
    at.checkbox(key="nesterov_0").uncheck()
    at.button[0].click().run()
    [run] = RunStore().list_runs()
    try:
        assert (run.config["optimizer"], run.config["momentum"], run.config["nesterov"]) == ("adam", 0.9, False)
    finally:
        RunStore().cancel(run.id)


def test_more_settings_reach_the_run():
    at = open_page()
    form = {widget.label: widget for widget in [*at.selectbox, *at.number_input]}
    form["precision"].set_value("float32")
    form["learning-rate schedule"].set_value("constant")
    form["label smoothing"].set_value(0.0)
    form["weight decay"].set_value(0.001)
    form["optimizer"].set_value("sgd")
    form["SGD momentum"].set_value(0.7)
    at.checkbox(key="nesterov_0").check()
    at.button[0].click().run()
    store = RunStore()
    [run] = store.list_runs()
    try:
        assert at.query_params["run"] == str(run.id)
        assert {k: run.config[k] for k in ("precision", "schedule", "label_smoothing", "weight_decay", "optimizer",
                                           "momentum", "nesterov")} == \
            {"precision": "float32", "schedule": "constant", "label_smoothing": 0.0, "weight_decay": 0.001,
             "optimizer": "sgd", "momentum": 0.7, "nesterov": True}
        # the run's view says what it was started with (the device and precision are in the line above)
        assert "15 epochs · batch size 64 · sgd, momentum 0.7, Nesterov · learning rate 0.01 · constant schedule · " \
            "weight decay 0.001 · label smoothing 0 · seed 0" in [caption.value for caption in at.caption]
    finally:
        store.cancel(run.id)


def test_a_new_run_from_a_run_s_settings_starts_with_them():
    """The form takes every setting of the chosen run, SGD's momentum and Nesterov included, and
    Start launches a run with exactly those; a changed field changes only that setting."""
    store = RunStore()
    source = store.create_run(TrainConfig(arch="lenet5", dataset="digits", epochs=2, batch_size=32, lr=0.05,
                                          optimizer="sgd", momentum=0.5, nesterov=True, schedule="constant",
                                          weight_decay=0.001, label_smoothing=0.0, seed=5, precision="float32"))
    assert execute(store, source) == "completed"
    at = open_page(run=str(source))
    at.button(key=f"again-{source}").click().run()
    assert not at.exception
    form = {widget.label: widget.value for widget in [*at.selectbox, *at.number_input]}
    assert {label: form[label] for label in ("Dataset", "Architecture", "epochs", "batch size", "learning rate",
                                             "optimizer", "seed", "precision", "learning-rate schedule",
                                             "label smoothing", "weight decay")} == {
        "Dataset": "digits", "Architecture": "lenet5", "epochs": 2, "batch size": 32, "learning rate": 0.05,
        "optimizer": "sgd", "seed": 5, "precision": "float32", "learning-rate schedule": "constant",
        "label smoothing": 0.0, "weight decay": 0.001}
    assert (form["SGD momentum"], at.checkbox(key="nesterov_1").value) == (0.5, True)
    assert "run " + str(source) in at.toast[0].value
    next(widget for widget in at.number_input if widget.label == "seed").set_value(6)
    next(button for button in at.button if button.label == "Start").click().run()
    new = max(run.id for run in store.list_runs())
    try:
        assert new != source
        assert store.get_run(new).config == {**store.get_run(source).config, "seed": 6}
    finally:
        store.cancel(new)


def test_a_seed_larger_than_the_form_holds_is_not_copied_and_the_message_says_so():
    """The command line takes seeds up to 2⁶⁴ − 1; a browser's number field, 2⁵³ − 1."""
    store = RunStore()
    source = store.create_run(TrainConfig(arch="lenet5", epochs=3, seed=2**60))
    store.cancel(source)
    at = open_page(run=str(source))
    at.button(key=f"again-{source}").click().run()
    assert not at.exception
    form = {widget.label: widget.value for widget in at.number_input}
    assert (form["epochs"], form["seed"]) == (3, 0)
    assert f"Its seed {2**60} is larger than the form's field holds (9,007,199,254,740,991): the form has seed 0." \
        in at.toast[0].value


def test_a_completed_run_offers_its_weights_and_says_how_to_load_them():
    run_id = completed_run()
    at = open_page(run=str(run_id))
    assert not at.exception
    checkpoint = RunStore().get_run(run_id).final["checkpoint"]
    size_kb = os.path.getsize(checkpoint) / 1000
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Metrics as CSV", f"Weights ({size_kb:.1f} kB, safetensors)"]
    [snippet] = [code.value for code in at.code]
    assert f'trained = load_checkpoint("run-{run_id}.safetensors")' in snippet
    assert any(f"`{checkpoint}`" in caption.value for caption in at.caption)


def test_the_architectures_are_listed_as_on_the_architectures_page():
    at = open_page()
    choice = next(widget for widget in at.selectbox if widget.label == "Architecture")
    assert choice.value == "lenet5-padded"
    assert "LeNet · LeNet-5 for MNIST (padding 2) (lenet5-padded)" in choice.options
    assert "ResNet · ResNet-20 (CIFAR-10) (resnet20)" in choice.options


def test_the_run_box_labels_do_not_change_with_the_status():
    run_id = completed_run()
    at = open_page(run=str(run_id))
    # a label that changed while the box is on screen came back from it as text, not the run's id
    assert at.selectbox(key="run_choice").options == [f"run {run_id} · lenet5 on digits"]


def comparison_curves(at: AppTest) -> list[tuple[str, list[float]]]:
    """The comparison chart's curves: (name, y values), as the page sends them to the browser."""
    chart = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("comparison"))

    def values(array) -> list[float]:  # plotly sends numeric arrays as base64 bytes
        if isinstance(array, dict):
            return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
        return list(array)
    return [(trace["name"], values(trace["y"])) for trace in json.loads(chart.proto.spec)["data"]]


def compare_box(at: AppTest):
    return next(widget for widget in at.multiselect if widget.label == "Compare runs")


def test_compare_two_runs_and_the_url_follows():
    first, second = completed_run(), completed_run(seed=1)
    at = open_page(run=str(first))
    compare_box(at).set_value([first, second]).run()
    assert not at.exception
    store = RunStore()
    expected = [(f"{run_id}: lenet5 (seed {seed})", [m.value for m in store.metrics(run_id)
                                                     if m.split == "test" and m.name == "accuracy"])
                for run_id, seed in ((first, 0), (second, 1))]
    assert comparison_curves(at) == expected and all(len(values) == 2 for _, values in expected)
    assert at.query_params["compare"] == f"{first},{second}"
    # a link opens the chart as it was shared (the browser test checks that the address bar follows)
    shared = open_page(run=str(first), compare=f"{first},{second}", x_axis="step", curve="test loss")
    figure = next(chart for chart in shared.get("plotly_chart") if "comparison" in chart.proto.id)
    layout = json.loads(figure.proto.spec)["layout"]
    assert (layout["xaxis"]["title"]["text"], layout["yaxis"]["title"]["text"]) == ("step", "test loss")
    bad = open_page(run=str(first), compare=f"{first},{second}", x_axis="Time", curve="test loss")
    assert "Ignoring the link's x_axis 'Time' (x_axis: step, epoch, time): the chart shows epoch." in [
        w.value for w in bad.warning]
    assert {c.key: c.value for c in bad.get("button_group")} == {"x_axis": "epoch", "curve": "test loss"}
    compare_box(at).set_value([]).run()
    assert "compare" not in at.query_params


def test_a_late_change_of_an_older_compare_box_leaves_the_newer_choice(monkeypatch):
    """CI caught it in a real browser: a second after an experiment put its runs into a new box, the
    old empty box reported its value, and its callback emptied the comparison (and the URL's compare=)."""
    class SessionState(dict):  # what the page's calls use of st.session_state: keys and attributes
        __getattr__, __setattr__ = dict.__getitem__, dict.__setitem__

    state = SessionState()
    monkeypatch.setattr(ui_training.st, "session_state", state)
    ui_training.choose_compared_runs([9, 10, 11])  # the experiment: the box of generation 1
    state["compare_runs_0"] = []  # the box that was on screen before it, reporting late
    ui_training.keep_compared_runs(0)
    assert state["compare_choice"] == (1, [9, 10, 11], None)
    state["compare_runs_1"] = [9, 11]  # the student's own change, in the box on screen
    ui_training.keep_compared_runs(1)
    assert state["compare_choice"] == (1, [9, 11], None)


def test_a_comparison_link_opens_its_runs_and_names_the_unknown_ones():
    first, second = completed_run(), completed_run(seed=1)
    at = open_page(compare=f"{second},999,{first},abc,{second}")
    assert not at.exception
    assert compare_box(at).value == [second, first]
    assert [name for name, _ in comparison_curves(at)] == [f"{second}: lenet5 (seed 1)", f"{first}: lenet5 (seed 0)"]
    note = "Not comparing '999, abc': no such run here (`python -m cnnviz runs` lists them)."
    assert [w.value for w in at.warning] == [note]
    assert at.query_params["compare"] == f"{second},{first}"
    at.run()  # another rerun (a run training redraws this part every second): the note stays
    assert [w.value for w in at.warning] == [note]
    compare_box(at).set_value([first]).run()  # the student's own choice: it goes
    assert [w.value for w in at.warning] == []
    assert at.query_params["compare"] == str(first)


def test_an_experiment_starts_its_runs_and_compares_them():
    at = open_page()
    at.button(key="experiment-LeNet-5 vs VGG-style vs ResNet").click().run()
    store = RunStore()
    runs = sorted(store.list_runs(), key=lambda run: run.id)
    try:
        assert not at.exception
        assert [(run.config["arch"], run.config["epochs"], run.config["dataset"]) for run in runs] == [
            ("lenet5-padded", 8, "digits"), ("vgg-style", 8, "digits"), ("resnet-small", 8, "digits")]
        ids = [run.id for run in runs]
        assert compare_box(at).value == ids
        assert (at.query_params["run"], at.query_params["compare"]) == (str(ids[0]), ",".join(map(str, ids)))
        compare_box(at).set_value(ids[1:]).run()  # the student's own choice stays through the next reruns
        at.run()
        assert compare_box(at).value == ids[1:] and at.query_params["compare"] == ",".join(map(str, ids[1:]))
    finally:
        for run in runs:
            store.cancel(run.id)


def test_a_run_without_a_result_shows_a_dash_in_the_runs_table():
    store = RunStore()
    queued = store.create_run(TrainConfig(arch="lenet5", epochs=2))
    at = open_page()
    [table] = [frame for frame in at.dataframe if "test accuracy" in frame.value.columns]
    assert table.value.set_index("run").loc[queued, "test accuracy"] is None
    assert table.proto.placeholder == "—"  # what the browser shows for it, not "None"


@pytest.mark.parametrize("bad", ["²", "١", "9" * 5000])
def test_a_link_with_digits_that_are_not_a_run_id_falls_back_with_a_message(bad):
    """str.isdigit takes "²" and "١" (int() refuses the first, reads the second as 1) and int()
    refuses 5,000 digits: a link's run id is plain ASCII digits, the rest is named as unknown."""
    run_id = completed_run()
    at = open_page(run=bad)
    assert not at.exception
    assert at.selectbox(key="run_choice").value == run_id
    assert [w.value for w in at.warning] == [f"There is no run {quoted(bad)}; showing the newest run instead."]
    at = open_page(compare=f"{run_id},{bad}")
    assert not at.exception
    assert compare_box(at).value == [run_id]
    assert [w.value for w in at.warning] == [
        f"Not comparing {quoted(bad)}: no such run here (`python -m cnnviz runs` lists them)."]


# --------------------------------------------------------------------------- in a real browser


def press_start(app: StreamlitPage) -> int:
    """Press the form's Start and wait until the store has the new run; its id."""
    store = RunStore(app.server.home / "runs.db")
    before = {run.id for run in store.list_runs()}
    app.page.locator('[data-testid="stForm"]').get_by_role("button", name="Start").click()
    deadline = time.monotonic() + 60
    while not (new := [run.id for run in store.list_runs() if run.id not in before]):
        assert time.monotonic() < deadline, "Start created no run within 60 s"
        time.sleep(0.1)
    [run_id] = new
    return run_id


def start_from_the_form(app: StreamlitPage, arch: str, epochs: int) -> int:
    """Fill the form, press Start, and wait until the page shows the new run; its id."""
    page = app.open("/training")
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label("epochs").fill(str(epochs))
    form.get_by_label("architecture", exact=False).first.click()
    page.get_by_role("option", name=re.compile(rf"\({re.escape(arch)}\)$")).click()  # "LeNet · ... (lenet5)"
    run_id = press_start(app)
    expect(page).to_have_url(re.compile(rf"run={run_id}$"), timeout=60_000)
    expect(live_view(page, run_id).get_by_text(re.compile(rf"^Run {run_id} ·"))).to_be_visible(timeout=60_000)
    return run_id


@pytest.mark.browser
def test_browser_start_a_run_and_watch_it_grow(app: StreamlitPage):
    run_id = start_from_the_form(app, "lenet5", epochs=20)
    page = app.page
    first = wait_for_loss_points(page, run_id, timeout_ms=30_000)
    assert wait_for_loss_points(page, run_id, at_least=first + 1) > first
    completed = live_view(page, run_id).get_by_text(re.compile(r"^Completed: test accuracy"))
    expect(completed).to_be_visible(timeout=180_000)


@pytest.mark.browser
def test_browser_a_new_run_from_a_run_s_settings(app: StreamlitPage):
    """The form that the browser shows takes the run's settings, an edit made before is replaced,
    and Start launches a run with exactly those settings."""
    store = RunStore(app.server.home / "runs.db")
    source = store.create_run(TrainConfig(arch="lenet5", epochs=2, batch_size=32, lr=0.05, seed=4))
    assert execute(store, source) == "completed"
    page = app.open(f"/training?run={source}")
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label("batch size").fill("128")  # not submitted: the run's settings replace it
    page.get_by_role("button", name="New run from these settings").click()
    # The new form's widgets come in place of the old ones (both are on screen for a moment): wait
    # until each field is there once, with the run's value.
    wanted = {"Architecture": "LeNet · LeNet-5 (lenet5)", "epochs": "2", "batch size": "32", "learning rate": "0.05",
              "seed": "4"}
    page.wait_for_function("""wanted => Object.entries(wanted).every(([label, value]) => {
        const fields = document.querySelectorAll(`[data-testid="stForm"] input[aria-label="${label}"]`);
        return fields.length === 1 && fields[0].value === value; })""", arg=wanted, timeout=30_000)
    run_id = press_start(app)
    try:
        assert store.get_run(run_id).config == store.get_run(source).config
        expect(page).to_have_url(re.compile(rf"run={run_id}$"), timeout=60_000)
    finally:
        store.cancel(run_id)


@pytest.mark.browser
def test_browser_the_weights_download_is_the_run_s_checkpoint(app: StreamlitPage, tmp_path):
    store = RunStore(app.server.home / "runs.db")
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=1))
    assert execute(store, run_id) == "completed"
    page = app.open(f"/training?run={run_id}")
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile(r"^Weights \(")).click()
    assert download.value.suggested_filename == f"run-{run_id}.safetensors"
    download.value.save_as(tmp_path / "weights.safetensors")
    saved = Path(store.get_run(run_id).final["checkpoint"]).read_bytes()
    assert (tmp_path / "weights.safetensors").read_bytes() == saved


@pytest.mark.browser
def test_browser_a_cli_run_appears_and_updates(app: StreamlitPage):
    env = {**os.environ, "CNNVIZ_HOME": str(app.server.home)}
    # Long enough to be watched while it trains, on a busy machine too; cancelled at the end.
    process = subprocess.Popen([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", "--epochs", "300",
                                "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    run_id = json.loads(process.stdout.readline())["run_id"]
    try:
        page = app.open(f"/training?run={run_id}")
        expect(live_view(page, run_id).get_by_text(re.compile(rf"^Run {run_id} ·"))).to_be_visible(timeout=60_000)
        first = wait_for_loss_points(page, run_id)
        assert wait_for_loss_points(page, run_id, at_least=first + 1) > first
    finally:  # stop the CLI run as a user would, so no half-finished run is left behind
        RunStore(app.server.home / "runs.db").cancel(run_id)
        process.wait(timeout=60)


@pytest.mark.browser
def test_browser_stop_a_run(app: StreamlitPage):
    run_id = start_from_the_form(app, "resnet20", epochs=50)
    page = app.page
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible(timeout=60_000)
    stop.click()
    expect(live_view(page, run_id).get_by_text(re.compile(r"^Cancelled by the user"))).to_be_visible(timeout=60_000)
    assert RunStore(app.server.home / "runs.db").get_run(run_id).status == "cancelled"


@pytest.mark.browser
def test_browser_compare_two_runs(app: StreamlitPage):
    env = {**os.environ, "CNNVIZ_HOME": str(app.server.home)}
    run_ids = []
    for seed in ("1", "2"):
        result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", "--epochs", "2",
                                 "--seed", seed, "--json"], cwd=ROOT, env=env, check=True, capture_output=True,
                                text=True, timeout=300)
        run_ids.append(json.loads(result.stdout.splitlines()[0])["run_id"])
    page = app.open("/training")
    curves = page.locator('.st-key-comparison g.trace.scatter')  # the comparison chart's, by its key
    for chosen, run_id in enumerate(run_ids, start=1):
        page.locator('[data-testid="stMultiSelect"]').first.click()
        page.keyboard.type(f"{run_id}: lenet5")
        page.get_by_role("option", name=f"{run_id}: lenet5", exact=True).click()
        page.keyboard.press("Escape")
        # The rerun this choice made has drawn its curve before the next choice: wait_idle alone can
        # return before that rerun starts, and a choice made then came out as one curve of two in CI.
        expect(curves).to_have_count(chosen, timeout=60_000)
        app.wait_idle()
    expect(page).to_have_url(re.compile(rf"compare={run_ids[0]}%2C{run_ids[1]}"))
    page.locator('.st-key-curve [data-testid="stButtonGroup"]').get_by_text("test loss", exact=True).click()
    # the curve shown is in the link too
    expect(page).to_have_url(re.compile(r"curve=test(\+|%20)loss"))
    app.wait_idle()
    page.locator('.st-key-curve [data-testid="stButtonGroup"]').get_by_text("test loss", exact=True).click()
    app.wait_idle()  # a second click leaves it chosen: a chart always shows one curve
    expect(page).to_have_url(re.compile(r"curve=test(\+|%20)loss"))
    link = page.url  # the same comparison in a new tab: a fresh session that only has the link
    page.goto("about:blank")
    app.open(link.removeprefix(app.server.url))
    expect(curves).to_have_count(2, timeout=60_000)
    expect(page.locator('[data-testid="stMultiSelect"]').first).to_contain_text(f"{run_ids[1]}: lenet5")
    expect(page.locator(".st-key-comparison .g-ytitle")).to_have_text("test loss")


@pytest.mark.browser
def test_browser_an_experiment_compares_its_runs_while_they_train(app: StreamlitPage):
    """The box once came back empty a second after the click: the page reruns every second while
    runs train, and the browser never applied the value the page had set through session state.
    Later the box before the click, reporting its empty value late, emptied the new one (now and then, in CI)."""
    app.page.set_viewport_size({"width": 1400, "height": 3000})  # the whole page drawn, its charts too
    page = app.open("/training")
    store = RunStore(app.server.home / "runs.db")
    before = {run.id for run in store.list_runs()}
    page.get_by_role("button", name="Run: LeNet-5 vs VGG-style vs ResNet").click()
    chips = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Compare runs").locator("[data-tag]")
    try:
        expect(chips).to_have_count(3, timeout=60_000)
        ids = sorted(run.id for run in store.list_runs() if run.id not in before)
        expect(page).to_have_url(re.compile(rf"compare={'%2C'.join(map(str, ids))}"))
        # The URL follows the box as the page has it after each rerun. Read from the page itself:
        # Playwright's page.url is not brought up to date while the script only sleeps.
        def link() -> str:
            return page.evaluate("document.location.href")

        links = []
        deadline = time.monotonic() + 180
        # Through the reruns of the runs changing status: the first one ends, the others start.
        while store.get_run(ids[0]).status != "completed" and time.monotonic() < deadline:
            links.append(link())
            time.sleep(0.5)
        time.sleep(3)
        links.append(link())
        assert store.get_run(ids[0]).status == "completed"
        assert all(f"compare={'%2C'.join(map(str, ids))}" in link for link in links), links
        expect(chips).to_have_count(3)
        assert chips.all_inner_texts() == [f"{ids[0]}: lenet5-padded", f"{ids[1]}: vgg-style",
                                           f"{ids[2]}: resnet-small"]
    finally:
        for run in store.list_runs():
            if run.id not in before:
                store.cancel(run.id)


def run_box_lists(app: StreamlitPage, label: str, timeout_s: float = 30.0) -> bool:
    """Whether the run box offers ``label`` within ``timeout_s``, with no reload and no other click."""
    page = app.page
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        page.locator('[data-testid="stSelectbox"]').filter(has_text="run ").last.click()
        found = page.get_by_role("option", name=label, exact=True).count() > 0
        if found:
            page.get_by_role("option", name=label, exact=True).click()
            return True
        page.keyboard.press("Escape")
        time.sleep(1)
    return False


@pytest.mark.browser
def test_browser_a_run_started_elsewhere_appears_and_its_end_redraws_the_page(app: StreamlitPage):
    page = app.open("/training")
    env = {**os.environ, "CNNVIZ_HOME": str(app.server.home)}
    process = subprocess.Popen([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", "--epochs", "40",
                                "--json"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        run_id = json.loads(process.stdout.readline())["run_id"]
        assert run_box_lists(app, f"run {run_id} · lenet5 on digits"), "the CLI's run never reached the run box"
        app.wait_idle()
        expect(page).to_have_url(re.compile(rf"run={run_id}$"))
        expect(page.get_by_role("button", name="Stop")).to_be_visible(timeout=30_000)
        # its end, with no click: the Stop button goes and the results of the run appear
        expect(page.get_by_text(f"Results of run {run_id}")).to_be_visible(timeout=180_000)
        expect(page.get_by_role("button", name="Stop")).to_have_count(0)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            RunStore(app.server.home / "runs.db").cancel(run_id)
            process.wait(timeout=60)
