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


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_formats_load_from_cnnviz_home(cnnviz_home, name, folder):
    raw = cnnviz_home / "data" / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    train_images, test_images = rng.integers(0, 256, (12, 28, 28)), rng.integers(0, 256, (5, 28, 28))
    train_labels, test_labels = np.arange(12) % 10, np.arange(5)
    write_idx(raw / "train-images-idx3-ubyte", train_images)
    write_idx(raw / "train-labels-idx1-ubyte", train_labels)
    write_idx(raw / "t10k-images-idx3-ubyte", test_images)
    write_idx(raw / "t10k-labels-idx1-ubyte", test_labels)
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
