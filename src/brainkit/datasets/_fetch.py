"""Download a file atomically and verified: into a temporary file beside the target, then rename."""

import contextlib
import http.client
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from brainkit._atomic import atomic_path, writable_dir

__all__ = ["DeadlineError", "DownloadError", "VerifyError", "download"]

_CHUNK = 1 << 16


class DownloadError(OSError):
    """A download failed (network, HTTP status, wrong bytes, or an interrupted transfer)."""


class VerifyError(DownloadError):
    """The mirror answered, but with bytes that are not the expected file."""


class DeadlineError(DownloadError):
    """The overall download deadline passed."""


class _Progress:
    """A one-line progress bar on standard error: size, percent and rate."""

    def __init__(self, url: str, total: int, stream: IO[str]) -> None:
        self.total, self.stream = total, stream
        self.start = self.last = time.monotonic()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.name = url.rsplit("/", 1)[-1] or url
        size = f" ({_mb(total)})" if total else ""
        print(f"brainkit: downloading {url}{size}", file=stream, flush=True)

    def update(self, done: int, final: bool = False) -> None:
        """Redraw the bar (a terminal: every 0.1 s; a log file: a new line every 10 s)."""
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
        end = "" if self.tty and not final else "\n"  # a terminal's line is redrawn in place
        print("\r" + line.ljust(72) if self.tty else line, end=end, file=self.stream, flush=True)

    def close(self, done: int, ok: bool) -> None:
        if self.tty:
            self.update(done, final=True)
        if ok:
            seconds = time.monotonic() - self.start
            print(f"brainkit: got {self.name}: {_mb(done)} in {seconds:.1f} s "
                  f"({_mb(done / max(seconds, 1e-6))}/s)", file=self.stream, flush=True)


def _mb(n: float) -> str:
    for scale, unit in ((1e6, "MB"), (1e3, "kB")):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} bytes"


def _read(response: Any, seconds: float) -> bytes:
    """What has arrived, waiting at most ``seconds`` (http.client's socket is ``fp.raw._sock``)."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.settimeout(max(seconds, 0.01))
    return getattr(response, "read1", response.read)(_CHUNK)  # read1: whatever has arrived


def _looks_like_html(first: bytes, content_type: str) -> bool:
    """A web page (a login, a captive portal) rather than a data file; the body decides."""
    head = first[:512].lstrip().lower()
    labelled = content_type.split(";")[0].strip().lower() in {"text/html", "application/xhtml+xml"}
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or (
        labelled and head.startswith(b"<") and b"<html" in first[:4096].lower())


def download(url: str, dest: Path, timeout: float = 30.0, quiet: bool = False, *,
             deadline: float | None = None, verify: Callable[[Path], None] | None = None,
             stream: IO[str] | None = None) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``. ``verify`` gets the complete
    file and raises on wrong bytes; ``timeout`` bounds each wait for the server, ``deadline`` (a
    monotonic time) the whole transfer. Failures raise :class:`DownloadError`, leaving no file."""

    def remaining() -> float:
        left = float("inf") if deadline is None else deadline - time.monotonic()
        if left <= 0:
            raise DeadlineError(f"{url}: gave up at the overall download deadline.")
        return min(timeout, left)

    progress = None
    written = 0
    ok = False
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "brainkit"})
        with atomic_path(dest, ".part") as tmp:
            with (open(tmp, "wb") as out,
                  urllib.request.urlopen(request, timeout=remaining()) as response):
                total = int(response.headers.get("Content-Length") or 0)
                content_type = response.headers.get("Content-Type") or ""
                progress = None if quiet else _Progress(url, total, stream or sys.stderr)
                while chunk := _read(response, remaining()):
                    if not written and _looks_like_html(chunk, content_type):
                        raise VerifyError(f"{url}: the server sent a web page (HTML), not the "
                                          "data file (a wrong address, or a login page).")
                    out.write(chunk)
                    written += len(chunk)
                    if progress:
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
        ok = True
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except DownloadError:
        raise
    except (http.client.HTTPException, OSError, ValueError) as exc:  # URLError is an OSError
        if isinstance(exc, OSError) and exc.filename:  # a local file, not the network
            why = writable_dir(dest.parent) or exc.strerror or exc
            raise DownloadError(f"cannot write in {dest.parent} ({why}).") from exc
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
    return dest
