"""brainkit's array cache: verified arrays saved as ``.npy`` for millisecond loads.

Parsing the four gzip'd IDX files costs about 250 ms; loading four ``.npy``
files costs about 9 ms. Each array is written to a temporary file and renamed
into place, and ``manifest.json`` is written last: a cache without a complete,
matching manifest is never used, so an interrupted write is simply rebuilt.
"""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from brainkit.datasets._fetch import atomic_write_bytes

__all__ = ["read_arrays", "write_arrays", "manifest"]

FORMAT = 1
_ROLES = ("x_train", "y_train", "x_test", "y_test")
_log = logging.getLogger("brainkit.datasets")


def _dir(folder: Path) -> Path:
    return folder / f"arrays-v{FORMAT}"


def manifest(folder: Path) -> dict[str, Any] | None:
    """Return the cache manifest in ``folder``, or None if there is no usable one."""
    path = _dir(folder) / "manifest.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    return data


def read_arrays(
    folder: Path, payload_sha256: dict[str, str], mmap: bool = False
) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """Load cached arrays if the manifest matches the expected payload hashes.

    Returns None (never raises) when the cache is missing, stale or damaged, so
    the caller rebuilds it from verified files.
    """
    meta = manifest(folder)
    if meta is None or meta.get("payload_sha256") != payload_sha256:
        return None
    arrays: dict[str, np.ndarray] = {}
    for role in _ROLES:
        path = _dir(folder) / f"{role}.npy"
        expected = meta.get("sizes", {}).get(role)
        try:
            if path.stat().st_size != expected:
                _log.warning("cache file %s has the wrong size; rebuilding the cache", path)
                return None
            # Copy-on-write mapping: pages are read when touched, the arrays are writable,
            # and writes stay private to this process (the cache file never changes).
            mapped = np.load(path, mmap_mode="r" if mmap else "c", allow_pickle=False)
            arrays[role] = mapped if mmap else np.asarray(mapped)
        except (OSError, ValueError) as exc:
            _log.warning("cannot read cache file %s (%s); rebuilding the cache", path, exc)
            return None
    return arrays, meta


def write_arrays(
    folder: Path, arrays: dict[str, np.ndarray], payload_sha256: dict[str, str], origin: dict[str, Any]
) -> bool:
    """Save verified arrays and their manifest; return False if the folder is not writable."""
    target = _dir(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
        (target / "manifest.json").unlink(missing_ok=True)
        sizes = {}
        for role in _ROLES:
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(arrays[role]), allow_pickle=False)
            data = buffer.getvalue()
            atomic_write_bytes(target / f"{role}.npy", data)
            sizes[role] = len(data)
        meta = {
            "format": FORMAT,
            "payload_sha256": payload_sha256,
            "sizes": sizes,
            "origin": origin,
        }
        atomic_write_bytes(target / "manifest.json", json.dumps(meta, indent=2).encode())
    except OSError as exc:
        _log.warning("cannot write the array cache in %s (%s); loads stay slower", target, exc)
        return False
    return True


def cache_size(folder: Path) -> int:
    """Return the bytes used by the array cache in ``folder``."""
    target = _dir(folder)
    if not target.is_dir():
        return 0
    return sum(p.stat().st_size for p in target.iterdir() if p.is_file() and os.access(p, os.R_OK))
