"""Looking at what a model predicts: an image beside its 10 output probabilities.

These are the "verifying predictions" plots of the Keras/TensorFlow beginner
tutorial: the bar of the predicted class is blue when the model is right and
red when it is wrong, and the bar of the true class is always blue.

The ``probabilities`` are what ``model.predict(x)`` returns. A model whose last
layer has no softmax (it outputs *logits*) is handled too: its rows are turned
into probabilities with a softmax before plotting, and the plot says so.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from brainkit.images import convert_image, open_picture
from brainkit.viz._layout import choose, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_conversion",
    "plot_prediction",
    "plot_predictions_grid",
    "plot_worst_mistakes",
]

RIGHT = "tab:blue"
WRONG = "tab:red"
OTHER = "#b0b0b0"


def _images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim == 2:  # flattened, e.g. (N, 784)
        side = int(round(np.sqrt(images.shape[1])))
        if side * side == images.shape[1]:
            images = images.reshape(len(images), side, side)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {images.shape}.")
    return images


def _image(image: np.ndarray) -> np.ndarray:
    return _images(np.asarray(image)[np.newaxis])[0]


def _probabilities(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """Return row-wise probabilities and whether a softmax had to be applied."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[np.newaxis]
    if values.ndim != 2:
        raise ValueError(f"probabilities must have shape (N, classes), got {values.shape}.")
    looks_like_probabilities = (
        values.min() >= -1e-6
        and values.max() <= 1 + 1e-6
        and np.allclose(values.sum(axis=1), 1, atol=1e-3)
    )
    if looks_like_probabilities:
        return np.clip(values, 0, 1), False
    shifted = values - values.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True), True


def _check_classes(probabilities: np.ndarray, class_names: Sequence[str]) -> None:
    if probabilities.shape[1] != len(class_names):
        raise ValueError(
            f"The model has {probabilities.shape[1]} outputs but {len(class_names)} class names "
            "were given; they must match."
        )


def _draw_image(
    ax: Axes,
    image: np.ndarray,
    probs: np.ndarray,
    class_names: Sequence[str],
    true_label: int | None,
    fontsize: float,
) -> None:
    guess = int(np.argmax(probs))
    ax.imshow(image, cmap="gray_r")
    ax.set_xticks([])
    ax.set_yticks([])
    text = f"{class_names[guess]} {100 * probs[guess]:.0f}%"
    colour = "black"
    if true_label is not None:
        colour = RIGHT if guess == true_label else WRONG
        text += f"\n(true: {class_names[true_label]})"
    ax.set_xlabel(text, color=colour, fontsize=fontsize)


def _draw_bars(
    ax: Axes,
    probs: np.ndarray,
    class_names: Sequence[str] | None,
    true_label: int | None,
    fontsize: float,
) -> None:
    guess = int(np.argmax(probs))
    colours = [OTHER] * len(probs)
    colours[guess] = RIGHT if true_label is None or guess == true_label else WRONG
    if true_label is not None:
        colours[true_label] = RIGHT
    positions = np.arange(len(probs))
    ax.barh(positions, probs, color=colours, height=0.7)
    ax.set_xlim(0, 1)
    ax.set_ylim(len(probs) - 0.5, -0.5)  # first class at the top
    ax.set_xticks([0, 0.5, 1])
    ax.set_xticklabels(["0", "0.5", "1"], fontsize=fontsize - 1)
    ax.set_yticks(positions)
    if class_names is not None:
        ax.set_yticklabels(class_names, fontsize=fontsize)
    else:
        ax.set_yticklabels([str(i) for i in positions], fontsize=fontsize)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if true_label is not None:
        ax.get_yticklabels()[true_label].set_fontweight("bold")


def plot_prediction(
    image: np.ndarray,
    probabilities: np.ndarray | Sequence[float],
    class_names: Sequence[str],
    true_label: int | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Show one image beside a bar chart of the model's output for it.

    The predicted class (the longest bar) is blue when it is the true class and
    red when it is not; the true class's bar is blue and its name bold.

    Parameters
    ----------
    image : numpy.ndarray
        One ``(H, W)`` or ``(H, W, 1)`` image (or a flattened ``(H*W,)`` one).
    probabilities : array-like
        The model's ``(classes,)`` output for this image: probabilities, or
        logits (then a softmax is applied first).
    class_names : sequence of str
        The name of each class, in output order.
    true_label : int, optional
        The correct class, if known.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from brainkit import datasets, viz
    >>> data = datasets.load("fashion_mnist_sample")
    >>> probs = model.predict(data.x_test[:1] / 255)  # doctest: +SKIP
    >>> fig = viz.plot_prediction(data.x_test[0], probs[0], data.class_names,
    ...                           true_label=data.y_test[0])  # doctest: +SKIP
    """
    probs, from_logits = _probabilities(np.asarray(probabilities).ravel())
    _check_classes(probs, class_names)
    probs = probs[0]
    label = None if true_label is None else int(true_label)
    fig = new_figure(figsize=(6.4, 3.0))
    ax_image, ax_bars = fig.subplots(1, 2, width_ratios=[1, 1.5])
    _draw_image(ax_image, _image(image), probs, class_names, label, fontsize=10)
    _draw_bars(ax_bars, probs, class_names, label, fontsize=9)
    ax_bars.set_xlabel("probability (softmax of the logits)" if from_logits else "probability")
    if title:
        fig.suptitle(title)
    return fig


def plot_predictions_grid(
    images: np.ndarray,
    probabilities: np.ndarray,
    labels: np.ndarray | Sequence[int] | None,
    class_names: Sequence[str],
    count: int = 12,
    *,
    columns: int = 3,
    seed: int | None = None,
    title: str | None = "Predictions: blue = right, red = wrong",
) -> Figure:
    """Show several images, each beside a bar chart of the model's outputs.

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, H, W)`` images (or ``(N, H, W, 1)``, or flattened ``(N, H*W)``).
    probabilities : numpy.ndarray
        ``(N, classes)`` model outputs (probabilities or logits).
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

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> probs = model.predict(data.x_test / 255)  # doctest: +SKIP
    >>> fig = viz.plot_predictions_grid(data.x_test, probs, data.y_test,
    ...                                 data.class_names, count=9)  # doctest: +SKIP
    """
    images = _images(images)
    probs, from_logits = _probabilities(probabilities)
    _check_classes(probs, class_names)
    if len(probs) != len(images):
        raise ValueError(f"Got {len(images)} images but {len(probs)} rows of probabilities.")
    index = choose(len(images), count, seed)
    n = len(index)
    columns = max(1, min(columns, n))
    rows = int(np.ceil(n / columns))
    height = 1.75 * rows + (0.45 if title else 0) + (0.25 if from_logits else 0)
    fig = new_figure(figsize=(4.4 * columns, height))
    axes = np.asarray(fig.subplots(rows, 2 * columns, width_ratios=[1, 1.35] * columns)).reshape(
        rows, 2 * columns
    )
    label_array = None if labels is None else np.asarray(labels)
    for k, i in enumerate(index):
        row, col = divmod(k, columns)
        ax_image, ax_bars = axes[row, 2 * col], axes[row, 2 * col + 1]
        label = None if label_array is None else int(label_array[i])
        _draw_image(ax_image, images[i], probs[i], class_names, label, fontsize=8)
        _draw_bars(ax_bars, probs[i], class_names, label, fontsize=7)
    for k in range(n, rows * columns):
        row, col = divmod(k, columns)
        axes[row, 2 * col].set_visible(False)
        axes[row, 2 * col + 1].set_visible(False)
    if title:
        fig.suptitle(title)
    if from_logits:
        fig.supxlabel("bars: softmax of the model's logits", fontsize=9)
    return fig


def plot_worst_mistakes(
    images: np.ndarray,
    probabilities: np.ndarray,
    labels: np.ndarray | Sequence[int],
    class_names: Sequence[str],
    count: int = 16,
    *,
    columns: int = 4,
    title: str | None = None,
) -> Figure:
    """Show the images the model got wrong with the highest confidence.

    Each image is titled ``"predicted p=0.97"`` (in red) over ``"true: name"``.
    Looking at these is the quickest way to see what a model finds hard, and
    sometimes to find images whose label is itself wrong.

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, H, W)`` images, e.g. ``data.x_test``.
    probabilities : numpy.ndarray
        ``(N, classes)`` model outputs for them (probabilities or logits).
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

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> probs = model.predict(data.x_test / 255)  # doctest: +SKIP
    >>> fig = viz.plot_worst_mistakes(data.x_test, probs, data.y_test, data.class_names)  # doctest: +SKIP
    """
    images = _images(images)
    probs, _ = _probabilities(probabilities)
    _check_classes(probs, class_names)
    labels = np.asarray(labels).astype(int).ravel()
    if not len(probs) == len(images) == len(labels):
        raise ValueError(
            f"Got {len(images)} images, {len(probs)} rows of probabilities and {len(labels)} labels; "
            "they must be the same number."
        )
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}.")
    guesses = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    wrong = np.flatnonzero(guesses != labels)
    worst = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
    if title is None:
        title = (
            f"The {len(worst)} most confident mistakes "
            f"({len(wrong)} wrong of {len(labels)}, {100 * len(wrong) / max(1, len(labels)):.1f}%)"
            "\nabove (red): the prediction and its probability p; below: the true class"
        )
    if len(worst) == 0:
        fig = new_figure(figsize=(4.5, 2.0))
        ax = fig.subplots()
        ax.axis("off")
        ax.text(0.5, 0.5, "No mistakes: every prediction is right.", ha="center", va="center")
        fig.suptitle(title if title else "")
        return fig
    columns = max(1, min(columns, len(worst)))
    rows = int(np.ceil(len(worst) / columns))
    fig = new_figure(figsize=(1.9 * columns, 2.25 * rows + 0.6))
    fig.get_layout_engine().set(h_pad=0.06, hspace=0.06)
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, i in zip(axes, worst, strict=False):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(
            f"{class_names[guesses[i]]} p={confidence[i]:.2f}", fontsize=9, color=WRONG, pad=3
        )
        ax.set_xlabel(f"true: {class_names[labels[i]]}", fontsize=9, labelpad=3)
    for ax in axes[len(worst) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_conversion(
    path: str | os.PathLike[str],
    size: tuple[int, int] = (28, 28),
    style: str = "fashion_mnist",
    probabilities: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """Show what the model sees: a picture, its conversion and, if given, the model's outputs.

    Parameters
    ----------
    path : str or path
        The picture.
    size, style
        As for :func:`brainkit.images.load_image`.
    probabilities : numpy.ndarray, optional
        The model's ``(classes,)`` probabilities for the converted image
        (e.g. ``brainkit.predict(run, path).probabilities``); drawn as bars.
    class_names : sequence of str, optional
        The class names, with ``probabilities``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    original = open_picture(path)
    converted = convert_image(original, size=size, style=style)
    bars = probabilities is not None
    fig = new_figure(figsize=(9.6 if bars else 6, 3.2))
    axes = fig.subplots(1, 3 if bars else 2, width_ratios=[1, 1, 1.4] if bars else None)
    axes[0].imshow(original, cmap="gray", vmin=0, vmax=255)
    axes[0].set_title(f"your picture\n{original.shape[1]} x {original.shape[0]}, grayscale")
    axes[1].imshow(converted, cmap="gray", vmin=0, vmax=255)
    axes[1].set_title(f"what the model sees\n{size[1]} x {size[0]}, light on black")
    for ax in axes[:2]:
        ax.set_xticks([])
        ax.set_yticks([])
    if bars:
        probs = np.asarray(probabilities, dtype=np.float64).ravel()
        _draw_bars(axes[2], probs, class_names, None, fontsize=9)
        guess = int(np.argmax(probs))
        name = class_names[guess] if class_names is not None else str(guess)
        axes[2].set_title(f"the model's answer\n{name} ({probs[guess]:.0%})")
    return fig
