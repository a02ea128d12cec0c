"""Training speed on a CUDA GPU: the benchmarks of ``bench_training`` (the engine against the
PyTorch MNIST example's loop, batch 64 and 512, and the time to 98% from the command line), run
with ``--device cuda`` and written to a file of their own, with the GPU's name. Target (issue 6):
≥ 20× the example's images/s.

Without a CUDA GPU there is nothing to measure: the benchmark says so and leaves the last GPU
results as they are. On a lent GPU machine (torch but no streamlit), ``bash bench/device_check.sh``
runs this and the GPU tests in one go.
"""

from __future__ import annotations

from bench.bench_training import throughput, time_to_accuracy
from bench.common import NothingToMeasure


def run() -> dict:
    import torch

    if not torch.cuda.is_available():
        raise NothingToMeasure("no CUDA GPU on this machine")
    return {"throughput": throughput("cuda"), "time_to_98_percent": time_to_accuracy("cuda")}
