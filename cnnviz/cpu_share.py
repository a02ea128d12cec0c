"""How many threads a training run on the CPU should use while other work shares its cores.

torch's OpenMP threads wait for each other at the end of every parallel region: when one of them
loses its core to another process, all of them wait: on 2 cores, a LeNet run with one thread
per core beside one busy process trains 7× slower than one that leaves that core to it
(bench/results/shared_cpu.json). So a run measures the CPU time that other processes use, takes only the
cores left, and shares them equally with the other cnnviz runs training on the CPU (whose own
use it does not count as other work: each of them adapts too). Linux only (``/proc``); elsewhere
a run keeps the threads it started with.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
MIN_WINDOW_S = 0.2  # shorter windows count too few clock ticks to tell a load from noise
LIGHT_LOAD = 0.3  # cores: an idle browser, a shell; not worth giving up a thread for


def _busy_ticks() -> int:
    """CPU time spent by all processes on all CPUs (not idle, not waiting for the disk)."""
    with open(PROC / "stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4]


def _process_ticks(pid: int | str) -> int | None:
    """User and system CPU time of process ``pid``, all its threads; None once it is gone."""
    try:
        with open(PROC / str(pid) / "stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()  # the name in (…) may hold spaces
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def supported() -> bool:
    return (PROC / "stat").is_file() and (PROC / "self" / "stat").is_file()


def threads_text(info: dict) -> str | None:
    """A run's threads as its info records them: "2 threads", or "1–2 threads (fewer while other
    work used the CPU)" once they changed; None off the CPU."""
    if info.get("threads_range"):
        fewest, most = info["threads_range"]
        return f"{fewest}–{most} threads (fewer while other work used the CPU)"
    if info.get("threads"):
        return f"{info['threads']} thread{'s' if info['threads'] > 1 else ''}"
    return None


def fair_threads(cores: int, other_load: float, runs: int, most: int) -> int:
    """Threads for one of ``runs`` cnnviz runs when other processes keep ``other_load`` cores busy."""
    free = cores - other_load + LIGHT_LOAD
    return max(1, min(most, math.floor(free / runs)))


class CpuShare:
    """Call :meth:`threads` now and then (twice a second); it answers from the CPU time used since
    the previous call."""

    def __init__(self, cores: int | None = None):
        self.cores = cores or os.cpu_count() or 1
        self._time, self._busy, self._own, self._peers = time.monotonic(), _busy_ticks(), _process_ticks("self"), {}
        self.other_load = 0.0  # cores kept busy by other work in the last window

    def threads(self, peer_pids: list[int], most: int) -> int | None:
        """The threads to use now (``most`` at most), given the pids of the other cnnviz runs
        training on the CPU; None when the window since the previous call is too short to tell."""
        now = time.monotonic()
        if now - self._time < MIN_WINDOW_S:
            return None
        busy, own = _busy_ticks(), _process_ticks("self")
        peers = {pid: ticks for pid in peer_pids if (ticks := _process_ticks(pid)) is not None}
        # a peer first seen now counts as other work for this window: its earlier use is unknown
        peer_ticks = sum(ticks - self._peers[pid] for pid, ticks in peers.items() if pid in self._peers)
        others = busy - self._busy - (own - self._own) - peer_ticks
        self.other_load = max(0.0, others / TICKS_PER_S / (now - self._time))
        self._time, self._busy, self._own, self._peers = now, busy, own, peers
        return fair_threads(self.cores, self.other_load, 1 + len(peers), most)
