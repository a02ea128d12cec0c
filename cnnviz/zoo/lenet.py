"""LeNet-5 and the course's LeNet-shaped nets: two 5×5 convs with pooling, then three FC layers.

They differ only in input size, padding, activation and pooling, so one builder makes them all;
the entries below are the documents' variants. Every module is named (conv1, pool1, fc1 ...) and
every step is a module, so each one is a row of the layer table.
"""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from cnnviz.zoo.registry import register_model


def lenet(
    in_channels: int,
    num_classes: int,
    *,
    flat_features: int,
    channels: tuple[int, int] = (6, 16),
    hidden: tuple[int, int] = (120, 84),
    padding: int = 0,
    activation: type[nn.Module] = nn.ReLU,
    pool: type[nn.Module] = nn.MaxPool2d,
) -> nn.Sequential:
    """conv 5×5 → act → pool 2 → conv 5×5 → act → pool 2 → flatten → FC → act → FC → act → FC.

    ``flat_features`` is what the second pool leaves (channels × height × width), as the documents
    write it by hand (16·5·5 = 400); a different input size gives the analysis' diagnosis.
    """
    act = activation.__name__.lower()
    c1, c2 = channels
    h1, h2 = hidden
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(in_channels, c1, kernel_size=5, padding=padding)),
        (f"{act}1", activation()),
        ("pool1", pool(kernel_size=2, stride=2)),
        ("conv2", nn.Conv2d(c1, c2, kernel_size=5)),
        (f"{act}2", activation()),
        ("pool2", pool(kernel_size=2, stride=2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(flat_features, h1)),
        (f"{act}3", activation()),
        ("fc2", nn.Linear(h1, h2)),
        (f"{act}4", activation()),
        ("fc3", nn.Linear(h2, num_classes)),
    ]))


@register_model(
    "lenet5",
    title="LeNet-5",
    family="LeNet",
    source="LeCun et al. 1998, 'Gradient-based learning applied to document recognition'; "
           "UFV L11 'LeNet-5 analysis' table (003), Ng notes (001)",
    input_shape=(1, 32, 32),
    num_classes=10,
    notes=(
        "The first successful conv net (handwritten digits, 32×32 inputs).\n"
        "conv 6@5×5 → avg-pool 2 → conv 16@5×5 → avg-pool 2 → FC 120 → FC 84 → 10, with tanh.\n"
        "Built as in the course's LeNet-5 analysis table: C3 fully connected to all 6 maps of S2 "
        "(the 1998 paper connected each C3 map to only some of them: 1,516 parameters instead "
        "of 2,416), plain average pooling (the paper's had a trainable coefficient and bias) and a "
        "plain linear output (the paper used RBF units). About 60 thousand parameters."
    ),
)
def lenet5(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    return lenet(in_channels, num_classes, flat_features=16 * 5 * 5,
                 activation=nn.Tanh, pool=nn.AvgPool2d)


@register_model(
    "lenet5-padded",
    title="LeNet-5 for MNIST (padding 2)",
    family="LeNet",
    source="LeCun et al. 1998; CS540 Deep Learning II (002), LeNet in PyTorch "
           "(bollakarthikeya/LeNet-5-PyTorch)",
    input_shape=(1, 28, 28),
    num_classes=10,
    notes=(
        "MNIST images are 28×28, LeNet-5 expects 32×32: padding 2 on the first conv gives "
        "the same 28×28×6 maps, so every later layer is unchanged.\n"
        "The modern variant: ReLU instead of tanh, max-pooling instead of average pooling. "
        "Same 61,706 parameters as LeNet-5."
    ),
)
def lenet5_padded(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    return lenet(in_channels, num_classes, flat_features=16 * 5 * 5, padding=2)


@register_model(
    "lenet5-fashion",
    title="LeNet-5 for FashionMNIST (CS-E4890 assignment)",
    family="LeNet",
    source="CS-E4890 Deep Learning, CNN Q/A session, assignment 02_cnn (000)",
    input_shape=(1, 28, 28),
    num_classes=10,
    notes=(
        "The assignment's LeNet-5 on 28×28 FashionMNIST without padding: the maps shrink to "
        "24×24 → 12×12 → 8×8 → 4×4, so the first FC layer sees 16·4·4 = 256 features, not 400.\n"
        "ReLU and max-pooling 2/2; the last layer has no nonlinearity (the loss applies softmax)."
    ),
)
def lenet5_fashion(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    return lenet(in_channels, num_classes, flat_features=16 * 4 * 4)


@register_model(
    "pytorch-tutorial-net",
    title="Net of the PyTorch tutorial",
    family="LeNet",
    source="PyTorch 'Neural Networks' tutorial; Ng notes, Assignment #3 (001)",
    input_shape=(1, 32, 32),
    num_classes=10,
    notes=(
        "The `Net` of PyTorch's 60-minute blitz, quoted in Assignment #3: LeNet-5 on 32×32 with "
        "ReLU and max-pooling (F.max_pool2d in the tutorial, modules here so each is a row).\n"
        "fc1 takes 16·5·5 = 400 features. 61,706 parameters, like LeNet-5."
    ),
)
def pytorch_tutorial_net(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    return lenet(in_channels, num_classes, flat_features=16 * 5 * 5)
