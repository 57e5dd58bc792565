"""Read and check IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a big-endian header (two zero bytes, a type code, the number
of dimensions, then each dimension as a 32-bit integer) followed by the data.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path

import numpy as np

from brainkit.datasets._base import IntegrityError

__all__ = ["parse_idx", "read_payload"]

_UBYTE = 0x08


def read_payload(path: Path) -> bytes:
    """Return the decompressed bytes of an IDX file (``.gz`` or plain).

    Raises
    ------
    IntegrityError
        If the file is truncated or is not valid gzip.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IntegrityError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    if path.suffix == ".gz":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise IntegrityError(
                f"{path} is not a complete gzip file ({exc}); it is probably truncated or "
                "corrupt. Delete it and load again to fetch a fresh copy."
            ) from exc
    return raw


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def parse_idx(payload: bytes, name: str, expected_ndim: int) -> np.ndarray:
    """Parse an unsigned-byte IDX payload into an array, checking its header.

    Parameters
    ----------
    payload : bytes
        Decompressed file contents.
    name : str
        File name, for error messages.
    expected_ndim : int
        3 for images (N, rows, cols), 1 for labels (N,).

    Returns
    -------
    numpy.ndarray
        A ``uint8`` array of the shape the header declares.
    """
    if len(payload) < 4 + 4 * expected_ndim:
        raise IntegrityError(f"{name} is too short to hold an IDX header ({len(payload)} bytes).")
    zero, dtype_code, ndim = int.from_bytes(payload[:2], "big"), payload[2], payload[3]
    if zero != 0 or dtype_code != _UBYTE or ndim != expected_ndim:
        raise IntegrityError(
            f"{name} does not have the IDX header of an unsigned-byte array with {expected_ndim} "
            f"dimension(s) (magic {payload[:4].hex()}); it is not an MNIST-style file."
        )
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(payload[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(payload) - header != expected:
        raise IntegrityError(
            f"{name} declares shape {dims} ({expected} bytes of data) but holds "
            f"{len(payload) - header}; the file is truncated or corrupt."
        )
    return np.frombuffer(payload, dtype=np.uint8, offset=header).reshape(dims).copy()
