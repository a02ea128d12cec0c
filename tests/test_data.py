"""The torchvision datasets through their real loading code, on small files in their own format."""

import struct

import numpy as np
import pytest
import torch

from cnnviz.data import DatasetUnavailable, load_dataset


def write_idx(path, array: np.ndarray) -> None:
    """MNIST's IDX format: magic (0, 0, type 0x08 = ubyte, dims), sizes, then the bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist_files(home, folder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """12 train and 5 test images of random bytes in ``home/data/folder/raw``; (images, labels) of each."""
    raw = home / "data" / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    train_images, test_images = rng.integers(0, 256, (12, 28, 28)), rng.integers(0, 256, (5, 28, 28))
    train_labels, test_labels = np.arange(12) % 10, np.arange(5)
    write_idx(raw / "train-images-idx3-ubyte", train_images)
    write_idx(raw / "train-labels-idx1-ubyte", train_labels)
    write_idx(raw / "t10k-images-idx3-ubyte", test_images)
    write_idx(raw / "t10k-labels-idx1-ubyte", test_labels)
    return train_images, train_labels, test_images, test_labels


CIFAR10_BATCHES = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_cifar10_files(home, monkeypatch) -> dict[str, tuple[np.ndarray, list[int]]]:
    """CIFAR-10's python batches (pickled dicts of N×3072 rows: 1024 red, 1024 green, 1024 blue values),
    two images a batch. torchvision checks each file's md5 against the real dataset; these files are
    ours, so that check alone is replaced by "the file exists" — the loading itself is torchvision's."""
    import os
    import pickle

    import torchvision.datasets.cifar

    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda path, md5=None: os.path.isfile(path))
    folder = home / "data" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    batches = {name: (rng.integers(0, 256, (2, 3072), dtype=np.uint8), [n % 10, (n + 3) % 10])
               for n, name in enumerate(CIFAR10_BATCHES)}
    for name, (rows, labels) in batches.items():
        with open(folder / name, "wb") as file:
            pickle.dump({"data": rows, "labels": labels}, file)
    with open(folder / "batches.meta", "wb") as file:
        pickle.dump({"label_names": CIFAR10_CLASSES}, file)
    return batches


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_formats_load_from_cnnviz_home(cnnviz_home, name, folder):
    train_images, train_labels, test_images, _ = write_mnist_files(cnnviz_home, folder)
    data = load_dataset(name, allow_download=False)
    assert data.train_x.shape == (12, 1, 28, 28) and data.test_x.shape == (5, 1, 28, 28)
    assert torch.equal(data.train_y, torch.tensor(train_labels))
    assert torch.allclose(data.test_x[3, 0], torch.tensor(test_images[3] / 255, dtype=torch.float32))
    assert len(data.classes) == 10


@pytest.mark.parametrize("name, where", [("cifar10", "cifar-10-batches-py"), ("mnist", "MNIST/raw")])
def test_missing_dataset_offline_names_files_and_folder(cnnviz_home, name, where):
    with pytest.raises(DatasetUnavailable) as error:
        load_dataset(name, allow_download=False)
    message = str(error.value)
    assert str(cnnviz_home / "data" / where) in message
    assert ("data_batch_1" if name == "cifar10" else "train-images-idx3-ubyte") in message
    assert "digits" in message


def test_cifar10_format_loads_from_cnnviz_home(cnnviz_home, monkeypatch):
    batches = write_cifar10_files(cnnviz_home, monkeypatch)
    data = load_dataset("cifar10", allow_download=False)
    assert data.train_x.shape == (10, 3, 32, 32) and data.test_x.shape == (2, 3, 32, 32)
    rows, labels = batches["data_batch_3"]
    assert torch.equal(data.train_x[4], torch.tensor(rows[0].reshape(3, 32, 32) / 255, dtype=torch.float32))
    assert data.train_y[4:6].tolist() == labels
    assert data.test_y.tolist() == batches["test_batch"][1] and data.classes == CIFAR10_CLASSES
    # and a run trains on them, the colour images averaged to LeNet-5's one channel
    from cnnviz.training import TrainConfig, train
    from tests.test_training import ListRecorder

    recorder = ListRecorder()
    result = train(TrainConfig(arch="lenet5", dataset="cifar10", epochs=1, batch_size=4), recorder)
    assert recorder.info["adaptation"] == "3×32×32 → 1×32×32 (channels averaged)"
    assert recorder.info["train_size"] == 10 and sum(map(sum, result.confusion)) == 2


def peak_torch_bytes(function):
    """``function()`` and the most CPU memory torch's allocator held at once while it ran (the
    profiler's allocations and frees in time order; numpy's and torchvision's own buffers not seen)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as profiler:
        result = function()
    held = peak = 0
    for event in sorted(profiler.events(), key=lambda event: event.time_range.start):
        held += event.self_cpu_memory_usage
        peak = max(peak, held)
    return result, peak


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST"), ("cifar10", None)])
def test_images_are_the_float_div_255_bit_for_bit_made_in_one_float_copy(cnnviz_home, monkeypatch, name, folder):
    """The in-place conversion gives exactly the values of ``data.float().div(255)`` (then, for CIFAR's
    N×H×W×C, ``permute(0, 3, 1, 2).contiguous()``), and never holds a second float copy: the peak is
    the loaded tensors themselves (it was 1.4–1.7× them)."""
    if name == "cifar10":
        batches = write_cifar10_files(cnnviz_home, monkeypatch)
        rows = [np.concatenate([batches[b][0] for b in CIFAR10_BATCHES[:5]]), batches["test_batch"][0]]
        sources = [r.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1) for r in rows]  # torchvision's split.data
        old = [torch.as_tensor(s).float().div(255).permute(0, 3, 1, 2).contiguous() for s in sources]
    else:
        train_images, _, test_images, _ = write_mnist_files(cnnviz_home, folder)
        sources = [torch.as_tensor(images.astype(np.uint8)) for images in (train_images, test_images)]
        old = [source.float().div(255)[:, None].contiguous() for source in sources]
    data, peak = peak_torch_bytes(lambda: load_dataset(name, allow_download=False))
    for new, before in zip((data.train_x, data.test_x), old, strict=True):
        assert new.dtype == torch.float32 and new.is_contiguous()
        assert torch.equal(new, before)
    loaded = sum(t.nbytes for t in (data.train_x, data.train_y, data.test_x, data.test_y))
    assert peak <= 1.05 * loaded, (peak, loaded)
