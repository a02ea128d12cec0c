"""The zoo: every documented network builds, runs on its default input and has the right size.

Parameter totals are checked against independent references: torchvision's published counts
(weights metadata, read offline) and the layer-by-layer formulas a student writes by hand.
"""

import pytest
import torch
from torch import nn
from torchvision.models import get_model_weights

from cnnviz.zoo import UnknownArchitecture, create_model, get_architecture, list_architectures
from cnnviz.zoo.googlenet import Inception
from cnnviz.zoo.resnet import BasicBlock, PlainBlock, ZeroPadShortcut

REQUIRED_IDS = [
    "lenet5", "lenet5-padded", "lenet5-fashion", "pytorch-tutorial-net", "simple-cnn",
    "ng-example", "ng-39", "alexnet", "alexnet-d2l", "vgg11", "vgg16", "vgg19", "vgg11-d2l",
    "vgg-style", "nin", "googlenet", "googlenet-d2l", "inception-block", "resnet18", "resnet34",
    "resnet-d2l", "resnet20", "resnet56", "plain20", "plain56", "resnet-small",
]
TORCHVISION_IDS = ["alexnet", "vgg11", "vgg16", "vgg19", "googlenet", "resnet18", "resnet34"]
# Real forward passes on the CPU cost too much for these; they run on the meta device instead.
BIG_IDS = {*TORCHVISION_IDS, "alexnet-d2l", "vgg11-d2l", "nin", "googlenet-d2l", "resnet-d2l"}


def conv(c_in, c_out, k, bias=True):
    """Hand formula of a conv layer's parameters: (k·k·c_in + 1)·c_out."""
    return (k * k * c_in + bias) * c_out


def fc(n_in, n_out):
    return (n_in + 1) * n_out


def count_params(model):
    return sum(p.numel() for p in model.parameters())


LENET_61706 = conv(1, 6, 5) + conv(6, 16, 5) + fc(400, 120) + fc(120, 84) + fc(84, 10)

HAND_DERIVED = {
    "lenet5": LENET_61706,
    "lenet5-padded": LENET_61706,
    "pytorch-tutorial-net": LENET_61706,
    "lenet5-fashion": conv(1, 6, 5) + conv(6, 16, 5) + fc(256, 120) + fc(120, 84) + fc(84, 10),
    "ng-example": conv(3, 8, 5) + conv(8, 16, 5) + fc(400, 120) + fc(120, 84) + fc(84, 10),
    "ng-39": conv(3, 10, 3) + conv(10, 20, 5) + conv(20, 40, 5) + fc(1960, 10),
    "simple-cnn": conv(1, 10, 5) + conv(10, 20, 5) + fc(320, 10),
}


def inception(c_in, c1, c2, c3, c4):
    """Hand formula of a d2l Inception block: 1×1; 1×1 → 3×3; 1×1 → 5×5; pool → 1×1."""
    return (conv(c_in, c1, 1) + conv(c_in, c2[0], 1) + conv(c2[0], c2[1], 3)
            + conv(c_in, c3[0], 1) + conv(c3[0], c3[1], 5) + conv(c_in, c4, 1))


def bn(c):
    return 2 * c


def cifar_resnet(n, widths=(16, 32, 64), in_channels=3, classes=10):
    """He et al.'s 6n+2 net with option A shortcuts (no parameters): convs without bias, BN."""
    total = conv(in_channels, widths[0], 3, bias=False) + bn(widths[0])
    c_in = widths[0]
    for width in widths:
        for i in range(n):
            total += conv(c_in if i == 0 else width, width, 3, bias=False)
            total += conv(width, width, 3, bias=False) + 2 * bn(width)
        c_in = width
    return total + fc(widths[-1], classes)


def d2l_resnet18():
    total = conv(1, 64, 7) + bn(64)
    c_in = 64
    for width in (64, 128, 256, 512):
        for i in range(2):
            first_in = c_in if i == 0 else width
            total += conv(first_in, width, 3) + conv(width, width, 3) + 2 * bn(width)
            if first_in != width:
                total += conv(first_in, width, 1)  # d2l's 1×1 shortcut conv, with bias, no BN
        c_in = width
    return total + fc(512, 10)


def googlenet_d2l():
    blocks = [(192, 64, (96, 128), (16, 32), 32), (256, 128, (128, 192), (32, 96), 64),
              (480, 192, (96, 208), (16, 48), 64), (512, 160, (112, 224), (24, 64), 64),
              (512, 128, (128, 256), (24, 64), 64), (512, 112, (144, 288), (32, 64), 64),
              (528, 256, (160, 320), (32, 128), 128), (832, 256, (160, 320), (32, 128), 128),
              (832, 384, (192, 384), (48, 128), 128)]
    stem = conv(1, 64, 7) + conv(64, 64, 1) + conv(64, 192, 3)
    return stem + sum(inception(*b) for b in blocks) + fc(1024, 10)


def vgg_style():
    convs = [(1, 20, 3), (20, 20, 3), (20, 20, 3), (20, 40, 3), (40, 40, 3), (40, 40, 3),
             (40, 60, 3), (60, 40, 1), (40, 20, 1)]
    return sum(conv(a, b, k) + bn(b) for a, b, k in convs) + fc(20, 10)


def nin_net():
    def block(c_in, c, k):
        return conv(c_in, c, k) + 2 * conv(c, c, 1)
    return block(1, 96, 11) + block(96, 256, 5) + block(256, 384, 3) + block(384, 10, 3)


HAND_DERIVED.update({
    "alexnet-d2l": conv(1, 96, 11) + conv(96, 256, 5) + conv(256, 384, 3) + conv(384, 384, 3)
    + conv(384, 256, 3) + fc(6400, 4096) + fc(4096, 4096) + fc(4096, 10),
    "vgg11-d2l": conv(1, 64, 3) + conv(64, 128, 3) + conv(128, 256, 3) + conv(256, 256, 3)
    + conv(256, 512, 3) + 3 * conv(512, 512, 3) + fc(25088, 4096) + fc(4096, 4096) + fc(4096, 10),
    "vgg-style": vgg_style(),
    "nin": nin_net(),
    "googlenet-d2l": googlenet_d2l(),
    "inception-block": inception(192, 64, (96, 128), (16, 32), 32),
    "resnet-d2l": d2l_resnet18(),
    "resnet20": cifar_resnet(3),
    "plain20": cifar_resnet(3),
    "resnet56": cifar_resnet(9),
    "plain56": cifar_resnet(9),
})
PUBLISHED = {"alexnet-d2l": 46_764_746, "resnet20": 269_722, "resnet56": 853_018,
             "plain20": 269_722, "plain56": 853_018}


def build(arch_id, device="cpu", **kwargs):
    with torch.device(device):
        return create_model(arch_id, **kwargs)


def test_every_required_id_is_registered_with_its_metadata():
    registered = {a.id: a for a in list_architectures()}
    assert set(REQUIRED_IDS) <= set(registered)
    for arch_id in REQUIRED_IDS:
        arch = registered[arch_id]
        assert arch.title and arch.family and arch.source and len(arch.notes) > 80
        assert len(arch.input_shape) == 3 and all(d > 0 for d in arch.input_shape)
        assert arch.to_dict()["id"] == arch_id


def test_notes_say_what_is_special():
    assert "11×11" in get_architecture("alexnet-d2l").notes + get_architecture("alexnet").notes
    assert "dropout" in get_architecture("alexnet").notes
    assert "3×3" in get_architecture("vgg16").notes
    assert "1×1" in get_architecture("nin").notes and "global average" in get_architecture("nin").notes
    assert "Inception" in get_architecture("googlenet").notes
    assert "skip" in get_architecture("resnet18").notes
    assert "partially" in get_architecture("lenet5").notes or "only some" in get_architecture("lenet5").notes


@pytest.mark.parametrize("arch_id", TORCHVISION_IDS)
def test_torchvision_totals_equal_the_published_counts(arch_id):
    published = get_model_weights(arch_id).DEFAULT.meta["num_params"]
    assert count_params(build(arch_id, "meta")) == published


def test_published_counts_of_the_documents():
    for arch_id, published in PUBLISHED.items():
        assert HAND_DERIVED[arch_id] == published
        assert count_params(build(arch_id, "meta")) == published


@pytest.mark.parametrize("arch_id", [i for i in REQUIRED_IDS if i not in ("simple-cnn", "inception-block")])
def test_every_net_maps_its_default_input_to_num_classes(arch_id):
    arch = get_architecture(arch_id)
    device = "meta" if arch_id in BIG_IDS else "cpu"
    model = build(arch_id, device).eval()
    with torch.no_grad():
        out = model(torch.randn(2, *arch.input_shape, device=device))
    assert out.shape == (2, arch.num_classes)
    if device == "cpu":
        assert torch.isfinite(out).all()


@pytest.mark.parametrize("arch_id", TORCHVISION_IDS + ["alexnet-d2l", "resnet-d2l", "resnet20"])
def test_in_channels_and_classes_can_change(arch_id):
    arch = get_architecture(arch_id)
    c = 1 if arch.input_shape[0] == 3 else 3
    model = build(arch_id, "meta", in_channels=c, num_classes=7)
    out = model.eval()(torch.zeros(1, c, *arch.input_shape[1:], device="meta"))
    assert out.shape == (1, 7)
    first_conv = next(m for m in model.modules() if isinstance(m, nn.Conv2d))
    assert first_conv.in_channels == c


def test_alexnet_d2l_reproduces_the_printed_layer_summary():
    printed = [(96, 54, 54), (96, 54, 54), (96, 26, 26), (256, 26, 26), (256, 26, 26),
               (256, 12, 12), (384, 12, 12), (384, 12, 12), (384, 12, 12), (384, 12, 12),
               (256, 12, 12), (256, 12, 12), (256, 5, 5), (6400,), (4096,), (4096,), (4096,),
               (4096,), (4096,), (4096,), (10,)]
    x = torch.zeros(1, 1, 224, 224, device="meta")
    shapes = []
    for layer in build("alexnet-d2l", "meta"):
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    assert shapes == printed


def test_vgg11_d2l_reproduces_the_printed_layer_summary():
    printed = [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7),
               (25088,), (4096,), (4096,), (4096,), (4096,), (4096,), (4096,), (10,)]
    model = build("vgg11-d2l", "meta")
    x = torch.zeros(1, 1, 224, 224, device="meta")
    shapes, kinds = [], []
    for layer in model:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
        kinds.append(type(layer).__name__)
    assert shapes == printed
    assert kinds[:6] == ["Sequential"] * 5 + ["Flatten"]
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) == 8


def test_inception_block_concatenates_four_branches_to_256_channels():
    model = build("inception-block")
    assert isinstance(model, Inception)
    assert model(torch.randn(1, 192, 28, 28)).shape == (1, 256, 28, 28)
    widths = [branch(torch.zeros(1, 192, 28, 28)).shape[1]
              for branch in (model.branch1, model.branch2, model.branch3, model.branch4)]
    assert widths == [64, 128, 32, 32]


def test_the_googlenet_note_on_torchvisions_3x3_third_branch_is_true():
    torchvision_net, d2l_net = build("googlenet", "meta"), build("googlenet-d2l", "meta")
    blocks = [m for m in torchvision_net.modules() if type(m).__name__ == "Inception"]
    assert len(blocks) == 9 and {block.branch3[1].conv.kernel_size for block in blocks} == {(3, 3)}
    assert {m.conv5x5.kernel_size for m in d2l_net.modules() if hasattr(m, "conv5x5")} == {(5, 5)}
    assert "uses a 3×3 conv where the paper has 5×5" in get_architecture("googlenet").notes


def test_googlenet_d2l_stage_widths_follow_the_document():
    model = build("googlenet-d2l", "meta")
    x = torch.zeros(1, 1, 96, 96, device="meta")
    widths = []
    for stage in list(model)[:5]:
        x = stage(x)
        widths.append(x.shape[1])
    assert widths == [64, 192, 480, 832, 1024]


def test_cifar_resnets_use_parameter_free_zero_padding_shortcuts():
    model = build("resnet20")
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 9
    shortcuts = [b.shortcut for b in blocks if b.shortcut is not None]
    assert len(shortcuts) == 2 and all(isinstance(s, ZeroPadShortcut) for s in shortcuts)
    x = torch.randn(1, 16, 32, 32)
    padded = shortcuts[0](x)
    assert padded.shape == (1, 32, 16, 16)
    assert torch.equal(padded[:, :16], x[:, :, ::2, ::2]) and not padded[:, 16:].any()


def test_plain_nets_are_the_resnets_without_skips():
    plain, residual = build("plain56"), build("resnet56")
    assert not any(isinstance(m, BasicBlock) for m in plain.modules())
    assert sum(isinstance(m, PlainBlock) for m in plain.modules()) == 27
    assert [n for n, _ in plain.named_parameters()] == [n for n, _ in residual.named_parameters()]
    block = residual.stage1.block1
    x = torch.randn(1, 16, 8, 8)
    assert torch.allclose(block(x), torch.relu(block.residual(x) + x))


def test_list_architectures_filters_by_glob_and_family():
    ids = [a.id for a in list_architectures("resnet*")]
    assert ids == ["resnet18", "resnet34", "resnet-d2l", "resnet20", "resnet56", "resnet-small"]
    assert {a.id for a in list_architectures(family="VGG")} == {
        "vgg11", "vgg16", "vgg19", "vgg11-d2l", "vgg-style"}


def test_lenet_family_totals_are_the_documented_61706():
    assert LENET_61706 == 61_706
    for arch_id in ("lenet5", "lenet5-padded", "pytorch-tutorial-net"):
        assert count_params(create_model(arch_id)) == 61_706


@pytest.mark.parametrize("arch_id", sorted(HAND_DERIVED))
def test_parameter_totals_match_the_hand_formulas(arch_id):
    assert count_params(build(arch_id, "meta")) == HAND_DERIVED[arch_id]


def test_configurable_nets_take_other_channels_and_classes():
    model = create_model("lenet5-padded", in_channels=3, num_classes=7)
    assert model(torch.randn(1, 3, 28, 28)).shape == (1, 7)


def test_lenet5_is_the_tables_tanh_and_average_pooling_net():
    model = create_model("lenet5")
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d", "Flatten",
                     "Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert [name for name, _ in model.named_children()][:3] == ["conv1", "tanh1", "pool1"]


def test_lenet5_fashion_flattens_16_by_4_by_4():
    model = create_model("lenet5-fashion")
    assert model.fc1.in_features == 256
    assert model[:7](torch.zeros(1, 1, 28, 28)).shape == (1, 256)


def test_ng_39_shapes_follow_the_slide():
    model = create_model("ng-39")
    x = torch.zeros(1, 3, 39, 39)
    shapes = []
    for name, layer in model.named_children():
        x = layer(x)
        if name.startswith("conv"):
            shapes.append(tuple(x.shape[1:]))
    assert shapes == [(10, 37, 37), (20, 17, 17), (40, 7, 7)]
    assert x.shape == (1, 10)


def test_simple_cnn_is_the_slide_code_and_does_not_fit_its_input():
    arch = get_architecture("simple-cnn")
    model = arch.build()
    assert not arch.configurable
    assert [name for name, _ in model.named_parameters()] == [
        "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"]
    assert model.conv1.padding == (1, 1) and model.fc.in_features == 320
    with pytest.raises(RuntimeError, match="500 and 320"):
        model(torch.zeros(1, *arch.input_shape))
    # the slide's fix: no padding gives 20·4·4 = 320 features
    model.conv1.padding = model.conv2.padding = (0, 0)
    assert model(torch.zeros(1, 1, 28, 28)).shape == (1, 10)


@pytest.mark.parametrize("arch_id, asked", [("simple-cnn", {"in_channels": 3}),
                                            ("inception-block", {"num_classes": 5})])
def test_a_fixed_network_asked_for_other_channels_or_classes_says_it_is_fixed(arch_id, asked):
    """create_model once returned the documented network as it is, ignoring the request."""
    arch = get_architecture(arch_id)
    with pytest.raises(ValueError, match=f"^{arch_id} is built exactly as documented: its channels "
                                         rf"\({arch.input_shape[0]}\) and classes \({arch.num_classes}\) are fixed$"):
        create_model(arch_id, **asked)
    same = create_model(arch_id, in_channels=arch.input_shape[0], num_classes=arch.num_classes)  # what it is
    assert sum(p.numel() for p in same.parameters()) == sum(p.numel() for p in create_model(arch_id).parameters())


def test_unknown_id_suggests_close_matches():
    with pytest.raises(UnknownArchitecture, match="lenet5") as error:
        get_architecture("lenet-5")
    assert "Did you mean" in str(error.value)
