"""sphinx-gallery helpers for brainkit's tutorials: a figure scraper and a state reset.

brainkit's plotting functions build figures with matplotlib's object-oriented API
(``matplotlib.figure.Figure``), not with pyplot, so sphinx-gallery's own matplotlib
scraper (which asks pyplot for its open figures) never sees them. :func:`figure_scraper`
picks up every such figure created while a code block ran, in the order they were
created, exactly as the pyplot scraper does for pyplot figures.

:func:`reset_brainkit` runs before every example: all examples run in one process,
so Keras's global state, brainkit's plugin caches and ``sys.path`` are put back
the way they were, and figures left over are dropped.

conf.py refers to both by name (``"gallery_support.figure_scraper"``), which keeps
the Sphinx configuration picklable.
"""

from __future__ import annotations

import gc
import sys
from pathlib import PurePosixPath
from typing import Any

from matplotlib.figure import Figure

__all__ = ["figure_scraper", "reset_brainkit"]

_created: list[Figure] = []
_original_init = Figure.__init__
_ORIGINAL_SYS_PATH = list(sys.path)


def _tracking_init(self: Figure, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    _created.append(self)


Figure.__init__ = _tracking_init  # type: ignore[method-assign]


def figure_scraper(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any], **kwargs: Any) -> str:
    """Save the figures made outside pyplot in the last code block, and return their reST."""
    from sphinx_gallery.scrapers import figure_rst

    figures = [fig for fig in _created if getattr(fig.canvas, "manager", None) is None]
    _created.clear()
    if not figures:
        return ""
    paths = []
    titles = []
    for fig, path in zip(figures, block_vars["image_path_iterator"], strict=False):
        path = PurePosixPath(path)
        fig.savefig(path, dpi=100)
        paths.append(path)
        title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
        titles.append(title.replace("\n", " "))
    # One figure: its title is the alt text; several: a neutral one (figure_rst uses one for all).
    alt = titles[0] if len(paths) == 1 else "; ".join(t for t in titles if t)
    return figure_rst(paths, gallery_conf["src_dir"], alt)


def reset_brainkit(gallery_conf: dict[str, Any], fname: str) -> None:
    """Give each example a fresh start: Keras session, plugin caches, ``sys.path``, figures."""
    _created.clear()
    sys.path[:] = _ORIGINAL_SYS_PATH
    if "brainkit.architectures" in sys.modules:
        sys.modules["brainkit.architectures"].refresh()
    keras = sys.modules.get("keras")
    if keras is not None:
        keras.backend.clear_session()
    gc.collect()
