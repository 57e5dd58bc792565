"""Run folders: checked before training, claimed atomically, written whole (:doc:`/guarantees`)."""

from __future__ import annotations

import errno
import itertools
import os
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from brainkit._atomic import host_tag, is_stale, public_mode, stale_temps, temp_prefix
from brainkit.errors import BrainkitError

__all__ = [
    "BRAINKIT_FILES", "RunError", "check_run_folder", "reserve_run_folder", "unfinished_run",
    "write_error", "write_run_folder",
]

RUN_FORMAT = 1
MODEL_FILE = "model.keras"
RUN_FILE = "run.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.json"
#: The figures of :func:`brainkit.run_figures.write_run_figures`.
FIGURE_FILES = (
    "learning_curves.png", "confusion_matrix.png", "sample_predictions.png", "worst_mistakes.png",
    "weights.png",
)
#: Every name brainkit writes in a run folder: ``overwrite`` replaces these and keeps the rest.
BRAINKIT_FILES = frozenset((MODEL_FILE, RUN_FILE, METRICS_FILE, HISTORY_FILE, *FIGURE_FILES))
#: Marks a run folder claimed by a ``brainkit train`` that is still training (holds "pid host").
WRITING_MARKER = ".brainkit-writing"
# Bytes of a folder name that brainkit's temporary names add around it (see _side_name).
_TEMP_ROOM = 40


class RunError(BrainkitError, ValueError):
    """A training argument or a run directory is not valid; the message says why and what to do."""


def _side_name(name: str, kind: str) -> str:
    """A hidden name beside run folder ``name`` that names its writer (swept when it is gone)."""
    return f"{temp_prefix(name)}{secrets.token_hex(4)}.{kind}"


_FIXES = {  # what write_error advises, by errno
    errno.ENOSPC: "free some space, or choose a folder on another disk",
    **dict.fromkeys((errno.EACCES, errno.EPERM, errno.EROFS), "choose a folder you can write"),
}


def write_error(target: Path, exc: OSError, cli: bool = False) -> RunError:
    """The :class:`RunError` for an ``OSError`` met while writing the run ``target``.

    It names the file that failed and the fix; ``cli`` words the fix for ``brainkit train --out``.
    """
    where = Path(exc.filename) if isinstance(exc.filename, (str, os.PathLike)) else target
    if ".~bk-" in where.parent.name:  # a file of the hidden copy being written: name the run's
        where = Path(target) / where.name
    reason = exc.strerror or str(exc)
    if where != Path(target):
        reason = f"{where}: {reason}"
    fix = _FIXES.get(exc.errno, "choose another folder") + (" with --out" if cli else "")
    return RunError(f"Cannot write the run {target}: {reason}. To fix it, {fix}.")


def _marker_owner(folder: Path) -> tuple[int, str] | None:
    """The ``(pid, host tag)`` that claimed ``folder`` for a run being trained, if any."""
    try:
        text = (folder / WRITING_MARKER).read_text()
    except (OSError, ValueError):
        return None
    pid, _, tag = text.strip().partition(" ")
    return (int(pid) if pid.isascii() and pid.isdigit() else 0), tag  # 0: a partial marker


def _claim_is_dead(folder: Path, owner: tuple[int, str]) -> bool:
    """Whether the writer that claimed ``folder`` is gone (or its claim is a day old)."""
    try:
        age = time.time() - (folder / WRITING_MARKER).stat().st_mtime
    except OSError:
        return True
    return is_stale(owner, age) or (owner[0] == 0 and age > 60)


def _is_own_claim(folder: Path) -> bool:
    return _marker_owner(folder) == (os.getpid(), host_tag())


def _is_claimable(folder: Path) -> bool:
    """True if ``folder`` is empty, or holds only this process's or a dead writer's claim."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    if names != [WRITING_MARKER]:
        return not names
    owner = _marker_owner(folder)
    return owner is not None and not _held_by_another(folder, owner)


def _held_by_another(folder: Path, owner: tuple[int, str]) -> bool:
    """Whether the claim of ``owner`` on ``folder`` is another writer's, still alive."""
    return owner != (os.getpid(), host_tag()) and not _claim_is_dead(folder, owner)


def _live_claim(folder: Path) -> tuple[int, str] | None:
    """The owner of ``folder``'s claim if another writer that is still alive holds it, else None."""
    owner = _marker_owner(folder)
    return owner if owner is not None and _held_by_another(folder, owner) else None


def check_run_folder(
    path: str | os.PathLike[str], overwrite: bool = False, *, cli: bool = False
) -> Path:
    """Check that a run can be saved to ``path`` before training; return it as a Path.

    Raises :class:`RunError`, naming the fix, for a file, a name too long, a folder that cannot be
    written, and a folder neither missing nor empty unless it holds a run and ``overwrite`` is set.

    Parameters
    ----------
    path : str or path
        The run folder.
    overwrite : bool
        Whether an existing run may be replaced.
    cli : bool
        Word the messages for ``brainkit train`` (``--out``, ``--overwrite``).
    """
    target = Path(path)
    other = "choose another --out" if cli else "choose another folder"
    absolute = Path(os.path.abspath(target))
    existing = absolute
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if absolute == Path.cwd() or absolute in Path.cwd().parents:
        raise RunError(f"{target} is the current folder or holds it; name a new folder ({other}).")
    if not existing.is_dir():
        if existing == absolute:
            raise RunError(f"{target} is a file, not a run folder; {other}.")
        raise RunError(
            f"{existing} is a file, not a folder, so the run folder {target} cannot be made "
            f"inside it; {other}."
        )
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
        path_max = os.pathconf(existing, "PC_PATH_MAX")
    except (AttributeError, OSError, ValueError):  # no os.pathconf (Windows): the usual limits
        name_max, path_max = 255, 4096
    for part in absolute.relative_to(existing).parts[:-1]:  # the folders to make above the run
        if len(os.fsencode(part)) > name_max:
            raise RunError(
                f"The folder name {part[:40]}... is {len(os.fsencode(part))} bytes long; this file "
                f"system allows {name_max}. Use a shorter name ({other})."
            )
    size = len(os.fsencode(absolute.name))
    if size > name_max - _TEMP_ROOM:
        raise RunError(
            f"The run folder name {absolute.name[:40]}... is {size} bytes long; this file system "
            f"allows {name_max}, and brainkit needs {_TEMP_ROOM} of them for its temporary names: "
            f"use a name of at most {name_max - _TEMP_ROOM} bytes ({other})."
        )
    if len(os.fsencode(str(absolute))) + _TEMP_ROOM >= path_max:
        raise RunError(f"The path {target} is too long for this file system; {other}.")
    if existing == absolute and not (_is_claimable(absolute) or _is_own_claim(absolute)):
        if (owner := _live_claim(absolute)) is not None:
            raise RunError(
                f"{target} is being written by another brainkit train (process {owner[0]}); "
                f"wait for it, or {other}."
            )
        if not overwrite:
            allow = "pass --overwrite" if cli else "pass overwrite=True"
            raise RunError(f"{target} already exists; {allow} to replace it, or {other}.")
        if not (absolute / RUN_FILE).is_file():
            raise RunError(
                f"{target} exists and is not a brainkit run (it has no {RUN_FILE}), so it is not "
                f"replaced even with overwrite; {other}."
            )
        _probe_writable(absolute, target, cli)  # the user's files move from the old run
    _probe_writable(absolute.parent if existing == absolute else existing, target, cli)
    return target


def _probe_writable(folder: Path, target: Path, cli: bool) -> None:
    probe = folder / _side_name("probe", "new")
    try:
        os.mkdir(probe)
        os.rmdir(probe)
    except OSError as exc:
        here = " (the current folder)" if folder == Path.cwd() else ""
        fix = _FIXES.get(exc.errno, "choose a folder you can write")
        fix += " with --out" if cli else ""
        raise RunError(
            f"Cannot write the run {target}: {folder}{here} cannot be written "
            f"({exc.strerror or exc}). To fix it, {fix}."
        ) from exc


@contextmanager
def reserve_run_folder(
    path: str | os.PathLike[str], overwrite: bool = False, *, pick_free: bool = False,
    cli: bool = False,
) -> Iterator[Path]:
    """Check and claim a run folder to train into; yield it, and release it if no run is saved.

    A missing folder is made with a hidden marker naming this process, so no other run takes it.

    Parameters
    ----------
    path : str or path
        The run folder.
    overwrite : bool
        Whether an existing run may be replaced (it is not claimed).
    pick_free : bool
        If ``path`` is taken, claim ``path-2``, ``path-3``, ... instead.
    cli : bool
        Word the messages for ``brainkit train``.

    Yields
    ------
    pathlib.Path
        The folder claimed: pass it to :meth:`TrainResult.save`.
    """
    base = Path(path)
    _sweep_run_leftovers(base.parent)
    made: list[Path] | None = None
    with _folder_lock(base.parent):  # brainkit processes claim one at a time in a folder
        for n in itertools.count(1):
            candidate = base if n == 1 else base.with_name(f"{base.name}-{n}")
            if pick_free and os.path.lexists(candidate) and not _is_claimable(candidate):
                continue
            check_run_folder(candidate, overwrite=overwrite and not pick_free, cli=cli)
            if overwrite and not pick_free and (candidate / RUN_FILE).is_file():
                break  # an existing run to replace: nothing to claim
            if (made := _claim(candidate)) is not None:
                break
            if not pick_free:
                raise RunError(
                    f"{candidate} was taken by another process meanwhile; "
                    f"{'choose another --out' if cli else 'choose another folder'}."
                )
    try:
        yield candidate
    finally:
        if made is not None:
            with _no_interrupt():  # a second Ctrl-C must not leave the claim half removed
                _release(candidate, made)


@contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C off while a short clean-up runs (it is ignored, not queued)."""
    previous = None
    with suppress(ValueError):  # not the main thread: signals go to the main thread anyway
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold a ``flock`` on ``folder`` or its nearest existing ancestor, if possible."""
    where = Path(os.path.abspath(folder))
    while not where.exists() and where != where.parent:
        where = where.parent
    fd = None
    with suppress(ImportError, OSError):  # Windows, or nothing to lock
        import fcntl
        fd = os.open(where, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


def _claim(folder: Path) -> list[Path] | None:
    """Claim ``folder`` with a marker; return the folders made for it, or None if taken."""
    made: list[Path] = []
    absolute = Path(os.path.abspath(folder))
    try:
        for parent in reversed(absolute.parents):
            if not parent.exists():
                with suppress(FileExistsError):
                    os.mkdir(parent)
                    made.append(parent)
        if os.path.lexists(absolute):
            if not _is_claimable(absolute):
                return None
            if not os.listdir(absolute):  # an empty folder of the user's: it stays theirs
                return made if _write_marker(absolute) else None
            if not _take_dead_claim(absolute):
                return None
        staged = absolute.parent / _side_name(absolute.name, "new")
        os.mkdir(staged)
        _write_marker(staged)
        try:
            os.rename(staged, absolute)
        except OSError:
            shutil.rmtree(staged, ignore_errors=True)
            return None  # another process claimed it first
        made.append(absolute)
    except OSError as exc:
        _release(absolute, made)
        raise write_error(folder, exc) from exc
    return made


def _write_marker(folder: Path) -> bool:
    try:
        with open(folder / WRITING_MARKER, "x") as fh:
            fh.write(f"{os.getpid()} {host_tag()}\n")
    except FileExistsError:
        return False
    return True


def _take_dead_claim(folder: Path) -> bool:
    """Move a dead writer's claimed folder out of the way; False if another process did first."""
    aside = folder.parent / _side_name(folder.name, "old")
    try:
        os.rename(folder, aside)
    except OSError:
        return False
    owner = _marker_owner(aside)
    if os.listdir(aside) == [WRITING_MARKER] and owner and _claim_is_dead(aside, owner):
        shutil.rmtree(aside, ignore_errors=True)
        return True
    with suppress(OSError):  # claimed or filled meanwhile: put it back (else the sweep returns it)
        os.rename(aside, folder)
    return False


def _release(folder: Path, made: list[Path]) -> None:
    """Remove this process's claim on ``folder`` and the empty folders made for it."""
    if _is_own_claim(folder):
        (folder / WRITING_MARKER).unlink(missing_ok=True)
    for directory in reversed(made):
        try:
            os.rmdir(directory)  # only if empty: a saved run stays
        except OSError:
            break


def _swap_in(staging: Path, target: Path, overwrite: bool) -> None:
    """Rename the complete ``staging`` folder to ``target``, keeping the user's files in it."""
    claimed = os.path.lexists(target) and (_is_own_claim(target) or _is_claimable(target))
    if claimed:
        (target / WRITING_MARKER).unlink(missing_ok=True)
        with suppress(OSError):  # not empty: the user's files put in while training are kept below
            os.rmdir(target)  # still empty: the run takes its place
    if not os.path.lexists(target):
        try:
            os.rename(staging, target)
        except OSError as exc:
            if os.path.lexists(target):
                raise RunError(
                    f"{target} was written by another process while this run was saved; "
                    "save this run to another folder."
                ) from exc
            raise write_error(target, exc) from exc
        return
    if not claimed:
        check_run_folder(target, overwrite=overwrite)  # taken or changed while training
    old = target.parent / _side_name(target.name, "old")
    try:
        os.replace(target, old)
    except OSError as exc:
        raise write_error(target, exc) from exc
    try:
        os.replace(staging, target)
    except OSError as exc:
        os.replace(old, target)
        raise write_error(target, exc) from exc
    _restore_user_files(old, target)


def _restore_user_files(old: Path, target: Path) -> None:
    """Move the user's files from replaced run ``old`` to ``target``; drop ``old`` if all moved."""
    try:
        names = set(os.listdir(old)) - BRAINKIT_FILES - {WRITING_MARKER}
    except OSError:
        return
    moved_all = True
    for name in names:
        try:
            if os.path.lexists(target / name):  # never over a file of the new run
                raise FileExistsError(target / name)
            os.rename(old / name, target / name)
        except OSError:
            moved_all = False
    if moved_all:
        shutil.rmtree(old, ignore_errors=True)


def _sweep_run_leftovers(folder: Path) -> None:
    """Undo or finish what saves killed in ``folder`` left, if their writer is gone."""
    for entry in stale_temps(folder, directories=True):
        if entry.name.endswith(".new"):
            shutil.rmtree(entry.path, ignore_errors=True)
        elif entry.name.endswith(".old"):
            target = Path(folder) / entry.name[1 : entry.name.rindex(".~bk-")]
            with suppress(OSError):
                if not os.path.lexists(target):
                    os.rename(entry.path, target)  # killed between its renames: the old run is back
                elif target.is_dir():
                    _restore_user_files(Path(entry.path), target)


def unfinished_run(folder: Path) -> str | None:
    """Why ``folder`` holds no run although a ``brainkit train`` claimed it, or None if none did."""
    if (owner := _live_claim(folder)) is not None:
        return (
            f"{folder} is still being trained by brainkit train (process {owner[0]}); "
            "wait until it has saved the run."
        )
    if _marker_owner(folder) is not None:
        return (
            f"{folder} holds no run: the brainkit train that claimed it was stopped before it "
            "saved one. Train again (the next brainkit train may use the folder), or delete it."
        )
    return None


def write_run_folder(
    path: str | os.PathLike[str], fill: Callable[[Path], None], overwrite: bool
) -> None:
    """Write a run folder atomically: ``fill(folder)`` writes the files into a hidden copy.

    ``path`` is checked first (:func:`check_run_folder`); with ``overwrite``, the user's own files
    move from the old run to the new. An ``OSError`` while filling becomes a :class:`RunError`.
    """
    target = Path(os.path.abspath(check_run_folder(path, overwrite=overwrite)))
    _sweep_run_leftovers(target.parent)
    staging = target.parent / _side_name(target.name, "new")
    try:
        try:
            os.makedirs(staging, public_mode(directory=True))
            fill(staging)
        except OSError as exc:
            raise write_error(target, exc) from exc
        _swap_in(staging, target, overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
