"""Analysis speed: every zoo entry on the meta device, and VGG-16 against torchinfo.summary.

Targets (issue 3): the whole zoo in under 1 s on a 2-core machine; VGG-16 at least 20× faster
than torchinfo on the same model built with real weights. Also the Diagram tab's figure of the
deepest zoo net and of a 300-layer custom chain (plotly figures grow one shape at a time in
quadratic time; the figure is built in one step), and the diagnosis of networks that do not
fit (see :func:`_diagnosis`). Peak memory is measured in a fresh
subprocess per tool (its VmHWM), so one measurement cannot inherit the other's allocations. Not
ru_maxrss: Linux carries it over fork and exec, so a child of this (large) process reports the
parent's peak and a growth of 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.common import time_median

PEAK_MEMORY_SCRIPT = r"""
import re, sys, torch, torchinfo
from cnnviz.analysis import analyze_model
from cnnviz.zoo import get_architecture
arch = get_architecture(sys.argv[2])
def peak_bytes():
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024
def analyse(arch):
    if sys.argv[1] == "cnnviz":
        analyze_model(arch.build, arch.input_shape)
    else:
        torchinfo.summary(arch.build(), input_size=(1, *arch.input_shape), verbose=0)
analyse(get_architecture("lenet5"))  # the tool's lazy imports and first-call set-up are not the model's
before = peak_bytes()
analyse(arch)
print(peak_bytes() - before)
"""


def _peak_memory(tool: str, arch_id: str) -> int:
    """Growth of the peak resident memory (bytes) of a fresh process while ``tool`` analyses."""
    root = Path(__file__).resolve().parents[1]
    output = subprocess.run([sys.executable, "-c", PEAK_MEMORY_SCRIPT, tool, arch_id], check=True,
                            capture_output=True, text=True, cwd=root).stdout
    return int(output.strip().splitlines()[-1])


def _diagnosis(architectures) -> dict:
    """A network that does not fit: the analysis searches the nearest square input that does.

    Timed: the zoo at 9×9 (most entries fail there), a 990-layer spec that no square input fits
    (the search's worst case: every size it tries fails), and one probe of that search against a
    full propagate (rows and receptive fields) of the same input, side by side."""
    from cnnviz.analysis import _fits, _on_meta, analyze_model, propagate
    from cnnviz.spec import build_model, parse_spec

    zoo_at_9 = time_median(lambda: [analyze_model(a.build, (a.input_shape[0], 9, 9)) for a in architectures],
                           repeats=3)
    layers = [{"type": "flatten"}, {"type": "linear", "in_features": 7, "out_features": 64}]
    layers += [{"type": "linear", "out_features": 64}, {"type": "relu"}, {"type": "batchnorm"}] * 329
    spec = parse_spec({"name": "no-fit", "input_shape": [4, 8, 8], "layers": layers})
    no_fit = time_median(lambda: analyze_model(lambda: build_model(spec), spec.input_shape), repeats=3)
    resnet56 = _on_meta(next(a for a in architectures if a.id == "resnet56").build).eval()
    probe = time_median(lambda: _fits(resnet56, (3, 32, 32)), repeats=7)
    full = time_median(lambda: propagate(resnet56, (3, 32, 32)), repeats=7)
    return {
        "zoo_at_9x9_s": zoo_at_9,
        "spec_990_layers_no_input_fits_s": no_fit,
        "resnet56_probe_median_s": probe["median_s"],
        "resnet56_full_propagate_median_s": full["median_s"],
        "probe_speedup": full["median_s"] / probe["median_s"],
    }


def run() -> dict:
    import torch
    import torchinfo

    from cnnviz.analysis import analyze_model
    from cnnviz.zoo import get_architecture, list_architectures

    torch.set_num_threads(2)
    per_model = {}
    for arch in list_architectures():
        per_model[arch.id] = time_median(lambda arch=arch: analyze_model(arch.build, arch.input_shape),
                                         repeats=5)["median_s"]
    whole_zoo = time_median(
        lambda: [analyze_model(a.build, a.input_shape) for a in list_architectures()], repeats=5)

    from cnnviz.figures import default_diagram_depth, diagram_figure
    from cnnviz.spec import build_model, parse_spec

    resnet56 = analyze_model(get_architecture("resnet56").build, get_architecture("resnet56").input_shape)
    chain = parse_spec({"name": "chain", "input_shape": [1, 8, 8], "layers": [{"type": "relu"}] * 300})
    chain_analysis = analyze_model(lambda: build_model(chain), chain.input_shape)
    diagrams = {
        "resnet56_median_s": time_median(
            lambda: diagram_figure(resnet56, default_diagram_depth(resnet56)), repeats=5)["median_s"],
        "chain_300_layers_median_s": time_median(lambda: diagram_figure(chain_analysis), repeats=5)["median_s"],
    }

    vgg16 = get_architecture("vgg16")
    result_diagnosis = _diagnosis(list_architectures())
    model = vgg16.build()
    ours = time_median(lambda: analyze_model(vgg16.build, vgg16.input_shape), repeats=5)
    # torchinfo needs real weights. Timed twice: the summary of a model already built, and the
    # whole path a user takes (build with real weights, then summary). cnnviz's time includes
    # building the model on the meta device.
    theirs = time_median(lambda: torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0), repeats=5)
    theirs_with_build = time_median(
        lambda: torchinfo.summary(vgg16.build(), input_size=(1, 3, 224, 224), verbose=0), repeats=3)
    result = {
        "whole_zoo_s": whole_zoo,
        "whole_zoo_target_s": 1.0,
        "per_model_median_s": per_model,
        "diagram_figure": diagrams,
        "diagnosis": result_diagnosis,
        "vgg16": {
            "cnnviz_median_s": ours["median_s"],
            "torchinfo_median_s": theirs["median_s"],
            "speedup": theirs["median_s"] / ours["median_s"],
            "torchinfo_with_build_median_s": theirs_with_build["median_s"],
            "speedup_with_build": theirs_with_build["median_s"] / ours["median_s"],
            "speedup_target": 20,
            "cnnviz_peak_memory_bytes": _peak_memory("cnnviz", "vgg16"),
            "torchinfo_peak_memory_bytes": _peak_memory("torchinfo", "vgg16"),
        },
    }
    return result


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
