"""Architectures: entry points in the group ``brainkit.architectures``; see docs/plugins.rst."""

from __future__ import annotations

import difflib
import fnmatch
import functools
import importlib.metadata
import logging
import os
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from brainkit._version import __version__
from brainkit.architectures._spec import (
    API_VERSION,
    OLDEST_API_VERSION,
    Architecture,
    ArchitectureError,
    HyperparameterError,
    Recipe,
    UnknownArchitectureError,
    api_version_problem,
    architecture,
    check_input_shape,
)

__all__ = [
    "API_VERSION", "BUILTINS", "DISABLE_ENV", "GROUP", "OLDEST_API_VERSION", "Architecture",
    "ArchitectureError", "EntryInfo", "HyperparameterError", "Recipe", "UnknownArchitectureError",
    "api_version_problem", "architecture", "build", "check_input_shape", "discover", "get",
    "list_architectures", "plugin_call", "plugin_failure", "record_failure", "refresh", "resolve"]

#: The entry-point group plugins register their architectures in.
GROUP = "brainkit.architectures"
#: Comma-separated ``name``, ``distribution:name``, ``distribution:*`` (globs) to turn off.
DISABLE_ENV = "BRAINKIT_DISABLE_ARCHITECTURES"
#: brainkit's own entry points, as in ``pyproject.toml`` (a test keeps them equal).
BUILTINS = {n: f"brainkit.architectures.{n}:{n}" for n in ("linear", "mlp", "shallow", "cnn")}
logger = logging.getLogger(__name__)


def _normalise(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution.strip()).lower()  # PEP 503


@dataclass(frozen=True)
class EntryInfo:
    """One architecture entry point, as discovered (its code is not imported).

    Attributes
    ----------
    name, distribution, version, value : str
        The name, the providing distribution (normalised) and its version, ``"module:attr"``.
    location : str or None
        Where the distribution is installed; ``None`` for brainkit's built-in table.
    disabled : bool
        Turned off by ``BRAINKIT_DISABLE_ARCHITECTURES``.
    collision : tuple of str
        Other distributions that provide an architecture of this name.
    """

    name: str
    distribution: str
    version: str
    value: str
    location: str | None = None
    disabled: bool = False
    collision: tuple[str, ...] = ()

    @property
    def builtin(self) -> bool:
        """Provided by brainkit itself: the plain name always means this one."""
        return self.distribution == "brainkit"

    @property
    def key(self) -> str:
        """The unambiguous ``"distribution:name"``."""
        return f"{self.distribution}:{self.name}"

    @property
    def lookup_name(self) -> str:
        """The name :func:`get` takes: the plain name, or :attr:`key` when another one owns it."""
        return self.key if self.collision and not self.builtin else self.name

    @property
    def source(self) -> str:
        """``"distribution version"``."""
        return f"{self.distribution} {self.version}".strip()


_loaded: dict[tuple[Any, ...], Architecture | ArchitectureError] = {}
_warned: set[str] = set()  # collisions told once a process, not once a sys.path


def refresh() -> None:
    """Forget what was discovered and loaded (after installing a plugin in a running process)."""
    importlib.invalidate_caches()
    _discover.cache_clear()
    _loaded.clear()
    _warned.clear()


def discover() -> tuple[EntryInfo, ...]:
    """Return every architecture entry point, sorted by name, without importing any plugin."""
    path = tuple(p for p in sys.path if isinstance(p, str))
    return _discover(path, os.environ.get(DISABLE_ENV, ""))


@functools.cache
def _discover(sys_path: tuple[str, ...], disable: str) -> tuple[EntryInfo, ...]:
    """:func:`discover` for one ``sys.path`` and ``BRAINKIT_DISABLE_ARCHITECTURES``, cached."""
    found: dict[str, list[EntryInfo]] = {}
    for dist in importlib.metadata.distributions():
        try:
            name = _normalise(dist.metadata["Name"] or "")
            points = [ep for ep in dist.entry_points if ep.group == GROUP]
            location = str(dist.locate_file(""))
        except Exception as exc:  # unreadable metadata: not ours to judge, but say so
            where = getattr(dist, "_path", dist)
            logger.warning("Cannot read the metadata of the distribution at %s: %s", where, exc)
            continue
        if name and name not in found:  # the same one twice on sys.path: the first wins
            version = dist.version or ""
            found[name] = [EntryInfo(e.name, name, version, e.value, location) for e in points]
    if not found.get("brainkit"):  # no installed metadata: a source tree
        found["brainkit"] = [EntryInfo(n, "brainkit", __version__, v) for n, v in BUILTINS.items()]
    parts = (p.strip().rpartition(":") for p in disable.split(","))
    patterns = [f"{_normalise(d) or '*'}:{n or '*'}" for d, _, n in parts if d or n]
    infos = [replace(i, disabled=any(fnmatch.fnmatchcase(i.key, p) for p in patterns))
             for group in found.values() for i in group]
    for k, info in enumerate(infos):
        others = [o for o in infos if o.name == info.name and o is not info and not o.disabled]
        if others and not info.disabled:
            infos[k] = replace(info, collision=tuple(o.distribution for o in others))
            if not info.builtin and info.key not in _warned:
                _warned.add(info.key)
                use = (f"{info.name!r} means the built-in, use {info.key!r} for this one"
                       if any(o.builtin for o in others) else f"refer to it as {info.key!r}")
                logger.warning("Architecture %r of %s is also provided by %s; %s.", info.name,
                               info.source, ", ".join(o.source for o in others), use)
    return tuple(sorted(infos, key=lambda i: (i.name, not i.builtin, i.distribution)))


def list_architectures(pattern: str | None = None, *, include_disabled: bool = False) -> list[str]:
    """Return the names :func:`get` accepts, sorted, without importing any plugin.

    Parameters
    ----------
    pattern : str, optional
        A glob such as ``"m*"``, matched against the name.
    include_disabled : bool
        Also list the architectures that are turned off.
    """
    names = {i.lookup_name for i in discover() if include_disabled or not i.disabled}
    return sorted(n for n in names if pattern is None
                  or any(fnmatch.fnmatchcase(m, pattern) for m in (n, n.split(":")[-1])))


def resolve(name: str) -> EntryInfo:
    """Return the usable entry point ``name`` (or ``"distribution:name"``) means; imports nothing.

    Raises :class:`UnknownArchitectureError`, naming the fix, for an unknown, off or ambiguous name.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnknownArchitectureError(f"An architecture name must be a non-empty string, got "
                                       f"{name!r}.")
    infos = discover()
    dist, _, plain = name.strip().rpartition(":")
    found = [i for i in infos if i.name == plain and _normalise(dist) in ("", i.distribution)]
    usable = [i for i in found if not i.disabled]
    if not found:
        pool = {n.lower(): n for n in (i.key if dist else i.name for i in infos if not i.disabled)}
        close = difflib.get_close_matches(name.lower(), list(pool), n=1, cutoff=0.5)
        hint = f" Did you mean {pool[close[0]]!r}?" if close else ""
        raise UnknownArchitectureError(f"Unknown architecture {name!r}.{hint} Available: "
                                       f"{', '.join(list_architectures())}. `brainkit archs` "
                                       "shows where each comes from.")
    if not usable:
        setting = f"{DISABLE_ENV}={os.environ.get(DISABLE_ENV, '')!r}"
        raise UnknownArchitectureError(f"Architecture {name!r} from {found[0].source} is turned "
                                       f"off ({setting}); remove it from there to use it.")
    if len(usable) > 1 and not usable[0].builtin:  # discover() sorts a built-in first
        raise UnknownArchitectureError(
            f"Architecture name {name!r} is provided by several distributions: "
            f"{', '.join(i.source for i in usable)}. Pick one with "
            f"{' or '.join(repr(i.key) for i in usable)}, or turn the others off with "
            f"{DISABLE_ENV}=<distribution>:{name}.")
    return usable[0]


@contextmanager
def plugin_call() -> Iterator[SimpleNamespace]:
    """Run plugin code so that a real Ctrl-C can be told from a plugin's own ``KeyboardInterrupt``.

    SIGINT also sets ``.real`` on the yielded object; :func:`plugin_failure` re-raises only that.
    """
    state = SimpleNamespace(real=False)

    def on_sigint(signum: int, frame: Any) -> None:
        state.real = True
        raise KeyboardInterrupt

    previous = None
    with suppress(ValueError, OSError):  # not the main thread or interpreter, or no signals here
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield state
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def plugin_failure(exc: BaseException, state: SimpleNamespace) -> str:
    """Re-raise a real Ctrl-C; describe anything else plugin code raised, ``sys.exit()`` too."""
    if isinstance(exc, KeyboardInterrupt):
        if state.real:
            raise exc
        return "raised KeyboardInterrupt by itself (no Ctrl-C was pressed)"
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r}) (SystemExit)"
    return str(exc) if isinstance(exc, ArchitectureError) else f"{type(exc).__name__}: {exc}"


def record_failure(info: EntryInfo, what: str) -> ArchitectureError:
    """Record that ``info``'s plugin cannot be used (``what``: why, and the fix); return that."""
    error = ArchitectureError(f"Architecture plugin {info.name!r} from distribution {info.source} "
                              f"({info.value}) {what} The other architectures still work; to hide "
                              f"this one: {DISABLE_ENV}={info.key}.")
    _loaded[info.key, info.value, info.location] = error
    logger.warning("%s", error)
    return error


def get(name: str | EntryInfo) -> Architecture:
    """Return the architecture called ``name``, importing only its plugin.

    Raises :class:`UnknownArchitectureError` for an unknown (the message suggests the closest),
    ambiguous or turned-off name, :class:`ArchitectureError` if its plugin fails to load or
    needs a plugin API version this brainkit does not support.

    Parameters
    ----------
    name : str or EntryInfo
        ``"mlp"``, or ``"distribution:name"`` to choose among distributions.
    """
    info = name if isinstance(name, EntryInfo) else resolve(name)
    key = (info.key, info.value, info.location)  # as record_failure() stores it
    cached = _loaded.get(key)
    if isinstance(cached, ArchitectureError):
        raise cached
    if cached is not None:
        return cached
    try:
        with plugin_call() as state:
            obj = importlib.metadata.EntryPoint(info.name, info.value, GROUP).load()
    except BaseException as exc:  # SystemExit and a plugin's own KeyboardInterrupt too
        why = f"failed to load: {plugin_failure(exc, state)}. Fix or reinstall {info.distribution}."
        raise record_failure(info, why) from exc
    if not callable(obj):  # an Architecture is callable too
        raise record_failure(info, f"is a {type(obj).__name__}, not a builder function or an "
                             "Architecture (use @brainkit.architectures.architecture).")
    arch = architecture(obj)
    if problem := api_version_problem(arch.api_version):
        raise record_failure(info, f"was not loaded: it {problem}")
    arch = replace(arch, name=info.name, distribution=info.distribution, version=info.version)
    _loaded[key] = arch
    return arch


def build(name: str, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
    """Build ``name`` as an uncompiled, checked ``keras.Model``; see :meth:`Architecture.build`."""
    return get(name).build(input_shape, num_classes, **hyperparameters)
