"""The numbers the Training page writes next to the curves: progress, time left, the run's line."""

import pytest

from cnnviz import training_figures as tf
from cnnviz.run_notes import chance_note, setting_texts, settings_text
from cnnviz.runs import MetricRecord, RunRecord
from cnnviz.training import TrainConfig


def record(**changes) -> RunRecord:
    values = dict(id=3, status="running", config={"arch": "lenet5", "dataset": "digits", "epochs": 4},
                  device="CPU (2 cores)", created_at=0.0, started_at=100.0, finished_at=None, pid=1, heartbeat=0.0,
                  error=None, info={"total_steps": 92, "precision": "bfloat16",
                                    "adaptation": "1×8×8 → 1×32×32 (resized)"}, final={}, results={})
    return RunRecord(**{**values, **changes})


def metrics(*rows) -> list[MetricRecord]:
    return [MetricRecord(i, 3, step, epoch, split, name, value, time)
            for i, (step, epoch, split, name, value, time) in enumerate(rows, start=1)]


def test_progress_counts_steps_and_extrapolates_the_time_left():
    frame = tf.metrics_frame(metrics((10, 10 / 23, "train", "loss", 2.1, 0.5),
                                     (10, 10 / 23, "train", "images_per_s", 1234.4, 0.5),
                                     (30, 30 / 23, "train", "loss", 1.2, 2.0),
                                     (30, 30 / 23, "train", "images_per_s", 980.6, 2.0)))
    fraction, text = tf.progress(record(), frame)
    assert fraction == pytest.approx(30 / 92)
    # 2.0 s for 30 steps: the 62 left take 62·2/30 = 4.13 s; epoch 30/23 = 1.3 is the 2nd of 4
    assert text == "epoch 2 of 4 · step 30 of 92 · 981 images/s · about 4 s left"


def test_progress_before_the_first_point_says_starting():
    assert tf.progress(record(), tf.metrics_frame([])) == (0.0, "starting…")


def test_run_line_names_the_network_data_device_precision_and_adaptation():
    assert tf.run_line(record()) == ("`lenet5` on `digits` · **running** · CPU (2 cores) · bfloat16 · "
                                     "images 1×8×8 → 1×32×32 (resized)")
    on_threads = {**record().info, "threads": 1}
    assert tf.run_line(record(info=on_threads)) == ("`lenet5` on `digits` · **running** · CPU (2 cores) · "
                                                    "1 thread · bfloat16 · images 1×8×8 → 1×32×32 (resized)")
    assert "· 3 threads ·" in tf.run_line(record(info={**on_threads, "threads": 3}))
    shared = {**on_threads, "threads": 2, "threads_range": [1, 2]}
    assert "· 1–2 threads (fewer while other work used the CPU) ·" in tf.run_line(record(info=shared))
    assert tf.run_line(record(status="queued", device=None, info={})) == \
        "`lenet5` on `digits` · **queued** · device: not chosen yet"
    # a run that failed before training (mnist missing offline) has ended without one: not "yet"
    assert tf.run_line(record(status="failed", device=None, info={})) == \
        "`lenet5` on `digits` · **failed** · device: none (the run ended before training began)"


def test_runs_table_shows_accuracy_and_duration():
    done = record(status="completed", finished_at=112.34, final={"test_accuracy": 0.9861})
    table = tf.runs_table([done])
    assert table.loc[0, "test accuracy"] == 0.9861 and table.loc[0, "duration"] == "12.3 s"
    assert list(table.columns) == ["run", "status", "architecture", "dataset", "epochs", "test accuracy",
                                   "duration", "device", "settings"]
    assert tf.runs_table([record(config=TrainConfig(seed=3).to_dict())]).loc[0, "settings"] == \
        "batch size 64 · adam · learning rate 0.01 · one-cycle schedule · label smoothing 0.1 · seed 3"


def test_settings_text_says_every_setting_the_form_sets_but_those_switched_off_by_default():
    assert settings_text(TrainConfig().to_dict()) == \
        "15 epochs · batch size 64 · adam · learning rate 0.01 · one-cycle schedule · label smoothing 0.1 · seed 0"
    sgd = TrainConfig(epochs=1, batch_size=1024, optimizer="sgd", momentum=0.95, nesterov=True, lr=3e-4,
                      schedule="constant", weight_decay=5e-4, label_smoothing=0.0, seed=7, compile=True)
    assert settings_text(sgd.to_dict()) == ("1 epoch · batch size 1,024 · sgd, momentum 0.95, Nesterov · "
                                               "learning rate 0.0003 · constant schedule · weight decay 0.0005 · "
                                               "label smoothing 0 · seed 7 · torch.compile")
    # label smoothing is on by default (0.1): runs that differ only there must not read the same
    assert settings_text(TrainConfig(label_smoothing=0.0).to_dict()).endswith("label smoothing 0 · seed 0")
    # momentum belongs to SGD only; Nesterov without momentum is plain SGD (as the engine builds it)
    assert "momentum" not in settings_text(TrainConfig(momentum=0.5, nesterov=True).to_dict())
    assert setting_texts(TrainConfig(optimizer="sgd", momentum=0.0, nesterov=True).to_dict())["optimizer"] == "sgd"
    # a run recorded before some settings existed shows what it has
    assert settings_text({"arch": "lenet5", "dataset": "digits", "epochs": 4}) == "4 epochs"


def test_comparison_names_say_what_sets_each_run_apart():
    def run(run_id, **changes):
        return record(id=run_id, config=TrainConfig(arch="lenet5", **changes).to_dict())

    assert tf.comparison_names([run(1), run(2, seed=1)]) == {1: "1: lenet5 (seed 0)", 2: "2: lenet5 (seed 1)"}
    assert tf.comparison_names([run(1), run(2)]) == {1: "1: lenet5", 2: "2: lenet5"}
    assert tf.comparison_names([run(4)]) == {4: "4: lenet5"}
    names = tf.comparison_names([run(1, lr=0.1, dataset="mnist"), run(2, lr=0.001), run(3, lr=0.001)])
    assert names == {1: "1: lenet5 (mnist, learning rate 0.1)", 2: "2: lenet5 (digits, learning rate 0.001)",
                     3: "3: lenet5 (digits, learning rate 0.001)"}
    # Adam ignores momentum: two Adam runs that differ only there are not set apart by it
    assert tf.comparison_names([run(1, momentum=0.5), run(2)]) == {1: "1: lenet5", 2: "2: lenet5"}
    assert tf.comparison_names([run(1, optimizer="sgd"), run(2)])[1] == "1: lenet5 (sgd, momentum 0.9)"
    other_arch = record(id=2, config={**TrainConfig(arch="vgg-style").to_dict()})
    assert tf.comparison_names([run(1), other_arch]) == {1: "1: lenet5", 2: "2: vgg-style"}


def test_an_empty_live_figure_spans_the_run_s_epochs_and_0_to_100_percent():
    """Before the first points plotly's empty axes read epoch −1 to 6 and accuracy −100% to 400%."""
    empty = tf.live_figure(tf.metrics_frame([]), epochs=15)
    assert empty.layout.xaxis.range == (0, 15) and empty.layout.xaxis2.range == (0, 15)
    assert empty.layout.yaxis2.range == (0, 1)
    assert empty.layout.yaxis.range == (0, 1)  # a loss axis never reads below 0 (plotly's empty one: −1 to 4)
    drawn = tf.live_figure(tf.metrics_frame(metrics((10, 1.0, "test", "accuracy", 0.5, 1.0))), epochs=15)
    assert drawn.layout.xaxis.range is None and drawn.layout.yaxis2.range is None  # the points decide
    losses = tf.live_figure(tf.metrics_frame(metrics((10, 0.4, "train", "loss", 2.1, 0.5))), epochs=15)
    assert (losses.layout.yaxis.range, losses.layout.yaxis.rangemode) == (None, "nonnegative")


def test_live_figure_draws_the_loss_floor_of_label_smoothing():
    frame = tf.metrics_frame(metrics((10, 0.4, "train", "loss", 2.1, 0.5)))
    assert [shape.y0 for shape in tf.live_figure(frame, 0.5).layout.shapes] == [0.5]
    assert tf.live_figure(frame).layout.shapes == ()


@pytest.mark.parametrize("last_epoch, step", [(0.4, 1), (2, 1), (4, 1), (10, 1), (15, 2), (30, 5), (100, 10),
                                              (1000, 100)])
def test_epoch_axes_tick_whole_epochs_only(last_epoch, step):
    assert tf.whole_epoch_ticks(last_epoch) == {"tick0": 0, "dtick": step}


def test_live_and_comparison_figures_tick_whole_epochs():
    """A 4-epoch run: plotly alone put ticks at 1.5, 2.5 and 3.5 on the comparison chart."""
    frame = tf.metrics_frame(metrics((23, 1.0, "test", "accuracy", 0.75, 1.0), (46, 2.0, "test", "accuracy", 0.95, 2.0),
                                     (92, 4.0, "test", "accuracy", 0.97, 4.0), (90, 3.9, "train", "loss", 0.6, 3.9)))
    live = tf.live_figure(frame)
    assert (live.layout.xaxis.dtick, live.layout.xaxis2.dtick) == (1, 1)
    longer = tf.metrics_frame(metrics((690, 30.0, "test", "accuracy", 0.99, 30.0)))
    comparison = tf.comparison_figure({"1: lenet5": frame, "2: lenet5 (seed 1)": longer})
    assert (comparison.layout.xaxis.tick0, comparison.layout.xaxis.dtick) == (0, 5)
    assert tf.comparison_figure({"1: lenet5": frame}, x="step").layout.xaxis.dtick is None


def test_compared_runs_each_get_a_colour_of_their_own():
    frame = tf.metrics_frame(metrics((23, 1.0, "test", "accuracy", 0.75, 1.0)))
    colours = [trace.line.color for trace in tf.comparison_figure({f"{i}: lenet5": frame for i in range(10)}).data]
    assert len(set(colours[:8])) == 8 and colours[8:] == colours[:2]  # eight apart, then again from the first
    assert colours[:2] == ["#0072B2", "#D55E00"]  # blue and vermilion, not two blues


def test_loss_floor_of_a_run_follows_its_label_smoothing_and_classes():
    classes = [str(d) for d in range(10)]
    smoothed = record(config={"arch": "lenet5", "dataset": "digits", "epochs": 4, "label_smoothing": 0.1},
                      info={"classes": classes})
    assert round(tf.loss_floor(smoothed), 2) == 0.50
    assert tf.loss_floor(record(config={"label_smoothing": 0.0}, info={"classes": classes})) == 0.0
    assert tf.loss_floor(record(config={"label_smoothing": 0.1}, info={})) == 0.0  # not started yet


def test_a_run_that_ended_at_chance_level_says_it_learned_nothing():
    """SGD at learning rate 1000 on digits completes (its loss stays finite) at 10.00%."""
    classes = [str(d) for d in range(10)]
    stuck = record(status="completed", config={"arch": "lenet5", "dataset": "digits", "lr": 1000.0},
                   info={"classes": classes}, final={"test_accuracy": 0.1})
    assert chance_note(stuck) == (
        "A test accuracy of 10.00% is about what guessing gives with 10 classes (10%): the network has not "
        "learned. Try a smaller learning rate (this run's is 1000) or more epochs.")
    learned = record(status="completed", config=stuck.config, info=stuck.info, final={"test_accuracy": 0.15})
    assert chance_note(learned) is None  # 1.5× chance: it learned something
    assert chance_note(record(info={"classes": classes}, final={})) is None  # still running


def test_accuracy_ticks_keep_a_decimal_where_the_range_is_narrow():
    frame = tf.metrics_frame(metrics((23, 1.0, "test", "accuracy", 0.098, 1.0),
                                     (46, 2.0, "test", "accuracy", 0.106, 2.0)))
    assert tf.live_figure(frame).layout.yaxis2.tickformat == ".1~%"
    assert tf.comparison_figure({"1: lenet5": frame}).layout.yaxis.tickformat == ".1~%"


def test_a_loss_that_spans_orders_of_magnitude_is_drawn_on_a_log_axis():
    """SGD at learning rate 1000: the loss shot to 5e16 and came back to 1,263; linear, the rest read 0."""
    spiked = tf.metrics_frame(metrics((10, 0.4, "train", "loss", 5.2e16, 0.1), (20, 0.9, "train", "loss", 2.3, 0.2),
                                      (23, 1.0, "test", "loss", 1345.5, 0.2)))
    calm = tf.metrics_frame(metrics((10, 0.4, "train", "loss", 2.1, 0.1), (23, 1.0, "test", "loss", 0.6, 0.2)))
    assert tf.live_figure(spiked).layout.yaxis.type == "log"
    assert tf.live_figure(calm).layout.yaxis.type is None  # plotly's linear default
    assert tf.comparison_figure({"1": spiked, "2": calm}, metric="train loss").layout.yaxis.type == "log"
    assert tf.comparison_figure({"2": calm}, metric="test loss").layout.yaxis.type is None
    assert tf.comparison_figure({"1": spiked}, metric="test accuracy").layout.yaxis.type is None


def test_the_misclassified_images_say_whether_they_are_all_of_them():
    """Run 1 got 19 of 360 wrong and showed them all, under "the first 19"."""
    confusion = [[10, 2], [3, 5]]  # 5 wrong: 2 + 3
    assert tf.misclassified_count_text(confusion, 5) == "all 5"
    assert tf.misclassified_count_text([[100, 70], [60, 10]], 24) == "the first 24 of 130"
