"""ResNets: torchvision's, d2l.ai's ResNet-18, He et al.'s CIFAR nets (and their plain twins),
and a small FashionMNIST ResNet.

The blocks are named classes so that the layer table and the diagram can show the skip
connections: :class:`BasicBlock` adds its input (or a shortcut of it) to its output,
:class:`PlainBlock` is the same stack without the skip.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.zoo.registry import register_model
from cnnviz.zoo.torchvision_builder import torchvision_model


class PlainBlock(nn.Module):
    """Two 3×3 conv → batch norm layers with ReLUs: a residual block without its skip connection."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, bias: bool = False):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=bias)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=bias)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu2 = nn.ReLU()

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        """F(x): what the block learns (in a residual block, on top of its input)."""
        return self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu2(self.residual(x))


class BasicBlock(PlainBlock):
    """ResNet's basic block: ReLU(F(x) + shortcut(x)), the shortcut being the identity unless the
    shape changes (then ``shortcut``: a 1×1 projection, or :class:`ZeroPadShortcut`).
    d2l.ai calls it ``Residual``."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, bias: bool = False,
                 shortcut: nn.Module | None = None):
        super().__init__(in_channels, out_channels, stride=stride, bias=bias)
        self.shortcut = shortcut

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = x if self.shortcut is None else self.shortcut(x)
        return self.relu2(self.residual(x) + skip)


class ZeroPadShortcut(nn.Module):
    """He et al.'s option A shortcut: subsample by the stride and append zero channels.

    It has no parameters, so a ResNet counts exactly as many as its plain twin."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra_channels}"


def projection(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    """Option B shortcut: a strided 1×1 conv and batch norm (torchvision's ``downsample``)."""
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False)),
        ("bn", nn.BatchNorm2d(out_channels)),
    ]))


def stage(blocks: int, in_channels: int, out_channels: int, stride: int, *, residual: bool,
          shortcut=ZeroPadShortcut) -> nn.Sequential:
    """``blocks`` blocks; the first one changes the width and, with ``stride`` 2, halves the image."""
    layers = []
    for i in range(1, blocks + 1):
        c_in, s = (in_channels, stride) if i == 1 else (out_channels, 1)
        if not residual:
            block = PlainBlock(c_in, out_channels, stride=s)
        else:
            changes_shape = s != 1 or c_in != out_channels
            block = BasicBlock(c_in, out_channels, stride=s,
                               shortcut=shortcut(c_in, out_channels, s) if changes_shape else None)
        layers.append((f"block{i}", block))
    return nn.Sequential(OrderedDict(layers))


def small_resnet(in_channels: int, num_classes: int, *, widths: tuple[int, ...], blocks: int,
                 residual: bool = True, shortcut=ZeroPadShortcut) -> nn.Sequential:
    """3×3 conv stem, one stage per width (the image halves from the second on), global average
    pooling and one FC layer — He et al.'s CIFAR design."""
    layers = [
        ("conv1", nn.Conv2d(in_channels, widths[0], 3, padding=1, bias=False)),
        ("bn1", nn.BatchNorm2d(widths[0])),
        ("relu1", nn.ReLU()),
    ]
    c_in = widths[0]
    for i, width in enumerate(widths, start=1):
        layers.append((f"stage{i}", stage(blocks, c_in, width, stride=1 if i == 1 else 2,
                                          residual=residual, shortcut=shortcut)))
        c_in = width
    layers += [("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()),
               ("fc", nn.Linear(c_in, num_classes))]
    return nn.Sequential(OrderedDict(layers))


def _register_torchvision_resnet(depth: int, blocks: str) -> None:
    name = f"resnet{depth}"

    @register_model(
        name,
        title=f"ResNet-{depth} (torchvision)",
        family="ResNet",
        source="He et al. 2015, 'Deep residual learning for image recognition'; "
               f"torchvision.models.{name}; Ng notes Assignment #3 (001), CS540 (002)",
        input_shape=(3, 224, 224),
        num_classes=1000,
        notes=(
            "Residual (skip) connections: each BasicBlock of two 3×3 convs learns F(x) and outputs "
            "ReLU(F(x) + x), so learning an identity means pushing F to zero — easy — and very "
            "deep nets train. When the width doubles and the image halves, a strided 1×1 conv "
            "with batch norm (downsample) projects x to the new shape.\n"
            "Stem 7×7 conv stride 2 + max-pool, four stages (64-128-256-512 channels, "
            f"{blocks} blocks), global average pooling, one FC."
        ),
    )
    def build(in_channels: int = 3, num_classes: int = 1000) -> nn.Module:
        return torchvision_model(name, in_channels, num_classes)


_register_torchvision_resnet(18, "2-2-2-2")
_register_torchvision_resnet(34, "3-4-6-3")


def d2l_residual(in_channels: int, out_channels: int, stride: int) -> BasicBlock:
    """d2l.ai's ``Residual``: convs with biases; a strided 1×1 conv (no batch norm) as shortcut."""
    shortcut = (nn.Conv2d(in_channels, out_channels, 1, stride=stride)
                if stride != 1 or in_channels != out_channels else None)
    return BasicBlock(in_channels, out_channels, stride=stride, bias=True, shortcut=shortcut)


@register_model(
    "resnet-d2l",
    title="ResNet-18 (d2l.ai)",
    family="ResNet",
    source="He et al. 2015; d2l.ai 'Residual Networks (ResNet)', ResNet18",
    input_shape=(1, 96, 96),
    num_classes=10,
    notes=(
        "d2l.ai's ResNet-18 for 96×96 Fashion-MNIST: GoogLeNet's stem (7×7 conv stride 2, batch "
        "norm, 3×3 max-pool), four modules of two residual blocks (64, 128, 256, 512 channels), "
        "global average pooling and one FC layer.\n"
        "Unlike torchvision's, its convs keep their biases and its downsampling shortcut is a "
        "strided 1×1 conv without batch norm."
    ),
)
def resnet_d2l(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    layers = [("b1", nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)),
        ("bn", nn.BatchNorm2d(64)),
        ("relu", nn.ReLU()),
        ("pool", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
    ])))]
    c_in = 64
    for i, width in enumerate((64, 128, 256, 512), start=2):
        stride = 1 if i == 2 else 2
        layers.append((f"b{i}", nn.Sequential(OrderedDict([
            ("residual1", d2l_residual(c_in, width, stride)),
            ("residual2", d2l_residual(width, width, 1)),
        ]))))
        c_in = width
    layers += [("gap", nn.AdaptiveAvgPool2d((1, 1))), ("flatten", nn.Flatten()),
               ("fc", nn.Linear(512, num_classes))]
    return nn.Sequential(OrderedDict(layers))


_CIFAR_SOURCE = ("He et al. 2015, 'Deep residual learning for image recognition', section 4.2 "
                 "(CIFAR-10); Ng notes (001), CS-E4890 loss surfaces of ResNet-56 (000)")

def _register_cifar_pair(depth: int) -> None:
    """resnet{depth} and its twin plain{depth}: 6n+2 layers, n blocks per stage."""
    n = (depth - 2) // 6

    @register_model(
        f"resnet{depth}",
        title=f"ResNet-{depth} (CIFAR-10)",
        family="ResNet",
        source=_CIFAR_SOURCE,
        input_shape=(3, 32, 32),
        num_classes=10,
        notes=(
            f"He et al.'s CIFAR-10 net with 6n+2 = {depth} weight layers (n = {n}): a 3×3 conv, "
            f"three stages of {n} basic blocks on 32×32×16, 16×16×32 and 8×8×64 maps, global "
            "average pooling, FC 10.\n"
            "Identity shortcuts everywhere (option A): where the width doubles, the shortcut "
            "subsamples by 2 and pads the new channels with zeros, adding no parameters — so it "
            f"has exactly as many as plain{depth}."
        ),
    )
    def build_resnet(in_channels: int = 3, num_classes: int = 10) -> nn.Module:
        return small_resnet(in_channels, num_classes, widths=(16, 32, 64), blocks=n)

    @register_model(
        f"plain{depth}",
        title=f"Plain-{depth} (CIFAR-10, no shortcuts)",
        family="ResNet",
        source=_CIFAR_SOURCE,
        input_shape=(3, 32, 32),
        num_classes=10,
        notes=(
            f"resnet{depth} without its skip connections: the same {depth} layers and the same "
            "parameters, stacked plainly.\n"
            "He et al.'s degradation experiment: the deeper plain net (56) has a higher training "
            "error than the shallower one (20), while with shortcuts depth helps."
        ),
    )
    def build_plain(in_channels: int = 3, num_classes: int = 10) -> nn.Module:
        return small_resnet(in_channels, num_classes, widths=(16, 32, 64), blocks=n,
                            residual=False)


_register_cifar_pair(20)
_register_cifar_pair(56)


@register_model(
    "resnet-small",
    title="Small ResNet for FashionMNIST",
    family="ResNet",
    source="In the spirit of the CS-E4890 assignment 02_cnn ResNet (000); He et al. 2015",
    input_shape=(1, 28, 28),
    num_classes=10,
    notes=(
        "A small residual net for 28×28 FashionMNIST: a 3×3 conv with batch norm, three stages of "
        "two basic blocks (16, 32, 64 channels on 28×28, 14×14, 7×7), global average pooling and "
        "one FC layer.\n"
        "Where the shape changes the shortcut is a strided 1×1 conv with batch norm (projection)."
    ),
)
def resnet_small(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    return small_resnet(in_channels, num_classes, widths=(16, 32, 64), blocks=2,
                        shortcut=projection)
