"""Fashion-MNIST and MNIST: find, verify, parse and cache the real files.

Every file is checked by the SHA-256 of its *decompressed* payload (for IDX
files) or of the file itself (for Keras's ``mnist.npz``). Hashing the payload,
not the ``.gz`` bytes, accepts Debian's re-compressed files, whose gzip bytes
differ from the upstream ones while the data inside is identical.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import tempfile
import time
import urllib.error
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from brainkit.datasets import _cache
from brainkit.datasets._base import DataNotFoundError, Dataset, IntegrityError
from brainkit.datasets._fetch import DeadlineError, DownloadError, VerifyError, download
from brainkit.datasets._idx import parse_idx, read_payload, sha256
from brainkit.datasets._locations import (
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    cache_root,
    deadline_from_env,
    fallback_cache_root,
    keras_datasets_dir,
    mirrors_from_env,
    offline,
    timeout_from_env,
    usable_cache_dir,
)

__all__ = ["FASHION_MNIST", "MNIST", "MnistSpec", "load_mnist_family", "status_of"]

_ROLES = ("x_train", "y_train", "x_test", "y_test")
_log = logging.getLogger("brainkit.datasets")


@dataclass(frozen=True)
class IdxFile:
    """One IDX file of a data set."""

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
    npz_name: str | None
    npz_sha256: str | None
    mirrors: tuple[str, ...]
    system_dirs: tuple[str, ...]
    keras_subdir: str
    apt_package: str | None = None
    embedded_alternative: str | None = None
    n_train: int = 60000
    n_test: int = 10000

    @property
    def payload_sha256(self) -> dict[str, str]:
        """The expected hash of each part, which keys the array cache."""
        if self.idx_files:
            return {f.role: f.sha256 for f in self.idx_files}
        return {"npz": self.npz_sha256 or ""}


FASHION_MNIST = MnistSpec(
    name="fashion_mnist",
    title="Fashion-MNIST",
    description="Zalando's 70,000 grayscale 28x28 images of clothing in 10 classes (60k train, 10k test).",
    class_names=(
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    idx_files=(
        IdxFile(
            "x_train",
            "train-images-idx3-ubyte.gz",
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            3,
        ),
        IdxFile(
            "y_train",
            "train-labels-idx1-ubyte.gz",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            1,
        ),
        IdxFile(
            "x_test",
            "t10k-images-idx3-ubyte.gz",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            3,
        ),
        IdxFile(
            "y_test",
            "t10k-labels-idx1-ubyte.gz",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            1,
        ),
    ),
    npz_name=None,
    npz_sha256=None,
    mirrors=(
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    system_dirs=("/usr/share/datasets/fashion-mnist", "/usr/local/share/datasets/fashion-mnist"),
    keras_subdir="fashion-mnist",
    apt_package="dataset-fashion-mnist",
    embedded_alternative="fashion_mnist_sample",
)

MNIST = MnistSpec(
    name="mnist",
    title="MNIST",
    description="LeCun's 70,000 grayscale 28x28 handwritten digits (60k train, 10k test).",
    class_names=tuple(str(d) for d in range(10)),
    idx_files=(),
    npz_name="mnist.npz",
    npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    mirrors=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",),
    system_dirs=("/usr/share/datasets/mnist", "/usr/local/share/datasets/mnist"),
    keras_subdir="",
)


def _search_dirs(spec: MnistSpec, data_dir: Path | None, fallback: Path | None = None) -> list[tuple[str, Path]]:
    dirs: list[tuple[str, Path]] = []
    if data_dir is not None:
        dirs.append(("data_dir", data_dir))
    dirs.append(("cache", cache_root() / spec.name))
    if fallback is not None and fallback != cache_root() / spec.name:
        dirs.append(("cache", fallback))
    dirs.extend(("system", Path(d)) for d in spec.system_dirs)
    keras_dir = keras_datasets_dir()
    dirs.append(("keras", keras_dir / spec.keras_subdir if spec.keras_subdir else keras_dir))
    return dirs


def _file_names(spec: MnistSpec) -> list[tuple[str, str]]:
    """(role, filename) pairs; IDX files may also sit there uncompressed."""
    if spec.idx_files:
        return [(f.role, f.filename) for f in spec.idx_files]
    return [("npz", spec.npz_name or "")]


def _find(folder: Path, filename: str) -> Path | None:
    for candidate in (folder / filename, folder / filename.removesuffix(".gz")):
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # an unreadable folder on the way
            continue
    return None


def _verify_fix(path: Path, kind: str) -> str:
    if kind == "cache":
        return f"Delete {path} and load again to download a fresh copy."
    if kind == "system":
        return f"Reinstall the system package that installed {path} (e.g. 'sudo apt-get install --reinstall dataset-fashion-mnist')."
    return f"Replace or delete {path}."


def _read_idx(path: Path, spec_file: IdxFile, kind: str) -> np.ndarray:
    try:
        payload = read_payload(path)
    except IntegrityError as exc:
        raise IntegrityError(f"{exc} {_verify_fix(path, kind)}") from exc
    digest = sha256(payload)
    if digest != spec_file.sha256:
        raise IntegrityError(
            f"{path} has the wrong contents: SHA-256 of its data is {digest[:16]}..., expected "
            f"{spec_file.sha256[:16]}... It is corrupt or a different file. {_verify_fix(path, kind)}"
        )
    return parse_idx(payload, str(path), spec_file.ndim)


def _read_npz(path: Path, spec: MnistSpec, kind: str) -> dict[str, np.ndarray]:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise IntegrityError(f"Cannot read {path}: {exc.strerror or exc}. {_verify_fix(path, kind)}") from exc
    if digest != spec.npz_sha256:
        raise IntegrityError(
            f"{path} has the wrong SHA-256 ({digest[:16]}..., expected {str(spec.npz_sha256)[:16]}...). "
            f"It is corrupt, truncated or a different file. {_verify_fix(path, kind)}"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {role: np.asarray(npz[role]) for role in _ROLES}
    except (OSError, ValueError, KeyError) as exc:
        raise IntegrityError(f"{path} is not a valid mnist.npz ({exc}). {_verify_fix(path, kind)}") from exc


def _check_shapes(spec: MnistSpec, arrays: dict[str, np.ndarray]) -> None:
    for split, n in (("train", spec.n_train), ("test", spec.n_test)):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.shape != (n, 28, 28) or y.shape != (n,):
            raise IntegrityError(
                f"{spec.title} {split} split has images {x.shape} and labels {y.shape}; expected "
                f"({n}, 28, 28) and ({n},). The files do not belong together."
            )


def _expected_arrays(spec: MnistSpec) -> dict[str, tuple[str, tuple[int, ...]]]:
    """The dtype and shape of each array, which cached arrays must have."""
    return {
        "x_train": ("|u1", (spec.n_train, 28, 28)),
        "y_train": ("|u1", (spec.n_train,)),
        "x_test": ("|u1", (spec.n_test, 28, 28)),
        "y_test": ("|u1", (spec.n_test,)),
    }


def _not_found(
    spec: MnistSpec,
    looked: list[str],
    errors: list[str],
    allowed: bool,
    cache_dir: Path | None = None,
    damaged: list[str] | None = None,
) -> DataNotFoundError:
    names = ", ".join(name for _, name in _file_names(spec))
    lines = [f"{spec.title} was not found on this machine and could not be downloaded."]
    lines.append("Looked in: " + "; ".join(looked) + ".")
    if not allowed:
        lines.append("Downloading is off (BRAINKIT_OFFLINE=1 or download=False).")
    elif errors:
        lines.append("Downloads failed: " + "; ".join(errors) + ".")
        lines.append(
            "To use other mirrors: mirrors=[...] (or --mirror, or BRAINKIT_MIRRORS=url1,url2); "
            "slow links: timeout= and deadline= (or --timeout/--deadline, BRAINKIT_TIMEOUT, "
            "BRAINKIT_DOWNLOAD_DEADLINE)."
        )
    if damaged:
        lines.append("Found but unusable: " + " ".join(damaged))
    where = cache_dir or cache_root() / spec.name
    lines.append(f"To get it: connect to the internet and load again; or copy {names} into {where} or pass data_dir=...")
    if spec.apt_package:
        lines.append(f"On Debian/Ubuntu: sudo apt-get install {spec.apt_package}.")
    if spec.embedded_alternative:
        lines.append(f"Or use the small embedded set: load({spec.embedded_alternative!r}).")
    return DataNotFoundError(" ".join(lines))


def _download_check(spec: MnistSpec, role: str, filename: str):  # type: ignore[no-untyped-def]
    """A ``verify`` callback for :func:`download`: raise unless the file is the expected one."""

    def check(tmp: Path) -> None:
        raw = tmp.read_bytes()
        if role == "npz":
            digest = hashlib.sha256(raw).hexdigest()
            expected = spec.npz_sha256 or ""
            payload = None
        else:
            spec_file = next(f for f in spec.idx_files if f.role == role)
            expected = spec_file.sha256
            if filename.endswith(".gz"):
                if raw[:2] != b"\x1f\x8b":
                    raise IntegrityError(
                        f"the {len(raw)} bytes received are not a gzip file: the mirror served "
                        "something else (discarded)"
                    )
                try:
                    payload = gzip.decompress(raw)
                except (OSError, EOFError, zlib.error) as exc:
                    raise IntegrityError(
                        f"the {len(raw)} bytes received are incomplete gzip data ({exc}): the "
                        "transfer was cut off (discarded)"
                    ) from exc
            else:
                payload = raw
            digest = sha256(payload)
        if digest != expected:
            raise IntegrityError(
                f"served the wrong bytes (SHA-256 {digest[:16]}..., expected {expected[:16]}...): a "
                "cut-off transfer or another file (discarded)"
            )
        if payload is not None:
            parse_idx(payload, filename, spec_file.ndim)

    return check


def _fetch_missing(
    spec: MnistSpec,
    missing: list[tuple[str, str]],
    mirrors: tuple[str, ...],
    quiet: bool,
    target_dir: Path,
    timeout: float,
    deadline_s: float,
) -> tuple[dict[str, Path], list[str]]:
    found: dict[str, Path] = {}
    errors: list[str] = []
    deadline = time.monotonic() + deadline_s
    unreachable: set[str] = set()  # mirrors that timed out or refused: not asked again
    for role, filename in missing:
        for base in mirrors:
            if base in unreachable:
                continue
            url = base.rstrip("/") + "/" + filename
            try:
                found[role] = download(
                    url, target_dir / filename, timeout=timeout, quiet=quiet, deadline=deadline,
                    verify=_download_check(spec, role, filename),
                )
                break
            except DeadlineError as exc:
                errors.append(
                    f"{exc} ({deadline_s:g} s for all downloads; raise it with deadline=..., "
                    "--deadline or BRAINKIT_DOWNLOAD_DEADLINE)"
                )
                return found, errors
            except DownloadError as exc:
                errors.append(str(exc))
                if not isinstance(exc, VerifyError) and not isinstance(exc.__cause__, urllib.error.HTTPError):
                    unreachable.add(base)
    return found, errors


def load_mnist_family(
    spec: MnistSpec,
    data_dir: str | Path | None = None,
    download: bool | None = None,
    cache: bool = True,
    mmap: bool = False,
    mirrors: tuple[str, ...] | list[str] | str | None = None,
    quiet: bool = False,
    timeout: float | None = None,
    deadline: float | None = None,
) -> Dataset:
    """Load ``spec``'s data set, verified, from the first place that has it.

    See :func:`brainkit.datasets.load` for the parameters.
    """
    folder = cache_root() / spec.name
    explicit = Path(data_dir).expanduser() if data_dir is not None else None
    if explicit is not None and not explicit.is_dir():
        raise DataNotFoundError(f"data_dir {str(explicit)!r} is not a folder. Pass the folder that holds the {spec.title} files.")
    expect = _expected_arrays(spec)
    _cache.sweep(folder)  # leftovers of killed writers (cheap: two small folders)

    if explicit is None and cache:
        cached = _cache.read_arrays(folder, spec.payload_sha256, mmap=mmap, expect=expect)
        if cached is not None:
            arrays, meta = cached
            return _dataset(spec, arrays, "cache", str(folder), origin=meta.get("origin", {}))

    # Where to write: in the cache, in a private temporary folder, or nowhere (None). Not
    # looked for (nor created) when only an explicit data_dir is read.
    writes = explicit is None and cache
    work = usable_cache_dir(spec.name) if writes else None
    fallback = work if work is not None and work != folder else None
    if fallback is not None:
        _cache.sweep(fallback)
        if explicit is None and cache:
            cached = _cache.read_arrays(fallback, spec.payload_sha256, mmap=mmap, expect=expect)
            if cached is not None:
                arrays, meta = cached
                return _dataset(spec, arrays, "cache", str(fallback), origin=meta.get("origin", {}))

    # Find each file in the first place that has a good copy of it.
    arrays: dict[str, np.ndarray] = {}
    located: dict[str, tuple[str, Path]] = {}
    problems: dict[str, IntegrityError] = {}
    looked: list[str] = []
    dirs = _search_dirs(spec, explicit, fallback)
    for kind, directory in dirs:
        looked.append(f"{directory} ({kind})")
    for role, filename in _file_names(spec):
        for kind, directory in dirs:
            path = _find(directory, filename)
            if path is None:
                continue
            try:
                arrays.update(_read_role(spec, role, path, kind))
            except IntegrityError as exc:
                if kind == "data_dir":
                    raise  # the caller chose this folder: say what is wrong with it
                if kind == "cache" and _discard(path):
                    _log.warning("brainkit: %s is damaged; removed it (it is downloaded again if possible).", path)
                    continue
                problems.setdefault(role, exc)
                continue
            located[role] = (kind, path)
            break

    missing = [(r, f) for r, f in _file_names(spec) if r not in located]
    allowed = (download if download is not None else True) and not offline()
    errors: list[str] = []
    tmp_dir: tempfile.TemporaryDirectory[str] | None = None
    try:
        if missing and allowed:
            if isinstance(mirrors, str):
                mirrors = [mirrors]
            urls = tuple(mirrors) if mirrors else (mirrors_from_env() or spec.mirrors)
            if not writes:
                work = usable_cache_dir(spec.name)
            target_dir = work
            if work is None:  # nowhere to keep the files: download them for this load only
                try:
                    tmp_dir = tempfile.TemporaryDirectory(prefix="brainkit-download-")
                    target_dir = Path(tmp_dir.name)
                except OSError as exc:
                    errors = [f"no folder can be written to download into ({exc.strerror or exc})"]
            fetched: dict[str, Path] = {}
            if target_dir is not None:
                fetched, errors = _fetch_missing(
                    spec, missing, urls, quiet, target_dir,
                    timeout=timeout or timeout_from_env() or DEFAULT_TIMEOUT,
                    deadline_s=deadline or deadline_from_env() or DEFAULT_DEADLINE,
                )
            for role, path in fetched.items():
                arrays.update(_read_role(spec, role, path, "cache"))
                located[role] = ("download", path)
            missing = [(r, f) for r, f in missing if r not in located]
    finally:
        if tmp_dir is not None:
            tmp_dir.cleanup()
    if missing:
        damaged = [str(problems[r]) for r, _ in missing if r in problems]
        if damaged and not (allowed and errors):
            raise problems[next(r for r, _ in missing if r in problems)]
        raise _not_found(spec, looked, errors, allowed, work, damaged)
    _check_shapes(spec, arrays)

    kinds = sorted({kind for kind, _ in located.values()})
    places = sorted({str(path.parent) for _, path in located.values()})
    source, location = "+".join(kinds), "; ".join(places)
    if tmp_dir is not None:
        location = "downloaded, not kept"
    if explicit is None and cache and work is not None:
        _cache.write_arrays(work, arrays, spec.payload_sha256, {"source": source, "location": location, "time": time.time()})
    return _dataset(spec, arrays, source, location)


def _read_role(spec: MnistSpec, role: str, path: Path, kind: str) -> dict[str, np.ndarray]:
    if role == "npz":
        return _read_npz(path, spec, kind)
    spec_file = next(f for f in spec.idx_files if f.role == role)
    return {role: _read_idx(path, spec_file, kind)}


def _discard(path: Path) -> bool:
    """Remove a damaged file of brainkit's own cache; False if it cannot be removed."""
    try:
        path.unlink()
    except OSError:
        return False
    return True


def _dataset(
    spec: MnistSpec, arrays: dict[str, np.ndarray], source: str, location: str, origin: dict[str, Any] | None = None
) -> Dataset:
    return Dataset(
        name=spec.name,
        x_train=arrays["x_train"],
        y_train=arrays["y_train"],
        x_test=arrays["x_test"],
        y_test=arrays["y_test"],
        class_names=spec.class_names,
        source=source,
        location=location,
        description=spec.description,
        extra={"origin": origin or {}},
    )


def status_of(spec: MnistSpec) -> dict[str, Any]:
    """Describe where ``spec``'s data set is, without parsing it."""
    fallback = fallback_cache_root(create=False)
    for folder in (cache_root() / spec.name, *((fallback / spec.name,) if fallback else ())):
        meta = _cache.manifest(folder)
        if meta is not None and meta.get("payload_sha256") == spec.payload_sha256:
            return {"state": "cached, verified", "location": str(folder), "size": _cache.cache_size(folder)}
    located: dict[str, Path] = {}
    for _, directory in _search_dirs(spec, None):
        for role, filename in _file_names(spec):
            if role not in located:
                path = _find(directory, filename)
                if path is not None:
                    located[role] = path
    if len(located) == len(_file_names(spec)):
        places = "; ".join(sorted({str(p.parent) for p in located.values()}))
        size = sum(p.stat().st_size for p in located.values())
        return {"state": "found, verified on first load", "location": places, "size": size}
    state = "missing (offline)" if offline() else "missing, downloadable"
    return {"state": state, "location": None, "size": 0}
