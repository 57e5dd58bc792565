"""Keras-compatible MNIST: ``load_data()`` as in ``keras.datasets.mnist``."""

from __future__ import annotations

from pathlib import Path

from brainkit.datasets._base import KerasSplits
from brainkit.datasets._mnist_family import MNIST, load_mnist_family

__all__ = ["load_data"]


def load_data(data_dir: str | Path | None = None, download: bool | None = None) -> KerasSplits:
    """Load MNIST exactly as ``keras.datasets.mnist.load_data()`` does.

    Reads Keras's ``mnist.npz`` (see :func:`brainkit.datasets.load`), verified by its SHA-256.

    Returns
    -------
    tuple
        ``(x_train, y_train), (x_test, y_test)``: ``uint8``, ``(60000, 28, 28)``, ``(60000,)``,
        ``(10000, 28, 28)``, ``(10000,)``.
    """
    return load_mnist_family(MNIST, data_dir=data_dir, download=download).as_keras_tuple()
