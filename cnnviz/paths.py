"""Where cnnviz keeps its state: the run database, checkpoints and datasets.

``CNNVIZ_HOME`` (default ``~/.cnnviz``) is read on every call, so tests and the CLI can point a
process at a temporary folder without re-importing anything.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = Path("~/.cnnviz")


class StoreUnavailable(Exception):
    """cnnviz's state folder or run database cannot be used (a read-only disk, a file that is not a
    run database ...); the message names the path and the fix. Also ``cnnviz.runs.StoreUnavailable``."""


def _folder(path: Path, what: str) -> Path:
    """``path`` as a folder, created when missing; StoreUnavailable when that cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StoreUnavailable(f"{what} at {path} is a file, not a folder: move it away or set "
                               f"CNNVIZ_HOME to another folder") from None
    except OSError as error:
        raise StoreUnavailable(f"cannot create {what} at {path} ({error.strerror or error}): set CNNVIZ_HOME "
                               f"to a writable folder") from None
    return path


def cnnviz_home() -> Path:
    """The state folder, created on first use."""
    return _folder(Path(os.environ.get("CNNVIZ_HOME") or DEFAULT_HOME).expanduser(), "CNNVIZ_HOME")


def data_dir() -> Path:
    """Where torchvision datasets are downloaded to, or must be placed by hand when offline."""
    return _folder(cnnviz_home() / "data", "CNNVIZ_HOME/data")


def checkpoints_dir() -> Path:
    return _folder(cnnviz_home() / "checkpoints", "CNNVIZ_HOME/checkpoints")


def run_logs_dir() -> Path:
    """Each run's log (RUN_ID.log) and the workers' start-up log."""
    return _folder(cnnviz_home() / "runs", "CNNVIZ_HOME/runs")


def runs_db_path() -> Path:
    return cnnviz_home() / "runs.db"
