"""brainkit's fit against Keras's ``model.fit``: the same seed gives the same history and weights.

Each case builds one model twice from the same seed and trains it for two shuffled epochs, once
with ``model.fit`` and once with :func:`brainkit._fastfit.fit` (which runs brainkit's loop where
one applies and Keras's ``fit`` elsewhere). Tolerances: weights ``rtol=1e-4, atol=1e-5`` (the
loops run the same arithmetic; measured differences are 0 on JAX, ~1e-7 on TensorFlow and ~2e-6
on torch, where the recorded forward pass sums in another order), history values ``rel=1e-4`` (the loops validate in
batches of 1,000 instead of 32, which only reorders a sum). Mixed precision computes in float16,
where another summation order (one thread instead of several on torch) moves results by float16
rounding: ``rel=5e-3, abs=4e-3`` for its history (one example of 300 in accuracy) and ``rtol=1e-2,
atol=5e-3`` for its weights. Run on every backend in CI.
"""

from __future__ import annotations

import numpy as np
import pytest

import brainkit
from brainkit import _fastfit, datasets, runtime

pytestmark = pytest.mark.backend

WEIGHTS = {"rtol": 1e-4, "atol": 1e-5}
HISTORY = 1e-4
MIXED_WEIGHTS = {"rtol": 1e-2, "atol": 5e-3}
MIXED_HISTORY = 5e-3
SEED = 7


@pytest.fixture(scope="module")
def keras():
    return runtime.import_keras()


@pytest.fixture(scope="module")
def data():
    d = datasets.load("fashion_mnist_sample")
    x = d.x_train[:1000].astype("float32") / np.float32(255)  # 31 batches of 32 and one of 8
    xv = d.x_test[:300].astype("float32") / np.float32(255)
    return x, d.y_train[:1000].astype("int32"), xv, d.y_test[:300].astype("int32")


@pytest.fixture
def mixed_precision(keras):
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def _model(keras, *middle, cls=None):
    inputs = keras.Input((28, 28))
    h = keras.layers.Flatten()(inputs)
    h = keras.layers.Dense(24, activation="relu")(h)
    for layer in middle:
        h = layer(h)
    outputs = keras.layers.Dense(10, activation="softmax", dtype="float32")(h)
    return (cls or keras.Model)(inputs, outputs)


def _custom_layers(keras):
    class Gain(keras.layers.Layer):
        """A plugin's layer the loops have never seen: a learned gain per feature."""

        def build(self, input_shape):
            self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.gain

    class FeatureDetector(keras.layers.Layer):
        """A layer that convolves under another name."""

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(3, 3, 1, 4), initializer="glorot_uniform")

        def call(self, x):
            y = keras.ops.conv(keras.ops.expand_dims(x, -1), self.kernel, padding="same")
            return keras.ops.reshape(y, (-1, 28 * 28 * 4))

    return Gain, FeatureDetector


def _logged_model(keras):
    class Logged(keras.Model):
        """A custom train_step that adds a log (JAX's train_step is stateless)."""

        def train_step(self, *args, **kwargs):
            out = super().train_step(*args, **kwargs)
            if isinstance(out, tuple):
                logs, state = out
                return {**logs, "twice_loss": logs["loss"] * 2}, state
            return {**out, "twice_loss": out["loss"] * 2}

    return _model(keras, cls=Logged)


def _plugin_model(keras):
    gain, detector = _custom_layers(keras)
    inputs = keras.Input((28, 28))
    h = gain()(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(h))


def _conv_plugin_model(keras):
    gain, detector = _custom_layers(keras)
    inputs = keras.Input((28, 28))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(detector()(inputs)))


CASES = {
    "dense": (lambda k: _model(k), lambda k: k.optimizers.Adam(1e-3), "test"),
    "dropout": (
        lambda k: _model(k, k.layers.Dropout(0.3)),
        lambda k: k.optimizers.Adam(1e-3),
        "test",
    ),
    "batchnorm": (
        lambda k: _model(k, k.layers.BatchNormalization()),
        lambda k: k.optimizers.Adam(1e-3),
        "test",
    ),
    "lr-schedule": (
        lambda k: _model(k),
        lambda k: k.optimizers.SGD(k.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9)),
        "test",
    ),
    "mixed-sgd": (lambda k: _model(k), lambda k: k.optimizers.SGD(0.1), "test"),
    "mixed-adam": (lambda k: _model(k), lambda k: k.optimizers.Adam(1e-3), "test"),
    "custom-train-step": (_logged_model, lambda k: k.optimizers.Adam(1e-3), "test"),
    "plugin-layer": (_plugin_model, lambda k: k.optimizers.Adam(1e-3), "test"),
    "plugin-conv-layer": (_conv_plugin_model, lambda k: k.optimizers.Adam(1e-3), "test"),
    "validation-split": (lambda k: _model(k), lambda k: k.optimizers.Adam(1e-3), 0.1),
}


def _train_twice(keras, case, data, verbose=0):
    build, optimizer, validation = CASES[case]
    x, y, xv, yv = data
    kwargs = (
        {"validation_data": (xv, yv)} if validation == "test" else {"validation_split": validation}
    )
    runs = []
    for trainer in ("keras", "brainkit"):
        runtime.seed_everything(SEED)
        model = build(keras)
        model.compile(
            optimizer=optimizer(keras), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        if trainer == "keras":
            history = model.fit(x, y, epochs=2, batch_size=32, verbose=0, **kwargs).history
            runs.append((model, history, None))
        else:
            outcome = _fastfit.fit(model, x, y, epochs=2, batch_size=32, verbose=verbose, **kwargs)
            runs.append((model, outcome.history.history, outcome))
    return runs


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_history_and_weights_as_fit(keras, data, case, request):
    if case.startswith("mixed"):
        request.getfixturevalue("mixed_precision")
    backend = keras.backend.backend()
    (theirs, h_theirs, _), (ours, h_ours, outcome) = _train_twice(keras, case, data)
    mixed = case.startswith("mixed")
    assert set(h_ours) == set(h_theirs)
    for key in h_theirs:
        tolerance = {"rel": MIXED_HISTORY, "abs": 4e-3} if mixed else {"rel": HISTORY}
        assert h_ours[key] == pytest.approx(h_theirs[key], **tolerance), key
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(
            np.asarray(a, "float32"),
            np.asarray(b, "float32"),
            **(MIXED_WEIGHTS if mixed else WEIGHTS),
        )
    assert int(ours.optimizer.iterations.numpy()) == int(theirs.optimizer.iterations.numpy())
    # Both learn (the mixed-precision SGD case once trained with a flat loss on torch).
    assert h_ours["loss"][1] < h_ours["loss"][0]
    # Which path ran, and why, is reported.
    assert (outcome.path == "keras-fit") == (outcome.reason is not None)
    if backend == "jax" and case == "plugin-conv-layer":
        assert outcome.path == "keras-fit" and "convolves" in outcome.reason
    elif backend in ("jax", "tensorflow"):
        assert outcome.path == {"jax": "jax-loop", "tensorflow": "tf-loop"}[backend], outcome.reason
    elif backend == "torch" and case in ("dropout", "batchnorm"):
        assert outcome.path == "keras-fit" and "non-trainable state" in outcome.reason
    elif backend == "torch" and case.startswith("mixed"):
        assert outcome.path == "keras-fit" and "float32" in outcome.reason
    elif backend == "torch" and case == "custom-train-step":
        assert outcome.path == "keras-fit" and "train_step" in outcome.reason
    elif backend == "torch" and case in (
        "dense",
        "plugin-layer",
        "plugin-conv-layer",
        "lr-schedule",
        "validation-split",
    ):
        assert outcome.path == "torch-loop", outcome.reason
    if case == "custom-train-step":
        assert "twice_loss" in h_ours


def test_progress_bar_chunks_match_fit(keras, data, capsys):
    """With a progress bar (verbose=1) the loops run an epoch in 20 calls: still fit's result."""
    (theirs, h_theirs, _), (ours, h_ours, outcome) = _train_twice(keras, "dense", data, verbose=1)
    for key in h_theirs:
        assert h_ours[key] == pytest.approx(h_theirs[key], rel=HISTORY), key
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, **WEIGHTS)
    assert "32/32" in capsys.readouterr().out


def test_train_matches_fit_end_to_end(keras):
    """``brainkit.train`` with a seed is ``model.fit`` on the same model and data with that seed."""
    sample = datasets.load("fashion_mnist_sample")
    result = brainkit.train(
        "mlp", sample, epochs=2, seed=3, verbose=0, hyperparameters={"units": 16}
    )
    arch = brainkit.architectures.get("mlp")
    runtime.seed_everything(3)
    model = arch.build(sample.input_shape, sample.num_classes, units=16)
    model.compile(**arch.recipe.compile_arguments())
    x, xt = arch.recipe.scale_inputs(sample.x_train), arch.recipe.scale_inputs(sample.x_test)
    history = model.fit(
        x,
        sample.y_train,
        epochs=2,
        batch_size=arch.recipe.batch_size,
        verbose=0,
        validation_data=(xt, sample.y_test),
    ).history
    for key in history:
        assert result.history[key] == pytest.approx(history[key], rel=HISTORY), key
    for a, b in zip(result.model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, **WEIGHTS)
    assert result.metrics["fit_path"] == result.fit_path
    assert (
        result.metrics["fit_settings"]["epoch_seconds"]
        and len(result.metrics["fit_settings"]["epoch_seconds"]) == 2
    )


def test_fit_after_train_is_plain_keras(keras, capsys):
    """The model train() returns behaves like one the student compiled: one step per call."""
    sample = datasets.load("fashion_mnist_sample")
    result = brainkit.train(
        "mlp", sample, epochs=1, seed=0, verbose=0, hyperparameters={"units": 16}
    )
    model = result.model
    assert model.steps_per_execution == 1
    batches = []

    class Count(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)

    x = result.preprocess(sample.x_train[:640])
    model.fit(x, sample.y_train[:640], epochs=1, batch_size=32, verbose=1, callbacks=[Count()])
    assert batches == list(range(20))  # every batch, not every 32nd
    out = capsys.readouterr().out
    assert "20/20" in out and "/157" not in out
    if keras.backend.backend() == "tensorflow":
        assert model.jit_compile  # as fast as Keras makes it: XLA on


def test_explicit_steps_per_execution_is_reported_and_kept(keras):
    sample = datasets.load("fashion_mnist_sample")
    if keras.backend.backend() == "torch":
        with pytest.raises(brainkit.training.RunError, match="needs JAX or TensorFlow"):
            brainkit.train("mlp", sample, epochs=1, verbose=0, steps_per_execution=4)
        return
    result = brainkit.train(
        "mlp", sample, epochs=1, verbose=0, steps_per_execution=4, hyperparameters={"units": 8}
    )
    assert result.fit_path == "keras-fit"
    assert "steps_per_execution=4" in result.fit_settings["reason"]
    assert result.fit_settings["steps_per_execution"] == 4 == result.model.steps_per_execution
