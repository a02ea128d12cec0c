"""The folded max-pool gives PyTorch's own values, indices and gradients, to the last bit (the weights
of a LeNet trained with it: tests/test_training.py)."""

from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnviz.folded_pool import FoldedMaxPool2d, fold_few_channel_pools
from cnnviz.zoo import create_model

POOLINGS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": 3, "stride": 1, "dilation": 2},
    {"kernel_size": 2, "ceil_mode": True},
    {"kernel_size": (2, 3), "stride": (1, 2)},
]


def _assert_identical(actual, expected):
    torch.testing.assert_close(actual, expected, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("shape", [(64, 6, 28, 28), (3, 2, 7, 9), (1, 7, 5, 5)])
def test_values_and_gradients_are_the_native_ones_ties_and_nans_included(dtype, pooling, shape):
    """Small whole numbers make ties in nearly every window: the first maximum (h, then w) must take
    the gradient. Two NaNs in one window: the native kernel keeps the last."""
    maps = torch.randint(-3, 4, shape, generator=torch.Generator().manual_seed(0)).to(dtype)
    maps = maps.contiguous(memory_format=torch.channels_last)
    maps[0, 0, 0, :2] = float("nan")
    native_in, folded_in = maps.clone().requires_grad_(True), maps.clone().requires_grad_(True)
    native, folded = nn.MaxPool2d(**pooling)(native_in), FoldedMaxPool2d(**pooling)(folded_in)
    assert folded.grad_fn.name() == "_FoldedMaxPool2dFunctionBackward"  # it took the folded path
    grad = torch.randn(native.shape, generator=torch.Generator().manual_seed(1)).to(dtype)
    native.backward(grad)
    folded.backward(grad)
    _assert_identical(folded, native)
    _assert_identical(folded_in.grad, native_in.grad)
    assert folded.is_contiguous(memory_format=torch.channels_last)
    assert folded_in.grad.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("maps", [
    torch.randn(4, 16, 8, 8).contiguous(memory_format=torch.channels_last),  # full channel vectors
    torch.randn(4, 1, 8, 8),  # one channel: both layouts are the same memory
    torch.randn(4, 6, 8, 8),  # not channels_last
    torch.randn(6, 8, 8),  # no batch dimension
])
def test_other_maps_are_pooled_natively(maps):
    pooled = FoldedMaxPool2d(2)(maps.requires_grad_(True))
    assert pooled.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    _assert_identical(pooled, F.max_pool2d(maps, 2))


def test_bad_pooling_settings_get_pytorchs_own_message():
    maps = torch.randn(2, 6, 8, 8).contiguous(memory_format=torch.channels_last)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        FoldedMaxPool2d(2, padding=2)(maps)


def test_fold_replaces_each_plain_max_pool_and_keeps_the_state_dict():
    net = nn.Sequential(OrderedDict(
        conv=nn.Conv2d(1, 6, 3), pool=nn.MaxPool2d(3, stride=2, padding=1, dilation=1, ceil_mode=True),
        with_indices=nn.MaxPool2d(2, return_indices=True), average=nn.AvgPool2d(2),
        inner=nn.Sequential(nn.MaxPool2d(2)),
    ))
    net.eval()
    before = net.state_dict()
    assert fold_few_channel_pools(net) is net
    assert type(net.pool) is FoldedMaxPool2d and type(net.inner[0]) is FoldedMaxPool2d
    assert (net.pool.kernel_size, net.pool.stride, net.pool.padding, net.pool.ceil_mode) == (3, 2, 1, True)
    assert not net.pool.training  # the mode is kept
    assert type(net.with_indices) is nn.MaxPool2d and type(net.average) is nn.AvgPool2d
    assert list(net.state_dict()) == list(before)
    lenet = fold_few_channel_pools(create_model("lenet5-padded"))
    assert [type(module).__name__ for module in lenet.modules()].count("FoldedMaxPool2d") == 2
