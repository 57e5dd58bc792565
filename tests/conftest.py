"""Shared fixtures: the embedded sample, an isolated data cache, a local HTTP mirror, the real
Fashion-MNIST, plugins."""

from __future__ import annotations

import http.server
import itertools
import os
import sys
import textwrap
import threading
from pathlib import Path

import pytest

FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def sample():
    """The embedded ``fashion_mnist_sample`` (loaded once per test module)."""
    from brainkit import datasets

    return datasets.load("fashion_mnist_sample")


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


# ------------------------------------------------------------------ architecture plugins

#: A working plugin module; ``{api}`` becomes its declared plugin API version.
GOOD_PLUGIN = """
from brainkit.architectures import Recipe, architecture

@architecture(description="A good one.", recipe=Recipe(epochs=1), api_version={api})
def build(input_shape, num_classes, units=4):
    import keras
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Dense(units, activation="relu")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))
"""
_modules = itertools.count()


@pytest.fixture
def fresh_registry(monkeypatch):
    """brainkit's architecture registry with nothing cached and nothing turned off."""
    from brainkit import architectures

    monkeypatch.delenv(architectures.DISABLE_ENV, raising=False)
    architectures.refresh()
    yield architectures
    architectures.refresh()


class PluginSite:
    """A folder on ``sys.path`` where tests install fake distributions with architecture plugins."""

    def __init__(self, path: Path):
        self.path = path
        self.modules: list[str] = []

    def add(self, dist, entry_points, source=GOOD_PLUGIN, *, version="1.0", api=1):
        """Install ``dist`` with ``entry_points`` ({name: attribute}) of one new module; return it."""
        from brainkit import architectures

        module = f"bk_fake_{dist.replace('-', '_')}_{next(_modules)}"
        info = self.path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = "".join(f"{name} = {module}:{attr}\n" for name, attr in entry_points.items())
        (info / "entry_points.txt").write_text(f"[brainkit.architectures]\n{lines}")
        (self.path / f"{module}.py").write_text(textwrap.dedent(source).replace("{api}", repr(api)))
        self.modules.append(module)
        architectures.refresh()
        return module


@pytest.fixture
def plugin_site(tmp_path, monkeypatch, fresh_registry):
    """A :class:`PluginSite` on ``sys.path`` (also the folder to put on a child's PYTHONPATH)."""
    site = PluginSite(tmp_path / "site")
    site.path.mkdir()
    monkeypatch.syspath_prepend(str(site.path))
    yield site
    for module in site.modules:
        sys.modules.pop(module, None)
