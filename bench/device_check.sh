#!/usr/bin/env bash
# The checks that need a CUDA GPU, in one go, for a lent GPU machine (torch, no streamlit or
# torchinfo; see README "Using a GPU"): the GPU's name, the engine's GPU tests, then the GPU
# training benchmark (bench/results/training_gpu.json). Logs and results are also copied to $OUT
# when it is set (the device tool brings that folder back). Exit status: non-zero if either failed.
set -uo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
out="${OUT:-}"
log() { if [ -n "$out" ]; then tee "$out/$1"; else cat; fi; }
export PYTHONUNBUFFERED=1 CNNVIZ_HOME="${CNNVIZ_HOME:-$(mktemp -d)}"

"$python" -c "import torch; print('torch', torch.__version__, '| CUDA', torch.version.cuda, '|',
  torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no CUDA GPU')" 2>&1 | log gpu.txt
# No ini file: the GPU machine's pytest may predate the warning classes pyproject.toml names.
"$python" -m pytest -c /dev/null --rootdir . -p no:cacheprovider -q tests/test_training_gpu.py 2>&1 | log gpu-tests.log
tests=$?
"$python" -m bench training_gpu 2>&1 | log gpu-bench.log
bench=$?
if [ -n "$out" ] && [ -f bench/results/training_gpu.json ]; then cp bench/results/training_gpu.json "$out/"; fi
exit $(( tests != 0 || bench != 0 ))
