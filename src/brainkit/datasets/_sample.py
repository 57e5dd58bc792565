"""The embedded ``fashion_mnist_sample``: 500 training and 100 test images per class of the
real Fashion-MNIST, chosen (and checked) by ``scripts/make_sample.py``."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from brainkit.datasets._base import Dataset, IntegrityError
from brainkit.datasets._mnist_family import FASHION_MNIST

__all__ = ["SAMPLE_PATH", "SAMPLE_SHA256", "array_digests", "load_sample"]

SAMPLE_PATH = Path(__file__).parent / "data" / "fashion_mnist_sample.npz"

#: SHA-256 of each array's raw bytes (C order), written by scripts/make_sample.py.
SAMPLE_SHA256: dict[str, str] = {
    "x_train": "c5308d65f597b0397798d7057371ca87fa0733eb229672857b8fc96d9f33efba",
    "y_train": "2a18a7019bae90d3bed80e79cfb4e75b63d3408d6ab0cbccd4f3d4eb05512bbe",
    "x_test": "047617f4cbd5093d726aa4328d19e577e1152b68081a93c665d8d55179181c63",
    "y_test": "83b5edd9e4632c53d4185b259d4eac39fb9a9184aebe710796aa363cbc3e6d1d",
    "train_index": "9a8a2d91ff8cc7f06df45e6386653a7bdcff0beb115cf89cd8dce1d33d8f18dc",
    "test_index": "1e40297845bca1475948f04b69ad0195e1bf3c3bebf68be88d9b0ac23c5db492",
}


def array_digests(arrays: dict[str, np.ndarray]) -> dict[str, str]:
    """Return the SHA-256 of each array's bytes, keyed like ``arrays``."""
    return {k: hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()
            for k, v in arrays.items()}


def load_sample(**_: object) -> Dataset:
    """Load the embedded sample (no files, no network needed)."""
    try:
        with np.load(SAMPLE_PATH, allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in npz.files}
    except (OSError, ValueError, KeyError) as exc:
        raise IntegrityError(f"The embedded sample {SAMPLE_PATH} cannot be read ({exc}); reinstall "
                             "brainkit ('pip install --force-reinstall brainkit').") from exc
    if array_digests(arrays) != SAMPLE_SHA256:
        raise IntegrityError(f"The embedded sample {SAMPLE_PATH} does not match its recorded "
                             "checksums; the installation is damaged. Reinstall brainkit "
                             "('pip install --force-reinstall brainkit').")
    return Dataset(
        "fashion_mnist_sample", arrays["x_train"], arrays["y_train"], arrays["x_test"],
        arrays["y_test"], FASHION_MNIST.class_names, source="embedded", location=str(SAMPLE_PATH),
        description="A class-balanced 5,000/1,000 subset of Fashion-MNIST shipped inside brainkit.",
        extra={"train_index": arrays["train_index"], "test_index": arrays["test_index"]},
    )
