"""Plots: every figure renders to a real PNG, and the numbers behind them are right."""

from __future__ import annotations

import subprocess
import sys
import types

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from brainkit import datasets, viz
from brainkit.viz import live as live_module
from brainkit.viz.metrics import confusion_matrix, most_confused

MIN_PNG_BYTES = 5 * 1024


@pytest.fixture(scope="module")
def data():
    return datasets.load("fashion_mnist_sample")


@pytest.fixture(scope="module")
def fake_probs(data):
    """Probabilities that are mostly right, so there are some confident mistakes."""
    rng = np.random.default_rng(0)
    labels = data.y_test.astype(int)
    logits = rng.normal(size=(len(labels), 10))
    logits[np.arange(len(labels)), labels] += 2.5
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def keras():
    from brainkit.runtime import import_keras

    return import_keras()


@pytest.fixture(scope="module")
def linear_model(keras):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)])


def render(fig: Figure, tmp_path, name: str):
    assert isinstance(fig, Figure)
    path = viz.save_figure(fig, tmp_path / f"{name}.png")
    assert path.is_file()
    assert path.stat().st_size > MIN_PNG_BYTES, f"{name}.png is suspiciously small"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def visible_axes(fig: Figure):
    return [ax for ax in fig.axes if ax.get_visible()]


# --- predictions -----------------------------------------------------------------------------


def test_plot_prediction_right_and_wrong(data, fake_probs, tmp_path):
    guesses = fake_probs.argmax(axis=1)
    right = int(np.flatnonzero(guesses == data.y_test)[0])
    wrong = int(np.flatnonzero(guesses != data.y_test)[0])

    fig = viz.plot_prediction(
        data.x_test[right], fake_probs[right], data.class_names, data.y_test[right]
    )
    render(fig, tmp_path, "right")
    image_ax, bars_ax = fig.axes
    assert len(image_ax.get_images()) == 1
    assert data.class_names[int(data.y_test[right])] in image_ax.get_xlabel()
    colours = [to_hex(p.get_facecolor()) for p in bars_ax.patches]
    assert len(colours) == 10
    assert colours[guesses[right]] == to_hex("tab:blue")
    assert [t.get_text() for t in bars_ax.get_yticklabels()] == list(data.class_names)

    fig = viz.plot_prediction(
        data.x_test[wrong], fake_probs[wrong], data.class_names, data.y_test[wrong]
    )
    render(fig, tmp_path, "wrong")
    colours = [to_hex(p.get_facecolor()) for p in fig.axes[1].patches]
    assert colours[guesses[wrong]] == to_hex("tab:red")
    assert colours[int(data.y_test[wrong])] == to_hex("tab:blue")
    assert to_hex(fig.axes[0].xaxis.label.get_color()) == to_hex("tab:red")


def test_plot_prediction_turns_logits_into_probabilities(data, tmp_path):
    logits = np.linspace(-3, 3, 10)
    fig = viz.plot_prediction(data.x_test[0], logits, data.class_names)
    render(fig, tmp_path, "logits")
    widths = np.array([p.get_width() for p in fig.axes[1].patches])
    assert widths.sum() == pytest.approx(1.0)
    assert "softmax" in fig.axes[1].get_xlabel()


def test_plot_prediction_rejects_wrong_class_count(data):
    with pytest.raises(ValueError, match="10 outputs but 3 class names"):
        viz.plot_prediction(data.x_test[0], np.full(10, 0.1), ["a", "b", "c"])


def test_plot_predictions_grid(data, fake_probs, tmp_path):
    fig = viz.plot_predictions_grid(
        data.x_test, fake_probs, data.y_test, data.class_names, count=5, columns=3
    )
    render(fig, tmp_path, "grid")
    assert len(fig.axes) == 12  # 2 rows x 3 (image + bars) pairs
    assert len(visible_axes(fig)) == 10
    assert sum(len(ax.get_images()) for ax in fig.axes) == 5
    assert fig.get_suptitle().startswith("Predictions")


def test_plot_worst_mistakes_orders_by_confidence(data, tmp_path):
    labels = np.array([0, 1, 2, 3, 4, 5])
    probs = np.full((6, 10), 0.01)
    probs[0, 0] = 0.91  # right
    probs[1, 7] = 0.91  # wrong, p=0.91
    probs[2, 2] = 0.91  # right
    probs[3, 9] = 0.55  # wrong, p=0.55
    probs[4, 1] = 0.73  # wrong, p=0.73
    probs[5, 5] = 0.91  # right
    probs[[3], 0] += 0.36
    probs[[4], 0] += 0.18
    probs /= probs.sum(axis=1, keepdims=True)
    fig = viz.plot_worst_mistakes(data.x_test[:6], probs, labels, data.class_names, count=16)
    render(fig, tmp_path, "mistakes")
    shown = visible_axes(fig)
    assert len(shown) == 3
    titles = [ax.get_title() for ax in shown]
    assert titles == ["Sneaker p=0.91", "Trouser p=0.73", "Ankle boot p=0.55"]
    assert [ax.get_xlabel() for ax in shown] == ["true: Trouser", "true: Coat", "true: Dress"]
    assert "3 wrong of 6" in fig.get_suptitle()


def test_plot_worst_mistakes_real_predictions_and_no_mistakes(data, fake_probs, tmp_path):
    fig = viz.plot_worst_mistakes(data.x_test, fake_probs, data.y_test, data.class_names, count=8)
    render(fig, tmp_path, "mistakes_real")
    confidences = [float(ax.get_title().rsplit("p=", 1)[1]) for ax in visible_axes(fig)]
    assert len(confidences) == 8
    assert confidences == sorted(confidences, reverse=True)

    perfect = np.eye(10)[data.y_test[:20]]
    fig = viz.plot_worst_mistakes(data.x_test[:20], perfect, data.y_test[:20], data.class_names)
    assert "No mistakes" in fig.axes[0].texts[0].get_text()


# --- learning curves -------------------------------------------------------------------------

HISTORY = {
    "loss": [0.9, 0.6, 0.5, 0.45],
    "accuracy": [0.70, 0.80, 0.83, 0.85],
    "val_loss": [0.8, 0.62, 0.58, 0.6],
    "val_accuracy": [0.72, 0.79, 0.81, 0.80],
}


def test_plot_learning_curves_train_and_validation(tmp_path):
    fig = viz.plot_learning_curves(HISTORY)
    render(fig, tmp_path, "curves")
    loss_ax, acc_ax = fig.axes
    assert (loss_ax.get_title(), acc_ax.get_title()) == ("Loss", "Accuracy")
    assert list(loss_ax.get_xticks()) == [1, 2, 3, 4]
    labels = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert labels[:2] == ["training", "validation"]
    assert "best validation (epoch 3)" in labels  # lowest val_loss
    acc_labels = [t.get_text() for t in acc_ax.get_legend().get_texts()]
    assert "best validation (epoch 3)" in acc_labels  # highest val_accuracy
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [1, 2, 3, 4])


def test_plot_learning_curves_without_validation_and_one_epoch(tmp_path):
    fig = viz.plot_learning_curves({"loss": [0.7], "accuracy": [0.75]})
    render(fig, tmp_path, "one_epoch")
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert list(ax.get_xticks()) == [1]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["training"]


def test_plot_learning_curves_other_metrics_and_history_objects(tmp_path):
    history = types.SimpleNamespace(
        history={**HISTORY, "learning_rate": [1e-3, 1e-3, 5e-4, 5e-4], "val_mae": [3, 2, 1, 1]}
    )
    fig = viz.plot_learning_curves(history)
    render(fig, tmp_path, "more_metrics")
    assert [ax.get_title() for ax in visible_axes(fig)] == [
        "Loss",
        "Accuracy",
        "Learning rate",
        "Mae",
    ]
    with pytest.raises(ValueError, match="empty"):
        viz.plot_learning_curves({})
    with pytest.raises(TypeError):
        viz.plot_learning_curves([0.1, 0.2])


# --- confusion -------------------------------------------------------------------------------


def test_confusion_matrix_by_hand():
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 0, 1, 2, 2, 0, 0, 2]
    expected = np.array([[2, 1, 0], [0, 1, 1], [2, 0, 2]])
    got = confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(confusion_matrix(y_true, y_pred), expected)  # classes inferred
    np.testing.assert_array_equal(
        confusion_matrix(y_true, np.eye(3)[y_pred] * 0.9, 3), expected
    )  # scores
    np.testing.assert_array_equal(confusion_matrix([0, 1], [1, 1], 4)[:, 2:], np.zeros((4, 2)))
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix([0, 3], [0, 1], 3)
    with pytest.raises(ValueError, match="labels but"):
        confusion_matrix([0, 1], [0], 2)


def test_most_confused_by_hand():
    names = ["cat", "dog", "fox"]
    y_true = [0, 0, 0, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 0, 1, 2, 2, 0, 0, 2]
    assert most_confused(y_true, y_pred, names) == [
        ("fox", "cat", 2),
        ("cat", "dog", 1),
        ("dog", "fox", 1),
    ]
    assert most_confused(y_true, y_pred, names, top=1) == [("fox", "cat", 2)]
    assert most_confused([0, 1, 2], [0, 1, 2], names) == []


def test_plot_confusion_matrix(data, fake_probs, tmp_path):
    predicted = fake_probs.argmax(axis=1)
    fig = viz.plot_confusion_matrix(data.y_test, predicted, data.class_names)
    render(fig, tmp_path, "confusion")
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the matrix and its colorbar
    assert [t.get_text() for t in ax.get_xticklabels()] == list(data.class_names)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(data.class_names)
    assert all(t.get_rotation() == 45 for t in ax.get_xticklabels())
    counts = confusion_matrix(data.y_test, predicted, 10)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 100
    assert texts[0] == str(counts[0, 0])
    darkest = np.unravel_index(counts.argmax(), counts.shape)
    assert to_hex(ax.texts[darkest[0] * 10 + darkest[1]].get_color()) == "#ffffff"
    accuracy = 100 * np.trace(counts) / counts.sum()
    assert f"{accuracy:.1f}%" in fig.get_suptitle()

    fig = viz.plot_confusion_matrix(data.y_test, predicted, data.class_names, normalize=True)
    render(fig, tmp_path, "confusion_normalized")
    row = [t.get_text() for t in fig.axes[0].texts[:10]]
    assert row[0] == f"{counts[0, 0] / counts[0].sum():.2f}"


def test_plot_most_confused(data, fake_probs, tmp_path):
    predicted = fake_probs.argmax(axis=1)
    pairs = most_confused(data.y_test, predicted, data.class_names, top=4)
    fig = viz.plot_most_confused(data.y_test, predicted, data.class_names, top=4)
    render(fig, tmp_path, "most_confused")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [f"{t}  →  {p}" for t, p, _ in pairs]
    fig = viz.plot_most_confused(
        data.y_test, predicted, data.class_names, top=3, images=data.x_test, examples=4
    )
    render(fig, tmp_path, "most_confused_images")
    assert len(fig.axes) == 12
    assert len(fig.subfigs) == 3


# --- weights and networks --------------------------------------------------------------------


def test_plot_linear_weights_from_a_kernel(data, tmp_path):
    kernel = np.random.default_rng(0).normal(size=(784, 10))
    kernel[0, 3] = -5.0
    fig = viz.plot_linear_weights(kernel, data.class_names)
    render(fig, tmp_path, "weights_kernel")
    panels = [ax for ax in fig.axes if ax.get_images()]
    assert len(panels) == 10
    assert len(fig.axes) == 11  # plus one shared colorbar
    assert [ax.get_title() for ax in panels] == list(data.class_names)
    for ax in panels:
        assert ax.get_images()[0].get_clim() == (-5.0, 5.0)
    np.testing.assert_allclose(panels[3].get_images()[0].get_array(), kernel[:, 3].reshape(28, 28))
    with pytest.raises(ValueError, match="pixels"):
        viz.plot_linear_weights(np.zeros((100, 10)))


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_plot_linear_weights_from_a_keras_model(data, linear_model, tmp_path):
    fig = viz.plot_linear_weights(linear_model, data.class_names)
    render(fig, tmp_path, "weights_model")
    kernel = linear_model.layers[-1].get_weights()[0]
    panels = [ax for ax in fig.axes if ax.get_images()]
    np.testing.assert_allclose(
        panels[9].get_images()[0].get_array(), kernel[:, 9].reshape(28, 28), rtol=1e-6
    )
    limit = float(np.abs(kernel).max())
    assert panels[0].get_images()[0].get_clim() == pytest.approx((-limit, limit))


def test_plot_network_from_sizes(tmp_path):
    fig = viz.plot_network([784, 128, 10], activations=["relu", "softmax"])
    render(fig, tmp_path, "network_sizes")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "784 inputs" in texts
    assert "128 neurons\nactivation: relu" in texts
    assert "$x_{784}$" in texts and "$x_{4}$" not in texts  # trimmed: first 3, "...", last 3
    assert "101,770" in fig.get_suptitle()
    circles = [p for p in fig.axes[0].patches if p.get_radius() > 0.1]
    assert len(circles) == 6 + 6 + 6
    small = viz.plot_network([2, 3, 1], max_neurons=8)
    assert len([p for p in small.axes[0].patches if p.get_radius() > 0.1]) == 6


def test_plot_network_from_a_keras_model(data, keras, linear_model, tmp_path):
    fig = viz.plot_network(linear_model, class_names=data.class_names)
    render(fig, tmp_path, "network_model")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "784 inputs\n(28×28 pixels)" in texts
    assert "10 neurons\nactivation: linear" in texts
    assert "Ankle boot" in texts and "T-shirt/top" in texts
    assert "7,850" in fig.get_suptitle()

    mlp = keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10),
            keras.layers.Softmax(),
        ]
    )
    texts = [t.get_text() for t in viz.plot_network(mlp).axes[0].texts]
    assert "32 neurons\nactivation: relu\ndropout 0.2" in texts
    assert "10 neurons\nactivation: softmax" in texts

    cnn = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(2, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    with pytest.raises(ValueError, match="Conv2D"):
        viz.plot_network(cnn)


def test_plot_activations(tmp_path):
    fig = viz.plot_activations()
    render(fig, tmp_path, "activations")
    titles = [ax.get_title().split("\n")[0] for ax in fig.axes]
    assert titles == ["ReLU", "tanh", "sigmoid", "softmax"]
    relu = fig.axes[0].lines[-1]
    np.testing.assert_allclose(relu.get_ydata(), np.maximum(0, relu.get_xdata()))
    heights = [p.get_height() for p in fig.axes[3].patches]
    assert sum(heights) == pytest.approx(1.0)
    assert heights == sorted(heights, reverse=True)
    fig = viz.plot_activations(["step", "leaky_relu", "swish"], columns=2)
    render(fig, tmp_path, "activations_more")
    assert len(visible_axes(fig)) == 3
    with pytest.raises(ValueError, match="Unknown activation 'relu6'"):
        viz.plot_activations(["relu6"])


# --- live curves and lazy imports ------------------------------------------------------------


def test_live_learning_curves_in_a_real_fit(data, keras, tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    live = viz.live_learning_curves()
    assert isinstance(live, keras.callbacks.Callback)
    assert isinstance(live, viz.LiveLearningCurves)
    assert live.display is False  # not in a notebook: collect only
    model.fit(
        data.x_train[:64] / 255,
        data.y_train[:64],
        epochs=1,
        batch_size=32,
        validation_split=0.25,
        callbacks=[live],
        verbose=0,
    )
    assert live.epochs == 1 and live.redraws == 0
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(live.history)
    assert all(len(v) == 1 for v in live.history.values())
    render(live.figure(), tmp_path, "live")


def test_live_learning_curves_redraw_in_a_notebook(monkeypatch):
    shown = []
    ipython = types.ModuleType("IPython")
    display = types.ModuleType("IPython.display")
    display.Image = lambda data: ("image", data)
    display.display = shown.append
    display.clear_output = lambda wait=False: shown.append(("clear", wait))
    ipython.display = display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)

    live = live_module.LiveLearningCurves(every=2, display=True)
    live.on_train_begin()
    for epoch, loss in enumerate([0.9, 0.7, 0.6]):
        logs = {"loss": loss, "val_loss": loss + 0.1} if epoch else {"loss": loss}
        live.on_epoch_end(epoch, logs)
    live.on_train_end()
    assert live.redraws == 2  # after epoch 2, and at the end (epoch 3)
    assert shown[0] == ("clear", True)
    assert shown[1][0] == "image" and shown[1][1][:4] == b"\x89PNG"
    assert np.isnan(live.history["val_loss"][0])
    assert live.history["val_loss"][1:] == pytest.approx([0.8, 0.7])


def test_importing_viz_does_not_import_keras():
    code = (
        "import sys, brainkit.viz as v\n"
        "import brainkit.viz.live, brainkit.viz.metrics, brainkit.viz.network\n"
        "import brainkit.viz.predictions, brainkit.viz.weights\n"
        "v.plot_learning_curves, v.plot_network, v.plot_linear_weights, v.live_learning_curves\n"
        "assert 'keras' not in sys.modules, 'keras was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


MINE = [
    "plot_prediction",
    "plot_predictions_grid",
    "plot_worst_mistakes",
    "plot_learning_curves",
    "confusion_matrix",
    "plot_confusion_matrix",
    "most_confused",
    "plot_most_confused",
    "plot_linear_weights",
    "plot_network",
    "plot_activations",
    "live_learning_curves",
]


@pytest.mark.parametrize("name", MINE)
def test_exported_from_brainkit_viz(name):
    assert name in viz.__all__
    assert callable(getattr(viz, name))
