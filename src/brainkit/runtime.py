"""Choose the Keras backend, import Keras lazily, seed, and report devices.

Keras 3 reads its backend once, when it is first imported, so brainkit must
decide before that moment. The order is:

1. an explicit choice: :func:`use_backend` or ``brainkit --backend NAME``;
2. the ``KERAS_BACKEND`` environment variable;
3. the first installed of ``jax``, ``torch``, ``tensorflow`` (JAX is the
   fastest and smallest on a CPU, so it comes first).

Nothing in this module imports Keras or a backend at import time.
``import brainkit`` calls :func:`set_environment_defaults`, which writes that
choice into ``KERAS_BACKEND`` when it is unset and Keras is not imported yet,
so that a plain ``import keras`` afterwards agrees with brainkit.

Examples
--------
>>> from brainkit import runtime
>>> runtime.use_backend("jax")          # doctest: +SKIP
>>> keras = runtime.import_keras()      # doctest: +SKIP
>>> keras.backend.backend()             # doctest: +SKIP
'jax'
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import platform
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from brainkit._atomic import writable_dir
from brainkit._version import __version__
from brainkit.errors import BrainkitError

__all__ = [
    "BACKENDS",
    "BackendError",
    "available_backends",
    "cache_root",
    "current_backend",
    "device_report",
    "enable_compile_cache",
    "format_device_report",
    "import_keras",
    "resolve_backend",
    "seed_everything",
    "set_environment_defaults",
    "tensorflow_unprobed",
    "use_backend",
]

#: Backends brainkit supports, in order of preference.
BACKENDS: tuple[str, ...] = ("jax", "torch", "tensorflow")

# Distributions that provide each backend's importable module.
_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "jax": ("jax",),
    "torch": ("torch",),
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


def _distribution_installed(backend: str) -> bool:
    return any(_version(dist) is not None for dist in _DISTRIBUTIONS[backend])


def shadowing_folder(module: str, cwd: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the folder in ``cwd`` that would shadow the real ``module``, if any.

    Python puts the current directory first on ``sys.path`` for ``python -c``,
    the REPL and notebooks, so a folder named ``jax`` there is imported instead
    of the real JAX and Keras then fails with an obscure error such as
    ``module 'jax' has no attribute 'monitoring'``.
    """
    here = Path(cwd) if cwd is not None else Path.cwd()
    candidate = here / module
    if not (candidate.is_dir() or (here / f"{module}.py").is_file()):
        return None
    on_path = any(
        Path(entry or ".").resolve() == here.resolve()
        for entry in sys.path
        if isinstance(entry, str)
    )
    if not on_path:
        return None
    spec = importlib.util.find_spec(module) if module not in sys.modules else None
    origin = None
    if module in sys.modules:
        origin = getattr(sys.modules[module], "__file__", None)
        locations = list(getattr(sys.modules[module], "__path__", []) or [])
    elif spec is not None:
        origin = spec.origin
        locations = list(spec.submodule_search_locations or [])
    else:
        return None
    paths = [p for p in [origin, *locations] if p]
    for p in paths:
        try:
            resolved = Path(p).resolve()
        except OSError:
            continue
        if resolved == candidate.resolve() or candidate.resolve() in resolved.parents:
            return candidate if candidate.is_dir() else here / f"{module}.py"
    return None


def _check_shadowing(names: tuple[str, ...]) -> None:
    for module in names:
        folder = shadowing_folder(module)
        if folder is not None:
            raise BackendError(
                f"The {'folder' if folder.is_dir() else 'file'} {str(folder)!r} in the current "
                f"directory shadows the real {module!r} package, so Keras would import it "
                f"instead and fail. Rename it (for example to '{module}_notes') or run brainkit "
                "from another directory."
            )


def available_backends() -> list[str]:
    """Return the supported backends that are installed, in order of preference."""
    return [name for name in BACKENDS if _distribution_installed(name)]


def _keras_loaded_backend() -> str | None:
    keras = sys.modules.get("keras")
    if keras is None:
        return None
    try:
        return str(keras.backend.backend())
    except Exception:  # pragma: no cover - half-imported keras
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
        If the backend asked for is unknown or not installed, or none is installed.
    """
    loaded = _keras_loaded_backend()
    if explicit is not None:
        name, why = _normalise(explicit), "asked for"
    elif _explicit_backend is not None:
        name, why = _explicit_backend, "chosen with use_backend()"
    elif os.environ.get("KERAS_BACKEND"):
        name, why = _normalise(os.environ["KERAS_BACKEND"]), "set by KERAS_BACKEND"
    elif loaded is not None:
        return loaded
    else:
        installed = available_backends()
        if not installed:
            raise BackendError(
                "No Keras backend is installed. Install one, for example: "
                f"{install_hint('jax')} (recommended on a CPU), {install_hint('torch')} "
                f"or {install_hint('tensorflow')}."
            )
        return installed[0]
    if not _distribution_installed(name):
        others = [b for b in available_backends() if b != name]
        alt = f" Installed instead: {', '.join(others)}." if others else ""
        raise BackendError(
            f"The Keras backend {name!r} ({why}) is not installed. Install it with: "
            f"{install_hint(name)}.{alt}"
        )
    return name


def use_backend(name: str) -> str:
    """Choose the Keras backend for this process.

    Must be called before Keras is first imported (by brainkit or by you).

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
        If the backend is unknown or not installed, or Keras was already
        imported with another backend.
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
        _check_shadowing((name, "keras"))
        os.environ["KERAS_BACKEND"] = name
        _quiet_backend_logs(name)
    import keras

    if loaded is None and name == "jax":
        enable_compile_cache()
    return keras


#: Set to ``0`` to compile everything afresh in every process (JAX backend).
COMPILE_CACHE_ENV = "BRAINKIT_COMPILE_CACHE"


def cache_root() -> Path:
    """Return brainkit's data cache folder (it may not exist yet).

    ``$BRAINKIT_DATA`` wins; otherwise the platform's per-user cache folder:
    ``$XDG_CACHE_HOME/brainkit`` (default ``~/.cache/brainkit``) on Linux,
    ``~/Library/Caches/brainkit`` on macOS, ``%LOCALAPPDATA%\\brainkit\\Cache`` on Windows.
    """
    env = os.environ.get("BRAINKIT_DATA")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "brainkit"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "brainkit" / "Cache"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else home / ".cache") / "brainkit"


def enable_compile_cache() -> str | None:
    """Keep JAX's compiled programs on disk so that the next run skips compiling.

    :func:`import_keras` calls this on the JAX backend. It uses
    ``<brainkit cache>/compiled/jax`` (see :func:`cache_root`)
    unless a JAX compilation cache folder is configured already, and keeps
    every program, however quick to compile: a model's eager initializers
    compile a dozen small programs (~0.05 s each, ~0.8 s in all for the MLP),
    which the cache turns into ~0.1 s. ``BRAINKIT_COMPILE_CACHE=0`` turns it
    off. It holds programs only, never data or weights, and may be deleted
    at any time.

    The cache is skipped (quietly: it only saves time) when its folder cannot
    be written. JAX writes entries in place, so a process killed mid-write
    leaves a truncated entry, which JAX would warn about on every later run;
    in brainkit's folder an entry that cannot be read is removed instead (and
    compiled and stored again), with a single line saying so.

    Returns
    -------
    str or None
        The folder in use, or None when the cache is off or cannot be used.
    """
    if os.environ.get(COMPILE_CACHE_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    import logging

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
    for option, value in (
        ("jax_persistent_cache_min_compile_time_secs", 0.0),
        ("jax_persistent_cache_min_entry_size_bytes", 0),
    ):
        try:
            jax.config.update(option, value)
        except (AttributeError, KeyError, ValueError):  # an older JAX: keep its default
            pass

    try:  # JAX's reader, which warns (every run) about an entry it cannot read
        from jax._src import compilation_cache as jax_cache
    except ImportError:  # pragma: no cover - another JAX layout: keep its warnings
        return str(folder)
    original = getattr(jax_cache, "get_executable_and_time", None)
    if original is None or getattr(original, "_brainkit_folder", None) is not None:
        if original is not None:
            original._brainkit_folder = folder  # type: ignore[attr-defined]
        return str(folder)
    log = logging.getLogger("brainkit.runtime")
    told: list[bool] = []

    def read_or_drop(cache_key: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(cache_key, *args, **kwargs)
        except Exception as exc:
            ours = (
                Path(str(jax.config.jax_compilation_cache_dir or ""))
                == read_or_drop._brainkit_folder
            )
            strict = getattr(jax.config, "jax_raise_persistent_cache_errors", False)
            verification = getattr(jax_cache, "CacheVerificationError", ())
            if not ours or strict or (verification and isinstance(exc, verification)):
                raise
            for suffix in ("-cache", "-atime"):
                with contextlib.suppress(OSError):
                    (read_or_drop._brainkit_folder / f"{cache_key}{suffix}").unlink()
            if not told:
                told.append(True)
                log.warning(
                    "brainkit: removing unreadable entries from the compile cache %s (%s: %s); "
                    "they are compiled again. Such entries are left by a run killed while saving.",
                    read_or_drop._brainkit_folder,
                    type(exc).__name__,
                    str(exc)[:80],
                )
            return None, None

    read_or_drop._brainkit_folder = folder  # type: ignore[attr-defined]
    jax_cache.get_executable_and_time = read_or_drop
    return str(folder)


@contextlib.contextmanager
def tensorflow_unprobed() -> Iterator[None]:
    """Stop Keras from importing TensorFlow just to look at it (JAX and torch backends).

    Keras's model serialization asks ``isinstance(obj, tf.TensorShape)`` (and
    the like) whenever TensorFlow is *installed*, which imports it: ~1.5 s and
    ~300 MB in a process that trains on JAX or torch, just to save a model.
    No object can be a TensorFlow type while TensorFlow is not imported, so
    inside this context, on another backend and with TensorFlow not yet
    imported, Keras is told TensorFlow is unavailable; everything else is as
    before. On the TensorFlow backend, or once TensorFlow is imported, it
    does nothing.
    """
    lazy = None
    if "tensorflow" not in sys.modules and _keras_loaded_backend() not in (None, "tensorflow"):
        try:
            from keras.src.utils import module_utils

            lazy = module_utils.tensorflow
        except (ImportError, AttributeError):  # another Keras layout: nothing to do
            lazy = None
    if lazy is None or getattr(lazy, "_available", True) is not None:
        yield
        return
    lazy._available = False
    try:
        yield
    finally:
        lazy._available = None


# What TensorFlow's C++ code writes to stderr before its logging is set up, so that
# TF_CPP_MIN_LOG_LEVEL cannot hide it: absl's notice and INFO lines such as
# "port.cc:153] oneDNN custom operations are on ...", printed twice per import.
_ABSL_NOTICE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
)
_ABSL_LINE = re.compile(r"^(?P<severity>[IWEF])\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\] ")


def set_environment_defaults() -> None:
    """Prepare the environment at ``import brainkit``, before anything imports Keras.

    * ``KERAS_BACKEND``: when it is unset and Keras is not imported yet, it is set to
      :func:`resolve_backend`'s choice (the first installed of JAX, PyTorch and
      TensorFlow), so that a plain ``import keras`` after ``import brainkit`` uses the
      backend brainkit would use instead of Keras's own default, TensorFlow, which
      may not be installed. Nothing is imported; an explicit ``KERAS_BACKEND`` or
      :func:`use_backend` wins as before.
    * ``TF_CPP_MIN_LOG_LEVEL``: defaults to ``2`` (warnings and errors are hidden
      from TensorFlow's C++ code; errors raised in Python are not affected) unless
      TensorFlow is imported already. Set it to ``0`` yourself to see every line.
    """
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if os.environ.get("KERAS_BACKEND") or "keras" in sys.modules:
        return
    try:
        os.environ["KERAS_BACKEND"] = resolve_backend()
    except BackendError:  # no backend installed: brainkit says so when Keras is needed
        pass


def _tensorflow_log_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL") or 0)
    except ValueError:
        return 0


def _is_tensorflow_noise(line: str, level: int) -> bool:
    if level < 1:
        return False
    if line.strip() == _ABSL_NOTICE:
        return True
    match = _ABSL_LINE.match(line)
    return match is not None and "IWEF".index(match.group("severity")) < level


@contextlib.contextmanager
def _filtered_native_stderr(level: int) -> Iterator[None]:
    """Hold back what native code writes to file descriptor 2, then pass on all but noise.

    Lines below ``level`` in absl's format (and absl's notice) are dropped; everything
    else, Python's warnings included, is written to ``sys.stderr`` afterwards.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no usable fd 2: filter nothing
        yield
        return
    import tempfile

    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(OSError, AttributeError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read().decode("utf-8", errors="replace")
            kept = [
                line
                for line in text.splitlines(keepends=True)
                if not _is_tensorflow_noise(line, level)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def _quiet_backend_logs(backend: str) -> None:
    # TensorFlow prints C++ log lines on import; learners need none of them. The level
    # hides most; the oneDNN notice comes before TensorFlow reads it, so TensorFlow is
    # imported here with its stderr filtered to the same level (TF_CPP_MIN_LOG_LEVEL=0
    # shows everything).
    if backend != "tensorflow":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    level = _tensorflow_log_level()
    if "tensorflow" in sys.modules or level < 1:
        return
    with _filtered_native_stderr(level):
        import tensorflow  # noqa: F401


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
        # What keras.utils.set_random_seed does, minus importing TensorFlow on other backends
        # (Keras seeds TensorFlow whenever it is installed: ~10 s on a JAX or torch run).
        from keras.src.backend.common import global_state
        from keras.src.random import seed_generator
    except ImportError:  # a Keras whose internals moved: use the public call
        keras.utils.set_random_seed(seed)
        return
    import random

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


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _backend_devices(backend: str) -> tuple[str | None, list[dict[str, str]]]:
    """Return the backend library's version and the devices it sees."""
    devices: list[dict[str, str]] = []
    if backend == "jax":
        import jax

        for d in jax.devices():
            devices.append({"kind": d.platform.upper(), "name": str(getattr(d, "device_kind", d))})
        return jax.__version__, devices
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                devices.append({"kind": "GPU", "name": torch.cuda.get_device_name(i)})
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            devices.append({"kind": "MPS", "name": "Apple Metal"})
        if not devices:
            devices.append({"kind": "CPU", "name": platform.processor() or platform.machine()})
        return torch.__version__, devices
    import tensorflow as tf

    for d in tf.config.list_physical_devices():
        devices.append({"kind": d.device_type, "name": d.name})
    return tf.__version__, devices


def device_report(backend: str | None = None) -> dict[str, Any]:
    """Describe the runtime: versions, backend and accelerators.

    Parameters
    ----------
    backend : str, optional
        Backend to report on; by default the one brainkit would use.

    Returns
    -------
    dict
        Keys ``brainkit``, ``python``, ``platform``, ``numpy``, ``keras``,
        ``backend``, ``backend_version``, ``installed_backends``,
        ``devices`` (a list of ``{"kind", "name"}``), ``accelerators``
        (how many non-CPU devices). ``brainkit info`` adds ``datasets``
        (:func:`brainkit.datasets.dataset_status`), which
        :func:`format_device_report` shows too.
    """
    keras = import_keras(backend)
    name = keras.backend.backend()
    backend_version, devices = _backend_devices(name)
    report: dict[str, Any] = {
        "brainkit": __version__,
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "numpy": _version("numpy"),
        "keras": keras.__version__,
        "backend": name,
        "backend_version": backend_version,
        "installed_backends": available_backends(),
        "devices": devices,
        "accelerators": sum(1 for d in devices if d["kind"] != "CPU"),
    }
    return report


def format_device_report(report: dict[str, Any]) -> str:
    """Render :func:`device_report`'s dictionary as readable text."""
    lines = [
        f"brainkit {report['brainkit']}  (Python {report['python']}, {report['platform']})",
        f"Keras {report['keras']} on {report['backend']} {report['backend_version']}",
        f"numpy {report['numpy']}",
        f"installed backends: {', '.join(report['installed_backends'])}",
    ]
    accel = report["accelerators"]
    lines.append(
        f"devices ({accel} accelerator{'s' if accel != 1 else ''}"
        f"{'; training runs on the CPU' if accel == 0 else ''}):"
    )
    for d in report["devices"]:
        lines.append(f"  - {d['kind']}: {d['name']}")
    if "datasets" in report:
        lines.append("data:")
        for s in report["datasets"]:
            where = s["location"] or ("built in" if s["state"] == "embedded" else "not found")
            lines.append(f"  - {s['name']}: {s['state']} ({where})")
    return "\n".join(lines)
