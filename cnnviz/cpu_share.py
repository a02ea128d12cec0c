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
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return None


def _sample(peer_pids) -> tuple[float, int, int, dict[int, int]] | None:
    """(now, busy ticks of all CPUs, this process's ticks, each live peer's ticks); None where
    ``/proc`` cannot be read (another system, a sandbox): the run then keeps its threads."""
    try:
        busy = _busy_ticks()
    except (OSError, ValueError, IndexError):
        return None
    own = _process_ticks("self")
    if own is None:
        return None
    peers = {pid: ticks for pid in peer_pids if (ticks := _process_ticks(pid)) is not None}
    return time.monotonic(), busy, own, peers


def supported() -> bool:
    return _sample([]) is not None


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
    the previous call. Where ``/proc`` cannot be read it answers None: the threads stay as they are."""

    def __init__(self, cores: int | None = None):
        self.cores = cores or os.cpu_count() or 1
        self._last = _sample([])
        self.other_load = 0.0  # cores kept busy by other work in the last window

    def threads(self, peer_pids: list[int], most: int) -> int | None:
        """The threads to use now (``most`` at most), given the pids of the other cnnviz runs
        training on the CPU; None when the window since the previous call is too short to tell."""
        if self._last is None or time.monotonic() - self._last[0] < MIN_WINDOW_S:
            return None
        current = _sample(peer_pids)
        if current is None:
            return None
        (then, busy_then, own_then, peers_then), (now, busy, own, peers) = self._last, current
        # a peer first seen now counts as other work for this window: its earlier use is unknown
        peer_ticks = sum(ticks - peers_then[pid] for pid, ticks in peers.items() if pid in peers_then)
        others = busy - busy_then - (own - own_then) - peer_ticks
        self.other_load = max(0.0, others / TICKS_PER_S / (now - then))
        self._last = current
        return fair_threads(self.cores, self.other_load, 1 + len(peers), most)
