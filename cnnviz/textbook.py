"""The course documents' tables and claims as data, checked against what cnnviz computes.

Each claim is encoded with its source (document file + section) exactly as the document writes
it; :func:`check` recomputes every quantity with :mod:`cnnviz.analysis` and returns one
:class:`ClaimCheck` per quantity: claimed, computed, whether they match, and for a mismatch the
likely mistake. Mistakes are not written down per row: they are found by testing hypotheses
(recompute the layer's parameters without input channels, without biases, with a single bias
...) and naming the one that reproduces the document's number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from cnnviz import analysis, spec
from cnnviz.zoo import get_architecture, list_architectures

APPROXIMATE_TOLERANCE = 0.05  # "~60 thousand", "26M": within 5% of the computed value
EXACT = "exact"
APPROXIMATE = f"within {APPROXIMATE_TOLERANCE:.0%}"


@dataclass(frozen=True)
class Document:
    key: str  # "003"
    file: str  # the seed file the claims come from
    title: str
    alias: str  # a short name for the command line: "ufv"


DOCUMENTS = {
    doc.key: doc
    for doc in (
        Document("000", "000_41ef96150185e459.txt", "CS-E4890 Deep Learning, CNN Q/A session",
                 "cs-e4890"),
        Document("001", "001_47ba77d50df34c34.txt",
                 "Notes after Andrew Ng's course: classic networks", "ng"),
        Document("002", "002_6eedb0e2fc7cd880.txt", "CS540 Deep Learning II: CNNs", "cs540"),
        Document("003", "003_be7bbff2212e1224.txt", "UFV Deep Learning L11: CNNs part II", "ufv"),
        Document("004", "004_112e37f30203e01e.txt", "DSCI 565 Modern CNNs (d2l.ai)", "dsci565"),
    )
}


@dataclass(frozen=True)
class ClaimCheck:
    """One claimed quantity and what cnnviz computes for it."""

    source: str  # "003_be7bbff2212e1224.txt § LeNet-5 Analysis"
    architecture: str  # zoo id (or the name of a small net built for the claim)
    item: str  # the row or thing the claim is about, as the document names it
    quantity: str  # "activation shape", "activation size", "# parameters", ...
    claimed: Any
    computed: Any
    matches: bool
    explanation: str  # for a mismatch, the likely mistake; for an approximate match, how close
    as_written: str = ""  # the claim in the document's words, when it is not just the number
    tolerance: str = EXACT
    document: str = ""  # the document's key, "003"

    def to_dict(self) -> dict:
        data = asdict(self)
        for key in ("claimed", "computed"):
            if isinstance(data[key], tuple):
                data[key] = list(data[key])
        return data


# --- the claims, as data ---------------------------------------------------------------------

@dataclass(frozen=True)
class TableRow:
    """A row of a hand-made layer table: shape in the textbook's (H, W, C) order, (n, 1) for a
    vector; ``layer`` is the module of the zoo net the row describes (None: the input)."""

    item: str
    layer: str | None
    shape: tuple[int, ...]
    size: int
    params: int


@dataclass(frozen=True)
class LayerTable:
    document: str
    section: str
    architecture: str
    rows: tuple[TableRow, ...]


LAYER_TABLES = (
    LayerTable("003", "LeNet-5 Analysis", "lenet5", (
        TableRow("Input", None, (32, 32, 1), 1024, 0),
        TableRow("CONV1(f=5, s=1)", "conv1", (28, 28, 6), 4704, 156),
        TableRow("AVG POOL1", "pool1", (14, 14, 6), 1176, 0),
        TableRow("CONV2(f=5, s=1)", "conv2", (10, 10, 16), 1600, 416),
        TableRow("AVG POOL2", "pool2", (5, 5, 16), 400, 0),
        TableRow("FC3", "fc1", (120, 1), 120, 48000),
        TableRow("FC4", "fc2", (84, 1), 84, 10080),
        TableRow("Softmax", "fc3", (10, 1), 10, 840),
    )),
    LayerTable("001", "Neural network example", "ng-example", (
        TableRow("Input", None, (32, 32, 3), 3072, 0),
        TableRow("CONV1 (f=5, s=1)", "conv1", (28, 28, 8), 6272, 208),
        TableRow("POOL1", "pool1", (14, 14, 8), 1568, 0),
        TableRow("CONV2 (f=5, s=1)", "conv2", (10, 10, 16), 1600, 416),
        TableRow("POOL2", "pool2", (5, 5, 16), 400, 0),
        TableRow("FC3", "fc1", (120, 1), 120, 48001),
        TableRow("FC4", "fc2", (84, 1), 84, 10081),
        TableRow("Softmax", "fc3", (10, 1), 10, 841),
    )),
)


@dataclass(frozen=True)
class PrintedSummary:
    """A printed d2l ``layer_summary``: (layer class, output shape with the batch) per line,
    for the net's top-level layers."""

    document: str
    section: str
    architecture: str
    lines: tuple[tuple[str, tuple[int, ...]], ...]


def _lines(text: str) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Parse the summary as printed: 'Conv2d output shape: torch.Size([1, 96, 54, 54])'."""
    parsed = []
    for line in text.strip().splitlines():
        kind, _, size = line.partition(" output shape:")
        dims = size.strip().removeprefix("torch.Size([").removesuffix("])")
        parsed.append((kind.strip(), tuple(int(d) for d in dims.split(","))))
    return tuple(parsed)


PRINTED_SUMMARIES = (
    PrintedSummary("004", "AlexNet: AlexNet().layer_summary((1, 1, 224, 224))", "alexnet-d2l", _lines("""
Conv2d output shape:      torch.Size([1, 96, 54, 54])
ReLU output shape:        torch.Size([1, 96, 54, 54])
MaxPool2d output shape:   torch.Size([1, 96, 26, 26])
Conv2d output shape:      torch.Size([1, 256, 26, 26])
ReLU output shape:        torch.Size([1, 256, 26, 26])
MaxPool2d output shape:   torch.Size([1, 256, 12, 12])
Conv2d output shape:      torch.Size([1, 384, 12, 12])
ReLU output shape:        torch.Size([1, 384, 12, 12])
Conv2d output shape:      torch.Size([1, 384, 12, 12])
ReLU output shape:        torch.Size([1, 384, 12, 12])
Conv2d output shape:      torch.Size([1, 256, 12, 12])
ReLU output shape:        torch.Size([1, 256, 12, 12])
MaxPool2d output shape:   torch.Size([1, 256, 5, 5])
Flatten output shape:     torch.Size([1, 6400])
Linear output shape:      torch.Size([1, 4096])
ReLU output shape:        torch.Size([1, 4096])
Dropout output shape:     torch.Size([1, 4096])
Linear output shape:      torch.Size([1, 4096])
ReLU output shape:        torch.Size([1, 4096])
Dropout output shape:     torch.Size([1, 4096])
Linear output shape:      torch.Size([1, 10])
""")),
    PrintedSummary("004", "VGG-11: VGG(arch=((1, 64), (1, 128), (2, 256), (2, 512), (2, 512)))"
                   ".layer_summary((1, 1, 224, 224))", "vgg11-d2l", _lines("""
Sequential output shape: torch.Size([1, 64, 112, 112])
Sequential output shape: torch.Size([1, 128, 56, 56])
Sequential output shape: torch.Size([1, 256, 28, 28])
Sequential output shape: torch.Size([1, 512, 14, 14])
Sequential output shape: torch.Size([1, 512, 7, 7])
Flatten output shape: torch.Size([1, 25088])
Linear output shape: torch.Size([1, 4096])
ReLU output shape: torch.Size([1, 4096])
Dropout output shape: torch.Size([1, 4096])
Linear output shape: torch.Size([1, 4096])
ReLU output shape: torch.Size([1, 4096])
Dropout output shape: torch.Size([1, 4096])
Linear output shape: torch.Size([1, 10])
""")),
)


@dataclass(frozen=True)
class NumberClaim:
    """A single number a document states about a net: ``value`` is what the words say
    (60_000 for "~60 thousand"); ``measure`` computes the truth from the net's analysis."""

    document: str
    section: str
    architecture: str
    item: str
    quantity: str
    as_written: str
    value: float
    measure: str  # a key of MEASURES
    layer: str | None = None
    approximate: bool = False


# The notes (001) point at Ng's lecture figure for the cost of a 5×5 conv with and without a 1×1
# bottleneck and keep only "reduce 10 times" in words: the figure's 120M and 12.4M are checked too,
# under a section that says they are the figure's, not quotes of the notes' text.
INCEPTION_FIGURE = ("5. Inception network: computational cost — the lecture figure the notes refer to "
                    "(Ng's numbers; not in the notes' text)")

# Six small nets the claims about 1×1 convolutions and 3×3 stacks are about, as custom specs.
CLAIM_NETS: dict[str, dict] = {
    "ng-5x5-direct": {"input_shape": [192, 28, 28], "layers": [
        {"type": "conv", "filters": 32, "kernel": 5, "padding": 2}]},
    "ng-5x5-bottleneck": {"input_shape": [192, 28, 28], "layers": [
        {"type": "conv", "filters": 16, "kernel": 1},
        {"type": "conv", "filters": 32, "kernel": 5, "padding": 2}]},
    "vgg-one-5x5": {"input_shape": [64, 32, 32], "layers": [
        {"type": "conv", "filters": 64, "kernel": 5, "padding": 2, "bias": False}]},
    "vgg-three-3x3": {"input_shape": [64, 32, 32], "layers": [
        {"type": "conv", "filters": 64, "kernel": 3, "padding": 1, "bias": False}] * 3},
}

NUMBER_CLAIMS = (
    NumberClaim("001", "1. LeNet 5", "lenet5", "LeNet-5", "# parameters",
                "Number of parameters: ~ 60 thousands", 60e3, "total_params", approximate=True),
    NumberClaim("003", "LeNet-5 Analysis", "lenet5", "LeNet-5", "# parameters",
                "~60K Parameters", 60e3, "total_params", approximate=True),
    NumberClaim("002", "LeNet in PyTorch", "lenet5-padded", "flattened pool2 output",
                "activation size", "16*5*5 (= 400) features", 400, "activation_size",
                layer="flatten"),
    NumberClaim("001", "2. AlexNet (8 layer architecture)", "alexnet", "AlexNet", "weight layers",
                "8 layer architecture", 8, "weight_layers"),
    NumberClaim("001", "2. AlexNet (8 layer architecture)", "alexnet", "AlexNet", "# parameters",
                "Number of parameters: ~ 60 millions", 60e6, "total_params", approximate=True),
    NumberClaim("004", "AlexNet Architecture (slide 5)", "alexnet-d2l", "AlexNet", "conv layers",
                "AlexNet has 8 CNN layers and 3 fully connected layers", 8, "conv_layers"),
    NumberClaim("004", "AlexNet Architecture (slide 5)", "alexnet-d2l", "AlexNet", "FC layers",
                "AlexNet has 8 CNN layers and 3 fully connected layers", 3, "linear_layers"),
    NumberClaim("004", "AlexNet (slide 7)", "alexnet-d2l", "fc6 (first FC layer)", "# parameters",
                "6400×4096+4096", 6400 * 4096 + 4096, "params", layer="fc6"),
    NumberClaim("004", "AlexNet (slide 7)", "alexnet-d2l", "fc6 (first FC layer)", "# parameters",
                "6400×4096+4096 = 26M", 26e6, "params", layer="fc6", approximate=True),
    NumberClaim("004", "AlexNet (slide 7)", "alexnet-d2l", "fc7 (second FC layer)", "# parameters",
                "4096×4096+4096", 4096 * 4096 + 4096, "params", layer="fc7"),
    NumberClaim("004", "AlexNet (slide 7)", "alexnet-d2l", "fc7 (second FC layer)", "# parameters",
                "4096×4096+4096 = 16M", 16e6, "params", layer="fc7", approximate=True),
    NumberClaim("001", "3. Classic Network: VGG-16", "vgg16", "VGG-16", "weight layers",
                "16 trainable layers (i.e. layers that have weights)", 16, "weight_layers"),
    NumberClaim("001", "3. Classic Network: VGG-16", "vgg16", "VGG-16", "# parameters",
                "Number of parameters: ~ 138 millions", 138e6, "total_params", approximate=True),
    NumberClaim("004", "Network using Blocks: VGG (slide 9)", "vgg-one-5x5", "one 5×5 conv, c = 64",
                "# parameters (no bias)", "25 * c^2", 25 * 64**2, "total_params"),
    NumberClaim("004", "Network using Blocks: VGG (slide 9)", "vgg-three-3x3",
                "three 3×3 convs, c = 64", "# parameters (no bias)", "3 * 9 * c^2", 3 * 9 * 64**2,
                "total_params"),
    NumberClaim("004", "VGG-11 (slide 12)", "vgg11-d2l", "VGG-11", "conv layers",
                "VGG-11 has 8 conv layers and 3 fully connected layers", 8, "conv_layers"),
    NumberClaim("004", "VGG-11 (slide 12)", "vgg11-d2l", "VGG-11", "FC layers",
                "VGG-11 has 8 conv layers and 3 fully connected layers", 3, "linear_layers"),
    NumberClaim("004", "VGG-11 (slide 12)", "vgg11-d2l", "fc1 (first FC layer)", "# parameters",
                "25088×4096", 25088 * 4096, "params", layer="fc1"),
    NumberClaim("004", "VGG-11 (slide 12)", "vgg11-d2l", "fc1 (first FC layer)", "# parameters",
                "25088×4096 = 103M", 103e6, "params", layer="fc1", approximate=True),
    NumberClaim("004", "Network in Network (NiN) (slide 14)", "vgg11-d2l",
                "fc1 weight matrix in single precision", "memory (bytes)",
                "VGG-11 has 103M matrix, which takes ~412MB to store in single precision float",
                412e6, "float32_weight_bytes", layer="fc1", approximate=True),
    NumberClaim("004", "GoogLeNet Model (slide 23)", "googlenet-d2l", "b3 (body module 3)",
                "output channels", "outputs 480 = 128 + 192 + 96 + 64 features", 480,
                "channels", layer="b3"),
    NumberClaim("004", "GoogLeNet Model (slide 23)", "googlenet-d2l", "b4 (body module 4)",
                "output channels", "outputs 832 = 256 + 320 + 128 + 128 features", 832,
                "channels", layer="b4"),
    NumberClaim("004", "GoogLeNet Model (slide 24)", "googlenet-d2l", "b5 (body module 5)",
                "output features", "outputs flattened 1024=384+384+128+128", 1024,
                "activation_size", layer="b5"),
    NumberClaim("001", INCEPTION_FIGURE,
                "ng-5x5-direct", "28×28×192 → 5×5 conv, 32 filters (same)", "multiplications",
                "120M", 120e6, "total_macs", approximate=True),
    NumberClaim("001", INCEPTION_FIGURE,
                "ng-5x5-bottleneck", "28×28×192 → 1×1 conv, 16 → 5×5 conv, 32", "multiplications",
                "12.4M", 12.4e6, "total_macs", approximate=True),
    NumberClaim("001", "5. Inception network: computational cost", "ng-5x5-direct",
                "5×5 conv with vs without a 1×1 bottleneck of 16", "multiplication ratio",
                "Number of multiplications reduce 10 times", 10, "bottleneck_saving",
                approximate=True),
)


# --- measuring ---------------------------------------------------------------------------------

@cache
def _analysis(arch_id: str) -> analysis.Analysis:
    if arch_id in CLAIM_NETS:
        net = spec.parse_spec({"name": arch_id, **CLAIM_NETS[arch_id]})
        return analysis.analyze_model(lambda: spec.build_model(net), net.input_shape,
                                      model_id=arch_id)
    return analysis.analyze_architecture(arch_id)


def _row(result: analysis.Analysis, name: str):
    for row in result.rows:
        if row.name == name:
            return row
    raise LookupError(f"{result.model_id} has no layer {name!r}")  # a bug in the claim data


def _top_level_rows(result: analysis.Analysis) -> list:
    """The net's own layers (d2l's layer_summary prints these), in call order."""
    return [row for row in result.rows if row.name and "." not in row.name]


def _leaf_count(result: analysis.Analysis, kind: str) -> int:
    return len({row.name for row in result.rows if row.type == kind})


MEASURES: dict[str, Callable[[analysis.Analysis, str | None], float]] = {
    "total_params": lambda a, _: a.total_params,
    "total_macs": lambda a, _: a.total_macs,
    "params": lambda a, layer: _row(a, layer).params,
    "activation_size": lambda a, layer: _row(a, layer).activation_size,
    "channels": lambda a, layer: _row(a, layer).output_shape[0],
    "float32_weight_bytes": lambda a, layer: 4 * _row(a, layer).weights,
    "conv_layers": lambda a, _: _leaf_count(a, "Conv2d"),
    "linear_layers": lambda a, _: _leaf_count(a, "Linear"),
    "weight_layers": lambda a, _: a.weight_layers,
    "bottleneck_saving": lambda a, _: round(
        a.total_macs / _analysis("ng-5x5-bottleneck").total_macs, 2),
}


# --- explaining mismatches by testing hypotheses ---------------------------------------------

def _kernel_text(area: int) -> str:
    side = math.isqrt(area)
    return f"{side}·{side}" if side * side == area else str(area)


def parameter_hypotheses(row) -> tuple[str, list[tuple[str, int, str]]]:
    """The hand formula of a conv or FC layer's parameters, and the slips a student makes with
    it: (what went wrong, the number it gives, the formula as written). Derived from the layer's
    own shapes, so they apply to any layer."""
    weights, biases = row.weights, row.biases
    if row.type == "Linear":
        n_in, n_out = row.input_shape[-1], row.output_shape[-1]
        if not biases:
            return f"{n_in}·{n_out}", [("biases added that the layer does not have",
                                         weights + n_out, f"({n_in}+1)·{n_out}")]
        return f"({n_in}+1)·{n_out}", [
            ("biases forgotten", weights, f"{n_in}·{n_out}"),
            ("one bias for the whole layer instead of one per unit", weights + 1,
             f"{n_in}·{n_out}+1"),
            ("inputs and outputs swapped", (n_out + 1) * n_in, f"({n_out}+1)·{n_in}"),
        ]
    if row.type == "Conv2d":
        c_in, n = row.input_shape[0], row.output_shape[0]
        area = weights // (c_in * n)
        k = _kernel_text(area)
        if not biases:
            return f"{k}·{c_in}·{n}", [("biases added that the layer does not have",
                                         weights + n, f"({k}·{c_in}+1)·{n}")]
        return f"({k}·{c_in}+1)·{n}", [
            ("input channels forgotten", (area + 1) * n, f"({k}+1)·{n}"),
            ("biases forgotten", weights, f"{k}·{c_in}·{n}"),
            ("one bias for the whole layer instead of one per filter", weights + 1,
             f"{k}·{c_in}·{n}+1"),
            ("input channels and biases forgotten", area * n, f"{k}·{n}"),
            ("only one filter counted", area * c_in + 1, f"{k}·{c_in}+1"),
        ]
    return "", []


def explain_parameters(row, claimed: int) -> str:
    """The hypothesis that reproduces ``claimed``, in words, or what is left unexplained."""
    correct, hypotheses = parameter_hypotheses(row)
    for slip, value, formula in hypotheses:
        if value == claimed and value != row.params:
            return f"{slip}: {formula} = {value:,} instead of {correct} = {row.params:,}"
    if row.params == 0:
        return f"{row.type} has no learnable parameters"
    return f"no simple slip explains it: off by {claimed - row.params:+,}"


def explain_size(claimed_shape: tuple, claimed_size: int, computed_shape: tuple, computed: int) -> str:
    if math.prod(claimed_shape) == claimed_size and claimed_shape != computed_shape:
        return "follows from the wrong activation shape"
    if len(computed_shape) == 3 and claimed_size == math.prod(computed_shape[:2]):
        return "channels forgotten: height × width only"
    if claimed_size != math.prod(claimed_shape):
        return f"the table's own shape gives {math.prod(claimed_shape):,}: an arithmetic slip"
    return f"off by {claimed_size - computed:+,}"


def _explain_number(claim: NumberClaim, computed: float, result: analysis.Analysis) -> str:
    if claim.measure == "params" and claim.layer:
        return explain_parameters(_row(result, claim.layer), int(claim.value))
    if claim.measure == "conv_layers":
        weight_layers = MEASURES["weight_layers"](result, None)
        if claim.value == weight_layers:
            return (f"{int(claim.value)} is the count of all weight layers "
                    f"({computed} conv + {weight_layers - computed} FC), not of conv layers")
    return f"off by {_relative(claim.value, computed):+.1%}"


def _relative(claimed: float, computed: float) -> float:
    return (claimed - computed) / computed if computed else math.inf


def _approximately(claimed: float, computed: float) -> bool:
    return abs(_relative(claimed, computed)) <= APPROXIMATE_TOLERANCE


# --- the check ---------------------------------------------------------------------------------

def _source(document: str, section: str) -> str:
    return f"{DOCUMENTS[document].file} § {section}"


def _textbook_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """PyTorch's (C, H, W) in the textbook's (H, W, C) order; a vector (n,) as (n, 1)."""
    return (*shape[1:], shape[0]) if len(shape) == 3 else (shape[0], 1)


def _check_table(table: LayerTable) -> Iterable[ClaimCheck]:
    result = _analysis(table.architecture)
    source = _source(table.document, table.section)

    def claim(item, quantity, claimed, computed, explanation):
        matches = claimed == computed
        return ClaimCheck(source, table.architecture, item, quantity, claimed, computed, matches,
                          "" if matches else explanation, document=table.document)

    for row in table.rows:
        if row.layer is None:
            shape, size, params = tuple(result.input_shape), math.prod(result.input_shape), 0
            layer = None
        else:
            layer = _row(result, row.layer)
            shape, size, params = layer.output_shape, layer.activation_size, layer.params
        computed_shape = _textbook_shape(tuple(shape))
        yield claim(row.item, "activation shape", row.shape, computed_shape,
                    "the layer's output is a different shape")
        yield claim(row.item, "activation size", row.size, size,
                    explain_size(row.shape, row.size, computed_shape, size))
        yield claim(row.item, "# parameters", row.params, params,
                    explain_parameters(layer, row.params) if layer else "the input has no parameters")


def _check_summary(summary: PrintedSummary) -> Iterable[ClaimCheck]:
    result = _analysis(summary.architecture)
    rows = _top_level_rows(result)
    source = _source(summary.document, summary.section)
    for i, (kind, shape) in enumerate(summary.lines):
        row = rows[i] if i < len(rows) else None
        computed = (row.type, (1, *row.output_shape)) if row else None
        matches = computed == (kind, shape)
        explanation = "" if matches else (
            "the net has fewer layers" if row is None
            else f"the net's layer {row.name} is a {row.type} with output {list(computed[1])}")
        yield ClaimCheck(source, summary.architecture, f"line {i + 1}: {kind}", "output shape",
                         (kind, shape), computed, matches, explanation,
                         as_written=f"{kind} output shape: torch.Size({list(shape)})",
                         document=summary.document)


def _check_number(claim: NumberClaim) -> ClaimCheck:
    result = _analysis(claim.architecture)
    computed = MEASURES[claim.measure](result, claim.layer)
    claimed = claim.value if isinstance(claim.value, float) and not claim.value.is_integer() \
        else int(claim.value)
    if claim.approximate:
        matches = _approximately(claimed, computed)
        explanation = (f"approximately right: the claim is {_relative(claimed, computed):+.1%} "
                       f"off the exact {computed:,}"
                       if matches else _explain_number(claim, computed, result))
    else:
        matches = claimed == computed
        explanation = "" if matches else _explain_number(claim, computed, result)
    return ClaimCheck(_source(claim.document, claim.section), claim.architecture, claim.item,
                      claim.quantity, claimed, computed, matches, explanation,
                      as_written=claim.as_written,
                      tolerance=APPROXIMATE if claim.approximate else EXACT,
                      document=claim.document)


class UnknownSource(ValueError):
    """A SOURCE that is neither a document nor an architecture the check covers."""


def _all_checks() -> list[ClaimCheck]:
    checks: list[ClaimCheck] = []
    for table in LAYER_TABLES:
        checks.extend(_check_table(table))
    for summary in PRINTED_SUMMARIES:
        checks.extend(_check_summary(summary))
    checks.extend(_check_number(claim) for claim in NUMBER_CLAIMS)
    return checks


def _claim_sources() -> list[tuple[str, str]]:
    """(document key, architecture) of every claim, without analysing anything."""
    return ([(t.document, t.architecture) for t in LAYER_TABLES]
            + [(s.document, s.architecture) for s in PRINTED_SUMMARIES]
            + [(c.document, c.architecture) for c in NUMBER_CLAIMS])


def architectures_with_claims() -> list[str]:
    """The zoo networks that the documents make claims about, in the zoo's order (the small nets
    of a single claim, such as Ng's 5×5 bottleneck, are not in the zoo)."""
    claimed = {arch for _, arch in _claim_sources()}
    return [arch.id for arch in list_architectures() if arch.id in claimed]


def documents_with_claims() -> list[str]:
    """The documents that ``check`` has something to say about, as "003 (ufv)"."""
    keys = sorted({document for document, _ in _claim_sources()})
    return [f"{key} ({DOCUMENTS[key].alias})" for key in keys]


def _document_key(source: str) -> str | None:
    wanted = source.lower()
    for doc in DOCUMENTS.values():
        if wanted in (doc.key, doc.alias, doc.file.lower(), doc.file.lower().removesuffix(".txt")):
            return doc.key
    return None


def check(source: str | None = None) -> list[ClaimCheck]:
    """Check every claim, or those of one ``source``: a document (its key "003", alias "ufv" or
    file name) or an architecture id ("lenet5"). An unknown source raises UnknownSource."""
    if source is None:
        return _all_checks()
    document = _document_key(source)
    architectures = sorted({arch for _, arch in _claim_sources()})
    if document is None and source not in architectures:
        docs = ", ".join(f"{d.key} ({d.alias})" for d in DOCUMENTS.values())
        hint = ""
        try:
            get_architecture(source)
            hint = f" ({source} is in the zoo, but no document makes a claim about it)"
        except KeyError:
            pass
        zoo = architectures_with_claims()
        small = [arch for arch in architectures if arch not in zoo]
        raise UnknownSource(f"unknown source {source!r}{hint}: give a document — {docs} — or one "
                            f"of the architectures checked: {', '.join(zoo)}; or one of the documents' "
                            f"small example nets, which are not in the zoo: {', '.join(small)}")
    return [c for c in _all_checks()
            if (c.document == document if document else c.architecture == source)]
