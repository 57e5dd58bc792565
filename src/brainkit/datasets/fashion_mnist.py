"""Keras-compatible Fashion-MNIST: ``load_data()`` as in ``keras.datasets.fashion_mnist``."""

from pathlib import Path

from brainkit.datasets._base import KerasSplits
from brainkit.datasets._mnist_family import FASHION_MNIST, load_mnist_family

__all__ = ["CLASS_NAMES", "load_data"]

CLASS_NAMES = FASHION_MNIST.class_names  #: The class names, indexed by label.


def load_data(data_dir: str | Path | None = None, download: bool | None = None) -> KerasSplits:
    """Load Fashion-MNIST as ``keras.datasets.fashion_mnist.load_data()`` does.

    Returns ``uint8`` ``(x_train, y_train), (x_test, y_test)``: 60,000 and 10,000 28 x 28 images.

    Parameters
    ----------
    data_dir, download
        As for :func:`brainkit.datasets.load`: the files are found offline first, and verified.
    """
    return load_mnist_family(FASHION_MNIST, data_dir=data_dir, download=download).as_keras_tuple()
