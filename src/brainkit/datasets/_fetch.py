"""Download a file atomically: into a temporary file beside the target, then rename.

An interrupted or failed download never leaves a file under the final name,
so nothing half-written is ever trusted by a later load.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from brainkit._atomic import atomic_write_bytes, public_mode

__all__ = ["DownloadError", "download", "atomic_write_bytes"]

_CHUNK = 1 << 16


class DownloadError(OSError):
    """A download failed (network, HTTP status, or an interrupted transfer)."""


def download(url: str, dest: Path, timeout: float = 30.0, quiet: bool = False) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``.

    Parameters
    ----------
    url : str
        Where to fetch from (``http``, ``https`` or ``file``).
    dest : pathlib.Path
        Final path; its folder is created if needed.
    timeout : float
        Seconds to wait for the server before giving up.
    quiet : bool
        If false, print one progress line to standard error.

    Raises
    ------
    DownloadError
        On any network or HTTP error, or a short transfer; ``dest`` is then untouched.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "brainkit"})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            if not quiet:
                size = f" ({total / 1e6:.1f} MB)" if total else ""
                print(f"brainkit: downloading {url}{size}", file=sys.stderr)
            shutil.copyfileobj(response, out, _CHUNK)
            out.flush()
            written = out.tell()
        if total and written != total:
            raise DownloadError(f"{url}: transfer ended after {written} of {total} bytes.")
        os.chmod(tmp, public_mode())
        os.replace(tmp, dest)
    except urllib.error.HTTPError as exc:
        tmp.unlink(missing_ok=True)
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, DownloadError):
            raise
        reason = getattr(exc, "reason", None) or exc
        raise DownloadError(f"{url}: {reason}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest
