"""Run one recorded training run, in a process of its own (``python -m cnnviz.worker``, started by
``launch_run``) or in the foreground (``python -m cnnviz train``). Everything goes to the run store
as it happens.

A worker process first imports all that a run needs (~2 s), then waits for its job: one JSON line
on stdin, ``{"run_id", "db", "home", "log"}``. So a launcher can start one ahead of time and hand
it the next run, which then trains at once; when the launcher goes away first, stdin closes and
the waiting worker exits.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable

import torch

from cnnviz import cpu_share, exit_without_a_last_collection
from cnnviz.data import DatasetUnavailable
from cnnviz.memory import is_out_of_memory
from cnnviz.paths import checkpoints_dir
from cnnviz.runs import HEARTBEAT_EVERY_S, RunStore, StoreUnavailable
from cnnviz.training import ConfigError, Diverged, TrainConfig, background_threads, train

Listener = Callable[[dict], None]  # receives the events the CLI prints with --json
# The signals that stop a foreground run (python -m cnnviz train), as its message names them
STOP_SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


def stop_at_once(signum: int, frame=None) -> None:
    """A signal handler: Ctrl-C or SIGTERM stops what runs now, as :class:`Stopped`."""
    raise Stopped(signum)


def cancelled_by(signum: int) -> str:
    """A stopped run's error: "cancelled with Ctrl-C", "cancelled with SIGTERM"."""
    return f"cancelled with {STOP_SIGNALS[signum]}"


class Stopped(KeyboardInterrupt):
    """A run stopped by Ctrl-C or SIGTERM, raised once its end is recorded. A KeyboardInterrupt, so
    what stops at Ctrl-C stops at SIGTERM too; ``exit_code`` is the shell's 128 + the signal's number
    (130 for Ctrl-C, 143 for SIGTERM), what a process killed by that signal reports."""

    def __init__(self, signum: int):
        super().__init__(STOP_SIGNALS[signum])
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class StoreRecorder:
    """Writes a run's progress to the store and passes each event to ``listener``."""

    def __init__(self, store: RunStore, run_id: int, listener: Listener | None = None):
        self.store, self.run_id, self.listener = store, run_id, listener or (lambda event: None)
        self.start = time.time()
        self.total_steps = 0
        self.last_check, self.stop_requested = 0.0, False
        self.training = False  # from started() on
        self.ending = False  # training is over, the run's end is being saved
        self.stop_signal: int | None = None  # a Ctrl-C or SIGTERM asked the run to stop after its current step
        # on the CPU: the threads follow the cores that other work leaves free (see cpu_share)
        self.cpu_share = cpu_share.CpuShare()
        self.info: dict = {}

    def started(self, info: dict) -> None:
        self.training = True
        self.start = time.time()
        self.total_steps = info["total_steps"]
        self.info = dict(info)
        if "threads" not in info:  # not on the CPU
            self.cpu_share = None
        self.store.update(self.run_id, status="running", started_at=self.start, heartbeat=self.start,
                          device=info["device"], info=info)
        self.listener({"event": "started", "run_id": self.run_id, **info})
        self.share_cpu()  # the setup's window already tells whether the cores are busy

    def share_cpu(self) -> None:
        """Set torch's threads to this run's share of the free cores (at most the threads it started
        with, info's "threads"); once they change, info's "threads_range" records the fewest and the
        most used, which the page shows."""
        if self.cpu_share is None:
            return
        threads = self.cpu_share.threads(self.store.cpu_run_pids(excluding=self.run_id), self.info["threads"])
        if threads is None or threads == torch.get_num_threads():
            return
        torch.set_num_threads(threads)
        least, most = self.info.get("threads_range", (self.info["threads"],) * 2)
        self.info["threads_range"] = [min(least, threads), max(most, threads)]
        self.store.update(self.run_id, info=self.info)

    def step(self, step: int, epoch: float, values: dict[str, float]) -> None:
        elapsed = time.time() - self.start
        self.store.add_metrics(self.run_id, step, epoch, "train", values, elapsed)
        self.listener({"event": "step", "run_id": self.run_id, "step": step, "total_steps": self.total_steps,
                       "epoch": round(epoch, 4), "elapsed_s": round(elapsed, 3), **values})

    def epoch(self, epoch: int, step: int, values: dict[str, float]) -> None:
        elapsed = time.time() - self.start
        self.store.add_metrics(self.run_id, step, epoch, "train",
                               {"epoch_loss": values["train_loss"], "accuracy": values["train_accuracy"]}, elapsed)
        self.store.add_metrics(self.run_id, step, epoch, "test",
                               {"loss": values["test_loss"], "accuracy": values["test_accuracy"]}, elapsed)
        self.listener({"event": "epoch", "run_id": self.run_id, "epoch": epoch, "step": step,
                       "elapsed_s": round(elapsed, 3), **values})

    def should_stop(self) -> bool:
        """Asked every step; the store is read at most twice a second, and the CPU share decided again."""
        if self.stop_signal is not None:
            return True
        now = time.monotonic()
        if now - self.last_check >= 0.5:
            self.last_check = now
            self.stop_requested = self.store.cancel_requested(self.run_id)
            if self.stop_requested:  # the canceller waits for this run's end instead of stopping it
                self.store.cancel_seen(self.run_id)
            else:
                self.share_cpu()
        return self.stop_requested


def _heartbeat(store: RunStore, run_id: int, stop: threading.Event) -> None:
    """A beat every few seconds, even while a slow step runs: only a dead process goes quiet."""
    while not stop.wait(HEARTBEAT_EVERY_S):
        store.heartbeat(run_id)


def execute(store: RunStore, run_id: int, listener: Listener | None = None, validated: bool = False,
            threads: int | None = None, stop_on_signals: bool = False) -> str:
    """Train run ``run_id`` and record its end; returns the final status. Never raises for a run
    that fails: the failure is recorded with its message (the traceback goes to stderr/the log).
    ``validated``: its config passed ``TrainConfig.validate()`` before the run was created.
    ``threads``: torch's threads on the CPU (``train``'s).

    A KeyboardInterrupt ends the run as cancelled ("cancelled with Ctrl-C", its metrics kept) and is
    raised again, as :class:`Stopped`, once that is recorded. ``stop_on_signals`` (the CLI in the
    foreground): Ctrl-C and SIGTERM alike; a first one while the run trains stops it after the
    current step, as a cancel does, so its results and a checkpoint of the weights so far are saved
    too; a second one, or one before training starts, stops it at once. Either way the run ends
    cancelled, never left "running" for a reader to find interrupted later."""
    record = store.get_run(run_id)
    config = TrainConfig.from_dict(record.config)
    recorder = StoreRecorder(store, run_id, listener)
    stop = threading.Event()
    status, error, final, results, stopped_by = "failed", None, None, None, None
    previous_handlers = _stop_on_signals(recorder) if stop_on_signals else {}
    try:
        store.update(run_id, pid=os.getpid(), heartbeat=time.time())
        threading.Thread(target=_heartbeat, args=(store, run_id, stop), daemon=True).start()
        result = train(config, recorder, validated=validated, threads=threads)
        recorder.ending = True
        stopped_by = recorder.stop_signal if result.cancelled else None
        checkpoint = checkpoints_dir() / f"run-{run_id}.safetensors"
        from cnnviz.checkpoint import save_checkpoint

        save_checkpoint(checkpoint, result.state_dict, arch=config.arch, classes=result.classes,
                        normalisation=result.normalisation)
        status = "cancelled" if result.cancelled else "completed"
        if result.cancelled:  # a `runs cancel` or the Stop button ends with SIGTERM when a step is slow
            asked = stopped_by is None or store.cancel_requested(run_id)
            error = "cancelled by the user" if asked else cancelled_by(stopped_by)
        final = {"test_accuracy": result.test_accuracy, "test_loss": result.test_loss,
                 "train_accuracy": result.train_accuracy, "images_per_s": result.images_per_s,
                 "elapsed_s": result.elapsed_s, "epochs_done": result.epochs_done, "checkpoint": str(checkpoint)}
        results = {"confusion": result.confusion, "per_class_accuracy": result.per_class_accuracy,
                   "classes": result.classes, "misclassified": result.misclassified}
    except KeyboardInterrupt as interrupt:  # stopped at once: the metrics recorded so far are kept
        stopped_by = getattr(interrupt, "signum", signal.SIGINT)  # a plain one is Python's own Ctrl-C
        status, error, final, results = "cancelled", cancelled_by(stopped_by), None, None
        if stopped_by == signal.SIGTERM and store.cancel_requested(run_id):  # `runs cancel`'s or Stop's
            stopped_by, error = None, "cancelled by the user"  # a cancelled run, as any other: train exits 1
    except Diverged as exc:
        status, error = "diverged", str(exc)
    except (ConfigError, DatasetUnavailable, StoreUnavailable) as exc:  # the message says what to do
        error = str(exc)
    except Exception as exc:  # recorded for the user
        if is_out_of_memory(exc):  # a setting too large, not a bug: the message alone
            error = (f"out of memory with a batch of {config.batch_size:,} images of {config.arch}: "
                     f"try a smaller batch size or a smaller network")
        else:  # a bug: its traceback goes to the log
            traceback.print_exc()
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            error = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    finally:
        stop.set()
        recorder.ending = True  # from here a Ctrl-C or SIGTERM waits
    store.finish(run_id, status, error=error, final=final, results=results)
    for signum, handler in previous_handlers.items():
        signal.signal(signum, handler)
    recorder.listener({"event": "finished", "run_id": run_id, "status": status, "error": error, **(final or {})})
    if stopped_by is not None:
        raise Stopped(stopped_by)
    return status


def _stop_on_signals(recorder: StoreRecorder) -> dict:
    """Install the foreground run's SIGINT and SIGTERM handler (see ``execute``); returns the
    handlers it replaces, by signal."""
    def on_signal(signum, frame):
        if recorder.ending:  # the run's end is being saved: let it finish
            print("\nsaving the run, a moment", file=sys.stderr, flush=True)
        elif signum == signal.SIGTERM and recorder.store.cancel_requested(recorder.run_id):
            stop_at_once(signum)  # a cancel that a step too long kept the run from seeing: stop now
        elif recorder.training and recorder.stop_signal is None:
            recorder.stop_signal = signum
            print(f"\nstopping after this step ({STOP_SIGNALS[signum]} again to stop at once)", file=sys.stderr,
                  flush=True)
        else:
            stop_at_once(signum)

    return {signum: signal.signal(signum, on_signal) for signum in STOP_SIGNALS}


def _wait_for_job() -> dict | None:
    """Warm up, then block until the launcher writes the job (None: it closed stdin without one)."""
    import torch._dynamo  # noqa: F401  (torch.optim imports it at its first use: ~1 s)

    import cnnviz.checkpoint  # noqa: F401  (saving the checkpoint: safetensors)
    import cnnviz.data  # noqa: F401

    line = sys.stdin.readline()
    return json.loads(line) if line.strip() else None


def main() -> int:
    job = _wait_for_job()
    if job is None:
        return 0
    os.environ["CNNVIZ_HOME"] = job["home"]
    with open(job["log"], "a") as log:  # from here on, the run's own log
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    run_id = job["run_id"]
    store = RunStore(job["db"])
    def on_sigterm(signum, frame):
        """A cancel that a step too long kept the run from seeing (or a shutdown): ended at once,
        as cancelled, with the metrics so far."""
        asked = store.cancel_requested(run_id)
        store.finish(run_id, "cancelled", error="cancelled by the user" if asked else cancelled_by(signum))
        os._exit(0)

    signal.signal(signal.SIGTERM, on_sigterm)
    # launch_run validated the config; a run in the background leaves a core to whoever watches it
    try:
        status = execute(store, run_id, validated=True, threads=background_threads())
    except Stopped as stopped:  # recorded as cancelled by execute
        return stopped.exit_code
    return 0 if status in ("completed", "cancelled") else 1


if __name__ == "__main__":
    exit_without_a_last_collection()
    sys.exit(main())
