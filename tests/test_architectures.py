"""The built-in architectures, the Recipe and Architecture objects, and name lookup."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from brainkit import architectures as A
from brainkit.architectures import Recipe

BUILTINS = ("cnn", "linear", "mlp", "shallow")
PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"

pytestmark = pytest.mark.usefixtures("fresh_registry")


# ----------------------------------------------------------------- listing, lookup


def test_builtins_are_listed_from_brainkit_entry_points():
    assert A.list_architectures() == sorted(BUILTINS)
    infos = {i.name: i for i in A.discover()}
    for name in BUILTINS:
        info = infos[name]
        assert info.builtin and info.distribution == "brainkit"
        assert info.value == f"brainkit.architectures.{name}:{name}"
        assert not (info.disabled or info.collision) and info.lookup_name == name


def test_one_table_of_builtins_matches_pyproject_and_the_installed_metadata():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["entry-points"][A.GROUP]
    assert declared == A.BUILTINS
    try:
        installed = importlib.metadata.distribution("brainkit").entry_points
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("brainkit is not installed")
    assert {ep.name: ep.value for ep in installed if ep.group == A.GROUP} == A.BUILTINS


def test_without_installed_metadata_the_builtins_come_from_the_table(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "distributions", lambda: iter(()))
    A.refresh()
    infos = A.discover()
    assert {i.name: i.value for i in infos} == A.BUILTINS
    assert all(i.builtin and i.location is None for i in infos)
    assert A.get("linear").source.startswith("brainkit ")


def test_glob_filter():
    assert A.list_architectures("*l*") == ["linear", "mlp", "shallow"]
    assert A.list_architectures("c?n") == ["cnn"]
    assert A.list_architectures("nothing*") == []


def test_listing_imports_neither_keras_nor_plugins():
    code = (
        "import sys, json\n"
        "import brainkit.architectures as A\n"
        "names = A.list_architectures(); infos = A.discover()\n"
        "print(json.dumps({'names': names, 'keras': 'keras' in sys.modules,"
        " 'plugins': [m for m in sys.modules if m.startswith('brainkit.architectures.')"
        " and m.rsplit('.', 1)[1] in ('linear', 'mlp', 'shallow', 'cnn')]}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"names": sorted(BUILTINS), "keras": False, "plugins": []}


def test_unknown_name_suggests_the_closest():
    with pytest.raises(A.UnknownArchitectureError) as info:
        A.get("mpl")
    message = str(info.value)
    assert "Unknown architecture 'mpl'" in message
    assert "Did you mean 'mlp'?" in message
    assert "cnn, linear, mlp, shallow" in message
    assert isinstance(info.value, LookupError) and not isinstance(info.value, KeyError)
    assert isinstance(info.value, A.ArchitectureError)
    with pytest.raises(A.UnknownArchitectureError, match="non-empty string"):
        A.get(" ")
    with pytest.raises(A.UnknownArchitectureError, match="Did you mean 'linear'"):
        A.build("Linaer", (28, 28), 10)


def test_unknown_with_nothing_close():
    with pytest.raises(A.UnknownArchitectureError) as info:
        A.get("transformer-xxl")
    assert "Did you mean" not in str(info.value)
    assert "Available: cnn, linear, mlp, shallow" in str(info.value)


def test_qualified_builtin_name():
    assert A.get("brainkit:mlp") is A.get("mlp")
    assert A.get("mlp").source.startswith("brainkit ")


def test_get_returns_metadata_without_keras():
    code = (
        "import sys\nimport brainkit.architectures as A\n"
        "a = A.get('shallow')\n"
        "print(a.recipe.loss, a.recipe.label_encoding, 'keras' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.split() == ["mse", "one_hot", "False"]


# -------------------------------------------------------------------------- recipes


def test_builtin_recipes_match_their_lessons():
    linear = A.get("linear").recipe
    assert (linear.optimizer, linear.learning_rate, linear.loss, linear.output) == (
        "adam",
        1e-3,
        "sparse_categorical_crossentropy",
        "logits",
    )
    assert (linear.batch_size, linear.epochs, linear.input_scaling) == (32, 5, "none")
    assert linear.from_logits and "80%" in linear.notes

    mlp = A.get("mlp")
    assert mlp.hyperparameters == {"units": 128}
    assert (mlp.recipe.output, mlp.recipe.batch_size, mlp.recipe.epochs) == (
        "probabilities",
        32,
        10,
    )
    assert mlp.recipe.input_scaling == "unit" and "88%" in mlp.recipe.notes

    shallow = A.get("shallow").recipe
    assert (shallow.optimizer, shallow.learning_rate, shallow.loss) == ("sgd", 0.01, "mse")
    assert (shallow.label_encoding, shallow.batch_size, shallow.epochs) == ("one_hot", 128, 200)
    for fact in ("34-43%", "72%", "76%", "MNIST", "cross-entropy", "Adam"):
        assert fact in shallow.notes

    cnn = A.get("cnn").recipe
    assert cnn.output == "logits" and cnn.input_scaling == "unit"
    assert "91" in cnn.notes
    for name in BUILTINS:
        arch = A.get(name)
        assert arch.description and arch.reference and arch.api_version == 1
        assert arch.recipe.metrics == ("accuracy",)
        # Notes say what the recipe achieves, not how long it took on one machine.
        for timing in (" s ", "seconds", "minutes", "machine", "cores", "faster", "slower"):
            assert timing not in arch.recipe.notes, (name, timing)


def test_recipe_validation_and_helpers():
    r = Recipe()
    assert r.metrics == ("accuracy",) and r.from_logits
    assert Recipe(output="probabilities").from_logits is False
    for bad in (
        {"output": "softmax"},
        {"label_encoding": "onehot"},
        {"input_scaling": "standard"},
        {"learning_rate": 0},
        {"batch_size": 0},
        {"epochs": 1.5},
        {"learning_rate_decay": 0},
        {"learning_rate_decay": 1.5},
        {"learning_rate_decay_steps": 0},
        {"learning_rate_schedule": "linear"},
        {"learning_rate_schedule": "cosine", "learning_rate_decay": 0.5},
    ):
        with pytest.raises(A.ArchitectureError, match="Recipe .* is not valid"):
            Recipe(**bad)
    with pytest.raises(A.ArchitectureError, match="no field lr"):
        r.replace(lr=1)
    assert r.replace(epochs=2).epochs == 2
    x = np.full((2, 3), 255, dtype="uint8")
    assert Recipe(input_scaling="unit").scale_inputs(x).max() == 1.0
    assert Recipe(input_scaling="none").scale_inputs(x).dtype == np.float32
    floats = np.array([[0.0, 51.0, 255.0]], dtype="float32")
    scaled = Recipe(input_scaling="unit").scale_inputs(floats)
    assert scaled is not floats and floats.tolist() == [[0.0, 51.0, 255.0]]  # caller's array kept
    np.testing.assert_array_equal(scaled, floats / np.float32(255.0))
    onehot = Recipe(label_encoding="one_hot").encode_labels([0, 2], 3)
    assert onehot.tolist() == [[1, 0, 0], [0, 0, 1]]
    assert json.loads(json.dumps(r.as_dict()))["metrics"] == ["accuracy"]


@pytest.mark.backend
def test_recipe_builds_keras_objects():
    keras = pytest.importorskip("keras")
    from brainkit.runtime import import_keras

    keras = import_keras()
    args = Recipe(output="probabilities").compile_arguments()
    assert isinstance(args["optimizer"], keras.optimizers.Adam)
    assert args["loss"].get_config()["from_logits"] is False
    assert args["metrics"] == ["accuracy"]
    sgd = Recipe(optimizer="sgd", learning_rate=0.01, loss="mse").compile_arguments()
    assert isinstance(sgd["optimizer"], keras.optimizers.SGD)
    assert sgd["loss"] == "mse"
    decaying = Recipe(learning_rate=0.01, learning_rate_decay=0.5, learning_rate_decay_steps=100)
    schedule = decaying.compile_arguments()["optimizer"]._learning_rate
    assert isinstance(schedule, keras.optimizers.schedules.ExponentialDecay)
    assert float(keras.ops.convert_to_numpy(schedule(200))) == pytest.approx(0.0025)
    cosine = Recipe(learning_rate=0.01, learning_rate_schedule="cosine")
    schedule = cosine.compile_arguments(total_steps=100)["optimizer"]._learning_rate
    rates = [float(keras.ops.convert_to_numpy(schedule(step))) for step in (0, 50, 100, 150)]
    assert rates == pytest.approx([0.01, 0.005, 0.0, 0.0], abs=1e-9)  # half a cosine, then 0
    with pytest.raises(A.ArchitectureError, match="needs the number of steps"):
        cosine.compile_arguments()
    with pytest.raises(A.ArchitectureError, match="no optimizer"):
        Recipe(optimizer="nosuchopt").compile_arguments()


# ---------------------------------------------------------------- the decorator


def test_architecture_decorator_and_bare_builders():
    @A.architecture(description="Tiny.", recipe=Recipe(epochs=3), reference="here", api_version=1)
    def tiny(input_shape, num_classes, units=8, *, act="relu"):
        return (input_shape, num_classes, units, act)

    assert isinstance(tiny, A.Architecture)
    assert dict(tiny.hyperparameters) == {"units": 8, "act": "relu"}
    assert tiny((4,), 2, units=3) == ((4,), 2, 3, "relu")
    assert tiny.recipe.epochs == 3 and tiny.reference == "here" and tiny.name == "tiny"

    def bare(input_shape, num_classes, width=16):
        """A bare builder.

        More words.
        """

    arch = A.architecture(bare)
    assert arch.description == "A bare builder." and arch.name == "bare"
    assert dict(arch.hyperparameters) == {"width": 16}
    assert arch.recipe == Recipe() and arch.api_version is None  # undeclared: counts as 1
    assert not arch.accepts_extra_hyperparameters
    assert A.architecture(arch) is arch
    assert A.architecture(lambda input_shape, num_classes, **kw: kw).accepts_extra_hyperparameters


def test_unknown_hyperparameter_lists_the_valid_ones():
    with pytest.raises(A.HyperparameterError) as info:
        A.build("mlp", (28, 28), 10, unit=64)
    assert "'unit'" in str(info.value) and "units=128" in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("shape", [(), (0, 28), "28x28", (28.0, 28)])
def test_bad_input_shape(shape):
    with pytest.raises(A.HyperparameterError, match="input_shape"):
        A.build("linear", shape, 10)


def test_bad_num_classes():
    with pytest.raises(A.HyperparameterError, match="num_classes"):
        A.build("linear", (28, 28), 0)


def test_cnn_refuses_flat_vectors_clearly():
    with pytest.raises(A.HyperparameterError, match="cnn needs images"):
        A.build("cnn", (784,), 10)


# ------------------------------------------------- building and training (backend)
# Marked `backend`: CI runs these on torch and TensorFlow as well as JAX.


EXPECTED_PARAMS = {"linear": 7_850, "mlp": 101_770, "shallow": 50_890, "cnn": 412_202}


@pytest.mark.backend
@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_builds_with_the_right_parameter_count(name):
    keras = pytest.importorskip("keras")
    model = A.build(name, (28, 28), 10)
    assert isinstance(model, keras.Model)
    assert model.count_params() == EXPECTED_PARAMS[name]
    assert tuple(model.outputs[0].shape) == (None, 10)
    assert not getattr(model, "compiled", False)
    layer_names = [layer.name for layer in model.layers]
    assert all(not n.startswith(("dense_", "conv2d_")) for n in layer_names), layer_names


@pytest.mark.backend
@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("shape,classes", [((28, 28, 1), 10), ((32, 32, 3), 4), ((20, 24), 2)])
def test_builtin_builds_for_other_shapes(name, shape, classes):
    model = A.build(name, shape, classes)
    assert tuple(model.inputs[0].shape[1:]) == shape
    assert model.outputs[0].shape[-1] == classes


@pytest.mark.backend
@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_passes_the_check_training_through_brainkit_train(name):
    from brainkit.testing import assert_valid_architecture

    report = assert_valid_architecture(name, train_step=True)
    assert report.stage == "done" and report.parameters == EXPECTED_PARAMS[name]
    assert not report.warnings


@pytest.mark.backend
def test_cnn_learns_from_200_images_in_two_epochs(tmp_path):
    import brainkit
    from brainkit.datasets import Dataset, load

    sample = load("fashion_mnist_sample")  # class-balanced: every 25th image is 200 of them
    data = Dataset(
        "sample[::25]",
        sample.x_train[::25],
        sample.y_train[::25],
        sample.x_test[::5],
        sample.y_test[::5],
        sample.class_names,
        "embedded",
    )
    result = brainkit.train(
        "cnn", data, epochs=2, batch_size=16, seed=0, validation=0.25, verbose=0
    )
    assert result.history["loss"][-1] < np.log(10)  # better than a uniform guess
    # The cosine schedule spans the steps that ran (150 images fitted, 50 held out) and ends at 0.
    assert result.metrics["fit_settings"]["steps"] == 20 == result.model.optimizer.iterations
    assert float(np.asarray(result.model.optimizer.learning_rate)) == pytest.approx(0, abs=1e-9)
    logits = result.model.predict(A.get("cnn").recipe.scale_inputs(data.x_test), verbose=0)
    assert logits.shape == (200, 10) and np.isfinite(logits).all()
    accuracy = float((logits.argmax(axis=1) == data.y_test).mean())
    assert accuracy > 0.2, accuracy  # chance is 0.1; about 0.4 on JAX with seed 0
    assert accuracy == pytest.approx(result.metrics["test_accuracy"], abs=0.01)
    folder = result.save(tmp_path / "run")
    schedule = brainkit.load_run(folder).model.optimizer._learning_rate  # compiled again
    assert schedule.get_config()["decay_steps"] == 20 and schedule.get_config()["alpha"] == 0
    metrics = json.loads((folder / "metrics.json").read_text())
    del metrics["fit_settings"]["steps"]  # e.g. edited by hand: the whole training set's steps
    (folder / "metrics.json").write_text(json.dumps(metrics))
    schedule = brainkit.load_run(folder).model.optimizer._learning_rate
    assert schedule.get_config()["decay_steps"] == 2 * 13  # 2 epochs of ceil(200 / 16)


@pytest.mark.backend
def test_hyperparameters_change_the_model():
    assert A.build("mlp", (28, 28), 10, units=16).count_params() == 784 * 16 + 16 + 16 * 10 + 10
    small = A.build("cnn", (28, 28), 10, filters=8, units=32, dropout=0.0)
    assert small.count_params() < EXPECTED_PARAMS["cnn"]
    with pytest.raises(A.HyperparameterError, match="units must be a positive integer"):
        A.build("mlp", (28, 28), 10, units=0)
