"""Where brainkit looks for data, and whether it may download (the search order: "Data, with
or without a network" in the installation guide)."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from pathlib import Path

from brainkit._atomic import writable_dir
from brainkit.runtime import cache_root

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "cache_root", "deadline_from_env",
           "fallback_cache_root", "keras_datasets_dir", "mirrors_from_env", "offline",
           "timeout_from_env", "usable_cache_dir", "writable_dir"]

DEFAULT_TIMEOUT = 30.0  # seconds to wait for a server's next byte before the next mirror
DEFAULT_DEADLINE = 900.0  # seconds all the downloads of one load may take together

_log = logging.getLogger("brainkit.datasets")
_noted: set[str] = set()


def keras_datasets_dir() -> Path:
    """Return Keras's download folder: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    keras_home = os.environ.get("KERAS_HOME")
    return (Path(keras_home).expanduser() if keras_home else Path.home() / ".keras") / "datasets"


def offline() -> bool:
    """Return True when ``BRAINKIT_OFFLINE`` is set to a true value (1, true, yes, on)."""
    return os.environ.get("BRAINKIT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def mirrors_from_env() -> tuple[str, ...] | None:
    """Return the mirrors listed in ``BRAINKIT_MIRRORS`` (comma-separated base URLs), if set."""
    env = os.environ.get("BRAINKIT_MIRRORS", "").strip()
    return tuple(m.strip() for m in env.split(",") if m.strip()) if env else None


def _seconds_from_env(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    with contextlib.suppress(ValueError):
        if float(raw) > 0:
            return float(raw)
    _note(f"env:{name}", f"brainkit: ignoring {name}={raw!r}: it must be a positive number of "
          "seconds.")
    return None


def timeout_from_env() -> float | None:
    """Return ``BRAINKIT_TIMEOUT`` (seconds to wait for a server's next byte), if set."""
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
    """The private per-user folder (owned by this user, closed to others) in the system temporary
    folder used when the cache cannot be written, or None; ``create=False`` only looks for it."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"brainkit-{uid}"
    try:
        if create:
            folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    foreign = hasattr(os, "getuid") and (info.st_uid != uid or info.st_mode & 0o022)
    if not stat.S_ISDIR(info.st_mode) or foreign or (create and writable_dir(folder) is not None):
        return None
    return folder


def usable_cache_dir(name: str) -> Path | None:
    """The folder to write data set ``name``'s files in: ``cache_root() / name`` if writable, else
    (noted once per process) the same name in :func:`fallback_cache_root`, or None."""
    root = cache_root()
    if (problem := writable_dir(root / name)) is None:
        return root / name
    if (root_problem := writable_dir(root)) is not None:  # name the folder the user knows
        where_wrong, problem = root, root_problem
    else:
        where_wrong = root / name
    fallback = fallback_cache_root()
    where = f"using {fallback} for now" if fallback else "the data is not cached"
    env = os.environ.get("BRAINKIT_DATA")
    source = f"BRAINKIT_DATA={env}" if env and where_wrong == root else str(where_wrong)
    _note(f"cache:{where_wrong}", f"brainkit: cannot write the data cache {source} ({problem}); "
          f"{where}. Set BRAINKIT_DATA to a writable folder to keep the data between runs.")
    return fallback / name if fallback is not None else None
