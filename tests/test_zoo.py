"""The zoo: every documented network builds, runs on its default input and has the right size.

Parameter totals are checked against independent references: torchvision's published counts
(weights metadata, read offline) and the layer-by-layer formulas a student writes by hand.
"""

import pytest
import torch

from cnnviz.zoo import UnknownArchitecture, create_model, get_architecture, list_architectures


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


def test_lenet_family_totals_are_the_documented_61706():
    assert LENET_61706 == 61_706
    for arch_id in ("lenet5", "lenet5-padded", "pytorch-tutorial-net"):
        assert count_params(create_model(arch_id)) == 61_706


@pytest.mark.parametrize("arch_id", sorted(HAND_DERIVED))
def test_parameter_totals_match_the_hand_formulas(arch_id):
    assert count_params(create_model(arch_id)) == HAND_DERIVED[arch_id]


def small_ids():
    return [a.id for a in list_architectures() if a.id in HAND_DERIVED and a.id != "simple-cnn"]


@pytest.mark.parametrize("arch_id", small_ids())
def test_small_nets_run_a_real_forward_to_num_classes(arch_id):
    arch = get_architecture(arch_id)
    out = arch.build()(torch.randn(2, *arch.input_shape))
    assert out.shape == (2, arch.num_classes)
    assert torch.isfinite(out).all()


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


def test_unknown_id_suggests_close_matches():
    with pytest.raises(UnknownArchitecture, match="lenet5") as error:
        get_architecture("lenet-5")
    assert "Did you mean" in str(error.value)
