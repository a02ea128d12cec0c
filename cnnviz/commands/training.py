"""``train`` and ``runs``: training runs from the command line, recorded in the same store the
Training page watches."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import time

from cnnviz.commands import CliError
from cnnviz.cpu_share import threads_text
from cnnviz.run_notes import chance_level_note, chance_note, loss_text, no_device_text, settings_text, time_text
from cnnviz.training_choices import DATASET_NAMES, DEVICES, OPTIMIZERS, PRECISIONS, SCHEDULES


class _DefaultsFromTrainConfig(argparse.HelpFormatter):
    """`train --help` shows TrainConfig's defaults, imported (with torch) only when help is asked for."""

    def _get_help_string(self, action):
        from cnnviz.training import TrainConfig

        default = None if action.required else getattr(TrainConfig(), action.dest, None)
        if default is None or isinstance(default, bool):
            return action.help
        return f"{action.help}; default {default}" if action.help else f"default {default}"


def register(subparsers) -> None:
    """No torch here: every command builds this parser. An option left out is None, and the run
    takes TrainConfig's default for it."""
    train = subparsers.add_parser("train", help="train a zoo network in the foreground, recorded in the run store",
                                  formatter_class=_DefaultsFromTrainConfig)
    train.add_argument("--arch", required=True, help="a zoo id (python -m cnnviz list)")
    train.add_argument("--dataset", help=f"one of {', '.join(DATASET_NAMES)}")
    train.add_argument("--epochs", type=int, help="passes over the training images")
    train.add_argument("--batch-size", type=int, help="images per step")
    train.add_argument("--lr", type=float, help="learning rate")
    train.add_argument("--optimizer", help=f"one of {', '.join(OPTIMIZERS)}")
    train.add_argument("--device", help=f"one of {', '.join(DEVICES)}")
    train.add_argument("--precision",
                       help=f"one of {', '.join(PRECISIONS)}; auto: bfloat16 autocast where the hardware has it")
    train.add_argument("--schedule", help=f"one of {', '.join(SCHEDULES)}")
    train.add_argument("--momentum", type=float, help="sgd's momentum, from 0 to below 1")
    train.add_argument("--nesterov", action="store_true", help="sgd with Nesterov momentum")
    train.add_argument("--label-smoothing", type=float, help="from 0 to below 1")
    train.add_argument("--weight-decay", type=float, help="L2 penalty (decoupled for adamw)")
    train.add_argument("--seed", type=int, help="for a reproducible run")
    train.add_argument("--compile", action="store_true",
                       help="torch.compile the model before the first step (tens of seconds)")
    train.add_argument("--json", action="store_true",
                       help="one JSON object per line: started, then step and epoch, last finished")
    train.set_defaults(handler=run_train)

    runs = subparsers.add_parser("runs", help="list, show or cancel training runs")
    runs.add_argument("action", nargs="?", choices=("show", "cancel"), help="show or cancel one run")
    runs.add_argument("run_id", nargs="?", type=int, metavar="ID")
    runs.add_argument("--json", action="store_true")
    runs.set_defaults(handler=run_runs)


def _store():
    """The run store, or the CLI's one-line error (exit 2) when CNNVIZ_HOME cannot hold it."""
    from cnnviz.runs import RunStore, StoreUnavailable

    try:
        return RunStore()
    except StoreUnavailable as error:
        raise CliError(str(error)) from None


def run_train(args) -> int:
    from cnnviz.data import DatasetUnavailable, fetch_dataset
    from cnnviz.runs import StoreUnavailable
    from cnnviz.training import ConfigError, TrainConfig
    from cnnviz.worker import STOP_SIGNALS, Stopped, cancelled_by, execute, stop_at_once

    config = TrainConfig(**{field.name: getattr(args, field.name) for field in dataclasses.fields(TrainConfig)
                            if getattr(args, field.name, None) is not None})  # the options given
    try:
        config.validate()
    except ConfigError as error:
        raise CliError(str(error)) from None
    if config.optimizer != "sgd" and args.momentum is not None:  # TrainConfig keeps one for every optimizer
        raise CliError(f"--momentum is sgd's setting ({config.optimizer} keeps its own running averages): "
                       "add --optimizer sgd, or leave it out")
    store = _store()
    try:  # offline, a missing dataset is refused here, before a run is created (a download, else the message)
        fetch_dataset(config.dataset)
    except DatasetUnavailable as error:
        raise CliError(str(error)) from None
    listener = _json_lines if args.json else _ProgressPrinter(lr=config.lr)
    for signum in STOP_SIGNALS:  # until execute takes over: a run is never left queued by a signal
        signal.signal(signum, stop_at_once)
    try:
        run_id = store.create_run(config, pid=os.getpid())
        status = execute(store, run_id, listener, validated=True, stop_on_signals=True)
    except StoreUnavailable as error:
        raise CliError(str(error)) from None
    except Stopped as stopped:  # recorded as "cancelled with Ctrl-C" (or SIGTERM); the finished line said so
        for record in store.list_runs():  # stopped before execute took over (even inside create_run)
            if record.pid == os.getpid() and record.status == "queued":
                store.finish(record.id, "cancelled", error=cancelled_by(stopped.signum))
                listener({"event": "finished", "run_id": record.id, "status": "cancelled",
                          "error": cancelled_by(stopped.signum)})
        return stopped.exit_code  # 130 for Ctrl-C, 143 for SIGTERM
    return 0 if status == "completed" else 1


def _json_lines(event: dict) -> None:
    print(json.dumps(event), flush=True)


class _ProgressPrinter:
    """A plain-text progress bar on stderr and a readable summary on stdout. The bar redraws itself
    with a carriage return, so it is drawn on a terminal only: into a file or a pipe (``2> log``)
    the epochs come as lines of their own."""

    def __init__(self, bar: bool | None = None, lr: float = 0.0):
        self.bar = sys.stderr.isatty() if bar is None else bar
        self.lr = lr  # for the note on a run that ends at chance accuracy
        self.classes = 0

    def __call__(self, event: dict) -> None:
        kind = event["event"]
        if kind == "started":
            self.classes = len(event.get("classes", []))
            print(f"run {event['run_id']}: training on {event['device']} in {event['precision']}; "
                  f"images {event['adaptation']}; "
                  f"{event['train_size']:,} training and {event['test_size']:,} test images")
        elif kind == "step" and self.bar:
            done = event["step"] / event["total_steps"]
            bar = "#" * int(30 * done) + "-" * (30 - int(30 * done))
            print(f"\r[{bar}] {done:5.1%}  epoch {event['epoch']:.2f}  loss {loss_text(event['loss'])}  "
                  f"{event['images_per_s']:,.0f} images/s", end="", file=sys.stderr, flush=True)
        elif kind == "epoch":
            line = (f"epoch {event['epoch']}: train loss {loss_text(event['train_loss'])}, "
                    f"test loss {loss_text(event['test_loss'])}, test accuracy {event['test_accuracy']:.2%}")
            print("\r" + line + " " * 20 if self.bar else line, file=sys.stderr, flush=True)
        elif kind == "finished":
            print(f"run {event['run_id']} {event['status']}" + (f": {event['error']}" if event["error"] else ""))
            if "test_accuracy" in event:
                print(f"test accuracy {event['test_accuracy']:.2%}, test loss {loss_text(event['test_loss'])}, "
                      f"{event['images_per_s']:,.0f} images/s, {time_text(event['elapsed_s'])}")
                if event["status"] == "completed" and (
                        note := chance_level_note(event["test_accuracy"], self.classes, self.lr)):
                    print(note)


def _run_dict(record) -> dict:
    return {"id": record.id, "status": record.status, "arch": record.config.get("arch"),
            "dataset": record.config.get("dataset"), "device": record.device, "pid": record.pid,
            "created_at": record.created_at, "started_at": record.started_at, "finished_at": record.finished_at,
            "error": record.error, "config": record.config, "info": record.info, "final": record.final,
            "results": record.results}


def _when(timestamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp)) if timestamp else "—"


def _run_text(record, metrics) -> str:
    """``runs show ID``: the run as a student reads it, its epochs as a table."""
    info, final = record.info, record.final
    device = [part for part in (record.device, info.get("precision"), threads_text(info)) if part]
    lines = [f"run {record.id} · {record.status} · {record.config.get('arch')} on {record.config.get('dataset')}",
             f"      device: {' · '.join(device) or no_device_text(record.active)}"]
    if info.get("adaptation"):
        lines.append(f"      images: {info['adaptation']} · {info['train_size']:,} training, "
                     f"{info['test_size']:,} test")
    lines += [f"         pid: {record.pid or '—'}",
              f"     created: {_when(record.created_at)} · started {_when(record.started_at)} · finished "
              f"{_when(record.finished_at)}",
              f"    settings: {settings_text(record.config)}"]
    if "test_accuracy" in final:
        lines.append(f"      result: test accuracy {final['test_accuracy']:.2%}, "
                     f"test loss {loss_text(final['test_loss'])}, "
                     f"{final['images_per_s']:,.0f} images/s, {time_text(final['elapsed_s'], record.duration_s)}, "
                     f"{final['epochs_done']} epoch{'s' * (final['epochs_done'] != 1)}")
        lines.append(f"  checkpoint: {final['checkpoint']}")
        if note := chance_note(record):
            lines.append(f"        note: {note}")
    if record.error:
        lines.append(f"       error: {record.error}")
    columns = {("train", "epoch_loss"): "train loss", ("train", "accuracy"): "train accuracy",
               ("test", "loss"): "test loss", ("test", "accuracy"): "test accuracy"}
    epochs: dict[int, dict[str, float]] = {}
    for metric in metrics:
        if (metric.split, metric.name) in columns and float(metric.epoch).is_integer():
            epochs.setdefault(int(metric.epoch), {})[columns[metric.split, metric.name]] = metric.value
    if epochs:
        lines += ["", "epoch  " + "  ".join(columns.values())]
        for epoch, values in sorted(epochs.items()):
            cells = [((f"{values[name]:.2%}" if "accuracy" in name else loss_text(values[name]))
                      if name in values else "—").rjust(len(name)) for name in columns.values()]
            lines.append(f"{epoch:>5}  " + "  ".join(cells))
    return "\n".join(lines)


def run_runs(args) -> int:
    from cnnviz.runs import StoreUnavailable

    store = _store()
    if args.action is None:
        records = store.list_runs()
        if args.json:
            print(json.dumps([_run_dict(r) for r in records], indent=2))
        elif not records:
            print("no runs yet: python -m cnnviz train --arch lenet5 --dataset digits")
        else:
            print(f"{'run':>4}  {'status':<11} {'architecture':<20} {'dataset':<14} {'test accuracy':>13}  created")
        for record in [] if args.json else records:
            accuracy = record.final.get("test_accuracy")
            shown = f"{accuracy:.2%}" if accuracy is not None else "—"
            print(f"{record.id:>4}  {record.status:<11} {record.config['arch']:<20} {record.config['dataset']:<14} "
                  f"{shown:>13}  {time.strftime('%Y-%m-%d %H:%M', time.localtime(record.created_at))}")
        return 0
    if args.run_id is None:
        raise CliError(f"runs {args.action} needs a run ID (python -m cnnviz runs lists them)")
    try:
        record = store.get_run(args.run_id)
        if args.action == "cancel":
            if not record.active:  # exit 0 all the same: the run is not running, as asked
                print(f"run {record.id} has already ended ({record.status}): nothing to cancel")
                return 0
            record = store.cancel(args.run_id)
            print(f"run {record.id}: stopping — it saves its results and the weights so far, then ends as "
                  f"cancelled" if record.stopping else f"run {record.id}: {record.status}")
            return 0
    except KeyError:
        raise CliError(f"there is no run {args.run_id} (python -m cnnviz runs lists them)") from None
    except StoreUnavailable as error:  # cancel in a read-only store
        raise CliError(str(error)) from None
    metrics = store.metrics(record.id)
    if args.json:
        data = _run_dict(record)
        data["metrics"] = [{"step": m.step, "epoch": m.epoch, "split": m.split, "name": m.name, "value": m.value,
                            "time": m.time} for m in metrics]
        print(json.dumps(data, indent=2))
    else:
        print(_run_text(record, metrics))
    return 0
