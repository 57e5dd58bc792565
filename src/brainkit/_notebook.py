"""Show brainkit's figures as images in notebooks, without pyplot and without a magic.

brainkit builds ``matplotlib.figure.Figure`` objects directly (no pyplot), so the
kernel's inline display, which IPython switches on when pyplot is imported, never
is: a figure left as a cell's last line printed as ``<Figure size 800x720 with 20
Axes>``. :func:`enable_inline_figures` tells the running IPython shell how to draw
a Figure as a PNG, exactly what ``%matplotlib inline`` would register, and does
nothing at all outside IPython (scripts and headless runs never open a window).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["enable_inline_figures"]

_FIGURE = ("matplotlib.figure", "Figure")
_IMAGE_FORMATS = ("image/png", "image/svg+xml", "image/jpeg", "application/pdf", "image/retina")


def _figure_png(fig: Any) -> bytes | None:
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, "png", bbox_inches="tight")


def _handles_figures(formatter: Any) -> bool:
    if _FIGURE in getattr(formatter, "deferred_printers", {}):
        return True
    figure = getattr(sys.modules.get(_FIGURE[0]), _FIGURE[1], None)
    return figure is not None and figure in getattr(formatter, "type_printers", {})


def enable_inline_figures() -> bool:
    """In an IPython kernel, display matplotlib Figures as PNG images.

    Called by ``import brainkit``. Nothing is imported and nothing changes outside
    IPython, or where a figure format is already registered (``%matplotlib
    inline``, ``InlineBackend.figure_formats`` or pyplot's own activation win).

    Returns
    -------
    bool
        True if the PNG display was registered now.
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None:
        return False
    try:
        shell = get_ipython()
        formatters = shell.display_formatter.formatters
    except AttributeError:  # no shell running (IPython imported as a library)
        return False
    if "image/png" not in formatters:
        return False
    if any(_handles_figures(formatters[kind]) for kind in _IMAGE_FORMATS if kind in formatters):
        return False
    formatters["image/png"].for_type_by_name(*_FIGURE, _figure_png)
    return True
