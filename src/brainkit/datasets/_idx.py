"""IDX files (MNIST's format): two zero bytes, a type, the dimensions (big-endian), the data."""

import numpy as np

from brainkit.datasets._base import IntegrityError

__all__ = ["parse_idx"]


def parse_idx(payload: bytes, name: str, expected_ndim: int) -> np.ndarray:
    """Parse an unsigned-byte IDX ``payload`` into a ``uint8`` array; ``name`` is for messages."""
    if len(payload) < 4 + 4 * expected_ndim:
        raise IntegrityError(f"{name} is too short to hold an IDX header ({len(payload)} bytes).")
    if payload[:4] != bytes([0, 0, 8, expected_ndim]):  # 8: unsigned bytes
        raise IntegrityError(f"{name} has no IDX header of a {expected_ndim}-D unsigned-byte array "
                             f"(magic {payload[:4].hex()}): it is not an MNIST-style file.")
    header = 4 + 4 * expected_ndim
    dims = tuple(int(d) for d in np.frombuffer(payload, ">u4", count=expected_ndim, offset=4))
    expected = int(np.prod(dims))
    if len(payload) - header != expected:
        raise IntegrityError(f"{name} declares shape {dims} ({expected} bytes of data) but holds "
                             f"{len(payload) - header}; the file is truncated or corrupt.")
    return np.frombuffer(payload, dtype=np.uint8, offset=header).reshape(dims).copy()
