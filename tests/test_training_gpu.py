"""The engine on a CUDA GPU: these run only where there is one (the CPU paths are in
test_training.py). On a GPU machine that has no streamlit: ``python -m pytest tests/test_training_gpu.py``."""

import pytest
import torch
from safetensors.torch import load_file

from cnnviz.runs import RunStore
from cnnviz.training import ConfigError, TrainConfig, available_memory, train
from cnnviz.worker import execute
from tests.test_training import ListRecorder

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def test_a_gpu_run_trains_in_bfloat16_and_learns_the_digits():
    recorder = ListRecorder()
    result = train(TrainConfig(arch="lenet5-padded", device="cuda"), recorder)
    assert recorder.info["device"] == torch.cuda.get_device_name(0)
    assert recorder.info["precision"] == ("bfloat16" if torch.cuda.is_bf16_supported() else "float32")
    assert result.test_accuracy >= 0.97  # the CPU default run: 98.9%
    assert sum(sum(row) for row in result.confusion) == 360
    assert all(tensor.device.type == "cpu" for tensor in result.state_dict.values())


def test_a_gpu_run_is_recorded_with_a_checkpoint_that_loads_on_the_cpu():
    store = RunStore()
    run_id = store.create_run(TrainConfig(arch="resnet-small", device="cuda", epochs=2))
    assert execute(store, run_id) == "completed", store.get_run(run_id).error
    record = store.get_run(run_id)
    weights = load_file(record.final["checkpoint"])
    assert weights and all(tensor.device.type == "cpu" for tensor in weights.values())


def test_the_memory_check_counts_the_gpus_memory():
    total = torch.cuda.get_device_properties(0).total_memory
    assert available_memory(torch.device("cuda")) == total
    with pytest.raises(ConfigError, match=r"but the GPU \(.+\) has .* GB in all"):
        TrainConfig(arch="vgg16", device="cuda", batch_size=10**6).validate()
