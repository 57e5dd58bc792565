"""brainkit's array cache: verified arrays saved as ``.npy`` for millisecond loads.

Parsing the four gzip'd IDX files costs about 250 ms; loading four ``.npy``
files costs a few milliseconds. Each array is written to a temporary file and
renamed into place, and ``manifest.json`` is written last: a cache without a
complete, matching manifest is never used, so an interrupted write is simply
rebuilt.

Nothing in the cache is trusted by its size alone. The manifest records, for
each array, its dtype and shape, the SHA-256 of the whole file, a digest of 17
evenly spaced 4 KiB blocks, and the file's identity (size, inode, ``ctime``).
A read checks the dtype and shape in the ``.npy`` header and the sampled
digest (about 0.1 ms per file); when the file's identity differs from the
recorded one, i.e. the file was rewritten, copied, touched or restored since
brainkit wrote it (``ctime`` cannot be set back by a user), the whole file is
hashed (about 50 ms for the training images, once: the new identity is then recorded) before it is used. Any mismatch
makes the load rebuild the cache from the verified source files.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from brainkit._atomic import sweep_stale
from brainkit.datasets._fetch import atomic_write_bytes

__all__ = ["read_arrays", "write_arrays", "manifest"]

FORMAT = 2
_ROLES = ("x_train", "y_train", "x_test", "y_test")
_BLOCK = 4096
_SAMPLES = 17
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
    if not isinstance(data.get("files"), dict):
        return None
    return data


def _sampled_digest(fh: Any, size: int) -> str:
    """SHA-256 of 17 evenly spaced 4 KiB blocks (the first and the last among them)."""
    h = hashlib.sha256()
    if size <= _BLOCK * _SAMPLES:
        fh.seek(0)
        h.update(fh.read())
        return h.hexdigest()
    last = size - _BLOCK
    for i in range(_SAMPLES):
        fh.seek(last * i // (_SAMPLES - 1))
        h.update(fh.read(_BLOCK))
    return h.hexdigest()


def _full_digest(fh: Any) -> str:
    fh.seek(0)
    h = hashlib.sha256()
    while block := fh.read(1 << 22):
        h.update(block)
    return h.hexdigest()


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_ino, st.st_ctime_ns]


def _npy_header(fh: Any) -> tuple[str, list[int], bool]:
    fh.seek(0)
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    return dtype.str, [int(d) for d in shape], bool(fortran)


def _check_file(path: Path, record: dict[str, Any]) -> tuple[str | None, bool]:
    """Return (problem, identity_changed); problem is None when the file is the one recorded."""
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_size != record.get("size"):
            return f"its size is {st.st_size} bytes, expected {record.get('size')}", False
        dtype, shape, fortran = _npy_header(fh)
        if dtype != record.get("dtype") or shape != record.get("shape") or fortran:
            return (
                f"it holds {dtype} {tuple(shape)}, expected {record.get('dtype')} "
                f"{tuple(record.get('shape') or ())}"
            ), False
        if _sampled_digest(fh, st.st_size) != record.get("sampled_sha256"):
            return "its contents changed", False
        if _identity(st) == record.get("identity"):
            return None, False
        if _full_digest(fh) != record.get("sha256"):
            return "its contents changed", False
        return None, True


def read_arrays(
    folder: Path,
    payload_sha256: dict[str, str],
    mmap: bool = False,
    expect: dict[str, tuple[str, tuple[int, ...]]] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """Load cached arrays if the manifest matches the payload hashes and each file checks out.

    ``expect`` maps a role to the dtype string and shape the data set must
    have, checked as well. Returns None (never raises) when the cache is
    missing, stale or damaged, logging one line for a damaged one, so the
    caller rebuilds it from verified files.
    """
    meta = manifest(folder)
    if meta is None or meta.get("payload_sha256") != payload_sha256:
        return None
    arrays: dict[str, np.ndarray] = {}
    refreshed = False
    for role in _ROLES:
        path = _dir(folder) / f"{role}.npy"
        record = meta["files"].get(role)
        try:
            if not isinstance(record, dict):
                raise ValueError("the manifest has no entry for it")
            if expect is not None and role in expect:
                dtype, shape = expect[role]
                if record.get("dtype") != dtype or tuple(record.get("shape") or ()) != tuple(shape):
                    raise ValueError(f"the manifest says {record.get('dtype')} {record.get('shape')}")
            problem, changed = _check_file(path, record)
            if problem is not None:
                _log.warning("brainkit: the cached %s is damaged (%s); rebuilding it from the data files.", path, problem)
                return None
            if changed:
                record["identity"] = _identity(path.stat())
                refreshed = True
            mapped = np.load(path, mmap_mode="r" if mmap else "c", allow_pickle=False)
            # Copy-on-write mapping: pages are read when touched, the arrays are writable,
            # and writes stay private to this process (the cache file never changes).
            arrays[role] = mapped if mmap else np.asarray(mapped)
        except (OSError, ValueError, EOFError, SyntaxError) as exc:
            _log.warning("brainkit: cannot use the cached %s (%s); rebuilding it from the data files.", path, exc)
            return None
    if refreshed:  # verified in full: remember the new identity so the next load is fast again
        try:
            atomic_write_bytes(_dir(folder) / "manifest.json", json.dumps(meta, indent=2).encode())
        except OSError:
            pass
    return arrays, meta


def write_arrays(
    folder: Path, arrays: dict[str, np.ndarray], payload_sha256: dict[str, str], origin: dict[str, Any]
) -> bool:
    """Save verified arrays and their manifest; return False if the folder is not writable."""
    target = _dir(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
        (target / "manifest.json").unlink(missing_ok=True)
        files = {}
        for role in _ROLES:
            buffer = io.BytesIO()
            array = np.ascontiguousarray(arrays[role])
            np.save(buffer, array, allow_pickle=False)
            data = buffer.getbuffer()
            path = target / f"{role}.npy"
            atomic_write_bytes(path, data)
            files[role] = {
                "dtype": array.dtype.str,
                "shape": [int(d) for d in array.shape],
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "sampled_sha256": _sampled_digest(io.BytesIO(data), len(data)),
                "identity": _identity(path.stat()),
            }
        meta = {
            "format": FORMAT,
            "payload_sha256": payload_sha256,
            "files": files,
            "origin": origin,
        }
        atomic_write_bytes(target / "manifest.json", json.dumps(meta, indent=2).encode())
    except OSError as exc:
        _log.warning("brainkit: cannot write the array cache in %s (%s); loads stay slower.", target, exc)
        return False
    return True


def sweep(folder: Path) -> None:
    """Remove temporary files left by killed writers in ``folder`` and its array cache."""
    for where in (folder, _dir(folder)):
        sweep_stale(where)
    old = folder / "arrays-v1"  # the format before manifests recorded dtype, shape and hashes
    if old.is_dir():
        for p in old.iterdir():
            try:
                p.unlink()
            except OSError:
                pass
        try:
            old.rmdir()
        except OSError:
            pass


def cache_size(folder: Path) -> int:
    """Return the bytes used by the array cache in ``folder``."""
    target = _dir(folder)
    if not target.is_dir():
        return 0
    return sum(p.stat().st_size for p in target.iterdir() if p.is_file() and os.access(p, os.R_OK))
