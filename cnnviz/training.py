"""The training loop of short runs: the whole dataset in one tensor on the device, batches by a
random permutation made there, metrics accumulated there and read only every ``log_every`` steps.

No streamlit and no torchinfo here: a GPU machine runs this with torch, torchvision and
scikit-learn alone. Progress goes to a :class:`Recorder` (the run store, or the CLI's printer).
"""

from __future__ import annotations

import math
import numbers
import os
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.data import DATASET_SHAPES, DATASET_SIZES, adapt_dataset, adaptation_text, load_dataset
from cnnviz.folded_pool import fold_few_channel_pools
from cnnviz.memory import available_memory
from cnnviz.messages import quoted
from cnnviz.training_choices import DATASET_NAMES, DEVICES, OPTIMIZERS, PRECISIONS, SCHEDULES
from cnnviz.zoo import UnknownArchitecture, get_architecture, list_architectures

MISCLASSIFIED_KEPT = 32
MAX_EPOCHS = 1000  # short runs: digits passes 98% in 15; a typo of 10**9 would never end


class ConfigError(ValueError):
    """A training setting that cannot work; the message says which and why."""


@dataclass
class TrainConfig:
    """A run's settings. The defaults take lenet5-padded on digits past 98% test accuracy in seconds."""

    arch: str = "lenet5-padded"
    dataset: str = "digits"
    epochs: int = 15
    batch_size: int = 64
    lr: float = 1e-2
    optimizer: str = "adam"
    momentum: float = 0.9
    nesterov: bool = False
    weight_decay: float = 0.0
    schedule: str = "onecycle"
    label_smoothing: float = 0.1  # lenet5-padded, digits, 15 epochs: 97.8–99.2% over 6 seeds; 96.9–98.3% without
    device: str = "auto"
    precision: str = "auto"  # auto: bfloat16 autocast where the hardware computes it natively
    seed: int = 0
    compile: bool = False
    log_every: int = 10

    def validate(self) -> None:
        """Refuse, before anything starts, what cannot work."""
        def number(name: str, value, *, whole: bool = False, positive: bool = False,
                   below_one: bool = False) -> None:
            """``value`` must be a finite number, not negative (and positive, or below one, when asked)."""
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise ConfigError(f"{name} must be a {'whole ' if whole else ''}number, got {quoted(value)}")
            if not math.isfinite(value):
                raise ConfigError(f"{name} must be finite, got {quoted(value)}")
            if whole and int(value) != value:
                raise ConfigError(f"{name} must be a whole number, got {quoted(value)}")
            if positive and value <= 0:
                raise ConfigError(f"{name} must be positive, got {quoted(value)}")
            if below_one and not 0 <= value < 1:
                raise ConfigError(f"{name} must be in [0, 1), got {quoted(value)}")
            if value < 0:
                raise ConfigError(f"{name} must not be negative, got {quoted(value)}")

        if self.dataset not in DATASET_NAMES:
            raise ConfigError(f"unknown dataset {quoted(self.dataset)}; choose one of {', '.join(DATASET_NAMES)}")
        try:
            arch = get_architecture(self.arch)
        except UnknownArchitecture as error:
            raise ConfigError(str(error)) from None
        for name in ("epochs", "batch_size", "log_every"):
            number(name.replace("_", " "), getattr(self, name), whole=True, positive=True)
            setattr(self, name, int(getattr(self, name)))  # 2.0 from a JSON form: range() needs 2
        if self.epochs > MAX_EPOCHS:
            raise ConfigError(f"epochs must be at most {MAX_EPOCHS:,}, got {self.epochs:,}: cnnviz trains short "
                              "runs (lenet5-padded passes 98% on digits in 15)")
        train_size = DATASET_SIZES[self.dataset][0]
        if self.batch_size > train_size:  # it would train on one batch of train_size, saying batch_size
            raise ConfigError(f"batch size must be at most the {train_size:,} training images of {self.dataset}, "
                              f"got {self.batch_size:,} (a batch of {train_size:,} is one step per epoch)")
        number("learning rate", self.lr, positive=True)
        number("momentum", self.momentum, below_one=True)
        number("weight decay", self.weight_decay)
        number("label smoothing", self.label_smoothing, below_one=True)
        # torch.manual_seed takes 0 .. 2⁶⁴ − 1 (a negative seed wraps around; larger ones overflow)
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral) or not 0 <= self.seed < 2**64:
            raise ConfigError(f"seed must be a whole number from 0 to 2⁶⁴ − 1 ({2**64 - 1}), got {quoted(self.seed)}")
        self.seed = int(self.seed)
        for name in ("nesterov", "compile"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {quoted(getattr(self, name))}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"unknown optimizer {quoted(self.optimizer)}; choose one of {', '.join(OPTIMIZERS)}")
        if self.nesterov and self.optimizer != "sgd":  # torch's Adam would ignore it: the run would not be that
            raise ConfigError(f"Nesterov momentum is sgd's ({self.optimizer} keeps its own running averages): "
                              "choose sgd, or leave Nesterov off")
        if self.nesterov and self.momentum == 0:
            raise ConfigError("Nesterov momentum needs a momentum above 0 (without it, it is plain sgd)")
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown schedule {quoted(self.schedule)}; choose one of {', '.join(SCHEDULES)}")
        if self.device not in DEVICES:
            raise ConfigError(f"unknown device {quoted(self.device)}; choose one of {', '.join(DEVICES)}")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"unknown precision {quoted(self.precision)}; choose one of {', '.join(PRECISIONS)}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ConfigError("device 'cuda' was asked for, but this machine has no CUDA GPU; use auto or cpu")
        reason = cannot_train(arch.id, self.dataset)
        if reason:
            raise ConfigError(reason)
        device = resolve_device(self.device)
        need = memory_needed(self, device)
        available = available_memory(device)
        if available is not None and need.total_bytes > available:
            raise ConfigError(need.refusal(available, device))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def cannot_train(arch_id: str, dataset: str) -> str | None:
    """Why ``arch_id`` cannot train on ``dataset`` (None when it can)."""
    from cnnviz.analysis import analyze_architecture

    arch = get_architecture(arch_id)
    if arch.num_classes == 0:
        return (f"{arch_id} is one block, not a classifier: it outputs feature maps, with no classes to "
                f"learn; choose a whole network")
    analysis = analyze_architecture(arch.id, arch.input_shape, 10)
    if analysis.diagnosis:
        return f"{arch_id} does not fit its own input: {analysis.diagnosis.message}"
    return None


def trainable_architectures(dataset: str = "digits") -> list[str]:
    """Zoo ids that can train on ``dataset`` (its images are adapted to each network's input)."""
    if dataset not in DATASET_SHAPES:
        raise ConfigError(f"unknown dataset {dataset!r}")
    return [arch.id for arch in list_architectures() if cannot_train(arch.id, dataset) is None]


def smoothed_loss_floor(label_smoothing: float, num_classes: int) -> float:
    """The lowest cross-entropy any model reaches against label-smoothed targets: the entropy of the
    smoothed target (1 − ε + ε/K on the true class, ε/K on each other one). With ε = 0.1 and 10
    classes the loss curves flatten at 0.50, not at 0."""
    if label_smoothing == 0:
        return 0.0
    on, off = 1 - label_smoothing + label_smoothing / num_classes, label_smoothing / num_classes
    return -(on * math.log(on) + (num_classes - 1) * off * math.log(off))


@dataclass
class MemoryNeed:
    """What a run holds at least, known before it starts: the whole dataset adapted to the
    network's input (float32, on the device), on the CPU also the dataset as loaded (float32, kept
    for the whole run: the misclassified images are drawn from it; on a GPU it stays in the host's
    memory), the weights with their gradients and the optimizer's state (float32), and the layer
    outputs of one batch."""

    arch: str
    dataset: str
    images: int  # train + test
    image_shape: tuple[int, int, int]  # the network's input
    loaded_shape: tuple[int, int, int]  # the dataset's own
    loaded_on_device: bool  # the device is the CPU, where the dataset is loaded
    batch_size: int
    activation_bytes_per_image: int  # every layer's output, in the run's precision
    parameters: int
    optimizer_copies: int  # float32 tensors the optimizer keeps per weight: Adam 2, SGD with momentum 1

    @property
    def images_bytes(self) -> int:
        return self.images * math.prod(self.image_shape) * 4

    @property
    def loaded_bytes(self) -> int:
        """The dataset as loaded, when it shares the device's memory: as much again as the adapted
        copy for a network that takes the dataset's own shape (MNIST at 1×28×28: 0.22 GB each)."""
        return self.images * math.prod(self.loaded_shape) * 4 if self.loaded_on_device else 0

    @property
    def model_bytes(self) -> int:
        return self.parameters * 4 * (2 + self.optimizer_copies)  # weights, gradients, optimizer state

    @property
    def activations_bytes(self) -> int:
        return self.batch_size * self.activation_bytes_per_image

    @property
    def fixed_bytes(self) -> int:
        """All but the layer outputs: what the run holds at any batch size."""
        return self.images_bytes + self.loaded_bytes + self.model_bytes

    @property
    def total_bytes(self) -> int:
        return self.fixed_bytes + self.activations_bytes

    def refusal(self, available: int, device: torch.device) -> str:
        """Why the run cannot start, and what would fit instead."""
        def gb(n: int) -> str:
            return f"{n / 1e9:.1f} GB"

        where = (f"the GPU ({device_name(device)}) has {gb(available)} in all" if device.type == "cuda"
                 else f"this machine has {gb(available)} available")
        loaded = (f" (and {gb(self.loaded_bytes)} as loaded, at {'×'.join(map(str, self.loaded_shape))})"
                  if self.loaded_bytes else "")
        text = (f"{self.arch} on {self.dataset} needs at least {gb(self.total_bytes)} of memory: "
                f"its {self.images:,} images at {'×'.join(map(str, self.image_shape))} take "
                f"{gb(self.images_bytes)}{loaded}, its weights with their gradients and the optimizer's state "
                f"{gb(self.model_bytes)}, and the layer outputs of a batch of {self.batch_size:,} "
                f"{gb(self.activations_bytes)}, but {where}. ")
        batch_that_fits = (available - self.fixed_bytes) // self.activation_bytes_per_image
        if batch_that_fits >= 1:
            return text + f"Use a smaller batch size (by this estimate at most {batch_that_fits:,})."
        return text + ("Choose a network with a smaller input (such as lenet5 or resnet-small) "
                       "or a smaller dataset (digits).")


def memory_needed(config: TrainConfig, device: torch.device) -> MemoryNeed:
    from cnnviz.analysis import analyze_architecture

    arch = get_architecture(config.arch)
    analysis = analyze_architecture(arch.id, arch.input_shape, 10)
    per_image_float32 = analysis.activation_memory_bytes
    half = resolve_precision(config.precision, device) == "bfloat16"
    optimizer_copies = 2 if config.optimizer in ("adam", "adamw") else int(config.momentum > 0)
    return MemoryNeed(arch=arch.id, dataset=config.dataset, images=sum(DATASET_SIZES[config.dataset]),
                      image_shape=arch.input_shape, loaded_shape=DATASET_SHAPES[config.dataset],
                      loaded_on_device=device.type == "cpu", batch_size=config.batch_size,
                      activation_bytes_per_image=per_image_float32 // 2 if half else per_image_float32,
                      parameters=analysis.total_params, optimizer_copies=optimizer_copies)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` computes bfloat16 in hardware: a recent GPU, or a CPU with AMX or
    AVX512-BF16 (elsewhere the CPU emulates it, slower than float32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line.split(":", 1)[1].split() for line in cpuinfo if line.startswith("flags")), [])
    except OSError:  # not Linux: no way to tell cheaply, so no bfloat16 by default
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_precision(name: str, device: torch.device) -> str:
    if name == "auto":
        return "bfloat16" if native_bfloat16(device) else "float32"
    return name


def background_threads() -> int:
    """torch's threads for a run in the background: one per core but one, which is left to the web
    server and the browser that watch it. With every core taken, each redraw of the page stalls all
    of torch's threads at every parallel region (they wait for the one that lost its core): on 2
    cores a run watched on the Training page trained 2.7× faster with 1 thread than with 2."""
    return max(1, (os.cpu_count() or 1) - 1)


def device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({os.cpu_count()} cores)"


class Recorder(Protocol):
    """Where a run's progress goes."""

    def started(self, info: dict) -> None: ...
    def step(self, step: int, epoch: float, values: dict[str, float]) -> None: ...
    def epoch(self, epoch: int, step: int, values: dict[str, float]) -> None: ...
    def should_stop(self) -> bool: ...


class Diverged(Exception):
    """The loss became NaN or infinite."""


@dataclass
class TrainResult:
    test_accuracy: float
    test_loss: float
    train_accuracy: float | None  # None when stopped before the first epoch ended
    images_per_s: float
    elapsed_s: float
    epochs_done: int
    cancelled: bool
    confusion: list[list[int]] = field(default_factory=list)  # rows: true class, columns: predicted
    per_class_accuracy: list[float] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    misclassified: list[dict] = field(default_factory=list)  # {index, true, predicted, pixels}
    normalisation: tuple[float, float] = (0.0, 1.0)  # (mean, std) of the training images, as the weights expect
    state_dict: dict | None = field(default=None, repr=False)


def _optimizer(config: TrainConfig, parameters) -> torch.optim.Optimizer:
    """Fused kernels on the CPU too: one update for all parameters (Adam ~1.3× faster per step for LeNet)."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov
                               and config.momentum > 0, weight_decay=config.weight_decay, fused=True)
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay, fused=True)
    return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay, fused=True)


def _too_high(config: TrainConfig) -> str:
    """What to blame for a loss that became NaN or infinite. Weight decay scales the weights by
    1 − lr·wd each step (SGD and AdamW): from lr·wd ≥ 1 on, it alone flips or blows them up."""
    if config.weight_decay * config.lr >= 1:
        return (f"the weight decay {config.weight_decay:g} is probably too high for the learning rate "
                f"{config.lr:g} (their product is {config.weight_decay * config.lr:g}; keep it well below 1)")
    return f"the learning rate {config.lr:g} is probably too high"


def _evaluate(model, images, labels, batch_size, autocast, loss_fn) -> tuple[float, float, torch.Tensor]:
    """(loss, accuracy, predictions) on a whole split, in large batches."""
    model.eval()
    predictions = []
    total_loss = torch.zeros((), device=images.device)
    with torch.no_grad(), autocast():
        for start in range(0, len(images), max(batch_size, 512)):
            logits = model(images[start:start + max(batch_size, 512)]).float()
            total_loss += loss_fn(logits, labels[start:start + len(logits)], reduction="sum")
            predictions.append(logits.argmax(dim=1))
    predicted = torch.cat(predictions)
    accuracy = (predicted == labels).float().mean()
    model.train()
    return (total_loss / len(images)).item(), accuracy.item(), predicted


def pool_before_relu(model: nn.Module) -> nn.Module:
    """Swap each ReLU that a max-pool follows in a Sequential, in place: max-pool first, then ReLU.

    ReLU never decreases, so max and ReLU commute: values and gradients are the same to the last bit
    (a test compares every weight after 30 Adam steps), but ReLU, forward and backward, touches a
    quarter as many elements. A LeNet training step on a 2-core CPU takes ~20% less time. The modules
    keep their names, so the state dict and the checkpoint are the network's own.
    """
    for sequential in [module for module in model.modules() if isinstance(module, nn.Sequential)]:
        items = list(sequential._modules.items())
        for i in range(len(items) - 1):  # a ReLU before two max-pools moves past both
            (_, module), (_, following) = items[i], items[i + 1]
            if type(module) is nn.ReLU and type(following) is nn.MaxPool2d and not following.return_indices:
                items[i], items[i + 1] = items[i + 1], items[i]
        sequential._modules.clear()
        sequential._modules.update(items)
    return model


def adapt_and_normalise(data, shape: tuple[int, int, int],
                        device: torch.device) -> tuple[torch.Tensor, torch.Tensor, tuple[float, float]]:
    """The train and test images adapted to ``shape``, channels_last (the fast layout of cuDNN and
    of oneDNN on the CPU: LeNet trains ~1.7× faster), normalised by the training set's mean and std,
    and that (mean, std): the checkpoint keeps it, as its weights expect images normalised so.
    Each split is made once, chunk by chunk, and normalised in place: the peak is the adapted
    dataset itself (what ``memory_needed`` counts), not two or three copies of it."""
    train_x = adapt_dataset(data.train_x, shape, device)
    test_x = adapt_dataset(data.test_x, shape, device)
    mean, std = train_x.mean(), train_x.std().clamp_min(1e-6)
    train_x.sub_(mean).div_(std)
    test_x.sub_(mean).div_(std)
    return train_x, test_x, (mean.item(), std.item())


def train(config: TrainConfig, recorder: Recorder, validated: bool = False,
          threads: int | None = None) -> TrainResult:
    """Train ``config.arch`` on ``config.dataset`` and report to ``recorder`` as it goes.

    ``validated``: the caller has run ``config.validate()`` already (the launcher, the CLI), so a
    worker skips the check that the network fits its input, whose shape analysis costs ~1 s of imports.
    ``threads``: torch's threads on the CPU; one per core unless given (see ``background_threads``).
    """
    if not validated:
        config.validate()
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    if device.type == "cpu":
        threads = threads or os.cpu_count() or 1
        torch.set_num_threads(threads)
    else:
        torch.backends.cudnn.benchmark = True

    arch = get_architecture(config.arch)
    data = load_dataset(config.dataset)
    target_shape = arch.input_shape
    train_x, test_x, normalisation = adapt_and_normalise(data, target_shape, device)
    train_y, test_y = data.train_y.to(device), data.test_y.to(device)
    num_classes = len(data.classes)

    model = pool_before_relu(arch.build(num_classes=num_classes).to(device))
    if device.type == "cpu":
        fold_few_channel_pools(model)  # LeNet's 6-channel pool 1: a bare batch-64 step ~15% faster
    # channels_last: the fast layout of cuDNN and of oneDNN on the CPU (LeNet trains ~1.7× faster here).
    model = model.to(memory_format=torch.channels_last)
    step_model = torch.compile(model) if config.compile else model
    optimizer = _optimizer(config, model.parameters())
    steps_per_epoch = math.ceil(len(train_x) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total_steps)
                 if config.schedule == "onecycle" else None)

    precision = resolve_precision(config.precision, device)

    def autocast():
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")

    def loss_fn(logits, labels, reduction="mean"):
        return F.cross_entropy(logits, labels, label_smoothing=config.label_smoothing, reduction=reduction)

    recorder.started({"device": device_name(device), "precision": precision,
                      **({"threads": threads} if device.type == "cpu" else {}),
                      "adaptation": adaptation_text(data.image_shape, target_shape),
                      "train_size": len(train_x), "test_size": len(test_x), "steps_per_epoch": steps_per_epoch,
                      "total_steps": total_steps, "classes": data.classes})
    generator = torch.Generator(device=device).manual_seed(config.seed)
    start = time.perf_counter()
    window_start, window_images = start, 0
    running_loss = torch.zeros((), device=device)
    running_count = 0
    step = 0
    images_seen = 0
    cancelled = False
    epochs_done = 0
    train_accuracy = None
    model.train()
    for epoch in range(1, config.epochs + 1):
        order = torch.randperm(len(train_x), device=device, generator=generator)
        correct = torch.zeros((), device=device)
        epoch_loss = torch.zeros((), device=device)
        for first in range(0, len(train_x), config.batch_size):
            index = order[first:first + config.batch_size]
            images, labels = train_x[index], train_y[index]
            with autocast():
                logits = step_model(images).float()
                loss = loss_fn(logits, labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            step += 1
            detached = loss.detach()
            running_loss += detached
            epoch_loss += detached * len(index)
            correct += (logits.detach().argmax(dim=1) == labels).sum()
            running_count += 1
            window_images += len(index)
            images_seen += len(index)
            if step % config.log_every == 0 or step == total_steps:
                mean_loss = (running_loss / running_count).item()  # the one host sync per log step
                if not math.isfinite(mean_loss):
                    raise Diverged(f"the training loss became {mean_loss} at step {step} (epoch {epoch}): "
                                   f"{_too_high(config)}")
                now = time.perf_counter()
                recorder.step(step, step / steps_per_epoch, {
                    "loss": mean_loss, "lr": optimizer.param_groups[0]["lr"],
                    "images_per_s": window_images / max(now - window_start, 1e-9)})
                running_loss.zero_()
                running_count = 0
                window_start, window_images = now, 0
            if recorder.should_stop():  # every step: a slow network still stops within seconds
                cancelled = True
                break
        if cancelled:
            break
        train_loss = (epoch_loss / len(train_x)).item()
        if not math.isfinite(train_loss):
            raise Diverged(f"the training loss became {train_loss} in epoch {epoch}: {_too_high(config)}")
        train_accuracy = (correct / len(train_x)).item()
        test_loss, test_accuracy, _ = _evaluate(model, test_x, test_y, config.batch_size, autocast, loss_fn)
        epochs_done = epoch
        recorder.epoch(epoch, step, {"train_loss": train_loss, "train_accuracy": train_accuracy,
                                     "test_loss": test_loss, "test_accuracy": test_accuracy})
        if recorder.should_stop():
            cancelled = True
            break

    elapsed = time.perf_counter() - start
    test_loss, test_accuracy, predicted = _evaluate(model, test_x, test_y, config.batch_size, autocast, loss_fn)
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    confusion.index_put_((test_y, predicted), torch.ones_like(test_y), accumulate=True)
    confusion = confusion.cpu()
    per_class = (confusion.diag().float() / confusion.sum(dim=1).clamp_min(1).float()).tolist()
    wrong = (predicted != test_y).nonzero().flatten()[:MISCLASSIFIED_KEPT].cpu().tolist()
    small = data.test_x  # the original pixels, before resizing: small enough to draw
    misclassified = [{"index": i, "true": int(data.test_y[i]), "predicted": int(predicted[i]),
                      "pixels": small[i].mean(dim=0).mul(255).round().byte().tolist()} for i in wrong]
    return TrainResult(
        test_accuracy=test_accuracy, test_loss=test_loss, train_accuracy=train_accuracy,
        images_per_s=images_seen / max(elapsed, 1e-9), elapsed_s=elapsed, epochs_done=epochs_done,
        cancelled=cancelled, confusion=confusion.tolist(), per_class_accuracy=per_class, classes=data.classes,
        misclassified=misclassified, normalisation=normalisation,
        state_dict={k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
    )


@dataclass
class Experiment:
    """Several runs that answer one question when their curves are compared."""

    explanation: str
    configs: list[TrainConfig]


EXPERIMENTS = {
    "LeNet-5 vs VGG-style vs ResNet": Experiment(
        "the three networks of the CS-E4890 assignment on the same data (digits, 8 epochs each).",
        [TrainConfig(arch=arch, epochs=8) for arch in ("lenet5-padded", "vgg-style", "resnet-small")],
    ),
    "Plain vs residual as depth grows": Experiment(
        "He et al.'s 20- and 56-layer nets with and without skip connections (digits, 3 epochs each: the "
        "deep plain net learns slowest).",
        [TrainConfig(arch=arch, epochs=3, lr=5e-3) for arch in ("plain20", "resnet20", "plain56", "resnet56")],
    ),
}
