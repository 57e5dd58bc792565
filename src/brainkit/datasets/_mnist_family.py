"""Fashion-MNIST and MNIST: find, verify, parse and cache the real files. IDX files are checked
by the SHA-256 of their decompressed payload (so re-compressed copies pass), ``mnist.npz`` whole."""

import contextlib
import functools
import gzip
import hashlib
import io
import logging
import os
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import numpy as np

from brainkit.datasets import _cache
from brainkit.datasets import _locations as loc
from brainkit.datasets._base import DataNotFoundError, Dataset, IntegrityError
from brainkit.datasets._fetch import DeadlineError, DownloadError, VerifyError, download
from brainkit.datasets._idx import parse_idx
from brainkit.datasets._locations import cache_root, usable_cache_dir

__all__ = ["FASHION_MNIST", "MNIST", "MnistSpec", "load_mnist_family", "status_of"]

_log = logging.getLogger("brainkit.datasets")


@dataclass(frozen=True)
class IdxFile:
    """One file of a data set (an IDX file; role ``"npz"`` with ndim 0 for ``mnist.npz``)."""

    role: str
    filename: str
    sha256: str
    ndim: int


@dataclass(frozen=True)
class MnistSpec:
    """Everything needed to find and verify one MNIST-style data set."""

    name: str
    title: str
    description: str
    class_names: tuple[str, ...]
    idx_files: tuple[IdxFile, ...]
    mirrors: tuple[str, ...]
    system_dirs: tuple[str, ...]
    keras_subdir: str = ""
    npz_name: str | None = None
    npz_sha256: str | None = None
    apt_package: str | None = None
    embedded_alternative: str | None = None
    n_train: int = 60000
    n_test: int = 10000

    @property
    def parts(self) -> tuple[IdxFile, ...]:
        """The files to find: the IDX files, or else the single ``.npz`` (role ``"npz"``)."""
        return self.idx_files or (IdxFile("npz", self.npz_name or "", self.npz_sha256 or "", 0),)

    @property
    def payload_sha256(self) -> dict[str, str]:
        """The expected hash of each part, which keys the array cache."""
        return {f.role: f.sha256 for f in self.parts}

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        n, m = self.n_train, self.n_test
        return {"x_train": (n, 28, 28), "y_train": (n,), "x_test": (m, 28, 28), "y_test": (m,)}


FASHION_MNIST = MnistSpec(
    name="fashion_mnist", title="Fashion-MNIST",
    description="Zalando's 70,000 grayscale 28x28 images of clothing in 10 classes "
                "(60k train, 10k test).",
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    idx_files=(
        IdxFile("x_train", "train-images-idx3-ubyte.gz",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", 3),
        IdxFile("y_train", "train-labels-idx1-ubyte.gz",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", 1),
        IdxFile("x_test", "t10k-images-idx3-ubyte.gz",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", 3),
        IdxFile("y_test", "t10k-labels-idx1-ubyte.gz",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", 1),
    ),
    mirrors=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
             "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
    system_dirs=("/usr/share/datasets/fashion-mnist", "/usr/local/share/datasets/fashion-mnist"),
    keras_subdir="fashion-mnist", apt_package="dataset-fashion-mnist",
    embedded_alternative="fashion_mnist_sample",
)

MNIST = MnistSpec(
    name="mnist", title="MNIST",
    description="LeCun's 70,000 grayscale 28x28 handwritten digits (60k train, 10k test).",
    class_names=tuple(str(d) for d in range(10)), idx_files=(), npz_name="mnist.npz",
    npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    mirrors=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",),
    system_dirs=("/usr/share/datasets/mnist", "/usr/local/share/datasets/mnist"),
)


def _search_dirs(spec: MnistSpec, data_dir: Path | None,
                 fallback: Path | None = None) -> list[tuple[str, Path]]:
    dirs = [("data_dir", data_dir)] if data_dir is not None else []
    dirs += [("cache", d) for d in (cache_root() / spec.name, fallback) if d is not None]
    dirs += [("system", Path(d)) for d in spec.system_dirs]
    keras = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    return dirs + [("keras", keras / "datasets" / spec.keras_subdir)]  # Keras's downloads


def _find(folder: Path, filename: str) -> Path | None:
    """The file in ``folder``, also uncompressed (without ``.gz``), or None."""
    for candidate in (folder / filename, folder / filename.removesuffix(".gz")):
        with contextlib.suppress(OSError):  # an unreadable folder on the way
            if candidate.is_file():
                return candidate
    return None


def _decode(part: IdxFile, data: bytes, name: str) -> dict[str, np.ndarray]:
    """The arrays in a part's verified payload (an IDX payload, or the bytes of ``mnist.npz``)."""
    if part.role != "npz":
        return {part.role: parse_idx(data, name, part.ndim)}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {role: np.asarray(npz[role]) for role in _cache.ROLES}
    except (OSError, ValueError, KeyError) as exc:
        raise IntegrityError(f"{name} is not a valid mnist.npz ({exc}).") from exc


def _read_part(part: IdxFile, path: Path, kind: str) -> dict[str, np.ndarray]:
    """Read, verify and parse one file found in a ``kind`` folder; errors say how to fix it."""
    fixes = {"cache": f"Delete {path} and load again to download a fresh copy.",
             "system": f"Reinstall the system package that installed {path} (e.g. "
                       "'sudo apt-get install --reinstall dataset-fashion-mnist')."}
    fix = fixes.get(kind, f"Replace or delete {path}.")
    try:  # every IntegrityError below gets the fix appended once, at the end
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise IntegrityError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        if path.suffix == ".gz":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise IntegrityError(f"{path} is not a complete gzip file ({exc}); it is "
                                     "probably truncated or corrupt.") from exc
        if (digest := hashlib.sha256(data).hexdigest()) != part.sha256:
            raise IntegrityError(f"{path} has the wrong contents (SHA-256 {digest[:16]}..., "
                                 f"expected {part.sha256[:16]}...): corrupt, cut off or another "
                                 "file.")
        return _decode(part, data, str(path))
    except IntegrityError as exc:
        raise IntegrityError(f"{exc} {fix}") from (exc.__cause__ or exc)


def _not_found(spec: MnistSpec, dirs: list[tuple[str, Path]], errors: list[str], allowed: bool,
               cache_dir: Path | None, damaged: list[str]) -> DataNotFoundError:
    lines = [f"{spec.title} was not found on this machine and could not be downloaded.",
             "Looked in: " + "; ".join(f"{folder} ({kind})" for kind, folder in dirs) + "."]
    if not allowed:
        lines.append("Downloading is off (BRAINKIT_OFFLINE=1 or download=False).")
    elif errors:
        lines.append("Downloads failed: " + "; ".join(errors) + ". To use other mirrors: "
                     "mirrors=[...] (or --mirror, or BRAINKIT_MIRRORS=url1,url2); slow links: "
                     "timeout= and deadline= (or --timeout/--deadline, BRAINKIT_TIMEOUT, "
                     "BRAINKIT_DOWNLOAD_DEADLINE).")
    if damaged:
        lines.append("Found but unusable: " + " ".join(damaged))
    names = ", ".join(part.filename for part in spec.parts)
    lines.append(f"To get it: connect to the internet and load again; or copy {names} into "
                 f"{cache_dir or cache_root() / spec.name} or pass data_dir=...")
    if spec.apt_package:
        lines.append(f"On Debian/Ubuntu: sudo apt-get install {spec.apt_package}.")
    if spec.embedded_alternative:
        lines.append(f"Or use the small embedded set: load({spec.embedded_alternative!r}).")
    return DataNotFoundError(" ".join(lines))


def _check_download(part: IdxFile, arrays: dict[str, np.ndarray], tmp: Path) -> None:
    """The ``verify`` callback of :func:`download`: raise on wrong bytes, else fill ``arrays``."""
    raw = data = tmp.read_bytes()
    if part.filename.endswith(".gz"):
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            cut = raw[:2] == b"\x1f\x8b"  # gzip's magic number: a gzip file, cut short
            what = (f"are incomplete gzip data ({exc}): the transfer was cut off" if cut
                    else "are not a gzip file: the mirror served something else")
            raise IntegrityError(f"the {len(raw)} bytes received {what} (discarded)") from exc
    if (digest := hashlib.sha256(data).hexdigest()) != part.sha256:
        raise IntegrityError(f"served the wrong bytes (SHA-256 {digest[:16]}..., expected "
                             f"{part.sha256[:16]}...): cut off, or another file (discarded)")
    arrays.update(_decode(part, data, part.filename))


def _fetch_missing(spec: MnistSpec, missing: list[IdxFile], target_dir: Path, mirrors: Any,
                   quiet: bool, timeout: float | None, deadline: float | None,
                   arrays: dict[str, np.ndarray], located: dict[str, Any]) -> list[str]:
    """Download the missing parts into ``target_dir``, parsed into ``arrays``; return the errors."""
    urls = (mirrors,) if isinstance(mirrors, str) else tuple(mirrors or ())
    env = os.environ.get("BRAINKIT_MIRRORS", "").split(",")  # comma-separated base URLs
    urls = urls or tuple(url.strip() for url in env if url.strip()) or spec.mirrors
    timeout = timeout or loc.seconds_from_env("BRAINKIT_TIMEOUT", loc.DEFAULT_TIMEOUT)
    budget = deadline or loc.seconds_from_env("BRAINKIT_DOWNLOAD_DEADLINE", loc.DEFAULT_DEADLINE)
    stop = time.monotonic() + budget
    errors: list[str] = []
    unreachable: set[str] = set()  # mirrors that timed out or refused: not asked again
    for part in missing:
        for base in (url for url in urls if url not in unreachable):
            try:
                path = download(base.rstrip("/") + "/" + part.filename, target_dir / part.filename,
                                timeout=timeout, quiet=quiet, deadline=stop,
                                verify=functools.partial(_check_download, part, arrays))
                located[part.role] = ("download", path)
                break
            except DeadlineError as exc:
                errors.append(f"{exc} ({budget:g} s for all downloads; raise it with "
                              "deadline=..., --deadline or BRAINKIT_DOWNLOAD_DEADLINE)")
                return errors
            except DownloadError as exc:
                errors.append(str(exc))
                if not isinstance(exc, VerifyError) and not isinstance(exc.__cause__, HTTPError):
                    unreachable.add(base)
    return errors


def _from_cache(spec: MnistSpec, folder: Path, mmap: bool) -> Dataset | None:
    expect = {role: ("|u1", shape) for role, shape in spec.shapes.items()}
    if (cached := _cache.read_arrays(folder, spec.payload_sha256, expect, mmap=mmap)) is None:
        return None
    arrays, meta = cached
    return _dataset(spec, arrays, "cache", str(folder), origin=meta.get("origin", {}))


def load_mnist_family(spec: MnistSpec, data_dir: str | Path | None = None,
                      download: bool | None = None, cache: bool = True, mmap: bool = False,
                      mirrors: tuple[str, ...] | list[str] | str | None = None,
                      quiet: bool = False, timeout: float | None = None,
                      deadline: float | None = None) -> Dataset:
    """Load ``spec``'s data set from the first place with good copies (see ``datasets.load``)."""
    folder = cache_root() / spec.name
    explicit = Path(data_dir).expanduser() if data_dir is not None else None
    if explicit is not None and not explicit.is_dir():
        raise DataNotFoundError(f"data_dir {str(explicit)!r} is not a folder. Pass the folder "
                                f"that holds the {spec.title} files.")
    # Arrays are cached (in the cache or a private temporary folder) unless only data_dir is read.
    writes = explicit is None and cache
    _cache.sweep(folder)  # leftovers of killed writers (cheap: two small folders)
    if writes and (hit := _from_cache(spec, folder, mmap)) is not None:
        return hit
    work = usable_cache_dir(spec.name) if writes else None  # where to write; None: nowhere
    fallback = work if work != folder else None
    if fallback is not None:
        _cache.sweep(fallback)
        if (hit := _from_cache(spec, fallback, mmap)) is not None:
            return hit

    # Find each file in the first place that has a good copy of it.
    arrays: dict[str, np.ndarray] = {}
    located: dict[str, tuple[str, Path]] = {}
    problems: dict[str, IntegrityError] = {}
    dirs = _search_dirs(spec, explicit, fallback)
    for part in spec.parts:
        for kind, directory in dirs:
            if (path := _find(directory, part.filename)) is None:
                continue
            try:
                arrays.update(_read_part(part, path, kind))
                located[part.role] = (kind, path)
                break
            except IntegrityError as exc:
                if kind == "data_dir":
                    raise  # the caller chose this folder: say what is wrong with it
                if kind == "cache":  # brainkit's own copy: remove it, to download it again
                    try:
                        path.unlink()
                    except OSError:
                        pass
                    else:
                        _log.warning("brainkit: %s is damaged; removed it (it is downloaded "
                                     "again if possible).", path)
                        continue
                problems.setdefault(part.role, exc)

    missing = [part for part in spec.parts if part.role not in located]
    allowed = (download is None or bool(download)) and not loc.offline()
    errors: list[str] = []
    if missing and allowed:
        work = work if writes else usable_cache_dir(spec.name)
        with contextlib.ExitStack() as stack:
            target_dir = work
            if work is None:  # nowhere to keep the files: download them for this load only
                try:
                    tmp = tempfile.TemporaryDirectory(prefix="brainkit-download-")
                    target_dir = Path(stack.enter_context(tmp))
                except OSError as exc:
                    errors = [f"no folder can be written to download into ({exc.strerror or exc})"]
            if target_dir is not None:
                errors = _fetch_missing(spec, missing, target_dir, mirrors, quiet, timeout,
                                        deadline, arrays, located)
        missing = [part for part in missing if part.role not in located]
    if missing:
        damaged = [problems[p.role] for p in missing if p.role in problems]
        if damaged and not (allowed and errors):
            raise damaged[0]
        raise _not_found(spec, dirs, errors, allowed, work, [str(e) for e in damaged])
    shapes = {role: arrays[role].shape for role in _cache.ROLES}
    if shapes != spec.shapes:
        raise IntegrityError(f"{spec.title} files hold arrays of shapes {shapes}; expected "
                             f"{spec.shapes}. The files do not belong together.")
    kinds = {kind for kind, _ in located.values()}
    source = "+".join(sorted(kinds))
    location = "; ".join(sorted({str(path.parent) for _, path in located.values()}))
    if work is None and "download" in kinds:  # into a temporary folder, removed by now
        location = "downloaded, not kept"
    if writes and work is not None:
        origin = {"source": source, "location": location, "time": time.time()}
        _cache.write_arrays(work, arrays, spec.payload_sha256, origin)
    return _dataset(spec, arrays, source, location)


def _dataset(spec: MnistSpec, arrays: dict[str, np.ndarray], source: str, location: str,
             origin: dict[str, Any] | None = None) -> Dataset:
    return Dataset(spec.name, *(arrays[role] for role in _cache.ROLES), spec.class_names,
                   source=source, location=location, description=spec.description,
                   extra={"origin": origin or {}})


def status_of(spec: MnistSpec) -> dict[str, Any]:
    """Describe where ``spec``'s data set is, without parsing it."""
    fallback = loc.fallback_cache_root(create=False)
    for folder in (cache_root() / spec.name, *((fallback / spec.name,) if fallback else ())):
        if (_cache.manifest(folder) or {}).get("payload_sha256") == spec.payload_sha256:
            size = _cache.cache_size(folder)
            return {"state": "cached, verified", "location": str(folder), "size": size}
    dirs = [folder for _, folder in _search_dirs(spec, None)]
    found = [next(filter(None, (_find(d, p.filename) for d in dirs)), None) for p in spec.parts]
    if None not in found:
        places = "; ".join(sorted({str(p.parent) for p in found}))
        size = sum(p.stat().st_size for p in found)
        return {"state": "found, verified on first load", "location": places, "size": size}
    state = "missing (offline)" if loc.offline() else "missing, downloadable"
    return {"state": state, "location": None, "size": 0}

