"""The served model: trained once from the iris data scikit-learn ships, saved on the data disk, reloaded."""

from __future__ import annotations

import json

import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from provisioner.serving import modelserver


def test_first_start_trains_the_model_and_saves_it_with_a_version_file(tmp_path):
    modelserver.load_or_train(tmp_path)
    meta = json.loads((tmp_path / modelserver.META_FILE).read_text())
    assert (tmp_path / modelserver.MODEL_FILE).stat().st_size > 0
    assert meta["model_version"] == modelserver.MODEL_VERSION
    assert meta["file"] == modelserver.MODEL_FILE
    assert not list(tmp_path.glob("*.tmp"))


def test_a_saved_model_is_loaded_without_training_again(tmp_path, monkeypatch):
    modelserver.load_or_train(tmp_path)
    saved = (tmp_path / modelserver.MODEL_FILE).stat().st_mtime_ns

    def no_training(*args, **kwargs):
        raise AssertionError("trained again although a model was saved")

    monkeypatch.setattr(LogisticRegression, "fit", no_training)
    estimator = modelserver.load_or_train(tmp_path)
    assert isinstance(estimator, LogisticRegression)
    assert (tmp_path / modelserver.MODEL_FILE).stat().st_mtime_ns == saved


def test_a_model_saved_by_another_version_is_retrained(tmp_path):
    modelserver.load_or_train(tmp_path)
    meta_path = tmp_path / modelserver.META_FILE
    meta_path.write_text(json.dumps(dict(json.loads(meta_path.read_text()), model_version="0")))
    modelserver.load_or_train(tmp_path)
    assert json.loads(meta_path.read_text())["model_version"] == modelserver.MODEL_VERSION


def test_a_torn_model_file_is_retrained_instead_of_failing(tmp_path):
    modelserver.load_or_train(tmp_path)
    (tmp_path / modelserver.MODEL_FILE).write_bytes(b"\x80\x04truncated")
    estimator = modelserver.load_or_train(tmp_path)
    assert modelserver.run_model(estimator, [[5.1, 3.5, 1.4, 0.2]])["predict"] == [0]


def test_the_model_is_really_trained_on_iris(trained_dir):
    iris = load_iris()
    predictions = modelserver.predict(trained_dir, iris.data.tolist())
    accuracy = sum(int(p == t) for p, t in zip(predictions, iris.target, strict=False)) / len(predictions)
    assert accuracy > 0.95


def test_a_model_that_fails_to_load_leaves_the_server_not_ready(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the model directory should be")
    model = modelserver.Model(blocker)
    model.load()
    assert not model.ready
    assert model.error and "Error" in model.error


@pytest.mark.parametrize("rows", [[], [[6.3, 2.8, 5.1, 1.5]]])
def test_predict_helper_takes_lists_of_rows(trained_dir, rows):
    assert len(modelserver.predict(trained_dir, rows)) == len(rows)
