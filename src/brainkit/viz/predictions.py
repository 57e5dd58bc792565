"""Looking at what a model predicts: each image beside its output probabilities (or logits)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from brainkit.images import convert_image, open_picture
from brainkit.viz._layout import as_images, choose, finish, grid_figure, message_figure, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_conversion", "plot_prediction", "plot_predictions_grid", "plot_worst_mistakes"]

RIGHT, WRONG, OTHER = "tab:blue", "tab:red", "#b0b0b0"  # bar and label colours


def _probabilities(values: np.ndarray, class_names: Sequence[str]) -> tuple[np.ndarray, bool]:
    """Row-wise probabilities, and whether a softmax had to be applied to get them."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    if values.ndim != 2:
        raise ValueError(f"probabilities must have shape (N, classes), got {values.shape}.")
    if values.shape[1] != len(class_names):
        raise ValueError(f"The model has {values.shape[1]} outputs but {len(class_names)} "
                         "class names were given; they must match.")
    in_range = values.min() >= -1e-6 and values.max() <= 1 + 1e-6
    if in_range and np.allclose(values.sum(axis=1), 1, atol=1e-3):  # already probabilities
        return np.clip(values, 0, 1), False
    exp = np.exp(values - values.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True), True


def _draw_image(ax: Axes, image: np.ndarray, probs: np.ndarray, class_names: Sequence[str],
                true_label: int | None, fontsize: float) -> None:
    guess = int(np.argmax(probs))
    ax.imshow(image, cmap="gray_r")
    ax.set(xticks=[], yticks=[])
    text = f"{class_names[guess]} {100 * probs[guess]:.0f}%"
    colour = "black"
    if true_label is not None:
        colour = RIGHT if guess == true_label else WRONG
        text += f"\n(true: {class_names[true_label]})"
    ax.set_xlabel(text, color=colour, fontsize=fontsize)


def _draw_bars(ax: Axes, probs: np.ndarray, class_names: Sequence[str] | None,
               true_label: int | None, fontsize: float) -> None:
    guess = int(np.argmax(probs))
    colours = [OTHER] * len(probs)
    colours[guess] = RIGHT if true_label is None or guess == true_label else WRONG
    if true_label is not None:
        colours[true_label] = RIGHT
    positions = np.arange(len(probs))
    ax.barh(positions, probs, color=colours, height=0.7)
    ax.set(xlim=(0, 1), ylim=(len(probs) - 0.5, -0.5), axisbelow=True)  # first class at the top
    ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"], fontsize=fontsize - 1)
    names = class_names if class_names is not None else [str(i) for i in positions]
    ax.set_yticks(positions, names, fontsize=fontsize)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.spines[["top", "right"]].set_visible(False)
    if true_label is not None:
        ax.get_yticklabels()[true_label].set_fontweight("bold")


def plot_prediction(image: np.ndarray, probabilities: np.ndarray | Sequence[float],
                    class_names: Sequence[str], true_label: int | None = None, *,
                    title: str | None = None) -> Figure:
    """Show one image beside a bar chart of the model's output for it.

    Parameters
    ----------
    image, probabilities : array-like
        One ``(H, W)`` image (or flattened) and the model's ``(classes,)`` output for it, or logits.
    class_names : sequence of str
        The name of each class, in output order.
    true_label : int, optional
        The correct class, if known (bold; the prediction is blue if right, red if wrong).
    title : str, optional
        Figure title.
    """
    probs, from_logits = _probabilities(np.asarray(probabilities).ravel(), class_names)
    label = None if true_label is None else int(true_label)
    fig, axes = grid_figure(1, 1, (6.4, 3.0), width_ratios=(1, 1.5))
    image = as_images(np.asarray(image)[np.newaxis])[0]
    _draw_image(axes[0], image, probs[0], class_names, label, fontsize=10)
    _draw_bars(axes[1], probs[0], class_names, label, fontsize=9)
    axes[1].set_xlabel("probability (softmax of the logits)" if from_logits else "probability")
    return finish(fig, axes, 2, title)


def plot_predictions_grid(images: np.ndarray, probabilities: np.ndarray,
                          labels: np.ndarray | Sequence[int] | None, class_names: Sequence[str],
                          count: int = 12, *, columns: int = 3, seed: int | None = None,
                          title: str | None = "Predictions: blue = right, red = wrong") -> Figure:
    """Show several images, each beside a bar chart of the model's outputs.

    Parameters
    ----------
    images, probabilities : numpy.ndarray
        ``(N, H, W)`` images (or flattened) and the ``(N, classes)`` outputs, or logits, for them.
    labels : array-like or None
        The true classes, or ``None`` if unknown.
    class_names : sequence of str
        The name of each class.
    count : int
        How many images to show (the first ``count``, or a random choice with ``seed``).
    columns : int
        Image + bar-chart pairs per row.
    seed : int, optional
        Pick ``count`` random images with this seed instead of the first ones.
    title : str, optional
        Figure title.
    """
    images = as_images(images)
    probs, from_logits = _probabilities(probabilities, class_names)
    if len(probs) != len(images):
        raise ValueError(f"Got {len(images)} images but {len(probs)} rows of probabilities.")
    index = choose(len(images), count, seed)
    height = (0.45 if title else 0) + (0.25 if from_logits else 0)
    fig, axes = grid_figure(len(index), columns, (4.4, 1.75), height, width_ratios=(1, 1.35))
    pairs = axes.reshape(-1, 2)  # (image, bars) per panel, row by row
    for (ax_image, ax_bars), i in zip(pairs, index, strict=False):
        label = None if labels is None else int(np.asarray(labels)[i])
        _draw_image(ax_image, images[i], probs[i], class_names, label, fontsize=8)
        _draw_bars(ax_bars, probs[i], class_names, label, fontsize=7)
    finish(fig, pairs.ravel(), 2 * len(index), title)
    if from_logits:
        fig.supxlabel("bars: softmax of the model's logits", fontsize=9)
    return fig


def plot_worst_mistakes(images: np.ndarray, probabilities: np.ndarray,
                        labels: np.ndarray | Sequence[int], class_names: Sequence[str],
                        count: int = 16, *, columns: int = 4, title: str | None = None) -> Figure:
    """Show the most confident mistakes: each image under its prediction, over its true class.

    Parameters
    ----------
    images, probabilities : numpy.ndarray
        ``(N, H, W)`` images, e.g. ``data.x_test``, and the ``(N, classes)`` outputs (or logits).
    labels : array-like
        The true classes.
    class_names : sequence of str
        The name of each class.
    count : int
        Show at most this many mistakes, the most confident first.
    columns : int
        Images per row.
    title : str, optional
        Figure title; by default it says how many mistakes there are in all.
    """
    images = as_images(images)
    probs, _ = _probabilities(probabilities, class_names)
    labels = np.asarray(labels).astype(int).ravel()
    if not len(probs) == len(images) == len(labels):
        raise ValueError(f"Got {len(images)} images, {len(probs)} rows of probabilities and "
                         f"{len(labels)} labels; they must be the same number.")
    guesses, confidence = probs.argmax(axis=1), probs.max(axis=1)
    wrong = np.flatnonzero(guesses != labels)
    ranked = wrong[np.argsort(-confidence[wrong], kind="stable")]
    worst = ranked[choose(len(ranked), count, seed=None)]
    if title is None:
        title = (f"The {len(worst)} most confident mistakes ({len(wrong)} wrong of {len(labels)}, "
                 f"{100 * len(wrong) / max(1, len(labels)):.1f}%)\nabove (red): the prediction "
                 "and its probability p; below: the true class")
    if len(worst) == 0:
        return message_figure("No mistakes: every prediction is right.", title)
    fig, axes = grid_figure(len(worst), columns, (1.9, 2.25), 0.6)
    fig.get_layout_engine().set(h_pad=0.06, hspace=0.06)
    for ax, i in zip(axes, worst, strict=False):
        ax.imshow(images[i], cmap="gray_r")
        ax.set(xticks=[], yticks=[])
        guess = f"{class_names[guesses[i]]} p={confidence[i]:.2f}"
        ax.set_title(guess, fontsize=9, color=WRONG, pad=3)
        ax.set_xlabel(f"true: {class_names[labels[i]]}", fontsize=9, labelpad=3)
    return finish(fig, axes, len(worst), title, fontsize=11)


def plot_conversion(path: str | os.PathLike[str], size: tuple[int, int] = (28, 28),
                    style: str = "fashion_mnist", probabilities: np.ndarray | None = None,
                    class_names: Sequence[str] | None = None) -> Figure:
    """Show what the model sees: a picture, its conversion and, if given, the model's outputs.

    Parameters
    ----------
    path : str or path
        The picture.
    size, style
        As for :func:`brainkit.images.load_image`.
    probabilities : numpy.ndarray, optional
        The model's probabilities for it, e.g. ``brainkit.predict(run, path).probabilities``.
    class_names : sequence of str, optional
        The class names, with ``probabilities``.
    """
    original = open_picture(path)
    converted = convert_image(original, size=size, style=style)
    bars = probabilities is not None
    fig = new_figure(figsize=(9.6 if bars else 6, 3.2))
    axes = fig.subplots(1, 3 if bars else 2, width_ratios=[1, 1, 1.4] if bars else None)
    titles = (f"your picture\n{original.shape[1]} x {original.shape[0]}, grayscale",
              f"what the model sees\n{size[1]} x {size[0]}, light on black")
    for ax, picture, text in zip(axes, (original, converted), titles, strict=False):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=255)
        ax.set(title=text, xticks=[], yticks=[])
    if bars:
        probs = np.asarray(probabilities, dtype=np.float64).ravel()
        _draw_bars(axes[2], probs, class_names, None, fontsize=9)
        guess = int(np.argmax(probs))
        name = class_names[guess] if class_names is not None else str(guess)
        axes[2].set_title(f"the model's answer\n{name} ({probs[guess]:.0%})")
    return fig
