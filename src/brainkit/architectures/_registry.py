"""Find architectures through entry points, load them one at a time, and resolve names.

Discovery reads installed metadata only; :func:`get` imports one plugin when it
is first asked for. A plugin that fails is recorded and reported with its
distribution, and the others keep working.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import importlib.metadata
import logging
import os
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from brainkit._version import __version__
from brainkit.architectures._spec import (
    Architecture,
    ArchitectureError,
    UnknownArchitectureError,
    api_version_problem,
    architecture,
)

#: The entry-point group plugins register their architectures in.
GROUP = "brainkit.architectures"
#: Comma-separated ``name``, ``distribution:name`` or ``distribution:*`` (globs allowed) to turn off.
DISABLE_ENV = "BRAINKIT_DISABLE_ARCHITECTURES"
#: brainkit's own architectures: the entry points of its ``pyproject.toml`` (a test keeps the
#: two equal). Read from the installed metadata; this table serves when there is none
#: (brainkit run from a source tree).
BUILTINS = {
    name: f"brainkit.architectures.{name}:{name}" for name in ("linear", "mlp", "shallow", "cnn")
}

logger = logging.getLogger("brainkit.architectures")


def _normalise(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution.strip()).lower()  # PEP 503


@dataclass(frozen=True)
class EntryInfo:
    """One architecture entry point, as discovered (its code is not imported).

    Attributes
    ----------
    name : str
        The architecture's name (the entry point's).
    distribution, version : str
        The providing distribution's normalised name (``"brainkit-lenet"``) and version.
    value : str
        The entry point's target, ``"module:attribute"``.
    location : str or None
        Where the distribution is installed; ``None`` for brainkit's built-in table.
    disabled : bool
        Turned off by ``BRAINKIT_DISABLE_ARCHITECTURES``.
    collision : tuple of str
        The other (enabled) distributions that provide the same name.
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


_scans: dict[tuple[str, ...], tuple[EntryInfo, ...]] = {}
_loaded: dict[tuple[Any, ...], Architecture | ArchitectureError] = {}
_warned: set[str] = set()


def refresh() -> None:
    """Forget what was discovered and loaded; call it after installing a plugin in a running process."""
    importlib.invalidate_caches()
    _scans.clear()
    _loaded.clear()
    _warned.clear()


def _scan() -> tuple[EntryInfo, ...]:
    path = tuple(p for p in sys.path if isinstance(p, str))
    if path in _scans:
        return _scans[path]
    seen: set[str] = set()
    found: list[EntryInfo] = []
    for dist in importlib.metadata.distributions():
        try:
            name = _normalise(dist.metadata["Name"] or "")
            points = [ep for ep in dist.entry_points if ep.group == GROUP]
            location = str(dist.locate_file(""))
        except Exception as exc:  # unreadable metadata: not ours to judge, but say so
            where = getattr(dist, "_path", dist)
            logger.warning("Cannot read the metadata of the distribution at %s: %s", where, exc)
            continue
        if name and name not in seen:  # the same one twice on sys.path: the first wins
            seen.add(name)
            found += [
                EntryInfo(ep.name, name, dist.version or "", ep.value, location) for ep in points
            ]
    if not any(info.builtin for info in found):  # no installed metadata: a source tree
        found += [
            EntryInfo(name, "brainkit", __version__, value) for name, value in BUILTINS.items()
        ]
    _scans[path] = tuple(found)
    return _scans[path]


def _is_disabled(info: EntryInfo, patterns: list[str]) -> bool:
    for pattern in patterns:
        dist, _, name = pattern.rpartition(":")
        if fnmatch.fnmatchcase(info.name, name or "*") and (
            not dist or fnmatch.fnmatchcase(info.distribution, _normalise(dist))
        ):
            return True
    return False


def discover() -> tuple[EntryInfo, ...]:
    """Return every architecture entry point, sorted by name, without importing any plugin.

    A name several distributions provide is an explicit collision: each entry
    lists the others in :attr:`EntryInfo.collision`, and a warning is logged
    once. The built-in keeps its plain name; otherwise the plain name is
    ambiguous and each is reached as ``"distribution:name"``.
    """
    patterns = [p.strip() for p in os.environ.get(DISABLE_ENV, "").split(",") if p.strip()]
    infos = [replace(i, disabled=_is_disabled(i, patterns)) for i in _scan()]
    out = []
    for info in infos:
        others = [o for o in infos if o.name == info.name and o is not info and not o.disabled]
        if others and not info.disabled:
            info = replace(info, collision=tuple(o.distribution for o in others))
            if not info.builtin and info.key not in _warned:
                _warned.add(info.key)
                logger.warning(
                    "Architecture %r of %s is also provided by %s; %s.",
                    info.name,
                    info.source,
                    ", ".join(o.source for o in others),
                    f"{info.name!r} means the built-in, use {info.key!r} for this one"
                    if "brainkit" in info.collision
                    else f"refer to it as {info.key!r}",
                )
        out.append(info)
    return tuple(sorted(out, key=lambda i: (i.name, not i.builtin, i.distribution)))


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
    return sorted(
        n
        for n in names
        if pattern is None or any(fnmatch.fnmatchcase(m, pattern) for m in (n, n.split(":")[-1]))
    )


def resolve(name: str) -> EntryInfo:
    """The usable entry point that ``name`` (or ``"distribution:name"``) picks out, without importing it.

    Raises
    ------
    UnknownArchitectureError
        For an unknown, turned-off or ambiguous name; the message names the fix.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnknownArchitectureError(
            f"An architecture name must be a non-empty string, got {name!r}."
        )
    infos = discover()
    dist, _, plain = name.strip().rpartition(":")
    found = [
        i for i in infos if i.name == plain and (not dist or i.distribution == _normalise(dist))
    ]
    usable = [i for i in found if not i.disabled]
    if not found:
        pool = {
            (i.key if dist else i.name).lower(): i.key if dist else i.name
            for i in infos
            if not i.disabled
        }
        close = difflib.get_close_matches(name.lower(), list(pool), n=1, cutoff=0.5)
        hint = f" Did you mean {pool[close[0]]!r}?" if close else ""
        have = ", ".join(list_architectures())
        raise UnknownArchitectureError(
            f"Unknown architecture {name!r}.{hint} Available: {have}. "
            "`brainkit archs` shows where each comes from."
        )
    if not usable:
        raise UnknownArchitectureError(
            f"Architecture {name!r} from {found[0].source} is turned off "
            f"({DISABLE_ENV}={os.environ.get(DISABLE_ENV, '')!r}); remove it from there to use it."
        )
    if len(usable) > 1 and not usable[0].builtin:  # discover() sorts a built-in first
        raise UnknownArchitectureError(
            f"Architecture name {name!r} is provided by several distributions: "
            f"{', '.join(i.source for i in usable)}. Pick one with "
            f"{' or '.join(repr(i.key) for i in usable)}, or turn the others off with "
            f"{DISABLE_ENV}=<distribution>:{name}."
        )
    return usable[0]


@contextmanager
def plugin_call() -> Iterator[SimpleNamespace]:
    """Run plugin code so that a real Ctrl-C can be told from a plugin's own ``KeyboardInterrupt``.

    Inside, SIGINT still raises ``KeyboardInterrupt`` but also sets ``.real`` on
    the yielded object; :func:`plugin_failure` re-raises only such a one.
    """
    state = SimpleNamespace(real=False)

    def on_sigint(signum: int, frame: Any) -> None:
        state.real = True
        raise KeyboardInterrupt

    previous = None
    try:
        if threading.current_thread() is threading.main_thread() and (
            signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            previous = signal.signal(signal.SIGINT, on_sigint)
    except (ValueError, OSError):  # not the main interpreter, or no signals here
        pass
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


def _cache_key(info: EntryInfo) -> tuple[Any, ...]:
    return (info.key, info.value, info.location)


def record_failure(info: EntryInfo, what: str) -> ArchitectureError:
    """Record that ``info``'s plugin cannot be used (``what`` says why and the fix); return the error."""
    error = ArchitectureError(
        f"Architecture plugin {info.name!r} from distribution {info.source} ({info.value}) {what} "
        f"The other architectures still work; to hide this one: {DISABLE_ENV}={info.key}."
    )
    _loaded[_cache_key(info)] = error
    logger.warning("%s", error)
    return error


def _load(info: EntryInfo) -> Architecture:
    cached = _loaded.get(_cache_key(info))
    if isinstance(cached, ArchitectureError):
        raise cached
    if cached is not None:
        return cached
    try:
        with plugin_call() as state:
            obj = importlib.metadata.EntryPoint(info.name, info.value, GROUP).load()
    except BaseException as exc:  # SystemExit and a plugin's own KeyboardInterrupt too
        why = plugin_failure(exc, state)
        raise record_failure(
            info, f"failed to load: {why}. Fix or reinstall {info.distribution}."
        ) from exc
    if not isinstance(obj, Architecture) and not callable(obj):
        raise record_failure(
            info,
            f"is a {type(obj).__name__}, not a builder function or an Architecture "
            "(use @brainkit.architectures.architecture).",
        )
    arch = architecture(obj)
    problem = api_version_problem(arch.api_version)
    if problem:
        raise record_failure(info, f"was not loaded: it {problem}")
    arch = replace(arch, name=info.name, distribution=info.distribution, version=info.version)
    _loaded[_cache_key(info)] = arch
    return arch


def get(name: str | EntryInfo) -> Architecture:
    """Return the architecture called ``name``, importing only its plugin.

    Parameters
    ----------
    name : str or EntryInfo
        ``"mlp"``, or ``"distribution:name"`` to choose among distributions.

    Raises
    ------
    UnknownArchitectureError
        No such name (the message suggests the closest), an ambiguous one, or one turned off.
    ArchitectureError
        Its plugin failed to load or needs a plugin API version this brainkit does not support.
    """
    return _load(name if isinstance(name, EntryInfo) else resolve(name))


def build(name: str, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
    """Build architecture ``name`` as an uncompiled, checked ``keras.Model``; see :meth:`Architecture.build`."""
    return get(name).build(input_shape, num_classes, **hyperparameters)
