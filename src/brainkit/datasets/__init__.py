"""Data sets for learning, offline-first, verified and cached.

>>> from brainkit import datasets
>>> data = datasets.load("fashion_mnist")           # doctest: +SKIP
>>> data.x_train.shape, data.class_names[0]          # doctest: +SKIP
((60000, 28, 28), 'T-shirt/top')

Keras drop-ins return exactly what ``keras.datasets`` returns::

    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()

Where the full data sets are looked for, in order: an explicit ``data_dir``;
brainkit's cache (``$BRAINKIT_DATA``, default ``~/.cache/brainkit``); system
installs (Debian's ``dataset-fashion-mnist`` in ``/usr/share/datasets``);
Keras's cache (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``); then a
download from Keras's mirrors, unless ``BRAINKIT_OFFLINE=1`` or
``download=False``. Every file is verified by SHA-256 before use (a download
too, before it is kept; a bad one moves on to the next mirror); the parsed
arrays are cached as ``.npy``, with a manifest of their dtype, shape and
hashes checked on every read, so the next load takes milliseconds. When the
cache folder cannot be written, a private temporary folder is used instead,
with a one-line note (see "What brainkit guarantees" in the docs).
"""

from __future__ import annotations

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

__all__ = [
    "DataNotFoundError",
    "Dataset",
    "DatasetError",
    "DatasetStatus",
    "IntegrityError",
    "cache_root",
    "dataset_status",
    "fashion_mnist",
    "hotdog",
    "list_datasets",
    "load",
    "mnist",
    "register_dataset",
]


def load(
    name: str = "fashion_mnist",
    *,
    data_dir: str | Path | None = None,
    download: bool | None = None,
    cache: bool = True,
    mmap: bool = False,
    quiet: bool = False,
    mirrors: str | list[str] | tuple[str, ...] | None = None,
    timeout: float | None = None,
    deadline: float | None = None,
) -> Dataset:
    """Load a data set by name.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`, e.g. ``"fashion_mnist"``, ``"mnist"``,
        ``"fashion_mnist_sample"`` (embedded, always available) or ``"hotdog"``.
    data_dir : str or path, optional
        A folder holding the data set's files; searched first, and never written to.
    download : bool, optional
        Allow downloading when the files are nowhere on this machine. Default:
        allowed unless ``BRAINKIT_OFFLINE=1``.
    cache : bool
        Read and write brainkit's ``.npy`` array cache (default true).
    mmap : bool
        Memory-map cached arrays read-only instead of reading them into memory.
    quiet : bool
        No progress bar while downloading (a one-line note about an unwritable
        cache folder is still logged).
    mirrors : str or list of str, optional
        Base URLs to download from, tried in order; each file is verified and
        the next mirror is tried when one fails or serves wrong bytes. Default:
        ``$BRAINKIT_MIRRORS`` (comma-separated), else the data set's own mirrors.
    timeout : float, optional
        Seconds to wait for a server's next bytes before moving on to the next
        mirror. Default: ``$BRAINKIT_TIMEOUT``, else 30.
    deadline : float, optional
        Seconds all downloads of this load may take together. Default:
        ``$BRAINKIT_DOWNLOAD_DEADLINE``, else 900.

    Returns
    -------
    Dataset
        ``x_train``, ``y_train``, ``x_test``, ``y_test``, ``class_names``,
        ``source`` and ``location``.

    Raises
    ------
    DatasetError
        For an unknown name.
    DataNotFoundError
        When the data set is nowhere and cannot be downloaded; the message
        lists where brainkit looked and how to get the data.
    IntegrityError
        When a file is corrupt, truncated or has the wrong checksum.
    """
    entry = registered(name)
    extra = {k: v for k, v in (("mirrors", mirrors), ("timeout", timeout), ("deadline", deadline)) if v is not None}
    return entry.loader(data_dir=data_dir, download=download, cache=cache, mmap=mmap, quiet=quiet, **extra)


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
        info = entry.status() if entry.status else {"state": "embedded", "location": None, "size": 0}
        out.append(DatasetStatus(entry.name, entry.description, info["state"], info["location"], int(info["size"])))
    return out


def _register_builtins() -> None:
    for spec in (_mnist_family.FASHION_MNIST, _mnist_family.MNIST):

        def loader(spec=spec, **kwargs):  # type: ignore[no-untyped-def]
            return _mnist_family.load_mnist_family(spec, **kwargs)

        def status(spec=spec):  # type: ignore[no-untyped-def]
            return _mnist_family.status_of(spec)

        register_dataset(spec.name, loader, spec.description, spec.class_names, status)

    def sample_status():  # type: ignore[no-untyped-def]
        path = _sample.SAMPLE_PATH
        ok = path.is_file()
        return {"state": "embedded" if ok else "missing (reinstall brainkit)", "location": str(path) if ok else None, "size": path.stat().st_size if ok else 0}

    register_dataset(
        "fashion_mnist_sample",
        _sample.load_sample,
        "5,000/1,000 class-balanced Fashion-MNIST subset shipped inside brainkit (no download).",
        _mnist_family.FASHION_MNIST.class_names,
        sample_status,
    )

    register_dataset("hotdog", hotdog.load_hotdog_dataset, hotdog.DESCRIPTION, hotdog.CLASS_NAMES)


_register_builtins()
