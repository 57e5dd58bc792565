"""Layout helpers shared by the plot functions: picking examples and laying out a grid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["choose", "grid_figure", "new_figure"]


def new_figure(**options: Any) -> Figure:
    """A constrained-layout matplotlib Figure, without pyplot.

    matplotlib is imported here, on the first figure, so that importing
    brainkit's modules (and ``brainkit --help``) does not pay for it.
    """
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
    n: int, columns: int, cell: tuple[float, float], extra_height: float = 0.0
) -> tuple[Figure, np.ndarray]:
    """Return a constrained-layout Figure with a grid of ``n`` panels and its flat axes array.

    ``columns`` is capped to ``n``; ``cell`` is each panel's (width, height) in inches and
    ``extra_height`` adds room, e.g. for a title.
    """
    columns = max(1, min(columns, n))
    rows = int(np.ceil(n / columns))
    fig = new_figure(figsize=(cell[0] * columns, cell[1] * rows + extra_height))
    return fig, np.atleast_1d(fig.subplots(rows, columns)).ravel()
