"""VGG: torchvision's VGG-11/16/19, the d2l.ai VGG-11 and the CS-E4890 VGG-style net."""

from __future__ import annotations

from collections import OrderedDict

from torch import nn

from cnnviz.zoo.registry import register_model
from cnnviz.zoo.torchvision_builder import torchvision_model

_VGG_NOTES = (
    "Only 3×3 convs (padding 1) in blocks, each block ended by a 2×2 max-pool that halves the "
    "image while the channels double (64 → 512). Two stacked 3×3 convs see a 5×5 patch, three "
    "see 7×7, with fewer parameters and more nonlinearities than one large kernel.\n"
    "The three FC layers (25088→4096→4096→classes) hold most of the parameters."
)


def _register_torchvision_vgg(depth: int, convs: int) -> None:
    name = f"vgg{depth}"

    @register_model(
        name,
        title=f"VGG-{depth} (torchvision)",
        family="VGG",
        source="Simonyan & Zisserman 2014, 'Very deep convolutional networks for large-scale "
               f"image recognition'; torchvision.models.{name}; Ng notes (001), UFV L11 (003)",
        input_shape=(3, 224, 224),
        num_classes=1000,
        notes=f"{depth} weight layers: {convs} convs and 3 FC layers. " + _VGG_NOTES,
    )
    def build(in_channels: int = 3, num_classes: int = 1000) -> nn.Module:
        return torchvision_model(name, in_channels, num_classes)


for _depth, _convs in ((11, 8), (16, 13), (19, 16)):
    _register_torchvision_vgg(_depth, _convs)


def vgg_block(num_convs: int, in_channels: int, out_channels: int) -> nn.Sequential:
    """d2l.ai's ``vgg_block``: ``num_convs`` 3×3 convs (padding 1) with ReLU, then max-pool 2/2."""
    layers: list[tuple[str, nn.Module]] = []
    for i in range(1, num_convs + 1):
        layers.append((f"conv{i}", nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)))
        layers.append((f"relu{i}", nn.ReLU()))
        in_channels = out_channels
    layers.append(("pool", nn.MaxPool2d(kernel_size=2, stride=2)))
    return nn.Sequential(OrderedDict(layers))


VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))


@register_model(
    "vgg11-d2l",
    title="VGG-11 (d2l.ai, DSCI 565)",
    family="VGG",
    source="Simonyan & Zisserman 2014; d2l.ai 'Networks Using Blocks (VGG)'; "
           "DSCI 565 Modern CNNs (004)",
    input_shape=(1, 224, 224),
    num_classes=10,
    notes=(
        "d2l.ai's VGG class with arch ((1,64), (1,128), (2,256), (2,512), (2,512)): five "
        "vgg_blocks (8 convs) and 3 FC layers. " + _VGG_NOTES + "\n"
        "Its first FC layer alone is a 25088×4096 matrix, ~103M weights (~412 MB in float32)."
    ),
)
def vgg11_d2l(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    blocks = []
    for i, (num_convs, out_channels) in enumerate(VGG11_ARCH, start=1):
        blocks.append((f"block{i}", vgg_block(num_convs, in_channels, out_channels)))
        in_channels = out_channels
    return nn.Sequential(OrderedDict([
        *blocks,
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(512 * 7 * 7, 4096)),
        ("relu1", nn.ReLU()),
        ("dropout1", nn.Dropout(0.5)),
        ("fc2", nn.Linear(4096, 4096)),
        ("relu2", nn.ReLU()),
        ("dropout2", nn.Dropout(0.5)),
        ("fc3", nn.Linear(4096, num_classes)),
    ]))


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int, padding: int) -> nn.Sequential:
    """Conv → batch norm → ReLU, the assignment's unit (the conv keeps PyTorch's default bias)."""
    return nn.Sequential(OrderedDict([
        ("conv", nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding)),
        ("bn", nn.BatchNorm2d(out_channels)),
        ("relu", nn.ReLU()),
    ]))


@register_model(
    "vgg-style",
    title="VGG-style net (CS-E4890 assignment)",
    family="VGG",
    source="CS-E4890 Deep Learning, CNN Q/A session, assignment 02_cnn 'VGG-style network' (000)",
    input_shape=(1, 28, 28),
    num_classes=10,
    notes=(
        "The assignment's VGG-inspired FashionMNIST net: two blocks of three 3×3 convs "
        "(20 then 40 channels, padding 1) each followed by max-pool 2/2 (28 → 14 → 7), a 3×3 conv "
        "with 60 channels and no padding (7 → 5), then 1×1 convs to 40 and 20 channels.\n"
        "Batch norm right after every conv, before the ReLU (the convs keep PyTorch's default "
        "bias, which batch norm makes redundant); global average pooling over the 5×5 maps "
        "replaces the big FC layers, leaving a single FC 20 → 10."
    ),
)
def vgg_style(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    def block(c_in: int, c_out: int) -> nn.Sequential:
        return nn.Sequential(OrderedDict(
            (f"unit{i}", conv_bn_relu(c_in if i == 1 else c_out, c_out, 3, padding=1))
            for i in (1, 2, 3)
        ))

    return nn.Sequential(OrderedDict([
        ("block1", block(in_channels, 20)),
        ("pool1", nn.MaxPool2d(kernel_size=2, stride=2)),
        ("block2", block(20, 40)),
        ("pool2", nn.MaxPool2d(kernel_size=2, stride=2)),
        ("conv3x3", conv_bn_relu(40, 60, 3, padding=0)),
        ("conv1x1a", conv_bn_relu(60, 40, 1, padding=0)),
        ("conv1x1b", conv_bn_relu(40, 20, 1, padding=0)),
        ("gap", nn.AdaptiveAvgPool2d(1)),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(20, num_classes)),
    ]))
