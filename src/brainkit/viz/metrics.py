"""How training went and where the model errs: learning curves and confusion matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from brainkit.viz._layout import as_images, finish, grid_figure, message_figure, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["confusion_matrix", "history_dict", "most_confused", "plot_confusion_matrix",
           "plot_learning_curves", "plot_most_confused"]

_Labels = np.ndarray | Sequence[int]

_ACCURACIES = ("accuracy", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy")
_PRETTY = {"loss": "Loss", "acc": "Accuracy", **dict.fromkeys(_ACCURACIES, "Accuracy"),
           "learning_rate": "Learning rate", "lr": "Learning rate"}


def history_dict(history: Any) -> dict[str, list[float]]:
    """Return ``history`` (a keras History or its ``.history`` dict) as ``{metric: [floats]}``."""
    raw = getattr(history, "history", history)
    if not isinstance(raw, Mapping):
        raise TypeError("history must be what model.fit() returns (a keras History) or a dict "
                        f"like {{'loss': [...], 'val_loss': [...]}}, got {type(history).__name__}.")
    return {str(key): np.asarray(v, dtype=np.float64).ravel().tolist() for key, v in raw.items()}


def _is_accuracy(name: str) -> bool:
    return "accuracy" in name or name == "acc"


def plot_learning_curves(history: Any, *, metrics: Sequence[str] | None = None,
                         title: str | None = None, columns: int = 3) -> Figure:
    """Plot each metric per epoch: training solid, validation dashed, best validation starred.

    Parameters
    ----------
    history : keras.callbacks.History or mapping
        What ``model.fit`` returns, or a dict such as ``{"loss": [...], "val_loss": [...]}``.
    metrics : sequence of str, optional
        Which metrics to show (names without ``val_``); default: all of them.
    title : str, optional
        Figure title.
    columns : int
        Panels per row.
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter
    hist = history_dict(history)
    if metrics is None:  # loss first, then accuracies, then the rest, each in logged order
        logged = dict.fromkeys(key.removeprefix("val_") for key, v in hist.items() if len(v))
        metrics = sorted(logged, key=lambda n: 0 if n == "loss" else 1 if _is_accuracy(n) else 2)
    names = list(metrics)
    missing = [name for name in names if name not in hist and f"val_{name}" not in hist]
    if missing:
        have = ", ".join(hist) or "nothing"
        raise ValueError(f"No metric {missing[0]!r} in the history; it has: {have}.")
    if not names:
        raise ValueError("The history is empty: train for at least one epoch first.")
    fig, axes = grid_figure(len(names), columns, (4.2, 3.2), 0.4 if title else 0)
    for ax, name in zip(axes, names, strict=False):
        train, val = hist.get(name, []), hist.get(f"val_{name}", [])
        epochs = max(len(train), len(val))
        style = {"marker": None if epochs > 30 else "o", "markersize": 4, "linewidth": 1.8}
        for values, colour, line, label in ((train, "tab:blue", "-", "training"),
                                            (val, "tab:orange", "--", "validation")):
            if values:
                ax.plot(np.arange(1, len(values) + 1), values, color=colour, linestyle=line,
                        label=label, **style)
        finite = np.isfinite(val)
        if val and finite.any():
            sign = 1 if "loss" in name or "error" in name or name in {"mae", "mse", "rmse"} else -1
            best = int(np.argmin(np.where(finite, sign * np.asarray(val), np.inf)))
            ax.plot(best + 1, val[best], "*", markersize=13, color="tab:orange",
                    markeredgecolor="black", label=f"best validation (epoch {best + 1})")
        ax.set(title=_PRETTY.get(name, name.replace("_", " ").capitalize()), xlabel="epoch")
        if epochs <= 12:
            ax.set_xticks(np.arange(1, epochs + 1))
        else:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_xlim(0.5, epochs + 0.5)
        if _is_accuracy(name):
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=None))
        ax.margins(y=0.1)
        ax.grid(color="#e5e5e5")
        ax.legend(fontsize=8)
    return finish(fig, axes, len(names), title)


def _labels(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim == 2:  # one-hot labels or predicted probabilities
        array = array.argmax(axis=1)
    array = array.ravel()
    if array.size and not np.all(np.equal(np.mod(array, 1), 0)):
        raise ValueError(f"{name} must hold integer class labels (or one row of scores per "
                         "sample).")
    return array.astype(np.int64)


def confusion_matrix(y_true: _Labels, y_pred: _Labels,
                     num_classes: int | None = None) -> np.ndarray:
    """Return the ``(num_classes, num_classes)`` int64 counts: row = true, column = predicted.

    Parameters
    ----------
    y_true, y_pred : array-like
        Integer labels ``(N,)``, or one-hot labels or ``(N, classes)`` outputs (argmax taken).
    num_classes : int, optional
        Number of classes; default: the largest label + 1.
    """
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
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


def plot_confusion_matrix(y_true: _Labels, y_pred: _Labels, class_names: Sequence[str],
                          normalize: bool = False, *, title: str | None = None,
                          cmap: str = "Blues") -> Figure:
    """Draw the confusion matrix with class names on both axes and a number in every cell.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels; ``y_pred`` may be the model's ``(N, classes)`` output.
    class_names : sequence of str
        The name of each class.
    normalize : bool
        Show each row as fractions of its true class (the per-class recall) instead of counts.
    title : str, optional
        Figure title; by default it gives the overall accuracy.
    cmap : str
        Matplotlib colormap.
    """
    n = len(class_names)
    counts = confusion_matrix(y_true, y_pred, n)
    right, total = np.trace(counts), counts.sum()
    rows = counts.sum(axis=1, keepdims=True) if normalize else 1  # 1: the counts themselves
    values = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    size = max(4.5, 0.55 * n + 2.2)
    fig = new_figure(figsize=(size + 0.9, size))
    ax = fig.subplots()
    top = 1.0 if normalize or not values.size or values.max() <= 0 else float(values.max())
    image = ax.imshow(values, cmap=cmap, vmin=0, vmax=top)
    label = "fraction of the true class" if normalize else "number of images"
    fig.colorbar(image, ax=ax, shrink=0.8, label=label)
    ax.set_xticks(np.arange(n), class_names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(np.arange(n), class_names)
    ax.set(xlabel="predicted class", ylabel="true class")
    ax.spines[:].set_visible(False)
    ax.set_xticks(np.arange(n + 1) - 0.5, minor=True)  # white lines between the cells
    ax.set_yticks(np.arange(n + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="both", length=0)
    fontsize = 9 if n <= 10 else max(5, 9 - (n - 10) // 3)
    for i, j in np.ndindex(n, n):
        if counts[i, j] == 0:
            text, colour = "0", "#c8c8c8"
        else:
            text = f"{values[i, j]:.2f}" if normalize else f"{counts[i, j]:d}"
            colour = "white" if values[i, j] > 0.5 * top else "black"
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize, color=colour)
    if title is None:
        accuracy = right / total if total else float("nan")
        title = f"Confusion matrix: {100 * accuracy:.1f}% right ({right} of {total})"
        if normalize:
            title += "\neach row sums to 1: the diagonal is the share of each class found"
    fig.suptitle(title)
    return fig


def most_confused(y_true: _Labels, y_pred: _Labels, class_names: Sequence[str],
                  top: int = 5) -> list[tuple[str, str, int]]:
    """Return the mistakes, most frequent first, as ``(true class, predicted class, count)``.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels; ``y_pred`` may be the model's ``(N, classes)`` output.
    class_names : sequence of str
        The name of each class.
    top : int
        How many pairs to return at most; ties in the order of the true, then predicted class.
    """
    off = confusion_matrix(y_true, y_pred, len(class_names))
    np.fill_diagonal(off, 0)
    order = np.argsort(-off.ravel(), kind="stable")[: max(0, top)]
    return [(class_names[i], class_names[j], int(off[i, j]))
            for i, j in zip(*np.unravel_index(order, off.shape), strict=True) if off[i, j]]


def plot_most_confused(y_true: _Labels, y_pred: _Labels, class_names: Sequence[str], top: int = 5,
                       *, images: np.ndarray | None = None, examples: int = 6,
                       title: str | None = None) -> Figure:
    """Show the most frequent mistakes: a bar chart, or example images of each.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels; ``y_pred`` may be the model's ``(N, classes)`` output.
    class_names : sequence of str
        The name of each class.
    top : int
        How many (true, predicted) pairs to show.
    images : numpy.ndarray, optional
        The ``(N, H, W)`` images: each pair then gets a row of its images instead of a bar.
    examples : int
        Images per row when ``images`` is given.
    title : str, optional
        Figure title.
    """
    from matplotlib.ticker import MaxNLocator
    pairs = most_confused(y_true, y_pred, class_names, top)
    title = f"The {len(pairs)} most frequent mistakes" if title is None else title
    if not pairs:
        return message_figure("No mistakes: every prediction is right.", title)
    if images is None:
        fig = new_figure(figsize=(6.0, 0.5 * len(pairs) + 1.3))
        ax = fig.subplots()
        positions = np.arange(len(pairs))
        counts = [c for _, _, c in pairs]
        ax.barh(positions, counts, color="tab:red", height=0.6)
        ax.set(yticks=positions, yticklabels=[f"{t}  →  {p}" for t, p, _ in pairs],
               ylim=(len(pairs) - 0.5, -0.5), xlim=(0, max(counts) * 1.15),
               xlabel="images (true class → predicted class)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for y, c in zip(positions, counts, strict=True):
            ax.text(c, y, f" {c}", va="center", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
    else:
        images = as_images(images)
        t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
        index = {name: k for k, name in enumerate(class_names)}
        examples = max(1, examples)
        fig = new_figure(figsize=(1.25 * examples + 0.4, 1.55 * len(pairs) + 0.5))
        subfigs = np.atleast_1d(fig.subfigures(len(pairs), 1))
        for sub, (true_name, pred_name, count) in zip(subfigs, pairs, strict=True):
            where = np.flatnonzero((t == index[true_name]) & (p == index[pred_name]))[:examples]
            axes = np.atleast_1d(sub.subplots(1, examples))
            for ax, i in zip(axes, where, strict=False):
                ax.imshow(images[i], cmap="gray_r")
                ax.set(xticks=[], yticks=[])
                ax.spines[:].set_color("#c8c8c8")
            finish(sub, axes, len(where), f"true {true_name}, predicted {pred_name}: "
                   f"{count} images", fontsize=10, x=0.02, ha="left")
    fig.suptitle(title)
    return fig
