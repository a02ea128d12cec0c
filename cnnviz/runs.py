"""The run store (SQLite, WAL: readers never block the training process that writes) and the
launcher of worker processes. Pages, the CLI and the workers all go through :class:`RunStore`, so
a run started anywhere is seen everywhere, live.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

# StoreUnavailable is defined in cnnviz.paths (cnnviz_home() raises it too) and is cnnviz.runs.StoreUnavailable
from cnnviz.paths import StoreUnavailable, cnnviz_home, run_logs_dir, runs_db_path

if TYPE_CHECKING:  # `runs`, `runs show` and `runs cancel` need no torch
    from cnnviz.training import TrainConfig

ACTIVE = ("queued", "running")
FINISHED = ("completed", "failed", "cancelled", "diverged", "interrupted")
HEARTBEAT_EVERY_S = 2.0
STALE_AFTER_S = 20.0  # a running run whose heartbeat is older than this, and whose process is gone
ROOT = Path(__file__).resolve().parents[1]

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    device TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    pid INTEGER,
    heartbeat REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    info TEXT,
    final TEXT,
    results TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES runs(id),
    step INTEGER NOT NULL,
    epoch REAL NOT NULL,
    split TEXT NOT NULL,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics(run, id);
"""


@dataclass
class MetricRecord:
    id: int
    run: int
    step: int
    epoch: float
    split: str  # "train" or "test"
    name: str  # "loss", "accuracy", "lr", "images_per_s"
    value: float
    time: float  # seconds since the run started


# runs.cancel_requested: a cancel asked for, then seen by the run's process, which ends by itself
NOT_CANCELLED, CANCEL_ASKED, CANCEL_SEEN = 0, 1, 2


@dataclass
class RunRecord:
    id: int
    status: str
    config: dict
    device: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    pid: int | None
    heartbeat: float | None
    error: str | None
    info: dict  # device, data adaptation, steps per epoch ...
    final: dict  # test_accuracy, test_loss, images_per_s, elapsed_s ...
    results: dict  # confusion, per_class_accuracy, classes, misclassified
    cancel_state: int = NOT_CANCELLED  # CANCEL_ASKED, then CANCEL_SEEN once its process stops by itself

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def stopping(self) -> bool:
        """Still running, but its process has seen the cancel: it saves its results, then ends."""
        return self.active and self.cancel_state == CANCEL_SEEN

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.finished_at or time.time()) - self.started_at


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (exited, not yet reaped by its parent) is not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


class RunStore:
    """The run database. A folder that cannot be written to (a read-only disk, another user's
    folder) still lets the runs in it be read: the store then opens read-only, and what writes
    raises StoreUnavailable, as does a file that is not a run database."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path or runs_db_path())
        self.read_only = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(f"cannot create the folder of the run database {self.path} "
                                   f"({error.strerror or error}): set CNNVIZ_HOME to a writable folder") from None
        if self.path.is_dir():
            raise StoreUnavailable(f"the run database {self.path} is a folder, not a file: move it away or set "
                                   f"CNNVIZ_HOME to another folder")
        # WAL writes a -shm file beside the database, even to read it: a folder that cannot be
        # written to is read through an immutable connection instead. (os.access also tells a disk
        # mounted read-only, to root too.)
        self.read_only = self.path.exists() and not (os.access(self.path, os.W_OK)
                                                     and os.access(self.path.parent, os.W_OK))
        try:
            with self._connect() as db:
                tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if tables and "runs" not in tables:  # another program's database: leave it as it is
                    raise sqlite3.DatabaseError("it has no table of runs")
                if not self.read_only:
                    db.executescript(SCHEMA)
        except sqlite3.Error as error:
            raise self._unavailable(error) from None

    def _unavailable(self, error: sqlite3.Error) -> StoreUnavailable:
        """The message for an error of opening the database: what is wrong, and what to do."""
        text = str(error)
        if "readonly" in text or "unable to open" in text:
            return StoreUnavailable(f"cannot write to the run database {self.path} ({text}): set CNNVIZ_HOME to a "
                                    f"writable folder")
        if isinstance(error, sqlite3.OperationalError):  # locked, a disk I/O error ...
            return StoreUnavailable(f"cannot use the run database {self.path} ({text}): set CNNVIZ_HOME to "
                                    f"another folder")
        return StoreUnavailable(f"CNNVIZ_HOME/runs.db at {self.path} is not a cnnviz run database ({text}): "
                                f"move it away or set CNNVIZ_HOME to another folder")

    def _connect(self, write: bool = False) -> sqlite3.Connection:
        if self.read_only:
            if write:
                raise StoreUnavailable(f"cannot write to the run database {self.path}: it or its folder is "
                                       f"read-only here; set CNNVIZ_HOME to a writable folder")
            # With its -wal and -shm files there (a writer has it open, or one crashed), SQLite reads
            # a WAL database read-only; without them the database file holds every run, and
            # immutable reads it without the -shm file and the locks that the folder cannot take.
            wal_files = all(Path(f"{self.path}{end}").exists() for end in ("-wal", "-shm"))
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?{'mode=ro' if wal_files else 'immutable=1'}",
                                 uri=True, timeout=30, isolation_level=None)
        else:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
            except sqlite3.DatabaseError as error:
                db.close()
                raise self._unavailable(error) from None
            db.execute("PRAGMA busy_timeout=30000")
        db.row_factory = sqlite3.Row
        return db

    # ---------------------------------------------------------------- writing
    def create_run(self, config: TrainConfig, status: str = "queued", pid: int | None = None) -> int:
        """A new run; ``pid``: the process that will train it, when that is the creator (the CLI)."""
        with self._connect(write=True) as db:
            cursor = db.execute("INSERT INTO runs (status, config, created_at, pid) VALUES (?, ?, ?, ?)",
                                (status, json.dumps(config.to_dict()), time.time(), pid))
            return cursor.lastrowid

    def update(self, run_id: int, *, only_if_active: bool = False, **values) -> bool:
        """Write ``values`` into the run's row (``only_if_active``: while it is queued or running);
        True if the row was written."""
        for key in ("info", "final", "results"):
            if key in values and not isinstance(values[key], str):
                values[key] = json.dumps(values[key])
        assignments = ", ".join(f"{key} = ?" for key in values)
        active = f" AND status IN ({', '.join('?' * len(ACTIVE))})" if only_if_active else ""
        with self._connect(write=True) as db:
            cursor = db.execute(f"UPDATE runs SET {assignments} WHERE id = ?{active}",
                                (*values.values(), run_id, *(ACTIVE if only_if_active else ())))
            return cursor.rowcount == 1

    def add_metrics(self, run_id: int, step: int, epoch: float, split: str, values: dict[str, float],
                    elapsed: float) -> None:
        with self._connect(write=True) as db:
            db.executemany(
                "INSERT INTO metrics (run, step, epoch, split, name, value, time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(run_id, step, epoch, split, name, float(value), elapsed) for name, value in values.items()])

    def heartbeat(self, run_id: int) -> None:
        self.update(run_id, heartbeat=time.time())

    def finish(self, run_id: int, status: str, error: str | None = None, final: dict | None = None,
               results: dict | None = None) -> bool:
        """Record the run's end, once: a run that has ended already keeps its end (a second writer,
        such as a canceller and the run's own process, cannot rewrite it). True if recorded."""
        values = {"status": status, "finished_at": time.time(), "error": error}
        if final is not None:
            values["final"] = final
        if results is not None:
            values["results"] = results
        return self.update(run_id, only_if_active=True, **values)

    # ---------------------------------------------------------------- reading
    def _record(self, row: sqlite3.Row) -> RunRecord:
        return RunRecord(
            id=row["id"], status=row["status"], config=json.loads(row["config"]), device=row["device"],
            created_at=row["created_at"], started_at=row["started_at"], finished_at=row["finished_at"],
            pid=row["pid"], heartbeat=row["heartbeat"], error=row["error"],
            info=json.loads(row["info"] or "{}"), final=json.loads(row["final"] or "{}"),
            results=json.loads(row["results"] or "{}"), cancel_state=row["cancel_requested"],
        )

    def _detect_interrupted(self, record: RunRecord) -> RunRecord:
        """A run whose process is gone and whose heartbeat is stale died: say so. (A queued run
        without a pid is one that the CLI has not started yet, or that a cancel ends.)"""
        if record.active and record.pid and not _pid_alive(record.pid) and \
                time.time() - (record.heartbeat or record.started_at or record.created_at) > STALE_AFTER_S:
            if record.status == "running":
                error = ("the training process stopped without finishing (killed, or the machine restarted); "
                         "the metrics recorded until then are kept")
            elif record.info.get("log"):  # launched: a worker process of its own, with a log
                log = Path(record.info["log"])
                error = (f"the training process stopped before the run started; see {log} and "
                         f"{log.with_name('workers.log')}")
            else:  # created by `python -m cnnviz train`, which trains in its own process
                error = ("the command that created the run (python -m cnnviz train) stopped before the run "
                         "started (killed, or the machine restarted)")
            if self.read_only:  # told, not recorded: the store cannot be written to
                record.status, record.error = "interrupted", error
                return record
            self.finish(record.id, "interrupted", error=error)
            with self._connect() as db:
                return self._record(db.execute("SELECT * FROM runs WHERE id = ?", (record.id,)).fetchone())
        return record

    def get_run(self, run_id: int) -> RunRecord:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise KeyError(f"there is no run {run_id}")
        return self._detect_interrupted(self._record(row))

    def list_runs(self) -> list[RunRecord]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY id DESC").fetchall()
        return [self._detect_interrupted(self._record(row)) for row in rows]

    def metrics(self, run_id: int, since_id: int = 0) -> list[MetricRecord]:
        """Metrics written after ``since_id``: a page polling every second fetches only what is new."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM metrics WHERE run = ? AND id > ? ORDER BY id",
                              (run_id, since_id)).fetchall()
        return [MetricRecord(**dict(row)) for row in rows]

    def cpu_run_pids(self, excluding: int) -> list[int]:
        """The processes of the other runs training on the CPU now (they share its cores)."""
        with self._connect() as db:
            rows = db.execute("SELECT pid FROM runs WHERE status = 'running' AND id != ? AND pid IS NOT NULL "
                              "AND device LIKE 'CPU%'", (excluding,)).fetchall()
        return [row[0] for row in rows]

    def cancel_requested(self, run_id: int) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT cancel_requested FROM runs WHERE id = ?", (run_id,)).fetchone()
        return bool(row and row[0])

    def cancel_seen(self, run_id: int) -> None:
        """The run's process has seen the cancel: it stops after this step and saves what it has."""
        self.update(run_id, cancel_requested=CANCEL_SEEN)

    def cancel(self, run_id: int, grace_s: float = 5.0) -> RunRecord:
        """Ask the run to stop. Its process stops after the step it is in, saves its results and a
        checkpoint, and records its end (the returned run may still be ``stopping``, saving). A
        process that has not seen the request after ``grace_s`` (a step that long, or a hang) is
        sent SIGTERM, which stops it at once; its end is written here only if it is gone without
        writing it. Either way the run has one end, written once."""
        record = self.get_run(run_id)
        if not record.active or record.stopping:
            return record
        if record.cancel_state == NOT_CANCELLED:  # asked again (a second Stop): not "seen" written over
            self.update(run_id, cancel_requested=CANCEL_ASKED)
        if record.status == "queued" and not record.pid:
            self.finish(run_id, "cancelled", error="cancelled before it started")
            return self.get_run(run_id)
        deadline = time.time() + grace_s
        while time.time() < deadline and (record := self.get_run(run_id)).active:
            time.sleep(0.1)
        if not record.active or record.stopping:
            return record
        if _pid_alive(record.pid):
            os.kill(record.pid, signal.SIGTERM)
            deadline = time.time() + grace_s
            while time.time() < deadline and self.get_run(run_id).active and _pid_alive(record.pid):
                time.sleep(0.1)
        if self.get_run(run_id).active and not _pid_alive(record.pid):
            self.finish(run_id, "cancelled", error="cancelled (the process was stopped)")
        return self.get_run(run_id)


_spare_lock = threading.Lock()
_spare: subprocess.Popen | None = None  # a started worker waiting for its job (see cnnviz.worker)


def _start_worker() -> subprocess.Popen:
    log_dir = run_logs_dir()
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    with open(log_dir / "workers.log", "a") as log:  # until a worker has its job: errors of its start
        return subprocess.Popen([sys.executable, "-m", "cnnviz.worker"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, text=True)


def prepare_worker() -> None:
    """Start a worker ahead of time, so the next ``launch_run`` trains at once instead of ~2 s later
    (the time a new process takes to import torch). The Training page calls this when no run is
    training; ``launch_run`` uses it up, or starts a new worker when there is none."""
    global _spare
    with _spare_lock:
        if _spare is None or _spare.poll() is not None:
            _spare = _start_worker()


def _hand_over(job: dict) -> subprocess.Popen:
    """Give ``job`` to the waiting worker, or to a new one when there is none or it has died."""
    global _spare
    with _spare_lock:
        worker, _spare = _spare, None
    if worker is None or worker.poll() is not None:
        worker = _start_worker()
    try:
        _send(worker, job)
    except OSError:  # it died since the check
        worker = _start_worker()
        _send(worker, job)
    return worker


def _send(worker: subprocess.Popen, job: dict) -> None:
    worker.stdin.write(json.dumps(job) + "\n")
    worker.stdin.close()


def launch_run(config: TrainConfig, store: RunStore | None = None) -> int:
    """Validate ``config`` (ConfigError before anything starts) and hand it to a worker process."""
    config.validate()
    store = store or RunStore()
    run_id = store.create_run(config)
    log = run_logs_dir() / f"{run_id}.log"
    store.update(run_id, info={"log": str(log)})  # before the worker can start and write its own info
    worker = _hand_over({"run_id": run_id, "db": str(store.path), "home": str(cnnviz_home()), "log": str(log)})
    store.update(run_id, pid=worker.pid)
    return run_id
