"""Shared fixtures: an isolated data cache, a local HTTP mirror, the real Fashion-MNIST."""

from __future__ import annotations

import http.server
import os
import threading
from pathlib import Path

import pytest

FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """Point brainkit's and Keras's caches at empty folders and allow no stray downloads."""
    cache = tmp_path / "brainkit-cache"
    monkeypatch.setenv("BRAINKIT_DATA", str(cache))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.delenv("BRAINKIT_OFFLINE", raising=False)
    monkeypatch.setenv("BRAINKIT_MIRRORS", "http://127.0.0.1:9/")  # refused at once: never the internet
    return cache


@pytest.fixture
def real_fashion_dir():
    """The Debian ``dataset-fashion-mnist`` folder; CI installs it, so it must exist there."""
    if not all((FASHION_SYSTEM_DIR / f).is_file() for f in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")):
        if os.environ.get("CI"):
            pytest.fail("CI must install Debian's dataset-fashion-mnist (see .ci/run)")
        pytest.skip("Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)")
    return FASHION_SYSTEM_DIR


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files from ``server.root``; ``/fail/...`` answers 500, ``/short/...`` cuts the body."""

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        if self.path.startswith("/fail/"):
            self.send_error(500, "Internal Server Error")
            return
        if self.path.startswith("/short/"):
            body = (Path(self.server.root) / self.path.split("/")[-1]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def translate_path(self, path):
        return str(Path(self.server.root) / path.lstrip("/").split("/")[-1])


@pytest.fixture
def http_mirror(tmp_path):
    """A real HTTP server on 127.0.0.1 serving files the test writes into ``mirror.root``."""
    root = tmp_path / "mirror"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.root = root
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield server
    server.shutdown()
    server.server_close()
