"""Rebuild (or check) the embedded ``fashion_mnist_sample`` from the full Fashion-MNIST.

The sample is a deterministic, class-balanced subset of the real data: for each
class, the first ``--train-per-class`` / ``--test-per-class`` images in a fixed
random permutation (NumPy ``default_rng(seed)``) of that class's indices, kept
in their original order. It ships inside the package so that brainkit's main
job runs on a machine with no data and no network.

Usage::

    python scripts/make_sample.py            # rebuild src/brainkit/datasets/data/fashion_mnist_sample.npz
    python scripts/make_sample.py --check    # rebuild in memory and compare with the shipped file

The full data set is loaded with ``brainkit.datasets.load("fashion_mnist")``
(Debian's ``dataset-fashion-mnist`` package, the cache, or a download).
"""

from __future__ import annotations

import argparse
import io
import sys

import numpy as np

from brainkit.datasets import load
from brainkit.datasets._sample import SAMPLE_PATH, SAMPLE_SHA256, array_digests

SEED = 20261128


def pick(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    chosen = []
    for cls in range(10):
        members = np.flatnonzero(labels == cls)
        chosen.append(np.sort(rng.permutation(members)[:per_class]))
    return np.sort(np.concatenate(chosen))


def build(train_per_class: int, test_per_class: int) -> dict[str, np.ndarray]:
    full = load("fashion_mnist", download=False)
    rng = np.random.default_rng(SEED)
    train_index = pick(full.y_train, train_per_class, rng)
    test_index = pick(full.y_test, test_per_class, rng)
    return {
        "x_train": full.x_train[train_index],
        "y_train": full.y_train[train_index],
        "x_test": full.x_test[test_index],
        "y_test": full.y_test[test_index],
        "train_index": train_index.astype(np.int32),
        "test_index": test_index.astype(np.int32),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file")
    parser.add_argument("--train-per-class", type=int, default=500)
    parser.add_argument("--test-per-class", type=int, default=100)
    args = parser.parse_args()
    arrays = build(args.train_per_class, args.test_per_class)
    digests = array_digests(arrays)
    if args.check:
        with np.load(SAMPLE_PATH) as shipped:
            ok = all(np.array_equal(shipped[k], v) for k, v in arrays.items())
        ok = ok and digests == SAMPLE_SHA256
        print("sample matches the full data set" if ok else "sample DIFFERS from a fresh rebuild")
        return 0 if ok else 1
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    SAMPLE_PATH.write_bytes(buffer.getvalue())
    print(f"wrote {SAMPLE_PATH} ({SAMPLE_PATH.stat().st_size / 1e6:.2f} MB)")
    print("SAMPLE_SHA256 = {")
    for key, value in digests.items():
        print(f'    "{key}": "{value}",')
    print("}")
    if digests != SAMPLE_SHA256:
        print("update SAMPLE_SHA256 in src/brainkit/datasets/_sample.py with the values above", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
