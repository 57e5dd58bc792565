"""Download a file atomically and verified: into a temporary file beside the target, then rename.

An interrupted, failed or unverified download never leaves a file under the
final name, so nothing half-written is ever trusted by a later load, and the
temporary file is removed on every way out (a ``kill -9`` leaves it behind;
:func:`brainkit._atomic.sweep_stale` removes it at the next load).

Two clocks bound a download: ``timeout``, the longest wait for the server's
next bytes (a stalled server), and ``deadline``, the moment all downloads of
one load must be done (a server that trickles a byte at a time never trips
``timeout``).
"""

from __future__ import annotations

import http.client
import os
import socket
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from brainkit._atomic import atomic_write_bytes, public_mode, temp_prefix

__all__ = ["DeadlineError", "DownloadError", "VerifyError", "atomic_write_bytes", "download"]

_CHUNK = 1 << 16


class DownloadError(OSError):
    """A download failed (network, HTTP status, wrong bytes, or an interrupted transfer)."""


class VerifyError(DownloadError):
    """The mirror answered, but with bytes that are not the expected file."""


class DeadlineError(DownloadError):
    """The overall download deadline passed."""


class _Progress:
    """A one-line progress bar on standard error: size, percent and rate."""

    def __init__(self, url: str, total: int, stream: IO[str] | None) -> None:
        self.url, self.total, self.stream = url, total, stream
        self.start = self.last = time.monotonic()
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.name = url.rsplit("/", 1)[-1] or url
        if stream is not None:
            size = f" ({_mb(total)})" if total else ""
            print(f"brainkit: downloading {url}{size}", file=stream, flush=True)

    def update(self, done: int, final: bool = False) -> None:
        """Redraw the bar (a terminal: every 0.1 s; a log file: a new line every 10 s)."""
        if self.stream is None:
            return
        now = time.monotonic()
        if not final and now - self.last < (0.1 if self.tty else 10.0):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-6)
        if self.total:
            frac = min(done / self.total, 1.0)
            bar = "#" * int(frac * 24)
            line = f"  [{bar:<24}] {frac:4.0%} {_mb(done)} of {_mb(self.total)}  {_mb(rate)}/s"
        else:
            line = f"  {_mb(done)} (size unknown)  {_mb(rate)}/s"
        if self.tty:
            print("\r" + line.ljust(72), end="", file=self.stream, flush=True)
        elif not final:
            print(line, file=self.stream, flush=True)

    def close(self, done: int, ok: bool) -> None:
        if self.stream is None:
            return
        if self.tty:
            self.update(done, final=True)
            print(file=self.stream, flush=True)
        if ok:
            seconds = time.monotonic() - self.start
            rate = done / max(seconds, 1e-6)
            print(f"brainkit: got {self.name}: {_mb(done)} in {seconds:.1f} s ({_mb(rate)}/s)",
                  file=self.stream, flush=True)


def _mb(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    if n >= 1e3:
        return f"{n / 1e3:.1f} kB"
    return f"{n:.0f} bytes"


def _set_read_timeout(response: Any, seconds: float) -> None:
    """Bound the next socket read (http.client keeps the socket in ``fp.raw._sock``)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        try:
            sock.settimeout(max(seconds, 0.01))
        except OSError:
            pass


def _looks_like_html(first: bytes, content_type: str) -> bool:
    """A web page (a login, a captive portal, an error page) rather than a data file.

    The body decides: a server that labels a gzip file ``text/html`` is wrong,
    but the file is still good.
    """
    head = first[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return True
    labelled = content_type.split(";")[0].strip().lower() in {"text/html", "application/xhtml+xml"}
    return labelled and head.startswith(b"<") and b"<html" in first[:4096].lower()


def download(
    url: str,
    dest: Path,
    timeout: float = 30.0,
    quiet: bool = False,
    *,
    deadline: float | None = None,
    verify: Callable[[Path], None] | None = None,
    stream: IO[str] | None = None,
) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``.

    Parameters
    ----------
    url : str
        Where to fetch from (``http``, ``https`` or ``file``).
    dest : pathlib.Path
        Final path; its folder is created if needed.
    timeout : float
        Seconds to wait for the server (to connect, and between any two reads).
    quiet : bool
        If false, show a progress bar (size, percent, rate) on standard error.
    deadline : float, optional
        A :func:`time.monotonic` time by which the download must be complete.
    verify : callable, optional
        Called with the complete temporary file; it raises (any exception) if
        the bytes are not the expected file, and the file is then discarded.
    stream : file, optional
        Where the progress goes (default standard error).

    Raises
    ------
    DownloadError
        On any network or HTTP error, a short transfer, a passed deadline
        (:class:`DeadlineError`) or bytes that fail ``verify``
        (:class:`VerifyError`); ``dest`` is then untouched and no partial
        file is left.
    """
    out_stream = None if quiet else (stream or sys.stderr)

    def remaining() -> float:
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlineError(f"{url}: gave up at the overall download deadline.")
        return min(timeout, left)

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(dest.name), suffix=".part", dir=dest.parent)
    except OSError as exc:
        raise DownloadError(f"cannot write in {dest.parent} ({exc.strerror or exc}).") from exc
    tmp = Path(tmp_name)
    out = os.fdopen(fd, "wb")
    progress: _Progress | None = None
    written = 0
    ok = False
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "brainkit"})
        with out, urllib.request.urlopen(request, timeout=remaining()) as response:
            total = int(response.headers.get("Content-Length") or 0)
            content_type = response.headers.get("Content-Type") or ""
            progress = _Progress(url, total, out_stream)
            first = b""
            while True:
                _set_read_timeout(response, remaining())
                chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
                if not chunk:
                    break
                if not first:
                    first = chunk
                    if _looks_like_html(first, content_type):
                        raise VerifyError(
                            f"{url}: the server sent a web page (HTML), not the data file; "
                            "the mirror's address is wrong or it needs a login."
                        )
                out.write(chunk)
                written += len(chunk)
                progress.update(written)
                remaining()  # a trickle of bytes must not outlive the deadline
            out.flush()
            os.fsync(out.fileno())
        if total and written != total:
            raise DownloadError(f"{url}: the transfer ended after {written} of {total} bytes.")
        if verify is not None:
            try:
                verify(tmp)
            except Exception as exc:
                raise VerifyError(f"{url}: {exc}") from exc
        os.chmod(tmp, public_mode())
        os.replace(tmp, dest)
        ok = True
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except DownloadError:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        if deadline is not None and time.monotonic() >= deadline:
            raise DeadlineError(f"{url}: gave up at the overall download deadline.") from exc
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, (TimeoutError, socket.timeout)) or isinstance(exc, TimeoutError):
            reason = f"no data for {timeout:g} s (timed out)"
        elif isinstance(exc, http.client.IncompleteRead):
            reason = f"the transfer was cut off after {written} bytes"
        raise DownloadError(f"{url}: {reason}") from exc
    finally:
        if progress is not None:
            progress.close(written, ok)
        if not ok:
            out.close()
            tmp.unlink(missing_ok=True)
    return dest
