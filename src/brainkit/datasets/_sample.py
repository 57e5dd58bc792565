"""The embedded ``fashion_mnist_sample``, chosen from Fashion-MNIST by scripts/make_sample.py."""

import hashlib
from pathlib import Path

import numpy as np

from brainkit.datasets._base import Dataset, IntegrityError
from brainkit.datasets._mnist_family import FASHION_MNIST

__all__ = ["DESCRIPTION", "SAMPLE_PATH", "SAMPLE_SHA256", "array_digests", "load_sample",
           "status"]

SAMPLE_PATH = Path(__file__).parent / "data" / "fashion_mnist_sample.npz"
DESCRIPTION = "5,000/1,000 class-balanced Fashion-MNIST subset inside brainkit (no download)."

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
    return {k: hashlib.sha256(v.tobytes()).hexdigest() for k, v in arrays.items()}  # C order


def status() -> dict[str, object]:
    """Where the sample is (see :func:`brainkit.datasets.dataset_status`)."""
    if not SAMPLE_PATH.is_file():
        return {"state": "missing (reinstall brainkit)", "location": None, "size": 0}
    return {"state": "embedded", "location": str(SAMPLE_PATH), "size": SAMPLE_PATH.stat().st_size}


def load_sample(**_: object) -> Dataset:
    """Load the embedded sample (no files, no network needed)."""
    try:
        with np.load(SAMPLE_PATH, allow_pickle=False) as npz:
            arrays = {k: np.asarray(npz[k]) for k in npz.files}
        if array_digests(arrays) != SAMPLE_SHA256:
            raise ValueError("it does not match its recorded checksums")
    except (OSError, ValueError, KeyError) as exc:
        raise IntegrityError(f"The embedded sample {SAMPLE_PATH} is damaged ({exc}); reinstall "
                             "brainkit from its wheel or source folder.") from exc
    return Dataset(
        "fashion_mnist_sample", arrays["x_train"], arrays["y_train"], arrays["x_test"],
        arrays["y_test"], FASHION_MNIST.class_names, source="embedded", description=DESCRIPTION,
        location=str(SAMPLE_PATH), extra={k: arrays[k] for k in ("train_index", "test_index")},
    )
