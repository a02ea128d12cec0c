"""The training engine, the run store and the worker processes, on the bundled digits."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import cnnviz.runs
import cnnviz.training
import cnnviz.worker
from cnnviz.commands.training import _ProgressPrinter
from cnnviz.data import (
    DATASET_SIZES,
    SPLIT_SEED,
    adapt_dataset,
    adapt_images,
    adaptation_text,
    load_dataset,
    stratified_split,
)
from cnnviz.folded_pool import fold_few_channel_pools
from cnnviz.runs import RunStore, StoreUnavailable, launch_run
from cnnviz.training import (
    ConfigError,
    TrainConfig,
    memory_needed,
    pool_before_relu,
    resolve_precision,
    smoothed_loss_floor,
    train,
    trainable_architectures,
)
from cnnviz.worker import execute
from cnnviz.zoo import create_model, get_architecture
from tests.live_app import ROOT


class ListRecorder:
    def __init__(self, stop_after_steps=None):
        self.info, self.steps, self.epochs, self.stop_after_steps = None, [], [], stop_after_steps

    def started(self, info):
        self.info = info

    def step(self, step, epoch, values):
        self.steps.append((step, epoch, values))

    def epoch(self, epoch, step, values):
        self.epochs.append((epoch, step, values))

    def should_stop(self):
        return self.stop_after_steps is not None and len(self.steps) >= self.stop_after_steps


def test_digits_split_is_fixed_stratified_and_real():
    data = load_dataset("digits")
    assert data.train_x.shape == (1437, 1, 8, 8) and data.test_x.shape == (360, 1, 8, 8)
    assert float(data.train_x.min()) == 0.0 and float(data.train_x.max()) == 1.0
    assert torch.bincount(data.test_y).tolist() == torch.bincount(load_dataset("digits").test_y).tolist()
    assert torch.bincount(data.test_y).min() >= 35  # every class in the test set (stratified)


def test_digits_are_scikit_learns_split_by_our_stratified_split():
    from sklearn.datasets import load_digits

    reference = load_digits()  # the independent loader of the same bundled file
    train_index, test_index = stratified_split(reference.target, 0.2, SPLIT_SEED)
    data = load_dataset("digits")
    assert torch.equal(data.test_x[:, 0], torch.from_numpy(reference.images[test_index] / 16).float())
    assert torch.equal(data.train_y, torch.from_numpy(reference.target[train_index]))
    assert sorted([*train_index, *test_index]) == list(range(1797))


def test_stratified_split_keeps_each_class_share():
    labels = np.repeat(np.arange(3), [47, 33, 20])  # 100 labels; a quarter of each: 11.75, 8.25, 5
    train_index, test_index = stratified_split(labels, 0.25, seed=3)
    assert len(test_index) == 25 and not set(train_index) & set(test_index)
    assert np.bincount(labels[test_index]).tolist() == [12, 8, 5]  # the one left over: largest remainder
    assert np.array_equal(stratified_split(labels, 0.25, seed=3)[1], test_index)
    assert not np.array_equal(stratified_split(labels, 0.25, seed=4)[1], test_index)


def test_a_worker_starts_without_the_slow_imports():
    """scikit-learn (~1 s) and the shape analysis (torch._dynamo, ~1 s) stay out of a worker's start-up."""
    code = ("import sys; from cnnviz.data import load_dataset; import cnnviz.worker; load_dataset('digits'); "
            "print(sorted(m for m in ('sklearn', 'cnnviz.analysis', 'torchvision', 'torchinfo') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr


def test_images_are_adapted_to_the_network():
    images = torch.rand(4, 1, 8, 8)
    adapted = adapt_images(images, (3, 32, 32))
    assert adapted.shape == (4, 3, 32, 32)
    assert torch.equal(adapted[:, 0], adapted[:, 2])
    assert adapt_images(torch.rand(2, 3, 32, 32), (1, 32, 32)).shape == (2, 1, 32, 32)
    assert adaptation_text((1, 8, 8), (1, 32, 32)) == "1×8×8 → 1×32×32 (resized)"
    assert adaptation_text((1, 8, 8), (3, 32, 32)) == "1×8×8 → 3×32×32 (resized, channels repeated)"


@pytest.mark.parametrize("changes, message", [
    ({"batch_size": 0}, "batch size must be positive"),
    ({"lr": 0}, "learning rate must be positive"),
    ({"lr": -1e-3}, "learning rate must be positive"),
    ({"epochs": 0}, "epochs must be positive"),
    ({"optimizer": "rmsprop"}, "unknown optimizer 'rmsprop'"),
    ({"dataset": "imagenet"}, "unknown dataset 'imagenet'"),
    ({"arch": "lenet6"}, "unknown architecture 'lenet6'"),
    ({"arch": "simple-cnn"}, "simple-cnn does not fit its own input: fc expects 320 input features but receives "
                             "500 = 20×5×5"),
    ({"arch": "inception-block"}, "inception-block is one block, not a classifier: it outputs feature maps"),
    ({"device": "tpu"}, "unknown device 'tpu'"),
    ({"precision": "float16"}, "unknown precision 'float16'"),
    ({"lr": float("inf")}, "learning rate must be finite, got inf"),
    ({"epochs": float("inf")}, "epochs must be finite, got inf"),
    ({"epochs": 2.5}, "epochs must be a whole number, got 2.5"),
    ({"epochs": 1001}, "epochs must be at most 1,000, got 1,001: cnnviz trains short runs"),
    ({"epochs": 10**30}, "epochs must be at most 1,000, got 1,000,000,000,000,000,000,000,000,000,000:"),
    ({"batch_size": "64"}, "batch size must be a whole number, got '64'"),
    # it trained one batch of 1,437 an epoch while its settings said 5,000
    ({"batch_size": 5000}, r"batch size must be at most the 1,437 training images of digits, got 5,000 \(a batch "
                           r"of 1,437 is one step per epoch\)"),
    ({"batch_size": 60_001, "dataset": "mnist"}, "batch size must be at most the 60,000 training images of mnist"),
    ({"weight_decay": float("nan")}, "weight decay must be finite, got nan"),
    ({"weight_decay": float("inf")}, "weight decay must be finite, got inf"),
    ({"weight_decay": -1e-4}, "weight decay must not be negative, got -0.0001"),
    ({"momentum": 1.0}, r"momentum must be in \[0, 1\), got 1.0"),
    ({"momentum": float("nan")}, "momentum must be finite, got nan"),
    ({"label_smoothing": float("nan")}, "label smoothing must be finite, got nan"),
    ({"label_smoothing": 1.0}, r"label smoothing must be in \[0, 1\), got 1.0"),
    ({"seed": 99999999999999999999999}, r"seed must be a whole number from 0 to 2⁶⁴ − 1 "
                                        r"\(18446744073709551615\), got 99999999999999999999999"),
    ({"seed": -1}, r"seed must be a whole number from 0 to 2⁶⁴ − 1 .*got -1"),
    ({"seed": 1.5}, "seed must be a whole number"),
    ({"compile": "yes"}, "compile must be true or false, got 'yes'"),
    # a pasted blob is quoted by its start: 80 characters with the quotes and an ellipsis
    ({"optimizer": "x" * 10_000}, f"unknown optimizer '{'x' * 78}…; choose one of"),
    ({"arch": "y" * 10_000}, f"unknown architecture '{'y' * 78}….*python -m cnnviz list"),
    ({"batch_size": "6" * 10_000}, f"batch size must be a whole number, got '{'6' * 78}…$"),
])
def test_bad_configs_are_refused_before_anything_starts(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes).validate()


def test_the_largest_seed_torch_takes_is_accepted_and_whole_floats_become_ints():
    config = TrainConfig(seed=2**64 - 1, epochs=2.0)
    config.validate()
    assert config.epochs == 2 and isinstance(config.epochs, int)
    torch.Generator().manual_seed(config.seed)  # what train does with it: no overflow
    with pytest.raises(ValueError, match="Overflow"):  # one more and torch overflows: the bound is torch's
        torch.Generator().manual_seed(2**64)


def test_a_too_large_weight_decay_is_blamed_not_the_learning_rate():
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5-padded", epochs=1, optimizer="sgd", weight_decay=500,
                                          schedule="constant"))
    assert execute(store, run_id) == "diverged"
    error = store.get_run(run_id).error
    assert "the weight decay 500 is probably too high for the learning rate 0.01 (their product is 5" in error
    assert "learning rate 0.01 is probably too high" not in error


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message of a machine without CUDA")
def test_cuda_without_a_gpu_is_refused():
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        TrainConfig(device="cuda").validate()


def test_trainable_architectures_leave_out_a_lone_block_and_a_net_that_does_not_fit():
    ids = trainable_architectures("digits")
    assert "lenet5" in ids and "resnet20" in ids and "vgg-style" in ids
    assert "simple-cnn" not in ids and "inception-block" not in ids


def test_a_short_run_learns_and_records_steps_and_epochs():
    recorder = ListRecorder()
    result = train(TrainConfig(arch="lenet5", epochs=3, log_every=5), recorder)
    steps_per_epoch = -(-1437 // 64)
    assert recorder.info["adaptation"] == "1×8×8 → 1×32×32 (resized)"
    assert recorder.info["total_steps"] == 3 * steps_per_epoch
    assert [s for s, _, _ in recorder.steps][:3] == [5, 10, 15]
    assert recorder.steps[-1][0] == 3 * steps_per_epoch
    assert [e for e, _, _ in recorder.epochs] == [1, 2, 3]
    assert result.test_accuracy > 0.5  # chance is 0.1
    assert result.test_accuracy == pytest.approx(recorder.epochs[-1][2]["test_accuracy"])
    confusion = torch.tensor(result.confusion)
    assert confusion.sum() == 360
    assert confusion.diag().sum() / 360 == pytest.approx(result.test_accuracy)
    assert len(result.misclassified) == min(32, 360 - int(confusion.diag().sum()))
    wrong = result.misclassified[0]
    assert wrong["true"] != wrong["predicted"] and len(wrong["pixels"]) == 8


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_precision_is_applied_and_recorded(precision):
    recorder = ListRecorder()
    result = train(TrainConfig(arch="lenet5-padded", epochs=2, precision=precision), recorder)
    assert recorder.info["precision"] == precision
    assert result.test_accuracy > 0.8
    own = create_model("lenet5-padded").state_dict()  # the engine swaps ReLU and max-pool, not the weights
    assert [(k, v.shape) for k, v in result.state_dict.items()] == [(k, v.shape) for k, v in own.items()]


def test_pool_before_relu_moves_each_relu_past_the_max_pools_that_follow_it():
    net = nn.Sequential(OrderedDict(
        conv=nn.Conv2d(1, 4, 3), relu=nn.ReLU(), pool=nn.MaxPool2d(2), pool_again=nn.MaxPool2d(1),
        tanh=nn.Tanh(), pool_after_tanh=nn.MaxPool2d(2),  # only ReLU commutes with max exactly
        relu2=nn.ReLU(), average=nn.AvgPool2d(1),  # nor with an average
        relu3=nn.ReLU(), with_indices=nn.MaxPool2d(2, return_indices=True),  # a tuple ReLU cannot take
        inner=nn.Sequential(OrderedDict(relu=nn.ReLU(inplace=True), pool=nn.MaxPool2d(2))),
    ))
    assert pool_before_relu(net) is net
    assert list(net._modules) == ["conv", "pool", "pool_again", "relu", "tanh", "pool_after_tanh", "relu2",
                                  "average", "relu3", "with_indices", "inner"]
    assert list(net.inner._modules) == ["pool", "relu"]
    vgg = pool_before_relu(create_model("vgg11"))
    kinds = [type(module).__name__ for module in vgg.features]
    assert kinds[:6] == ["Conv2d", "MaxPool2d", "ReLU", "Conv2d", "MaxPool2d", "ReLU"]


def _fold_after_pool_before_relu(model):
    return fold_few_channel_pools(pool_before_relu(model))


@pytest.mark.parametrize("rewrite, precision", [
    (pool_before_relu, "float32"),
    (pool_before_relu, "bfloat16"),
    (fold_few_channel_pools, "float32"),
    (_fold_after_pool_before_relu, "bfloat16"),  # as the engine trains on this CPU
])
def test_the_engines_rewrites_train_to_the_same_weights_to_the_last_bit(rewrite, precision):
    """Half of every image blank, as in digits: a blank patch gives equal conv outputs, so the max-pool's
    windows hold ties, where the first maximum must take the gradient either way (a pool that shares a
    tie's gradient, as ``amax`` does, ends with other weights here)."""
    runs = []
    for rewritten in (False, True):
        torch.manual_seed(0)
        model = create_model("lenet5-padded").to(memory_format=torch.channels_last)
        initial = model.conv1.weight.detach().clone()
        if rewritten:
            assert rewrite(model) is model
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        data = torch.Generator().manual_seed(1)
        for _ in range(30):
            images = torch.randn(32, 1, 28, 28, generator=data)
            images[..., :14] = 0
            labels = torch.randint(0, 10, (32,), generator=data)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bfloat16"):
                loss = F.cross_entropy(model(images).float(), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        runs.append((model(images), model.state_dict()))
    (logits, weights), (logits_rewritten, weights_rewritten) = runs
    assert torch.equal(logits, logits_rewritten)
    assert list(weights) == list(weights_rewritten)
    assert all(torch.equal(weights[name], weights_rewritten[name]) for name in weights)
    assert not torch.equal(weights["conv1.weight"], initial)  # it trained


def test_auto_precision_follows_the_hardware():
    cpu = torch.device("cpu")
    assert resolve_precision("float32", cpu) == "float32" and resolve_precision("bfloat16", cpu) == "bfloat16"
    with open("/proc/cpuinfo") as cpuinfo:
        words = cpuinfo.read().split()  # read once: a second read() is at the end of the file
    native = "amx_bf16" in words or "avx512_bf16" in words
    assert resolve_precision("auto", cpu) == ("bfloat16" if native else "float32")


def test_compile_option_trains_a_compiled_model():
    from torch._dynamo.utils import counters

    counters.clear()
    result = train(TrainConfig(arch="lenet5-padded", epochs=2, compile=True), ListRecorder())
    assert counters["stats"]["unique_graphs"] >= 1  # dynamo captured the model's forward
    assert result.test_accuracy > 0.8


@pytest.mark.parametrize("epsilon, classes", [(0.1, 10), (0.3, 4), (0.0, 10)])
def test_smoothed_loss_floor_is_the_least_cross_entropy(epsilon, classes):
    floor = smoothed_loss_floor(epsilon, classes)
    target = torch.full((classes,), epsilon / classes)
    target[0] += 1 - epsilon
    best = target.clamp_min(1e-30).log()[None]  # logits whose softmax is the smoothed target itself
    label = torch.tensor([0])
    assert F.cross_entropy(best, label, label_smoothing=epsilon).item() == pytest.approx(floor, abs=1e-6)
    for _ in range(20):  # any other prediction does worse
        other = best + 0.5 * torch.randn_like(best)
        assert F.cross_entropy(other, label, label_smoothing=epsilon).item() >= floor - 1e-6
    if (epsilon, classes) == (0.1, 10):
        assert round(floor, 2) == 0.50


def test_seeded_runs_are_reproducible():
    first, second = ListRecorder(), ListRecorder()
    train(TrainConfig(arch="lenet5-padded", epochs=1, seed=7), first)
    train(TrainConfig(arch="lenet5-padded", epochs=1, seed=7), second)
    assert [v["loss"] for _, _, v in first.steps] == [v["loss"] for _, _, v in second.steps]


def test_store_records_a_run_in_process():
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=1))
    events = []
    assert execute(store, run_id, events.append) == "completed"
    record = store.get_run(run_id)
    assert record.status == "completed"
    assert record.final["test_accuracy"] == events[-1]["test_accuracy"]
    assert record.results["classes"] == [str(d) for d in range(10)]
    assert os.path.exists(record.final["checkpoint"])
    metrics = store.metrics(run_id)
    assert {(m.split, m.name) for m in metrics} >= {("train", "loss"), ("test", "accuracy"), ("train", "lr")}
    assert store.metrics(run_id, since_id=metrics[-1].id) == []
    assert [e["event"] for e in events][0] == "started" and events[-1]["event"] == "finished"


def test_a_huge_learning_rate_diverges():
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5-padded", epochs=2, lr=1e9, optimizer="sgd", schedule="constant"))
    assert execute(store, run_id) == "diverged"
    assert "learning rate" in store.get_run(run_id).error


def test_memory_need_counts_the_adapted_dataset_and_one_batch_of_layer_outputs():
    need = memory_needed(TrainConfig(arch="lenet5-padded", batch_size=64, precision="float32"), torch.device("cpu"))
    assert DATASET_SIZES["digits"] == (len(load_dataset("digits").train_y), len(load_dataset("digits").test_y))
    assert need.images_bytes == 1797 * 28 * 28 * 4
    # Every layer's output of one image: conv1 and relu1 6·28·28, pool1 6·14·14, conv2 and relu2
    # 16·10·10, pool2 and flatten 400, fc1 and relu3 120, fc2 and relu4 84, fc3 10.
    per_image = 2 * 4704 + 1176 + 2 * 1600 + 2 * 400 + 2 * 120 + 2 * 84 + 10
    assert need.activations_bytes == 64 * per_image * 4
    half = memory_needed(TrainConfig(arch="lenet5-padded", batch_size=64, precision="bfloat16"), torch.device("cpu"))
    assert half.activations_bytes == 64 * per_image * 2 and half.images_bytes == need.images_bytes
    # weights, gradients and Adam's two moments, float32: 4 copies of every parameter
    parameters = sum(p.numel() for p in create_model("lenet5-padded").parameters())
    assert need.model_bytes == 4 * 4 * parameters
    plain_sgd = memory_needed(TrainConfig(arch="lenet5-padded", optimizer="sgd", momentum=0.0), torch.device("cpu"))
    assert plain_sgd.model_bytes == 2 * 4 * parameters
    assert memory_needed(TrainConfig(arch="lenet5-padded", optimizer="sgd"), torch.device("cpu")).model_bytes == \
        3 * 4 * parameters
    assert need.total_bytes == need.images_bytes + need.loaded_bytes + need.model_bytes + need.activations_bytes


def test_memory_need_on_the_cpu_counts_the_dataset_as_loaded_too():
    """train() keeps the loaded dataset for the whole run beside its adapted copy (the misclassified
    images are drawn from it): on the CPU that is the same memory. For MNIST at LeNet's 1×28×28 it
    is as much again as the adapted copy; on a GPU it stays in the host's memory."""
    data = load_dataset("digits")
    loaded = data.train_x.nbytes + data.test_x.nbytes  # the real tensors: 1,797 float32 8×8 images
    config = TrainConfig(arch="lenet5-padded", precision="float32")
    on_cpu, on_gpu = memory_needed(config, torch.device("cpu")), memory_needed(config, torch.device("cuda"))
    assert on_cpu.loaded_bytes == loaded == 1797 * 8 * 8 * 4
    assert on_gpu.loaded_bytes == 0
    assert on_cpu.total_bytes - on_gpu.total_bytes == loaded
    shape = get_architecture("lenet5-padded").input_shape
    adapted = adapt_dataset(data.train_x, shape).nbytes + adapt_dataset(data.test_x, shape).nbytes
    assert on_cpu.images_bytes == adapted  # and the adapted copy beside it, measured the same way
    mnist = memory_needed(TrainConfig(arch="lenet5-padded", dataset="mnist"), torch.device("cpu"))
    assert mnist.loaded_bytes == mnist.images_bytes == 70_000 * 28 * 28 * 4  # the estimate was half of this


def test_the_memory_estimate_is_what_a_run_really_holds_for_its_images():
    """VGG-16's 3×224×224 digits take 1.08 GB; train's data preparation once held twice that at its
    peak (the resized copy, the normalised copy, the channels_last copy). Measured in a process of
    its own as the growth of its anonymous resident memory (torch's allocations are not Python's),
    sampled every millisecond: unlike the peak RSS, it does not count torch's code paged in, nor
    miss what the kernel paged out of it meanwhile on a busy machine."""
    code = """
import json, threading, time, torch
from cnnviz.data import Dataset, load_dataset
from cnnviz.training import adapt_and_normalise

def anonymous():
    with open('/proc/self/status') as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith('RssAnon:'))

data = load_dataset('digits')
few = Dataset('few', data.train_x[:8], data.train_y[:8], data.test_x[:8], data.test_y[:8], data.classes)
adapt_and_normalise(few, (3, 224, 224), torch.device('cpu'))
before, peak, done = anonymous(), [0], threading.Event()

def sample():
    while not done.is_set():
        peak[0] = max(peak[0], anonymous())
        time.sleep(0.001)

sampler = threading.Thread(target=sample)
sampler.start()
train_x, test_x, _ = adapt_and_normalise(data, (3, 224, 224), torch.device('cpu'))
done.set()
sampler.join()
print(json.dumps({'growth': max(peak[0], anonymous()) - before,
                  'channels_last': train_x.is_contiguous(memory_format=torch.channels_last),
                  'mean': train_x.mean().item(), 'std': train_x.std().item(), 'test_shape': list(test_x.shape)}))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout)
    need = memory_needed(TrainConfig(arch="vgg16", precision="float32"), torch.device("cpu"))
    assert need.images_bytes == 1797 * 3 * 224 * 224 * 4
    # the estimate, and a chunk's temporaries with what the allocator keeps: 1.03–1.05× here (the old code: 2.0×)
    assert need.images_bytes <= measured["growth"] <= 1.1 * need.images_bytes, measured["growth"] / need.images_bytes
    assert measured["channels_last"] and measured["test_shape"] == [360, 3, 224, 224]
    assert measured["mean"] == pytest.approx(0, abs=1e-5) and measured["std"] == pytest.approx(1, abs=1e-5)


def test_adapting_a_dataset_in_chunks_matches_adapting_it_whole():
    images = torch.rand(37, 1, 8, 8)
    whole = adapt_images(images, (3, 32, 32))
    chunked = adapt_dataset(images, (3, 32, 32), chunk_bytes=5 * 3 * 32 * 32 * 4)  # 5 images a chunk
    assert chunked.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(chunked, whole)


@pytest.mark.parametrize("changes, advice", [
    # 60,000 CIFAR-10 images at 3×224×224 in float32 (36.1 GB) cannot fit in 20 GB at any batch size.
    ({"arch": "vgg16", "dataset": "cifar10"}, "a smaller dataset (digits)"),
    # The digits at 224×224 fit (1.1 GB); VGG-16's outputs of 512 images (59 GB) do not.
    ({"arch": "vgg16", "batch_size": 512}, "Use a smaller batch size (by this estimate at most"),
])
def test_a_run_that_cannot_fit_in_memory_is_refused_before_it_starts(monkeypatch, changes, advice):
    monkeypatch.setattr(cnnviz.training, "available_memory", lambda device: 20 * 10**9)
    config = TrainConfig(precision="float32", device="cpu", **changes)
    need = memory_needed(config, torch.device("cpu"))
    with pytest.raises(ConfigError) as refused:
        config.validate()
    message = str(refused.value)
    assert f"needs at least {need.total_bytes / 1e9:.1f} GB" in message and "has 20.0 GB available" in message
    assert advice in message
    if "batch size" in advice:  # the largest batch whose outputs fit beside the images
        held = need.images_bytes + need.loaded_bytes + need.model_bytes
        fits = (20 * 10**9 - held) // need.activation_bytes_per_image
        assert f"at most {fits:,})" in message
    else:  # on the CPU, the dataset as loaded counts too: 60,000 × 3×32×32 float32
        assert "60,000 images at 3×224×224 take 36.1 GB (and 0.7 GB as loaded, at 3×32×32)" in message


def _allocate_too_much(*args):  # a real allocation failure of the CPU allocator
    return torch.empty(2**55, dtype=torch.uint8)


def _cuda_runs_out(*args):  # what CUDA's caching allocator raises
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB. GPU 0 has a total "
                                 "capacity of 79.19 GiB of which 1.25 GiB is free.")


@pytest.mark.parametrize("run_out", [_allocate_too_much, _cuda_runs_out])
def test_running_out_of_memory_while_training_ends_the_run_with_a_clear_message(monkeypatch, capfd, run_out):
    monkeypatch.setattr(cnnviz.training, "adapt_dataset", run_out)
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=1, batch_size=128))
    assert execute(store, run_id) == "failed"
    assert store.get_run(run_id).error == ("out of memory with a batch of 128 images of lenet5: "
                                           "try a smaller batch size or a smaller network")
    assert "Traceback" not in capfd.readouterr().err  # the CLI's terminal sees the message alone


def _wait_for(predicate, timeout_s=60.0):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_launched_worker_completes_in_its_own_process():
    store = RunStore()
    run_id = launch_run(TrainConfig(arch="lenet5", epochs=1), store)
    assert store.get_run(run_id).pid not in (None, os.getpid())
    record = _wait_for(lambda: (r := store.get_run(run_id)).status in ("completed", "failed") and r)
    assert record.status == "completed", record.error
    assert record.info["threads"] == max(1, os.cpu_count() - 1)  # a core left to the page that watches


def test_a_prepared_worker_takes_the_next_run(cnnviz_home):
    cnnviz.runs.prepare_worker()
    spare = cnnviz.runs._spare
    store = RunStore()
    run_id = launch_run(TrainConfig(arch="lenet5", epochs=1), store)
    assert store.get_run(run_id).pid == spare.pid and cnnviz.runs._spare is None
    record = _wait_for(lambda: (r := store.get_run(run_id)).status in ("completed", "failed") and r)
    assert record.status == "completed", record.error
    assert "Traceback" not in (cnnviz_home / "runs" / f"{run_id}.log").read_text()


def test_a_dead_prepared_worker_is_replaced():
    cnnviz.runs.prepare_worker()
    spare = cnnviz.runs._spare
    spare.kill()
    spare.wait(timeout=10)
    store = RunStore()
    run_id = launch_run(TrainConfig(arch="lenet5", epochs=1), store)
    assert store.get_run(run_id).pid not in (None, spare.pid)
    assert _wait_for(lambda: (r := store.get_run(run_id)).status in ("completed", "failed") and r).status == "completed"


def test_a_waiting_worker_exits_when_its_launcher_goes_away():
    worker = cnnviz.runs._start_worker()
    worker.stdin.close()  # what the end of the server process does
    assert worker.wait(timeout=60) == 0


def test_a_queued_run_whose_process_died_is_interrupted_naming_the_logs_it_has(monkeypatch, tmp_path):
    store = RunStore()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    cli_run = store.create_run(TrainConfig(arch="lenet5", epochs=1), pid=dead.pid)  # as `train` creates it
    launched = store.create_run(TrainConfig(arch="lenet5", epochs=1))
    log = tmp_path / "runs" / f"{launched}.log"
    store.update(launched, pid=dead.pid, info={"log": str(log)})  # as launch_run hands it to a worker
    monkeypatch.setattr(cnnviz.runs, "STALE_AFTER_S", 0.0)
    record = store.get_run(cli_run)
    assert record.status == "interrupted"
    assert record.error == ("the command that created the run (python -m cnnviz train) stopped before the run "
                            "started (killed, or the machine restarted)")
    record = store.get_run(launched)
    assert record.status == "interrupted"
    assert record.error == (f"the training process stopped before the run started; see {log} and "
                            f"{tmp_path / 'runs' / 'workers.log'}")


def test_a_launched_run_records_its_log_until_its_worker_reports(monkeypatch):
    store = RunStore()
    handed = []
    with monkeypatch.context() as patch:  # a worker that never reports
        patch.setattr(cnnviz.runs, "_hand_over", lambda job: handed.append(job) or subprocess.Popen(["true"]))
        run_id = launch_run(TrainConfig(arch="lenet5", epochs=1), store)
    assert store.get_run(run_id).info == {"log": handed[0]["log"]}
    assert handed[0]["log"] == str(cnnviz.runs.run_logs_dir() / f"{run_id}.log")
    run_id = launch_run(TrainConfig(arch="lenet5", epochs=1), store)
    record = _wait_for(lambda: (r := store.get_run(run_id)).status in ("completed", "failed") and r)
    assert record.status == "completed" and "log" not in record.info and record.info["classes"]


def test_cancel_stops_a_worker_within_seconds():
    store = RunStore()
    run_id = launch_run(TrainConfig(arch="resnet20", epochs=50), store)
    _wait_for(lambda: store.metrics(run_id))
    started = time.time()
    record = store.cancel(run_id)
    assert record.status == "cancelled"
    assert time.time() - started < 10
    assert store.metrics(run_id)  # what was written stays


def test_a_killed_worker_is_detected_as_interrupted(monkeypatch):
    store = RunStore()
    run_id = launch_run(TrainConfig(arch="resnet20", epochs=50), store)
    _wait_for(lambda: store.metrics(run_id))
    os.kill(store.get_run(run_id).pid, signal.SIGKILL)
    monkeypatch.setattr(cnnviz.runs, "STALE_AFTER_S", 0.0)
    record = _wait_for(lambda: (r := store.get_run(run_id)).status == "interrupted" and r, timeout_s=10)
    assert "stopped without finishing" in record.error
    assert store.metrics(run_id)


def test_cli_train_progress_bar_only_on_a_terminal(cnnviz_home, capsys):
    """Into a pipe or a file, the carriage returns of the bar would pile up: the epochs come as lines."""
    result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", "--epochs", "2",
                             "--batch-size", "512", "--seed", "3"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    assert result.returncode == 0, result.stderr
    value = {(int(m.epoch), m.split, m.name): m.value for m in RunStore().metrics(1)
             if m.name in ("epoch_loss", "accuracy") or (m.split, m.name) == ("test", "loss")}
    assert "\r" not in result.stderr
    assert result.stderr.splitlines() == [
        f"epoch {e}: train loss {value[e, 'train', 'epoch_loss']:.4f}, test loss {value[e, 'test', 'loss']:.4f}, "
        f"test accuracy {value[e, 'test', 'accuracy']:.2%}" for e in (1, 2)]

    on_terminal = _ProgressPrinter(bar=True)
    on_terminal({"event": "step", "step": 3, "total_steps": 6, "epoch": 1.0, "loss": 2.5, "images_per_s": 1234.0})
    on_terminal({"event": "epoch", "epoch": 1, "train_loss": 2.4, "test_loss": 2.3, "test_accuracy": 0.5})
    assert capsys.readouterr().err == (
        "\r[" + "#" * 15 + "-" * 15 + "] 50.0%  epoch 1.00  loss 2.5000  1,234 images/s"
        "\repoch 1: train loss 2.4000, test loss 2.3000, test accuracy 50.00%" + " " * 20 + "\n")


def test_cli_summary_and_runs_show_say_when_a_run_ended_at_chance(cnnviz_home, capsys):
    """SGD at learning rate 1000 completes at 10.00% on the 10 digits: the CLI says it has not learned."""
    from cnnviz.commands.training import _run_text

    printer = _ProgressPrinter(bar=False, lr=1000.0)
    printer({"event": "started", "run_id": 1, "device": "CPU", "precision": "float32", "adaptation": "1×8×8",
             "train_size": 1437, "test_size": 360, "classes": [str(d) for d in range(10)]})
    finished = {"event": "finished", "run_id": 1, "status": "completed", "error": None, "test_accuracy": 0.1,
                "test_loss": 837.3, "images_per_s": 7915.0, "elapsed_s": 0.4}
    printer(finished)
    note = ("A test accuracy of 10.00% is about what guessing gives with 10 classes (10%): the network has not "
            "learned. Try a smaller learning rate (this run's is 1000) or more epochs.")
    assert capsys.readouterr().out.splitlines()[-1] == note
    printer({**finished, "test_accuracy": 0.9})
    assert "guessing" not in capsys.readouterr().out

    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", lr=1000.0, optimizer="sgd"))
    store.update(run_id, device="CPU (2 cores)", info={"classes": [str(d) for d in range(10)]})
    store.finish(run_id, "completed", final={"test_accuracy": 0.1, "test_loss": 837.3, "images_per_s": 7915.0,
                                             "elapsed_s": 0.4, "epochs_done": 15, "checkpoint": "run-1.safetensors"})
    assert f"        note: {note}" in _run_text(store.get_run(run_id), []).splitlines()


def test_a_run_s_two_times_are_named_so_that_they_never_disagree(cnnviz_home, capsys):
    """The banner said 0.3 s and "All runs" 0.4 s for one run: the epochs against the whole run."""
    from cnnviz.commands.training import _run_text
    from cnnviz.run_notes import time_text

    assert time_text(0.31) == "0.3 s of training"
    assert time_text(0.31, 0.33) == "0.3 s of training"  # the same at the precision shown: said once
    assert time_text(0.31, 2.04) == "0.3 s of training (2.0 s in all, with loading the data and saving the weights)"
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5"))
    store.update(run_id, status="running", started_at=time.time() - 2.0)
    store.finish(run_id, "completed", final={"test_accuracy": 0.9, "test_loss": 0.3, "images_per_s": 7915.0,
                                             "elapsed_s": 0.4, "epochs_done": 15, "checkpoint": "run-1.safetensors"})
    record = store.get_run(run_id)
    assert f"{record.duration_s:.1f}" == "2.0"
    result = next(line for line in _run_text(record, []).splitlines() if "result:" in line)
    assert result.endswith("7,915 images/s, 0.4 s of training (2.0 s in all, with loading the data and saving "
                           "the weights), 15 epochs")
    from cnnviz.training_figures import runs_table
    assert runs_table([record])["duration"].tolist() == ["2.0 s"]
    _ProgressPrinter(bar=False, lr=0.01)({"event": "finished", "run_id": 1, "status": "completed", "error": None,
                                          "test_accuracy": 0.9, "test_loss": 0.3, "images_per_s": 7915.0,
                                          "elapsed_s": 0.4})
    assert capsys.readouterr().out.splitlines()[-1].endswith("7,915 images/s, 0.4 s of training")


def test_a_huge_loss_reads_in_scientific_notation_in_the_cli(capsys):
    """A run at learning rate 1e30 printed "train loss 16225285985096284893991866990592.0000"."""
    from cnnviz.commands.training import _run_text

    printer = _ProgressPrinter(bar=False, lr=1e30)
    printer({"event": "epoch", "epoch": 1, "step": 23, "train_loss": 1.6225285985096285e31, "train_accuracy": 0.1,
             "test_loss": 2.3026, "test_accuracy": 0.1, "elapsed_s": 0.2})
    assert capsys.readouterr().err == "epoch 1: train loss 1.623e+31, test loss 2.3026, test accuracy 10.00%\n"
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", lr=1e30, optimizer="sgd"))
    store.add_metrics(run_id, 23, 1.0, "train", {"epoch_loss": 1.6225285985096285e31, "accuracy": 0.1}, 0.2)
    store.add_metrics(run_id, 23, 1.0, "test", {"loss": 2.3026, "accuracy": 0.1}, 0.2)
    table = _run_text(store.get_run(run_id), store.metrics(run_id)).splitlines()[-1].split()
    assert table == ["1", "1.623e+31", "10.00%", "2.3026", "10.00%"]


def test_cli_train_json_events(cnnviz_home):
    result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", "--dataset", "digits",
                             "--epochs", "2", "--precision", "float32", "--label-smoothing", "0", "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["event"] == "started" and events[-1]["event"] == "finished"
    assert events[0]["precision"] == "float32"
    assert events[0]["threads"] == os.cpu_count()  # in the foreground: one thread per core
    assert events[-1]["status"] == "completed"
    assert {"test_accuracy", "test_loss", "images_per_s", "elapsed_s"} <= set(events[-1])
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2]
    shown = subprocess.run([sys.executable, "-m", "cnnviz", "runs", "show", str(events[0]["run_id"]), "--json"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    data = json.loads(shown.stdout)
    assert data["status"] == "completed" and data["final"]["test_accuracy"] == events[-1]["test_accuracy"]
    confusion = data["results"]["confusion"]  # the page's confusion matrix and per-class accuracy, from the CLI too
    assert sum(map(sum, confusion)) == 360
    assert sum(confusion[i][i] for i in range(10)) / 360 == pytest.approx(data["final"]["test_accuracy"])
    per_class = [row[i] / sum(row) for i, row in enumerate(confusion)]
    assert data["results"]["per_class_accuracy"] == pytest.approx(per_class)
    assert data["config"]["precision"] == "float32" and data["config"]["label_smoothing"] == 0.0
    assert data["info"]["adaptation"] == "1×8×8 → 1×32×32 (resized)" and data["info"]["precision"] == "float32"
    text = subprocess.run([sys.executable, "-m", "cnnviz", "runs", "show", str(events[0]["run_id"])], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)}).stdout.splitlines()
    assert text[0] == f"run {events[0]['run_id']} · completed · lenet5 on digits"
    assert text[2] == "      images: 1×8×8 → 1×32×32 (resized) · 1,437 training, 360 test"
    assert text[5] == ("    settings: 2 epochs · batch size 64 · adam · learning rate 0.01 · one-cycle schedule · "
                       "label smoothing 0 · seed 0")  # the page's words: no momentum for adam, no Python reprs
    table = text[text.index("epoch  train loss  train accuracy  test loss  test accuracy") + 1:]
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [row.split() for row in table] == [
        [str(e["epoch"]), f"{e['train_loss']:.4f}", f"{e['train_accuracy']:.2%}", f"{e['test_loss']:.4f}",
         f"{e['test_accuracy']:.2%}"] for e in epochs]


def test_cli_train_help_shows_the_defaults_a_run_takes():
    """The parser has no defaults of its own (it is built without torch); its help reads TrainConfig's."""
    result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0
    options = {}  # an option and its help, which starts on the next line after a long option name
    for line in result.stdout.split("options:")[1].splitlines():
        if line.startswith("  -"):
            option = line.split()[0]
            options[option] = line
        elif line.strip():
            options[option] += " " + line.strip()
    defaults = TrainConfig()
    for option, value in [("--epochs", defaults.epochs), ("--batch-size", defaults.batch_size), ("--lr", defaults.lr),
                          ("--optimizer", defaults.optimizer), ("--schedule", defaults.schedule),
                          ("--label-smoothing", defaults.label_smoothing), ("--seed", defaults.seed),
                          ("--momentum", defaults.momentum)]:
        assert options[option].endswith(f"; default {value}"), options[option]
    assert (defaults.epochs, defaults.optimizer, defaults.label_smoothing) == (15, "adam", 0.1)  # as the README says
    assert "default" not in options["--arch"] + options["--compile"] + options["--json"]


def test_cli_refuses_a_bad_config_in_one_line(cnnviz_home):
    result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", "--lr", "0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    assert result.returncode == 2
    assert result.stderr.strip() == "error: learning rate must be positive, got 0.0"


@pytest.mark.parametrize("option, value, message", [
    ("--weight-decay", "nan", "error: weight decay must be finite, got nan"),
    ("--weight-decay", "inf", "error: weight decay must be finite, got inf"),
    ("--weight-decay", "-inf", "error: weight decay must be finite, got -inf"),  # a value, not an option
    ("--lr", "-1e-3", "error: learning rate must be positive, got -0.001"),
    ("--seed", "99999999999999999999999", "error: seed must be a whole number from 0 to 2⁶⁴ − 1 "
                                          "(18446744073709551615), got 99999999999999999999999"),
])
def test_cli_refuses_values_that_torch_would_choke_on_before_a_run_is_saved(cnnviz_home, option, value, message):
    result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", option, value], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    assert (result.returncode, result.stderr.strip()) == (2, message)
    assert RunStore().list_runs() == []  # nothing was started, so nothing "failed" is saved


def test_cli_trains_sgd_with_the_momentum_and_nesterov_asked_for(cnnviz_home):
    result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", "--optimizer", "sgd",
                             "--momentum", "0.8", "--nesterov", "--lr", "0.05", "--epochs", "1", "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    assert result.returncode == 0, result.stderr
    config = RunStore().list_runs()[0].config
    assert (config["optimizer"], config["momentum"], config["nesterov"]) == ("sgd", 0.8, True)


@pytest.mark.parametrize("options, message", [
    (["--momentum", "0.5"], "error: --momentum is sgd's setting (adam keeps its own running averages): add "
                            "--optimizer sgd, or leave it out"),
    (["--optimizer", "adamw", "--nesterov"], "error: Nesterov momentum is sgd's (adamw keeps its own running "
                                             "averages): choose sgd, or leave Nesterov off"),
    (["--optimizer", "sgd", "--nesterov", "--momentum", "0"],
     "error: Nesterov momentum needs a momentum above 0 (without it, it is plain sgd)"),
    (["--optimizer", "sgd", "--momentum", "1"], "error: momentum must be in [0, 1), got 1.0"),
])
def test_cli_refuses_momentum_that_would_be_ignored(cnnviz_home, options, message):
    """Adam has no momentum setting, and torch's SGD takes Nesterov only with a momentum: silently
    ignoring the option would record a run that is not what was asked for."""
    result = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", *options], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    assert (result.returncode, result.stderr.strip()) == (2, message)
    assert RunStore().list_runs() == []


# --------------------------------------------------------------------------- Ctrl-C and SIGTERM

STOP_SIGNALS = pytest.mark.parametrize(("signum", "name"), [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")])


def _signal_on_steps(signum, *steps):
    """A listener that sends this process ``signum`` when it sees the given step events (1 = the
    first; a step given twice, twice: Ctrl-C pressed twice)."""
    seen = []

    def listener(event):
        seen.append(event)
        if event["event"] == "step":
            for _ in range(steps.count(sum(e["event"] == "step" for e in seen))):
                os.kill(os.getpid(), signum)
    return listener, seen


@STOP_SIGNALS
def test_a_first_stop_signal_stops_after_the_step_and_keeps_results_and_weights(signum, name):
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=1000, log_every=1))
    listener, events = _signal_on_steps(signum, 3)
    # The handlers before: Python's own, or SIG_IGN for SIGINT where a shell started the tests in the background
    before = {handled: signal.getsignal(handled) for handled in (signal.SIGINT, signal.SIGTERM)}
    with pytest.raises(cnnviz.worker.Stopped) as stopped:  # raised again once the run's end is recorded
        execute(store, run_id, listener, stop_on_signals=True)
    assert stopped.value.exit_code == 128 + signum  # 130 for Ctrl-C, 143 for SIGTERM
    record = store.get_run(run_id)
    assert (record.status, record.error) == ("cancelled", f"cancelled with {name}")
    assert [m.step for m in store.metrics(run_id) if m.name == "loss"] == [1, 2, 3]  # stopped after step 3
    assert record.final["epochs_done"] == 0 and 0 <= record.final["test_accuracy"] <= 1
    assert record.final["train_accuracy"] is None  # no epoch ended: there is none yet, not 0 %
    assert sum(map(sum, record.results["confusion"])) == 360
    from safetensors.torch import load_file

    weights = load_file(record.final["checkpoint"])
    assert set(weights) == set(get_architecture("lenet5").build(num_classes=10).state_dict())
    assert events[-1] == {"event": "finished", "run_id": run_id, "status": "cancelled",
                          "error": f"cancelled with {name}", **record.final}
    assert {handled: signal.getsignal(handled) for handled in before} == before  # both put back


@STOP_SIGNALS
def test_a_stop_signal_while_the_cli_creates_its_run_ends_it_cancelled_not_queued(signum, name, monkeypatch, capsys):
    """A signal that lands before execute has its handlers (here: inside create_run, after the
    insert) still ends the run cancelled, with its finished line, and the shell's exit status."""
    from cnnviz.__main__ import main

    create_run = RunStore.create_run

    def create_then_signal(self, *args, **kwargs):
        run_id = create_run(self, *args, **kwargs)
        os.kill(os.getpid(), signum)
        return run_id

    monkeypatch.setattr(RunStore, "create_run", create_then_signal)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert main(["train", "--arch", "lenet5", "--json"]) == 128 + signum
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
    [record] = RunStore().list_runs()
    assert (record.status, record.error, record.pid) == ("cancelled", f"cancelled with {name}", os.getpid())
    assert RunStore().metrics(record.id) == []
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == {
        "event": "finished", "run_id": record.id, "status": "cancelled", "error": f"cancelled with {name}"}


def test_a_cancel_that_escalates_to_sigterm_stops_a_foreground_run_at_once_as_cancelled_by_the_user():
    """`runs cancel` and Stop send SIGTERM only to a run that has not seen the request within the
    grace (a step that long): it stops at once, says the user asked, and `train` exits 1 as for any
    cancelled run. Before, it went on to the end of the step and printed "stopping after this step
    (SIGTERM again to stop at once)", a signal the user never sent, then exited 143."""
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=1000, log_every=1))
    terminate, events = _signal_on_steps(signal.SIGTERM, 3)

    def listener(event):
        if event["event"] == "step" and event["step"] == 3:
            store.update(run_id, cancel_requested=1)  # what cancel() does before its grace runs out
        terminate(event)

    assert execute(store, run_id, listener, stop_on_signals=True) == "cancelled"
    record = store.get_run(run_id)
    assert (record.status, record.error, record.final) == ("cancelled", "cancelled by the user", {})
    assert [m.step for m in store.metrics(run_id) if m.name == "loss"] == [1, 2, 3]


def test_a_run_ends_once_whoever_writes_its_end_second():
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5"))
    assert store.finish(run_id, "cancelled", error="cancelled (the process was stopped)")
    assert not store.finish(run_id, "cancelled", error="cancelled by the user", final={"test_accuracy": 0.1})
    record = store.get_run(run_id)
    assert (record.status, record.error, record.final) == ("cancelled", "cancelled (the process was stopped)", {})


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_cancel_leaves_a_run_that_has_seen_it_to_save_its_results():
    """A slow run (resnet56 beside another run) saw the Stop, then spent more than the grace on its
    test pass and checkpoint: cancel killed it and wrote "cancelled (the process was stopped)", and
    the process, still alive, wrote its own end over that one."""
    store = RunStore()
    process = _sleeper()  # the run's process, alive all along
    try:
        run_id = store.create_run(TrainConfig(arch="lenet5"))
        store.update(run_id, status="running", pid=process.pid, started_at=time.time(), heartbeat=time.time())
        seen = threading.Timer(0.3, store.cancel_seen, args=(run_id,))  # as StoreRecorder.should_stop does
        seen.start()
        record = store.cancel(run_id, grace_s=1.0)
        assert (record.status, record.stopping, process.poll()) == ("running", True, None)  # not killed
        assert store.cancel(run_id, grace_s=1.0).stopping  # a second Stop leaves it be too
        assert store.finish(run_id, "cancelled", error="cancelled by the user", final={"test_accuracy": 0.5})
        record = store.get_run(run_id)
        assert (record.error, record.final, record.stopping) == ("cancelled by the user", {"test_accuracy": 0.5},
                                                                  False)
    finally:
        process.kill()
        process.wait()


def test_cancel_stops_a_process_that_never_sees_it_and_records_its_end():
    store = RunStore()
    process = _sleeper()  # a step that never ends: it never reads the request
    run_id = store.create_run(TrainConfig(arch="lenet5"))
    store.update(run_id, status="running", pid=process.pid, started_at=time.time(), heartbeat=time.time())
    threading.Thread(target=process.wait, daemon=True).start()  # reaped as soon as it dies, as a parent would
    record = store.cancel(run_id, grace_s=0.5)
    assert process.wait(timeout=10) == -signal.SIGTERM
    assert (record.status, record.error) == ("cancelled", "cancelled (the process was stopped)")


@STOP_SIGNALS
def test_a_second_stop_signal_stops_at_once_and_keeps_the_metrics(signum, name):
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=1000, log_every=1))
    listener, events = _signal_on_steps(signum, 2, 2)
    with pytest.raises(KeyboardInterrupt):
        execute(store, run_id, listener, stop_on_signals=True)
    record = store.get_run(run_id)
    assert (record.status, record.error, record.final, record.results) == ("cancelled", f"cancelled with {name}",
                                                                           {}, {})
    assert [m.step for m in store.metrics(run_id) if m.name == "loss"] == [1, 2]
    assert events[-1]["event"] == "finished" and events[-1]["status"] == "cancelled"


def test_a_keyboard_interrupt_anywhere_in_a_run_ends_it_as_cancelled(monkeypatch):
    """Without the CLI's handler (a worker, a test): the run is recorded as cancelled, not left running."""
    def interrupted(config, recorder, **kwargs):
        recorder.started({"device": "cpu", "total_steps": 10})
        recorder.step(1, 0.1, {"loss": 2.3})
        raise KeyboardInterrupt
    monkeypatch.setattr(cnnviz.worker, "train", interrupted)
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5"))
    with pytest.raises(KeyboardInterrupt):
        execute(store, run_id)
    record = store.get_run(run_id)
    assert (record.status, record.error) == ("cancelled", "cancelled with Ctrl-C")
    assert [(m.name, m.value) for m in store.metrics(run_id)] == [("loss", 2.3)]


@pytest.mark.parametrize(("signum", "name", "exit_code"), [(signal.SIGINT, "Ctrl-C", 130),
                                                           (signal.SIGTERM, "SIGTERM", 143)])
def test_cli_stop_signal_cancels_the_run_at_once_with_its_results(cnnviz_home, signum, name, exit_code):
    """Ctrl-C, or SIGTERM (kill, a service manager, a closed terminal's shell): recorded as cancelled
    before the process exits, not left "running" until a reader finds it interrupted ~20 s later."""
    process = subprocess.Popen([sys.executable, "-m", "cnnviz", "train", "--arch", "lenet5", "--epochs", "1000",
                                "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "CNNVIZ_HOME": str(cnnviz_home)})
    first = json.loads(process.stdout.readline())
    assert first["event"] == "started"
    assert json.loads(process.stdout.readline())["event"] == "step"
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == exit_code
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == f"stopping after this step ({name} again to stop at once)"
    finished = json.loads(out.splitlines()[-1])
    assert (finished["event"], finished["status"]) == ("finished", "cancelled")
    assert finished["error"] == f"cancelled with {name}"
    record = RunStore().get_run(first["run_id"])
    assert (record.status, record.error) == ("cancelled", f"cancelled with {name}")
    assert record.final["test_accuracy"] == finished["test_accuracy"]
    assert [m.step for m in RunStore().metrics(record.id) if m.name == "loss"][:1] == [10]  # the metrics kept
    assert os.path.getsize(record.final["checkpoint"]) > 200_000  # LeNet-5's 61,706 float32 weights


# --------------------------------------------------------------------------- a dataset that is not there


def test_a_missing_dataset_ends_the_run_with_its_message_alone(monkeypatch, capfd):
    from cnnviz.data import DatasetUnavailable

    message = "mnist is not on this machine and could not be downloaded. Put these files ..."

    def unavailable(name):
        raise DatasetUnavailable(message)
    monkeypatch.setattr(cnnviz.training, "load_dataset", unavailable)
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5", dataset="mnist"))
    assert execute(store, run_id) == "failed"
    assert store.get_run(run_id).error == message  # no "DatasetUnavailable: " in front
    assert "Traceback" not in capfd.readouterr().err


def test_cli_refuses_a_dataset_it_cannot_get_before_the_run_is_created(cnnviz_home, monkeypatch, capsys):
    import torchvision

    from cnnviz.__main__ import main

    def offline(self):
        raise OSError("[Errno 101] Network is unreachable")
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", offline)
    assert main(["train", "--arch", "lenet5", "--dataset", "mnist", "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: mnist is not on this machine and could not be downloaded. Put these files "
                          f"(as torchvision downloads them, unpacked) in {cnnviz_home / 'data' / 'MNIST' / 'raw'}: ")
    assert RunStore().list_runs() == []


# --------------------------------------------------------------------------- runs cancel


def test_cli_cancel_of_an_ended_run_says_there_is_nothing_to_cancel(capsys):
    from cnnviz.__main__ import main

    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="lenet5"))
    store.finish(run_id, "completed", final={"test_accuracy": 0.9})
    assert main(["runs", "cancel", str(run_id)]) == 0
    assert capsys.readouterr().out == f"run {run_id} has already ended (completed): nothing to cancel\n"
    assert store.get_run(run_id).status == "completed" and store.get_run(run_id).final == {"test_accuracy": 0.9}


# --------------------------------------------------------------------------- a CNNVIZ_HOME that cannot be used


def test_a_file_that_is_not_a_run_database_is_refused_and_left_as_it_is(cnnviz_home, capsys):
    from cnnviz.__main__ import main

    cnnviz_home.mkdir()
    (cnnviz_home / "runs.db").write_text("garbage")
    with pytest.raises(StoreUnavailable) as refused:
        RunStore()
    assert str(refused.value) == (f"CNNVIZ_HOME/runs.db at {cnnviz_home / 'runs.db'} is not a cnnviz run database "
                                  f"(file is not a database): move it away or set CNNVIZ_HOME to another folder")
    for argv in (["runs"], ["train", "--arch", "lenet5"]):
        assert main(argv) == 2
        assert capsys.readouterr().err == f"error: {refused.value}\n"
    assert (cnnviz_home / "runs.db").read_text() == "garbage"
    assert sorted(p.name for p in cnnviz_home.iterdir()) == ["runs.db"]


def test_another_programs_database_is_not_written_to(cnnviz_home):
    import sqlite3

    cnnviz_home.mkdir()
    other = sqlite3.connect(cnnviz_home / "runs.db")
    other.execute("CREATE TABLE songs (title TEXT)")
    other.commit()
    other.close()
    with pytest.raises(StoreUnavailable, match=r"is not a cnnviz run database \(it has no table of runs\)"):
        RunStore()
    tables = sqlite3.connect(cnnviz_home / "runs.db").execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == [("songs",)]


def test_runs_lists_the_runs_newest_first_under_a_header(capsys):
    from cnnviz.__main__ import main

    assert main(["runs"]) == 0
    assert capsys.readouterr().out == "no runs yet: python -m cnnviz train --arch lenet5 --dataset digits\n"
    store = RunStore()
    done = store.create_run(TrainConfig(arch="lenet5", epochs=1))
    store.finish(done, "completed", final={"test_accuracy": 0.98333})
    queued = store.create_run(TrainConfig(arch="googlenet-d2l", dataset="cifar10"))
    assert main(["runs"]) == 0
    created = {r.id: time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)) for r in store.list_runs()}
    assert capsys.readouterr().out.splitlines() == [
        " run  status      architecture         dataset        test accuracy  created",
        f"   {queued}  queued      googlenet-d2l        cifar10                    —  {created[queued]}",
        f"   {done}  completed   lenet5               digits                98.33%  {created[done]}"]


def test_a_home_that_cannot_be_created_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from cnnviz.__main__ import main
    from cnnviz.paths import cnnviz_home

    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "a-file" / "home"))
    with pytest.raises(cnnviz.runs.StoreUnavailable) as refused:  # cnnviz.runs's, raised by cnnviz.paths
        cnnviz_home()
    assert str(refused.value) == (f"cannot create CNNVIZ_HOME at {tmp_path / 'a-file' / 'home'} (Not a directory): "
                                  f"set CNNVIZ_HOME to a writable folder")
    assert main(["runs"]) == 2 and capsys.readouterr().err == f"error: {refused.value}\n"
    monkeypatch.setenv("CNNVIZ_HOME", str(tmp_path / "a-file"))
    with pytest.raises(StoreUnavailable, match="CNNVIZ_HOME at .*a-file is a file, not a folder: move it away"):
        cnnviz_home()


def _without_write_access(argv: list[str]) -> list[str]:
    """``argv`` run by a user who cannot write to a folder of root's (root can write anywhere)."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: write access cannot be taken away")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]


@pytest.fixture(params=["closed", "open"])
def read_only_home(request):
    """A CNNVIZ_HOME with a completed run, one whose process died and one running, made read-only:
    closed, or still open in a writer (the last run then is in the -wal file only)."""
    import gc
    import sqlite3

    home = tempfile.mkdtemp(prefix="cnnviz-read-only-")  # not under pytest's 0700 folder: the other user reads it
    db = os.path.join(home, "runs.db")
    store = RunStore(db)
    done = store.create_run(TrainConfig(arch="lenet5"))
    store.add_metrics(done, 10, 0.4, "train", {"loss": 1.25}, 0.5)
    store.finish(done, "completed", final={"test_accuracy": 0.875})
    lost = store.create_run(TrainConfig(arch="resnet20"))
    store.update(lost, status="running", pid=2**22 + 12345, heartbeat=time.time() - 3600)  # no such process
    gc.collect()  # the store's connections closed: the runs are in runs.db itself, no -wal file
    writer = sqlite3.connect(db) if request.param == "open" else None
    if writer:
        writer.execute("SELECT count(*) FROM runs").fetchall()
    running = store.create_run(TrainConfig(arch="lenet5"))
    store.update(running, status="running", pid=os.getpid(), heartbeat=time.time())
    if writer is None:
        gc.collect()
    assert sorted(os.listdir(home)) == (["runs.db", "runs.db-shm", "runs.db-wal"] if writer else ["runs.db"])
    for name in os.listdir(home):
        os.chmod(os.path.join(home, name), 0o644)
    os.chmod(home, 0o555)
    yield home
    if writer:
        writer.close()
    os.chmod(home, 0o755)
    shutil.rmtree(home)


def test_a_read_only_home_can_still_be_read(read_only_home):
    files = {name: os.path.getmtime(os.path.join(read_only_home, name)) for name in os.listdir(read_only_home)}

    def cli(*args):
        return subprocess.run(_without_write_access([sys.executable, "-m", "cnnviz", *args]), cwd=ROOT,
                              capture_output=True, text=True, timeout=120,
                              env={**os.environ, "CNNVIZ_HOME": read_only_home})

    listed = cli("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    runs = json.loads(listed.stdout)
    assert [(r["id"], r["status"]) for r in runs] == [(3, "running"), (2, "interrupted"), (1, "completed")]
    assert runs[2]["final"] == {"test_accuracy": 0.875}
    shown = cli("runs", "show", "1", "--json")
    assert json.loads(shown.stdout)["metrics"] == [{"step": 10, "epoch": 0.4, "split": "train", "name": "loss",
                                                    "value": 1.25, "time": 0.5}]
    db = os.path.join(read_only_home, "runs.db")
    for args in (("train", "--arch", "lenet5"), ("runs", "cancel", "3")):
        refused = cli(*args)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr == (f"error: cannot write to the run database {db}: it or its folder is read-only "
                                  f"here; set CNNVIZ_HOME to a writable folder\n")
    assert files == {name: os.path.getmtime(os.path.join(read_only_home, name))  # nothing written
                     for name in os.listdir(read_only_home)}
    import sqlite3  # told as interrupted, never written there:

    assert sqlite3.connect(db).execute("SELECT status FROM runs WHERE id = 2").fetchone() == ("running",)


def test_a_missing_home_on_a_read_only_disk_is_a_clear_error(read_only_home):
    home = os.path.join(read_only_home, "new-home")
    result = subprocess.run(_without_write_access([sys.executable, "-m", "cnnviz", "runs"]), cwd=ROOT,
                            capture_output=True, text=True, timeout=120, env={**os.environ, "CNNVIZ_HOME": home})
    assert (result.returncode, result.stderr) == (2, f"error: cannot create CNNVIZ_HOME at {home} (Permission "
                                                     f"denied): set CNNVIZ_HOME to a writable folder\n")
