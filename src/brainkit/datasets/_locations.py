"""Where brainkit looks for data, and whether it may download.

The search order, for every file of a data set:

1. an explicit ``data_dir``;
2. brainkit's own cache, ``$BRAINKIT_DATA`` or the per-user cache folder
   (``~/.cache/brainkit`` on Linux);
3. system installs, such as Debian's ``dataset-fashion-mnist`` package in
   ``/usr/share/datasets/fashion-mnist``;
4. Keras's cache, ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``;
5. a download from the mirrors Keras uses, unless ``BRAINKIT_OFFLINE=1`` or
   ``download=False``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["cache_root", "keras_datasets_dir", "mirrors_from_env", "offline"]


def cache_root() -> Path:
    """Return brainkit's data cache folder (it may not exist yet).

    ``$BRAINKIT_DATA`` wins; otherwise the platform's per-user cache folder:
    ``$XDG_CACHE_HOME/brainkit`` (default ``~/.cache/brainkit``) on Linux,
    ``~/Library/Caches/brainkit`` on macOS, ``%LOCALAPPDATA%\\brainkit\\Cache`` on Windows.
    """
    env = os.environ.get("BRAINKIT_DATA")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "brainkit"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "brainkit" / "Cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else home / ".cache") / "brainkit"


def keras_datasets_dir() -> Path:
    """Return Keras's download folder: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    keras_home = os.environ.get("KERAS_HOME")
    base = Path(keras_home).expanduser() if keras_home else Path.home() / ".keras"
    return base / "datasets"


def offline() -> bool:
    """Return True when ``BRAINKIT_OFFLINE`` is set to a true value (1, true, yes, on)."""
    return os.environ.get("BRAINKIT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def mirrors_from_env() -> tuple[str, ...] | None:
    """Return the mirrors listed in ``BRAINKIT_MIRRORS`` (comma-separated base URLs), if set."""
    env = os.environ.get("BRAINKIT_MIRRORS", "").strip()
    if not env:
        return None
    return tuple(m.strip() for m in env.split(",") if m.strip())
