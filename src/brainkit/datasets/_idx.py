"""Read and check IDX files (MNIST's format): a big-endian header (two zero bytes, a type
code, the number of dimensions, each dimension as a 32-bit integer), then the data."""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

from brainkit.datasets._base import IntegrityError

__all__ = ["parse_idx", "read_payload"]


def read_payload(path: Path) -> bytes:
    """Return the decompressed bytes of an IDX file (``.gz`` or plain); IntegrityError if it
    cannot be read or is not complete gzip."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IntegrityError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise IntegrityError(
            f"{path} is not a complete gzip file ({exc}); it is probably truncated or corrupt. "
            "Delete it and load again to fetch a fresh copy.") from exc


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def parse_idx(payload: bytes, name: str, expected_ndim: int) -> np.ndarray:
    """Parse a decompressed unsigned-byte IDX ``payload`` with ``expected_ndim`` dimensions (3 for
    images, 1 for labels) into a ``uint8`` array; ``name`` is for error messages."""
    if len(payload) < 4 + 4 * expected_ndim:
        raise IntegrityError(f"{name} is too short to hold an IDX header ({len(payload)} bytes).")
    ndim = payload[3]
    if payload[:3] != b"\x00\x00\x08" or ndim != expected_ndim:  # 0x08: unsigned bytes
        raise IntegrityError(
            f"{name} does not have the IDX header of an unsigned-byte array with {expected_ndim} "
            f"dimension(s) (magic {payload[:4].hex()}); it is not an MNIST-style file.")
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(payload, ">u4", count=ndim, offset=4))
    expected = int(np.prod(dims))
    if len(payload) - header != expected:
        raise IntegrityError(f"{name} declares shape {dims} ({expected} bytes of data) but holds "
                             f"{len(payload) - header}; the file is truncated or corrupt.")
    return np.frombuffer(payload, dtype=np.uint8, offset=header).reshape(dims).copy()
