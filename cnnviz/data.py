"""Datasets for short training runs, held whole in memory (on the GPU when there is one).

``digits`` (scikit-learn's bundled 1,797 8×8 handwritten digits) needs no download and is the
default. ``mnist``, ``fashion-mnist`` and ``cifar10`` come through torchvision from
``CNNVIZ_HOME/data``: downloaded there when the network allows, otherwise a message says which
files to put where.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.messages import quoted
from cnnviz.paths import data_dir
from cnnviz.training_choices import DATASET_NAMES

SPLIT_SEED = 0  # the train/test split is fixed: runs with different seeds see the same test set


class DatasetUnavailable(Exception):
    """A torchvision dataset that is neither on disk nor downloadable; the message says what to do."""


@dataclass
class Dataset:
    name: str
    train_x: torch.Tensor  # N×C×H×W float in [0, 1]
    train_y: torch.Tensor  # N int64
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: list[str]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])


# Files torchvision reads, for the message of an offline machine.
EXPECTED_FILES = {
    "mnist": ("MNIST/raw", ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]),
    "fashion-mnist": ("FashionMNIST/raw", ["train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]),
    "cifar10": ("cifar-10-batches-py", ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                                        "data_batch_5", "test_batch", "batches.meta"]),
}
# Shape and classes known without loading: the page and the config check use them.
DATASET_SHAPES = {"digits": (1, 8, 8), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28),
                  "cifar10": (3, 32, 32)}
# (train, test) images: digits as split here, the others as torchvision's splits.
DATASET_SIZES = {"digits": (1437, 360), "mnist": (60000, 10000), "fashion-mnist": (60000, 10000),
                 "cifar10": (50000, 10000)}


def _digits_file() -> Path:
    """scikit-learn's bundled digits file, found without importing scikit-learn (~1 s of imports a
    worker process would pay before its first step)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailable("the digits dataset comes with scikit-learn, which is not installed: "
                                 "pip install -r requirements.txt")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices: each class shuffled by ``seed`` and cut in the same proportion; the
    test set has ⌈fraction·N⌉ images, the classes' shares rounded by largest remainder."""
    classes, counts = np.unique(labels, return_counts=True)
    test_total = math.ceil(test_fraction * len(labels))
    exact = counts * test_total / len(labels)
    quota = np.floor(exact).astype(int)
    quota[np.argsort(-(exact - quota), kind="stable")[:test_total - quota.sum()]] += 1
    rng = np.random.default_rng(seed)
    train, test = [], []
    for cls, n_test in zip(classes, quota):
        members = rng.permutation(np.flatnonzero(labels == cls))
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def _digits() -> Dataset:
    with gzip.open(_digits_file(), "rt") as file:
        table = np.loadtxt(file, delimiter=",", dtype=np.float32)
    images = table[:, :-1].reshape(-1, 1, 8, 8) / 16.0  # values 0..16
    labels = table[:, -1].astype(np.int64)
    train, test = stratified_split(labels, 0.2, SPLIT_SEED)
    return Dataset("digits", torch.from_numpy(images[train]), torch.from_numpy(labels[train]),
                   torch.from_numpy(images[test]), torch.from_numpy(labels[test]), [str(d) for d in range(10)])


def _torchvision(name: str, allow_download: bool) -> Dataset:
    import torchvision

    cls = {"mnist": torchvision.datasets.MNIST, "fashion-mnist": torchvision.datasets.FashionMNIST,
           "cifar10": torchvision.datasets.CIFAR10}[name]
    root = data_dir()
    try:
        train = cls(root=str(root), train=True, download=False)
        test = cls(root=str(root), train=False, download=False)
    except RuntimeError:
        if not allow_download:
            raise DatasetUnavailable(_missing_message(name)) from None
        try:
            train = cls(root=str(root), train=True, download=True)
            test = cls(root=str(root), train=False, download=True)
        except Exception:
            raise DatasetUnavailable(_missing_message(name)) from None

    def tensors(split):
        """N×C×H×W floats in [0, 1] as one float copy of the uint8 images: permuted as uint8, divided
        in place (float().div() and permute().contiguous() each held two float copies at once)."""
        data = torch.as_tensor(np.asarray(split.data))
        data = data[:, None] if data.dim() == 3 else data.permute(0, 3, 1, 2)
        images = data.to(torch.float32, memory_format=torch.contiguous_format).div_(255)
        return images, torch.as_tensor(np.asarray(split.targets)).long()

    train_x, train_y = tensors(train)
    test_x, test_y = tensors(test)
    return Dataset(name, train_x, train_y, test_x, test_y, list(train.classes))


def _missing_message(name: str) -> str:
    folder, files = EXPECTED_FILES[name]
    where = data_dir() / folder
    return (f"{name} is not on this machine and could not be downloaded. Put these files "
            f"(as torchvision downloads them, unpacked) in {where}: {', '.join(files)}; "
            f"or use the 'digits' dataset, which needs no download.")


def dataset_on_disk(name: str) -> bool:
    """Whether the files torchvision reads for ``name`` are in ``CNNVIZ_HOME/data`` (digits: always).
    A few stat() calls, no network: cheap enough for any check before a run."""
    if name not in EXPECTED_FILES:
        return True
    folder, files = EXPECTED_FILES[name]
    return all((data_dir() / folder / file).is_file() for file in files)


def fetch_dataset(name: str) -> None:
    """Download ``name`` when it is not on disk; DatasetUnavailable (its message names the files to put
    where) when that cannot be done. The CLI calls this before it creates a run, so an offline machine
    refuses the run with the message instead of recording a failed one."""
    if not dataset_on_disk(name):
        load_dataset(name)


def load_dataset(name: str, allow_download: bool = True) -> Dataset:
    if name == "digits":
        return _digits()
    if name in EXPECTED_FILES:
        return _torchvision(name, allow_download)
    raise ValueError(f"unknown dataset {quoted(name)}; choose one of {', '.join(DATASET_NAMES)}")


def adapt_images(images: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """Resize to the network's H×W and repeat or average the channels to its C."""
    channels, height, width = shape
    if tuple(images.shape[-2:]) != (height, width):
        images = F.interpolate(images, size=(height, width), mode="bilinear", align_corners=False)
    if images.shape[1] != channels:
        if images.shape[1] == 1:
            images = images.expand(-1, channels, -1, -1)
        else:
            images = images.mean(dim=1, keepdim=True).expand(-1, channels, -1, -1)
    return images.contiguous()


ADAPT_CHUNK_BYTES = 16 * 2**20  # a chunk and its temporaries: ~2% of a 1 GB dataset


def adapt_dataset(images: torch.Tensor, shape: tuple[int, int, int], device: torch.device | str = "cpu",
                  chunk_bytes: int = ADAPT_CHUNK_BYTES) -> torch.Tensor:
    """``adapt_images`` of all ``images``, as one float32 channels_last tensor on ``device``, filled a
    chunk of about ``chunk_bytes`` at a time. Its peak is that tensor and one chunk's temporaries:
    adapting it whole, then making it channels_last, held two to three copies (VGG's 3×224×224
    digits: 2.2 GB for a 1.1 GB dataset)."""
    out = torch.empty((len(images), *shape), device=device, memory_format=torch.channels_last)
    chunk = max(1, chunk_bytes // (math.prod(shape) * 4))
    for start in range(0, len(images), chunk):
        out[start:start + chunk].copy_(adapt_images(images[start:start + chunk].to(device), shape))
    return out


def adaptation_text(source: tuple[int, int, int], target: tuple[int, int, int]) -> str:
    """What was done to the images, for the run's config: '1×8×8 → 1×32×32 (resized)'."""
    steps = []
    if source[1:] != target[1:]:
        steps.append("resized")
    if source[0] != target[0]:
        steps.append("channels repeated" if source[0] == 1 else "channels averaged")
    arrow = f"{'×'.join(map(str, source))} → {'×'.join(map(str, target))}"
    return f"{arrow} ({', '.join(steps)})" if steps else f"{arrow} (unchanged)"
