"""brainkit's fit (brainkit._fastfit): the same training as model.fit, on the current backend."""

from __future__ import annotations

import numpy as np
import pytest

import brainkit
from brainkit import _fastfit, runtime

pytestmark = pytest.mark.backend

FAST_PATH = {"jax": "jax-loop", "torch": "torch-loop", "tensorflow": "tf-loop"}


@pytest.fixture(scope="module")
def backend():
    return runtime.import_keras().backend.backend()


@pytest.fixture(scope="module")
def mlp_run(sample):
    return brainkit.train("mlp", sample, epochs=2, seed=0, verbose=0)


def _small_model(units=16, dropout=None):
    keras = runtime.import_keras()
    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(units, activation="relu")(x)
    if dropout is not None:
        x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _xy(sample, n=None):
    x = sample.x_train[:n].astype("float32") / np.float32(255)
    return x, sample.y_train[:n].astype("int32")


def test_history_like_fit(mlp_run, backend):
    assert mlp_run.fit_path == FAST_PATH[backend] == mlp_run.metrics["fit_path"]
    assert set(mlp_run.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 2 for v in mlp_run.history.values())
    assert all(np.isfinite(v).all() for v in mlp_run.history.values())
    assert mlp_run.history["loss"][1] < mlp_run.history["loss"][0]
    seconds = mlp_run.fit_settings["epoch_seconds"]
    assert len(seconds) == 2 and min(seconds) > 0


def test_sensible_accuracy_in_two_epochs(mlp_run):
    # 5,000 training images, 2 epochs of batch-32 Adam: well above chance (0.1).
    assert mlp_run.metrics["test_accuracy"] > 0.7
    assert mlp_run.history["accuracy"][-1] > 0.7
    # Validation after the last epoch is the test set, measured by evaluate afterwards too.
    assert mlp_run.history["val_accuracy"][-1] == pytest.approx(
        mlp_run.metrics["test_accuracy"], abs=2e-3
    )


def test_same_seed_same_result(sample):
    a = brainkit.train("mlp", sample, epochs=1, seed=5, verbose=0, hyperparameters={"units": 16})
    b = brainkit.train("mlp", sample, epochs=1, seed=5, verbose=0, hyperparameters={"units": 16})
    assert a.history["loss"] == pytest.approx(b.history["loss"], rel=1e-6)
    assert a.metrics["test_accuracy"] == pytest.approx(b.metrics["test_accuracy"], abs=1e-6)
    c = brainkit.train("mlp", sample, epochs=1, seed=6, verbose=0, hyperparameters={"units": 16})
    assert c.history["loss"] != pytest.approx(a.history["loss"], rel=1e-6)


def test_computes_what_fit_computes(sample):
    """Same start, same batches (no shuffling): the same weights as model.fit, to rounding."""
    keras = runtime.import_keras()
    x, y = _xy(sample, 1000)  # 31 batches of 32 and one of 8
    keras.utils.set_random_seed(1)
    ours, theirs = _small_model(), _small_model()
    theirs.set_weights(ours.get_weights())
    outcome = _fastfit.fit(ours, x, y, epochs=2, batch_size=32, verbose=0, shuffle=False)
    h_ours = outcome.history
    h_theirs = theirs.fit(x, y, epochs=2, batch_size=32, verbose=0, shuffle=False)
    assert outcome.path == FAST_PATH[runtime.import_keras().backend.backend()]
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-5)
    assert h_ours.history["loss"] == pytest.approx(h_theirs.history["loss"], rel=1e-3)
    assert h_ours.history["accuracy"] == pytest.approx(h_theirs.history["accuracy"], abs=2e-3)
    assert (
        int(ours.optimizer.iterations.numpy()) == int(theirs.optimizer.iterations.numpy()) == 2 * 32
    )


def test_torch_fused_adam_is_kerass_adam(sample, backend, monkeypatch):
    """On torch, PyTorch's fused Adam kernel (eps rescaled) updates as Keras's Adam does."""
    if backend != "torch":
        pytest.skip("the PyTorch loop's optimizer")
    keras = runtime.import_keras()
    x, y = _xy(sample, 1000)
    keras.utils.set_random_seed(4)
    fused, foreach, theirs = _small_model(), _small_model(), _small_model()
    foreach.set_weights(fused.get_weights())
    theirs.set_weights(fused.get_weights())
    runs = {}
    for name, model in (("fused", fused), ("foreach", foreach)):
        if name == "foreach":
            monkeypatch.setattr(_fastfit._TorchLoop, "_fused_available", lambda self: False)
        loop = _fastfit._TorchLoop(model, x, y, 32, None, None, False)
        assert loop._fused == (name == "fused")
        runs[name] = loop.run(3, 0)[0]
    theirs.fit(x, y, epochs=3, batch_size=32, verbose=0, shuffle=False)
    for a, b, c in zip(
        fused.get_weights(), foreach.get_weights(), theirs.get_weights(), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-6)
    assert runs["fused"].history["loss"] == pytest.approx(runs["foreach"].history["loss"], rel=1e-5)


def test_validation_split_and_partial_batch(sample):
    x, y = _xy(sample, 1000)
    model = _small_model()
    outcome = _fastfit.fit(model, x, y, epochs=1, batch_size=64, verbose=0, validation_split=0.25)
    assert set(outcome.history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    # 750 training examples: 11 batches of 64 and one of 46, as fit would run them.
    assert int(model.optimizer.iterations.numpy()) == 12


def test_falls_back_with_callbacks(sample):
    keras = runtime.import_keras()
    seen = []

    class Spy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(epoch)

    r = brainkit.train(
        "mlp", sample, epochs=2, verbose=0, callbacks=[Spy()], hyperparameters={"units": 8}
    )
    assert seen == [0, 1]
    assert r.fit_path == "keras-fit" and "callbacks" in r.fit_settings["reason"]
    assert r.fit_settings["steps_per_execution"] == 1  # callbacks see every batch
    assert set(r.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(r.fit_settings["epoch_seconds"]) == 2


def test_falls_back_when_asked(sample, monkeypatch):
    monkeypatch.setenv(_fastfit.DISABLE_ENV, "0")
    r = brainkit.train("mlp", sample, epochs=1, verbose=0, hyperparameters={"units": 8})
    assert r.fit_path == "keras-fit" and _fastfit.DISABLE_ENV in r.fit_settings["reason"]
    monkeypatch.delenv(_fastfit.DISABLE_ENV)
    r = brainkit.train(
        "mlp", sample, epochs=1, verbose=0, steps_per_execution=1, hyperparameters={"units": 8}
    )
    assert "steps_per_execution=1" in r.fit_settings["reason"]


def test_dropout_trains_on_every_backend(sample, backend):
    x, y = _xy(sample, 640)
    model = _small_model(dropout=0.3)
    outcome = _fastfit.fit(
        model, x, y, epochs=1, batch_size=32, verbose=0, validation_data=(x[:100], y[:100])
    )
    if backend == "torch":  # dropout is random in training: the recording cannot replay it
        assert outcome.path == "keras-fit" and "non-trainable state" in outcome.reason
    else:
        assert outcome.path == FAST_PATH[backend]
    history = outcome.history
    assert np.isfinite(history.history["loss"][0]) and "val_accuracy" in history.history


def test_quiet_prints_nothing_and_bar_shows_steps(sample, capsys):
    x, y = _xy(sample, 320)
    _fastfit.fit(_small_model(), x, y, epochs=1, batch_size=32, verbose=0)
    assert capsys.readouterr().out == ""
    _fastfit.fit(_small_model(), x, y, epochs=2, batch_size=32, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "10/10" in out and "loss" in out
    _fastfit.fit(_small_model(), x, y, epochs=1, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    assert "10/10" in out and "11/10" not in out  # not fit's "160/157" with steps_per_execution


def test_pixels_must_match(sample):
    x, y = _xy(sample, 256)
    good = _fastfit.Pixels(
        sample.x_train[:256], None, np.arange(256, dtype="float32") / np.float32(255)
    )
    assert good.matches(good.train, x)
    bad = _fastfit.Pixels(sample.x_train[:256], None, np.arange(256, dtype="float32"))
    assert not bad.matches(bad.train, x)
    # A table that does not match is ignored: training sees the float inputs, as without it.
    keras = runtime.import_keras()
    plain, with_bad = _small_model(), _small_model()
    with_bad.set_weights(plain.get_weights())
    keras.utils.set_random_seed(3)
    h1 = _fastfit.fit(plain, x, y, epochs=1, batch_size=32, verbose=0).history
    keras.utils.set_random_seed(3)
    h2 = _fastfit.fit(with_bad, x, y, epochs=1, batch_size=32, verbose=0, pixels=bad).history
    assert h2.history["loss"] == pytest.approx(h1.history["loss"], rel=1e-6)
    # A matching table gives the very same inputs, so the very same training.
    plain, with_good = _small_model(), _small_model()
    with_good.set_weights(plain.get_weights())
    keras.utils.set_random_seed(3)
    h3 = _fastfit.fit(plain, x, y, epochs=1, batch_size=32, verbose=0).history
    keras.utils.set_random_seed(3)
    h4 = _fastfit.fit(with_good, x, y, epochs=1, batch_size=32, verbose=0, pixels=good).history
    assert h4.history["loss"] == pytest.approx(h3.history["loss"], rel=1e-6)


def test_trained_model_saves_loads_predicts(mlp_run, sample, tmp_path):
    folder = mlp_run.save(tmp_path / "run")
    again = brainkit.load_run(folder)
    images = sample.x_test[:20]
    np.testing.assert_allclose(
        brainkit.training.probabilities(again, images),
        brainkit.training.probabilities(mlp_run, images),
        atol=1e-5,
    )
    assert brainkit.evaluate(again)["accuracy"] == pytest.approx(
        mlp_run.metrics["test_accuracy"], abs=1e-6
    )
    assert brainkit.predict(again, images[0]).label == brainkit.predict(mlp_run, images[0]).label


def test_convolutional_model_matches_fit(sample, backend):
    """Convolutions: Keras's fit on JAX (XLA's loop is slow for them), brainkit's loop elsewhere."""
    keras = runtime.import_keras()
    x, y = _xy(sample, 256)

    def conv_model():
        inputs = keras.Input((28, 28))
        h = keras.layers.Reshape((28, 28, 1))(inputs)
        h = keras.layers.Conv2D(4, 3, strides=2, activation="relu")(h)
        h = keras.layers.Flatten()(h)
        model = keras.Model(inputs, keras.layers.Dense(10)(h))
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model

    keras.utils.set_random_seed(2)
    ours, theirs = conv_model(), conv_model()
    theirs.set_weights(ours.get_weights())
    outcome = _fastfit.fit(
        ours, x, y, epochs=1, batch_size=32, verbose=0, shuffle=False, validation_data=(x, y)
    )
    h_ours = outcome.history
    h_theirs = theirs.fit(
        x, y, epochs=1, batch_size=32, verbose=0, shuffle=False, validation_data=(x, y)
    )
    if backend == "jax":
        assert outcome.path == "keras-fit" and "convolves" in outcome.reason
    else:
        assert outcome.path == FAST_PATH[backend]
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=2e-3, atol=2e-5)
    assert h_ours.history["val_loss"] == pytest.approx(h_theirs.history["val_loss"], rel=1e-4)


@pytest.mark.parametrize("path", ["fast", "keras-fit"])
def test_pixels_alone_train_as_the_floats_do(sample, path, monkeypatch):
    """x=None with Pixels: the floats are made only where needed, and training is the same."""
    if path == "keras-fit":
        monkeypatch.setenv(_fastfit.DISABLE_ENV, "0")
    keras = runtime.import_keras()
    x, y = _xy(sample, 600)
    pixels = _fastfit.Pixels(
        sample.x_train[:600], None, np.arange(256, dtype="float32") / np.float32(255)
    )
    floats, codes_only = _small_model(), _small_model()
    codes_only.set_weights(floats.get_weights())
    runs = []
    for model, inputs in ((floats, x), (codes_only, None)):
        keras.utils.set_random_seed(5)
        runs.append(
            _fastfit.fit(
                model,
                inputs,
                y,
                epochs=1,
                batch_size=32,
                verbose=0,
                validation_split=0.2,
                pixels=pixels,
            )
        )
    assert runs[0].path == runs[1].path
    backend = runtime.import_keras().backend.backend()
    assert runs[1].path == ("keras-fit" if path == "keras-fit" else FAST_PATH[backend])
    for key in ("loss", "val_loss", "val_accuracy"):
        assert runs[1].history.history[key] == pytest.approx(runs[0].history.history[key], rel=1e-6)
    for a, b in zip(floats.get_weights(), codes_only.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_pixels_alone_need_pixels(sample):
    x, y = _xy(sample, 64)
    with pytest.raises(ValueError, match="needs x, or pixels"):
        _fastfit.fit(_small_model(), None, y, epochs=1, batch_size=32, verbose=0)


def test_pixel_rows_are_the_floats():
    codes = np.random.default_rng(0).integers(0, 256, (50, 4, 4), dtype=np.uint8)
    table = np.arange(256, dtype="float32") / np.float32(255)
    rows = _fastfit._PixelRows(codes, table)
    assert len(rows) == 50 and rows.shape == codes.shape and rows.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(rows), codes.astype("float32") / np.float32(255))
    np.testing.assert_array_equal(rows[[3, 1]], table[codes[[3, 1]]])
    head = rows.rows(slice(None, 10))
    assert isinstance(head, _fastfit._PixelRows) and len(head) == 10
