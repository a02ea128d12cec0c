"""Training speed: the engine against the canonical PyTorch MNIST-example loop, and time to 98%.

Throughput: the same model (lenet5-padded), the same images (digits at 28×28), the same optimizer,
batch 64 and 512, measured side by side in one run. The baseline is the loop of PyTorch's MNIST
example: a DataLoader over a Dataset that passes every image through PIL, ToTensor and Normalize,
``loss.item()`` every 10 batches for its log, and after every epoch its ``test()`` over the test
split (DataLoader of batch 1000, ``.item()`` per batch), as the engine evaluates after every epoch
too. Both count training images per second of the whole loop. Target (issue 6): ≥ 4× here, ≥ 20×
on a GPU.

The engine runs in its default precision (bfloat16 autocast where the hardware has it: a GPU, a
CPU with AMX or AVX512-BF16) and in float32; ``baseline_model_only`` is the baseline's model and
optimizer on one fixed batch, which tells how much of the baseline's time is data loading.

Time to accuracy: ``python -m cnnviz train --arch lenet5-padded --dataset digits`` from the
command to the result, in a fresh process (imports included). Target: ≥ 98% in under 10 s.

This file measures the CPU (``--device cpu``, also on a machine with a GPU); ``bench_training_gpu``
measures a CUDA GPU with the same functions, into a file of its own, so that neither machine's
numbers overwrite the other's.
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
EPOCHS = 10  # 14,370 images a measurement: long enough that one-time start-up costs do not decide it
REPEATS = 5


class _Quiet:
    def started(self, info): pass
    def step(self, step, epoch, values): pass
    def epoch(self, epoch, step, values): pass
    def should_stop(self): return False


def _engine_images_per_s(batch_size: int, device: str, precision: str = "auto") -> float:
    from cnnviz.training import TrainConfig, train

    config = TrainConfig(arch="lenet5-padded", epochs=EPOCHS, batch_size=batch_size, lr=1e-3,
                         schedule="constant", device=device, precision=precision)
    return train(config, _Quiet()).images_per_s


def _baseline_model_only_images_per_s(batch_size: int, device: str) -> float:
    """The baseline's model and optimizer on one fixed batch, no data loading at all: the part of
    the baseline's time that is computation, which no data pipeline can remove."""
    import torch
    import torch.nn.functional as F

    from cnnviz.zoo import create_model

    model = create_model("lenet5-padded").to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    images = torch.randn(batch_size, 1, 28, 28, device=device)
    targets = torch.randint(0, 10, (batch_size,), device=device)
    steps = EPOCHS * -(-1437 // batch_size)
    start = time.perf_counter()
    for step in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images), targets)
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            loss.item()
    if device == "cuda":
        torch.cuda.synchronize()
    return steps * batch_size / (time.perf_counter() - start)


def _baseline_images_per_s(batch_size: int, device: str) -> float:
    import torch
    import torch.nn.functional as F
    from PIL import Image
    from torchvision import transforms

    from cnnviz.data import adapt_images, load_dataset
    from cnnviz.zoo import create_model

    data = load_dataset("digits")
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])

    class PilDataset(torch.utils.data.Dataset):
        def __init__(self, images, labels):
            self.pixels = (adapt_images(images, (1, 28, 28))[:, 0] * 255).round().byte().numpy()
            self.labels = labels.numpy()

        def __len__(self):
            return len(self.labels)

        def __getitem__(self, index):
            return transform(Image.fromarray(self.pixels[index], mode="L")), int(self.labels[index])

    cuda_kwargs = {"num_workers": 1, "pin_memory": True} if device == "cuda" else {}
    loader = torch.utils.data.DataLoader(PilDataset(data.train_x, data.train_y), batch_size=batch_size,
                                         shuffle=True, **cuda_kwargs)
    test_loader = torch.utils.data.DataLoader(PilDataset(data.test_x, data.test_y), batch_size=1000,
                                              **cuda_kwargs)
    model = create_model("lenet5-padded").to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    seen = 0
    start = time.perf_counter()
    for _ in range(EPOCHS):
        for batch, (images, targets) in enumerate(loader):
            images, targets = images.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(images), targets)
            loss.backward()
            optimizer.step()
            seen += len(images)
            if batch % 10 == 0:
                loss.item()  # the example's log line
        model.eval()  # the example's test(), after every epoch
        test_loss = correct = 0
        with torch.no_grad():
            for images, targets in test_loader:
                images, targets = images.to(device), targets.to(device)
                output = model(images)
                test_loss += F.cross_entropy(output, targets, reduction="sum").item()
                correct += output.argmax(dim=1).eq(targets).sum().item()
        model.train()
    if device == "cuda":
        torch.cuda.synchronize()
    return seen / (time.perf_counter() - start)


def time_to_accuracy(device: str, repeats: int = 3) -> dict:
    times, accuracies = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as home:
            start = time.perf_counter()
            output = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5-padded",
                                     "--dataset", "digits", "--device", device, "--json"], cwd=ROOT, check=True,
                                    capture_output=True, text=True, env={**os.environ, "CNNVIZ_HOME": home}).stdout
            times.append(time.perf_counter() - start)
        accuracies.append(json.loads(output.splitlines()[-1])["test_accuracy"])
    return {"wall_s_median": statistics.median(times), "wall_s": times, "test_accuracy": accuracies,
            "target_s": 10.0, "target_accuracy": 0.98}


def throughput(device: str) -> dict:
    """The engine against the baseline on ``device``, batch 64 and 512, each a row of medians."""
    import torch

    from cnnviz.training import device_name, resolve_precision

    rows = {}
    for batch_size in (64, 512):
        samples = {"engine": [], "engine_float32": [], "baseline": [], "baseline_model_only": []}
        for _ in range(REPEATS):  # interleaved, so that a noisy moment hits all of them alike
            samples["engine"].append(_engine_images_per_s(batch_size, device))
            samples["engine_float32"].append(_engine_images_per_s(batch_size, device, "float32"))
            samples["baseline"].append(_baseline_images_per_s(batch_size, device))
            samples["baseline_model_only"].append(_baseline_model_only_images_per_s(batch_size, device))
        median = {name: statistics.median(values) for name, values in samples.items()}
        rows[f"{device}-batch{batch_size}"] = {
            **{f"{name}_images_per_s_median": value for name, value in median.items()},
            "engine_precision": resolve_precision("auto", torch.device(device)),
            "speedup": median["engine"] / median["baseline"],
            "speedup_float32": median["engine_float32"] / median["baseline"],
            "baseline_share_loading": 1 - median["baseline"] / median["baseline_model_only"],
            "target_speedup": 20 if device == "cuda" else 4,
            "device_name": device_name(torch.device(device)),
            "samples_images_per_s": samples,
        }
    return rows


def run() -> dict:
    return {"throughput": throughput("cpu"), "time_to_98_percent": time_to_accuracy("cpu")}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
