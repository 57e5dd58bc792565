"""Keras-compatible Fashion-MNIST: ``load_data()`` as in ``keras.datasets.fashion_mnist``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from brainkit.datasets._mnist_family import FASHION_MNIST, load_mnist_family

__all__ = ["CLASS_NAMES", "load_data"]

#: The class names, indexed by label.
CLASS_NAMES = FASHION_MNIST.class_names


def load_data(
    data_dir: str | Path | None = None, download: bool | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load Fashion-MNIST exactly as ``keras.datasets.fashion_mnist.load_data()`` does.

    The files are found offline first and verified (see :func:`brainkit.datasets.load`).

    Parameters
    ----------
    data_dir : str or path, optional
        A folder holding the four IDX ``.gz`` files.
    download : bool, optional
        Allow a download when the files are nowhere on this machine.

    Returns
    -------
    tuple
        ``(x_train, y_train), (x_test, y_test)``: ``uint8`` arrays of shapes
        ``(60000, 28, 28)``, ``(60000,)``, ``(10000, 28, 28)``, ``(10000,)``.

    Examples
    --------
    >>> from brainkit.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()  # doctest: +SKIP
    """
    return load_mnist_family(FASHION_MNIST, data_dir=data_dir, download=download).as_keras_tuple()
