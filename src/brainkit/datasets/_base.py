"""The :class:`Dataset` container, the errors, and the registry of dataset names."""

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from brainkit.errors import BrainkitError

__all__ = ["DataNotFoundError", "Dataset", "DatasetError", "IntegrityError", "register_dataset",
           "registered"]

#: What ``keras.datasets.*.load_data()`` returns: ``(x_train, y_train), (x_test, y_test)``.
KerasSplits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class DatasetError(BrainkitError):
    """Base class of every dataset error; the message says what went wrong and the fix."""


class DataNotFoundError(DatasetError, FileNotFoundError):
    """The data set is nowhere on this machine and could not be downloaded."""


class IntegrityError(DatasetError, ValueError):
    """A data file is corrupt, truncated, malformed or has the wrong checksum."""


@dataclass(frozen=True)
class Dataset:
    """A data set split into training and test parts, with its class names.

    Attributes
    ----------
    name, description : str
        Registry name (e.g. ``"fashion_mnist"``) and one line about the data set.
    x_train, y_train, x_test, y_test : numpy.ndarray
        Inputs and integer labels; image data sets: ``uint8`` ``(N, 28, 28)`` and ``(N,)``.
    class_names : tuple of str
        Human-readable name of each label value.
    source, location : str
        Where the arrays came from (``"cache"``, ``"system"``, ...) and the folder or file, if any.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str
    location: str | None = None
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def num_classes(self) -> int:
        """How many classes there are."""
        return len(self.class_names)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input, e.g. ``(28, 28)``."""
        return tuple(self.x_train.shape[1:])

    def as_keras_tuple(self) -> KerasSplits:
        """Return ``((x_train, y_train), (x_test, y_test))`` as ``keras.datasets`` does."""
        return (self.x_train, self.y_train), (self.x_test, self.y_test)

    def __repr__(self) -> str:
        where = f" from {self.location}" if self.location else ""
        return (f"Dataset({self.name!r}: {len(self.x_train)} train / {len(self.x_test)} test, "
                f"inputs {self.input_shape} {self.x_train.dtype}, {self.num_classes} classes, "
                f"{self.source}{where})")


@dataclass(frozen=True)
class RegisteredDataset:
    """A name in the dataset registry and the function that loads it."""

    name: str
    loader: Callable[..., Dataset]
    description: str
    class_names: tuple[str, ...]
    status: Callable[[], Any] | None = None


_REGISTRY: dict[str, RegisteredDataset] = {}


def register_dataset(name: str, loader: Callable[..., Dataset], description: str,
                     class_names: Sequence[str], status: Callable[[], Any] | None = None) -> None:
    """Add a data set to the registry used by :func:`brainkit.datasets.load`.

    Parameters
    ----------
    name, description : str
        The registry name, and one line shown by ``brainkit datasets``.
    loader : callable
        Called with the keyword arguments given to ``load`` and returns a :class:`Dataset`.
    class_names : sequence of str
        The class names, known without loading.
    status : callable, optional
        Returns ``state``, ``location`` and ``size`` (see :class:`DatasetStatus`) without loading.
    """
    _REGISTRY[name] = RegisteredDataset(name, loader, description, tuple(class_names), status)


def registered(name: str) -> RegisteredDataset:
    """Look a data set up by name, with a helpful error for unknown names."""
    key = name.strip().lower().replace("-", "_")
    if key in _REGISTRY:
        return _REGISTRY[key]
    names = sorted(_REGISTRY)
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise DatasetError(f"Unknown dataset {name!r}.{hint} Available: {', '.join(names)}.")


def registry() -> dict[str, RegisteredDataset]:
    """Return the registry (name -> entry), in registration order."""
    return dict(_REGISTRY)
