"""A run's checkpoint holds all it takes to use the trained network elsewhere, and nothing is unpickled."""

import pickle

import pytest
import torch
from safetensors.torch import save_file

from cnnviz.checkpoint import CheckpointError, load_checkpoint
from cnnviz.data import load_dataset
from cnnviz.runs import RunStore
from cnnviz.training import TrainConfig
from cnnviz.worker import execute


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """lenet5 trained for 2 epochs on digits, in float32 (as the loaded network computes)."""
    store = RunStore(tmp_path_factory.mktemp("store") / "runs.db")
    run_id = store.create_run(TrainConfig(arch="lenet5", epochs=2, precision="float32"))
    assert execute(store, run_id) == "completed"
    return store.get_run(run_id)


def test_a_loaded_checkpoint_predicts_what_the_run_measured(trained_run):
    """The run's own test accuracy, recomputed from the file alone: the weights, the architecture,
    the input shape and the normalisation all come from the checkpoint."""
    trained = load_checkpoint(trained_run.final["checkpoint"])
    assert (trained.arch, trained.input_shape, trained.classes) == ("lenet5", (1, 32, 32), [str(d) for d in range(10)])
    assert not trained.model.training
    data = load_dataset("digits")
    adapted = torch.nn.functional.interpolate(data.train_x, size=(32, 32), mode="bilinear", align_corners=False)
    assert trained.mean == pytest.approx(adapted.mean().item(), rel=1e-6)
    assert trained.std == pytest.approx(adapted.std().item(), rel=1e-6)
    predicted = trained.predict(data.test_x)  # the 8×8 digits, resized by predict
    assert predicted.shape == (360,)
    assert (predicted == data.test_y).float().mean().item() == trained_run.final["test_accuracy"]
    wrong = {item["index"]: item["predicted"] for item in trained_run.results["misclassified"]}
    assert {i: int(predicted[i]) for i in wrong} == wrong


def test_files_that_are_not_cnnviz_checkpoints_are_refused_with_a_reason(tmp_path, trained_run):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing.safetensors")
    pickled = tmp_path / "model.pt"
    pickled.write_bytes(pickle.dumps({"weight": [1.0]}))
    with pytest.raises(CheckpointError, match="is not a safetensors file"):
        load_checkpoint(pickled)
    plain = tmp_path / "plain.safetensors"  # weights alone, as a checkpoint of an older cnnviz
    save_file({"weight": torch.zeros(2)}, str(plain))
    with pytest.raises(CheckpointError, match="is not a checkpoint of a cnnviz run"):
        load_checkpoint(plain)
    from safetensors import safe_open

    with safe_open(trained_run.final["checkpoint"], framework="pt") as handle:
        metadata = handle.metadata()
        weights = {key: handle.get_tensor(key) for key in handle.keys()}
    unknown = tmp_path / "unknown.safetensors"
    save_file(weights, str(unknown), metadata={**metadata, "arch": "lenet6"})
    with pytest.raises(CheckpointError, match="unknown architecture 'lenet6'"):
        load_checkpoint(unknown)
    other = tmp_path / "other.safetensors"
    save_file(weights, str(other), metadata={**metadata, "arch": "ng-example"})
    with pytest.raises(CheckpointError, match="its weights do not fit ng-example as cnnviz builds it"):
        load_checkpoint(other)
