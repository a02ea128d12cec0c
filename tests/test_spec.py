"""Custom networks: valid specs build the layers they describe (checked by a real forward);
every kind of invalid spec gives a message naming the layer and the field."""

import copy
import json

import pytest
import torch
from torch import nn

from cnnviz.spec import (
    EXAMPLE_SPECS,
    MAX_LAYERS,
    MAX_NESTING,
    Concat,
    Residual,
    SpecError,
    build_model,
    load_spec,
    loads_spec,
    parse_spec,
    spec_json,
)


def spec_with(*layers, input_shape=(1, 28, 28)):
    return {"name": "t", "input_shape": list(input_shape), "layers": list(layers)}


def forward(spec_data, batch=2):
    spec = parse_spec(spec_data)
    model = build_model(spec)
    return model, model(torch.randn(batch, *spec.input_shape))


def test_lenet_spec_builds_named_layers_with_inferred_sizes():
    model, out = forward(EXAMPLE_SPECS["lenet5"])
    assert out.shape == (2, 10)
    assert [n for n, _ in model.named_children()] == [
        "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten1",
        "fc1", "relu3", "fc2", "relu4", "fc3"]
    assert model.conv2.in_channels == 6 and model.fc1.in_features == 400
    assert sum(p.numel() for p in model.parameters()) == 61_706


def test_every_field_reaches_the_module():
    model, out = forward(spec_with(
        {"type": "conv", "filters": 4, "kernel": [3, 5], "stride": [1, 2], "padding": [1, 2],
         "dilation": 1, "bias": False, "name": "stem"},
        {"type": "batchnorm"}, {"type": "sigmoid"},
        {"type": "avgpool", "kernel": 2, "stride": 1},
        {"type": "maxpool", "kernel": 3, "stride": 2, "padding": 1},
        {"type": "tanh"}, {"type": "dropout", "p": 0.25}, {"type": "flatten"},
        {"type": "linear", "out_features": 5, "bias": False}, {"type": "batchnorm"}))
    stem = model.stem
    assert (stem.kernel_size, stem.stride, stem.padding, stem.bias) == ((3, 5), (1, 2), (1, 2), None)
    # 28×28 → conv (28, 14) → avgpool 2/1 (27, 13) → maxpool 3/2 p1 (14, 7): 4·14·7 = 392
    assert model.fc1.in_features == 4 * 14 * 7 and model.fc1.bias is None
    assert isinstance(model.bn2, nn.BatchNorm1d) and model.bn2.num_features == 5
    assert model.dropout1.p == 0.25
    assert out.shape == (2, 5)


def test_residual_adds_its_shortcut_and_concat_stacks_branches():
    model, out = forward(EXAMPLE_SPECS["small-resnet"])
    assert out.shape == (2, 10)
    blocks = [m for m in model.modules() if isinstance(m, Residual)]
    assert blocks[0].shortcut is None and blocks[1].shortcut.conv1.stride == (2, 2)
    x = torch.randn(1, 16, 8, 8)
    block = blocks[0].eval()
    assert torch.allclose(block(x), block.layers(x) + x)

    model, out = forward(EXAMPLE_SPECS["inception-like"])
    concat = next(m for m in model.modules() if isinstance(m, Concat))
    y = concat(torch.randn(1, 32, 32, 32))
    assert y.shape == (1, 16 + 32 + 8 + 8, 32, 32)
    assert model.fc1.in_features == 64 and out.shape == (2, 10)


def test_explicit_wrong_in_features_is_kept_for_the_diagnosis():
    spec = parse_spec(EXAMPLE_SPECS["does-not-fit"])
    model = build_model(spec)
    assert model.fc.in_features == 320
    with pytest.raises(RuntimeError, match="500 and 320"):
        model(torch.zeros(1, 1, 28, 28))


def test_build_for_another_input_shape_and_on_the_meta_device():
    spec = parse_spec(EXAMPLE_SPECS["lenet5"])
    with torch.device("meta"):
        model = build_model(spec, input_shape=(3, 32, 32))
    assert model.conv1.weight.is_meta
    assert model.conv1.in_channels == 3 and model.fc1.in_features == 16 * 6 * 6


def test_round_trip_through_dict_json_and_yaml(tmp_path):
    for data in EXAMPLE_SPECS.values():
        spec = parse_spec(data)
        assert parse_spec(spec.to_dict()) == spec
    spec = parse_spec(EXAMPLE_SPECS["small-resnet"])
    (tmp_path / "net.json").write_text(json.dumps(spec.to_dict()))
    assert load_spec(tmp_path / "net.json") == spec
    yaml_text = """
name: tiny
input_shape: [1, 8, 8]
layers:
  - {type: conv, filters: 2, kernel: 3}
  - type: flatten
  - {type: linear, out_features: 3}
"""
    (tmp_path / "net.yaml").write_text(yaml_text)
    tiny = load_spec(tmp_path / "net.yaml")
    assert tiny == loads_spec(yaml_text)
    assert build_model(tiny)(torch.zeros(1, 1, 8, 8)).shape == (1, 3)


def test_user_names_win_over_generated_ones():
    model = build_model(parse_spec(spec_with(
        {"type": "conv", "filters": 2, "kernel": 3},
        {"type": "conv", "filters": 2, "kernel": 3, "name": "conv1"})))
    assert [n for n, _ in model.named_children()] == ["conv2", "conv1"]


LENET = EXAMPLE_SPECS["lenet5"]


def broken(change):
    data = copy.deepcopy(LENET)
    change(data)
    return data


def set_layer(i, **fields):
    def change(data):
        data["layers"][i].update(fields)
    return change


INVALID = [
    # (spec, index, field, words the message must contain)
    (broken(set_layer(0, type="convv")), "0", "type", ["layer 0", "unknown type", "'conv'"]),
    (broken(set_layer(0, kernel=0)), "0", "kernel", ["layer 0 (conv)", "'kernel'", "got 0"]),
    (broken(set_layer(3, filters=-4)), "3", "filters", ["layer 3 (conv)", "positive", "got -4"]),
    (broken(set_layer(0, padding=-1)), "0", "padding", ["non-negative", "got -1"]),
    (broken(set_layer(0, stride=[1, 0])), "0", "stride", ["'stride'", "got [1, 0]"]),
    (broken(set_layer(7, out_features=0)), "7", "out_features", ["layer 7 (linear)", "got 0"]),
    (broken(set_layer(0, kernel="5")), "0", "kernel", ["'kernel'", 'got "5"']),
    (broken(set_layer(0, kernel=5.0)), "0", "kernel", ["got 5.0"]),
    (broken(set_layer(0, kernel=True)), "0", "kernel", ["got true"]),
    (broken(set_layer(0, bias="yes")), "0", "bias", ["true or false"]),
    (broken(set_layer(2, kernel=2, padding=2)), "2", "padding", ["at most half the kernel"]),
    (broken(set_layer(0, kernal=5)), "0", "kernal", ["unknown field", "'kernel'"]),
    (broken(lambda d: d["layers"][0].pop("filters")), "0", "filters", ["'filters' is missing"]),
    (broken(lambda d: d["layers"][1].pop("type")), "1", "type", ["layer 1", "'type' is missing"]),
    (broken(lambda d: d["layers"].insert(4, "relu")), "4", None, ["layer 4", "mapping"]),
    (broken(set_layer(1, name="a.b")), "1", "name", ["identifier"]),
    (broken(set_layer(1, name="forward")), "1", "name", ["reserved"]),
    (broken(lambda d: [d["layers"][i].update(name="x") for i in (1, 4)]), "1", "name", ["unique"]),
    (spec_with({"type": "dropout", "p": 1.5}), "0", "p", ["[0, 1)", "got 1.5"]),
    (broken(lambda d: d.pop("input_shape")), None, "input_shape", ["'input_shape' is missing"]),
    (broken(lambda d: d.update(input_shape=[28, 28])), None, "input_shape", ["3 positive"]),
    (broken(lambda d: d.update(input_shape=[1, 0, 28])), None, "input_shape", ["got [1, 0, 28]"]),
    (broken(lambda d: d.update(num_classes=0)), None, "num_classes", ["'num_classes'"]),
    (broken(lambda d: d.update(layers=[])), None, "layers", ["non-empty list"]),
    (broken(lambda d: d.update(layers={"type": "relu"})), None, "layers", ["list of layers"]),
    (broken(lambda d: d.pop("layers")), None, "layers", ["'layers' is missing"]),
    (broken(lambda d: d.update(layer=[])), None, "layer", ["unknown top-level", "'layers'"]),
    (spec_with({"type": "residual"}), "0", "layers", ["layer 0 (residual)", "'layers' is missing"]),
    (spec_with({"type": "residual", "layers": [{"type": "conv", "filters": 1, "kernel": 0}]}),
     "0.layers.0", "kernel", ["layer 0.layers.0 (conv)", "got 0"]),
    (spec_with({"type": "residual", "layers": [{"type": "relu"}], "shortcut": {"type": "relu"}}),
     "0", "shortcut", ["'shortcut' must be a list"]),
    (spec_with({"type": "concat", "branches": [[{"type": "relu"}]]}), "0", "branches",
     ["at least 2"]),
    (spec_with({"type": "concat", "branches": [[{"type": "relu"}], [{"type": "pool"}]]}),
     "0.branches.1.0", "type", ["layer 0.branches.1.0", "unknown type"]),
    (spec_with({"type": "concat", "branches": [[], "relu"]}), "0", "branches",
     ["branch 1", "list of layers"]),
    (spec_with({"type": "relu", "branches": []}), "0", "branches", ["relu takes no fields"]),
]


@pytest.mark.parametrize(("data", "index", "field", "words"), INVALID)
def test_invalid_specs_name_the_layer_and_the_field(data, index, field, words):
    with pytest.raises(SpecError) as error:
        parse_spec(data)
    assert (error.value.index, error.value.field) == (index, field)
    for word in words:
        assert word in str(error.value)


def test_not_a_mapping():
    with pytest.raises(SpecError, match="must be a mapping"):
        parse_spec([1, 2])


@pytest.mark.parametrize(("layers", "index", "words"), [
    ([{"type": "conv", "filters": 2, "kernel": 3}, {"type": "linear", "out_features": 2}],
     "1", ["2×26×26", "flatten"]),
    ([{"type": "conv", "filters": 2, "kernel": 40}, {"type": "flatten"},
      {"type": "linear", "out_features": 2}], "2", ["earlier layer does not fit"]),
])
def test_in_features_that_cannot_be_inferred(layers, index, words):
    with pytest.raises(SpecError) as error:
        build_model(parse_spec(spec_with(*layers)))
    assert (error.value.index, error.value.field) == (index, "in_features")
    for word in words:
        assert word in str(error.value)


def test_a_kernel_larger_than_the_input_still_builds_for_the_diagnosis():
    model = build_model(parse_spec(spec_with({"type": "conv", "filters": 2, "kernel": 40})))
    with pytest.raises(RuntimeError):
        model(torch.zeros(1, 1, 28, 28))


def test_text_and_file_errors_are_spec_errors(tmp_path):
    with pytest.raises(SpecError, match="invalid JSON at line 1"):
        loads_spec('{"layers": [}')
    with pytest.raises(SpecError, match="invalid YAML at line 3"):
        loads_spec("layers:\n  - [unclosed\n")
    with pytest.raises(SpecError, match="missing.json: cannot read the spec file: No such file"):
        load_spec(tmp_path / "missing.json")
    (tmp_path / "bad.yaml").write_text("a: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(SpecError, match="bad.yaml: invalid YAML"):
        load_spec(tmp_path / "bad.yaml")  # safe_load refuses to build Python objects


@pytest.mark.parametrize(("text", "index", "field"), [
    ('{"layers": [}', None, None),  # a syntax error
    (json.dumps(spec_with({"type": "conv", "filters": 2, "kernel": 0})), "0", "kernel"),  # a bad layer
    (b"\xff\xfe", None, None),  # not UTF-8
])
def test_a_spec_files_errors_name_it_once(tmp_path, text, index, field):
    path = tmp_path / "net.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(SpecError) as error:
        load_spec(path)
    assert str(error.value).startswith(f"{path}: ") and str(error.value).count("net.json") == 1
    assert (error.value.index, error.value.field) == (index, field)  # kept for whoever points at the layer


def test_a_huge_bad_value_is_shown_cut_to_80_characters():
    kernel = list(range(100_000))  # ~590,000 characters of JSON
    with pytest.raises(SpecError) as error:
        parse_spec(spec_with({"type": "conv", "filters": 2, "kernel": kernel}))
    shown = str(error.value).split(", got ", 1)[1]
    assert shown == json.dumps(kernel)[:79] + "…" and len(shown) == 80
    with pytest.raises(SpecError) as error:
        parse_spec({"input_shape": [1, 8, 8], "layers": [{"type": "relu"}], "x" * 10_000: 1})
    assert str(error.value).startswith(f'unknown top-level field "{"x" * 78}…; a spec has name, ')
    short = spec_with({"type": "conv", "filters": 2, "kernel": [1, 0]})  # short values stay whole
    with pytest.raises(SpecError, match=r"got \[1, 0\]$"):
        parse_spec(short)


def nested_residuals(depth: int) -> dict:
    """A spec of ``depth`` residual blocks, each inside the one before."""
    layers = [{"type": "relu"}]
    for _ in range(depth):
        layers = [{"type": "residual", "layers": layers}]
    return spec_with(*layers)


def test_blocks_nest_as_deep_as_the_limit_and_no_deeper():
    assert MAX_NESTING == 16
    model = build_model(parse_spec(nested_residuals(MAX_NESTING)))
    assert sum(isinstance(m, Residual) for m in model.modules()) == MAX_NESTING
    assert torch.equal(model(torch.ones(1, 1, 28, 28)), torch.full((1, 1, 28, 28), MAX_NESTING + 1.0))  # x + x + ...
    deepest = ".".join(["0"] + ["layers.0"] * MAX_NESTING)
    for depth in (MAX_NESTING + 1, 400):
        with pytest.raises(SpecError) as error:
            parse_spec(nested_residuals(depth))
        assert (error.value.index, error.value.field) == (deepest, "layers")
        assert str(error.value) == (f"layer {deepest} (residual): residual and concat blocks nest at most 16 "
                                    "deep, and this residual is block 17 inside one another; put blocks one "
                                    "after the other instead")


def test_a_spec_holds_at_most_max_layers_counting_those_inside_blocks():
    assert MAX_LAYERS == 1_000
    relu = {"type": "relu"}
    assert len(build_model(parse_spec(spec_with(*[relu] * MAX_LAYERS)))) == MAX_LAYERS
    # 1 residual + 600 in it + 1 in its shortcut, 1 concat + 2 branches of 100, 198 more: 1,001
    residual = {"type": "residual", "layers": [relu] * 600, "shortcut": [{"type": "conv", "filters": 1, "kernel": 1}]}
    concat = {"type": "concat", "branches": [[relu] * 100, [relu] * 100]}
    for layers in ([relu] * (MAX_LAYERS + 1), [residual, concat, *[relu] * 198]):
        with pytest.raises(SpecError) as error:
            parse_spec(spec_with(*layers))
        assert (error.value.index, error.value.field) == (None, "layers")
        assert str(error.value) == ("the spec has 1,001 layers (counting blocks and the layers inside them); "
                                    "cnnviz analyses at most 1,000, so that its tables and diagrams answer in "
                                    "about a second: use fewer layers")


def test_a_concat_counts_as_a_level_too():
    concat = {"type": "concat", "branches": [nested_residuals(MAX_NESTING)["layers"], [{"type": "relu"}]]}
    with pytest.raises(SpecError, match="nest at most 16 deep, and this residual is block 17"):
        parse_spec(spec_with(concat))


@pytest.mark.parametrize("format", ["json", "yaml"])
def test_text_nested_too_deeply_to_read_is_a_spec_error(format):
    text = "[" * 100_000 + "]" * 100_000  # beyond any recursion limit of json and yaml
    with pytest.raises(SpecError) as error:
        loads_spec(text, format)
    assert str(error.value) == ("the spec is nested too deeply to be read; residual and concat blocks nest "
                                "at most 16 deep")


def test_a_deeply_nested_wrong_value_is_named_without_printing_it():
    value = 0
    for _ in range(5_000):
        value = [value]
    with pytest.raises(SpecError) as error:
        parse_spec(value)
    assert str(error.value) == ("a spec must be a mapping with 'input_shape' and 'layers', got a value nested "
                                "too deeply to show")


@pytest.mark.parametrize("name", list(EXAMPLE_SPECS))
def test_spec_json_is_the_same_spec_one_layer_a_line(name):
    text = spec_json(EXAMPLE_SPECS[name])
    assert json.loads(text) == EXAMPLE_SPECS[name]
    assert "\\u" not in text  # '×' as written, not '\\u00d7'
    lines = text.splitlines()
    assert '  "input_shape": ' + json.dumps(EXAMPLE_SPECS[name]["input_shape"]) + "," in lines
    # each layer without layers of its own stands on one line
    plain = [layer for layer in EXAMPLE_SPECS[name]["layers"] if not {"layers", "branches", "shortcut"} & set(layer)]
    assert all(any(line.strip().rstrip(",") == json.dumps(layer, ensure_ascii=False) for line in lines)
               for layer in plain)


def test_spec_json_opens_blocks_and_keeps_an_empty_shortcut_inline():
    data = spec_with({"type": "residual", "layers": [{"type": "relu"}], "shortcut": []},
                     {"type": "concat", "branches": [[{"type": "relu"}], [{"type": "tanh"}]]})
    text = spec_json(data)
    assert json.loads(text) == data
    assert text.splitlines()[4:15] == [
        "    {",
        '      "type": "residual",',
        '      "layers": [',
        '        {"type": "relu"}',
        "      ],",
        '      "shortcut": []',
        "    },",
        "    {",
        '      "type": "concat",',
        '      "branches": [',
        "        [",
    ]
