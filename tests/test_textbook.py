"""The textbook check finds exactly the documents' mistakes, with the right values and reasons."""

import json
import re
import subprocess
import sys

import pytest

from cnnviz import textbook
from cnnviz.zoo import list_architectures
from tests.live_app import ROOT


@pytest.fixture(scope="module")
def checks():
    return textbook.check()


def find(checks, architecture, item, quantity):
    (match,) = [c for c in checks
                if c.architecture == architecture and c.item == item and c.quantity == quantity]
    return match


def wrong(checks, architecture):
    return {(c.item, c.quantity): (c.claimed, c.computed)
            for c in checks if c.architecture == architecture and not c.matches}


def test_lenet5_table_mistakes(checks):
    assert wrong(checks, "lenet5") == {
        ("CONV2(f=5, s=1)", "# parameters"): (416, 2416),
        ("FC3", "# parameters"): (48000, 48120),
        ("FC4", "# parameters"): (10080, 10164),
        ("Softmax", "# parameters"): (840, 850),
    }
    assert find(checks, "lenet5", "CONV2(f=5, s=1)", "# parameters").explanation == (
        "input channels forgotten: (5·5+1)·16 = 416 instead of (5·5·6+1)·16 = 2,416")
    for item in ("FC3", "FC4", "Softmax"):
        assert find(checks, "lenet5", item, "# parameters").explanation.startswith("biases forgotten")
    conv1 = find(checks, "lenet5", "CONV1(f=5, s=1)", "activation shape")
    assert conv1.matches and conv1.computed == (28, 28, 6)
    assert find(checks, "lenet5", "FC3", "activation shape").computed == (120, 1)
    assert find(checks, "lenet5", "AVG POOL1", "activation size").computed == 1176


def test_ng_table_mistakes(checks):
    assert wrong(checks, "ng-example") == {
        ("CONV1 (f=5, s=1)", "# parameters"): (208, 608),
        ("CONV2 (f=5, s=1)", "# parameters"): (416, 3216),
        ("FC3", "# parameters"): (48001, 48120),
        ("FC4", "# parameters"): (10081, 10164),
        ("Softmax", "# parameters"): (841, 850),
    }
    reasons = {item: find(checks, "ng-example", item, "# parameters").explanation
               for item in ("CONV1 (f=5, s=1)", "CONV2 (f=5, s=1)", "FC3", "FC4", "Softmax")}
    assert reasons["CONV1 (f=5, s=1)"] == (
        "input channels forgotten: (5·5+1)·8 = 208 instead of (5·5·3+1)·8 = 608")
    assert reasons["CONV2 (f=5, s=1)"].startswith("input channels forgotten: (5·5+1)·16 = 416")
    assert reasons["Softmax"] == ("one bias for the whole layer instead of one per unit: "
                                  "84·10+1 = 841 instead of (84+1)·10 = 850")
    assert find(checks, "ng-example", "CONV1 (f=5, s=1)", "activation size").computed == 6272


def test_printed_d2l_summaries_are_reproduced(checks):
    for arch, lines in (("alexnet-d2l", 21), ("vgg11-d2l", 13)):
        summary = [c for c in checks if c.architecture == arch and c.quantity == "output shape"]
        assert len(summary) == lines and all(c.matches for c in summary)
    assert find(checks, "alexnet-d2l", "line 14: Flatten", "output shape").computed == (
        "Flatten", (1, 6400))


def test_number_claims(checks):
    def number(arch, item, quantity, as_written):
        (c,) = [c for c in checks if (c.architecture, c.item, c.quantity, c.as_written)
                == (arch, item, quantity, as_written)]
        return c

    lenet = number("lenet5", "LeNet-5", "# parameters", "~60K Parameters")
    assert (lenet.computed, lenet.matches, lenet.tolerance) == (61_706, True, "within 5%")
    assert number("alexnet", "AlexNet", "# parameters",
                  "Number of parameters: ~ 60 millions").computed == 61_100_840
    assert number("vgg16", "VGG-16", "# parameters",
                  "Number of parameters: ~ 138 millions").computed == 138_357_544
    fc6 = number("alexnet-d2l", "fc6 (first FC layer)", "# parameters", "6400×4096+4096")
    assert (fc6.claimed, fc6.computed, fc6.matches) == (26_218_496, 26_218_496, True)
    fc7 = number("alexnet-d2l", "fc7 (second FC layer)", "# parameters", "4096×4096+4096 = 16M")
    assert (fc7.computed, fc7.matches) == (16_781_312, True)
    vgg_fc = number("vgg11-d2l", "fc1 (first FC layer)", "# parameters", "25088×4096")
    assert (vgg_fc.claimed, vgg_fc.computed, vgg_fc.matches) == (102_760_448, 102_764_544, False)
    assert vgg_fc.explanation.startswith("biases forgotten: 25088·4096 = 102,760,448")
    memory = [c for c in checks if c.quantity == "memory (bytes)"][0]
    assert (memory.computed, memory.matches) == (4 * 25088 * 4096, True)
    direct = [c for c in checks if c.architecture == "ng-5x5-direct"
              and c.quantity == "multiplications"][0]
    bottleneck = [c for c in checks if c.architecture == "ng-5x5-bottleneck"][0]
    assert direct.computed == 28 * 28 * 32 * 5 * 5 * 192 == 120_422_400
    assert bottleneck.computed == 28 * 28 * 16 * 192 + 28 * 28 * 32 * 5 * 5 * 16 == 12_443_648
    ratio = [c for c in checks if c.quantity == "multiplication ratio"][0]
    assert (ratio.claimed, ratio.computed, ratio.matches) == (10, 9.68, True)
    alexnet_convs = number("alexnet-d2l", "AlexNet", "conv layers",
                           "AlexNet has 8 CNN layers and 3 fully connected layers")
    assert (alexnet_convs.computed, alexnet_convs.matches) == (5, False)
    assert "all weight layers (5 conv + 3 FC)" in alexnet_convs.explanation


def test_exactly_these_claims_are_wrong(checks):
    wrong_rows = [(c.architecture, c.item) for c in checks if not c.matches]
    assert len(wrong_rows) == 4 + 5 + 1 + 1
    assert all(c.explanation for c in checks if not c.matches)
    assert all(c.source.split(" § ")[0] in {d.file for d in textbook.DOCUMENTS.values()}
               for c in checks)


def test_parameter_hypotheses_explain_other_slips():
    class Row:  # a 3×3 conv 4 → 2 with biases: (3·3·4+1)·2 = 74
        type, input_shape, output_shape = "Conv2d", (4, 8, 8), (2, 8, 8)
        weights, biases, params = 72, 2, 74

    assert textbook.explain_parameters(Row, 72).startswith("biases forgotten: 3·3·4·2 = 72")
    assert textbook.explain_parameters(Row, 18).startswith("input channels and biases forgotten")
    assert textbook.explain_parameters(Row, 37).startswith("only one filter counted: 3·3·4+1")
    assert textbook.explain_parameters(Row, 80) == "no simple slip explains it: off by +6"


def test_filter_by_document_or_architecture(checks):
    ufv = textbook.check("ufv")
    assert ufv == textbook.check("003") == textbook.check("003_be7bbff2212e1224.txt")
    assert {c.document for c in ufv} == {"003"} and len(ufv) == 25
    assert {c.architecture for c in textbook.check("lenet5")} == {"lenet5"}
    assert len(textbook.check("lenet5")) == 26
    with pytest.raises(textbook.UnknownSource, match="resnet20 is in the zoo"):
        textbook.check("resnet20")
    with pytest.raises(textbook.UnknownSource, match="unknown source 'nope'") as error:
        textbook.check("nope")
    # the documents' own small nets, which `summary` does not know, are named apart from the zoo's
    assert str(error.value).endswith(
        "or one of the architectures checked: lenet5, lenet5-padded, ng-example, alexnet, alexnet-d2l, vgg16, "
        "vgg11-d2l, googlenet-d2l; or one of the documents' small example nets, which are not in the zoo: "
        "ng-5x5-bottleneck, ng-5x5-direct, vgg-one-5x5, vgg-three-3x3")
    assert textbook.check("ng-5x5-bottleneck")[0].architecture == "ng-5x5-bottleneck"  # and can be checked


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "cnnviz", "check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_json_and_text():
    result = run_cli("ng", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    conv1 = [r for r in rows if r["item"] == "CONV1 (f=5, s=1)" and r["quantity"] == "# parameters"]
    assert conv1[0]["claimed"] == 208 and conv1[0]["computed"] == 608 and not conv1[0]["matches"]
    assert [r for r in rows if r["quantity"] == "activation shape"][1]["computed"] == [28, 28, 8]
    text = run_cli("lenet5")
    assert text.returncode == 0
    assert "✗ CONV2(f=5, s=1) · # parameters: claimed 416, computed 2,416" in text.stdout
    assert "input channels forgotten" in text.stdout
    assert text.stdout.rstrip().endswith("26 claims checked: 22 correct, 4 wrong.")
    assert run_cli("cs540").stdout.rstrip().endswith("\n1 claim checked: 1 correct, 0 wrong.")
    none = run_cli("cs-e4890")
    assert none.returncode == 0
    assert none.stdout == ("cs-e4890: this document has no tables or claims that cnnviz checks (those that do: "
                           "001 (ng), 002 (cs540), 003 (ufv), 004 (dsci565)).\n")
    assert "match within 5%." in " ".join(run_cli("--help").stdout.split())
    bad = run_cli("nope")
    assert bad.returncode == 2 and bad.stderr.startswith("error: unknown source 'nope'")
    assert "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_architectures_with_claims_are_the_zoo_networks_the_check_has_claims_about():
    with_claims = textbook.architectures_with_claims()
    assert with_claims == ["lenet5", "lenet5-padded", "ng-example", "alexnet", "alexnet-d2l", "vgg16",
                           "vgg11-d2l", "googlenet-d2l"]
    for arch in list_architectures():
        if arch.id in with_claims:
            assert textbook.check(arch.id), arch.id
        else:
            with pytest.raises(textbook.UnknownSource, match="no document makes a claim about it"):
                textbook.check(arch.id)


def test_every_claim_quotes_its_document_or_says_it_does_not():
    """A claim's words are the document's (its LaTeX read as it renders: $6400 \\times 4096$ is
    "6400×4096"); Ng's 120M and 12.4M come from a lecture figure the notes only point at, and their
    section says so — they once stood as quotes of the notes."""
    seeds = ROOT / "tests" / "seeds"

    def plain(text: str) -> str:
        text = text.replace("\\times", "×").replace("\\text{M}", "M").replace("$", "")
        return re.sub(r"\s+", "", text).lower()

    unquoted = []
    for claim in textbook.NUMBER_CLAIMS:
        document = plain((seeds / textbook.DOCUMENTS[claim.document].file).read_text())
        if plain(claim.as_written) not in document:
            unquoted.append((claim.as_written, claim.section))
    assert unquoted == [(written, textbook.INCEPTION_FIGURE) for written in ("120M", "12.4M")]
    assert "not in the notes' text" in textbook.INCEPTION_FIGURE
