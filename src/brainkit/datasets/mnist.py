"""Keras-compatible MNIST: ``load_data()`` as in ``keras.datasets.mnist``."""

from pathlib import Path

from brainkit.datasets._base import KerasSplits
from brainkit.datasets._mnist_family import MNIST, load_mnist_family

__all__ = ["load_data"]


def load_data(data_dir: str | Path | None = None, download: bool | None = None) -> KerasSplits:
    """Load MNIST as ``keras.datasets.mnist.load_data()`` does, from Keras's ``mnist.npz``.

    Returns ``uint8`` ``(x_train, y_train), (x_test, y_test)``: 60,000 and 10,000 28 x 28 images.

    Parameters
    ----------
    data_dir, download : optional
        As for :func:`brainkit.datasets.load`: the file is found offline first, and verified.
    """
    return load_mnist_family(MNIST, data_dir=data_dir, download=download).as_keras_tuple()
