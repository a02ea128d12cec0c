"""AlexNet: torchvision's reference model and the DSCI 565 (d2l.ai) version."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from cnnviz.zoo.registry import register_model
from cnnviz.zoo.torchvision_builder import torchvision_model


@register_model(
    "alexnet",
    title="AlexNet (torchvision)",
    family="AlexNet",
    source="Krizhevsky, Sutskever & Hinton 2012, 'ImageNet classification with deep "
           "convolutional neural networks'; torchvision.models.alexnet; Ng notes (001), CS540 (002)",
    input_shape=(3, 224, 224),
    num_classes=1000,
    notes=(
        "The 2012 ImageNet winner: a deeper, bigger LeNet. First conv 11×11 with stride 4, "
        "then 5×5 and three 3×3 convs; max-pooling; ReLU instead of tanh/sigmoid; dropout in the "
        "two 4096-unit FC layers, which hold most of the ~61 million parameters.\n"
        "torchvision's version is the single-GPU variant of Krizhevsky's 'one weird trick' paper "
        "(64-192-384-256-256 filters instead of 96-256-384-384-256)."
    ),
)
def alexnet(in_channels: int = 3, num_classes: int = 1000) -> nn.Module:
    return torchvision_model("alexnet", in_channels, num_classes)


@register_model(
    "alexnet-d2l",
    title="AlexNet (d2l.ai, DSCI 565)",
    family="AlexNet",
    source="Krizhevsky et al. 2012; d2l.ai 'Deep Convolutional Neural Networks (AlexNet)'; "
           "DSCI 565 Modern CNNs (004)",
    input_shape=(1, 224, 224),
    num_classes=10,
    notes=(
        "The d2l.ai AlexNet for 224×224 Fashion-MNIST: conv 96@11×11 stride 4, max-pool 3/2, "
        "conv 256@5×5, three 3×3 convs (384, 384, 256), max-pool, then FC 6400→4096→4096→10 "
        "with ReLU and dropout 0.5.\n"
        "The two big FC layers hold 26M + 16M of its 46.8M parameters."
    ),
)
def alexnet_d2l(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=1)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(kernel_size=3, stride=2)),
        ("conv2", nn.Conv2d(96, 256, kernel_size=5, padding=2)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(kernel_size=3, stride=2)),
        ("conv3", nn.Conv2d(256, 384, kernel_size=3, padding=1)),
        ("relu3", nn.ReLU()),
        ("conv4", nn.Conv2d(384, 384, kernel_size=3, padding=1)),
        ("relu4", nn.ReLU()),
        ("conv5", nn.Conv2d(384, 256, kernel_size=3, padding=1)),
        ("relu5", nn.ReLU()),
        ("pool5", nn.MaxPool2d(kernel_size=3, stride=2)),
        ("flatten", nn.Flatten()),
        ("fc6", nn.Linear(256 * 5 * 5, 4096)),
        ("relu6", nn.ReLU()),
        ("dropout6", nn.Dropout(p=0.5)),
        ("fc7", nn.Linear(4096, 4096)),
        ("relu7", nn.ReLU()),
        ("dropout7", nn.Dropout(p=0.5)),
        ("fc8", nn.Linear(4096, num_classes)),
    ]))
