"""How much memory there is, and whether an error is the allocator running out of it: shared by
training (a run too large is refused before it starts) and torchinfo (which builds real weights)."""

from __future__ import annotations

import torch


def available_memory(device: torch.device) -> int | None:
    """Bytes a run can use: the GPU's memory, or the memory Linux reports available (None where
    it cannot be told; the run then simply starts)."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    try:
        with open("/proc/meminfo") as meminfo:
            line = next(line for line in meminfo if line.startswith("MemAvailable:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) * 1024


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA's OutOfMemoryError, or the CPU allocator's RuntimeError ("can't allocate memory")."""
    text = str(exc).lower()
    return (isinstance(exc, (MemoryError, torch.OutOfMemoryError))
            or "out of memory" in text or "can't allocate memory" in text)
