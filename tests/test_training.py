"""Training, evaluation, prediction and saved runs, on the current backend."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import brainkit
from brainkit import runtime
from brainkit.training import Prediction, RunError

pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def linear_run(sample, tmp_path_factory):
    result = brainkit.train("linear", sample, epochs=2, seed=0, verbose=0)
    result.save(tmp_path_factory.mktemp("runs") / "linear")
    return result


def test_train_returns_everything(linear_run):
    r = linear_run
    assert r.architecture == "linear" and r.dataset_name == "fashion_mnist_sample"
    assert set(r.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(r.history["loss"]) == 2
    m = r.metrics
    assert m["epochs"] == 2 and m["backend"] == runtime.import_keras().backend.backend()
    assert m["parameters"] == 7850 and m["train_seconds"] > 0
    assert 0.5 < m["test_accuracy"] <= 1.0  # 10 classes: chance is 0.1
    assert r.class_names[0] == "T-shirt/top" and r.recipe["output"] == "logits"
    assert "linear" in repr(r)


def test_same_seed_same_result(sample):
    a = brainkit.train("mlp", sample, epochs=1, seed=3, verbose=0, hyperparameters={"units": 16})
    b = brainkit.train("mlp", sample, epochs=1, seed=3, verbose=0, hyperparameters={"units": 16})
    assert a.history["loss"] == pytest.approx(b.history["loss"], rel=1e-5)


def test_recipe_overrides_are_used(sample):
    r = brainkit.train("mlp", sample, epochs=1, batch_size=250, optimizer="sgd", learning_rate=0.05, verbose=0,
                       hyperparameters={"units": 8})
    assert r.recipe["optimizer"] == "sgd" and r.recipe["learning_rate"] == 0.05 and r.recipe["batch_size"] == 250
    assert r.metrics["batch_size"] == 250


def test_train_a_keras_model(sample):
    keras = runtime.import_keras()
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    r = brainkit.train(model, sample, epochs=1, verbose=0)
    assert r.architecture and r.recipe["output"] == "probabilities"
    assert r.metrics["test_accuracy"] > 0.3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"batch_size": -1}, "batch_size must be a positive integer"),
        ({"validation": 1.5}, "validation must be"),
    ],
)
def test_bad_arguments(sample, kwargs, message):
    with pytest.raises(RunError, match=message):
        brainkit.train("linear", sample, verbose=0, **kwargs)


def test_unknown_architecture_and_dataset(sample):
    from brainkit.architectures import UnknownArchitectureError
    from brainkit.datasets import DatasetError

    with pytest.raises(UnknownArchitectureError, match="mlp"):
        brainkit.train("mpl", sample)
    with pytest.raises(DatasetError, match="Unknown dataset"):
        brainkit.train("linear", "fashion")


def test_predict_single_and_batch(linear_run, sample):
    one = brainkit.predict(linear_run, sample.x_test[0])
    assert isinstance(one, Prediction)
    assert one.probabilities.shape == (10,) and one.probabilities.sum() == pytest.approx(1.0)
    assert one.class_name == sample.class_names[one.label] and one.top[0][0] == one.class_name
    assert one.probability == pytest.approx(one.probabilities.max())
    many = brainkit.predict(linear_run, sample.x_test[:5], top=2)
    assert len(many) == 5 and all(len(p.top) == 2 for p in many)
    # Logits are turned into probabilities: the ranking matches the raw outputs.
    raw = np.asarray(linear_run.model.predict(linear_run.preprocess(sample.x_test[:5]), verbose=0))
    assert [p.label for p in many] == raw.argmax(axis=1).tolist()
    with pytest.raises(RunError, match="Images must have shape"):
        brainkit.predict(linear_run, np.zeros((3, 32, 32)))


def test_saved_run_round_trip(linear_run, sample):
    folder = linear_run.path
    assert {p.name for p in folder.iterdir()} >= {"model.keras", "run.json", "metrics.json", "history.json"}
    metrics = json.loads((folder / "metrics.json").read_text())
    for key in ("test_accuracy", "test_loss", "epochs", "backend", "dataset", "architecture", "train_seconds"):
        assert key in metrics
    loaded = brainkit.load_run(folder)
    assert loaded.class_names == linear_run.class_names and loaded.recipe == linear_run.recipe
    values = brainkit.evaluate(loaded)
    assert values["accuracy"] == pytest.approx(linear_run.metrics["test_accuracy"], abs=1e-4)
    assert brainkit.predict(loaded, sample.x_test[7]).label == brainkit.predict(linear_run, sample.x_test[7]).label


def test_save_draws_figures_into_the_run(linear_run, tmp_path):
    from brainkit.run_figures import draw_into_run

    original = linear_run.path  # the module's fixture keeps its own folder
    target = linear_run.save(tmp_path / "with-figures", figures=draw_into_run)
    linear_run.path = original
    names = {p.name for p in target.iterdir()}
    assert {"learning_curves.png", "confusion_matrix.png", "weights.png", "model.keras"} <= names
    with pytest.raises(RunError, match="figures must be a function"):
        linear_run.save(tmp_path / "old-style", figures=True)
    assert not (tmp_path / "old-style").exists()


def test_save_never_overwrites_silently(linear_run, tmp_path):
    target = tmp_path / "run"
    linear_run.save(target)
    with pytest.raises(RunError, match="already exists"):
        linear_run.save(target)
    linear_run.save(target, overwrite=True)
    other = tmp_path / "not-a-run"
    other.mkdir()
    (other / "thesis.txt").write_text("precious")
    with pytest.raises(RunError, match="not a brainkit run"):
        linear_run.save(other, overwrite=True)
    assert (other / "thesis.txt").read_text() == "precious"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folders left
    empty = tmp_path / "empty"
    empty.mkdir()
    assert linear_run.save(empty) == empty  # an empty folder holds nothing to lose
    (target / "notes.txt").write_text("mine")
    linear_run.save(target, overwrite=True)  # replaces brainkit's files, keeps the user's
    assert (target / "notes.txt").read_text() == "mine"


def test_load_run_errors(tmp_path):
    with pytest.raises(RunError, match="is not a folder"):
        brainkit.load_run(tmp_path / "missing")
    with pytest.raises(RunError, match="is not a brainkit run"):
        brainkit.load_run(tmp_path)


def test_predict_on_a_photo(linear_run, sample, tmp_path):
    # A "photo" of a test image: dark object on a white background, in colour, at 4x size.
    image = 255 - sample.x_test[3]
    rgb = np.stack([image] * 3, axis=-1)
    path = tmp_path / "photo.png"
    Image.fromarray(rgb).resize((112, 112)).save(path)
    from brainkit.images import load_image

    converted = load_image(path)
    assert converted.shape == (28, 28) and converted.dtype == np.uint8
    assert converted[0, 0] == 0 and converted.max() > 200  # light object on a dark background
    prediction = brainkit.predict(linear_run, path)
    assert isinstance(prediction, Prediction)


def test_not_an_image(tmp_path):
    from brainkit.images import ImageError, load_image

    bogus = tmp_path / "notes.png"
    bogus.write_text("not a picture")
    with pytest.raises(ImageError, match="is not an image"):
        load_image(bogus)


@pytest.mark.slow
def test_run_loads_on_another_backend(linear_run, sample):
    here = runtime.import_keras().backend.backend()
    others = [b for b in runtime.available_backends() if b != here]
    if not others:
        pytest.skip("only one backend installed")
    expected = brainkit.evaluate(linear_run)["accuracy"]
    for other in others:
        code = (
            f"import brainkit, json; r = brainkit.load_run({str(linear_run.path)!r}); "
            "print(json.dumps({'acc': brainkit.evaluate(r)['accuracy'], "
            "'label': brainkit.predict(r, r.dataset().x_test[0]).label}))"
        )
        env = dict(os.environ, KERAS_BACKEND=other)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-2000:]
        values = json.loads(out.stdout.strip().splitlines()[-1])
        assert values["acc"] == pytest.approx(expected, abs=2e-3), other
        assert values["label"] == brainkit.predict(linear_run, sample.x_test[0]).label
