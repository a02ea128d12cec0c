"""GoogLeNet and its Inception block: torchvision's model and the d2l.ai version."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from cnnviz.zoo.registry import register_model
from cnnviz.zoo.torchvision_builder import torchvision_model


class Inception(nn.Module):
    """d2l.ai's Inception block: four parallel branches concatenated along the channels.

    ``c1`` channels from a 1×1 conv; ``c2 = (reduce, out)`` from a 1×1 bottleneck then a 3×3 conv;
    ``c3 = (reduce, out)`` from a 1×1 bottleneck then a 5×5 conv; ``c4`` from a 3×3 max-pool then
    a 1×1 conv. Every branch keeps the height and width, so they can be concatenated.
    """

    def __init__(self, in_channels: int, c1: int, c2: tuple[int, int], c3: tuple[int, int],
                 c4: int) -> None:
        super().__init__()
        self.branch1 = nn.Sequential(OrderedDict([
            ("conv1x1", nn.Conv2d(in_channels, c1, kernel_size=1)),
            ("relu", nn.ReLU()),
        ]))
        self.branch2 = nn.Sequential(OrderedDict([
            ("conv1x1", nn.Conv2d(in_channels, c2[0], kernel_size=1)),
            ("relu1", nn.ReLU()),
            ("conv3x3", nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)),
            ("relu2", nn.ReLU()),
        ]))
        self.branch3 = nn.Sequential(OrderedDict([
            ("conv1x1", nn.Conv2d(in_channels, c3[0], kernel_size=1)),
            ("relu1", nn.ReLU()),
            ("conv5x5", nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)),
            ("relu2", nn.ReLU()),
        ]))
        self.branch4 = nn.Sequential(OrderedDict([
            ("pool", nn.MaxPool2d(kernel_size=3, stride=1, padding=1)),
            ("conv1x1", nn.Conv2d(in_channels, c4, kernel_size=1)),
            ("relu", nn.ReLU()),
        ]))
        self.out_channels = c1 + c2[1] + c3[1] + c4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(
            (self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)), dim=1)


_INCEPTION_NOTES = (
    "Inception blocks run 1×1, 3×3 and 5×5 convs and a 3×3 max-pool side by side and "
    "concatenate their outputs, instead of choosing one kernel size. 1×1 'bottleneck' convs "
    "shrink the channels before the expensive 3×3 and 5×5 convs, cutting the multiplications "
    "about tenfold."
)


@register_model(
    "googlenet",
    title="GoogLeNet (torchvision)",
    family="GoogLeNet",
    source="Szegedy et al. 2015, 'Going deeper with convolutions'; torchvision.models.googlenet; "
           "Ng notes (001), DSCI 565 (004)",
    input_shape=(3, 224, 224),
    num_classes=1000,
    notes=(
        "The 2014 ImageNet winner: a stem of convs, nine Inception blocks, global average "
        "pooling and one FC layer — about 6.6M parameters, a tenth of AlexNet's. "
        + _INCEPTION_NOTES + "\n"
        "torchvision adds batch norm after every conv, and its third branch (branch3) uses a 3×3 "
        "conv where the paper has 5×5 — a known difference of torchvision's port, kept as it is "
        "(googlenet-d2l has the paper's 5×5); built here without the two auxiliary side-branch "
        "classifiers (used only in training)."
    ),
)
def googlenet(in_channels: int = 3, num_classes: int = 1000) -> nn.Module:
    return torchvision_model("googlenet", in_channels, num_classes,
                             aux_logits=False, init_weights=False)


@register_model(
    "googlenet-d2l",
    title="GoogLeNet (d2l.ai, DSCI 565)",
    family="GoogLeNet",
    source="Szegedy et al. 2015; d2l.ai 'Multi-Branch Networks (GoogLeNet)'; "
           "DSCI 565 Modern CNNs (004)",
    input_shape=(1, 96, 96),
    num_classes=10,
    notes=(
        "d2l.ai's GoogLeNet on 96×96 Fashion-MNIST: stem b1 (7×7 conv, max-pool), b2 (1×1 and 3×3 "
        "convs, 192 channels), then Inception blocks — b3: 2 (480 channels), b4: 5 (832), b5: 2 "
        "(1024) — global average pooling and one FC layer. " + _INCEPTION_NOTES
    ),
)
def googlenet_d2l(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    pool = {"kernel_size": 3, "stride": 2, "padding": 1}
    return nn.Sequential(OrderedDict([
        ("b1", nn.Sequential(OrderedDict([
            ("conv", nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)),
            ("relu", nn.ReLU()),
            ("pool", nn.MaxPool2d(**pool)),
        ]))),
        ("b2", nn.Sequential(OrderedDict([
            ("conv1x1", nn.Conv2d(64, 64, kernel_size=1)),
            ("relu1", nn.ReLU()),
            ("conv3x3", nn.Conv2d(64, 192, kernel_size=3, padding=1)),
            ("relu2", nn.ReLU()),
            ("pool", nn.MaxPool2d(**pool)),
        ]))),
        ("b3", nn.Sequential(OrderedDict([
            ("inception3a", Inception(192, 64, (96, 128), (16, 32), 32)),
            ("inception3b", Inception(256, 128, (128, 192), (32, 96), 64)),
            ("pool", nn.MaxPool2d(**pool)),
        ]))),
        ("b4", nn.Sequential(OrderedDict([
            ("inception4a", Inception(480, 192, (96, 208), (16, 48), 64)),
            ("inception4b", Inception(512, 160, (112, 224), (24, 64), 64)),
            ("inception4c", Inception(512, 128, (128, 256), (24, 64), 64)),
            ("inception4d", Inception(512, 112, (144, 288), (32, 64), 64)),
            ("inception4e", Inception(528, 256, (160, 320), (32, 128), 128)),
            ("pool", nn.MaxPool2d(**pool)),
        ]))),
        ("b5", nn.Sequential(OrderedDict([
            ("inception5a", Inception(832, 256, (160, 320), (32, 128), 128)),
            ("inception5b", Inception(832, 384, (192, 384), (48, 128), 128)),
            ("gap", nn.AdaptiveAvgPool2d((1, 1))),
            ("flatten", nn.Flatten()),
        ]))),
        ("fc", nn.Linear(1024, num_classes)),
    ]))


@register_model(
    "inception-block",
    title="Inception block (3a) alone",
    family="GoogLeNet",
    source="Szegedy et al. 2015, GoogLeNet's inception (3a); DSCI 565 Inception class (004); "
           "Ng notes on 1×1 convolutions (001)",
    input_shape=(192, 28, 28),
    num_classes=0,
    configurable=False,
    notes=(
        "GoogLeNet's first Inception block, Inception(64, (96, 128), (16, 32), 32), on a "
        "28×28×192 volume: 64 + 128 + 32 + 32 = 256 output channels, same 28×28. Not a "
        "classifier (num_classes 0): it is here to show the branches and what the 1×1 bottlenecks "
        "save — a 5×5 conv straight to 32 channels would need 120M multiplications, through a "
        "16-channel 1×1 bottleneck about 12.4M."
    ),
)
def inception_block() -> nn.Module:
    return Inception(192, 64, (96, 128), (16, 32), 32)
