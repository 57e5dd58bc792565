"""Looking at the data: a grid of sample images with their class names."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from brainkit._atomic import atomic_path
from brainkit.errors import BrainkitError
from brainkit.viz._layout import as_images, choose, finish, grid_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FigureError", "plot_samples", "save_figure"]


def plot_samples(images: np.ndarray, labels: np.ndarray | Sequence[int] | None = None,
                 class_names: Sequence[str] | None = None, *, count: int = 25, columns: int = 5,
                 predictions: np.ndarray | Sequence[int] | None = None, title: str | None = None,
                 seed: int | None = None) -> Figure:
    """Show a grid of images, each titled with its class name.

    Parameters
    ----------
    images : numpy.ndarray
        ``(N, H, W)`` or ``(N, H, W, 1)`` images.
    labels, predictions : array-like, optional
        True and predicted labels; with both, titles read "pred (true)", green/red if right/wrong.
    class_names : sequence of str, optional
        Names for the labels.
    count : int
        How many images to show (the first ``count``, or a random choice with ``seed``).
    columns : int
        Images per row.
    title : str, optional
        Figure title.
    seed : int, optional
        Pick ``count`` random images with this seed instead of the first ones.
    """
    images = as_images(images)
    index = choose(len(images), count, seed)
    fig, axes = grid_figure(len(index), columns, (1.6, 1.8), 0.4 if title else 0)

    def name(label: int) -> str:
        return class_names[label] if class_names is not None else str(label)

    for ax, i in zip(axes, index, strict=False):
        ax.imshow(images[i], cmap="gray_r")
        ax.set(xticks=[], yticks=[])
        if labels is None:
            continue
        true = int(np.asarray(labels)[i])
        if predictions is None:
            ax.set_title(name(true), fontsize=9)
        else:
            guess = int(np.asarray(predictions)[i])
            colour = "tab:green" if guess == true else "tab:red"
            ax.set_title(f"{name(guess)}\n({name(true)})", fontsize=8, color=colour)
    return finish(fig, axes, len(index), title)


def save_figure(fig: Figure, path: str | os.PathLike[str], dpi: int = 110) -> Path:
    """Save ``fig`` atomically (temporary file, then rename) and return the path.

    Raises
    ------
    FigureError
        If the file cannot be written (the message says why and what to do).
    """
    target = Path(path)
    try:
        with atomic_path(target, suffix=target.suffix or ".png") as tmp:
            fig.savefig(tmp, dpi=dpi)
    except (OSError, ValueError) as exc:  # a folder that cannot be written, a full disk, ".xyz"
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise FigureError(f"Cannot write the figure {target}: {why}. Choose a folder you can "
                          "write to and a picture format such as .png, .svg or .pdf.") from exc
    return target


class FigureError(BrainkitError, ValueError):
    """A figure could not be written; the message says where and why."""
