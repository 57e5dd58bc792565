"""Choose the Keras backend, import Keras lazily, seed, and report devices."""

from __future__ import annotations

import _thread
import contextlib
import importlib.metadata
import importlib.util
import logging
import os
import platform
import random
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from brainkit._atomic import writable_dir
from brainkit._version import __version__
from brainkit.errors import BrainkitError

__all__ = [
    "BACKENDS", "BackendError", "available_backends", "cache_root", "ctrl_c_kept",
    "current_backend", "device_report", "enable_compile_cache", "format_device_report",
    "import_keras", "resolve_backend", "seed_everything", "set_environment_defaults",
    "tensorflow_unprobed", "use_backend",
]

#: Backends brainkit supports, in order of preference.
BACKENDS: tuple[str, ...] = ("jax", "torch", "tensorflow")
_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "jax": ("jax",), "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
}
_ALIASES = {"pytorch": "torch", "tf": "tensorflow"}
_explicit_backend: str | None = None


class BackendError(BrainkitError, RuntimeError):
    """A Keras backend was asked for that cannot be used, with the fix in the message."""


def _normalise(name: str) -> str:
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in BACKENDS:
        raise BackendError(f"Unknown Keras backend {name!r}. Choose one of: {', '.join(BACKENDS)}.")
    return key


def _distribution_installed(backend: str) -> bool:
    for dist in _DISTRIBUTIONS[backend]:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            return bool(importlib.metadata.version(dist))
    return False


def shadowing_folder(module: str, cwd: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the folder or file in ``cwd`` that Python would import instead of ``module``."""
    here = Path(cwd) if cwd is not None else Path.cwd()
    try:
        spec = importlib.util.find_spec(module)  # a loaded module's own spec
    except (ImportError, ValueError):  # ValueError: loaded without a spec
        return None
    paths = (spec.origin, *(spec.submodule_search_locations or [])) if spec else ()
    found = [Path(p).resolve() for p in paths if p]
    for shadow in (here / module, here / f"{module}.py"):
        inside = shadow.resolve()
        if any(p == inside or inside in p.parents for p in found):
            return shadow
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
    """Return the backend to use, one of :data:`BACKENDS`, without importing it.

    ``explicit`` wins, then :func:`use_backend`'s, ``KERAS_BACKEND``, a loaded Keras's, the first
    installed. Raises :class:`BackendError` if that is unknown or not installed, or none is.

    Parameters
    ----------
    explicit : str, optional
        A backend asked for by name; it wins over everything else.
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
            'No Keras backend is installed. Install one, for example: pip install "brainkit[jax]" '
            '(recommended on a CPU), pip install "brainkit[torch]" or '
            'pip install "brainkit[tensorflow]".'
        )
    if not _distribution_installed(name):
        others = [b for b in available_backends() if b != name]
        alt = f" Installed instead: {', '.join(others)}." if others else ""
        raise BackendError(
            f"The Keras backend {name!r} ({why}) is not installed. Install it with: "
            f'pip install "brainkit[{name}]".{alt}'
        )
    return name


def use_backend(name: str) -> str:
    """Choose the Keras backend for this process, before Keras is imported; return its name.

    Raises :class:`BackendError` if it is unknown or not installed, or Keras runs on another.

    Parameters
    ----------
    name : {"jax", "torch", "tensorflow"}
        The backend; ``"pytorch"`` and ``"tf"`` are accepted aliases.
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
    """Import and return the ``keras`` module, configured for the chosen backend.

    Parameters
    ----------
    backend : str, optional
        Backend to use; defaults to :func:`resolve_backend`'s choice.
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
        if name == "tensorflow":
            _import_tensorflow_quietly()
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
    """Keep JAX's compiled programs on disk; return the folder, or None if off or unusable.

    :func:`import_keras` calls this on JAX. Unless JAX has a cache folder already, it uses
    ``<cache_root()>/compiled/jax`` (safe to delete); ``BRAINKIT_COMPILE_CACHE=0`` turns it off.
    """
    global _compile_folder
    if os.environ.get(COMPILE_CACHE_ENV, "").strip().lower() in ("0", "false", "no", "off"):
        return None
    import jax
    if current := jax.config.jax_compilation_cache_dir:
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
    if hasattr(original, "_brainkit_told"):  # wrapped already (the cache folder was reset)
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
    """Keep Keras from importing an unused TensorFlow to look at it (as saving a model does)."""
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


@contextlib.contextmanager
def ctrl_c_kept() -> Iterator[None]:
    """Deliver again a Ctrl-C that Python dropped because it landed in a garbage-collector callback.

    JAX runs one on every collection; there a ``KeyboardInterrupt`` is only printed ("Exception
    ignored in ...") and training goes on. In this block it is raised in the code that runs next.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):  # again once the callback is over
            threading.Timer(0.01, _thread.interrupt_main, (signal.SIGINT,)).start()
        else:
            previous(unraisable)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


# What TensorFlow's C++ code writes to stderr before TF_CPP_MIN_LOG_LEVEL is read: absl's
# notice, and INFO lines such as "port.cc:153] oneDNN custom operations are on ...".
_ABSL_NOTICE = "WARNING: All log messages before absl::InitializeLog() is called"
_ABSL_LINE = re.compile(r"^(?P<severity>[IWEF])\d{4} \d\d:\d\d:[\d.]+\s+\d+ \S+:\d+\] ")


def set_environment_defaults() -> None:
    """Default ``KERAS_BACKEND`` (:func:`resolve_backend`) and ``TF_CPP_MIN_LOG_LEVEL`` (2)."""
    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not (os.environ.get("KERAS_BACKEND") or "keras" in sys.modules):
        with contextlib.suppress(BackendError):  # none installed: said when Keras is needed
            os.environ["KERAS_BACKEND"] = resolve_backend()


def _is_tensorflow_noise(line: str, level: int) -> bool:
    if line.startswith(_ABSL_NOTICE):
        return level >= 1
    match = _ABSL_LINE.match(line)
    return match is not None and "IWEF".index(match.group("severity")) < level


def _import_tensorflow_quietly() -> None:
    # TensorFlow's oneDNN notice comes before it reads TF_CPP_MIN_LOG_LEVEL, so it is imported
    # here with what native code writes to fd 2 held back, then passed on less the noise.
    value = os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2").strip()
    level = int(value) if value.isdigit() else 0
    if "tensorflow" in sys.modules or level < 1:
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no usable fd 2: filter nothing
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
            sys.stderr.write("".join(ln for ln in lines if not _is_tensorflow_noise(ln, level)))
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
    if "tensorflow" in sys.modules:  # on the TensorFlow backend, or imported anyway
        sys.modules["tensorflow"].random.set_seed(seed)
    if keras.backend.backend() == "torch":
        sys.modules["torch"].manual_seed(seed)


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
    elif name == "torch":
        import torch
        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        kinds = [("GPU", torch.cuda.get_device_name(i)) for i in range(gpus)]
        if torch.backends.mps.is_available():
            kinds.append(("MPS", "Apple Metal"))
        kinds = kinds or [("CPU", platform.processor() or platform.machine())]
    else:
        import tensorflow as tf
        kinds = [(d.device_type, d.name) for d in tf.config.list_physical_devices()]
    devices = [{"kind": kind, "name": device} for kind, device in kinds]
    return {
        "brainkit": __version__, "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}",
        "numpy": importlib.metadata.version("numpy"), "keras": keras.__version__,
        "backend": name, "backend_version": sys.modules[name].__version__,
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
