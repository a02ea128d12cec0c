"""The layer table against independent references: torch itself, torchvision's published counts,
FlopCounterMode, torchinfo, the printed d2l summaries and hand-derived values."""

import copy
import functools
import random
from collections import OrderedDict

import pytest
import torch
import torch.nn.functional as F
import torchinfo
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from cnnviz.analysis import (
    SkipConnection,
    _fits,
    _fitting_input,
    _on_meta,
    _ShapeTracker,
    analyze_architecture,
    analyze_model,
    parse_shape,
)
from cnnviz.report import layer_table
from cnnviz.spec import EXAMPLE_SPECS, LAYER_TYPES, SpecError, build_model, parse_spec
from cnnviz.zoo import create_model, get_architecture, list_architectures

TORCHVISION = ["alexnet", "vgg11", "vgg16", "vgg19", "googlenet", "resnet18", "resnet34"]
SMALL = ["lenet5", "lenet5-padded", "lenet5-fashion", "pytorch-tutorial-net", "ng-example", "ng-39",
         "vgg-style", "resnet20", "plain20", "resnet-small", "inception-block"]


@pytest.mark.parametrize("arch_id", TORCHVISION)
def test_totals_equal_torchvision_published_counts(arch_id):
    published = torchvision.models.get_model_weights(arch_id).DEFAULT.meta["num_params"]
    assert analyze_architecture(arch_id).total_params == published


@pytest.mark.parametrize("arch", list_architectures(), ids=lambda a: a.id)
def test_every_zoo_entry_totals_its_unique_parameters(arch):
    analysis = analyze_architecture(arch.id)
    with torch.device("meta"):
        model = arch.build()
    unique = {id(p): p.numel() for p in model.parameters()}
    assert analysis.total_params == sum(unique.values())
    leaves = [row for row in analysis.rows if row.is_leaf]
    assert sum(row.params for row in leaves) == analysis.total_params
    assert all(row.params == row.weights + row.biases for row in leaves)


def _real_outputs(model, input_shape):
    """Output shape of every module call in a real CPU forward, in call order."""
    shapes = []
    handles = [m.register_forward_hook(lambda m, i, o, name=name: shapes.append((name, tuple(o.shape[1:]))))
               for name, m in model.named_modules() if name]
    with torch.no_grad():
        model(torch.randn(2, *input_shape))
    for handle in handles:
        handle.remove()
    return shapes


@pytest.mark.parametrize("arch_id", SMALL)
def test_output_shapes_equal_a_real_forward(arch_id):
    arch = get_architecture(arch_id)
    model = arch.build().eval()
    analysis = analyze_architecture(arch_id)
    computed = sorted((row.name, row.output_shape) for row in analysis.rows)
    assert computed == sorted(_real_outputs(model, arch.input_shape))


@pytest.mark.parametrize("arch_id", ["lenet5", "ng-example", "resnet20", "alexnet-d2l", "inception-block",
                                     "vgg-style", "googlenet-d2l"])
def test_conv_and_linear_macs_equal_flop_counter(arch_id):
    arch = get_architecture(arch_id)
    model = arch.build().eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.randn(1, *arch.input_shape))
    analysis = analyze_architecture(arch_id)
    assert 2 * analysis.total_macs == counter.get_total_flops()
    assert analysis.total_flops == counter.get_total_flops()


def test_torchinfo_agrees_on_resnet18_totals():
    model = create_model("resnet18")
    stats = torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0)
    analysis = analyze_architecture("resnet18")
    assert analysis.total_params == stats.total_params
    # torchinfo also counts one mult-add per batch-norm parameter and per linear bias; we count
    # the multiply-accumulates of conv and linear weights only (as FlopCounterMode does).
    bn_params = sum(row.params for row in analysis.rows if row.type == "BatchNorm2d")
    fc_biases = sum(row.biases for row in analysis.rows if row.type == "Linear")
    assert analysis.total_macs + bn_params + fc_biases == stats.total_mult_adds


# The DSCI 565 document's printed layer summaries, as printed.
ALEXNET_D2L_PRINTED = [
    ("Conv2d", (96, 54, 54)), ("ReLU", (96, 54, 54)), ("MaxPool2d", (96, 26, 26)),
    ("Conv2d", (256, 26, 26)), ("ReLU", (256, 26, 26)), ("MaxPool2d", (256, 12, 12)),
    ("Conv2d", (384, 12, 12)), ("ReLU", (384, 12, 12)), ("Conv2d", (384, 12, 12)),
    ("ReLU", (384, 12, 12)), ("Conv2d", (256, 12, 12)), ("ReLU", (256, 12, 12)),
    ("MaxPool2d", (256, 5, 5)), ("Flatten", (6400,)), ("Linear", (4096,)), ("ReLU", (4096,)),
    ("Dropout", (4096,)), ("Linear", (4096,)), ("ReLU", (4096,)), ("Dropout", (4096,)),
    ("Linear", (10,)),
]
VGG11_D2L_PRINTED = [
    ("Sequential", (64, 112, 112)), ("Sequential", (128, 56, 56)), ("Sequential", (256, 28, 28)),
    ("Sequential", (512, 14, 14)), ("Sequential", (512, 7, 7)), ("Flatten", (25088,)),
    ("Linear", (4096,)), ("ReLU", (4096,)), ("Dropout", (4096,)), ("Linear", (4096,)),
    ("ReLU", (4096,)), ("Dropout", (4096,)), ("Linear", (10,)),
]


@pytest.mark.parametrize("arch_id, printed", [("alexnet-d2l", ALEXNET_D2L_PRINTED),
                                              ("vgg11-d2l", VGG11_D2L_PRINTED)])
def test_printed_d2l_layer_summaries_are_reproduced(arch_id, printed):
    rows = analyze_architecture(arch_id).rows_at_depth(1)
    assert [(row.type, row.output_shape) for row in rows] == printed


def test_alexnet_d2l_total_and_fc_formula():
    analysis = analyze_architecture("alexnet-d2l")
    assert analysis.total_params == 46_764_746
    fc6 = next(row for row in analysis.rows if row.name == "fc6")
    assert fc6.formula == "(6400+1)·4096 = 26,218,496"
    assert (fc6.weights, fc6.biases) == (6400 * 4096, 4096)


def test_lenet5_rows_by_hand():
    rows = {row.name: row for row in analyze_architecture("lenet5").rows}
    assert rows["conv1"].formula == "(5·5·1+1)·6 = 156"
    assert rows["conv2"].formula == "(5·5·6+1)·16 = 2,416"
    assert rows["conv1"].macs == 28 * 28 * 6 * 5 * 5
    assert rows["conv2"].activation_size == 1600
    assert rows["conv2"].textbook_shape == (10, 10, 16)
    # receptive field, by hand: r += (k-1)·j, j *= s
    assert [rows[n].receptive_field[0] for n in ("conv1", "pool1", "conv2", "pool2")] == [5, 6, 14, 16]
    assert [rows[n].jump[0] for n in ("conv1", "pool1", "conv2", "pool2")] == [1, 2, 2, 4]


def test_receptive_field_of_vgg16_and_dilation():
    assert analyze_architecture("vgg16").receptive_field == (212, 212)
    dilated = nn.Sequential(nn.Conv2d(1, 1, 3, dilation=2), nn.Conv2d(1, 1, 3, stride=2), nn.Conv2d(1, 1, 3))
    analysis = analyze_model(dilated, (1, 32, 32))
    assert [row.receptive_field[0] for row in analysis.rows] == [5, 7, 11]


def test_a_global_pool_sees_the_whole_image_and_the_headline_is_the_last_map_before_it():
    rows = {row.name: row for row in analyze_architecture("resnet18").rows}
    # the familiar 435 = 1 + (7−1)·1 + (3−1)·2 + ... of the last stage's maps; their padding reaches further
    assert rows["layer4"].receptive_field == rows["layer4.1.relu"].receptive_field == (435, 435)
    assert rows["avgpool"].receptive_field == rows["fc"].receptive_field == (224, 224)  # the image, as a vector
    assert analyze_architecture("resnet18").receptive_field == (435, 435)
    nin = analyze_architecture("nin")
    rows = {row.name: row for row in nin.rows}
    assert rows["gap"].output_shape == (10, 1, 1) and rows["gap"].receptive_field == (224, 224)
    assert nin.receptive_field == rows["block4"].receptive_field == (195, 195)

    class MeanPooled(nn.Module):  # a global average pool written as a reduction over the height and width
        def __init__(self):
            super().__init__()
            self.conv, self.head = nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 4, 1)

        def forward(self, x):
            return self.head(self.conv(x).mean(dim=(-2, -1), keepdim=True))

    analysis = analyze_model(MeanPooled(), (1, 9, 9))
    rows = {row.name: row for row in analysis.rows}
    assert rows["conv"].receptive_field == (3, 3)
    assert rows["head"].output_shape == (4, 1, 1) and rows["head"].receptive_field == (9, 9)  # not 11: no padding
    assert analysis.receptive_field == (3, 3)  # the last map of more than one unit


def test_receptive_field_takes_the_widest_branch():
    analysis = analyze_architecture("inception-block")
    assert analysis.receptive_field == (5, 5)  # the 1×1 then 5×5 branch


def test_a_shared_module_is_counted_once():
    analysis = analyze_architecture("simple-cnn")
    pools = [row for row in analysis.rows if row.name == "pool"]
    assert [row.call_index for row in pools] == [0, 1]
    assert analysis.total_params == 8_490
    relu_rows = [row for row in analyze_architecture("resnet18").rows if row.name == "layer1.0.relu"]
    assert len(relu_rows) == 2  # torchvision's BasicBlock calls its ReLU twice


def test_a_weight_tied_between_two_layers_is_counted_once_as_torch_counts_it():
    """A model already built, two linear layers sharing one weight: moving it to the meta device
    with .to("meta") gave each layer its own weight (40 parameters, torch says 24)."""
    first, second = nn.Linear(4, 4), nn.Linear(4, 4)
    second.weight = first.weight
    model = nn.Sequential(OrderedDict(flatten=nn.Flatten(), fc1=first, relu=nn.ReLU(), fc2=second))
    analysis = analyze_model(model, (1, 2, 2))
    assert analysis.total_params == sum(p.numel() for p in model.parameters()) == 16 + 4 + 4
    fc2 = next(row for row in analysis.rows if row.name == "fc2")
    assert (fc2.params, fc2.weights, fc2.biases) == (4, 0, 4)
    assert fc2.formula == "(4+1)·4 = 20 − 16 (weight shared with fc1) = 4"
    assert sum(row.params for row in analysis.rows) == analysis.total_params  # the column adds up
    assert model.fc1.weight.device.type == "cpu" and model.fc2.weight is model.fc1.weight  # the caller's, untouched


def test_a_weight_tied_across_two_blocks_counts_once_at_every_depth():
    """fc1 in block a, fc2 in block b share a weight: cut at the blocks, block b counted it again
    (20 + 20 = 40 in a column whose total is 24)."""
    first, second = nn.Linear(4, 4), nn.Linear(4, 4)
    second.weight = first.weight
    model = nn.Sequential(OrderedDict(
        flatten=nn.Flatten(), a=nn.Sequential(OrderedDict(fc1=first, relu=nn.ReLU())),
        b=nn.Sequential(OrderedDict(fc2=second, relu=nn.ReLU()))))
    analysis = analyze_model(model, (1, 2, 2))
    total = sum(p.numel() for p in model.parameters())
    assert analysis.total_params == total == 16 + 4 + 4
    for depth in (1, 2, None):
        rows = analysis.to_dict(depth)["layers"]
        assert sum(row["params"] for row in rows) == total, depth
        assert sum(row["weights"] + row["biases"] for row in rows) == total, depth
    block_b = next(row for row in analysis.rows if row.name == "b")
    assert (block_b.params, block_b.weights, block_b.biases, block_b.trainable) == (4, 0, 4, 4)
    assert block_b.formula == "20 − 16 (fc2.weight shared with a.fc1) = 4"
    fc2 = next(row for row in analysis.rows if row.name == "b.fc2")
    assert fc2.formula == "(4+1)·4 = 20 − 16 (weight shared with a.fc1) = 4"
    block_a = next(row for row in analysis.rows if row.name == "a")
    assert (block_a.params, block_a.formula) == (20, "")


def test_a_built_model_with_lazy_layers_is_analysed_as_torch_builds_it():
    """Its lazy tensors stayed on the CPU: created there on the first call, they failed beside the
    meta input, and the diagnosis read "expects 144 input features but receives 144"."""
    model = nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(10))
    analysis = analyze_model(model, (1, 8, 8))
    assert analysis.diagnosis is None and analysis.output_shape == (10,)
    assert [row.params for row in analysis.rows] == [40, 8, 0, 1_450]
    assert type(model[3]).__name__ == "LazyLinear"  # the caller's model is not materialised
    model(torch.zeros(1, 1, 8, 8))  # torch's own count, once the layers know their inputs
    assert analysis.total_params == sum(p.numel() for p in model.parameters()) == 1_498
    assert analysis.total_buffers == 8  # the running mean and variance, 4 each


def test_batch_norm_buffers_are_not_parameters():
    analysis = analyze_architecture("vgg-style")
    bn = [row for row in analysis.rows if row.type == "BatchNorm2d"]
    assert sum(row.buffers for row in bn) == 2 * sum(row.output_shape[0] for row in bn)
    assert analysis.total_buffers == sum(row.buffers for row in bn)
    model = create_model("vgg-style")
    assert analysis.total_params == sum(p.numel() for p in model.parameters())
    assert all(row.formula.startswith(f"2·{row.output_shape[0]} = ") for row in bn)


def test_analysis_allocates_no_weights_and_leaves_a_real_model_untouched():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.Linear(8 * 30 * 30, 5))
    before = model[0].weight.detach().clone()
    analysis = analyze_model(model, (3, 32, 32))
    assert analysis.total_params == 3 * 8 * 9 + 8 + 8 * 30 * 30 * 5 + 5
    assert model[0].weight.device.type == "cpu"
    assert torch.equal(model[0].weight, before)


def test_memory_totals():
    analysis = analyze_architecture("lenet5")
    leaves = [row for row in analysis.rows if row.is_leaf]
    assert analysis.activation_memory_bytes == 4 * sum(row.activation_size for row in leaves)
    assert analysis.param_memory_bytes == 4 * 61_706


def test_simple_cnn_diagnosis_names_the_layer_and_the_fix():
    analysis = analyze_architecture("simple-cnn")
    assert analysis.diagnosis.layer == "fc"
    assert analysis.diagnosis.message == "fc expects 320 input features but receives 500 = 20×5×5."
    assert "in_features=500" in analysis.diagnosis.suggestion
    assert "padding=0 in the convs gives 20×4×4 = 320" in analysis.diagnosis.suggestion
    assert [row.name for row in analysis.rows if not row.failed][-1] == "flatten"


def test_layers_after_the_failure_are_listed_not_reached_so_the_parameters_add_up():
    analysis = analyze_architecture("lenet5", (1, 16, 16))  # fc1 gets 16 features, not 400
    model = create_model("lenet5")
    assert analysis.diagnosis.layer == "fc1"
    names = [row.name for row in analysis.rows]
    assert names == [name for name, _ in model.named_modules() if name]  # every layer, in order
    after = analysis.rows[names.index("fc1") + 1:]
    assert [(row.name, row.reached, row.output_shape) for row in after] == [
        ("tanh3", False, None), ("fc2", False, None), ("tanh4", False, None), ("fc3", False, None)]
    assert [row.params for row in after] == [0, 120 * 84 + 84, 0, 84 * 10 + 10]
    assert [row.formula for row in after if row.params] == ["(120+1)·84 = 10,164", "(84+1)·10 = 850"]
    leaves = analysis.rows_at_depth(None)
    assert sum(row.params for row in leaves) == analysis.total_params == 61_706
    assert analysis.total_macs == sum(row.macs for row in leaves if row.reached)  # only what ran
    assert all(layer["reached"] is False for layer in analysis.to_dict()["layers"][-4:])
    assert all(row.reached for row in analyze_architecture("lenet5").rows)


def test_a_block_that_fails_sums_its_parameters_and_lists_its_unreached_layers_inside_it(fails_inside_a_block):
    model = build_model(fails_inside_a_block)
    analysis = analyze_model(model, (1, 8, 8))
    rows = {row.name: row for row in analysis.rows}
    assert [row.name for row in analysis.rows] == [name for name, _ in model.named_modules() if name]
    block = rows["residual1"]
    assert block.failed and block.params == sum(p.numel() for p in model.residual1.parameters())
    inside = next(name for name in rows if name.startswith("residual1.") and not rows[name].reached)
    own = sum(p.numel() for p in model.get_submodule(inside).parameters())
    assert rows[inside].type == "Conv2d" and rows[inside].params == own == 5 * 1 + 1  # 5 from the linear
    for depth in (None, 1, 2, 3):  # the table a student adds up, every column
        table = layer_table(analysis, depth)
        assert table["# parameters"].sum() == analysis.total_params == 86 + 650, depth
        assert table["MACs"].sum() == analysis.total_macs == 4 * 8 * 8 * 9, depth
        assert list(table["activation shape (C×H×W)"][-2:]) == ["not reached"] * 2, depth
    assert [row.reached for row in analysis.rows_at_depth(1)] == [True, False, False]


def test_a_failed_block_above_the_cut_is_listed_only_where_its_own_join_failed(fails_inside_a_block):
    """A block whose layer failed is no row of zeros above it (that layer says "does not fit"); a
    concat whose branches ran but do not join stands after them, where the network stopped."""
    inside = analyze_model(lambda: build_model(fails_inside_a_block), (1, 8, 8))
    assert [row.name for row in inside.rows_at_depth(2)] == ["residual1.layers", "flatten1", "fc1"]
    assert [(row.name, row.failed) for row in inside.rows_at_depth(3)] == [
        ("residual1.layers.conv1", False), ("residual1.layers.fc1", True), ("residual1.layers.conv2", False),
        ("flatten1", False), ("fc1", False)]
    concat = analyze_model(lambda: build_model(parse_spec({"name": "bad-concat", "input_shape": [1, 8, 8], "layers": [
        {"type": "concat", "branches": [[{"type": "conv", "filters": 2, "kernel": 3}],
                                        [{"type": "conv", "filters": 2, "kernel": 1}]]},
        {"type": "flatten"}, {"type": "linear", "out_features": 10, "in_features": 64}]})), (1, 8, 8))
    assert concat.diagnosis.message.startswith("the concat in concat1 joins branches of different sizes")
    table = layer_table(concat, 2, with_input=False)
    assert list(table["layer"].str.strip()) == ["concat1.branch1", "concat1.branch2", "concat1", "flatten1", "fc1"]
    assert list(table["activation shape (C×H×W)"]) == ["2×6×6", "2×8×8", "does not fit", "not reached",
                                                       "not reached"]
    assert list(table["# parameters"]) == [(9 + 1) * 2, (1 + 1) * 2, 0, 0, 650]  # the concat's are its branches'
    assert [row.name for row in concat.rows_at_depth(1)] == ["concat1", "flatten1", "fc1"]  # at the cut: its row


@pytest.mark.parametrize("arch", list_architectures(), ids=lambda a: a.id)
def test_every_column_of_the_table_adds_up_to_its_total_at_every_depth_fitting_or_not(arch):
    for shape in (arch.input_shape, (arch.input_shape[0], 9, 9)):  # 9×9: most zoo networks fail
        analysis = analyze_architecture(arch.id, shape)
        for depth in [None, *range(1, analysis.max_depth + 1)]:
            table = layer_table(analysis, depth, with_input=False)
            totals = (analysis.total_params, analysis.total_macs, analysis.total_buffers)
            assert (table["# parameters"].sum(), table["MACs"].sum(), table["buffers"].sum()) == totals, \
                (shape, depth)
            assert (table["weights"] + table["biases"] == table["# parameters"]).all(), (shape, depth)


def test_kernel_larger_than_its_input_is_diagnosed():
    analysis = analyze_architecture("lenet5", (1, 8, 8))
    assert analysis.diagnosis.layer == "conv2"
    assert analysis.diagnosis.message.startswith("conv2 has a 5×5 kernel but its input is only 2×2")
    assert "Fix: an input from 1×32×32 to 1×35×35," in analysis.diagnosis.suggestion


@pytest.mark.parametrize("shape, side", [((1, 1024, 3), "wider than its 3 columns"),
                                         ((1, 3, 1024), "taller than its 3 rows"),
                                         ((1, 1, 1024), "taller than its 1 row")])
def test_a_window_that_does_not_fit_one_side_names_that_side_and_the_inputs_that_fit(shape, side):
    """1×1024×3 is not too small everywhere, so "a larger input" would mislead: the search starts from
    its smaller side and finds LeNet-5's 32 to 35 (checked by the test below)."""
    diagnosis = analyze_architecture("lenet5", shape).diagnosis
    assert diagnosis.message == (f"conv1 has a 5×5 kernel but its input is {shape[1]}×{shape[2]} "
                                 f"(padded: {shape[1]}×{shape[2]}): the window is {side}.")
    assert diagnosis.suggestion == "Fix: an input from 1×32×32 to 1×35×35, or more padding."  # conv1 is first


def test_fewer_shrinking_layers_are_suggested_only_where_some_come_before():
    """LeNet-5 at 8×8 stops at conv2, after conv1 and pool1 shrank the map; at 4×4 it stops at conv1,
    the first layer, and padded convs (d2l's LeNet keeps 28×28) shrink nothing."""
    assert analyze_architecture("lenet5", (1, 8, 8)).diagnosis.suggestion == (
        "Fix: an input from 1×32×32 to 1×35×35, more padding, or fewer layers that shrink the map before conv2.")
    padded = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 5))
    assert analyze_model(padded, (1, 3, 3)).diagnosis.suggestion.endswith(", or more padding.")


def test_the_diagnosis_writes_maps_and_inputs_in_either_order():
    """The slides write (H, W, C): a textbook-order table gets a diagnosis in its order, H×W×C."""
    diagnosis = analyze_architecture("lenet5", (1, 36, 36)).diagnosis
    assert diagnosis.worded("pytorch") == (diagnosis.message, diagnosis.suggestion) == (
        "fc1 expects 400 input features but receives 576 = 16×6×6.",
        "Fix: set in_features=576 in fc1, or an input from 1×32×32 to 1×35×35.")
    assert diagnosis.worded("textbook") == ("fc1 expects 400 input features but receives 576 = 6×6×16.",
                                            "Fix: set in_features=576 in fc1, or an input from 32×32×1 to 35×35×1.")
    channels = analyze_model(nn.Sequential(nn.Conv2d(3, 4, 3)), (2, 5, 7)).diagnosis
    assert channels.worded("textbook")[0] == "0 expects 3 input channels but receives 2 (input 5×7×2)."


@pytest.mark.parametrize("arch_id, channels, smallest, largest", [
    ("lenet5", 1, 32, 35), ("vgg11-d2l", 1, 224, 255), ("alexnet-d2l", 1, 193, 224), ("vgg11", 3, 32, None)])
def test_a_window_that_does_not_fit_suggests_the_inputs_that_do(arch_id, channels, smallest, largest):
    """fc1 of d2l's VGG-11 takes one feature-map size: "at least 224" would send a student to 256."""
    analysis = analyze_architecture(arch_id, (channels, 9, 9))
    fits = {n for n in range(9, smallest + 80)
            if analyze_model(get_architecture(arch_id).build, (channels, n, n), diagnose=False).diagnosis is None}
    if largest is None:  # an adaptive pool: every larger input fits
        assert fits == set(range(smallest, smallest + 80))
        assert f"Fix: an input of at least {channels}×{smallest}×{smallest}," in analysis.diagnosis.suggestion
    else:
        assert fits == set(range(smallest, largest + 1))
        assert (f"Fix: an input from {channels}×{smallest}×{smallest} to {channels}×{largest}×{largest},"
                in analysis.diagnosis.suggestion)


@pytest.mark.parametrize("arch_id, given, smallest, largest", [
    ("lenet5", 28, 32, 35), ("lenet5", 36, 32, 35), ("lenet5", 2000, 32, 35), ("lenet5", 99999, 32, 35),
    ("alexnet-d2l", 2000, 193, 224), ("vgg11-d2l", 1000, 224, 255)])
def test_a_linear_layer_that_does_not_fit_suggests_the_inputs_that_do_however_far(arch_id, given, smallest, largest):
    """LeNet-5 at 1×2000×2000 gives fc1 16×497×497 features, not 400: 1×32×32 to 1×35×35 fit (the
    fitting sizes are checked in the test above), the same range as for a window that does not fit,
    not only "set in_features"."""
    analysis = analyze_architecture(arch_id, (1, given, given))
    assert analysis.diagnosis.message.split(" expects ")[1].startswith(
        f"{get_architecture(arch_id).build().get_submodule(analysis.diagnosis.layer).in_features:,} input features")
    assert analysis.diagnosis.suggestion.endswith(f", or an input from 1×{smallest}×{smallest} to "
                                                  f"1×{largest}×{largest}.")


def test_a_linear_layer_that_no_input_can_fit_gets_no_suggested_input():
    """After an adaptive pool the features are the same at every input: no size is suggested."""
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(17, 2))
    assert analyze_model(model, (1, 2000, 2000)).diagnosis.suggestion == "Fix: set in_features=16 in 3."


def test_a_network_that_takes_one_input_size_says_so():
    model = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(4, 2))  # (n-2)² = 4 features: n = 4
    suggestion = analyze_model(model, (1, 2, 2)).diagnosis.suggestion
    assert suggestion.startswith("Fix: an input of 1×4×4 (the one size near it that fits),")
    assert [n for n in range(2, 80) if analyze_model(model, (1, n, n), diagnose=False).diagnosis is None] == [4]
    never = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten(), nn.Linear(5, 2))  # (n-2)² is never 5
    assert analyze_model(never, (1, 2, 2)).diagnosis.suggestion == "Fix: a larger input, or more padding."


@pytest.mark.parametrize("arch", list_architectures(), ids=lambda a: a.id)
def test_the_probe_behind_the_suggested_input_fits_exactly_where_the_analysis_does(arch):
    """The suggested input is searched with a cheap probe (no rows, no receptive fields)."""
    model = _on_meta(arch.build).eval()
    channels = arch.input_shape[0]
    nearest = _fitting_input(model, (channels, 9, 9))  # simple-cnn's own input does not fit
    outcomes = []
    for size in sorted({1, 9, 31, 32, 63, arch.input_shape[1], nearest[1]}):
        fits = analyze_architecture(arch.id, (channels, size, size)).diagnosis is None
        assert _fits(model, (channels, size, size)) == fits, size
        outcomes.append(fits)
    assert True in outcomes


def test_the_probe_agrees_on_a_block_that_fails_inside_and_on_a_wrong_in_features(fails_inside_a_block):
    for model, shape in ((build_model(fails_inside_a_block), (1, 8, 8)),
                         (nn.Sequential(nn.Flatten(), nn.Linear(7, 3)), (4, 8, 8))):
        assert analyze_model(model, shape).diagnosis is not None
        assert not _fits(_on_meta(model), shape)
    assert _fits(_on_meta(nn.Sequential(nn.Flatten(), nn.Linear(7, 3))), (7, 1, 1))


def test_channel_mismatch_is_diagnosed():
    model = nn.Sequential(nn.Conv2d(3, 4, 3))
    analysis = analyze_model(model, (1, 8, 8))
    assert analysis.diagnosis.message == "0 expects 3 input channels but receives 1 (input 1×8×8)."


def test_residual_add_of_mismatched_shapes_is_diagnosed():
    spec = parse_spec({"name": "bad-residual", "input_shape": [3, 8, 8], "layers": [
        {"type": "residual", "layers": [{"type": "conv", "filters": 16, "kernel": 3, "stride": 2,
                                          "padding": 1}]}]})
    analysis = analyze_model(lambda: build_model(spec), (3, 8, 8))
    assert analysis.diagnosis is not None
    assert "residual add" in analysis.diagnosis.message
    assert "16×4×4 and 3×8×8" in analysis.diagnosis.message


def test_a_residual_block_records_its_shortcut_and_where_the_add_runs_as_its_forward_ran():
    def skip(analysis, name):
        return next(row.skip for row in analysis.rows if row.name == name)

    resnet18 = analyze_architecture("resnet18")  # conv1 bn1 relu conv2 bn2 downsample, +, relu
    assert skip(resnet18, "layer2.0") == SkipConnection((5,), 6, "relu(F(x) + downsample(x))")
    assert skip(resnet18, "layer1.0") == SkipConnection((), 5, "relu(F(x) + x)")
    bottleneck = analyze_model(torchvision.models.resnet50, (3, 224, 224))  # 3 convs, 3 norms, 2 relus
    assert skip(bottleneck, "layer1.0") == SkipConnection((8,), 9, "relu(F(x) + downsample(x))")
    resnet20 = analyze_architecture("resnet20")  # its shortcut runs first
    # its ReLU module is named relu2: an activation reads as its function
    assert skip(resnet20, "stage2.block1") == SkipConnection((0,), 6, "relu(F(x) + shortcut(x))")
    spec = parse_spec(EXAMPLE_SPECS["small-resnet"])
    custom = analyze_model(lambda: build_model(spec), spec.input_shape)
    assert skip(custom, "residual1") == SkipConnection((), 1, "F(x) + x")
    assert skip(custom, "residual2") == SkipConnection((0,), 2, "F(x) + shortcut(x)")
    data = {layer["name"]: layer for layer in resnet18.to_dict(depth=2)["layers"]}  # summary --format json
    assert data["layer2.0"]["skip"] == "relu(F(x) + downsample(x))" and "skip" not in data["conv1"]
    for arch_id in ("plain20", "googlenet", "vgg16"):  # no add joins two paths
        assert all(row.skip is None for row in analyze_architecture(arch_id).rows)


def test_a_block_whose_paths_share_a_layer_or_add_twice_records_no_skip():
    class Forked(nn.Module):  # pre-activation: the shortcut leaves after the block's first layer
        def __init__(self):
            super().__init__()
            self.relu, self.conv, self.shortcut = nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1), nn.Conv2d(4, 4, 1)

        def forward(self, x):
            x = self.relu(x)
            return self.conv(x) + self.shortcut(x)

    class AddsTwice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x):
            return self.conv(x) + x + x[:, :, ::1]

    for block in (Forked(), AddsTwice()):
        analysis = analyze_model(nn.Sequential(block), (4, 8, 8))
        assert analysis.fits and analysis.rows[0].skip is None


def test_rows_at_depth_cut_nested_blocks():
    analysis = analyze_architecture("resnet18")
    top = analysis.rows_at_depth(1)
    assert [row.name for row in top][:5] == ["conv1", "bn1", "relu", "maxpool", "layer1"]
    layer1 = next(row for row in top if row.name == "layer1")
    assert layer1.params == 2 * (2 * (64 * 64 * 9) + 2 * 128)
    # split as on the leaves' rows: conv kernels and BN γ are weights, BN β biases (resnet convs have none)
    assert (layer1.weights, layer1.biases) == (2 * 2 * (64 * 64 * 9 + 64), 2 * 2 * 64)
    assert sum(row.weights for row in top) == sum(row.weights for row in analysis.rows_at_depth(None))
    assert all(row.weights + row.biases == row.params for row in top)
    assert layer1.macs == 2 * 2 * 56 * 56 * 64 * 64 * 9
    assert sum(row.macs for row in top) == analysis.total_macs


@pytest.mark.parametrize("text, shape", [("1,28,28", (1, 28, 28)), ("3x32x32", (3, 32, 32)),
                                         (" 3, 224, 224 ", (3, 224, 224))])
def test_parse_shape_accepts(text, shape):
    assert parse_shape(text) == shape


@pytest.mark.parametrize("text", ["1,28", "a,b,c", "0,28,28", "-1,28,28", ""])
def test_parse_shape_refuses(text):
    with pytest.raises(ValueError, match="input shape must be"):
        parse_shape(text)


def _measured_receptive_fields(model: nn.Module, input_shape, names,
                               centre: bool = False) -> dict[tuple[str, int], tuple[int, int]]:
    """The largest receptive field of any unit of each layer in ``names``, measured by autograd: the
    input pixels where the gradient of one unit is not zero. Positive weights, an input of ones and
    max pools turned into average pools (a max passes its gradient to one pixel only): nothing
    cancels, so every pixel a unit depends on shows. Rows and columns are separable, so one unit
    per row and column is enough: batch element b measures the unit (b, b), clamped to the map
    (units of padding, which depend on no pixel, are left out). ``centre``: only the unit in the
    middle of each map — for a deep network whose units are all alike, on a large input."""
    model = copy.deepcopy(model).eval()
    for parent in list(model.modules()):
        for child_name, child in parent.named_children():
            if isinstance(child, nn.MaxPool2d):
                setattr(parent, child_name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding,
                                                         ceil_mode=child.ceil_mode))
            elif isinstance(child, nn.AdaptiveMaxPool2d):
                setattr(parent, child_name, nn.AdaptiveAvgPool2d(child.output_size))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(1 / max(parameter[0].numel(), 1))
    outputs = []
    calls = {}
    hooks = []
    for name, module in model.named_modules():
        if name in names:
            def hook(module, inputs, output, name=name):
                outputs.append(((name, calls.setdefault(name, 0)), output))
                calls[name] += 1
            hooks.append(module.register_forward_hook(hook))
    probe = torch.ones(1, *input_shape)
    model(probe)  # sizes of the maps, for the batch
    batch = 1 if centre else max(max(out.shape[-2:]) for _, out in outputs)
    outputs.clear()
    calls.clear()
    x = torch.ones(batch, *input_shape, requires_grad=True)
    model(x)
    for hook in hooks:
        hook.remove()
    measured = {}
    for key, out in outputs:
        height, width = out.shape[-2:]
        if centre:
            units = out[0, :, height // 2, width // 2].sum()
        else:
            units = torch.stack([out[b, :, min(b, height - 1), min(b, width - 1)].sum() for b in range(batch)])
        (grad,) = torch.autograd.grad(units.sum(), x, retain_graph=True)
        seen = grad.abs().sum(dim=1) > 0  # batch × H × W
        rows = [torch.nonzero(seen[b].any(dim=1)).flatten() for b in range(batch) if seen[b].any()]
        cols = [torch.nonzero(seen[b].any(dim=0)).flatten() for b in range(batch) if seen[b].any()]
        measured[key] = (max(int(r[-1] - r[0]) + 1 for r in rows), max(int(c[-1] - c[0]) + 1 for c in cols))
    return measured


def _shown_receptive_fields(analysis, names) -> dict[tuple[str, int], tuple[int, int]]:
    return {(row.name, row.call_index): row.receptive_field for row in analysis.rows if row.name in names}


UNEVEN_POOLS = nn.Sequential(  # no padding anywhere: every unit's receptive field lies on the image
    nn.Conv2d(1, 2, 3),                    # 17×13 -> 15×11
    nn.AdaptiveAvgPool2d((4, 7)),          # 15 -> 4 pools windows of 4, 5, 5, 4; 11 -> 7 of 2 and 3
    nn.Conv2d(2, 2, 2),                    # -> 3×6: two neighbouring windows, of different sizes
    nn.MaxPool2d(2, stride=1),             # -> 2×5
    nn.AdaptiveMaxPool2d((6, 3)),          # 2 -> 6 upsamples (windows of 1 and 2); 5 -> 3 of 2 and 3
    nn.Conv2d(2, 2, (2, 1)),               # -> 5×3
    nn.AdaptiveAvgPool2d(1),               # the whole map
)


class Op(nn.Module):
    """A functional op as a layer, so that the table has a row for it."""

    def __init__(self, op):
        super().__init__()
        self.op = op

    def forward(self, x):
        return self.op(x)


SLICES = nn.Sequential(
    nn.Conv2d(1, 2, 3, padding=1),                 # 31×40
    Op(lambda x: x[:, :, ::2, 1::3]),              # -> 16×13, units 2 and 3 pixels apart
    nn.Conv2d(2, 2, 3),                            # -> 14×11
    Op(lambda x: x.narrow(2, 1, 6)),               # -> 6×11
    nn.Conv2d(2, 2, 3, padding=1),
    Op(lambda x: x[..., 1:-1, :]),                 # -> 4×11
    nn.Conv2d(2, 2, 2),
)
PADS = nn.Sequential(
    nn.Conv2d(1, 2, 3),                            # 30×34 -> 28×32
    Op(lambda x: F.pad(x, (1, 2, 0, 3))),          # zeros, uneven -> 31×35
    nn.Conv2d(2, 2, 3, stride=2),                  # -> 15×17
    nn.ReflectionPad2d(2),                         # the border repeats units 2 and 1
    nn.Conv2d(2, 2, 3),
    nn.ReplicationPad2d((1, 0, 2, 1)),
    nn.Conv2d(2, 2, 3),
    nn.Conv2d(2, 2, 3, padding=2, padding_mode="reflect"),  # F.pad, then a conv without padding
    Op(lambda x: F.pad(x, (-1, -2, -1, 0))),       # negative: a crop
    nn.Conv2d(2, 2, 3),
)
CIRCULAR = nn.Sequential(  # the border units wrap around: they see both ends of the image
    nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular"), nn.Conv2d(2, 2, 3))
TRANSPOSED = nn.Sequential(
    nn.Conv2d(1, 2, 3, stride=2),                                         # 23×21 -> 11×10, 2 pixels apart
    nn.ConvTranspose2d(2, 2, 3, stride=2, padding=1, output_padding=1),   # -> 22×20, 1 apart
    nn.Conv2d(2, 2, 3),
    nn.ConvTranspose2d(2, 2, 4, stride=2, padding=1),                     # ½ pixel apart
    nn.Conv2d(2, 2, 3),
    nn.ConvTranspose2d(2, 2, 3, dilation=2),
    nn.ConvTranspose2d(2, 2, (2, 3), stride=(2, 3)),                      # ¼ and ⅙ pixel apart
)

SQUARE_UNEVEN = nn.Sequential(  # a square image, its height and width then moved differently
    nn.Conv2d(1, 2, 3),                                   # alike: 16×16 -> 14×14
    nn.Conv2d(2, 2, (1, 3), padding=(0, 1)),              # the width alone grows
    nn.MaxPool2d((2, 1)),                                 # the height alone is pooled
    Op(lambda x: F.pad(x, (1, 0, 0, 2))),
    nn.Conv2d(2, 2, 3, dilation=(1, 2)),
)


@pytest.mark.parametrize("model, input_shape, names, centre", [
    (UNEVEN_POOLS, (1, 17, 13), [str(i) for i in range(7)], False),
    (create_model("lenet5-padded"), (1, 28, 28), ["conv1", "pool1", "conv2", "pool2"], False),
    (create_model("alexnet"), (3, 300, 257), ["features.10", "features.12", "avgpool"], False),
    (SLICES, (1, 31, 40), [str(i) for i in range(7)], False),
    (PADS, (1, 30, 34), [str(i) for i in range(10)], False),
    (CIRCULAR, (1, 12, 15), ["0", "1", "2"], False),
    (TRANSPOSED, (1, 23, 21), [str(i) for i in range(7)], False),
    (SQUARE_UNEVEN, (1, 16, 16), [str(i) for i in range(5)], False),
    # every layer up to the global pool, the option-A shortcuts' x[:, :, ::2, ::2] included; 96×96,
    # so that the last stage's receptive field (81) lies on the image
    (create_model("resnet20"), (3, 96, 96), None, True),
], ids=["uneven-pools", "lenet5-padded", "alexnet-3x300x257", "slicing", "padding", "circular-padding",
        "transposed-conv", "square-image-uneven-ops", "resnet20-3x96x96"])
def test_receptive_field_is_the_largest_of_any_unit_measured_by_autograd(model, input_shape, names, centre):
    analysis = analyze_model(model, input_shape)
    names = names or [row.name for row in analysis.rows
                      if row.output_shape and len(row.output_shape) == 3 and row.output_shape[1:] != (1, 1)]
    shown = _shown_receptive_fields(analysis, names)
    measured = _measured_receptive_fields(model, input_shape, names, centre)
    assert len(measured) == len(names)
    assert shown == measured


def test_zero_padding_by_f_pad_counts_as_a_conv_s_own_padding():
    # the same network twice: the padding a conv counts reaches past the 6×6 image either way
    with_padding = nn.Sequential(nn.Conv2d(1, 1, 5, padding=2), nn.Conv2d(1, 1, 3, stride=2, padding=1),
                                 nn.Conv2d(1, 1, 3, padding=(1, 0)))
    padded_first = nn.Sequential(nn.ZeroPad2d(2), nn.Conv2d(1, 1, 5), Op(lambda x: F.pad(x, (1, 1, 1, 1))),
                                 nn.Conv2d(1, 1, 3, stride=2), nn.ZeroPad2d((0, 0, 1, 1)), nn.Conv2d(1, 1, 3))
    convs = [[(row.receptive_field, row.jump) for row in analyze_model(model, (1, 6, 6)).rows if row.type == "Conv2d"]
             for model in (with_padding, padded_first)]
    # by hand: r += (k−1)·j, j *= s
    assert convs[0] == convs[1] == [((5, 5), (1, 1)), ((7, 7), (2, 2)), ((11, 11), (2, 2))]


def test_option_a_shortcut_subsamples_as_the_strided_conv_beside_it():
    rows = {row.name: row for row in analyze_architecture("resnet20").rows}
    for stage, jump in (("stage2", 2), ("stage3", 4)):
        assert rows[f"{stage}.block1.shortcut"].jump == rows[f"{stage}.block1.conv1"].jump == (jump, jump)


@pytest.mark.parametrize("arch", list_architectures(), ids=lambda a: a.id)
def test_every_zoo_entry_s_receptive_field_is_followed_to_the_end(arch):
    analysis = analyze_architecture(arch.id)
    assert [row.name for row in analysis.rows if row.receptive_field_unknown] == []
    assert analysis.receptive_field_unknown is None and analysis.receptive_field is not None


def _around(op) -> nn.Module:
    """conv → ``op`` → conv → global pool → linear, on a 1×12×12 image: four channels throughout."""
    return nn.Sequential(OrderedDict(conv1=nn.Conv2d(1, 4, 3), op=op if isinstance(op, nn.Module) else Op(op),
                                     conv2=nn.Conv2d(4, 4, 3), gap=nn.AdaptiveAvgPool2d(1),
                                     flatten=nn.Flatten(), fc=nn.Linear(4, 2)))


@pytest.mark.parametrize("op, reason", [
    (lambda x: x.flip(3), "flip in op mirrors the map"),
    (lambda x: torch.roll(x, 2, 2), "roll in op shifts the map"),
    (lambda x: x.transpose(2, 3), "transpose in op moves the height or width"),
    (nn.Upsample(scale_factor=2), "interpolate in op resamples the map"),
    (lambda x: F.pixel_shuffle(x.repeat(1, 4, 1, 1), 2), "pixel_shuffle in op moves channels into pixels"),
    (lambda x: torch.cat([x, x], dim=3), "cat in op joins maps along the height or width"),
    (lambda x: x.unfold(3, 2, 1).mean(-1), "unfold in op cuts the map into patches"),
    (lambda x: x[:, :, [0, 2, 1]], "indexing in op picks pixels by index"),
    (lambda x: x * x.mean((2, 3), keepdim=True), "mul in op broadcasts a smaller map over a larger one"),
    (lambda x: x.sum(3, keepdim=True).expand_as(x), "sum in op reduces the height or the width alone"),
    (nn.ConvTranspose2d(4, 4, 1, stride=2),
     "conv_transpose2d in op leaves output 1 that no input unit reaches (its stride 2 is larger than the "
     "kernel's reach)"),
    (nn.Sequential(nn.ConvTranspose2d(4, 4, 2, stride=2), nn.Conv2d(4, 4, 3, padding=1)),
     "conv2d in op.1 reaches past the border of a map whose units are less than a pixel apart (after a "
     "conv_transpose2d)"),
], ids=["flip", "roll", "transpose", "upsample", "pixel-shuffle", "cat-width", "unfold", "index", "broadcast",
        "sum-width", "transposed-conv-gaps", "padding-after-half-pixels"])
def test_an_op_that_moves_positions_makes_the_receptive_field_unknown_from_there_on(op, reason):
    analysis = analyze_model(_around(op), (1, 12, 12))
    rows = [row for row in analysis.rows if row.name in ("conv1", "op", "conv2", "gap", "flatten", "fc")]
    assert rows[0].receptive_field == (3, 3)
    downstream = [(row.receptive_field, row.jump, row.receptive_field_unknown) for row in rows[1:]]
    assert downstream == [(None, None, reason)] * 5
    assert analysis.receptive_field is None and analysis.receptive_field_unknown == reason
    data = analysis.to_dict()
    conv2 = next(layer for layer in data["layers"] if layer["name"] == "conv2")
    assert data["receptive_field_unknown"] == conv2["receptive_field_unknown"] == reason
    assert data["receptive_field"] is conv2["receptive_field"] is None


@pytest.mark.parametrize("op", [
    lambda x: x.flip(1), lambda x: torch.cat([x[:, :2], x[:, 2:]], dim=1), lambda x: x[:, [1, 0, 3, 2]],
    lambda x: x.softmax(1), lambda x: x.transpose(0, 1).transpose(0, 1), lambda x: x.mean(1, keepdim=True) + x,
    lambda x: x[:, :, :, :], lambda x: x.view(1, 2, 2, 10, 10).flatten(1, 2), lambda x: x + x.new_zeros(1, 4, 1, 1),
], ids=["flip-channels", "cat-channels", "index-channels", "softmax-channels", "transpose-batch", "mean-channels",
        "whole-slice", "view-channels", "constant"])
def test_an_op_that_keeps_positions_keeps_the_receptive_field(op):
    # the reference: the same network with nothing in the op's place
    fields = [[(row.receptive_field, row.jump) for row in analyze_model(_around(op), (1, 12, 12)).rows]
              for op in (op, nn.Identity())]
    assert fields[0] == fields[1]
    assert fields[0][2] == ((5, 5), (1, 1))


def test_receptive_field_after_an_adaptive_pool_whose_sizes_do_not_divide():
    # AlexNet's features end at 8×7 here; 8 -> 6 and 7 -> 6 pool windows of 2 units, 32 pixels apart
    rows = {row.name: row for row in analyze_architecture("alexnet", (3, 300, 257)).rows}
    assert rows["features.12"].receptive_field == (195, 195)
    assert rows["avgpool"].receptive_field == (195 + 32, 195 + 32)
    # 1×1 -> 6×6 repeats the one unit: nothing is added
    rows = {row.name: row for row in analyze_architecture("alexnet", (3, 63, 63)).rows}
    assert rows["features.12"].output_shape == (256, 1, 1)
    assert rows["avgpool"].receptive_field == rows["features.12"].receptive_field == (195, 195)
    # VGG-16's 2×2 -> 7×7: window 3 is ⌊3·2/7⌋ = 0 to ⌈4·2/7⌉ − 1 = 1, both units
    analysis = analyze_architecture("vgg16", (3, 64, 64))
    rows = {row.name: row for row in analysis.rows}
    assert rows["features.30"].receptive_field == (212, 212)
    assert rows["avgpool"].receptive_field == (212 + 32, 212 + 32)
    assert analysis.receptive_field == (244, 244)


def _spec_diagnosis(layers, input_shape=(1, 28, 28)):
    spec = parse_spec({"name": "net", "input_shape": list(input_shape), "layers": layers})
    return analyze_model(lambda: build_model(spec), input_shape).diagnosis


@pytest.mark.parametrize("layer", [{"type": "conv", "filters": 4, "kernel": 3, "name": "conv1"},
                                   {"type": "maxpool", "kernel": 2, "name": "pool1"},
                                   {"type": "globalavgpool", "name": "gap1"}])
def test_a_conv_or_pool_after_the_flatten_is_diagnosed(layer):
    diagnosis = _spec_diagnosis([{"type": "conv", "filters": 2, "kernel": 3}, {"type": "flatten"}, layer])
    name = layer["name"]
    assert diagnosis.layer == name
    assert diagnosis.message == f"{name} needs a C×H×W feature map, but its input is a flat vector of 1,352 features."
    assert diagnosis.suggestion == (f"Fix: move flatten1 after {name} (flatten just before the first linear "
                                    f"layer), or remove it.")


def test_a_global_pool_of_a_flat_vector_does_not_fit_although_pytorch_runs_it():
    """PyTorch takes a 2-D input to a global average pool as one unbatched map: a batch of flat
    vectors comes out as one number, the batch averaged in. At batch 1 that looked like a fit."""
    layers = [{"type": "flatten"}, {"type": "concat", "branches": [
        [], [{"type": "linear", "out_features": 10}], [{"type": "globalavgpool"}]]}]
    model = build_model(parse_spec({"name": "net", "input_shape": [1, 8, 8], "layers": layers}))
    assert tuple(model.concat1.branch3(torch.zeros(2, 64)).shape) == (1, 1)  # what PyTorch does
    with pytest.raises(RuntimeError):
        model(torch.zeros(2, 1, 8, 8))  # and so a real batch fails at the concat
    diagnosis = _spec_diagnosis(layers, (1, 8, 8))
    assert diagnosis.layer == "concat1.branch3.gap1"
    assert diagnosis.message == ("concat1.branch3.gap1 needs a C×H×W feature map, but its input is a flat "
                                 "vector of 64 features.")
    assert not _fits(_on_meta(model), (1, 8, 8))


def test_a_residual_add_of_a_vector_and_a_map_does_not_fit_although_pytorch_broadcasts_it():
    """A residual block whose layers flatten a 1×1×1 input adds a (1, 1) vector to a (1, 1, 1, 1)
    map: PyTorch broadcasts them, and a batch of 2 comes out 2×1×2×1, the batch mixed in."""
    layers = [{"type": "residual", "layers": [{"type": "flatten"}]}]
    model = build_model(parse_spec({"name": "net", "input_shape": [1, 1, 1], "layers": layers}))
    assert tuple(model(torch.zeros(2, 1, 1, 1)).shape) == (2, 1, 2, 1)
    diagnosis = _spec_diagnosis(layers, (1, 1, 1))
    assert diagnosis.layer == "residual1"
    assert diagnosis.message == "the residual add in residual1 gets tensors of different shapes: 1 and 1×1×1."
    assert not _fits(_on_meta(model), (1, 1, 1))


_RANDOM_OPTIONS = {
    "conv": {"filters": [1, 3, 8], "kernel": [1, 3, 5, [3, 1]], "stride": [1, 2, [1, 2]],
             "padding": [0, 1, 2, [0, 1], "same"], "dilation": [1, 2], "bias": [True, False]},
    "maxpool": {"kernel": [2, 3, [2, 1]], "stride": [1, 2], "padding": [0, 1], "ceil_mode": [True, False]},
    "avgpool": {"kernel": [2, 3], "stride": [1, 2], "padding": [0, 1], "ceil_mode": [True, False]},
    "dropout": {"p": [0.0, 0.5]},
    "linear": {"out_features": [1, 10], "bias": [True, False]},
}


def _random_layer(rng: random.Random, depth: int = 0) -> dict:
    kind = rng.choice(LAYER_TYPES)
    layer = {"type": kind}
    for name, choices in _RANDOM_OPTIONS.get(kind, {}).items():
        if name in ("filters", "kernel", "out_features") or rng.random() < 0.4:
            layer[name] = rng.choice(choices)
    if kind == "residual":
        layer["layers"] = [_random_layer(rng, depth + 1) for _ in range(rng.randint(0, 3 - depth))]
    if kind == "concat":
        layer["branches"] = [[_random_layer(rng, depth + 1) for _ in range(rng.randint(0, 2 - min(depth, 2)))]
                             for _ in range(rng.randint(1, 3))]
    return layer


@pytest.mark.parametrize("seed", range(3))
def test_random_specs_agree_with_pytorch_on_a_batch_of_two(seed):
    """Random networks of every layer type: each layer's activation shape, the # parameters and the
    conv and linear MACs are PyTorch's own on a real batch of 2 (the analysis runs batch 1 on the
    meta device). A network that does not fit fails in PyTorch too, or PyTorch mixes the batch in
    (its batch of 2 is not two outputs of the shape one input gets): see the two tests above."""
    rng = random.Random(seed)
    analysed = refused = 0
    for _ in range(150):
        shape = rng.choice([(1, 8, 8), (3, 16, 16), (2, 5, 7), (1, 1, 1)])
        try:
            spec = parse_spec({"name": "net", "input_shape": list(shape),
                               "layers": [_random_layer(rng) for _ in range(rng.randint(1, 6))]})
            analysis = analyze_model(functools.partial(build_model, spec), shape)
        except SpecError:  # refused with a message before it is built: not what this test checks
            continue
        analysed += 1
        model = build_model(spec).eval()
        assert analysis.total_params == sum(p.numel() for p in model.parameters())
        if not analysis.fits:
            refused += 1
            try:
                with torch.no_grad():
                    one, two = model(torch.randn(1, *shape)), model(torch.randn(2, *shape))
            except (RuntimeError, IndexError, ValueError):  # what PyTorch raises for a shape
                continue
            assert tuple(two.shape) != (2, *one.shape[1:]), analysis.diagnosis
            continue
        shapes = {}

        def record(module, inputs, output, name, shapes=shapes):  # returns None: the output stays
            shapes[name] = tuple(output.shape)
        for name, module in model.named_modules():
            module.register_forward_hook(functools.partial(record, name=name))
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            output = model(torch.randn(2, *shape))
        assert tuple(output.shape) == (2, *analysis.output_shape)
        for row in analysis.rows:
            assert (2, *row.output_shape) == shapes[row.name], row.name
        macs = sum(row.macs for row in analysis.rows if row.is_leaf and row.type in ("Conv2d", "Linear"))
        assert counter.get_total_flops() == 2 * 2 * macs  # 2 FLOPs a MAC, 2 images
    assert analysed >= 50 and 10 <= refused <= analysed - 30  # enough of both kinds to mean something


def test_a_conv_after_a_linear_layer_is_diagnosed():
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10), nn.Conv2d(10, 2, 1))
    diagnosis = analyze_model(model, (1, 8, 8)).diagnosis
    assert diagnosis.message == "2 needs a C×H×W feature map, but its input is a flat vector of 10 features."
    assert diagnosis.suggestion == "Fix: move 0 after 2 (flatten just before the first linear layer), or remove it."

    class Vector(nn.Module):  # flattens without an nn.Flatten
        def forward(self, x):
            return x.flatten(1)

    diagnosis = analyze_model(nn.Sequential(Vector(), nn.MaxPool2d(2)), (1, 8, 8)).diagnosis
    assert diagnosis.suggestion == "Fix: put 1 before the layers that turn the feature map into a vector."


def test_batch_norm_of_the_wrong_width_is_diagnosed():
    diagnosis = _spec_diagnosis([{"type": "conv", "filters": 4, "kernel": 3},
                                 {"type": "batchnorm", "num_features": 8, "name": "bn1"}])
    assert diagnosis.layer == "bn1"
    assert diagnosis.message == "bn1 expects 8 channels but its input has 4 (4×26×26)."
    assert diagnosis.suggestion == ("Fix: set num_features to 4 in bn1 (or leave num_features out of the "
                                    "spec: it is then inferred).")
    diagnosis = _spec_diagnosis([{"type": "flatten"}, {"type": "batchnorm", "num_features": 10, "name": "bn"}],
                                (1, 2, 3))
    assert diagnosis.message == "bn expects 10 features but its input has 6 (6)."


def test_an_op_that_fails_on_parameters_shows_only_the_activations_shapes():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(5))

        def forward(self, x):
            return torch.mul(x, self.weight)

    diagnosis = analyze_model(nn.Sequential(nn.Conv2d(1, 4, 3), Scale()), (1, 6, 6)).diagnosis
    assert diagnosis.message.startswith("mul in 1 fails on 4×4×4: ")


@pytest.mark.parametrize("func, shapes, kwargs", [
    (F.linear, [(2, 3, 5), (4, 5), (4,)], {}),
    (F.linear, [(5,), (4, 5), None], {}),
    (F.linear, [(2, 5), (4, 6), (4,)], {}),           # too few input features: PyTorch's refusal
    (F.linear, [(2, 5), (4, 5), (3,)], {}),           # a bias of the wrong size
    (F.relu, [(2, 3, 4, 4)], {}),
    (F.relu, [(2, 3, 4, 4)], {"inplace": True}),
    (torch.relu, [(2, 3)], {}),
    (F.batch_norm, [(2, 3, 4, 4), (3,), (3,)], {}),
    (F.batch_norm, [(2, 3, 4, 4), (2,), (2,)], {}),   # 3 channels, 2 running means
], ids=["linear-3d", "linear-vector-no-bias", "linear-too-few-features", "linear-wrong-bias", "relu",
        "relu-inplace", "torch.relu", "batch-norm", "batch-norm-wrong-width"])
def test_the_analysis_s_shortcuts_on_the_meta_device_give_pytorch_s_shapes_and_refusals(func, shapes, kwargs):
    def run(device):
        tensors = [None if shape is None else torch.randn(shape, device=device) for shape in shapes]
        try:
            return func(*tensors, **kwargs).shape
        except RuntimeError:
            return "refused"

    real = run("cpu")
    with _ShapeTracker(image_hw=(1, 1)):  # where the shortcuts run, in its __torch_function__
        assert run("meta") == real


@pytest.mark.parametrize("arch_id, depth", [
    ("lenet5", 5), ("alexnet", 8), ("vgg11", 11), ("vgg16", 16), ("vgg19", 19), ("nin", 12),
    ("googlenet", 22), ("googlenet-d2l", 22), ("resnet18", 18), ("resnet34", 34), ("resnet-d2l", 18),
    ("resnet20", 20), ("resnet56", 56), ("plain56", 56)])
def test_network_depth_is_the_papers_count_and_weight_layers_count_every_conv_and_linear(arch_id, depth):
    """The depth in each network's name (GoogLeNet: "22 layers deep when counting only layers with
    parameters", Szegedy et al.; NiN: 4 blocks of 3 convs); the weight layers as torch counts the modules."""
    analysis = analyze_architecture(arch_id)
    assert analysis.network_depth == depth
    assert analysis.to_dict()["network_depth"] == depth
    modules = create_model(arch_id).modules()
    assert analysis.weight_layers == sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in modules)


def test_network_depth_follows_the_longest_path_through_shortcuts_and_branches():
    conv = {"type": "conv", "filters": 4, "kernel": 3, "padding": 1}
    deep_shortcut = parse_spec({"name": "deep-shortcut", "input_shape": [4, 8, 8], "layers": [
        conv, {"type": "residual", "layers": [conv], "shortcut": [conv, {"type": "relu"}, conv, conv]},
        {"type": "concat", "branches": [[conv], [conv, conv], [{"type": "maxpool", "kernel": 3, "stride": 1,
                                                                "padding": 1}]]},
        {"type": "flatten"}, {"type": "linear", "out_features": 10}]})
    analysis = analyze_model(lambda: build_model(deep_shortcut), (4, 8, 8))
    assert analysis.network_depth == 1 + 3 + 2 + 1  # the shortcut's 3 convs, the concat's longest branch
    assert analysis.weight_layers == 1 + 4 + 3 + 1
    assert analyze_architecture("simple-cnn").network_depth is None  # does not fit: no path to the output


def test_after_a_flatten_units_see_the_pixels_the_map_before_saw_not_always_the_whole_image():
    """LeNet-5 at 1×37×41: its pools drop the last row and column, so a flatten unit sees 36×40
    pixels (autograd says which), not the image's 37×41 that the help text once promised."""
    model = create_model("lenet5").double()
    image = torch.randn(1, 1, 37, 41, dtype=torch.double, requires_grad=True)
    maps = image
    for name, module in model.named_children():
        maps = module(maps)
        if name == "flatten":
            break
    maps.sum().backward()
    seen = (image.grad[0, 0] != 0).nonzero()
    extent = (int(seen[:, 0].max() - seen[:, 0].min()) + 1, int(seen[:, 1].max() - seen[:, 1].min()) + 1)
    flatten = next(row for row in analyze_architecture("lenet5", (1, 37, 41)).rows if row.name == "flatten")
    assert flatten.receptive_field == extent == (36, 40)
