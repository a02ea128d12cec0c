"""Network in Network (Lin et al. 2013) as d2l.ai writes it: 1×1 convs and global average pooling."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from cnnviz.zoo.registry import register_model


def nin_block(in_channels: int, out_channels: int, kernel_size: int, stride: int,
              padding: int) -> nn.Sequential:
    """d2l.ai's ``nin_block``: one conv, then two 1×1 convs (a small MLP at every pixel), ReLUs."""
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)),
        ("relu", nn.ReLU()),
        ("conv1x1a", nn.Conv2d(out_channels, out_channels, kernel_size=1)),
        ("relu_a", nn.ReLU()),
        ("conv1x1b", nn.Conv2d(out_channels, out_channels, kernel_size=1)),
        ("relu_b", nn.ReLU()),
    ]))


@register_model(
    "nin",
    title="Network in Network (d2l.ai, DSCI 565)",
    family="NiN",
    source="Lin, Chen & Yan 2013, 'Network in network'; d2l.ai 'Network in Network (NiN)'; "
           "DSCI 565 Modern CNNs (004)",
    input_shape=(1, 224, 224),
    num_classes=10,
    notes=(
        "AlexNet's conv sizes (11×11 s4, 5×5, 3×3) but every conv is followed by two 1×1 convs: "
        "a per-pixel fully connected layer across the channels that adds nonlinearity without "
        "destroying the spatial structure.\n"
        "No FC layers at all: the last NiN block has one channel per class and global average "
        "pooling (AdaptiveAvgPool2d(1)) turns each map into a class score — about 2M parameters "
        "instead of AlexNet's tens of millions."
    ),
)
def nin(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    return nn.Sequential(OrderedDict([
        ("block1", nin_block(in_channels, 96, kernel_size=11, stride=4, padding=0)),
        ("pool1", nn.MaxPool2d(3, stride=2)),
        ("block2", nin_block(96, 256, kernel_size=5, stride=1, padding=2)),
        ("pool2", nn.MaxPool2d(3, stride=2)),
        ("block3", nin_block(256, 384, kernel_size=3, stride=1, padding=1)),
        ("pool3", nn.MaxPool2d(3, stride=2)),
        ("dropout", nn.Dropout(0.5)),
        ("block4", nin_block(384, num_classes, kernel_size=3, stride=1, padding=1)),
        ("gap", nn.AdaptiveAvgPool2d((1, 1))),
        ("flatten", nn.Flatten()),
    ]))
