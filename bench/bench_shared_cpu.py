"""Training on CPU cores that other work shares: threads fixed at one per core against the run's
share of the free cores (``cnnviz.cpu_share``), side by side in one run.

Two cases, each run ``lenet5-padded`` on ``digits`` in a process of its own:
- ``two_runs``: two runs at once (a student comparing settings).
- ``beside_busy_process``: one run beside a process that keeps one core busy.
``fixed`` calls ``train()`` with one thread per core (what every CPU run did before); ``shared``
is ``python -m cnnviz train``, whose threads follow the free cores. Images/s are each run's own
(training only, from ``train()``'s result); medians of the runs over all repeats.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = 15
REPEATS = 3
FIXED = ("import json, os, sys; from bench.bench_training import _Quiet; "
         "from cnnviz.training import TrainConfig, train; "
         f"config = TrainConfig(arch='lenet5-padded', epochs={EPOCHS}); "
         "print(json.dumps({'images_per_s': train(config, _Quiet(), threads=os.cpu_count()).images_per_s}))")


def _start(mode: str, home: str) -> subprocess.Popen:
    command = ([sys.executable, "-c", FIXED] if mode == "fixed" else
               [sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5-padded", "--epochs", str(EPOCHS), "--json"])
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "CNNVIZ_HOME": home})


def _images_per_s(process: subprocess.Popen) -> float:
    output, _ = process.communicate(timeout=600)
    if process.returncode != 0:
        raise RuntimeError(f"a benchmark run failed with exit status {process.returncode}")
    return json.loads(output.splitlines()[-1])["images_per_s"]


def _two_runs(mode: str) -> list[float]:
    with tempfile.TemporaryDirectory() as home:
        runs = [_start(mode, home) for _ in range(2)]
        return [_images_per_s(run) for run in runs]


def _beside_busy_process(mode: str) -> list[float]:
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        with tempfile.TemporaryDirectory() as home:
            return [_images_per_s(_start(mode, home))]
    finally:
        busy.kill()
        busy.wait()


def run() -> dict:
    results = {}
    for name, case in (("two_runs", _two_runs), ("beside_busy_process", _beside_busy_process)):
        samples = {"fixed": [], "shared": []}
        for _ in range(REPEATS):  # interleaved, so that a noisy moment hits both alike
            for mode in samples:
                samples[mode] += case(mode)
        median = {mode: statistics.median(values) for mode, values in samples.items()}
        results[name] = {"fixed_images_per_s_median": median["fixed"], "shared_images_per_s_median": median["shared"],
                         "speedup": median["shared"] / median["fixed"], "samples_images_per_s": samples}
    return {"cores": os.cpu_count(), "epochs": EPOCHS, **results}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
