"""Where cnnviz keeps its state: the run database, checkpoints and datasets.

``CNNVIZ_HOME`` (default ``~/.cnnviz``) is read on every call, so tests and the CLI can point a
process at a temporary folder without re-importing anything.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = Path("~/.cnnviz")


def cnnviz_home() -> Path:
    """The state folder, created on first use."""
    home = Path(os.environ.get("CNNVIZ_HOME") or DEFAULT_HOME).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def data_dir() -> Path:
    """Where torchvision datasets are downloaded to, or must be placed by hand when offline."""
    path = cnnviz_home() / "data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def checkpoints_dir() -> Path:
    path = cnnviz_home() / "checkpoints"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_db_path() -> Path:
    return cnnviz_home() / "runs.db"
