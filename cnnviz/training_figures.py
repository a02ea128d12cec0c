"""Tables and plotly figures of training runs: live curves, comparisons, the confusion matrix,
per-class accuracy and misclassified images. Plain Python: the Training page renders them."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from cnnviz.cpu_share import threads_text
from cnnviz.run_notes import loss_text, no_device_text, setting_texts, settings_text, time_text
from cnnviz.runs import MetricRecord, RunRecord
from cnnviz.training import smoothed_loss_floor

X_AXES = {"step": "step", "epoch": "epoch", "time": "time (s)"}
CURVES = ["test accuracy", "test loss", "train loss"]  # what the comparison draws against them
# Accuracy ticks with a decimal where one is needed: ".0%" wrote 10% on every tick of a run stuck
# between 9.8% and 10.6%; this writes 9.8%, 10%, 10.2% and, on a wide range, 20%, 40%.
ACCURACY_TICKS = ".1~%"
# One colour a compared run: Okabe and Ito's palette, told apart in colour-blind eyes too (its yellow
# left out, pale on white). Streamlit's theme would draw runs 1 and 2 in two blues.
RUN_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")


def metrics_frame(metrics: list[MetricRecord]) -> pd.DataFrame:
    """One row per recorded value: step, epoch, split, name, value, time."""
    columns = ["step", "epoch", "split", "name", "value", "time"]
    return pd.DataFrame([{c: getattr(m, c) for c in columns} for m in metrics], columns=columns)


def metric_series(frame: pd.DataFrame, split: str, name: str) -> pd.DataFrame:
    return frame[(frame["split"] == split) & (frame["name"] == name)]


def whole_epoch_ticks(last_epoch: float) -> dict:
    """x-axis ticks on whole epochs only, about ten at a 1-2-5 step: plotly's own ticks mark epoch
    1.5 and 2.5 on a short run, an epoch no student's run ever has."""
    wanted = max(last_epoch, 1) / 10
    step = next(base * 10**power for power in range(12) for base in (1, 2, 5) if base * 10**power >= wanted)
    return {"tick0": 0, "dtick": step}


LOG_LOSS_SPAN = 1000  # largest / smallest loss from which the loss axis is logarithmic


def loss_axis(losses: pd.Series) -> dict:
    """A log y-axis where the losses span three orders of magnitude or more (a run whose loss shot
    to 1e17 and came back to 2.3: on a linear axis everything after the spike reads 0); else a
    linear one that never reads below 0, as no loss does (plotly's empty axis reads −1 to 4)."""
    positive = losses[losses > 0]
    if len(positive) and positive.max() / positive.min() >= LOG_LOSS_SPAN:
        return {"type": "log", "exponentformat": "power"}
    return {"rangemode": "nonnegative"} if len(losses) else {"range": [0, 1]}


def live_figure(frame: pd.DataFrame, loss_floor: float = 0.0, epochs: int = 1) -> go.Figure:
    """Loss (train per logged step, test per epoch) and test accuracy per epoch, against the epoch.
    ``loss_floor`` > 0 (label smoothing) is drawn as the lowest loss a model can reach. Before the
    first points the axes already span the run's ``epochs`` and 0–100% (plotly's empty axes read
    epoch −1 to 6 and accuracy −100% to 400%)."""
    figure = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"), horizontal_spacing=0.08)
    train = metric_series(frame, "train", "loss")
    test_loss = metric_series(frame, "test", "loss")
    train_accuracy = metric_series(frame, "train", "accuracy")
    test_accuracy = metric_series(frame, "test", "accuracy")
    figure.add_scatter(x=train["epoch"], y=train["value"], name="train loss (per logged step)", mode="lines",
                       line=dict(color="#3b5bdb"), row=1, col=1)
    figure.add_scatter(x=test_loss["epoch"], y=test_loss["value"], name="test loss", mode="lines+markers",
                       line=dict(color="#e8590c"), row=1, col=1)
    figure.add_scatter(x=train_accuracy["epoch"], y=train_accuracy["value"], name="train accuracy",
                       mode="lines+markers", line=dict(color="#3b5bdb", dash="dot"), row=1, col=2)
    figure.add_scatter(x=test_accuracy["epoch"], y=test_accuracy["value"], name="test accuracy",
                       mode="lines+markers", line=dict(color="#e8590c"), row=1, col=2)
    if loss_floor > 0:
        figure.add_hline(y=loss_floor, line=dict(color="gray", dash="dot", width=1), row=1, col=1,
                         annotation_text=f"lowest possible loss with label smoothing: {loss_floor:.2f}",
                         annotation_position="bottom left", annotation_font_size=11, annotation_font_color="gray")
    figure.update_xaxes(title_text="epoch", **whole_epoch_ticks(frame["epoch"].max() if len(frame) else epochs))
    if not len(frame):
        figure.update_xaxes(range=[0, epochs])
    figure.update_yaxes(tickformat=ACCURACY_TICKS, row=1, col=2,
                        **({} if len(train_accuracy) + len(test_accuracy) else {"range": [0, 1]}))
    figure.update_yaxes(row=1, col=1, **loss_axis(pd.concat([train["value"], test_loss["value"]])))
    figure.update_layout(height=360, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2),
                         uirevision="live")  # keeps the user's zoom while points arrive
    return figure


def comparison_figure(frames: dict[str, pd.DataFrame], x: str = "epoch", metric: str = "test accuracy") -> go.Figure:
    """The same curve of several runs overlaid, by step, epoch or wall-clock time."""
    split, name = {"train loss": ("train", "loss"), "test loss": ("test", "loss"),
                   "test accuracy": ("test", "accuracy")}[metric]
    column = {"step": "step", "epoch": "epoch", "time": "time"}[x]
    figure = go.Figure()
    for number, (label, frame) in enumerate(frames.items()):
        series = metric_series(frame, split, name)
        figure.add_scatter(x=series[column], y=series["value"], name=label,
                           line=dict(color=RUN_COLOURS[number % len(RUN_COLOURS)]),
                           mode="lines" if name == "loss" and split == "train" else "lines+markers")
    figure.update_layout(height=380, margin=dict(l=10, r=10, t=30, b=10), xaxis_title=X_AXES[x], yaxis_title=metric,
                         legend=dict(orientation="h", y=-0.25))
    if x == "epoch":
        last = max((frame["epoch"].max() for frame in frames.values() if len(frame)), default=1)
        figure.update_xaxes(**whole_epoch_ticks(last))
    if name == "accuracy":
        figure.update_yaxes(tickformat=ACCURACY_TICKS)
    else:
        figure.update_yaxes(**loss_axis(pd.concat([metric_series(frame, split, name)["value"]
                                                   for frame in frames.values()] or [pd.Series(dtype=float)])))
    return figure


def confusion_figure(confusion: list[list[int]], classes: list[str]) -> go.Figure:
    figure = go.Figure(go.Heatmap(z=confusion, x=classes, y=classes, colorscale="Blues", text=confusion,
                                  texttemplate="%{text}",
                                  hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>"))
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="predicted",
                         yaxis_title="true", yaxis_autorange="reversed", xaxis_type="category",
                         yaxis_type="category")
    return figure


def per_class_figure(accuracy: list[float], classes: list[str]) -> go.Figure:
    figure = go.Figure(go.Bar(x=classes, y=accuracy, text=[f"{a:.0%}" for a in accuracy], textposition="outside",
                              marker_color="#3b5bdb", hovertemplate="class %{x}: %{y:.1%}<extra></extra>"))
    figure.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), yaxis_tickformat=ACCURACY_TICKS,
                         yaxis_range=[0, 1.1], xaxis_title="class", xaxis_type="category")
    return figure


def misclassified_figure(examples: list[dict], classes: list[str], columns: int = 8) -> go.Figure | None:
    """A grid of misclassified test images, titled 'true → predicted'."""
    if not examples:
        return None
    rows = -(-len(examples) // columns)
    titles = [f"{classes[e['true']]} → {classes[e['predicted']]}" for e in examples]
    figure = make_subplots(rows=rows, cols=columns, subplot_titles=titles, horizontal_spacing=0.01,
                           vertical_spacing=0.06)
    for n, example in enumerate(examples):
        figure.add_trace(go.Heatmap(z=example["pixels"], colorscale="gray_r", showscale=False,
                                    hovertemplate=f"test image {example['index']}<extra></extra>"),
                         row=n // columns + 1, col=n % columns + 1)
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, autorange="reversed")
    figure.update_annotations(font_size=11)
    figure.update_layout(height=130 * rows + 20, margin=dict(l=0, r=0, t=30, b=0))
    return figure


def epochs_text(run: RunRecord) -> str:
    """The epochs of a run: "15", or for one that ended early "3 of 50" (the table showed the setting alone)."""
    epochs, done = run.config.get("epochs"), run.final.get("epochs_done")
    if epochs is None:
        return ""
    return f"{done} of {epochs}" if done is not None and done != epochs else f"{epochs}"


def runs_table(runs: list[RunRecord]) -> pd.DataFrame:
    """The list of runs: status, architecture, dataset, final test accuracy, duration, settings."""
    def duration(run: RunRecord) -> str:
        seconds = run.duration_s
        return "—" if seconds is None else f"{seconds:.1f} s"

    return pd.DataFrame([{
        "run": run.id, "status": run.status, "architecture": run.config.get("arch"),
        "dataset": run.config.get("dataset"), "epochs": epochs_text(run),
        "test accuracy": run.final.get("test_accuracy"), "duration": duration(run), "device": run.device or "",
        "settings": settings_text(run.config, leave_out=("epochs",)),
    } for run in runs], columns=["run", "status", "architecture", "dataset", "epochs", "test accuracy", "duration",
                                 "device", "settings"])


def comparison_names(runs: list[RunRecord]) -> dict[int, str]:
    """The legend of a comparison: "3: lenet5" and, in brackets, what sets the run apart from the
    others compared (its dataset, learning rate, seed…): "3: lenet5 (learning rate 0.01)"."""
    texts = {run.id: {"dataset": run.config.get("dataset"), **setting_texts(run.config)} for run in runs}
    keys = list(dict.fromkeys(key for text in texts.values() for key in text))
    differing = [key for key in keys if len({text.get(key) for text in texts.values()}) > 1]
    names = {}
    for run in runs:
        apart = [texts[run.id][key] for key in differing if texts[run.id].get(key) is not None]
        names[run.id] = f"{run.id}: {run.config.get('arch')}" + (f" ({', '.join(apart)})" if apart else "")
    return names


def loss_floor(run: RunRecord) -> float:
    """The lowest loss run ``run`` can reach (label smoothing's floor); 0 until it knows its classes."""
    classes = run.info.get("classes")
    return smoothed_loss_floor(run.config.get("label_smoothing", 0.0), len(classes)) if classes else 0.0


def result_text(run: RunRecord) -> str:
    """A finished run's numbers, for the page's banner as for ``runs show``: "test accuracy
    **98.89%**, test loss 0.2913, 11,300 images/s, 4.1 s of training" (and, for a run stopped early,
    the epochs it did: "after 3 of 50 epochs")."""
    final = run.final
    epochs, done = run.config.get("epochs"), final.get("epochs_done")
    after = f" after {done} of {epochs} epochs" if done is not None and epochs is not None and done != epochs else ""
    return (f"test accuracy **{final['test_accuracy']:.2%}**{after}, test loss {loss_text(final['test_loss'])}, "
            f"{final['images_per_s']:,.0f} images/s, {time_text(final['elapsed_s'], run.duration_s)}")


def cancelled_text(run: RunRecord) -> str:
    """"**Cancelled by the user**: test accuracy **21.67%** after 3 of 50 epochs, …" — what a
    cancelled run had reached, where it saved it (one stopped at once has no result)."""
    said = run.error or "cancelled"
    reached = f": {result_text(run)}." if "test_accuracy" in run.final else "."
    return f"**{said[:1].upper()}{said[1:]}**{reached}"


def misclassified_count_text(confusion: list[list[int]], shown: int) -> str:
    """"all 19", or "the first 24 of 130": "the first 19" said there were more when there were not."""
    wrong = sum(sum(row) - row[i] for i, row in enumerate(confusion))
    return f"all {shown:,}" if shown == wrong else f"the first {shown:,} of {wrong:,}"


def run_line(run: RunRecord) -> str:
    """What ran where: "`lenet5` on `digits` · **running** · CPU (2 cores) · 1 thread · bfloat16 · images 1×8×8 → …"."""
    parts = [f"`{run.config['arch']}` on `{run.config['dataset']}`", f"**{run.status}**",
             run.device or f"device: {no_device_text(run.active)}"]
    if threads := threads_text(run.info):
        parts.append(threads)
    if run.info.get("precision"):
        parts.append(run.info["precision"])
    if run.info.get("adaptation"):
        parts.append(f"images {run.info['adaptation']}")
    return " · ".join(parts)


def progress(run: RunRecord, frame: pd.DataFrame) -> tuple[float, str]:
    """(fraction done, a line with the epoch, images/s and time left)."""
    total = run.info.get("total_steps")
    steps = metric_series(frame, "train", "loss")
    if not total or steps.empty:
        return 0.0, "starting…"
    step = int(steps["step"].iloc[-1])
    epochs = run.config.get("epochs")
    speed = metric_series(frame, "train", "images_per_s")
    images_per_s = float(speed["value"].iloc[-1]) if not speed.empty else 0.0
    elapsed = float(steps["time"].iloc[-1])
    left = elapsed / step * (total - step) if step else 0.0
    text = (f"epoch {min(int(steps['epoch'].iloc[-1]) + 1, epochs)} of {epochs} · step {step:,} of {total:,} · "
            f"{images_per_s:,.0f} images/s · about {left:.0f} s left")
    return min(step / total, 1.0), text
