"""Rosenblatt's perceptron and the hot-dog detector of *Deep Learning Illustrated*, ch. 6.

Tutorial: :ref:`tutorial-perceptron`. Only the two ``keras`` functions import Keras.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from brainkit.datasets.hotdog import CLASS_NAMES, load_hotdog_dataset, truth_table
from brainkit.datasets.hotdog import INPUT_NAMES as HOTDOG_INPUTS
from brainkit.datasets.hotdog import THRESHOLD as BOOK_THRESHOLD
from brainkit.datasets.hotdog import WEIGHTS as BOOK_WEIGHTS
from brainkit.errors import BrainkitError
from brainkit.runtime import import_keras, seed_everything

__all__ = ["BOOK_THRESHOLD", "BOOK_WEIGHTS", "CLASS_NAMES", "HOTDOG_INPUTS", "FitResult",
           "Perceptron", "PerceptronError", "SigmoidNeuron", "Update", "format_table",
           "hotdog_truth_table", "is_linearly_separable", "keras_neuron", "load_hotdog_dataset",
           "make_hotdog_data", "sigmoid", "step", "train_keras_neuron", "train_perceptron",
           "xor_data"]


class PerceptronError(BrainkitError, ValueError):
    """Bad weights, inputs or labels for a perceptron; the message names the fix."""


def _number(value: Any, what: str, *, whole: bool = False, low: float = -math.inf,
            high: float = math.inf, positive: bool = False) -> Any:
    """``value`` as a float (an int when ``whole``) in ``[low, high]``, > 0 if ``positive``."""
    kinds = (int, np.integer) if whole else (int, float, np.integer, np.floating)
    ok = isinstance(value, kinds) and not isinstance(value, (bool, np.bool_))
    if ok and math.isfinite(value) and low <= value <= high and (value > 0 or not positive):
        return int(value) if whole else float(value)
    wanted = "a whole number" if whole else "a finite number"
    if positive or low > -math.inf:
        wanted += " greater than 0" if positive else f" >= {low:g}"
        wanted += f" and <= {high:g}" if high < math.inf else ""
    raise PerceptronError(f"{what} must be {wanted}, got {value!r}.")


def _array(x: Any) -> np.ndarray:
    """``np.asarray(x)``, or a 0-d object array for ragged rows (not a table of numbers)."""
    try:
        return np.asarray(x)
    except (TypeError, ValueError):
        return np.asarray(None)


def _weights(weights: Any, names: Sequence[str] | None = None) -> np.ndarray:
    """``weights`` as a new 1-D float array; with ``names``, exactly one weight per name."""
    w = _array(weights)
    fix = "Give one number per input, e.g. (6, 2, 3)."
    if w.dtype.kind not in "biuf" or w.ndim != 1 or w.size == 0:
        raise PerceptronError(f"Weights must be a flat list of numbers, got {weights!r}. {fix}")
    if names is not None and w.size != len(names):
        raise PerceptronError(f"Expected {len(names)} weights, one per input "
                              f"({', '.join(names)}), got {w.size}.")
    if not np.isfinite(w).all():
        raise PerceptronError(f"Weights must be finite numbers, got {weights!r}. {fix}")
    return w.astype(float)


def _examples(x: Any, names: Sequence[str], what: str = "inputs", *,
              binary: bool = True) -> tuple[np.ndarray, bool]:
    """Check one example (a list or ``{name: value}``) or a table; return 2-D rows, and "one?"."""
    n = len(names)
    kind = "0 or 1 (or True/False)" if binary else "finite numbers"
    if isinstance(x, Mapping):
        wrong = [f"missing {k!r}" for k in names if k not in x]
        wrong += [f"unknown {k!r}" for k in x if k not in names]
        if wrong:
            raise PerceptronError(f"The {what} name the wrong things ({', '.join(wrong)}). "
                                  f"Give one value for each of: {', '.join(names)}.")
        x = [x[k] for k in names]
    arr = _array(x)
    example = str(([1, 0] * n)[:n])
    if arr.dtype.kind not in "biuf":  # text, None, ragged rows...
        raise PerceptronError(f"The {what} must be {kind}: a list of {n} values per example, "
                              f"got {x!r}. Give e.g. {example}.")
    if arr.ndim not in (1, 2) or arr.shape[-1] != n:
        got = "a single number" if arr.ndim == 0 else f"shape {arr.shape}"
        raise PerceptronError(f"There are {n} inputs ({', '.join(names)}): give {n} values, e.g. "
                              f"{example}, or a table with one such row per example; got {got}.")
    rows = arr.reshape(-1, n)
    bad = ~np.isin(rows, (0, 1)) if binary else ~np.isfinite(rows)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        where = names[c] if arr.ndim == 1 else f"{names[c]} in example {r}"
        raise PerceptronError(f"The {what} must be {kind}; got {rows[r, c].item()!r} for {where}.")
    return rows.astype(np.uint8 if binary else float), arr.ndim == 1


def _labels(y: Any, m: int) -> np.ndarray:
    arr = _array(y)
    ok = arr.ndim == 1 and arr.dtype.kind in "biuf" and len(arr) == m
    if not (ok and np.isin(arr, (0, 1)).all()):
        raise PerceptronError("Labels must be 0 or 1 (1 = hot dog, 0 = not), one per example "
                              f"({m} here); got {y!r}.")
    return arr.astype(np.uint8)


def _width(X: Any) -> int:
    shape = _array(X).shape
    if len(shape) != 2 or 0 in shape:
        raise PerceptronError(f"X must be a table of examples, one row per example, got {X!r}.")
    return shape[1]


def _default_names(n: int) -> tuple[str, ...]:
    return HOTDOG_INPUTS if n == len(HOTDOG_INPUTS) else tuple(f"x{i + 1}" for i in range(n))


def _fmt(value: Any, paren: bool = False) -> str:
    """A number for learners (``6``, not ``6.0`` or ``-0``; ``(-2.5)`` if ``paren``) or a vector."""
    if np.ndim(value):
        return "(" + ", ".join(map(_fmt, value)) + ")"
    v = float(value) + 0.0
    text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"
    return f"({text})" if paren and v < 0 else text


def _scalar(out: np.ndarray) -> Any:
    """A Python number for a 0-d result, the array otherwise."""
    return out.item() if out.ndim == 0 else out


def step(z: Any) -> Any:
    """The perceptron's step: 1 where ``z = w.x + b > 0`` (strictly), else 0 (int or uint8)."""
    return _scalar((np.asarray(z, dtype=float) > 0).astype(np.uint8))


def sigmoid(z: Any) -> Any:
    """The logistic sigmoid ``1 / (1 + exp(-z))`` of ``z = w.x + b`` (0.5 at 0), no overflow."""
    try:
        arr = np.asarray(z, dtype=float)
    except (TypeError, ValueError):
        raise PerceptronError(f"sigmoid needs numbers, got {z!r}.") from None
    return _scalar(0.5 * (1.0 + np.tanh(0.5 * arr)))  # the same curve; tanh cannot overflow


@dataclass(frozen=True)
class Update:
    """One change of the weights by Rosenblatt's rule, made after a mistake."""

    epoch: int  #: The pass over the data, from 1.
    index: int  #: The example's row in ``X``, from 0.
    inputs: tuple[int, ...]  #: The example's 0/1 inputs.
    target: int  #: Its label.
    prediction: int  #: What the perceptron said instead.
    weights_before: tuple[float, ...]  #: The weights before the update.
    bias_before: float  #: The bias (``-threshold``) before the update.
    weights_after: tuple[float, ...]  #: The weights after the update.
    bias_after: float  #: The bias after the update.

    @property
    def delta(self) -> tuple[tuple[float, ...], float]:
        """The change ``(weights_after - weights_before, bias_after - bias_before)``."""
        dw = tuple(a - b for a, b in zip(self.weights_after, self.weights_before, strict=True))
        return dw, self.bias_after - self.bias_before

    def describe(self, input_names: Sequence[str] | None = None) -> str:
        """One line: which example, the mistake, and the new weights and bias."""
        names = tuple(input_names or _default_names(len(self.inputs)))
        shown = ", ".join(f"{n}={v}" for n, v in zip(names, self.inputs, strict=True))
        way = "up" if self.target > self.prediction else "down"
        return (f"epoch {self.epoch}, example {self.index} ({shown}): target {self.target}, "
                f"said {self.prediction} -> nudge {way}: w = {_fmt(self.weights_after)}, "
                f"b = {_fmt(self.bias_after)}")


@dataclass(frozen=True, eq=False)
class FitResult:
    """What happened while a perceptron learned: every update, epoch by epoch."""

    converged: bool  #: Whether an epoch went by without a mistake.
    epochs_run: int  #: The epochs run, including that last one.
    updates: tuple[Update, ...]  #: Every update, in order (:meth:`replay` re-applies them).
    errors_per_epoch: tuple[int, ...]  #: The mistakes made in each epoch.
    initial_weights: tuple[float, ...]  #: The weights at the start.
    initial_bias: float  #: The bias at the start.
    weights: tuple[float, ...]  #: The learned weights.
    bias: float  #: The learned bias.
    learning_rate: float  #: The step size of the rule.
    X: np.ndarray  #: The 0/1 examples learned from.
    y: np.ndarray  #: Their 0/1 labels.
    input_names: tuple[str, ...]  #: The name of each input.
    cycled: bool = False  #: Whether earlier weights came back: the rule would cycle forever.
    #: ``(first, again)``: epoch ``again`` started with the weights of epoch ``first``; or None.
    cycle_epochs: tuple[int, int] | None = None

    @property
    def threshold(self) -> float:
        """The learned threshold, ``-bias``."""
        return -self.bias

    @property
    def perceptron(self) -> Perceptron:
        """A :class:`Perceptron` with the learned weights and threshold."""
        return Perceptron(self.weights, -self.bias, self.input_names)

    @property
    def accuracy(self) -> float:
        """Fraction of the training examples the learned weights get right."""
        return float(np.mean(self.perceptron.predict(self.X) == self.y))

    def states(self) -> list[tuple[tuple[float, ...], float]]:
        """Weights and bias at the start and after each update (``len(updates) + 1`` pairs)."""
        after = [(u.weights_after, u.bias_after) for u in self.updates]
        return [(self.initial_weights, self.initial_bias), *after]

    def replay(self) -> Iterator[tuple[Update, np.ndarray, float]]:
        """Re-apply the rule from the start: yield each update and the weights and bias it gives."""
        w, b = np.array(self.initial_weights), self.initial_bias
        for u in self.updates:
            delta = self.learning_rate * (u.target - u.prediction)
            w, b = w + delta * np.array(u.inputs), b + delta
            yield u, w.copy(), b

    def summary(self) -> str:
        """A few lines saying how learning went, for people."""
        n = len(self.updates)
        last = self.epochs_run
        if self.converged:
            outcome = (f"Converged: epoch {last} made no mistakes ({n} update{'s' * (n != 1)} "
                       f"in all). Learned w = {_fmt(self.weights)}, b = {_fmt(self.bias)} "
                       f"(threshold {_fmt(-self.bias)}).")
        elif self.cycle_epochs:
            first, again = self.cycle_epochs
            outcome = (f"Did NOT converge: the weights at the start of epoch {again} are the same "
                       f"as at the start of epoch {first}, so the rule would repeat the same "
                       "mistakes forever. No straight line separates these examples: one "
                       "perceptron cannot learn them.")
        else:
            outcome = (f"Did NOT converge in {last} epochs: epoch {last} still made "
                       f"{self.errors_per_epoch[-1]} mistake(s). Try more epochs.")
        return (f"Started from w = {_fmt(self.initial_weights)}, b = "
                f"{_fmt(self.initial_bias)}; learning rate {_fmt(self.learning_rate)}.\n"
                f"Mistakes per epoch: {', '.join(map(str, self.errors_per_epoch))}.\n{outcome}")


class Perceptron:
    """Rosenblatt's perceptron on 0/1 inputs: 1 when ``w.x > threshold``, else 0.

    Methods take one example (0/1 or True/False values, or a ``{name: value}`` dict) and give a
    number, or a table (a row per example) and give an array. Bad weights, threshold, names or
    inputs raise :class:`PerceptronError`.

    Parameters
    ----------
    weights : sequence of float
        One weight per input. Default: the book's ``(6, 2, 3)``.
    threshold : float
        Output 1 only when the weighted sum is *strictly greater*. Default ``4``.
    input_names : sequence of str, optional
        Different names, one per input. Default: ketchup, mustard, bun for 3 inputs, else x1, ...
    verdicts : (str, str), optional
        Words for 0 and 1. Default: "not a hot dog", "hot dog" (hot-dog inputs), else "output 0/1".
    """

    def __init__(self, weights: Sequence[float] = BOOK_WEIGHTS, threshold: float = BOOK_THRESHOLD,
                 input_names: Sequence[str] | None = None,
                 verdicts: tuple[str, str] | None = None) -> None:
        if input_names is None:
            input_names = _default_names(_weights(weights).size)
        if isinstance(input_names, str) or len(set(input_names)) != len(input_names):
            raise PerceptronError("input_names must be a list of different names, got "
                                  f"{input_names!r}. Give e.g. ('ketchup', 'mustard', 'bun').")
        self._names = tuple(map(str, input_names))
        self._weights = _weights(weights, self._names)
        self._threshold = _number(threshold, "The threshold")
        hot = self._names == HOTDOG_INPUTS
        verdicts = verdicts or (("not a hot dog", "hot dog") if hot else ("output 0", "output 1"))
        if len(verdicts) != 2:
            raise PerceptronError(f"verdicts must be two words (for 0 and 1), got {verdicts!r}.")
        self._verdicts = (str(verdicts[0]), str(verdicts[1]))

    @property
    def weights(self) -> np.ndarray:
        """The weights (a read-only copy)."""
        w = self._weights.copy()
        w.flags.writeable = False
        return w

    @property
    def threshold(self) -> float:
        """The threshold ``w.x`` must exceed."""
        return self._threshold

    @property
    def bias(self) -> float:
        """``b = -threshold``: the output is 1 if ``w.x + b > 0``."""
        return -self._threshold

    @property
    def input_names(self) -> tuple[str, ...]:
        """The name of each input."""
        return self._names

    @property
    def n_inputs(self) -> int:
        """How many inputs there are."""
        return len(self._names)

    @property
    def verdicts(self) -> tuple[str, str]:
        """The words for output 0 and output 1."""
        return self._verdicts

    def __repr__(self) -> str:
        w, t = _fmt(self._weights), _fmt(self._threshold)
        return f"Perceptron(weights={w}, threshold={t}, input_names={self._names!r})"

    def check_inputs(self, x: Any) -> np.ndarray:
        """Return inputs checked, as 0/1 ``uint8``, shape ``(n_inputs,)`` or ``(N, n_inputs)``."""
        rows, single = _examples(x, self._names)
        return rows[0] if single else rows

    def weighted_sum(self, x: Any) -> Any:
        """Return ``w.x``: each input times its weight, added up."""
        return _scalar(self.check_inputs(x) @ self._weights)

    def z(self, x: Any) -> Any:
        """Return ``z = w.x + b``, the bias form of the weighted sum."""
        return self.weighted_sum(x) + self.bias

    def predict(self, x: Any) -> Any:
        """Return 1 (e.g. hot dog) when ``w.x > threshold``, strictly, else 0."""
        return _scalar((np.asarray(self.weighted_sum(x)) > self._threshold).astype(np.uint8))

    def verdict(self, x: Any) -> str:
        """Return the verdict in words for one example, e.g. ``"hot dog"``."""
        out = self.predict(x)
        if not isinstance(out, int):
            raise PerceptronError("verdict() takes one example; use predict() for a batch.")
        return self._verdicts[out]

    def explain(self, inputs: Any) -> str:
        """Walk through the arithmetic for one example, as the book does."""
        x = self.check_inputs(inputs)
        if x.ndim != 1:
            raise PerceptronError("explain() walks through one example at a time; give one list.")
        products = x * self._weights
        total = float(products.sum())
        t, b = self._threshold, self.bias
        ws, ps = [_fmt(w) for w in self._weights], [_fmt(p) for p in products]
        wide = [max(map(len, column)) for column in (self._names, ws, ps)]
        lines = ["Each input times its weight:"] + [
            f"  {name:<{wide[0]}} = {xi}  x  weight {w:>{wide[1]}}  =  {p:>{wide[2]}}"
            for name, xi, w, p in zip(self._names, x, ws, ps, strict=True)]
        s, ts = _fmt(total), _fmt(t)
        terms = " + ".join(_fmt(p, paren=True) for p in products)
        lines.append(f"Weighted sum: w.x = {terms} = {s}")
        if total > t:
            cmp = f"{s} > {ts} (the threshold)"
        elif total == t:
            cmp = f"{s} equals the threshold {ts}, which is not enough (it must be greater)"
        else:
            cmp = f"{s} is not greater than the threshold {ts}"
        out = int(total > t)
        z = total + b
        lines.append(f"Threshold form: {cmp}, so the output is {out}: {self._verdicts[out]}.")
        zcmp = f"{_fmt(z)} > 0" if z > 0 else f"{_fmt(z)} is not greater than 0"
        lines.append(f"Bias form: b = -threshold = {_fmt(b)}, z = w.x + b = {s} + "
                     f"{_fmt(b, paren=True)} = {_fmt(z)}; {zcmp}, so the output is {out}: "
                     f"{self._verdicts[out]}.")
        return "\n".join(lines)

    def fit(self, X: Any, y: Any, *, learning_rate: float = 1.0, epochs: int = 100,
            seed: int | None = None, initial_weights: Sequence[float] | None = None,
            initial_bias: float | None = None, shuffle: bool = False,
            stop_on_cycle: bool = True) -> FitResult:
        """Learn new weights and threshold by Rosenblatt's rule; return the :class:`FitResult`.

        After each mistake, ``w += learning_rate * (y - yhat) * x`` and ``b += learning_rate *
        (y - yhat)``; the learned weights replace this perceptron's. Learning stops after an epoch
        without mistakes, after ``epochs``, or when an epoch starts with an earlier epoch's weights.

        Parameters
        ----------
        X, y : array_like
            0/1 examples, shape ``(N, n_inputs)``, and their 0/1 labels.
        learning_rate, epochs : float, int
            Size of each nudge (> 0); at most this many passes over the data.
        seed : int, optional
            Start from random weights and bias in [-1, 1] (2 decimals); it also drives ``shuffle``.
        initial_weights, initial_bias : sequence of float, float, optional
            Start from these instead (default: zeros, or random with ``seed``).
        shuffle, stop_on_cycle : bool
            Shuffle the examples every epoch; stop on a cycle (never when shuffling).
        """
        rows, single = _examples(X, self._names, "examples")
        if single or len(rows) == 0:
            got = "a single example" if single else "no examples"
            raise PerceptronError("fit() needs a table of examples, one row each, e.g. "
                                  f"[[1, 1, 0], [0, 1, 0]]; got {got}.")
        labels = _labels(y, len(rows))
        lr = _number(learning_rate, "learning_rate", positive=True)
        epochs = _number(epochs, "epochs", whole=True, low=1)
        if seed is not None:
            seed = _number(seed, "seed", whole=True, low=0)
        rng = np.random.default_rng(seed)
        start = np.zeros(self.n_inputs + 1)  # the weights, then the bias
        if seed is not None and initial_weights is None:
            start = np.round(rng.uniform(-1, 1, self.n_inputs + 1), 2)
        w = start[:-1] if initial_weights is None else _weights(initial_weights, self._names)
        b = float(start[-1]) if initial_bias is None else _number(initial_bias, "initial_bias")
        w0, b0 = tuple(w.tolist()), b
        updates: list[Update] = []
        errors_per_epoch: list[int] = []
        cycle = None
        seen = {tuple(np.round([*w0, b0], 9)): 1}  # epoch at whose start each (w, b) was
        for epoch in range(1, epochs + 1):
            errors = 0
            for i in rng.permutation(len(rows)) if shuffle else range(len(rows)):
                prediction, target = int(rows[i] @ w + b > 0), int(labels[i])
                if prediction == target:
                    continue
                delta = lr * (target - prediction)
                w_new, b_new = w + delta * rows[i], b + delta
                updates.append(Update(epoch, int(i), tuple(rows[i].tolist()), target, prediction,
                                      tuple(w.tolist()), b, tuple(w_new.tolist()), b_new))
                w, b = w_new, b_new
                errors += 1
            errors_per_epoch.append(errors)
            state = tuple(np.round([*w, b], 9))
            if errors and stop_on_cycle and not shuffle and state in seen:
                cycle = (seen[state], epoch + 1)
            if cycle or not errors:
                break
            seen[state] = epoch + 1
        self._weights, self._threshold = w, -b
        return FitResult(converged=not errors, epochs_run=epoch, updates=tuple(updates),
                         errors_per_epoch=tuple(errors_per_epoch), initial_weights=w0,
                         initial_bias=b0, weights=tuple(w.tolist()), bias=b, learning_rate=lr,
                         X=rows, y=labels, input_names=self._names, cycled=cycle is not None,
                         cycle_epochs=cycle)


def train_perceptron(X: Any, y: Any, *, input_names: Sequence[str] | None = None,
                     **options: Any) -> FitResult:
    """Make a perceptron as wide as the 0/1 examples ``X`` and :meth:`~Perceptron.fit` it to ``y``.

    ``input_names`` as for :class:`Perceptron`, ``options`` as for :meth:`Perceptron.fit`.
    """
    return Perceptron(np.zeros(_width(X)), 0.0, input_names).fit(X, y, **options)


def hotdog_truth_table(perceptron: Perceptron | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 8 ketchup/mustard/bun combinations, ``uint8`` ``(8, 3)``, and their 0/1 labels.

    Rows count ``000, ..., 111``; ``perceptron`` (default: the book's) gives the labels.
    """
    X, y = truth_table()
    return X, y if perceptron is None else np.asarray(perceptron.predict(X), dtype=np.uint8)


def make_hotdog_data(n: int = 200, *, noise: float = 0.1, seed: int | None = 0,
                     perceptron: Perceptron | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A larger, noisier hot-dog data set: ``X`` ``(n, 3)`` and ``y`` ``(n,)``, both ``uint8``.

    Parameters
    ----------
    n : int
        Number of examples (>= 1).
    noise : float
        Fraction of labels to flip (``round(noise * n)`` of them), from 0 to 0.5.
    seed : int, optional
        Random seed; the same seed gives the same data.
    perceptron : Perceptron, optional
        The 3-input perceptron that labels the random inputs; default: the book's.
    """
    n = _number(n, "n", whole=True, low=1)
    noise = _number(noise, "noise (the fraction of labels to flip)", low=0, high=0.5)
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(n, 3), dtype=np.uint8)
    y = np.array((perceptron or Perceptron()).predict(X), dtype=np.uint8)
    flip = rng.choice(n, size=round(noise * n), replace=False)
    y[flip] = 1 - y[flip]
    return X, y


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """XOR, 1 when exactly one of two inputs is 1: ``X`` 00, 01, 10, 11 and ``y`` 0, 1, 1, 0."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    return X, np.array([0, 1, 1, 0], dtype=np.uint8)


def is_linearly_separable(X: Any, y: Any, *, max_epochs: int = 10_000) -> bool:
    """Whether one perceptron can classify the 0/1 examples ``X`` with labels ``y`` perfectly.

    Runs the rule until an epoch has no mistakes or old weights return; ``max_epochs`` caps it.
    """
    result = train_perceptron(X, y, epochs=max_epochs)
    if not (result.converged or result.cycled):  # pragma: no cover
        raise PerceptronError(f"Could not decide within {max_epochs} epochs; raise max_epochs.")
    return result.converged


def format_table(perceptron: Perceptron | None = None, X: Any = None, y: Any = None, *,
                 show_sigmoid: bool = True) -> str:
    """A text table of inputs, ``w.x``, ``z``, the step's and the sigmoid's outputs and targets.

    Parameters
    ----------
    perceptron : Perceptron, optional
        Default: the book's.
    X, y : array_like, optional
        Examples (default: all 0/1 combinations) and targets (add "target" and "right?" columns).
    show_sigmoid : bool
        Add the sigmoid neuron's output ``sigmoid(z)`` for comparison.
    """
    p = perceptron or Perceptron()
    if X is None:
        X = list(itertools.product((0, 1), repeat=p.n_inputs))
    rows = np.atleast_2d(p.check_inputs(X))
    labels = None if y is None else _labels(y, len(rows))
    head = [*p.input_names, "w.x", "z=w.x+b", "step"]
    table = [head + ["sigmoid(z)"] * show_sigmoid + ["target", "right?"] * (labels is not None)]
    for i, (x, s) in enumerate(zip(rows, p.weighted_sum(rows), strict=True)):
        z = s + p.bias
        row = [*map(str, x.tolist()), _fmt(s), _fmt(z), str(int(z > 0))]
        if show_sigmoid:
            row.append(f"{sigmoid(z):.3f}")
        if labels is not None:
            row += [str(labels[i]), "yes" if int(z > 0) == labels[i] else "NO"]
        table.append(row)
    widths = [max(len(r[j]) for r in table) for j in range(len(table[0]))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in table)


class SigmoidNeuron:
    """A perceptron's weights and bias with a smooth output, ``sigmoid(w.x + b)``, on any numbers.

    Parameters
    ----------
    weights, bias : sequence of float, float
        Default: the book's ``(6, 2, 3)`` and ``-4`` (threshold 4).
    input_names : sequence of str, optional
        As for :class:`Perceptron`.
    """

    def __init__(self, weights: Sequence[float] = BOOK_WEIGHTS, bias: float = -BOOK_THRESHOLD,
                 input_names: Sequence[str] | None = None) -> None:
        self._p = Perceptron(weights, -_number(bias, "The bias"), input_names)  # its checks

    @classmethod
    def from_perceptron(cls, perceptron: Perceptron) -> SigmoidNeuron:
        """The sigmoid neuron with ``perceptron``'s weights and bias."""
        return cls(perceptron.weights, perceptron.bias, perceptron.input_names)

    @property
    def weights(self) -> np.ndarray:
        """The weights (a read-only copy)."""
        return self._p.weights

    @property
    def bias(self) -> float:
        """The bias."""
        return self._p.bias

    @property
    def input_names(self) -> tuple[str, ...]:
        """The name of each input."""
        return self._p.input_names

    def __repr__(self) -> str:
        w, b = _fmt(self.weights), _fmt(self.bias)
        return f"SigmoidNeuron(weights={w}, bias={b}, input_names={self.input_names!r})"

    def z(self, x: Any) -> Any:
        """Return ``z = w.x + b`` (a float for one example, an array for a batch)."""
        rows, single = _examples(x, self.input_names, binary=False)
        z = rows @ self._p.weights + self.bias
        return float(z[0]) if single else z

    def output(self, x: Any) -> Any:
        """Return ``sigmoid(w.x + b)``, between 0 and 1."""
        return sigmoid(self.z(x))

    __call__ = output

    def predict(self, x: Any) -> Any:
        """Return 1 where the output is above 0.5 (i.e. ``z > 0``), like the perceptron."""
        return step(self.z(x))

    def explain(self, inputs: Any) -> str:
        """Compare the step and the sigmoid for one example, in words and numbers."""
        z = self.z(inputs)
        if not isinstance(z, float):
            raise PerceptronError("explain() takes one example at a time.")
        return (f"z = w.x + b = {_fmt(z)}. The perceptron's step outputs {int(z > 0)}; the "
                f"sigmoid neuron outputs sigmoid({_fmt(z)}) = 1 / (1 + e^({_fmt(-z)})) = "
                f"{sigmoid(z):.4f}.")


def keras_neuron(weights: Sequence[float] | None = BOOK_WEIGHTS,
                 bias: float | None = -BOOK_THRESHOLD, *, n_inputs: int | None = None,
                 seed: int | None = None, learning_rate: float = 0.1) -> Any:
    """The sigmoid neuron as a one-unit Keras model, compiled with Adam and binary cross-entropy.

    Parameters
    ----------
    weights, bias : sequence of float or None, float or None
        The Dense layer's kernel and bias; ``weights=None`` keeps Keras's random start, bias 0.
    n_inputs : int, optional
        Number of inputs when ``weights`` is None (default 3).
    seed : int, optional
        Seed Keras's random numbers first, for a reproducible random start.
    learning_rate : float
        Adam's learning rate for training.
    """
    lr = _number(learning_rate, "learning_rate", positive=True)
    n = _number(3 if n_inputs is None else n_inputs, "n_inputs", whole=True, low=1)
    if weights is not None:
        w = _weights(weights, None if n_inputs is None else _default_names(n))
        n = w.size
        b = 0.0 if bias is None else _number(bias, "The bias")
    keras = import_keras()
    seed_everything(seed)
    layers = [keras.Input((n,)), keras.layers.Dense(1, activation="sigmoid", name="neuron")]
    model = keras.Sequential(layers, name="sigmoid_neuron")
    if weights is not None:
        model.layers[-1].set_weights([w.reshape(n, 1).astype("float32"), np.array([b], "float32")])
    model.compile(keras.optimizers.Adam(lr), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def train_keras_neuron(X: Any = None, y: Any = None, *, epochs: int = 300, seed: int | None = 0,
                       learning_rate: float = 0.1, verbose: int = 0) -> tuple[Any, float]:
    """Train :func:`keras_neuron` by gradient descent; return the model and its accuracy on ``X``.

    An output above 0.5 counts as 1.

    Parameters
    ----------
    X, y : array_like, optional
        Examples (any finite numbers) and 0/1 labels; default :func:`hotdog_truth_table`.
    epochs : int
        Full-batch training steps.
    seed, learning_rate : int or None, float
        As for :func:`keras_neuron`: the random start's seed and Adam's learning rate.
    verbose : int
        Keras's ``verbose`` for ``fit`` (0: silent).
    """
    if (X is None) != (y is None):
        raise PerceptronError("Give both X and y, or neither (for the hot-dog truth table).")
    if X is None:
        X, y = hotdog_truth_table()
    Xf = _examples(X, _default_names(_width(X)), "examples", binary=False)[0].astype("float32")
    yf = _labels(y, len(Xf)).astype("float32")
    epochs = _number(epochs, "epochs", whole=True, low=1)
    model = keras_neuron(None, n_inputs=Xf.shape[1], seed=seed, learning_rate=learning_rate)
    model.fit(Xf, yf, epochs=epochs, batch_size=len(Xf), shuffle=False, verbose=verbose)
    p = np.asarray(model.predict(Xf, verbose=0)).reshape(-1)
    return model, float(np.mean((p > 0.5) == yf))
