"""Choose the Keras backend, import Keras lazily, seed, and report devices.

Keras reads its backend once, when first imported: :func:`use_backend` (or ``brainkit --backend``)
wins, then ``KERAS_BACKEND``, then the first installed of ``jax``, ``torch``, ``tensorflow``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import logging
import os
import platform
import random
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from brainkit._atomic import writable_dir
from brainkit._version import __version__
from brainkit.errors import BrainkitError

__all__ = [
    "BACKENDS", "BackendError", "available_backends", "cache_root", "current_backend",
    "device_report", "enable_compile_cache", "format_device_report", "import_keras",
    "resolve_backend", "seed_everything", "set_environment_defaults", "tensorflow_unprobed",
    "use_backend",
]

#: Backends brainkit supports, in order of preference.
BACKENDS: tuple[str, ...] = ("jax", "torch", "tensorflow")

# Distributions that provide each backend's importable module.
_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "jax": ("jax",), "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
}

_ALIASES = {"pytorch": "torch", "tf": "tensorflow"}

_explicit_backend: str | None = None


class BackendError(BrainkitError, RuntimeError):
    """A Keras backend was asked for that cannot be used, with the fix in the message."""


def install_hint(backend: str) -> str:
    """Return the exact ``pip install`` line that provides ``backend``."""
    return f'pip install "brainkit[{backend}]"'


def _normalise(name: str) -> str:
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in BACKENDS:
        raise BackendError(f"Unknown Keras backend {name!r}. Choose one of: {', '.join(BACKENDS)}.")
    return key


def _version(dist: str) -> str | None:
    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        return importlib.metadata.version(dist)
    return None


def _distribution_installed(backend: str) -> bool:
    return any(_version(dist) is not None for dist in _DISTRIBUTIONS[backend])


def shadowing_folder(module: str, cwd: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the folder or file in ``cwd`` that Python would import instead of ``module``.

    A folder named ``jax`` in the current directory (first on ``sys.path`` in the REPL and
    notebooks) makes Keras fail with an obscure error.
    """
    here = Path(cwd) if cwd is not None else Path.cwd()
    folder, file = here / module, here / f"{module}.py"
    if not (folder.is_dir() or file.is_file()):
        return None
    if not any(Path(e or ".").resolve() == here.resolve() for e in sys.path if isinstance(e, str)):
        return None
    if module in sys.modules:
        loaded = sys.modules[module]
        paths = [getattr(loaded, "__file__", None), *(getattr(loaded, "__path__", []) or [])]
    elif (spec := importlib.util.find_spec(module)) is not None:
        paths = [spec.origin, *(spec.submodule_search_locations or [])]
    else:
        return None
    inside = folder.resolve()
    for p in filter(None, paths):
        with contextlib.suppress(OSError):
            resolved = Path(p).resolve()
            if resolved == inside or inside in resolved.parents:
                return folder if folder.is_dir() else file
    return None


def available_backends() -> list[str]:
    """Return the supported backends that are installed, in order of preference."""
    return [name for name in BACKENDS if _distribution_installed(name)]


def _keras_loaded_backend() -> str | None:
    keras = sys.modules.get("keras")
    with contextlib.suppress(Exception):  # None for a missing or half-imported keras
        return str(keras.backend.backend())
    return None


def resolve_backend(explicit: str | None = None) -> str:
    """Decide which backend to use, without importing it.

    Parameters
    ----------
    explicit : str, optional
        A backend asked for by name; it wins over everything else.

    Returns
    -------
    str
        One of :data:`BACKENDS`.

    Raises
    ------
    BackendError
        If the backend is unknown or not installed, or none is installed.
    """
    if explicit is not None:
        name, why = _normalise(explicit), "asked for"
    elif _explicit_backend is not None:
        name, why = _explicit_backend, "chosen with use_backend()"
    elif os.environ.get("KERAS_BACKEND"):
        name, why = _normalise(os.environ["KERAS_BACKEND"]), "set by KERAS_BACKEND"
    elif (loaded := _keras_loaded_backend()) is not None:
        return loaded
    elif installed := available_backends():
        return installed[0]
    else:
        raise BackendError(
            "No Keras backend is installed. Install one, for example: "
            f"{install_hint('jax')} (recommended on a CPU), {install_hint('torch')} "
            f"or {install_hint('tensorflow')}."
        )
    if not _distribution_installed(name):
        others = [b for b in available_backends() if b != name]
        alt = f" Installed instead: {', '.join(others)}." if others else ""
        raise BackendError(
            f"The Keras backend {name!r} ({why}) is not installed. Install it with: "
            f"{install_hint(name)}.{alt}"
        )
    return name


def use_backend(name: str) -> str:
    """Choose the Keras backend for this process, before Keras is first imported.

    Parameters
    ----------
    name : {"jax", "torch", "tensorflow"}
        The backend; ``"pytorch"`` and ``"tf"`` are accepted aliases.

    Returns
    -------
    str
        The normalised backend name.

    Raises
    ------
    BackendError
        If the backend is unknown or not installed, or Keras already runs on another.
    """
    global _explicit_backend
    backend = resolve_backend(name)
    loaded = _keras_loaded_backend()
    if loaded is not None and loaded != backend:
        raise BackendError(
            f"Keras is already running on the {loaded!r} backend in this process; the "
            f"backend cannot change to {backend!r} afterwards. Call "
            f"brainkit.runtime.use_backend({backend!r}) before anything imports Keras, or "
            f"start Python with KERAS_BACKEND={backend}."
        )
    _explicit_backend = backend
    os.environ["KERAS_BACKEND"] = backend
    return backend


def current_backend() -> str:
    """Return the backend Keras runs on, or would run on if imported now."""
    return _keras_loaded_backend() or resolve_backend()


def import_keras(backend: str | None = None) -> Any:
    """Import and return Keras, configured for the chosen backend.

    Parameters
    ----------
    backend : str, optional
        Backend to use; defaults to :func:`resolve_backend`'s choice.

    Returns
    -------
    module
        The ``keras`` module.
    """
    loaded = _keras_loaded_backend()
    if loaded is not None and backend is None:
        return sys.modules["keras"]
    name = use_backend(backend) if backend is not None else resolve_backend()
    if loaded is None:
        for module in (name, "keras"):
            if (folder := shadowing_folder(module)) is not None:
                raise BackendError(
                    f"The {'folder' if folder.is_dir() else 'file'} {str(folder)!r} in the "
                    f"current directory shadows the real {module!r} package, so Keras would "
                    f"import it instead and fail. Rename it (for example to '{module}_notes') "
                    "or run brainkit from another directory."
                )
        os.environ["KERAS_BACKEND"] = name
        _quiet_backend_logs(name)
    import keras
    if loaded is None and name == "jax":
        enable_compile_cache()
    return keras


#: Set to ``0`` to compile everything afresh in every process (JAX backend).
COMPILE_CACHE_ENV = "BRAINKIT_COMPILE_CACHE"
_compile_folder: Path | None = None  # brainkit's compile cache, once enabled


def cache_root() -> Path:
    """Return brainkit's data cache folder (it may not exist yet).

    ``$BRAINKIT_DATA`` wins; else ``$XDG_CACHE_HOME/brainkit`` (default ``~/.cache/brainkit``) on
    Linux, ``~/Library/Caches/brainkit`` on macOS, ``%LOCALAPPDATA%\\brainkit\\Cache`` on Windows.
    """
    if env := os.environ.get("BRAINKIT_DATA"):
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "brainkit"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "brainkit" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "brainkit"


def enable_compile_cache() -> str | None:
    """Keep JAX's compiled programs on disk so that the next run skips compiling.

    :func:`import_keras` calls this on JAX. Unless JAX has a cache folder already, it keeps every
    program in ``<cache_root()>/compiled/jax``, which may be deleted at any time; entries truncated
    by a killed run are removed. ``BRAINKIT_COMPILE_CACHE=0`` turns it off.

    Returns
    -------
    str or None
        The folder in use, or None when the cache is off or cannot be used.
    """
    global _compile_folder
    if os.environ.get(COMPILE_CACHE_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    import jax
    try:
        current = jax.config.jax_compilation_cache_dir
    except AttributeError:  # a JAX without a persistent cache
        return None
    if current:
        return str(current)
    folder = cache_root() / "compiled" / "jax"
    if writable_dir(folder) is not None:  # read-only HOME, BRAINKIT_DATA a file: compile each time
        return None
    jax.config.update("jax_compilation_cache_dir", str(folder))
    _compile_folder = folder
    for option, value in (("min_compile_time_secs", 0.0), ("min_entry_size_bytes", 0)):
        with contextlib.suppress(AttributeError, KeyError, ValueError):  # older JAX: its default
            jax.config.update(f"jax_persistent_cache_{option}", value)
    try:  # JAX's reader, which warns (every run) about an entry it cannot read
        from jax._src import compilation_cache as jax_cache
        original = jax_cache.get_executable_and_time
    except (ImportError, AttributeError):  # pragma: no cover - another JAX: keep its warnings
        return str(folder)
    if hasattr(original, "_brainkit_told"):  # wrapped already
        return str(folder)

    def read_or_drop(cache_key: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(cache_key, *args, **kwargs)
        except Exception as exc:
            ours = Path(str(jax.config.jax_compilation_cache_dir or "")) == _compile_folder
            strict = getattr(jax.config, "jax_raise_persistent_cache_errors", False)
            verification = getattr(jax_cache, "CacheVerificationError", ())
            if not ours or strict or (verification and isinstance(exc, verification)):
                raise
            for suffix in ("-cache", "-atime"):
                with contextlib.suppress(OSError):
                    (_compile_folder / f"{cache_key}{suffix}").unlink()
            if not read_or_drop._brainkit_told:
                read_or_drop._brainkit_told = True
                logging.getLogger(__name__).warning(
                    "brainkit: removing unreadable entries from the compile cache %s (%s: %s); "
                    "they are compiled again. Such entries are left by a run killed while saving.",
                    _compile_folder, type(exc).__name__, str(exc)[:80],
                )
            return None, None

    read_or_drop._brainkit_told = False  # type: ignore[attr-defined]
    jax_cache.get_executable_and_time = read_or_drop
    return str(folder)


@contextlib.contextmanager
def tensorflow_unprobed() -> Iterator[None]:
    """Stop Keras from importing TensorFlow just to look at it (JAX and torch backends).

    Saving a model imports an installed TensorFlow (~1.5 s, ~300 MB) for an ``isinstance`` test;
    inside this context Keras is told TensorFlow is unavailable, unless it runs or is imported.
    """
    lazy = None
    if "tensorflow" not in sys.modules and _keras_loaded_backend() not in (None, "tensorflow"):
        with contextlib.suppress(ImportError, AttributeError):  # another Keras layout: no-op
            from keras.src.utils import module_utils
            lazy = module_utils.tensorflow
    if lazy is None or getattr(lazy, "_available", True) is not None:
        yield
        return
    lazy._available = False
    try:
        yield
    finally:
        lazy._available = None


# What TensorFlow's C++ code writes to stderr before TF_CPP_MIN_LOG_LEVEL is read: absl's
# notice, and INFO lines such as "port.cc:153] oneDNN custom operations are on ...".
_ABSL_NOTICE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
)
_ABSL_LINE = re.compile(r"^(?P<severity>[IWEF])\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\] ")


def set_environment_defaults() -> None:
    """Prepare the environment at ``import brainkit``, before anything imports Keras.

    Sets an unset ``KERAS_BACKEND`` to :func:`resolve_backend`'s choice (so that a plain ``import
    keras`` works) and defaults ``TF_CPP_MIN_LOG_LEVEL`` to 2.
    """
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ.get("KERAS_BACKEND") or "keras" in sys.modules:
        return
    with contextlib.suppress(BackendError):  # none installed: said when Keras is needed
        os.environ["KERAS_BACKEND"] = resolve_backend()


def _is_tensorflow_noise(line: str, level: int) -> bool:
    if level < 1:
        return False
    if line.strip() == _ABSL_NOTICE:
        return True
    match = _ABSL_LINE.match(line)
    return match is not None and "IWEF".index(match.group("severity")) < level


def _quiet_backend_logs(backend: str) -> None:
    # TensorFlow's oneDNN notice comes before it reads TF_CPP_MIN_LOG_LEVEL, so it is imported
    # here with what native code writes to fd 2 held back, then passed on less the noise.
    if backend != "tensorflow":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    value = os.environ["TF_CPP_MIN_LOG_LEVEL"].strip()
    level = int(value) if value.isdigit() else 0
    if "tensorflow" in sys.modules or level < 1:
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no usable fd 2: filter nothing
        import tensorflow  # noqa: F401
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        finally:
            with contextlib.suppress(OSError, AttributeError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            lines = held.read().decode("utf-8", errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not _is_tensorflow_noise(line, level))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def seed_everything(seed: int | None) -> None:
    """Seed Python's ``random``, NumPy and the Keras backend with one number.

    Parameters
    ----------
    seed : int or None
        The seed; ``None`` does nothing.
    """
    if seed is None:
        return
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    keras = import_keras()
    try:
        # keras.utils.set_random_seed, minus seeding (so importing) TensorFlow whenever it
        # is installed: ~10 s on a JAX or torch run.
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
    except ImportError:  # a Keras whose internals moved: use the public call
        keras.utils.set_random_seed(seed)
        return
    import numpy as np
    global_state.set_global_attribute("global_random_seed", seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    backend = keras.backend.backend()
    if backend == "tensorflow" or "tensorflow" in sys.modules:
        import tensorflow as tf
        tf.random.set_seed(seed)
    if backend == "torch":
        import torch
        torch.manual_seed(seed)


def device_report(backend: str | None = None) -> dict[str, Any]:
    """Describe the runtime: versions, backend and accelerators.

    Parameters
    ----------
    backend : str, optional
        Backend to report on; by default the one brainkit would use.

    Returns
    -------
    dict
        Versions (``brainkit``, ``python``, ``numpy``, ``keras``, ``backend_version``),
        ``platform``, ``backend``, ``installed_backends``, ``devices`` (``{"kind", "name"}``
        dicts) and ``accelerators`` (how many non-CPU devices).
    """
    keras = import_keras(backend)
    name = keras.backend.backend()
    if name == "jax":
        import jax
        kinds = [(d.platform.upper(), str(getattr(d, "device_kind", d))) for d in jax.devices()]
        version = jax.__version__
    elif name == "torch":
        import torch
        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        kinds = [("GPU", torch.cuda.get_device_name(i)) for i in range(gpus)]
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            kinds.append(("MPS", "Apple Metal"))
        kinds = kinds or [("CPU", platform.processor() or platform.machine())]
        version = torch.__version__
    else:
        import tensorflow as tf
        kinds = [(d.device_type, d.name) for d in tf.config.list_physical_devices()]
        version = tf.__version__
    devices = [{"kind": kind, "name": device} for kind, device in kinds]
    return {
        "brainkit": __version__, "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}", "numpy": _version("numpy"),
        "keras": keras.__version__, "backend": name, "backend_version": version,
        "installed_backends": available_backends(), "devices": devices,
        "accelerators": sum(1 for d in devices if d["kind"] != "CPU"),
    }


def format_device_report(report: dict[str, Any]) -> str:
    """Render :func:`device_report`'s dictionary (and ``datasets``, if added) as readable text."""
    accel = report["accelerators"]
    lines = [
        f"brainkit {report['brainkit']}  (Python {report['python']}, {report['platform']})",
        f"Keras {report['keras']} on {report['backend']} {report['backend_version']}",
        f"numpy {report['numpy']}",
        f"installed backends: {', '.join(report['installed_backends'])}",
        f"devices ({accel} accelerator{'s' if accel != 1 else ''}"
        f"{'; training runs on the CPU' if accel == 0 else ''}):",
        *(f"  - {d['kind']}: {d['name']}" for d in report["devices"]),
    ]
    if "datasets" in report:
        lines.append("data:")
        for s in report["datasets"]:
            where = s["location"] or ("built in" if s["state"] == "embedded" else "not found")
            lines.append(f"  - {s['name']}: {s['state']} ({where})")
    return "\n".join(lines)
