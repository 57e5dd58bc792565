"""Download a file atomically and verified: into a temporary file beside the target, then rename."""

from __future__ import annotations

import contextlib
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
        self.total, self.stream = total, stream
        self.start = self.last = time.monotonic()
        self.tty = bool(stream is not None and getattr(stream, "isatty", lambda: False)())
        self.name = url.rsplit("/", 1)[-1] or url
        if stream is not None:
            size = f" ({_mb(total)})" if total else ""
            print(f"brainkit: downloading {url}{size}", file=stream, flush=True)

    def update(self, done: int, final: bool = False) -> None:
        """Redraw the bar (a terminal: every 0.1 s; a log file: a new line every 10 s)."""
        now = time.monotonic()
        if self.stream is None or (not final and now - self.last < (0.1 if self.tty else 10.0)):
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
            print(f"brainkit: got {self.name}: {_mb(done)} in {seconds:.1f} s "
                  f"({_mb(done / max(seconds, 1e-6))}/s)", file=self.stream, flush=True)


def _mb(n: float) -> str:
    for scale, unit in ((1e6, "MB"), (1e3, "kB")):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} bytes"


def _set_read_timeout(response: Any, seconds: float) -> None:
    """Bound the next socket read (http.client keeps the socket in ``fp.raw._sock``)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.settimeout(max(seconds, 0.01))


def _looks_like_html(first: bytes, content_type: str) -> bool:
    """A web page (a login, a captive portal) rather than a data file; the body decides."""
    head = first[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return True
    labelled = content_type.split(";")[0].strip().lower() in {"text/html", "application/xhtml+xml"}
    return labelled and head.startswith(b"<") and b"<html" in first[:4096].lower()


def download(
    url: str, dest: Path, timeout: float = 30.0, quiet: bool = False, *,
    deadline: float | None = None, verify: Callable[[Path], None] | None = None,
    stream: IO[str] | None = None,
) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``. ``verify`` gets the complete
    file and raises on wrong bytes; ``timeout`` bounds each wait for the server, ``deadline`` (a
    monotonic time) the whole transfer. Failures raise :class:`DownloadError`, leaving no file."""
    out_stream = None if quiet else (stream or sys.stderr)

    def remaining() -> float:
        left = float("inf") if deadline is None else deadline - time.monotonic()
        if left <= 0:
            raise DeadlineError(f"{url}: gave up at the overall download deadline.")
        return min(timeout, left)

    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=temp_prefix(dest.name), suffix=".part",
                                        dir=dest.parent)
    except OSError as exc:
        raise DownloadError(f"cannot write in {dest.parent} ({exc.strerror or exc}).") from exc
    tmp = Path(tmp_name)
    out = os.fdopen(fd, "wb")
    progress = None
    written = 0
    ok = False
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "brainkit"})
        with out, urllib.request.urlopen(request, timeout=remaining()) as response:
            total = int(response.headers.get("Content-Length") or 0)
            content_type = response.headers.get("Content-Type") or ""
            progress = _Progress(url, total, out_stream)
            read = getattr(response, "read1", response.read)  # read1: whatever has arrived
            while True:
                _set_read_timeout(response, remaining())
                chunk = read(_CHUNK)
                if not chunk:
                    break
                if not written and _looks_like_html(chunk, content_type):
                    raise VerifyError(f"{url}: the server sent a web page (HTML), not the data "
                                      "file; the mirror's address is wrong or it needs a login.")
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
    except (http.client.HTTPException, OSError, ValueError) as exc:  # URLError is an OSError
        remaining()  # a DeadlineError instead once the deadline has passed
        reason = getattr(exc, "reason", None) or exc
        if isinstance(reason, TimeoutError):  # socket.timeout is TimeoutError too
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
