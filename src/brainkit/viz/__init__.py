"""Plots for learners: every function returns a matplotlib Figure.

The figures are built with matplotlib's object-oriented API (no pyplot state),
so they work in scripts, on servers without a display, in notebooks and in
the documentation build alike. Save one with ``fig.savefig("name.png")``.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "plot_samples": "brainkit.viz.data",
    "save_figure": "brainkit.viz.data",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'brainkit.viz' has no attribute {name!r}")


__all__ = sorted(_WHERE)
