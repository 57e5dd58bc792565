"""Atomic file writes: write under a temporary name beside the target, then rename.

A reader never sees a half-written file under the final name, whatever
interrupts the writer. Temporary files are created private (``mkstemp``) and
given the usual permissions (``0o666`` less the umask) before the rename.

A writer killed with ``kill -9`` cannot remove its temporary file, so each one
is named after its writer (``.<target>.~bk-<pid>-<host>-<random><suffix>``) and
:func:`sweep_stale` removes those whose writer is gone (same host, dead pid) or
that have not been touched for a day (another machine sharing the folder).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "host_tag",
    "public_mode",
    "sweep_stale",
    "temp_prefix",
    "temp_writer",
    "writable_dir",
    "writer_gone",
]

#: Temporary files untouched for this long are stale whoever wrote them (seconds).
STALE_AFTER = 24 * 3600.0
_TEMP_RE = re.compile(r"^\..+\.~bk-(\d+)-([0-9a-f]{8})-")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def public_mode(directory: bool = False) -> int:
    """The mode a plain ``open()`` (or ``mkdir``) would give: 0o666 (0o777) less the umask."""
    return (0o777 if directory else 0o666) & ~_umask()


def host_tag() -> str:
    """This host's tag in temporary names (8 hex digits of a hash of the host name)."""
    try:
        host = socket.gethostname()
    except OSError:  # pragma: no cover
        host = ""
    return hashlib.sha256(host.encode("utf-8", "replace")).hexdigest()[:8]


def temp_prefix(final_name: str) -> str:
    """The prefix of this process's temporary files for ``final_name`` (see :func:`sweep_stale`)."""
    return f".{final_name}.~bk-{os.getpid()}-{host_tag()}-"


def temp_writer(name: str) -> tuple[int, str] | None:
    """``(pid, host tag)`` of the writer named in a temporary name of :func:`temp_prefix`, else None."""
    match = _TEMP_RE.match(name)
    return (int(match.group(1)), match.group(2)) if match else None


def writer_gone(pid: int, tag: str) -> bool:
    """Whether the writer ``pid`` on host ``tag`` is known to be gone (this host, no such process).

    A writer on another host is never known to be gone: callers fall back on the age of its files.
    """
    return tag == host_tag() and not _pid_alive(pid)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":  # pragma: no cover - no cheap, safe probe: rely on age
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, another user's
        return True
    return True


def sweep_stale(
    folder: str | os.PathLike[str],
    max_age: float = STALE_AFTER,
) -> list[Path]:
    """Remove temporary files left in ``folder`` by writers that died; return what was removed.

    A temporary file is stale when its writer ran on this host and is no longer
    alive, or when it has not been modified for ``max_age`` seconds. Files of
    live writers are never touched. Never raises.
    """
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        writer = temp_writer(entry.name)
        if writer is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if writer_gone(*writer) or age > max_age:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


@contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed to ``target``.

    On any exception the temporary file is removed and ``target`` is untouched.
    """
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
    """Create ``folder`` if needed and check that files can be written in it.

    Returns None when it is usable, else the reason (e.g. ``"Permission denied"``).
    The check creates and removes a file, as the permission bits alone do not
    tell (root, ACLs, read-only mounts).
    """
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
