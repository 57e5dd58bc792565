"""How training went and where the model errs: learning curves and confusion matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from brainkit.viz._layout import grid_figure, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "confusion_matrix",
    "history_dict",
    "most_confused",
    "plot_confusion_matrix",
    "plot_learning_curves",
    "plot_most_confused",
]

_PRETTY = {
    "loss": "Loss",
    "accuracy": "Accuracy",
    "acc": "Accuracy",
    "sparse_categorical_accuracy": "Accuracy",
    "categorical_accuracy": "Accuracy",
    "binary_accuracy": "Accuracy",
    "learning_rate": "Learning rate",
    "lr": "Learning rate",
}


def history_dict(history: Any) -> dict[str, list[float]]:
    """Return a training history as a plain ``{metric: [one value per epoch]}`` dict.

    Parameters
    ----------
    history : keras.callbacks.History or mapping
        What ``model.fit`` returns, or its ``.history`` dict.

    Returns
    -------
    dict of str to list of float
    """
    raw = getattr(history, "history", history)
    if not isinstance(raw, Mapping):
        raise TypeError(
            "history must be what model.fit() returns (a keras History) or a dict like "
            f"{{'loss': [...], 'val_loss': [...]}}, got {type(history).__name__}."
        )
    out: dict[str, list[float]] = {}
    for key, values in raw.items():
        values = np.atleast_1d(np.asarray(values, dtype=np.float64)).ravel()
        out[str(key)] = [float(v) for v in values]
    return out


def _metric_names(hist: Mapping[str, Sequence[float]]) -> list[str]:
    names: list[str] = []
    for key in hist:
        base = key[4:] if key.startswith("val_") else key
        if base not in names and len(hist[key]) > 0:
            names.append(base)
    order = {"loss": 0}
    return sorted(
        names,
        key=lambda n: (
            order.get(n, 2 if "accuracy" not in n and n != "acc" else 1),
            names.index(n),
        ),
    )


def _lower_is_better(name: str) -> bool:
    return "loss" in name or "error" in name or name in {"mae", "mse", "rmse"}


def plot_learning_curves(
    history: Any,
    *,
    metrics: Sequence[str] | None = None,
    title: str | None = None,
    columns: int = 3,
) -> Figure:
    """Plot every metric of a training run, training against validation, per epoch.

    One panel per metric (loss first, then accuracy, then anything else such as
    the learning rate). Training is a solid line, validation a dashed one, and
    the best validation epoch is marked. When the validation loss rises while
    the training loss keeps falling, the model is overfitting.

    Parameters
    ----------
    history : keras.callbacks.History or mapping
        What ``model.fit`` returns, or a dict such as
        ``{"loss": [...], "accuracy": [...], "val_loss": [...], "val_accuracy": [...]}``.
        Validation entries are optional.
    metrics : sequence of str, optional
        Which metrics to show (names without ``val_``); default: all of them.
    title : str, optional
        Figure title.
    columns : int
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from brainkit import viz
    >>> fig = viz.plot_learning_curves({"loss": [0.9, 0.6, 0.5], "val_loss": [0.8, 0.6, 0.6],
    ...                                 "accuracy": [0.7, 0.8, 0.83], "val_accuracy": [0.72, 0.79, 0.8]})
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    hist = history_dict(history)
    names = list(metrics) if metrics is not None else _metric_names(hist)
    missing = [n for n in names if n not in hist and f"val_{n}" not in hist]
    if missing:
        raise ValueError(
            f"No metric {missing[0]!r} in the history; it has: {', '.join(hist) or 'nothing'}."
        )
    if not names:
        raise ValueError("The history is empty: train for at least one epoch first.")
    fig, axes = grid_figure(len(names), columns, (4.2, 3.2), 0.4 if title else 0)
    for ax, name in zip(axes, names, strict=False):
        train = hist.get(name, [])
        val = hist.get(f"val_{name}", [])
        epochs = max(len(train), len(val))
        many = epochs > 30
        style = {"marker": None if many else "o", "markersize": 4, "linewidth": 1.8}
        if train:
            ax.plot(
                np.arange(1, len(train) + 1), train, color="tab:blue", label="training", **style
            )
        if val:
            ax.plot(
                np.arange(1, len(val) + 1),
                val,
                color="tab:orange",
                linestyle="--",
                label="validation",
                **style,
            )
            finite = np.isfinite(val)
            if finite.any():
                scores = np.where(finite, val, np.inf if _lower_is_better(name) else -np.inf)
                best = int(np.argmin(scores) if _lower_is_better(name) else np.argmax(scores))
                ax.plot(
                    best + 1,
                    val[best],
                    marker="*",
                    markersize=13,
                    color="tab:orange",
                    markeredgecolor="black",
                    linestyle="none",
                    label=f"best validation (epoch {best + 1})",
                )
        ax.set_title(_PRETTY.get(name, name.replace("_", " ").capitalize()))
        ax.set_xlabel("epoch")
        if epochs <= 12:
            ax.set_xticks(np.arange(1, epochs + 1))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_xlim(0.5, epochs + 0.5)
        if "accuracy" in name or name == "acc":
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=None))
        ax.margins(y=0.1)
        ax.grid(color="#e5e5e5")
        ax.legend(fontsize=8)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def _labels(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2:  # one-hot labels or predicted probabilities
        array = array.argmax(axis=1)
    array = array.ravel()
    if array.size and not np.all(np.equal(np.mod(array, 1), 0)):
        raise ValueError(
            f"{name} must hold integer class labels (or one row of scores per sample)."
        )
    return array.astype(np.int64)


def confusion_matrix(
    y_true: np.ndarray | Sequence[int],
    y_pred: np.ndarray | Sequence[int],
    num_classes: int | None = None,
) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true : array-like
        True integer labels, shape ``(N,)`` (or one-hot ``(N, classes)``).
    y_pred : array-like
        Predicted integer labels, shape ``(N,)``, or the model's ``(N, classes)``
        output (its argmax is taken).
    num_classes : int, optional
        Number of classes; default: the largest label + 1.

    Returns
    -------
    numpy.ndarray
        ``(num_classes, num_classes)`` int64 counts: row = true class,
        column = predicted class. The diagonal holds the right answers.

    Examples
    --------
    >>> from brainkit.viz import confusion_matrix
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, 1], num_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 1, 0]])
    """
    t = _labels(y_true, "y_true")
    p = _labels(y_pred, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.size} labels but y_pred has {p.size}.")
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if num_classes < 1:
        raise ValueError("num_classes must be at least 1.")
    for name, a in (("y_true", t), ("y_pred", p)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            raise ValueError(f"{name} has labels outside 0..{num_classes - 1}.")
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def plot_confusion_matrix(
    y_true: np.ndarray | Sequence[int],
    y_pred: np.ndarray | Sequence[int],
    class_names: Sequence[str],
    normalize: bool = False,
    *,
    title: str | None = None,
    cmap: str = "Blues",
) -> Figure:
    """Draw the confusion matrix with class names on both axes and a number in every cell.

    Parameters
    ----------
    y_true : array-like
        True labels.
    y_pred : array-like
        Predicted labels, or the model's ``(N, classes)`` output.
    class_names : sequence of str
        The name of each class.
    normalize : bool
        Show each row as fractions of that true class (so the diagonal is the
        per-class recall) instead of raw counts.
    title : str, optional
        Figure title; by default it gives the overall accuracy.
    cmap : str
        Matplotlib colormap.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> predicted = model.predict(data.x_test / 255).argmax(axis=1)  # doctest: +SKIP
    >>> fig = viz.plot_confusion_matrix(data.y_test, predicted, data.class_names)  # doctest: +SKIP
    """
    n = len(class_names)
    counts = confusion_matrix(y_true, y_pred, n)
    total = counts.sum()
    accuracy = np.trace(counts) / total if total else float("nan")
    if normalize:
        rows = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    else:
        values = counts.astype(np.float64)
    size = max(4.5, 0.55 * n + 2.2)
    fig = new_figure(figsize=(size + 0.9, size))
    ax = fig.subplots()
    top = 1.0 if normalize or not values.size or values.max() <= 0 else float(values.max())
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=top)
    cbar = fig.colorbar(image, ax=ax, shrink=0.8)
    cbar.set_label("fraction of the true class" if normalize else "number of images")
    ticks = np.arange(n)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels(class_names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticklabels(class_names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_xticks(np.arange(n + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    fontsize = 9 if n <= 10 else max(5, 9 - (n - 10) // 3)
    for i in range(n):
        for j in range(n):
            if counts[i, j] == 0:
                text, colour = "0", "#c8c8c8"
            else:
                text = f"{values[i, j]:.2f}" if normalize else f"{counts[i, j]:d}"
                colour = "white" if values[i, j] > 0.5 * top else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=colour)
    if title is None:
        title = f"Confusion matrix: {100 * accuracy:.1f}% right ({np.trace(counts)} of {total})"
        if normalize:
            title += "\neach row sums to 1: the diagonal is the share of each class found"
    fig.suptitle(title)
    return fig


def most_confused(
    y_true: np.ndarray | Sequence[int],
    y_pred: np.ndarray | Sequence[int],
    class_names: Sequence[str],
    top: int = 5,
) -> list[tuple[str, str, int]]:
    """List the most frequent mistakes as ``(true class, predicted class, count)``.

    Parameters
    ----------
    y_true : array-like
        True labels.
    y_pred : array-like
        Predicted labels, or the model's ``(N, classes)`` output.
    class_names : sequence of str
        The name of each class.
    top : int
        How many pairs to return at most; pairs never confused are left out.

    Returns
    -------
    list of (str, str, int)
        Most frequent first; ties in the order of the true, then predicted class.

    Examples
    --------
    >>> from brainkit.viz import most_confused
    >>> most_confused([0, 0, 1, 1, 1], [1, 1, 0, 1, 1], ["cat", "dog"])
    [('cat', 'dog', 2), ('dog', 'cat', 1)]
    """
    counts = confusion_matrix(y_true, y_pred, len(class_names))
    off = counts.copy()
    np.fill_diagonal(off, 0)
    flat = np.argsort(-off.ravel(), kind="stable")
    pairs = []
    for k in flat[: max(0, top)]:
        i, j = divmod(int(k), len(class_names))
        if off[i, j] == 0:
            break
        pairs.append((class_names[i], class_names[j], int(off[i, j])))
    return pairs


def plot_most_confused(
    y_true: np.ndarray | Sequence[int],
    y_pred: np.ndarray | Sequence[int],
    class_names: Sequence[str],
    top: int = 5,
    *,
    images: np.ndarray | None = None,
    examples: int = 6,
    title: str | None = None,
) -> Figure:
    """Show the most frequent mistakes: a bar chart, or example images of each.

    Parameters
    ----------
    y_true : array-like
        True labels.
    y_pred : array-like
        Predicted labels, or the model's ``(N, classes)`` output.
    class_names : sequence of str
        The name of each class.
    top : int
        How many (true, predicted) pairs to show.
    images : numpy.ndarray, optional
        The ``(N, H, W)`` images the labels belong to. If given, each pair gets a
        row of up to ``examples`` of its images instead of a bar.
    examples : int
        Images per row when ``images`` is given.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = viz.plot_most_confused(data.y_test, predicted, data.class_names,
    ...                              images=data.x_test)  # doctest: +SKIP
    """
    from matplotlib.ticker import MaxNLocator

    pairs = most_confused(y_true, y_pred, class_names, top)
    if title is None:
        title = f"The {len(pairs)} most frequent mistakes"
    if not pairs:
        fig = new_figure(figsize=(4.5, 2.0))
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "No mistakes: every prediction is right.", ha="center", va="center")
        fig.suptitle(title)
        return fig
    if images is None:
        fig = new_figure(figsize=(6.0, 0.5 * len(pairs) + 1.3))
        ax = fig.subplots()
        positions = np.arange(len(pairs))
        counts = [c for _, _, c in pairs]
        ax.barh(positions, counts, color="tab:red", height=0.6)
        ax.set_yticks(positions)
        ax.set_yticklabels([f"{t}  →  {p}" for t, p, _ in pairs])
        ax.set_ylim(len(pairs) - 0.5, -0.5)
        ax.set_xlabel("images (true class → predicted class)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(0, max(counts) * 1.15)
        for y, c in zip(positions, counts, strict=True):
            ax.text(c, y, f" {c}", va="center", fontsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.suptitle(title)
        return fig
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    t = _labels(y_true, "y_true")
    p = _labels(y_pred, "y_pred")
    index = {name: k for k, name in enumerate(class_names)}
    examples = max(1, examples)
    fig = new_figure(figsize=(1.25 * examples + 0.4, 1.55 * len(pairs) + 0.5))
    subfigs = np.atleast_1d(fig.subfigures(len(pairs), 1))
    for sub, (true_name, pred_name, count) in zip(subfigs, pairs, strict=True):
        where = np.flatnonzero((t == index[true_name]) & (p == index[pred_name]))[:examples]
        axes = np.atleast_1d(sub.subplots(1, examples))
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_color("#c8c8c8")
        for ax in axes[len(where) :]:
            ax.set_visible(False)
        for ax, i in zip(axes, where, strict=False):
            ax.imshow(images[i], cmap="gray_r")
        sub.suptitle(
            f"true {true_name}, predicted {pred_name}: {count} images",
            fontsize=10,
            x=0.02,
            ha="left",
        )
    fig.suptitle(title, fontsize=12)
    return fig
