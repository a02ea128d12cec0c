"""Helpers shared by the benchmarks: repeated timing and the record of the machine."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime


class NothingToMeasure(Exception):
    """This machine lacks what a benchmark measures (a GPU): its last results stay as they are."""


def time_median(function: Callable[[], object], repeats: int = 5, warmup: int = 1) -> dict:
    """Median, min and max wall time of ``function()`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
            "repeats": repeats}


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux): these VMs change from one session to the next."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            return next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                        platform.processor())
    except OSError:
        return platform.processor()


def machine_record() -> dict:
    import torch

    record = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu_model(),
        # the vector instructions PyTorch's CPU kernels use here (AVX2, AVX512): they set the speed of a step
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "cuda_device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }
    try:
        import streamlit

        record["streamlit"] = streamlit.__version__
    except ImportError:  # the GPU machine has no streamlit
        pass
    return record
