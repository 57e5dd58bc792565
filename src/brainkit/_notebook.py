"""Show brainkit's figures as images in notebooks, without pyplot and without a magic (else
IPython would print a figure as ``<Figure size 800x720 with 20 Axes>``)."""

import sys
from typing import Any

__all__ = ["enable_inline_figures"]

_FIGURE = ("matplotlib.figure", "Figure")
_IMAGE_FORMATS = ("image/png", "image/svg+xml", "image/jpeg", "application/pdf", "image/retina")


def _figure_png(fig: Any) -> bytes | None:
    from IPython.core.pylabtools import print_figure
    return print_figure(fig, "png", bbox_inches="tight")


def _handles_figures(formatter: Any) -> bool:
    figure = getattr(sys.modules.get(_FIGURE[0]), _FIGURE[1], None)  # None until it is imported
    return _FIGURE in getattr(formatter, "deferred_printers", {}) or (
        figure is not None and figure in getattr(formatter, "type_printers", {}))


def enable_inline_figures() -> bool:
    """In an IPython kernel, display matplotlib Figures as PNGs unless a figure format is
    registered already (``%matplotlib inline`` wins); return True if registered now."""
    try:
        formatters = sys.modules["IPython"].get_ipython().display_formatter.formatters
    except (KeyError, AttributeError):  # no IPython, or no shell running (imported as a library)
        return False
    if "image/png" not in formatters or any(
        _handles_figures(formatters[kind]) for kind in _IMAGE_FORMATS if kind in formatters
    ):
        return False
    formatters["image/png"].for_type_by_name(*_FIGURE, _figure_png)
    return True
