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

import logging
import os
import stat
import tempfile
from pathlib import Path

from brainkit._atomic import writable_dir
from brainkit.runtime import cache_root

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "cache_root",
    "deadline_from_env",
    "fallback_cache_root",
    "keras_datasets_dir",
    "mirrors_from_env",
    "offline",
    "timeout_from_env",
    "usable_cache_dir",
    "writable_dir",
]

#: Seconds a download may wait for the server's next byte before trying the next mirror.
DEFAULT_TIMEOUT = 30.0
#: Seconds all the downloads of one load may take together.
DEFAULT_DEADLINE = 900.0

_log = logging.getLogger("brainkit.datasets")
_noted: set[str] = set()


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


def _seconds_from_env(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        _note(
            f"env:{name}",
            f"brainkit: ignoring {name}={raw!r}: it must be a positive number of seconds.",
        )
        return None
    return value


def timeout_from_env() -> float | None:
    """Return ``BRAINKIT_TIMEOUT`` (seconds without a byte before a download is abandoned), if set."""
    return _seconds_from_env("BRAINKIT_TIMEOUT")


def deadline_from_env() -> float | None:
    """Return ``BRAINKIT_DOWNLOAD_DEADLINE`` (seconds for all downloads of one load), if set."""
    return _seconds_from_env("BRAINKIT_DOWNLOAD_DEADLINE")


def _note(key: str, message: str) -> None:
    """Log ``message`` once per process (a one-line note, not a traceback)."""
    if key not in _noted:
        _noted.add(key)
        _log.warning("%s", message)


def fallback_cache_root(create: bool = True) -> Path | None:
    """A private per-user folder under the system temporary folder, or None if there is none.

    Used when the cache folder cannot be written (a read-only ``HOME`` in a
    container, ``BRAINKIT_DATA`` naming a file). It must be a real folder owned
    by this user and closed to others, so no one else can plant data in it.
    With ``create=False`` it is only looked for (None if it is not there).
    """
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"brainkit-{uid}"
    try:
        if create:
            folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        if not stat.S_ISDIR(info.st_mode):
            return None
        if hasattr(os, "getuid") and (info.st_uid != uid or info.st_mode & 0o022):
            return None
    except OSError:
        return None
    if create and writable_dir(folder) is not None:
        return None
    return folder


def usable_cache_dir(name: str) -> Path | None:
    """The folder to write data set ``name``'s downloads and array cache in.

    ``cache_root() / name`` when it can be written; otherwise a one-line note
    (logged once per process) says why and where the data goes instead: the
    same name in a private temporary folder, or nowhere (None: the data is
    then kept in memory for this load only).
    """
    root = cache_root()
    problem = writable_dir(root / name)
    if problem is None:
        return root / name
    if writable_dir(root) is not None:  # say what is wrong with the folder the user knows
        problem = writable_dir(root) or problem
        where_wrong = root
    else:
        where_wrong = root / name
    fallback = fallback_cache_root()
    where = f"using {fallback} for now" if fallback else "the data is not cached"
    env = os.environ.get("BRAINKIT_DATA")
    source = f"BRAINKIT_DATA={env}" if env and where_wrong == root else str(where_wrong)
    _note(
        f"cache:{where_wrong}",
        f"brainkit: cannot write the data cache {source} ({problem}); {where}. "
        "Set BRAINKIT_DATA to a writable folder to keep the data between runs.",
    )
    return fallback / name if fallback is not None else None
