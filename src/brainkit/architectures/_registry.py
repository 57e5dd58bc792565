"""Find architectures through entry points, load them one at a time, and resolve names.

Discovery reads installed distributions' metadata only (``entry_points.txt``);
a plugin's code is imported by :func:`get` when it is first asked for, one
plugin at a time, and a plugin that fails is recorded and reported without
disturbing the others (as stevedore does), never let through as a bare
traceback (as a plain ``ep.load()`` would).
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
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from brainkit.architectures._spec import (
    API_VERSION,
    AmbiguousArchitectureError,
    Architecture,
    ArchitectureDisabledError,
    IncompatiblePluginError,
    PluginError,
    UnknownArchitectureError,
)

__all__ = [
    "BUILTIN_DISTRIBUTION",
    "DISABLE_ENV",
    "GROUP",
    "EntryInfo",
    "LoadFailure",
    "build",
    "discover",
    "entries",
    "get",
    "list_architectures",
    "load_errors",
    "mark_failed",
    "plugin_call",
    "refresh",
]

#: The entry-point group plugins register their architectures in.
GROUP = "brainkit.architectures"
#: Environment variable with comma-separated names (``name`` or ``dist:name``, globs allowed) to turn off.
DISABLE_ENV = "BRAINKIT_DISABLE_ARCHITECTURES"
#: The distribution whose architectures are the built-ins, never silently overridden.
BUILTIN_DISTRIBUTION = "brainkit"

# Used only when brainkit runs without installed metadata (e.g. PYTHONPATH=src);
# it must list the same targets as pyproject.toml's entry points.
_BUILTIN_FALLBACK = {
    "linear": "brainkit.architectures.linear:linear",
    "mlp": "brainkit.architectures.mlp:mlp",
    "shallow": "brainkit.architectures.shallow:shallow",
    "cnn": "brainkit.architectures.cnn:cnn",
}

logger = logging.getLogger("brainkit.architectures")


def normalise_distribution(name: str) -> str:
    """Return a distribution name in its PEP 503 form (``Brainkit_LeNet`` -> ``brainkit-lenet``)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


@dataclass(frozen=True)
class EntryInfo:
    """One architecture entry point, as discovered (its code is not imported).

    Attributes
    ----------
    name : str
        The architecture name (the entry point's name).
    distribution : str
        The providing distribution's normalised name, e.g. ``"brainkit-lenet"``.
    version : str
        That distribution's version.
    value : str
        The entry point's target, ``"module:attribute"``.
    location : str or None
        Where the distribution's metadata was found.
    builtin : bool
        Provided by brainkit itself.
    disabled : bool
        Turned off by ``BRAINKIT_DISABLE_ARCHITECTURES`` or a ``disable`` argument.
    collision : tuple of str
        Other (enabled) distributions that provide the same name.
    shadowed : bool
        The plain name means the built-in; reach this one as :attr:`key`.
    ambiguous : bool
        Several third-party distributions claim the plain name; use :attr:`key`.
    """

    name: str
    distribution: str
    version: str
    value: str
    location: str | None = None
    builtin: bool = False
    disabled: bool = False
    collision: tuple[str, ...] = ()
    shadowed: bool = False
    ambiguous: bool = False
    _entry_point: Any = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """The unambiguous ``"distribution:name"`` form."""
        return f"{self.distribution}:{self.name}"

    @property
    def lookup_name(self) -> str:
        """The name to pass to :func:`get`: the plain name unless it is taken."""
        return self.key if (self.shadowed or self.ambiguous) else self.name

    @property
    def source(self) -> str:
        """``"distribution version"``."""
        return f"{self.distribution} {self.version}".strip()

    @property
    def error(self) -> LoadFailure | None:
        """The recorded failure to load this entry, if :func:`get` tried and failed."""
        return _failures.get(_cache_key(self))


@dataclass(frozen=True)
class LoadFailure:
    """Why a plugin could not be loaded: the message, and the traceback for ``--verbose``."""

    entry: EntryInfo
    message: str
    traceback: str
    error: PluginError = field(repr=False, compare=False)


# ---------------------------------------------------------------------------- caches

_scan_cache: dict[tuple[str, ...], tuple[EntryInfo, ...]] = {}
_loaded: dict[tuple[Any, ...], Architecture] = {}
_failures: dict[tuple[Any, ...], LoadFailure] = {}
_warned: set[str] = set()


def refresh() -> None:
    """Forget everything discovered and loaded; the next call scans the environment again.

    Call it after installing or removing a plugin in a running process.
    """
    importlib.invalidate_caches()
    _scan_cache.clear()
    _loaded.clear()
    _failures.clear()
    _warned.clear()


def _cache_key(info: EntryInfo) -> tuple[Any, ...]:
    return (info.distribution, info.name, info.value, info.location)


# ------------------------------------------------------------------------- discovery


def _scan() -> tuple[EntryInfo, ...]:
    path_key = tuple(p for p in sys.path if isinstance(p, str))
    cached = _scan_cache.get(path_key)
    if cached is not None:
        return cached
    seen: dict[str, str | None] = {}
    found: list[EntryInfo] = []
    for dist in importlib.metadata.distributions():
        try:
            raw_name = dist.metadata["Name"]
        except Exception:  # unreadable metadata: not ours to judge
            continue
        if not raw_name:
            continue
        norm = normalise_distribution(raw_name)
        try:
            location: str | None = str(dist.locate_file(""))
        except Exception:
            location = None
        if norm in seen:
            # The same distribution twice on sys.path: the first one wins, as for imports.
            eps_here = _group_entry_points(dist)
            if eps_here:
                logger.debug(
                    "Ignoring a second copy of distribution %r at %s (using the one at %s).",
                    norm,
                    location,
                    seen[norm],
                )
            continue
        seen[norm] = location
        for ep in _group_entry_points(dist):
            found.append(
                EntryInfo(
                    name=ep.name,
                    distribution=norm,
                    version=str(dist.version or ""),
                    value=ep.value,
                    location=location,
                    builtin=norm == BUILTIN_DISTRIBUTION,
                    _entry_point=ep,
                )
            )
    if not any(info.builtin for info in found):
        from brainkit._version import __version__

        logger.debug("brainkit's entry points are not installed; using the built-in table.")
        for name, value in _BUILTIN_FALLBACK.items():
            ep = importlib.metadata.EntryPoint(name=name, value=value, group=GROUP)
            found.append(
                EntryInfo(
                    name, BUILTIN_DISTRIBUTION, __version__, value, None, True, _entry_point=ep
                )
            )
    result = tuple(found)
    _scan_cache[path_key] = result
    return result


def _group_entry_points(dist: importlib.metadata.Distribution) -> list[Any]:
    try:
        return [ep for ep in dist.entry_points if ep.group == GROUP]
    except Exception as exc:  # a malformed entry_points.txt
        logger.warning("Cannot read the entry points of %r: %s", dist.metadata["Name"], exc)
        return []


def _disable_patterns(disable: Iterable[str] | str | None) -> list[str]:
    tokens: list[str] = []
    for source in (os.environ.get(DISABLE_ENV, ""), disable):
        if source is None:
            continue
        items = source.split(",") if isinstance(source, str) else list(source)
        tokens.extend(t.strip() for t in items if t and t.strip())
    return tokens


def _is_disabled(info: EntryInfo, patterns: list[str]) -> bool:
    for pattern in patterns:
        if ":" in pattern:
            dist, _, name = pattern.partition(":")
            if fnmatch.fnmatchcase(info.distribution, normalise_distribution(dist)) and (
                fnmatch.fnmatchcase(info.name, name or "*")
            ):
                return True
        elif fnmatch.fnmatchcase(info.name, pattern):
            return True
    return False


def discover(disable: Iterable[str] | str | None = None) -> tuple[EntryInfo, ...]:
    """Return every architecture entry point found, without importing any plugin.

    Parameters
    ----------
    disable : str or iterable of str, optional
        More names to turn off, added to ``BRAINKIT_DISABLE_ARCHITECTURES``:
        ``"name"``, ``"distribution:name"`` or ``"distribution:*"`` (globs allowed).

    Returns
    -------
    tuple of EntryInfo
        Sorted by name, built-ins first among equal names.
    """
    patterns = _disable_patterns(disable)
    infos = [replace(i, disabled=_is_disabled(i, patterns)) for i in _scan()]
    by_name: dict[str, list[EntryInfo]] = {}
    for info in infos:
        if not info.disabled:
            by_name.setdefault(info.name, []).append(info)
    out: list[EntryInfo] = []
    for info in infos:
        rivals = [r for r in by_name.get(info.name, []) if r is not info]
        if info.disabled or not rivals:
            out.append(info)
            continue
        group = by_name[info.name]
        has_builtin = any(r.builtin for r in group)
        updated = replace(
            info,
            collision=tuple(r.distribution for r in rivals),
            shadowed=has_builtin and not info.builtin,
            ambiguous=not has_builtin,
        )
        out.append(updated)
        _warn_collision(updated, group)
    out.sort(key=lambda i: (i.name, not i.builtin, i.distribution))
    return tuple(out)


#: Alias of :func:`discover`.
entries = discover


def _warn_collision(info: EntryInfo, group: list[EntryInfo]) -> None:
    if info.key in _warned:
        return
    _warned.add(info.key)
    if info.shadowed:
        logger.warning(
            "Distribution %r also provides an architecture named %r, a brainkit built-in. "
            "%r still means the built-in; use %r for the one from %s.",
            info.source,
            info.name,
            info.name,
            info.key,
            info.distribution,
        )
    elif info.ambiguous:
        logger.warning(
            "Architecture name %r is provided by several distributions (%s); refer to it as %s.",
            info.name,
            ", ".join(g.source for g in group),
            " or ".join(repr(g.key) for g in group),
        )


def list_architectures(
    pattern: str | None = None,
    *,
    include_disabled: bool = False,
    disable: Iterable[str] | str | None = None,
) -> list[str]:
    """Return the names :func:`get` accepts, sorted, without importing any plugin.

    A name taken by several distributions appears in its ``"distribution:name"``
    form (the built-in keeps the plain name).

    Parameters
    ----------
    pattern : str, optional
        A glob such as ``"m*"`` or ``"*net*"``, matched against the name.
    include_disabled : bool
        Also list architectures that are turned off.
    disable : str or iterable of str, optional
        See :func:`discover`.
    """
    names = set()
    for info in discover(disable):
        if info.disabled and not include_disabled:
            continue
        shown = info.lookup_name
        if pattern is None or any(
            fnmatch.fnmatchcase(candidate, pattern) for candidate in (shown, info.name)
        ):
            names.add(shown)
    return sorted(names)


def load_errors() -> dict[str, LoadFailure]:
    """Return the plugins that failed to load so far, by ``"distribution:name"``."""
    return {f.entry.key: f for f in _failures.values()}


# --------------------------------------------------------------------------- lookup


def _unknown(name: str, infos: tuple[EntryInfo, ...]) -> UnknownArchitectureError:
    usable = sorted({i.lookup_name for i in infos if not i.disabled})
    pool = [i for i in infos if not i.disabled]
    candidates = sorted({*usable, *(i.name for i in pool), *(i.key for i in pool)})
    if ":" not in name:  # suggest a plain or unique name before a "dist:name" key
        candidates = [c for c in candidates if ":" not in c] or candidates
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    hint = f" Did you mean {lowered[close[0]]!r}?" if close else ""
    have = ", ".join(usable) if usable else "none (is brainkit installed? try: pip install -e .)"
    return UnknownArchitectureError(
        f"Unknown architecture {name!r}.{hint} Available: {have}. "
        "`brainkit archs` shows where each comes from."
    )


def _disabled(info: EntryInfo) -> ArchitectureDisabledError:
    return ArchitectureDisabledError(
        f"Architecture {info.name!r} from {info.source} is disabled "
        f"({DISABLE_ENV}={os.environ.get(DISABLE_ENV, '')!r} or a disable= argument). "
        f"Remove {info.name!r} / {info.key!r} from there to use it."
    )


def resolve(name: str, disable: Iterable[str] | str | None = None) -> EntryInfo:
    """Return the entry a name refers to, without importing it.

    Raises
    ------
    UnknownArchitectureError, ArchitectureDisabledError, AmbiguousArchitectureError
    """
    if not isinstance(name, str) or not name.strip():
        raise UnknownArchitectureError(
            f"An architecture name must be a non-empty string, got {name!r}."
        )
    name = name.strip()
    infos = discover(disable)
    if ":" in name:
        dist, _, arch = name.partition(":")
        dist = normalise_distribution(dist)
        matches = [i for i in infos if i.distribution == dist and i.name == arch]
        if not matches:
            raise _unknown(name, infos)
        if matches[0].disabled:
            raise _disabled(matches[0])
        return matches[0]
    same = [i for i in infos if i.name == name]
    enabled = [i for i in same if not i.disabled]
    if not enabled:
        if same:
            raise _disabled(same[0])
        raise _unknown(name, infos)
    if len(enabled) == 1:
        return enabled[0]
    builtins = [i for i in enabled if i.builtin]
    if builtins:
        return builtins[0]
    raise AmbiguousArchitectureError(
        f"Architecture name {name!r} is provided by several distributions: "
        f"{', '.join(i.source for i in enabled)}. Pick one with "
        f"{' or '.join(repr(i.key) for i in enabled)}, or disable the other with "
        f"{DISABLE_ENV}=<distribution>:{name}."
    )


def _prepare_backend() -> None:
    # A plugin may `import keras` at its top; make Keras start on the backend brainkit
    # would choose rather than on Keras' own default.
    if "keras" in sys.modules or os.environ.get("KERAS_BACKEND"):
        return
    from brainkit.runtime import BackendError, resolve_backend

    try:
        os.environ["KERAS_BACKEND"] = resolve_backend()
    except BackendError:
        pass


class _Interrupted:
    """Whether the user really pressed Ctrl-C while plugin code ran."""

    real = False


@contextmanager
def plugin_call() -> Iterator[_Interrupted]:
    """Run plugin code so that a real Ctrl-C can be told from a plugin's own ``KeyboardInterrupt``.

    Inside, SIGINT (in the main thread, with Python's default handler) still
    raises ``KeyboardInterrupt`` but also sets ``.real`` on the yielded object;
    a ``KeyboardInterrupt`` without it was raised by the plugin itself, and is
    a plugin failure rather than the user asking to stop.
    """
    state = _Interrupted()
    installed = False
    previous: Any = None
    if threading.current_thread() is threading.main_thread():
        try:
            previous = signal.getsignal(signal.SIGINT)
            if previous is signal.default_int_handler:

                def handler(signum: int, frame: Any) -> None:
                    state.real = True
                    raise KeyboardInterrupt

                signal.signal(signal.SIGINT, handler)
                installed = True
        except (ValueError, OSError):  # not the main interpreter, or no signals here
            installed = False
    try:
        yield state
    finally:
        if installed:
            signal.signal(signal.SIGINT, previous)


def reraise_if_fatal(exc: BaseException, state: _Interrupted) -> None:
    """Re-raise a real Ctrl-C; anything else a plugin raised is the plugin's failure."""
    if isinstance(exc, KeyboardInterrupt) and state.real:
        raise exc


def describe_exception(exc: BaseException) -> str:
    """``"RuntimeError: kaboom"``, with words for what ends a program rather than failing."""
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r}) (SystemExit)"
    if isinstance(exc, KeyboardInterrupt):
        return "raised KeyboardInterrupt by itself (no Ctrl-C was pressed)"
    return f"{type(exc).__name__}: {exc}"


def mark_failed(info: EntryInfo, message: str) -> PluginError:
    """Record that ``info``'s plugin cannot be loaded, without importing it (e.g. it crashed a child)."""
    error = PluginError(
        f"Architecture plugin {info.name!r} from distribution {info.source} ({info.value}) "
        f"{message} The other architectures still work. Fix or reinstall {info.distribution}, "
        f"or hide it with {DISABLE_ENV}={info.key}.",
        name=info.name,
        distribution=info.source,
    )
    return _record(info, error, None)


def _record(info: EntryInfo, error: PluginError, exc: BaseException | None) -> PluginError:
    tb = "".join(traceback.format_exception(exc)) if exc is not None else ""
    _failures[_cache_key(info)] = LoadFailure(info, str(error), tb, error)
    logger.warning("%s", error)
    return error


def _api_version_error(info: EntryInfo, declared: Any) -> IncompatiblePluginError:
    from brainkit._version import __version__

    if isinstance(declared, int) and not isinstance(declared, bool) and declared > API_VERSION:
        fix = (
            f"Upgrade brainkit (pip install -U brainkit) to one that supports it, or install "
            f"a release of {info.distribution} written for API version {API_VERSION}."
        )
    elif isinstance(declared, int) and not isinstance(declared, bool):
        fix = (
            f"Upgrade the plugin (pip install -U {info.distribution}) or ask its authors to "
            f"port it to API version {API_VERSION}."
        )
    else:
        fix = f"Its author must pass api_version={API_VERSION} (an integer) to @architecture."
    return IncompatiblePluginError(
        f"Architecture plugin {info.name!r} from distribution {info.source} declares "
        f"plugin api_version={declared!r}, but brainkit {__version__} implements API version "
        f"{API_VERSION}; it was not loaded. {fix} To hide it meanwhile: "
        f"{DISABLE_ENV}={info.key}.",
        name=info.name,
        distribution=info.source,
    )


def load(info: EntryInfo) -> Architecture:
    """Import one discovered entry and return its :class:`Architecture` (cached).

    Raises
    ------
    PluginError
        It failed to import, points at the wrong kind of object, or declares
        an incompatible ``api_version`` (:class:`IncompatiblePluginError`).
        The failure is also kept for :func:`load_errors`.
    """
    key = _cache_key(info)
    if key in _loaded:
        return _loaded[key]
    if key in _failures:
        raise _failures[key].error
    _prepare_backend()
    ep = info._entry_point or importlib.metadata.EntryPoint(info.name, info.value, GROUP)
    try:
        with plugin_call() as state:
            obj = ep.load()
    except BaseException as exc:  # SystemExit and a plugin's own KeyboardInterrupt too
        reraise_if_fatal(exc, state)
        error = PluginError(
            f"Architecture plugin {info.name!r} from distribution {info.source} "
            f"({info.value}) failed to load: {describe_exception(exc)}. The other "
            f"architectures still work. Fix or reinstall {info.distribution}, or hide it "
            f"with {DISABLE_ENV}={info.key}.",
            name=info.name,
            distribution=info.source,
        )
        raise _record(info, error, exc) from exc
    try:
        if isinstance(obj, Architecture):
            arch = obj
        elif callable(obj):
            arch = Architecture.from_builder(obj)
        else:
            raise PluginError(
                f"Architecture plugin {info.name!r} from distribution {info.source}: "
                f"{info.value} is a {type(obj).__name__}, not a builder function or an "
                "Architecture (use @brainkit.architectures.architecture).",
                name=info.name,
                distribution=info.source,
            )
    except PluginError as error:
        raise _record(info, error, None) from None
    if arch.api_version != API_VERSION:
        raise _record(info, _api_version_error(info, arch.api_version), None)
    arch = replace(
        arch,
        name=info.name,
        distribution=info.distribution,
        version=info.version,
        entry_point=info.value,
    )
    _loaded[key] = arch
    return arch


def get(name: str | EntryInfo, *, disable: Iterable[str] | str | None = None) -> Architecture:
    """Return the architecture called ``name``, importing only its plugin.

    Parameters
    ----------
    name : str or EntryInfo
        ``"mlp"``, or ``"distribution:name"`` to pick among distributions.
    disable : str or iterable of str, optional
        See :func:`discover`.

    Raises
    ------
    UnknownArchitectureError
        No such name; the message suggests the closest one.
    AmbiguousArchitectureError
        Two third-party distributions provide it; use ``"distribution:name"``.
    ArchitectureDisabledError
        It is turned off.
    PluginError
        Its plugin failed to load or is incompatible.
    """
    info = name if isinstance(name, EntryInfo) else resolve(name, disable)
    return load(info)


def build(name: str, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
    """Build architecture ``name`` as an uncompiled ``keras.Model`` and check it.

    Parameters
    ----------
    name : str
        Architecture name, or ``"distribution:name"``.
    input_shape : tuple of int
        Shape of one example, e.g. ``(28, 28)`` or ``(28, 28, 1)``.
    num_classes : int
        How many classes; the model's output's last dimension.
    **hyperparameters
        Overrides of the architecture's hyperparameters.

    Raises
    ------
    HyperparameterError
        An unknown hyperparameter (the message lists the valid ones) or a bad shape.
    PluginError
        The builder raised, or did not return a ``keras.Model`` with ``num_classes`` outputs;
        the message names the distribution.
    """
    return get(name).build(input_shape, num_classes, **hyperparameters)
