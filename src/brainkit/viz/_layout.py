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


def grid_figure(
    n: int, columns: int, cell: tuple[float, float], extra_height: float = 0.0,
    extra_width: float = 0.0, width_ratios: tuple[float, ...] = (1,),
) -> tuple[Figure, np.ndarray]:
    """Return a constrained-layout Figure with a grid of ``n`` cells and its flat axes array.

    ``columns`` is capped to ``n``; ``cell`` is each cell's (width, height) in inches and
    ``extra_height`` and ``extra_width`` add room, e.g. for a title or a colour bar. A cell
    holds one panel, or one per entry of ``width_ratios``, side by side.
    """
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
    """``images`` as an array, with the channel axis of ``(N, H, W, 1)`` images dropped."""
    images = np.asarray(images)
    return images[..., 0] if images.ndim == 4 and images.shape[-1] == 1 else images


def message_figure(text: str, title: str | None) -> Figure:
    """A small figure that only says ``text``, e.g. that there are no mistakes to show."""
    fig = new_figure(figsize=(4.5, 2.0))
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    fig.suptitle(title or "")
    return fig
