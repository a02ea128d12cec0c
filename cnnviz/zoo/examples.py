"""Small nets the course documents work through by hand (Ng's examples, the CS-E4890 slide)."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from cnnviz.zoo.lenet import lenet
from cnnviz.zoo.registry import register_model


@register_model(
    "ng-example",
    title="Neural network example (Ng)",
    family="Course examples",
    source="Andrew Ng, Deep Learning Specialization; Ng notes 'Neural network example' table (001)",
    input_shape=(3, 32, 32),
    num_classes=10,
    notes=(
        "The LeNet-like net of the table 'make sure the activation and #parameters are correct?': "
        "CONV1 f=5 s=1 with 8 filters, max POOL1, CONV2 f=5 s=1 with 16 filters, POOL2, FC3 120, "
        "FC4 84, softmax 10 (the softmax is left to the loss).\n"
        "Trends to notice: pools have no parameters, convs far fewer than FC layers, the "
        "activation size shrinks with depth while the channels grow."
    ),
)
def ng_example(in_channels: int = 3, num_classes: int = 10) -> nn.Module:
    return lenet(in_channels, num_classes, flat_features=16 * 5 * 5, channels=(8, 16))


@register_model(
    "ng-39",
    title="CNN for image classification (39×39×3)",
    family="Course examples",
    source="Andrew Ng, Deep Learning Specialization; UFV L11 'CNN for Image Classification' (003)",
    input_shape=(3, 39, 39),
    num_classes=10,
    notes=(
        "Three convs without pooling, shrinking the image by stride alone: f=3 s=1 n=10 → "
        "37×37×10; f=5 s=2 n=20 → 17×17×20; f=5 s=2 n=40 → 7×7×40.\n"
        "Flattened to 7·7·40 = 1,960 features for a linear (logistic/softmax) classifier."
    ),
)
def ng_39(in_channels: int = 3, num_classes: int = 10) -> nn.Module:
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 10, kernel_size=3, stride=1)),
        ("relu1", nn.ReLU()),
        ("conv2", nn.Conv2d(10, 20, kernel_size=5, stride=2)),
        ("relu2", nn.ReLU()),
        ("conv3", nn.Conv2d(20, 40, kernel_size=5, stride=2)),
        ("relu3", nn.ReLU()),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(7 * 7 * 40, num_classes)),
    ]))


class SimpleCNN(nn.Module):
    """The CS-E4890 slide's class as written: one pooling (and ReLU) module used twice.

    ``fc`` expects 320 inputs, but on 1×28×28 the convs (padding 1) leave 20×5×5 = 500:
    the net does not run, on purpose, so that the analysis can diagnose it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5, padding=1)
        self.pool = nn.MaxPool2d(kernel_size=2)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5, padding=1)
        self.fc = nn.Linear(320, 10)
        self.relu = nn.ReLU()
        self.flatten = nn.Flatten()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.pool(self.conv1(x)))
        x = self.relu(self.pool(self.conv2(x)))
        return self.fc(self.flatten(x))


@register_model(
    "simple-cnn",
    title="SimpleCNN (CS-E4890 slide, does not fit)",
    family="Course examples",
    source="CS-E4890 Deep Learning, CNN Q/A session, LeNet-5 slide (000)",
    input_shape=(1, 28, 28),
    num_classes=10,
    configurable=False,
    notes=(
        "Exactly the slide's code: conv1 (10@5×5, padding 1) → pool → ReLU → conv2 (20@5×5, "
        "padding 1) → pool → ReLU → fc(320, 10), with ONE MaxPool2d module called twice.\n"
        "It does not run on 28×28: the maps are 26 → 13 → 11 → 5, so fc receives "
        "20·5·5 = 500 features, not 320. Fix: in_features=500, or padding=0 in both convs "
        "(24 → 12 → 8 → 4 gives 20·4·4 = 320)."
    ),
)
def simple_cnn() -> nn.Module:
    return SimpleCNN()
