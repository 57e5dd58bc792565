"""Atomic file writes, under temporary names that name their writer (swept once it is gone)."""

from __future__ import annotations

import hashlib
import os
import platform
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

__all__ = [
    "atomic_path", "atomic_write_bytes", "host_tag", "is_stale", "public_mode", "stale_temps",
    "sweep_stale", "temp_prefix", "temp_writer", "writable_dir", "writer_gone",
]

#: Temporary files untouched for this long are stale whoever wrote them (seconds).
STALE_AFTER = 24 * 3600.0
_TEMP_RE = re.compile(r"^\..+\.~bk-(\d+)-([0-9a-f]{8})-")


def public_mode(directory: bool = False) -> int:
    """The mode a plain ``open()`` (or ``mkdir``) would give: 0o666 (0o777) less the umask."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def host_tag() -> str:
    """This host's tag in temporary names (8 hex digits of a hash of the host name)."""
    return hashlib.sha256(platform.node().encode("utf-8", "replace")).hexdigest()[:8]


def temp_prefix(final_name: str) -> str:
    """The prefix of this process's temporary files for ``final_name`` (see :func:`sweep_stale`)."""
    return f".{final_name}.~bk-{os.getpid()}-{host_tag()}-"


def temp_writer(name: str) -> tuple[int, str] | None:
    """The writer ``(pid, host tag)`` in a temporary name of :func:`temp_prefix`, else None."""
    match = _TEMP_RE.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


def writer_gone(pid: int, tag: str) -> bool:
    """Whether writer ``pid`` is known to be gone: it ran on this host and has exited."""
    if tag != host_tag():
        return False
    if pid <= 0:
        return True
    if pid == os.getpid() or os.name == "nt":  # nt: no cheap, safe probe: rely on age
        return False
    try:
        os.kill(pid, 0)
    except OSError as exc:  # PermissionError: alive, another user's
        return isinstance(exc, ProcessLookupError)
    return False


def is_stale(writer: tuple[int, str], age: float, max_age: float = STALE_AFTER) -> bool:
    """Whether what ``writer`` (pid, host tag) left, ``age`` seconds old, is abandoned."""
    return writer_gone(*writer) or age > max_age


def stale_temps(
    folder: str | os.PathLike[str], max_age: float = STALE_AFTER, directories: bool = False
) -> Iterator[os.DirEntry[str]]:
    """The temporary files (or folders) in ``folder`` that are stale (:func:`is_stale`)."""
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if (writer := temp_writer(entry.name)) is None:
            continue
        try:
            if not (entry.is_dir if directories else entry.is_file)(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if is_stale(writer, age, max_age):
            yield entry


def sweep_stale(folder: str | os.PathLike[str], max_age: float = STALE_AFTER) -> list[Path]:
    """Remove the stale temporary files in ``folder`` (:func:`stale_temps`); return their paths."""
    removed: list[Path] = []
    for entry in stale_temps(folder, max_age):
        with suppress(OSError):
            os.unlink(entry.path)
            removed.append(Path(entry.path))
    return removed


@contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``, renamed to it on success, removed on error."""
    final = Path(target)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=temp_prefix(final.name), suffix=suffix or final.suffix or ".part", dir=final.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, public_mode())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (flushed to disk before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def writable_dir(folder: Path) -> str | None:
    """Create ``folder`` if needed and write a test file there; None if that works, else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=temp_prefix("probe"), dir=folder)  # swept if killed here
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        if isinstance(exc, FileExistsError) or (folder.exists() and not folder.is_dir()):
            return "it is a file, not a folder"
        return exc.strerror or type(exc).__name__
    return None
