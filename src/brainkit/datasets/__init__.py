"""Data sets for learning, offline-first, verified and cached, with Keras drop-ins such as
``datasets.fashion_mnist.load_data()``; see "Data, with or without a network" (installation)."""

import functools
from dataclasses import asdict, dataclass
from pathlib import Path

from brainkit.datasets import _mnist_family, _sample, fashion_mnist, hotdog, mnist
from brainkit.datasets._base import (
    DataNotFoundError,
    Dataset,
    DatasetError,
    IntegrityError,
    register_dataset,
    registered,
    registry,
)
from brainkit.datasets._locations import cache_root

__all__ = ["DataNotFoundError", "Dataset", "DatasetError", "DatasetStatus", "IntegrityError",
           "cache_root", "dataset_status", "fashion_mnist", "hotdog", "list_datasets", "load",
           "mnist", "register_dataset"]


def load(name: str = "fashion_mnist", *, data_dir: str | Path | None = None,
         download: bool | None = None, cache: bool = True, mmap: bool = False, quiet: bool = False,
         mirrors: str | list[str] | tuple[str, ...] | None = None, timeout: float | None = None,
         deadline: float | None = None) -> Dataset:
    """Load a data set by name, as a :class:`Dataset`.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`; ``"fashion_mnist_sample"`` is embedded, always available.
    data_dir : str or path, optional
        A folder holding the data set's files; searched first, and never written to.
    download : bool, optional
        Allow downloading files found nowhere here (default: unless ``BRAINKIT_OFFLINE=1``).
    cache, mmap : bool
        Use brainkit's ``.npy`` array cache (default true); memory-map it read-only.
    quiet : bool
        No progress bar while downloading (a note about an unwritable cache is still logged).
    mirrors : str or list of str, optional
        Base URLs tried in turn (default: ``$BRAINKIT_MIRRORS``, else the data set's own).
    timeout, deadline : float, optional
        Seconds to wait for a server's next bytes (``$BRAINKIT_TIMEOUT``, else 30), and for all
        downloads of this load (``$BRAINKIT_DOWNLOAD_DEADLINE``, else 900).

    Raises
    ------
    DatasetError
        For an unknown name.
    DataNotFoundError
        When the data set is nowhere and cannot be downloaded (says where it looked, and how).
    IntegrityError
        When a file is corrupt, truncated or has the wrong checksum.
    """
    extra = {k: v for k, v in (("mirrors", mirrors), ("timeout", timeout), ("deadline", deadline))
             if v is not None}
    return registered(name).loader(data_dir=data_dir, download=download, cache=cache, mmap=mmap,
                                   quiet=quiet, **extra)


def list_datasets() -> list[str]:
    """Return the names :func:`load` accepts."""
    return list(registry())


@dataclass(frozen=True)
class DatasetStatus:
    """Where a data set is on this machine, found without loading it."""

    name: str
    description: str
    state: str
    location: str | None
    size: int

    def as_dict(self) -> dict[str, object]:
        """Return the fields as a dictionary."""
        return asdict(self)


def dataset_status() -> list[DatasetStatus]:
    """Describe each registered data set: found where, how big, verified or not."""
    out = []
    for entry in registry().values():
        info = entry.status() if entry.status else dict(state="embedded", location=None, size=0)
        out.append(DatasetStatus(entry.name, entry.description, info["state"], info["location"],
                                 int(info["size"])))
    return out


for _spec in (_mnist_family.FASHION_MNIST, _mnist_family.MNIST):
    register_dataset(_spec.name, functools.partial(_mnist_family.load_mnist_family, _spec),
                     _spec.description, _spec.class_names,
                     functools.partial(_mnist_family.status_of, _spec))
del _spec
register_dataset("fashion_mnist_sample", _sample.load_sample, _sample.DESCRIPTION,
                 _mnist_family.FASHION_MNIST.class_names, _sample.status)
register_dataset("hotdog", hotdog.load_hotdog_dataset, hotdog.DESCRIPTION, hotdog.CLASS_NAMES)
