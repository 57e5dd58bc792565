"""brainkit's array cache: verified arrays saved as ``.npy``, with a ``manifest.json`` (written
last) of each file's dtype, shape, SHA-256, sampled digest and identity (size, inode, ``ctime``);
a file whose identity changed is hashed in full. Any mismatch rebuilds the cache."""

import contextlib
import hashlib
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from brainkit._atomic import atomic_write_bytes, sweep_stale

__all__ = ["read_arrays", "write_arrays", "manifest"]

FORMAT = 2
ROLES = ("x_train", "y_train", "x_test", "y_test")
_BLOCK = 4096
_SAMPLES = 17
_SUBDIR = f"arrays-v{FORMAT}"
_log = logging.getLogger("brainkit.datasets")


def manifest(folder: Path) -> dict[str, Any] | None:
    """Return the cache manifest in ``folder``, or None if there is no usable one."""
    try:
        data = json.loads((folder / _SUBDIR / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    usable = isinstance(data, dict) and data.get("format") == FORMAT
    return data if usable and isinstance(data.get("files"), dict) else None


def _digest(fh: Any, size: int | None = None) -> str:
    """SHA-256 of the whole file, or (given ``size``) of 17 evenly spaced 4 KiB blocks."""
    h = hashlib.sha256()
    if size is not None and size > _BLOCK * _SAMPLES:
        for i in range(_SAMPLES):
            fh.seek((size - _BLOCK) * i // (_SAMPLES - 1))
            h.update(fh.read(_BLOCK))
    else:
        fh.seek(0)
        while block := fh.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_ino, st.st_ctime_ns]


def read_arrays(folder: Path, payload_sha256: dict[str, str],
                expect: dict[str, tuple[str, tuple[int, ...]]],
                mmap: bool = False) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """The cached arrays and manifest, if they match; else None (a damaged cache is logged)."""
    if (meta := manifest(folder)) is None or meta.get("payload_sha256") != payload_sha256:
        return None
    target = folder / _SUBDIR
    arrays: dict[str, np.ndarray] = {}
    refreshed = False
    for role in ROLES:
        path = target / f"{role}.npy"
        record = meta["files"].get(role)
        try:
            if not isinstance(record, dict):
                raise ValueError("the manifest has no entry for it")
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                if st.st_size != record.get("size"):
                    raise ValueError(f"its size is {st.st_size} bytes, not {record.get('size')}")
                # The first sampled block holds the .npy header (dtype, shape): checked too.
                same = _identity(st) == record.get("identity")  # else rewritten, copied, touched
                sampled = _digest(fh, st.st_size) == record.get("sampled_sha256")
                if not sampled or (not same and _digest(fh) != record.get("sha256")):
                    raise ValueError("its contents changed")
            record["identity"] = _identity(st)  # if new, verified in full: the next load is fast
            refreshed = refreshed or not same
            # Copy-on-write mapping: writable arrays whose writes never reach the cache file.
            mapped = np.load(path, mmap_mode="r" if mmap else "c", allow_pickle=False)
            if (mapped.dtype.str, mapped.shape) != expect[role]:
                raise ValueError(f"it holds {mapped.dtype.str} {mapped.shape}")
            arrays[role] = mapped if mmap else np.asarray(mapped)
        except (OSError, ValueError, EOFError, SyntaxError) as exc:
            _log.warning("brainkit: the cached %s is damaged or unusable (%s); rebuilding it from "
                         "the data files.", path, exc)
            return None
    if refreshed:
        with contextlib.suppress(OSError):
            atomic_write_bytes(target / "manifest.json", json.dumps(meta, indent=2).encode())
    return arrays, meta


def write_arrays(folder: Path, arrays: dict[str, np.ndarray], payload_sha256: dict[str, str],
                 origin: dict[str, Any]) -> None:
    """Save verified arrays, then their manifest; a folder that cannot be written is only logged."""
    target = folder / _SUBDIR
    try:
        (target / "manifest.json").unlink(missing_ok=True)  # the cache is invalid until it is back
        files = {}
        for role in ROLES:
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(arrays[role]), allow_pickle=False)
            data = buffer.getbuffer()
            path = target / f"{role}.npy"
            atomic_write_bytes(path, data)
            files[role] = {"dtype": arrays[role].dtype.str, "shape": list(arrays[role].shape),
                           "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                           "sampled_sha256": _digest(io.BytesIO(data), len(data)),
                           "identity": _identity(path.stat())}
        meta = {"format": FORMAT, "payload_sha256": payload_sha256, "files": files,
                "origin": origin}
        atomic_write_bytes(target / "manifest.json", json.dumps(meta, indent=2).encode())
    except OSError as exc:
        _log.warning("brainkit: cannot write the array cache in %s (%s); loads stay slower.",
                     target, exc)


def sweep(folder: Path) -> None:
    """Remove temporary files left by killed writers in ``folder`` and its array cache."""
    for where in (folder, folder / _SUBDIR):
        sweep_stale(where)


def cache_size(folder: Path) -> int:
    files = (folder / _SUBDIR).glob("*")  # none if there is no cache
    return sum(p.stat().st_size for p in files if p.is_file() and os.access(p, os.R_OK))
