"""Where brainkit keeps data, and whether it may download ("Data, with or without a network")."""

import contextlib
import logging
import os
import stat
import tempfile
from pathlib import Path

from brainkit._atomic import writable_dir
from brainkit.runtime import cache_root

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "cache_root", "fallback_cache_root", "offline",
           "seconds_from_env", "usable_cache_dir"]

DEFAULT_TIMEOUT = 30.0  # seconds to wait for a server's next byte before the next mirror
DEFAULT_DEADLINE = 900.0  # seconds all the downloads of one load may take together

_log = logging.getLogger("brainkit.datasets")
_noted: set[str] = set()


def offline() -> bool:
    """Return True when ``BRAINKIT_OFFLINE`` is set to a true value (1, true, yes, on)."""
    return os.environ.get("BRAINKIT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def seconds_from_env(name: str, default: float) -> float:
    """Return the positive number of seconds in environment variable ``name``, else ``default``."""
    if not (raw := os.environ.get(name, "").strip()):
        return default
    with contextlib.suppress(ValueError):
        if float(raw) > 0:
            return float(raw)
    _note(f"env:{name}", f"brainkit: ignoring {name}={raw!r}, not a positive number of seconds.")
    return default


def _note(key: str, message: str) -> None:
    """Log ``message`` once per process."""
    if key not in _noted:
        _noted.add(key)
        _log.warning("%s", message)


def fallback_cache_root(create: bool = True) -> Path | None:
    """This user's private stand-in for the cache in the temp folder (``create=False``: look)."""
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
    """``cache_root() / name`` if writable, else (noted once) in :func:`fallback_cache_root`."""
    root = cache_root()
    if (problem := writable_dir(root / name)) is None:
        return root / name
    where_wrong = root / name
    if (root_problem := writable_dir(root)) is not None:  # name the folder the user knows
        where_wrong, problem = root, root_problem
    fallback = fallback_cache_root()
    where = f"using {fallback} for now" if fallback else "the data is not cached"
    env = os.environ.get("BRAINKIT_DATA")
    source = f"BRAINKIT_DATA={env}" if env and where_wrong == root else str(where_wrong)
    _note(f"cache:{where_wrong}", f"brainkit: cannot write the data cache {source} ({problem}); "
          f"{where}. Set BRAINKIT_DATA to a writable folder to keep the data between runs.")
    return fallback / name if fallback is not None else None
