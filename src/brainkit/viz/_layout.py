"""Helpers shared by the plot functions: new figures, grids, picking and preparing images."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["as_images", "choose", "finish", "grid_figure", "message_figure", "new_figure"]


def new_figure(**options: Any) -> Figure:
    """A constrained-layout matplotlib Figure, without pyplot (matplotlib imported on first use)."""
    from matplotlib.figure import Figure
    return Figure(layout="constrained", **options)


def choose(total: int, count: int, seed: int | None) -> np.ndarray:
    """Return ``count`` indices into ``total`` items: the first ones, or a sorted random pick."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}.")
    n = min(count, total)
    if seed is None:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(total, size=n, replace=False))


def grid_figure(n: int, columns: int, cell: tuple[float, float], extra_height: float = 0.0,
                extra_width: float = 0.0,
                width_ratios: tuple[float, ...] = (1,)) -> tuple[Figure, np.ndarray]:
    """A figure of ``n`` cells of ``cell`` inches, a panel per ``width_ratios`` each; flat axes."""
    columns = max(1, min(columns, n))
    rows = int(np.ceil(n / columns))
    fig = new_figure(figsize=(cell[0] * columns + extra_width, cell[1] * rows + extra_height))
    ratios = list(width_ratios) * columns
    axes = fig.subplots(rows, len(ratios), width_ratios=ratios)
    return fig, np.atleast_1d(axes).ravel()


def finish(fig: Figure, axes: np.ndarray, used: int, title: str | None, **font: Any) -> Figure:
    """Hide the grid's panels after the first ``used``, add the title if any; return ``fig``."""
    for ax in axes[used:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, **font)
    return fig


def as_images(images: Any) -> np.ndarray:
    """``images`` as ``(N, H, W)``: a channel axis of 1 dropped, flat square images reshaped."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    elif images.ndim == 2:  # flattened, e.g. (N, 784)
        side = int(round(np.sqrt(images.shape[1])))
        if side * side == images.shape[1]:
            images = images.reshape(len(images), side, side)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {images.shape}.")
    return images


def message_figure(text: str, title: str | None) -> Figure:
    fig = new_figure(figsize=(4.5, 2.0))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    fig.suptitle(title or "")
    return fig
