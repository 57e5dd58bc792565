"""Rosenblatt's perceptron and the hot-dog detector of *Deep Learning Illustrated*, ch. 6.

The chapter's perceptron looks at three yes/no inputs, **ketchup**, **mustard**
and **bun**, weighs them ``6``, ``2`` and ``3``, adds up, and says "hot dog"
when the weighted sum is *strictly greater* than the threshold ``4``::

    ketchup  mustard  bun     weighted sum            verdict
       1        1      0    1*6 + 1*2 + 0*3 = 8   8 > 4   hot dog
       0        1      0    0*6 + 1*2 + 0*3 = 2   2 <= 4  not a hot dog

Everything here uses that strict rule, ``w.x > threshold``, in the book's
threshold form and in the equivalent bias form ``z = w.x + b > 0`` with
``b = -threshold``. A weighted sum *equal* to the threshold is "not a hot dog".

The module then follows the chapter:

* :class:`Perceptron` computes, predicts and :meth:`~Perceptron.explain`\\ s the
  arithmetic in words; :meth:`~Perceptron.fit` learns weights with
  Rosenblatt's rule and records every update so the learning can be replayed;
* :func:`xor_data` and :func:`is_linearly_separable` show what one perceptron
  *cannot* learn;
* :func:`sigmoid` and :class:`SigmoidNeuron` swap the step for a smooth curve,
  and :func:`keras_neuron` / :func:`train_keras_neuron` build and train the same
  neuron as a one-unit Keras model.

Only NumPy is imported at import time; Keras is imported inside the two Keras
functions.

Examples
--------
>>> from brainkit.perceptron import Perceptron
>>> p = Perceptron()                      # weights 6, 2, 3; threshold 4
>>> p.predict([1, 1, 0])                  # ketchup, mustard, no bun
1
>>> p.predict({"ketchup": 0, "mustard": 1, "bun": 0})
0
>>> p.bias
-4.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from brainkit.errors import BrainkitError

__all__ = [
    "BOOK_THRESHOLD",
    "BOOK_WEIGHTS",
    "CLASS_NAMES",
    "HOTDOG_INPUTS",
    "FitResult",
    "Perceptron",
    "PerceptronError",
    "SigmoidNeuron",
    "Update",
    "format_table",
    "hotdog_truth_table",
    "is_linearly_separable",
    "keras_neuron",
    "load_hotdog_dataset",
    "make_hotdog_data",
    "sigmoid",
    "step",
    "train_keras_neuron",
    "train_perceptron",
    "xor_data",
]

#: The three inputs of the book's hot-dog detector, in order.
HOTDOG_INPUTS: tuple[str, ...] = ("ketchup", "mustard", "bun")
#: The book's weights for ketchup, mustard and bun.
BOOK_WEIGHTS: tuple[float, ...] = (6.0, 2.0, 3.0)
#: The book's threshold: "hot dog" when the weighted sum is strictly greater.
BOOK_THRESHOLD: float = 4.0
#: Class names of the hot-dog data set (label 0, label 1).
CLASS_NAMES: tuple[str, str] = ("not hot dog", "hot dog")

_HOTDOG_VERDICTS = ("not a hot dog", "hot dog")
_PLAIN_VERDICTS = ("output 0", "output 1")


class PerceptronError(BrainkitError, ValueError):
    """Bad weights, inputs or labels for a perceptron; the message names the fix."""


# --------------------------------------------------------------------------- helpers


def _fmt(value: float) -> str:
    """Format a number for learners: ``6`` not ``6.0``, ``0.37`` not ``0.37000000001``."""
    v = float(value)
    if v == 0:
        return "0"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def _fmt_vec(values: Sequence[float] | np.ndarray) -> str:
    return "(" + ", ".join(_fmt(v) for v in values) + ")"


def _default_names(n: int) -> tuple[str, ...]:
    if n == len(HOTDOG_INPUTS):
        return HOTDOG_INPUTS
    return tuple(f"x{i + 1}" for i in range(n))


def _check_number(value: Any, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise PerceptronError(
            f"{what} must be a number, got {value!r}. Give a plain number, e.g. 4."
        )
    v = float(value)
    if not math.isfinite(v):
        raise PerceptronError(f"{what} must be a finite number, got {value!r}. Give e.g. 4.")
    return v


def _as_weights(weights: Any, n: int | None, names: Sequence[str] | None = None) -> np.ndarray:
    """Return ``weights`` as a 1-D float array, checking count and finiteness."""
    if isinstance(weights, (str, bytes)):
        raise PerceptronError(
            f"Weights must be a list of numbers, got the text {weights!r}. "
            "Give e.g. (6, 2, 3); on the command line write --weights 6,2,3."
        )
    try:
        arr = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        raise PerceptronError(
            f"Weights must be numbers, got {weights!r}. Give one number per input, e.g. (6, 2, 3)."
        ) from None
    if arr.ndim != 1 or arr.size == 0:
        raise PerceptronError(
            f"Weights must be a flat list with one number per input, got {weights!r}. "
            "Give e.g. (6, 2, 3)."
        )
    if n is not None and arr.size != n:
        who = f" ({', '.join(names)})" if names else ""
        raise PerceptronError(
            f"Expected {n} weights, one per input{who}, got {arr.size}: {weights!r}. "
            f"Give exactly {n} numbers."
        )
    if not np.all(np.isfinite(arr)):
        raise PerceptronError(
            f"Weights must be finite numbers, got {weights!r}. Replace nan/inf with ordinary numbers."
        )
    return arr.copy()


def _as_binary(x: Any, names: Sequence[str], what: str = "inputs") -> tuple[np.ndarray, bool]:
    """Check 0/1 inputs; return them as a 2-D ``uint8`` array and whether one input was given."""
    n = len(names)
    example = "[" + ", ".join("1" if i % 2 == 0 else "0" for i in range(n)) + "]"
    if isinstance(x, Mapping):
        missing = [k for k in names if k not in x]
        extra = [k for k in x if k not in names]
        if missing or extra:
            problem = []
            if missing:
                problem.append(f"missing {', '.join(map(repr, missing))}")
            if extra:
                problem.append(f"unknown {', '.join(map(repr, extra))}")
            raise PerceptronError(
                f"The {what} name the wrong things ({'; '.join(problem)}). "
                f"Give one 0/1 value for each of: {', '.join(names)}."
            )
        x = [x[k] for k in names]
    if isinstance(x, (str, bytes)):
        raise PerceptronError(
            f"The {what} must be 0/1 values, got the text {x!r}. Give e.g. {example}."
        )
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        raise PerceptronError(
            f"The {what} must be a list of 0/1 values (or a table of them, one row per example), "
            f"got {x!r}. Give e.g. {example}."
        ) from None
    if arr.dtype.kind not in "biuf":
        raise PerceptronError(
            f"The {what} must be 0 or 1 (or True/False), got {x!r}. "
            f"Use 1 for 'present' and 0 for 'absent', e.g. {example}."
        )
    if arr.ndim == 0:
        raise PerceptronError(
            f"The {what} must hold one 0/1 value per input ({', '.join(names)}), "
            f"got the single number {x!r}. Give e.g. {example}."
        )
    if arr.ndim > 2:
        raise PerceptronError(
            f"The {what} must be one example (a list of {n} values) or a table of examples "
            f"(one row of {n} values each), got an array of shape {arr.shape}."
        )
    single = arr.ndim == 1
    rows = arr.reshape(1, -1) if single else arr
    if rows.shape[1] != n:
        got = rows.shape[1]
        raise PerceptronError(
            f"The perceptron has {n} inputs ({', '.join(names)}) but each example has {got} "
            f"value{'s' if got != 1 else ''}. Give exactly {n} 0/1 values per example, e.g. {example}."
        )
    if arr.dtype.kind != "b":
        bad = ~np.isin(rows, (0, 1))
        if np.any(bad):
            r, c = np.argwhere(bad)[0]
            where = f"{names[c]}" if single else f"{names[c]} in example {r}"
            raise PerceptronError(
                f"The {what} must be 0 or 1 (or True/False); got {rows[r, c]!r} for {where}. "
                "Use 1 for 'present' and 0 for 'absent'."
            )
    return rows.astype(np.uint8), single


def _as_labels(y: Any, m: int) -> np.ndarray:
    """Check 0/1 labels, one per example."""
    try:
        arr = np.asarray(y)
    except (TypeError, ValueError):
        raise PerceptronError(f"Labels must be a list of 0/1 values, got {y!r}.") from None
    if arr.dtype.kind not in "biuf" or arr.ndim != 1:
        raise PerceptronError(
            f"Labels must be a flat list of 0/1 values, one per example, got {y!r}."
        )
    if arr.size != m:
        raise PerceptronError(
            f"There are {m} examples but {arr.size} labels. Give exactly one 0/1 label per example."
        )
    if arr.dtype.kind != "b" and not np.all(np.isin(arr, (0, 1))):
        bad = arr[~np.isin(arr, (0, 1))][0]
        raise PerceptronError(
            f"Labels must be 0 or 1 (1 = hot dog, 0 = not), got {bad!r}. Relabel the examples."
        )
    return arr.astype(np.uint8)


def step(z: Any) -> Any:
    """The perceptron's step function: ``1`` where ``z > 0`` (strictly), else ``0``.

    Parameters
    ----------
    z : float or array_like
        Value(s) of ``w.x + b``.

    Returns
    -------
    int or numpy.ndarray
        ``0``/``1``; an ``int`` for a scalar, a ``uint8`` array otherwise.
    """
    arr = np.asarray(z, dtype=float)
    out = (arr > 0).astype(np.uint8)
    return int(out) if out.ndim == 0 else out


def sigmoid(z: Any) -> Any:
    """The logistic sigmoid ``1 / (1 + exp(-z))``, computed without overflow.

    Parameters
    ----------
    z : float or array_like
        Value(s) of ``w.x + b``.

    Returns
    -------
    float or numpy.ndarray
        Values strictly between 0 and 1 (they round to 0 or 1 for large ``|z|``);
        exactly ``0.5`` at ``z = 0``.

    Examples
    --------
    >>> sigmoid(0.0)
    0.5
    >>> round(sigmoid(4.0), 3)     # ketchup + mustard, no bun: z = 8 - 4
    0.982
    """
    try:
        arr = np.asarray(z, dtype=float)
    except (TypeError, ValueError):
        raise PerceptronError(f"sigmoid needs numbers, got {z!r}.") from None
    out = np.empty_like(arr)
    pos = arr >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-arr[pos]))
    e = np.exp(arr[~pos])
    out[~pos] = e / (1.0 + e)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- learning records


@dataclass(frozen=True)
class Update:
    """One change of the weights by Rosenblatt's rule (made only after a mistake).

    Attributes
    ----------
    epoch : int
        Pass over the data, counting from 1.
    index : int
        Row of the example in ``X`` (counting from 0).
    inputs : tuple of int
        The example's 0/1 inputs.
    target : int
        The right answer.
    prediction : int
        What the perceptron said before the update (always ``!= target``).
    weights_before, weights_after : tuple of float
        The weights before and after the update.
    bias_before, bias_after : float
        The bias before and after (the threshold is minus the bias).
    """

    epoch: int
    index: int
    inputs: tuple[int, ...]
    target: int
    prediction: int
    weights_before: tuple[float, ...]
    bias_before: float
    weights_after: tuple[float, ...]
    bias_after: float

    @property
    def delta(self) -> tuple[tuple[float, ...], float]:
        """The change ``(weights_after - weights_before, bias_after - bias_before)``."""
        dw = tuple(a - b for a, b in zip(self.weights_after, self.weights_before, strict=True))
        return dw, self.bias_after - self.bias_before

    def describe(self, input_names: Sequence[str] | None = None) -> str:
        """One line: which example, the mistake, and the new weights and bias."""
        names = tuple(input_names) if input_names else _default_names(len(self.inputs))
        shown = ", ".join(f"{n}={v}" for n, v in zip(names, self.inputs, strict=True))
        direction = "up" if self.target > self.prediction else "down"
        return (
            f"epoch {self.epoch}, example {self.index} ({shown}): target {self.target}, "
            f"said {self.prediction} -> nudge {direction}: w = {_fmt_vec(self.weights_after)}, "
            f"b = {_fmt(self.bias_after)}"
        )


@dataclass(frozen=True, eq=False)
class FitResult:
    """What happened while a perceptron learned: every update, epoch by epoch.

    Attributes
    ----------
    converged : bool
        True when an epoch went by without a single mistake.
    epochs_run : int
        Epochs run, including that last mistake-free one.
    updates : tuple of Update
        Every update, in order; replaying them from the initial weights gives
        the final weights (see :meth:`replay`).
    errors_per_epoch : tuple of int
        Mistakes (= updates) in each epoch.
    initial_weights, weights : tuple of float
        Weights at the start and at the end.
    initial_bias, bias : float
        Bias at the start and at the end.
    learning_rate : float
        The step size of the rule.
    X, y : numpy.ndarray
        The examples and labels learned from.
    input_names : tuple of str
        Names of the inputs.
    cycled : bool
        True when the weights at the start of an epoch were the same as at the
        start of an earlier one: the rule would repeat the same updates
        forever, so learning stopped. That happens exactly when no straight
        line (plane) separates the classes, e.g. for XOR.
    cycle_epochs : tuple of int or None
        ``(first, again)``: the epochs at whose start the same weights were seen.
    """

    converged: bool
    epochs_run: int
    updates: tuple[Update, ...]
    errors_per_epoch: tuple[int, ...]
    initial_weights: tuple[float, ...]
    initial_bias: float
    weights: tuple[float, ...]
    bias: float
    learning_rate: float
    X: np.ndarray
    y: np.ndarray
    input_names: tuple[str, ...]
    cycled: bool = False
    cycle_epochs: tuple[int, int] | None = None

    @property
    def history(self) -> tuple[Update, ...]:
        """Alias of :attr:`updates`."""
        return self.updates

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
        if len(self.y) == 0:
            return 1.0
        z = self.X @ np.asarray(self.weights) + self.bias
        return float(np.mean((z > 0).astype(np.uint8) == self.y))

    def states(self) -> list[tuple[tuple[float, ...], float]]:
        """Weights and bias at the start and after each update (``len(updates) + 1`` items)."""
        out = [(self.initial_weights, self.initial_bias)]
        out.extend((u.weights_after, u.bias_after) for u in self.updates)
        return out

    def replay(self) -> Iterator[tuple[Update, np.ndarray, float]]:
        """Re-apply the rule ``w += lr * (target - prediction) * x`` update by update.

        Yields
        ------
        (Update, numpy.ndarray, float)
            Each update with the weights and bias recomputed from the start;
            they match ``update.weights_after`` and ``update.bias_after``.
        """
        w = np.asarray(self.initial_weights, dtype=float)
        b = float(self.initial_bias)
        for u in self.updates:
            delta = self.learning_rate * (u.target - u.prediction)
            w = w + delta * np.asarray(u.inputs, dtype=float)
            b = b + delta
            yield u, w.copy(), b

    def summary(self) -> str:
        """A few lines saying how learning went, for people."""
        n = len(self.updates)
        lines = [
            f"Started from w = {_fmt_vec(self.initial_weights)}, b = {_fmt(self.initial_bias)}; "
            f"learning rate {_fmt(self.learning_rate)}.",
            "Mistakes per epoch: " + ", ".join(str(e) for e in self.errors_per_epoch) + ".",
        ]
        if self.converged:
            lines.append(
                f"Converged: epoch {self.epochs_run} made no mistakes ({n} update"
                f"{'s' if n != 1 else ''} in all). Learned w = {_fmt_vec(self.weights)}, "
                f"b = {_fmt(self.bias)} (threshold {_fmt(-self.bias)})."
            )
        elif self.cycled and self.cycle_epochs is not None:
            first, again = self.cycle_epochs
            lines.append(
                f"Did NOT converge: the weights at the start of epoch {again} are the same as at "
                f"the start of epoch {first}, so the rule would repeat the same mistakes forever. "
                "No straight line separates these examples: one perceptron cannot learn them."
            )
        else:
            lines.append(
                f"Did NOT converge in {self.epochs_run} epochs: epoch {self.epochs_run} still "
                f"made {self.errors_per_epoch[-1]} mistake(s). Try more epochs."
            )
        return "\n".join(lines)


# --------------------------------------------------------------------------- the perceptron


class Perceptron:
    """Rosenblatt's perceptron on 0/1 inputs: 1 when ``w.x > threshold``, else 0.

    Parameters
    ----------
    weights : sequence of float
        One weight per input. Default: the book's ``(6, 2, 3)``.
    threshold : float
        Output 1 only when the weighted sum is *strictly greater*. Default ``4``.
    input_names : sequence of str, optional
        A name per input. Default: ``("ketchup", "mustard", "bun")`` for three
        inputs, ``("x1", "x2", ...)`` otherwise.
    verdicts : (str, str), optional
        Words for output 0 and output 1, used by :meth:`explain`. Default:
        ``("not a hot dog", "hot dog")`` when the inputs are the hot-dog ones.

    Raises
    ------
    PerceptronError
        For weights that are not finite numbers, the wrong number of names,
        or a threshold that is not a finite number.

    Examples
    --------
    >>> p = Perceptron()
    >>> p.weighted_sum([1, 1, 0])
    8.0
    >>> p.predict([[1, 1, 0], [0, 1, 0]]).tolist()
    [1, 0]
    """

    def __init__(
        self,
        weights: Sequence[float] = BOOK_WEIGHTS,
        threshold: float = BOOK_THRESHOLD,
        input_names: Sequence[str] | None = None,
        verdicts: tuple[str, str] | None = None,
    ) -> None:
        w = _as_weights(weights, None)
        if input_names is None:
            names = _default_names(w.size)
        else:
            if isinstance(input_names, str):
                raise PerceptronError(
                    f"input_names must be a list of names, got the text {input_names!r}. "
                    "Give e.g. ('ketchup', 'mustard', 'bun')."
                )
            names = tuple(str(n) for n in input_names)
            if len(set(names)) != len(names):
                raise PerceptronError(
                    f"input_names must be different from each other, got {names}."
                )
        w = _as_weights(weights, len(names), names)
        self._weights = w
        self._threshold = _check_number(threshold, "The threshold")
        self._names = names
        if verdicts is None:
            verdicts = _HOTDOG_VERDICTS if names == HOTDOG_INPUTS else _PLAIN_VERDICTS
        if len(verdicts) != 2:
            raise PerceptronError(
                f"verdicts must be two words (for 0 and for 1), got {verdicts!r}."
            )
        self._verdicts = (str(verdicts[0]), str(verdicts[1]))

    # --- attributes -----------------------------------------------------------
    @property
    def weights(self) -> np.ndarray:
        """The weights (a read-only copy)."""
        w = self._weights.copy()
        w.flags.writeable = False
        return w

    @property
    def threshold(self) -> float:
        """The threshold the weighted sum must exceed."""
        return self._threshold

    @property
    def bias(self) -> float:
        """The bias ``b = -threshold``: output 1 when ``w.x + b > 0``."""
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
        ws = ", ".join(_fmt(v) for v in self._weights)
        return (
            f"Perceptron(weights=({ws}), threshold={_fmt(self._threshold)}, "
            f"input_names={self._names!r})"
        )

    # --- computing ------------------------------------------------------------
    def weighted_sum(self, x: Any) -> Any:
        """Return ``w.x``: each input times its weight, added up.

        Parameters
        ----------
        x : array_like or mapping
            One example (``n_inputs`` 0/1 values, or a ``{name: 0/1}`` dict)
            or a batch (one row per example).

        Returns
        -------
        float or numpy.ndarray
            A float for one example, an array of shape ``(N,)`` for a batch.
        """
        rows, single = _as_binary(x, self._names)
        s = rows.astype(float) @ self._weights
        return float(s[0]) if single else s

    def z(self, x: Any) -> Any:
        """Return ``z = w.x + b``, the bias form of the weighted sum."""
        s = self.weighted_sum(x)
        return s + self.bias

    def predict(self, x: Any) -> Any:
        """Return 1 (e.g. hot dog) when ``w.x > threshold``, strictly, else 0.

        Parameters
        ----------
        x : array_like or mapping
            One example or a batch, as for :meth:`weighted_sum`.

        Returns
        -------
        int or numpy.ndarray
            An ``int`` for one example, a ``uint8`` array for a batch.
        """
        s = self.weighted_sum(x)
        out = (np.asarray(s) > self._threshold).astype(np.uint8)
        return int(out) if out.ndim == 0 else out

    def verdict(self, x: Any) -> str:
        """Return the verdict in words for one example, e.g. ``"hot dog"``."""
        out = self.predict(x)
        if not isinstance(out, int):
            raise PerceptronError("verdict() takes one example; use predict() for a batch.")
        return self._verdicts[out]

    def explain(self, inputs: Any) -> str:
        """Walk through the arithmetic for one example, as the book does.

        Parameters
        ----------
        inputs : array_like or mapping
            One example: ``n_inputs`` 0/1 values or a ``{name: 0/1}`` dict.

        Returns
        -------
        str
            Several lines: each input times its weight, the weighted sum, the
            comparison with the threshold, the verdict, and the same decision
            in the bias form ``z = w.x + b``.

        Examples
        --------
        >>> print(Perceptron().explain([1, 1, 0]))  # doctest: +NORMALIZE_WHITESPACE
        Each input times its weight:
          ketchup = 1  x  weight 6  =  6
          mustard = 1  x  weight 2  =  2
          bun     = 0  x  weight 3  =  0
        Weighted sum: w.x = 6 + 2 + 0 = 8
        Threshold form: 8 > 4 (the threshold), so the output is 1: hot dog.
        Bias form: b = -threshold = -4, z = w.x + b = 8 + (-4) = 4; 4 > 0, so the output is 1: hot dog.
        """
        rows, single = _as_binary(inputs, self._names)
        if not single:
            raise PerceptronError(
                "explain() walks through one example at a time; give one list of "
                f"{self.n_inputs} 0/1 values, e.g. {rows[0].tolist()}."
            )
        x = rows[0]
        products = x.astype(float) * self._weights
        total = float(products.sum())
        width = max(len(n) for n in self._names)
        wstr = [_fmt(w) for w in self._weights]
        wwidth = max(len(s) for s in wstr)
        pstr = [_fmt(p) for p in products]
        pwidth = max(len(s) for s in pstr)
        lines = ["Each input times its weight:"]
        for name, xi, ws, ps in zip(self._names, x, wstr, pstr, strict=True):
            lines.append(
                f"  {name:<{width}} = {int(xi)}  x  weight {ws:>{wwidth}}  =  {ps:>{pwidth}}"
            )
        terms = " + ".join(f"({p})" if p.startswith("-") else p for p in pstr)
        lines.append(f"Weighted sum: w.x = {terms} = {_fmt(total)}")
        out = int(total > self._threshold)
        t = _fmt(self._threshold)
        if out:
            cmp = f"{_fmt(total)} > {t} (the threshold)"
        elif total == self._threshold:
            cmp = (
                f"{_fmt(total)} equals the threshold {t}, which is not enough (it must be greater)"
            )
        else:
            cmp = f"{_fmt(total)} is not greater than the threshold {t}"
        lines.append(f"Threshold form: {cmp}, so the output is {out}: {self._verdicts[out]}.")
        b = self.bias
        z = total + b
        bstr = f"({_fmt(b)})" if b < 0 else _fmt(b)
        zcmp = f"{_fmt(z)} > 0" if z > 0 else f"{_fmt(z)} is not greater than 0"
        lines.append(
            f"Bias form: b = -threshold = {_fmt(b)}, z = w.x + b = {_fmt(total)} + {bstr} = "
            f"{_fmt(z)}; {zcmp}, so the output is {int(z > 0)}: {self._verdicts[int(z > 0)]}."
        )
        return "\n".join(lines)

    # --- learning -------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any,
        learning_rate: float = 1.0,
        epochs: int = 100,
        seed: int | None = None,
        initial_weights: Sequence[float] | None = None,
        initial_bias: float | None = None,
        *,
        shuffle: bool = False,
        stop_on_cycle: bool = True,
    ) -> FitResult:
        """Learn weights and threshold with Rosenblatt's perceptron rule.

        For each example in turn the perceptron predicts ``yhat``; after a
        mistake it nudges every weight and the bias::

            w <- w + learning_rate * (y - yhat) * x
            b <- b + learning_rate * (y - yhat)

        (a correct answer changes nothing). Learning stops after the first
        epoch without a mistake (``converged=True``), after ``epochs`` epochs,
        or, with ``stop_on_cycle``, when the weights at the start of an epoch
        repeat those at the start of an earlier epoch: the rule would then
        cycle forever, which happens exactly when no line separates the data.
        The learned weights replace this perceptron's (its threshold becomes
        ``-b``).

        Parameters
        ----------
        X : array_like
            Examples, shape ``(N, n_inputs)``, 0/1 values.
        y : array_like
            Labels, shape ``(N,)``, 0/1 values.
        learning_rate : float
            Size of each nudge, > 0. Default 1.
        epochs : int
            At most this many passes over the data. Default 100.
        seed : int, optional
            Start from random weights and bias (uniform in [-1, 1], rounded to
            2 decimals so they are easy to read) drawn with this seed; it also
            drives ``shuffle``. Without a seed or ``initial_weights`` learning
            starts from all zeros, as in the classic presentation.
        initial_weights : sequence of float, optional
            Start from these weights instead.
        initial_bias : float, optional
            Start from this bias (default 0, or random with ``seed``).
        shuffle : bool
            Visit the examples in a new random order each epoch (no cycle check).
        stop_on_cycle : bool
            Stop as soon as the weights repeat (default true).

        Returns
        -------
        FitResult
            ``converged``, ``epochs_run``, ``updates``, ``errors_per_epoch`` and more.

        Raises
        ------
        PerceptronError
            For inputs or labels that are not 0/1 or do not match in number,
            a learning rate that is not a positive number, or ``epochs < 1``.
        """
        rows, single = _as_binary(X, self._names, "examples")
        if single:
            raise PerceptronError(
                "fit() needs a table of examples (one row per example), got a single example. "
                "Wrap it in a list: [[1, 1, 0]]."
            )
        labels = _as_labels(y, len(rows))
        lr = _check_number(learning_rate, "learning_rate")
        if lr <= 0:
            raise PerceptronError(
                f"learning_rate must be greater than 0, got {learning_rate!r}. Try 1."
            )
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise PerceptronError(f"epochs must be a whole number >= 1, got {epochs!r}. Try 100.")
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
        ):
            raise PerceptronError(f"seed must be a non-negative whole number, got {seed!r}.")
        rng = np.random.default_rng(seed)
        n = self.n_inputs
        if initial_weights is not None:
            w = _as_weights(initial_weights, n, self._names)
        elif seed is not None:
            w = np.round(rng.uniform(-1.0, 1.0, n), 2)
        else:
            w = np.zeros(n)
        if initial_bias is not None:
            b = _check_number(initial_bias, "initial_bias")
        elif seed is not None and initial_weights is None:
            b = float(np.round(rng.uniform(-1.0, 1.0), 2))
        else:
            b = 0.0
        w0, b0 = tuple(float(v) for v in w), float(b)

        def key(w: np.ndarray, b: float) -> tuple[float, ...]:
            return tuple(np.round(np.append(w, b), 9).tolist())

        seen = {key(w, b): 1}
        updates: list[Update] = []
        errors_per_epoch: list[int] = []
        converged = cycled = False
        cycle_epochs: tuple[int, int] | None = None
        xf = rows.astype(float)
        epoch = 0
        for epoch in range(1, int(epochs) + 1):
            order = rng.permutation(len(rows)) if shuffle else range(len(rows))
            errors = 0
            for i in order:
                prediction = int(xf[i] @ w + b > 0)
                target = int(labels[i])
                if prediction == target:
                    continue
                delta = lr * (target - prediction)
                w_new = w + delta * xf[i]
                b_new = b + delta
                updates.append(
                    Update(
                        epoch=epoch,
                        index=int(i),
                        inputs=tuple(int(v) for v in rows[i]),
                        target=target,
                        prediction=prediction,
                        weights_before=tuple(float(v) for v in w),
                        bias_before=float(b),
                        weights_after=tuple(float(v) for v in w_new),
                        bias_after=float(b_new),
                    )
                )
                w, b = w_new, b_new
                errors += 1
            errors_per_epoch.append(errors)
            if errors == 0:
                converged = True
                break
            if stop_on_cycle and not shuffle:
                k = key(w, b)
                if k in seen:
                    cycled, cycle_epochs = True, (seen[k], epoch + 1)
                    break
                seen[k] = epoch + 1
        self._weights = np.asarray(w, dtype=float).copy()
        self._threshold = -float(b)
        return FitResult(
            converged=converged,
            epochs_run=epoch,
            updates=tuple(updates),
            errors_per_epoch=tuple(errors_per_epoch),
            initial_weights=w0,
            initial_bias=b0,
            weights=tuple(float(v) for v in w),
            bias=float(b),
            learning_rate=lr,
            X=rows.copy(),
            y=labels.copy(),
            input_names=self._names,
            cycled=cycled,
            cycle_epochs=cycle_epochs,
        )


def train_perceptron(
    X: Any,
    y: Any,
    learning_rate: float = 1.0,
    epochs: int = 100,
    seed: int | None = None,
    initial_weights: Sequence[float] | None = None,
    initial_bias: float | None = None,
    *,
    input_names: Sequence[str] | None = None,
    shuffle: bool = False,
    stop_on_cycle: bool = True,
) -> FitResult:
    """Make a perceptron as wide as ``X`` and :meth:`~Perceptron.fit` it.

    Parameters are those of :meth:`Perceptron.fit`, plus ``input_names``
    (default: the hot-dog names for 3 columns, ``x1, x2, ...`` otherwise).
    The learned perceptron is ``result.perceptron``.

    Examples
    --------
    >>> X, y = hotdog_truth_table()
    >>> train_perceptron(X, y).converged
    True
    >>> train_perceptron(*xor_data()).converged
    False
    """
    try:
        width = np.asarray(X).shape[1]
    except (IndexError, TypeError, ValueError):
        raise PerceptronError(
            f"X must be a table of 0/1 examples, one row per example, got {X!r}."
        ) from None
    p = Perceptron(np.zeros(width), 0.0, input_names)
    return p.fit(
        X,
        y,
        learning_rate,
        epochs,
        seed,
        initial_weights,
        initial_bias,
        shuffle=shuffle,
        stop_on_cycle=stop_on_cycle,
    )


# --------------------------------------------------------------------------- data


def hotdog_truth_table(perceptron: Perceptron | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 8 ketchup/mustard/bun combinations and the book perceptron's verdicts.

    Parameters
    ----------
    perceptron : Perceptron, optional
        Label the rows with this perceptron instead of the book's (6, 2, 3; 4).

    Returns
    -------
    X : numpy.ndarray
        ``uint8``, shape ``(8, 3)``: columns ketchup, mustard, bun, rows in
        counting order ``000, 001, ..., 111``.
    y : numpy.ndarray
        ``uint8``, shape ``(8,)``: 1 = hot dog. With the book's weights a hot
        dog is "ketchup, or mustard with a bun".
    """
    p = perceptron or Perceptron()
    if p.n_inputs != 3:
        raise PerceptronError(f"The hot-dog table has 3 inputs; this perceptron has {p.n_inputs}.")
    X = np.array(list(itertools.product((0, 1), repeat=3)), dtype=np.uint8)
    return X, np.asarray(p.predict(X), dtype=np.uint8)


def make_hotdog_data(
    n: int = 200,
    noise: float = 0.1,
    seed: int | None = 0,
    perceptron: Perceptron | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """A larger, noisier hot-dog-like data set.

    Each of the ``n`` examples has random 0/1 ketchup, mustard and bun (each
    present with probability 1/2) and is labelled by the book's perceptron;
    then ``round(noise * n)`` labels, chosen at random, are flipped, as if some
    judges had made mistakes. With ``noise > 0`` the data are usually no longer
    linearly separable, so the perceptron rule will not converge on them.

    Parameters
    ----------
    n : int
        Number of examples (>= 1). Default 200.
    noise : float
        Fraction of labels to flip, in ``[0, 0.5]``. Default 0.1.
    seed : int, optional
        Random seed; the same seed gives the same data. Default 0.
    perceptron : Perceptron, optional
        Label with this 3-input perceptron instead of the book's.

    Returns
    -------
    X : numpy.ndarray
        ``uint8``, shape ``(n, 3)``.
    y : numpy.ndarray
        ``uint8``, shape ``(n,)``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise PerceptronError(f"n must be a whole number >= 1, got {n!r}.")
    noise = _check_number(noise, "noise")
    if not 0 <= noise <= 0.5:
        raise PerceptronError(
            f"noise is the fraction of labels to flip and must be between 0 and 0.5, got {noise!r}."
        )
    p = perceptron or Perceptron()
    if p.n_inputs != 3:
        raise PerceptronError(f"The hot-dog data have 3 inputs; this perceptron has {p.n_inputs}.")
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 2, size=(int(n), 3), dtype=np.uint8)
    y = np.asarray(p.predict(X), dtype=np.uint8).copy()
    flip = rng.choice(int(n), size=int(round(noise * n)), replace=False)
    y[flip] = 1 - y[flip]
    return X, y


def load_hotdog_dataset(**_ignored: Any) -> Any:
    """The hot-dog truth table as a :class:`~brainkit.datasets.Dataset`.

    Both the training and the test part are the 8 rows of
    :func:`hotdog_truth_table` (there is nothing else to test on).

    Parameters
    ----------
    **_ignored
        The registry passes keywords such as ``data_dir`` and ``download`` to
        every loader; the table is embedded, so they are ignored.

    Returns
    -------
    Dataset
        ``name="hotdog"``, ``class_names=("not hot dog", "hot dog")``,
        ``source="embedded"``; ``extra`` holds the input names, weights and threshold.
    """
    from brainkit.datasets._base import Dataset

    X, y = hotdog_truth_table()
    return Dataset(
        name="hotdog",
        x_train=X,
        y_train=y,
        x_test=X.copy(),
        y_test=y.copy(),
        class_names=CLASS_NAMES,
        source="embedded",
        location=None,
        description=(
            "The hot-dog truth table of Deep Learning Illustrated ch. 6: "
            "ketchup, mustard, bun -> hot dog? (weights 6, 2, 3; threshold 4)"
        ),
        extra={
            "input_names": HOTDOG_INPUTS,
            "weights": BOOK_WEIGHTS,
            "threshold": BOOK_THRESHOLD,
        },
    )


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: output 1 when exactly one of two inputs is 1.

    No single perceptron can learn it: a perceptron draws one straight line
    through the input square, and no line puts ``(0, 1)`` and ``(1, 0)`` on one
    side and ``(0, 0)`` and ``(1, 1)`` on the other. (Adding the two "1" rows
    needs ``w1 + w2 > 2 * threshold``, while the two "0" rows need
    ``w1 + w2 <= threshold`` and ``0 <= threshold``: impossible.) Minsky and
    Papert's 1969 point; see :func:`is_linearly_separable`.

    Returns
    -------
    X : numpy.ndarray
        ``uint8``, shape ``(4, 2)``: ``00, 01, 10, 11``.
    y : numpy.ndarray
        ``uint8``, ``[0, 1, 1, 0]``.
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.uint8)
    return X, np.array([0, 1, 1, 0], dtype=np.uint8)


def is_linearly_separable(X: Any, y: Any, max_epochs: int = 10_000) -> bool:
    """Decide whether one perceptron can classify ``X`` perfectly.

    Runs the perceptron rule from zero weights with learning rate 1. On 0/1
    data the weights stay whole numbers and (by the perceptron cycling
    theorem) bounded, so the rule either finishes an epoch without mistakes
    (separable: the convergence theorem) or comes back to weights it had at the
    start of an earlier epoch, and would loop forever (not separable).

    Parameters
    ----------
    X, y : array_like
        0/1 examples (one row each) and 0/1 labels.
    max_epochs : int
        Safety limit; never reached for small 0/1 tables.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_linearly_separable(*hotdog_truth_table())
    True
    >>> is_linearly_separable(*xor_data())
    False
    """
    result = train_perceptron(X, y, epochs=max_epochs)
    if result.converged:
        return True
    if result.cycled:
        return False
    raise PerceptronError(
        f"Could not decide within {max_epochs} epochs; raise max_epochs."
    )  # pragma: no cover


def format_table(
    perceptron: Perceptron | None = None,
    X: Any = None,
    y: Any = None,
    *,
    show_sigmoid: bool = True,
) -> str:
    """A text table of inputs, ``w.x``, ``z``, the step and sigmoid outputs and targets.

    Parameters
    ----------
    perceptron : Perceptron, optional
        Default: the book's.
    X : array_like, optional
        Examples; default all 0/1 combinations of the perceptron's inputs.
    y : array_like, optional
        Targets; adds "target" and "right?" columns.
    show_sigmoid : bool
        Add the sigmoid neuron's output ``sigmoid(z)`` for comparison.

    Returns
    -------
    str
    """
    p = perceptron or Perceptron()
    if X is None:
        X = np.array(list(itertools.product((0, 1), repeat=p.n_inputs)), dtype=np.uint8)
    rows, _ = _as_binary(X, p.input_names, "examples")
    labels = _as_labels(y, len(rows)) if y is not None else None
    sums = rows.astype(float) @ p.weights
    heads = [*p.input_names, "w.x", "z=w.x+b", "step"]
    if show_sigmoid:
        heads.append("sigmoid(z)")
    if labels is not None:
        heads += ["target", "right?"]
    table = []
    for i, x in enumerate(rows):
        z = sums[i] + p.bias
        out = int(z > 0)
        cells = [str(int(v)) for v in x] + [_fmt(sums[i]), _fmt(z), str(out)]
        if show_sigmoid:
            cells.append(f"{sigmoid(z):.3f}")
        if labels is not None:
            cells += [str(int(labels[i])), "yes" if out == labels[i] else "NO"]
        table.append(cells)
    widths = [max(len(h), *(len(r[j]) for r in table)) for j, h in enumerate(heads)]
    lines = ["  ".join(h.rjust(wd) for h, wd in zip(heads, widths, strict=True))]
    lines += ["  ".join(c.rjust(wd) for c, wd in zip(r, widths, strict=True)) for r in table]
    return "\n".join(lines)


# --------------------------------------------------------------------------- sigmoid neuron


class SigmoidNeuron:
    """A neuron with the perceptron's weights and bias but a smooth output, ``sigmoid(w.x + b)``.

    Where the perceptron jumps from 0 to 1 at ``z = 0``, the sigmoid neuron
    slides: ``0.5`` at ``z = 0``, close to 1 for large positive ``z``, close
    to 0 for large negative ``z``. Small weight changes now make small output
    changes, which is what lets gradient descent train networks.

    Parameters
    ----------
    weights : sequence of float
        Default: the book's ``(6, 2, 3)``.
    bias : float
        Default ``-4`` (the book's threshold 4).
    input_names : sequence of str, optional
        As for :class:`Perceptron`.

    Notes
    -----
    Inputs may be any finite numbers (not only 0/1), as in the book.

    Examples
    --------
    >>> n = SigmoidNeuron()
    >>> round(n.output([1, 1, 0]), 3)        # z = 8 - 4 = 4
    0.982
    >>> n.predict([1, 1, 0]) == Perceptron().predict([1, 1, 0])
    True
    """

    def __init__(
        self,
        weights: Sequence[float] = BOOK_WEIGHTS,
        bias: float = -BOOK_THRESHOLD,
        input_names: Sequence[str] | None = None,
    ) -> None:
        # Reuse the perceptron's checks; the threshold is -bias.
        self._p = Perceptron(weights, -_check_number(bias, "The bias"), input_names)

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
        return (
            f"SigmoidNeuron(weights={_fmt_vec(self._p.weights)}, bias={_fmt(self.bias)}, "
            f"input_names={self.input_names!r})"
        )

    def _rows(self, x: Any) -> tuple[np.ndarray, bool]:
        names = self.input_names
        if isinstance(x, Mapping):
            return _as_binary(x, names)  # dicts: same checks as the perceptron
        try:
            arr = np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise PerceptronError(f"The inputs must be numbers, got {x!r}.") from None
        if arr.ndim not in (1, 2) or arr.shape[-1] != len(names):
            raise PerceptronError(
                f"The neuron has {len(names)} inputs ({', '.join(names)}); give one value per input "
                f"or one row per example, got shape {arr.shape}."
            )
        if not np.all(np.isfinite(arr)):
            raise PerceptronError("The inputs must be finite numbers; replace nan/inf.")
        return arr.reshape(-1, len(names)), arr.ndim == 1

    def z(self, x: Any) -> Any:
        """Return ``z = w.x + b`` (a float for one example, an array for a batch)."""
        rows, single = self._rows(x)
        z = rows.astype(float) @ self._p.weights + self.bias
        return float(z[0]) if single else z

    def output(self, x: Any) -> Any:
        """Return ``sigmoid(w.x + b)``, between 0 and 1."""
        return sigmoid(self.z(x))

    __call__ = output

    def predict(self, x: Any) -> Any:
        """Return 1 where the output is above 0.5 (i.e. ``z > 0``), like the perceptron."""
        out = step(self.z(x))
        return out

    def explain(self, inputs: Any) -> str:
        """Compare the step and the sigmoid for one example, in words and numbers."""
        z = self.z(inputs)
        if not isinstance(z, float):
            raise PerceptronError("explain() takes one example at a time.")
        s = sigmoid(z)
        return (
            f"z = w.x + b = {_fmt(z)}. The perceptron's step outputs {int(z > 0)}; "
            f"the sigmoid neuron outputs sigmoid({_fmt(z)}) = 1 / (1 + e^({_fmt(-z)})) = {s:.4f}."
        )


def _check_xy_real(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        X = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError):
        raise PerceptronError(f"X must be a table of numbers, got {X!r}.") from None
    if X.ndim != 2 or len(X) == 0:
        raise PerceptronError(f"X must be a table with one row per example, got shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        raise PerceptronError("X must hold finite numbers; replace nan/inf.")
    return X, _as_labels(y, len(X)).astype(np.float32)


def keras_neuron(
    weights: Sequence[float] | None = BOOK_WEIGHTS,
    bias: float | None = -BOOK_THRESHOLD,
    *,
    n_inputs: int | None = None,
    seed: int | None = None,
    learning_rate: float = 0.1,
) -> Any:
    """The sigmoid neuron as a one-unit Keras model.

    The model is ``keras.Sequential([keras.Input((n,)), keras.layers.Dense(1,
    activation="sigmoid")])``, compiled with Adam and binary cross-entropy,
    exactly one :class:`SigmoidNeuron`.

    Parameters
    ----------
    weights : sequence of float or None
        Set the Dense layer's kernel to these (default: the book's 6, 2, 3).
        ``None`` keeps Keras's random start (and bias 0).
    bias : float or None
        The Dense layer's bias (default -4); ignored when ``weights`` is None.
    n_inputs : int, optional
        Number of inputs when ``weights`` is None (default 3).
    seed : int, optional
        Seed Keras's random numbers first (for a reproducible random start).
    learning_rate : float
        Adam's learning rate for training. Default 0.1.

    Returns
    -------
    keras.Model
        With ``model.predict(X)`` equal to ``SigmoidNeuron(weights, bias).output(X)``.
    """
    from brainkit.runtime import import_keras, seed_everything

    keras = import_keras()
    if weights is not None:
        w = _as_weights(weights, n_inputs)
        n = w.size
        b = 0.0 if bias is None else _check_number(bias, "The bias")
    else:
        n = 3 if n_inputs is None else n_inputs
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise PerceptronError(f"n_inputs must be a whole number >= 1, got {n_inputs!r}.")
    seed_everything(seed)
    model = keras.Sequential(
        [keras.Input((int(n),)), keras.layers.Dense(1, activation="sigmoid", name="neuron")],
        name="sigmoid_neuron",
    )
    if weights is not None:
        model.layers[-1].set_weights(
            [w.reshape(n, 1).astype("float32"), np.array([b], dtype="float32")]
        )
    lr = _check_number(learning_rate, "learning_rate")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train_keras_neuron(
    X: Any = None,
    y: Any = None,
    *,
    epochs: int = 300,
    seed: int | None = 0,
    learning_rate: float = 0.1,
    verbose: int = 0,
) -> tuple[Any, float]:
    """Train a one-unit sigmoid Keras model on the hot-dog examples by gradient descent.

    Parameters
    ----------
    X, y : array_like, optional
        Examples and 0/1 labels; default :func:`hotdog_truth_table`.
    epochs : int
        Full-batch training steps. Default 300.
    seed : int, optional
        Seed for the random start. Default 0.
    learning_rate : float
        Adam's learning rate. Default 0.1.
    verbose : int
        Keras's ``verbose`` for ``fit``. Default 0 (silent).

    Returns
    -------
    (keras.Model, float)
        The trained model and its accuracy on ``X`` (output > 0.5 counts as 1).
    """
    if X is None and y is None:
        X, y = hotdog_truth_table()
    elif X is None or y is None:
        raise PerceptronError("Give both X and y, or neither (for the hot-dog truth table).")
    Xf, yf = _check_xy_real(X, y)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise PerceptronError(f"epochs must be a whole number >= 1, got {epochs!r}.")
    model = keras_neuron(None, n_inputs=Xf.shape[1], seed=seed, learning_rate=learning_rate)
    model.fit(Xf, yf, epochs=int(epochs), batch_size=len(Xf), shuffle=False, verbose=verbose)
    p = np.asarray(model.predict(Xf, verbose=0)).reshape(-1)
    accuracy = float(np.mean((p > 0.5).astype(np.float32) == yf))
    return model, accuracy
