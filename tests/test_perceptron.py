"""The hot-dog perceptron of Deep Learning Illustrated, ch. 6."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from brainkit.errors import BrainkitError
from brainkit.perceptron import (
    CLASS_NAMES,
    FitResult,
    Perceptron,
    PerceptronError,
    SigmoidNeuron,
    format_table,
    hotdog_truth_table,
    is_linearly_separable,
    load_hotdog_dataset,
    make_hotdog_data,
    sigmoid,
    step,
    train_perceptron,
    xor_data,
)

# (ketchup, mustard, bun) -> (weighted sum, book's verdict), with weights 6, 2, 3 and threshold 4.
BOOK_EXAMPLES = [
    ((1, 1, 0), 8, 1),  # ketchup and mustard, no bun: 8 > 4, hot dog
    ((0, 1, 0), 2, 0),  # mustard only: 2 <= 4, not a hot dog
    ((1, 0, 1), 9, 1),  # ketchup and bun: 9 > 4
    ((0, 0, 1), 3, 0),  # bun only: 3 <= 4
    ((0, 1, 1), 5, 1),  # mustard and bun: 5 > 4
    ((1, 0, 0), 6, 1),
    ((0, 0, 0), 0, 0),
    ((1, 1, 1), 11, 1),
]


# --------------------------------------------------------------------------- the book's arithmetic


@pytest.mark.parametrize(("x", "total", "label"), BOOK_EXAMPLES)
def test_book_examples(x, total, label):
    p = Perceptron()
    assert p.weighted_sum(x) == total
    assert p.predict(x) == label
    assert p.verdict(x) == ("hot dog" if label else "not a hot dog")
    assert isinstance(p.predict(x), int)


def test_defaults_and_bias():
    p = Perceptron()
    assert p.weights.tolist() == [6, 2, 3]
    assert p.threshold == 4
    assert p.bias == -4
    assert p.input_names == ("ketchup", "mustard", "bun")
    assert "6, 2, 3" in repr(p)


def test_batch_and_dict_inputs():
    p = Perceptron()
    X = np.array([x for x, _, _ in BOOK_EXAMPLES])
    out = p.predict(X)
    assert out.dtype == np.uint8
    assert out.tolist() == [label for _, _, label in BOOK_EXAMPLES]
    assert p.weighted_sum(X).tolist() == [t for _, t, _ in BOOK_EXAMPLES]
    assert p.predict({"ketchup": True, "mustard": True, "bun": False}) == 1
    assert p.predict([True, False, False]) == 1
    assert p.predict([1.0, 0.0, 0.0]) == 1


def test_strictly_greater_at_the_threshold():
    # Weighted sum equal to the threshold: NOT a hot dog (strict ">").
    p = Perceptron(threshold=8)
    assert p.weighted_sum([1, 1, 0]) == 8
    assert p.predict([1, 1, 0]) == 0
    assert p.z([1, 1, 0]) == 0
    assert "not enough" in p.explain([1, 1, 0])
    assert step(0.0) == 0 and step(1e-9) == 1


def test_bias_form_equals_threshold_form():
    rng = np.random.default_rng(0)
    X, _ = hotdog_truth_table()
    for _ in range(50):
        w = rng.normal(size=3) * 5
        t = float(rng.normal() * 5)
        p = Perceptron(w, t)
        bias_form = (X @ p.weights + p.bias > 0).astype(np.uint8)
        threshold_form = (X @ p.weights > p.threshold).astype(np.uint8)
        assert np.array_equal(p.predict(X), bias_form)
        assert np.array_equal(bias_form, threshold_form)


def test_explain_walks_through_the_numbers():
    text = Perceptron().explain([1, 1, 0])
    for piece in (
        "ketchup",
        "mustard",
        "bun",
        "6 + 2 + 0 = 8",
        "8 > 4",
        "hot dog",
        "b = -threshold = -4",
        "8 + (-4) = 4",
    ):
        assert piece in text, piece
    text = Perceptron().explain({"ketchup": 0, "mustard": 1, "bun": 0})
    assert "0 + 2 + 0 = 2" in text
    assert "2 is not greater than the threshold 4" in text
    assert "not a hot dog" in text
    assert "2 + (-4) = -2" in text


def test_explain_negative_and_fractional_weights():
    text = Perceptron((6, -2.5, 3), 4).explain([1, 1, 1])
    assert "6 + (-2.5) + 3 = 6.5" in text
    assert "6.5 > 4" in text


def test_truth_table():
    X, y = hotdog_truth_table()
    assert X.shape == (8, 3) and X.dtype == np.uint8
    assert y.dtype == np.uint8
    assert len({tuple(r) for r in X}) == 8
    # With the book's weights: a hot dog is "ketchup, or mustard with a bun".
    expected = X[:, 0] | (X[:, 1] & X[:, 2])
    assert np.array_equal(y, expected)
    table = format_table(Perceptron(), X, y)
    assert "sigmoid(z)" in table and "NO" not in table


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ([1, 0], "3 inputs"),
        ([1, 0, 1, 1], "3 inputs"),
        ([1, 2, 0], "must be 0 or 1"),
        ([1, -1, 0], "must be 0 or 1"),
        ([1, float("nan"), 0], "must be 0 or 1"),
        (["a", "b", "c"], "0 or 1"),
        ("110", "got '110'"),
        (1, "3 inputs.*got a single number"),
        ({"ketchup": 1, "mustard": 1}, "missing 'bun'"),
        ({"ketchup": 1, "mustard": 1, "bun": 0, "relish": 1}, "unknown 'relish'"),
        ([[1, 0, 1], [1, 0]], "a list of 3 values per example"),
        ([[1, 0, 1], [1, 5, 0]], "got 5 for mustard in example 1"),
    ],
)
def test_bad_inputs(bad, words):
    with pytest.raises(PerceptronError, match=words) as info:
        Perceptron().predict(bad)
    assert isinstance(info.value, BrainkitError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        ((6, 2), "Expected 3 weights"),
        (("a", "b", "c"), "flat list of numbers"),
        ("6,2,3", "flat list of numbers"),
        ((6, float("inf"), 3), "finite"),
        ((), "one number per input"),
        (5, "one number per input"),
    ],
)
def test_bad_weights(weights, words):
    with pytest.raises(PerceptronError, match=words):
        Perceptron(weights, input_names=("ketchup", "mustard", "bun"))


def test_bad_threshold_and_names():
    with pytest.raises(PerceptronError, match="threshold"):
        Perceptron(threshold=float("nan"))
    with pytest.raises(PerceptronError, match="threshold"):
        Perceptron(threshold="4")  # type: ignore[arg-type]
    with pytest.raises(PerceptronError, match="list of different names"):
        Perceptron(input_names="abc")
    with pytest.raises(PerceptronError, match="different"):
        Perceptron(input_names=("a", "a", "b"))


def test_bad_fit_arguments():
    X, y = hotdog_truth_table()
    p = Perceptron()
    with pytest.raises(PerceptronError, match=r"one per example \(8 here\)"):
        p.fit(X, y[:5])
    with pytest.raises(PerceptronError, match="Labels must be 0 or 1"):
        p.fit(X, y * 2)
    with pytest.raises(PerceptronError, match="learning_rate"):
        p.fit(X, y, learning_rate=0)
    with pytest.raises(PerceptronError, match="epochs"):
        p.fit(X, y, epochs=0)
    with pytest.raises(PerceptronError, match="single example"):
        p.fit([1, 1, 0], [1])
    with pytest.raises(PerceptronError, match="Expected 3 weights"):
        p.fit(X, y, initial_weights=(1, 2))
    with pytest.raises(PerceptronError, match="no examples"):
        p.fit(np.zeros((0, 3)), [])
    with pytest.raises(PerceptronError, match="seed"):
        p.fit(X, y, seed=-1)
    with pytest.raises(TypeError):
        p.fit(X, y, 0.5)  # the options are keyword-only
    with pytest.raises(PerceptronError, match="table of examples"):
        train_perceptron([1, 1, 0], [1])


def test_check_inputs():
    p = Perceptron()
    one = p.check_inputs({"bun": True, "ketchup": 1, "mustard": 0})
    assert one.dtype == np.uint8 and one.tolist() == [1, 0, 1]  # in input order
    assert p.check_inputs([[1, 1, 0], [0, 0, 1]]).shape == (2, 3)


# --------------------------------------------------------------------------- learning


def test_learning_from_zeros_finds_a_separating_solution():
    X, y = hotdog_truth_table()
    p = Perceptron()
    result = p.fit(X, y)
    assert isinstance(result, FitResult)
    assert result.converged and not result.cycled
    assert result.initial_weights == (0, 0, 0) and result.initial_bias == 0
    assert result.errors_per_epoch[-1] == 0
    assert len(result.errors_per_epoch) == result.epochs_run
    assert sum(result.errors_per_epoch) == len(result.updates)
    assert np.array_equal(result.perceptron.predict(X), y)
    assert result.accuracy == 1.0
    # fit() leaves the learned weights in the perceptron
    assert np.array_equal(p.predict(X), y)
    assert p.weights.tolist() == list(result.weights)
    assert p.threshold == -result.bias
    assert "Converged" in result.summary()


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 7, 42, 123])
def test_learning_from_random_starts(seed):
    X, y = hotdog_truth_table()
    result = train_perceptron(X, y, seed=seed)
    assert result.converged
    assert np.array_equal(result.perceptron.predict(X), y)
    again = train_perceptron(X, y, seed=seed)
    assert again.weights == result.weights  # the seed makes it reproducible
    assert result.initial_weights != (0.0, 0.0, 0.0)


def test_learning_rate_and_shuffle():
    X, y = hotdog_truth_table()
    for lr in (0.1, 0.5, 2.0):
        for shuffle in (False, True):
            result = train_perceptron(X, y, learning_rate=lr, seed=5, shuffle=shuffle)
            assert result.converged
            assert np.array_equal(result.perceptron.predict(X), y)


def test_history_records_every_update_and_replays():
    X, y = hotdog_truth_table()
    result = train_perceptron(X, y, seed=4, learning_rate=0.5)
    assert result.updates, "expected some mistakes from a random start"
    w, b = np.array(result.initial_weights), result.initial_bias
    for u in result.updates:
        assert u.prediction != u.target
        assert u.inputs == tuple(X[u.index])
        assert u.target == y[u.index]
        assert np.allclose(u.weights_before, w) and u.bias_before == pytest.approx(b)
        # Rosenblatt's rule, by hand:
        w = w + 0.5 * (u.target - u.prediction) * np.array(u.inputs)
        b = b + 0.5 * (u.target - u.prediction)
        assert np.allclose(u.weights_after, w) and u.bias_after == pytest.approx(b)
        assert "epoch" in u.describe()
    assert np.allclose(w, result.weights) and b == pytest.approx(result.bias)
    replayed = list(result.replay())
    assert len(replayed) == len(result.updates)
    assert np.allclose(replayed[-1][1], result.weights)
    assert replayed[-1][2] == pytest.approx(result.bias)
    assert len(result.states()) == len(result.updates) + 1


def test_starting_from_the_book_needs_no_updates():
    X, y = hotdog_truth_table()
    result = train_perceptron(X, y, initial_weights=(6, 2, 3), initial_bias=-4)
    assert result.converged and result.epochs_run == 1 and result.updates == ()


def test_stops_after_epochs_without_converging():
    X, y = hotdog_truth_table()
    result = train_perceptron(X, y, epochs=2)
    assert not result.converged and result.epochs_run == 2
    assert "Try more epochs" in result.summary()


def test_xor_cannot_be_learned():
    X, y = xor_data()
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 1, 0]
    result = train_perceptron(X, y)
    assert not result.converged
    assert result.cycled and result.cycle_epochs is not None
    assert result.accuracy < 1.0
    assert "cannot learn" in result.summary()
    # Without the cycle check it keeps going for all the epochs, still failing.
    result = train_perceptron(X, y, epochs=300, stop_on_cycle=False)
    assert not result.converged and result.epochs_run == 300
    assert all(e > 0 for e in result.errors_per_epoch)
    for seed in range(5):
        assert not train_perceptron(X, y, seed=seed, epochs=200).converged


def test_is_linearly_separable():
    assert is_linearly_separable(*hotdog_truth_table())
    assert not is_linearly_separable(*xor_data())
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    assert is_linearly_separable(X, [0, 0, 0, 1])  # AND
    assert is_linearly_separable(X, [0, 1, 1, 1])  # OR
    assert not is_linearly_separable(X, [1, 0, 0, 1])  # XNOR


# --------------------------------------------------------------------------- data


def test_make_hotdog_data():
    X, y = make_hotdog_data(n=200, noise=0.1, seed=0)
    assert X.shape == (200, 3) and X.dtype == np.uint8 and set(np.unique(X)) <= {0, 1}
    clean = Perceptron().predict(X)
    assert int(np.sum(clean != y)) == 20  # exactly 10 % flipped
    X2, y2 = make_hotdog_data(n=200, noise=0.1, seed=0)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    Xc, yc = make_hotdog_data(n=50, noise=0.0, seed=3)
    assert np.array_equal(Perceptron().predict(Xc), yc)
    with pytest.raises(PerceptronError, match="noise"):
        make_hotdog_data(noise=0.9)
    with pytest.raises(PerceptronError, match="n must"):
        make_hotdog_data(n=0)


def test_datasets_own_the_table_and_do_not_import_the_perceptron():
    code = (
        "import sys\n"
        "from brainkit import datasets\n"
        "data = datasets.load('hotdog')\n"
        "assert 'brainkit.perceptron' not in sys.modules, 'datasets imported the perceptron'\n"
        "print(data.x_train.tolist(), data.y_train.tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    X, y = hotdog_truth_table()
    assert out.stdout.strip() == f"{X.tolist()} {y.tolist()}"


def test_load_hotdog_dataset():
    data = load_hotdog_dataset(data_dir=None, download=None, cache=True, mmap=False, quiet=False)
    X, y = hotdog_truth_table()
    assert data.name == "hotdog"
    assert np.array_equal(data.x_train, X) and np.array_equal(data.x_test, X)
    assert np.array_equal(data.y_train, y) and np.array_equal(data.y_test, y)
    assert data.class_names == CLASS_NAMES == ("not hot dog", "hot dog")
    assert data.source == "embedded"
    assert data.input_shape == (3,)


# --------------------------------------------------------------------------- sigmoid neuron


def test_sigmoid():
    assert sigmoid(0) == 0.5
    z = np.linspace(-50, 50, 1001)
    s = sigmoid(z)
    assert np.all(np.diff(s) >= 0) and np.all(np.diff(s[400:600]) > 0)
    assert np.all((s >= 0) & (s <= 1))
    assert np.allclose(sigmoid(-z), 1 - s)
    assert sigmoid(1000.0) == 1.0 and sigmoid(-1000.0) == 0.0  # no overflow warning
    assert sigmoid(4.0) == pytest.approx(0.98201379)


def test_sigmoid_neuron_matches_the_perceptron():
    p = Perceptron()
    n = SigmoidNeuron.from_perceptron(p)
    assert n.bias == -4 and n.weights.tolist() == [6, 2, 3]
    X, y = hotdog_truth_table()
    out = n.output(X)
    assert np.allclose(out, sigmoid(X @ p.weights + p.bias))
    assert np.array_equal(n.predict(X), p.predict(X))
    assert n([1, 1, 0]) == pytest.approx(sigmoid(4))
    assert n.output([0, 0, 0]) < 0.5 < n.output([1, 1, 0])
    # More ketchup, more hot-dog-ness: monotonic in each positive weight.
    amounts = np.linspace(0, 1, 11)
    ketchup = n.output(np.column_stack([amounts, np.zeros(11), np.zeros(11)]))
    assert np.all(np.diff(ketchup) > 0)
    # 0.5 exactly at z = 0
    assert SigmoidNeuron((1, 1, 1), bias=-2).output([1, 1, 0]) == 0.5
    assert "sigmoid(4)" in n.explain([1, 1, 0])
    with pytest.raises(PerceptronError):
        n.output([1, 2])


def test_importing_does_not_import_keras():
    code = "import sys, brainkit.perceptron; assert 'keras' not in sys.modules, 'keras imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- keras


def test_keras_neuron_equals_the_sigmoid_neuron():
    from brainkit.perceptron import keras_neuron

    model = keras_neuron()
    X, _ = hotdog_truth_table()
    keras_out = np.asarray(model.predict(X.astype("float32"), verbose=0)).reshape(-1)
    assert np.allclose(keras_out, SigmoidNeuron().output(X), atol=1e-5)
    assert model.count_params() == 4


@pytest.mark.slow  # compiling the training step takes 5-15 s on a small CPU
def test_keras_neuron_trains_on_the_truth_table():
    from brainkit.perceptron import train_keras_neuron

    model, accuracy = train_keras_neuron(epochs=300, seed=0)
    assert accuracy == 1.0
    X, y = hotdog_truth_table()
    pred = (np.asarray(model.predict(X.astype("float32"), verbose=0)).reshape(-1) > 0.5).astype(int)
    assert pred.tolist() == y.tolist()
