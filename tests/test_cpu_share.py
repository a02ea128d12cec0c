"""A CPU run takes the cores that other work leaves free, and shares them with other cnnviz runs."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cnnviz import cpu_share
from cnnviz.cpu_share import CpuShare, fair_threads

ROOT = Path(__file__).resolve().parents[1]
linux_only = pytest.mark.skipif(not cpu_share.supported(), reason="measures CPU time through /proc (Linux)")
several_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core has no threads to give up")


def test_fair_threads_gives_the_free_cores_and_shares_them_between_runs():
    assert fair_threads(cores=2, other_load=0.0, runs=1, most=2) == 2
    assert fair_threads(cores=2, other_load=0.2, runs=1, most=2) == 2  # a light load keeps its thread
    assert fair_threads(cores=2, other_load=1.0, runs=1, most=2) == 1
    assert fair_threads(cores=2, other_load=2.0, runs=1, most=2) == 1  # never fewer than one
    assert fair_threads(cores=8, other_load=0.0, runs=1, most=7) == 7  # never more than it started with
    assert fair_threads(cores=8, other_load=0.0, runs=3, most=8) == 2  # floor(8.3 / 3)
    assert fair_threads(cores=8, other_load=2.0, runs=2, most=8) == 3  # floor(6.3 / 2)
    assert fair_threads(cores=16, other_load=3.5, runs=4, most=16) == 3  # floor(12.8 / 4)


def _busy_process() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


@linux_only
@several_cores
def test_a_busy_process_takes_a_thread_unless_it_is_a_cnnviz_run():
    busy = _busy_process()
    try:
        share = CpuShare()
        time.sleep(0.6)
        alone = share.threads([], most=os.cpu_count())
        assert share.other_load > 0.7  # it keeps a core busy
        assert alone <= os.cpu_count() - 1
        time.sleep(0.3)
        share.threads([busy.pid], most=1)  # first seen as a cnnviz run: from here on its use is known
        time.sleep(0.6)
        shared = share.threads([busy.pid], most=os.cpu_count())
        assert share.other_load < 0.5  # not counted as other work: that run shares the cores instead
        assert shared == max(1, min(os.cpu_count(), int((os.cpu_count() - share.other_load + 0.3) // 2)))
    finally:
        busy.kill()
        busy.wait()


def test_a_window_too_short_to_measure_decides_nothing():
    if not cpu_share.supported():
        pytest.skip("measures CPU time through /proc (Linux)")
    share = CpuShare()
    assert share.threads([], most=2) is None


def test_without_a_readable_proc_the_threads_stay_as_they_are(tmp_path, monkeypatch):
    monkeypatch.setattr(cpu_share, "PROC", tmp_path)  # no /proc at all (macOS, Windows)
    assert not cpu_share.supported()
    share = CpuShare()
    time.sleep(0.3)
    assert share.threads([], most=2) is None
    (tmp_path / "self").mkdir()
    (tmp_path / "stat").write_text("cpu  garbage\n")  # a /proc that is not Linux's
    (tmp_path / "self" / "stat").write_text("1 (python) R")
    assert not cpu_share.supported() and CpuShare().threads([], most=2) is None


def test_the_store_names_the_other_runs_training_on_the_cpu(cnnviz_home):
    from cnnviz.runs import RunStore
    from cnnviz.training import TrainConfig

    store = RunStore()
    cpu = "CPU (2 cores)"
    runs = {}
    for name, status, device, pid in (("this", "running", cpu, 101), ("other", "running", cpu, 102),
                                      ("gpu", "running", "NVIDIA H200", 103), ("done", "completed", cpu, 104),
                                      ("queued", "queued", None, 105), ("no pid", "running", cpu, None)):
        runs[name] = store.create_run(TrainConfig(arch="lenet5"))
        store.update(runs[name], status=status, device=device, pid=pid)
    assert store.cpu_run_pids(excluding=runs["this"]) == [102]


@linux_only
@several_cores
def test_a_cli_run_beside_a_busy_process_uses_fewer_threads(cnnviz_home):
    busy = _busy_process()
    try:
        time.sleep(0.5)
        result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5-padded", "--epochs", "3",
                                 "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    finally:
        busy.kill()
        busy.wait()
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["threads"] == os.cpu_count()  # what it may use: one thread per core
    from cnnviz.runs import RunStore

    info = RunStore().get_run(events[0]["run_id"]).info
    assert info["threads_range"][0] <= os.cpu_count() - 1  # gave up a thread to the busy process
