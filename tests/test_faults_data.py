"""Fault injection for data: bad mirrors, killed writers, tampered caches, unwritable folders.

Real parts only: a local HTTP server on 127.0.0.1 whose endpoints misbehave
(wrong bytes, an HTML page, a body cut short without Content-Length, a
trickle, a stall, 404, 500), real signals sent to real subprocesses, real
file permissions (the tests that need them run as ``nobody`` through
``setpriv``, since root ignores permissions), and concurrent processes. The
data are tiny generated IDX files, so each test takes seconds.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.server
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from brainkit.datasets import DataNotFoundError
from brainkit.datasets._fetch import DownloadError, _Progress, download
from brainkit.datasets._mnist_family import FASHION_MNIST, IdxFile, load_mnist_family
from test_datasets import FILENAMES, idx_bytes
from test_datasets import tiny_set as _tiny_set

REPO = Path(__file__).resolve().parents[1]


def tiny_set(seed: int = 0, n_train: int = 40, n_test: int = 20) -> dict[str, np.ndarray]:
    return _tiny_set(seed, n_train, n_test)


def spec_fields(arrays, system_dir, name="tiny_faults"):
    return {
        "name": name,
        "idx_files": [[role, FILENAMES[role], hashlib.sha256(idx_bytes(a)).hexdigest(), a.ndim] for role, a in arrays.items()],
        "system_dirs": [str(system_dir)],
        "n_train": len(arrays["x_train"]),
        "n_test": len(arrays["x_test"]),
    }


def make_spec(fields):
    return dataclasses.replace(
        FASHION_MNIST,
        name=fields["name"],
        idx_files=tuple(IdxFile(*f) for f in fields["idx_files"]),
        system_dirs=tuple(fields["system_dirs"]),
        n_train=fields["n_train"],
        n_test=fields["n_test"],
    )


def write_idx_files(folder, arrays):
    folder.mkdir(parents=True, exist_ok=True)
    for role, array in arrays.items():
        (folder / FILENAMES[role]).write_bytes(gzip.compress(idx_bytes(array), mtime=0))


def leftovers(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.rglob("*") if ".~bk-" in p.name or p.name.endswith(".part"))


@pytest.fixture
def tiny(isolated_data, tmp_path):
    """A tiny Fashion-MNIST-like data set: its arrays, its spec, and an empty system folder."""
    arrays = tiny_set()
    fields = spec_fields(arrays, tmp_path / "no-system")
    return arrays, make_spec(fields), fields


# --------------------------------------------------------------------------- a bad server


class _BadHandler(http.server.BaseHTTPRequestHandler):
    """``/MODE/NAME`` serves the file NAME from the server's root, misbehaving as MODE says."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        server = self.server
        server.requests.append(self.path)
        parts = self.path.strip("/").split("/")
        mode, name = parts[0], parts[-1]
        path = Path(server.root) / name
        if mode in {"404"} or not path.is_file():
            self.send_error(404, "Not Found")
            return
        if mode == "500":
            self.send_error(500, "Internal Server Error")
            return
        body = path.read_bytes()
        if mode == "wrong":  # a valid gzip file of other data
            body = gzip.compress(np.random.default_rng(1).bytes(len(body)), mtime=0)
        elif mode == "garbage":
            body = np.random.default_rng(1).bytes(len(body))
        elif mode == "html":
            page = b"<!DOCTYPE html><html><body>Please sign in to continue.</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return
        if mode == "nolen":  # half the body, no Content-Length, then the connection closes
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "trickle":  # a byte every 20 ms: never a timeout, never done
            for i in range(len(body)):
                if server.stopping.wait(0.02):
                    return
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
            return
        if mode == "stall":  # headers and a few bytes, then silence
            self.wfile.write(body[:10])
            self.wfile.flush()
            server.stopping.wait(20)
            return
        self.wfile.write(body)


@pytest.fixture
def bad_server(tmp_path):
    """A real HTTP server on 127.0.0.1 with misbehaving endpoints; it stops itself after 60 s."""
    root = tmp_path / "served"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BadHandler)
    server.daemon_threads = True
    server.root = root
    server.requests = []
    server.stopping = threading.Event()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    watchdog = threading.Timer(60, server.shutdown)
    watchdog.daemon = True
    watchdog.start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    server.url = lambda mode="ok": f"{base}{mode}/"
    yield server
    server.stopping.set()
    watchdog.cancel()
    server.shutdown()
    server.server_close()


# ------------------------------------------------------------------------------ downloads


@pytest.mark.parametrize("mode", ["wrong", "garbage", "html", "nolen", "404", "500"])
def test_a_bad_mirror_is_discarded_and_the_next_one_used(tiny, bad_server, mode):
    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    data = load_mnist_family(spec, mirrors=[bad_server.url(mode), bad_server.url("ok")], quiet=True)
    assert data.source == "download"
    np.testing.assert_array_equal(data.x_test, arrays["x_test"])
    folder = Path(os.environ["BRAINKIT_DATA"]) / spec.name
    assert leftovers(folder) == []
    assert load_mnist_family(spec, mirrors=["http://127.0.0.1:9/"], quiet=True).source == "cache"


@pytest.mark.parametrize(
    ("mode", "said"),
    [
        ("wrong", "served the wrong bytes"),
        ("html", "sent a web page (HTML)"),
        ("garbage", "not a gzip file"),
        ("nolen", "the transfer was cut off"),
    ],
)
def test_a_mirror_serving_bad_bytes_keeps_nothing_and_says_so(tiny, bad_server, mode, said):
    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    with pytest.raises(DataNotFoundError) as info:
        load_mnist_family(spec, mirrors=[bad_server.url(mode)], quiet=True)
    message = str(info.value)
    assert said in message and "mirrors=[...]" in message and "BRAINKIT_MIRRORS" in message
    assert "Delete" not in message  # nothing was kept, so there is nothing to delete
    folder = Path(os.environ["BRAINKIT_DATA"]) / spec.name
    assert not list(folder.glob("*.gz")) and leftovers(folder) == []


def test_a_trickling_server_meets_the_overall_deadline(tiny, bad_server):
    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    start = time.monotonic()
    with pytest.raises(DataNotFoundError) as info:
        load_mnist_family(spec, mirrors=[bad_server.url("trickle")], quiet=True, timeout=5, deadline=1.0)
    assert time.monotonic() - start < 4
    message = str(info.value)
    assert "overall download deadline" in message and "BRAINKIT_DOWNLOAD_DEADLINE" in message
    assert leftovers(Path(os.environ["BRAINKIT_DATA"])) == []


def test_a_stalled_server_times_out_and_the_next_mirror_is_used(tiny, bad_server):
    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    start = time.monotonic()
    data = load_mnist_family(spec, mirrors=[bad_server.url("stall"), bad_server.url("ok")], quiet=True, timeout=0.5)
    assert data.source == "download" and time.monotonic() - start < 4
    # The stalled mirror is asked once, not once per file.
    assert sum(r.startswith("/stall/") for r in bad_server.requests) == 1


def test_timeout_and_mirrors_from_the_environment(tiny, bad_server, monkeypatch):
    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    monkeypatch.setenv("BRAINKIT_MIRRORS", f"{bad_server.url('stall')},{bad_server.url('ok')}")
    monkeypatch.setenv("BRAINKIT_TIMEOUT", "0.5")
    start = time.monotonic()
    assert load_mnist_family(spec, quiet=True).source == "download"
    assert time.monotonic() - start < 4


def test_progress_bar_shows_size_and_rate_and_quiet_silences_it(tmp_path, bad_server):
    (bad_server.root / "blob.bin").write_bytes(bytes(300_000))
    err = io.StringIO()
    download(bad_server.url() + "blob.bin", tmp_path / "a.bin", stream=err)
    text = err.getvalue()
    assert "downloading" in text and "300.0 kB" in text and "MB/s" in text

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty = Tty()
    bar = _Progress("http://x/blob.bin", 1000, tty)
    bar.update(500, final=True)
    bar.close(1000, ok=True)
    assert "50%" in tty.getvalue() and "/s" in tty.getvalue() and "\r" in tty.getvalue()

    quiet = io.StringIO()
    download(bad_server.url() + "blob.bin", tmp_path / "b.bin", quiet=True, stream=quiet)
    assert quiet.getvalue() == ""


def test_download_failures_never_leave_a_partial_file(tmp_path, bad_server):
    (bad_server.root / "blob.bin").write_bytes(bytes(1000))
    for mode in ("404", "500", "nolen", "html"):
        with pytest.raises(DownloadError):
            download(bad_server.url(mode) + "blob.bin", tmp_path / "out" / "blob.bin", quiet=True,
                     verify=lambda p: None if p.stat().st_size == 1000 else 1 / 0)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == []


def test_a_download_that_cannot_be_written_blames_the_folder_not_the_server(tmp_path, bad_server):
    (bad_server.root / "blob.bin").write_bytes(bytes(1000))
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(DownloadError, match=r"^cannot write in .*a-file \(it is a file, not a folder\)"):
        download(bad_server.url() + "blob.bin", tmp_path / "a-file" / "blob.bin", quiet=True)


def test_cli_fetch_with_mirror_timeout_and_quiet(tiny, bad_server, monkeypatch):
    from brainkit.cli import main

    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    from brainkit.datasets import _base

    entry = dataclasses.replace(_base._REGISTRY["fashion_mnist"], name="tiny_faults",
                                loader=lambda **kw: load_mnist_family(spec, **kw))
    monkeypatch.setitem(_base._REGISTRY, "tiny_faults", entry)
    result = CliRunner().invoke(
        main,
        ["fetch", "tiny_faults", "--mirror", bad_server.url("stall"), "--mirror", bad_server.url("ok"),
         "--timeout", "0.5", "-q"],
    )
    assert result.exit_code == 0, result.output
    assert "Dataset('tiny_faults'" in result.output and "downloading" not in result.output
    result = CliRunner().invoke(main, ["fetch", "tiny_faults", "--mirror", "http://127.0.0.1:9/"])
    assert result.exit_code == 0 and "cache" in result.output  # cached now: no download


# ------------------------------------------------------------------ subprocesses and signals

CHILD = """
import dataclasses, json, sys
from brainkit.datasets._mnist_family import FASHION_MNIST, IdxFile, load_mnist_family
f = json.loads(sys.argv[1])
spec = dataclasses.replace(FASHION_MNIST, name=f["name"], idx_files=tuple(IdxFile(*x) for x in f["idx_files"]),
                           system_dirs=tuple(f["system_dirs"]), n_train=f["n_train"], n_test=f["n_test"])
kw = json.loads(sys.argv[2])
if kw.pop("hang_in_cache_write", False):
    import os, time
    from brainkit.datasets import _cache
    real = _cache.atomic_write_bytes
    def slow(path, data):
        if str(path).endswith("x_test.npy"):
            from brainkit._atomic import atomic_path
            with atomic_path(path) as tmp:
                with open(tmp, "wb") as fh:
                    fh.write(bytes(data)[: len(data) // 2]); fh.flush()
                print("WRITING", flush=True)
                time.sleep(60)
        return real(path, data)
    _cache.atomic_write_bytes = slow
data = load_mnist_family(spec, **kw)
print(json.dumps({"source": data.source, "location": data.location, "sum": int(data.x_train.sum())}), flush=True)
"""


def _child_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _start_child(fields, kwargs, **popen):
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, json.dumps(fields), json.dumps(kwargs)],
        env=popen.pop("env", None) or _child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen,
    )


def _wait_for(predicate, seconds=20.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _signal_during_a_download(tiny, bad_server, sig):
    """Start a child downloading from the trickling endpoint, send ``sig`` mid-file; return (folder, stderr)."""
    arrays, spec, fields = tiny
    write_idx_files(bad_server.root, arrays)
    folder = Path(os.environ["BRAINKIT_DATA"]) / spec.name
    child = _start_child(fields, {"mirrors": [bad_server.url("trickle")], "quiet": True})
    try:
        if not _wait_for(lambda: leftovers(folder) or child.poll() is not None):
            child.kill()
        assert leftovers(folder), f"the download never started: {child.communicate(timeout=20)}"
        child.send_signal(sig)
        _, err = child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode != 0
    return folder, err


def test_ctrl_c_during_a_download_leaves_nothing(tiny, bad_server):
    folder, err = _signal_during_a_download(tiny, bad_server, signal.SIGINT)
    assert "KeyboardInterrupt" in err
    assert leftovers(folder) == [] and not list(folder.glob("*.gz"))


def test_kill_9_during_a_download_is_swept_at_the_next_load(tiny, bad_server):
    folder, _ = _signal_during_a_download(tiny, bad_server, signal.SIGKILL)
    assert leftovers(folder), "kill -9 leaves the writer's temporary file"
    arrays, spec, _ = tiny
    data = load_mnist_family(spec, mirrors=[bad_server.url("ok")], quiet=True)
    assert data.source == "download" and leftovers(folder) == []


def test_kill_9_during_a_cache_write_never_poisons_the_cache(tiny, tmp_path):
    arrays, spec, fields = tiny
    write_idx_files(Path(fields["system_dirs"][0]), arrays)
    folder = Path(os.environ["BRAINKIT_DATA"]) / spec.name
    child = _start_child(fields, {"download": False, "hang_in_cache_write": True})
    try:
        assert child.stdout.readline().strip() == "WRITING"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=20)
    finally:
        child.kill()
    assert leftovers(folder), "the killed writer left its temporary file"
    assert not (folder / "arrays-v2" / "manifest.json").exists()
    first = load_mnist_family(spec, download=False)
    assert first.source == "system" and leftovers(folder) == []
    again = load_mnist_family(spec, download=False)
    assert again.source == "cache"
    np.testing.assert_array_equal(again.x_test, arrays["x_test"])


def test_four_processes_load_at_once(tiny):
    arrays, spec, fields = tiny
    write_idx_files(Path(fields["system_dirs"][0]), arrays)
    children = [_start_child(fields, {"download": False}) for _ in range(4)]
    results = []
    for child in children:
        out, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert {r["sum"] for r in results} == {int(arrays["x_train"].sum())}
    data = load_mnist_family(spec, download=False)
    assert data.source == "cache" and leftovers(Path(os.environ["BRAINKIT_DATA"])) == []


# -------------------------------------------------------------------------- a tampered cache


def _warm(spec, arrays):
    write_idx_files(Path(spec.system_dirs[0]), arrays)
    load_mnist_family(spec, download=False)
    return next(Path(os.environ["BRAINKIT_DATA"]).glob(f"{spec.name}/arrays-v*"))


@pytest.mark.parametrize(
    "tamper",
    ["int8_same_size", "reshaped_same_size", "new_contents", "in_place_with_old_times", "truncated", "manifest_garbage"],
)
def test_a_tampered_cache_is_never_used(tiny, caplog, tamper):
    arrays, spec, _ = tiny
    folder = _warm(spec, arrays)
    x_test = folder / "x_test.npy"
    if tamper == "int8_same_size":
        np.save(x_test, np.load(x_test).astype(np.int8))
    elif tamper == "reshaped_same_size":
        np.save(x_test, np.load(x_test).reshape(len(arrays["x_test"]), 784))
    elif tamper == "new_contents":
        np.save(x_test, np.zeros_like(arrays["x_test"]))
    elif tamper == "in_place_with_old_times":
        st = x_test.stat()
        with open(x_test, "r+b") as fh:
            fh.seek(200)
            fh.write(bytes(64))
        os.utime(x_test, ns=(st.st_atime_ns, st.st_mtime_ns))
    elif tamper == "truncated":
        x_test.write_bytes(x_test.read_bytes()[:1000])
    elif tamper == "manifest_garbage":
        (folder / "manifest.json").write_text("{not json")
    assert x_test.exists()
    with caplog.at_level(logging.WARNING, logger="brainkit.datasets"):
        data = load_mnist_family(spec, download=False)
    assert data.source == "system"  # rebuilt from the verified files, not read from the cache
    np.testing.assert_array_equal(data.x_test, arrays["x_test"])
    assert data.x_test.dtype == np.uint8
    if tamper != "manifest_garbage":
        assert any("rebuilding it" in r.getMessage() for r in caplog.records)
    assert load_mnist_family(spec, download=False).source == "cache"


def test_a_copied_cache_is_verified_in_full_once(tiny):
    arrays, spec, _ = tiny
    folder = _warm(spec, arrays)
    for npy in folder.glob("*.npy"):  # a copy: same bytes, new inode and ctime
        data = npy.read_bytes()
        npy.unlink()
        npy.write_bytes(data)
    before = json.loads((folder / "manifest.json").read_text())
    assert load_mnist_family(spec, download=False).source == "cache"
    after = json.loads((folder / "manifest.json").read_text())
    assert after["files"]["x_test"]["identity"] != before["files"]["x_test"]["identity"]


def test_the_warm_load_stays_fast(isolated_data, tmp_path):
    """The checks on read cost little: a warm load of a 6 MB data set stays well under 20 ms."""
    arrays = tiny_set(n_train=6000, n_test=1000)
    spec = make_spec(spec_fields(arrays, tmp_path / "system"))
    _warm(spec, arrays)
    times = []
    for _ in range(10):
        start = time.perf_counter()
        data = load_mnist_family(spec, download=False)
        times.append(time.perf_counter() - start)
    assert data.source == "cache"
    assert sorted(times)[len(times) // 2] < 0.020


def test_stale_temp_files_of_dead_writers_are_swept_live_ones_kept(tiny):
    from brainkit._atomic import temp_prefix

    arrays, spec, _ = tiny
    folder = Path(os.environ["BRAINKIT_DATA"]) / spec.name
    folder.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    mine = folder / (temp_prefix("x.gz") + "abc.part")
    theirs = folder / (temp_prefix("x.gz").replace(f"-{os.getpid()}-", f"-{dead_pid}-") + "abc.part")
    for p in (mine, theirs):
        p.write_bytes(b"half")
    with pytest.raises(DataNotFoundError):
        load_mnist_family(spec, download=False)
    assert mine.exists() and not theirs.exists()


# ---------------------------------------------------------------------- unwritable folders


def test_brainkit_data_naming_a_file_falls_back_with_one_note(tiny, bad_server, tmp_path, monkeypatch, caplog):
    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    not_a_folder = tmp_path / "data-file"
    not_a_folder.write_text("oops")
    monkeypatch.setenv("BRAINKIT_DATA", str(not_a_folder))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    from brainkit.datasets import _locations

    monkeypatch.setattr(_locations, "_noted", set())
    with caplog.at_level(logging.WARNING, logger="brainkit.datasets"):
        data = load_mnist_family(spec, mirrors=[bad_server.url("ok")], quiet=True)
        again = load_mnist_family(spec, mirrors=["http://127.0.0.1:9/"], quiet=True)
    assert data.source == "download" and again.source == "cache"
    assert str(tmp_path / "tmp") in again.location
    notes = [r.getMessage() for r in caplog.records if "cannot write the data cache" in r.getMessage()]
    assert len(notes) == 1 and "is a file, not a folder" in notes[0] and "BRAINKIT_DATA" in notes[0]
    assert not_a_folder.read_text() == "oops"


OTHER_UID = 65534  # nobody


def _as_nobody():
    """The command prefix that makes a child subject to file permissions.

    Root ignores permissions, so as root the child runs as ``nobody`` (``setpriv``);
    any other user is subject to them already.
    """
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv to run a child as another user")
    return ["setpriv", f"--reuid={OTHER_UID}", f"--regid={OTHER_UID}", "--clear-groups", "--"]


def _child_uid():
    return OTHER_UID if os.geteuid() == 0 else os.getuid()


@pytest.fixture
def readonly_home(tmp_path):
    """A HOME that user ``nobody`` cannot write, and a temporary folder it can."""
    base = Path(tempfile.mkdtemp(prefix="bk-faults-", dir="/tmp"))
    home, tmp = base / "home", base / "tmp"
    home.mkdir()
    tmp.mkdir()
    os.chmod(base, 0o755)
    os.chmod(home, 0o555)
    os.chmod(tmp, 0o1777)
    yield home, tmp
    shutil.rmtree(base, ignore_errors=True)


def test_read_only_home_downloads_into_a_private_temp_folder(tiny, bad_server, readonly_home):
    arrays, spec, fields = tiny
    write_idx_files(bad_server.root, arrays)
    home, tmp = readonly_home
    env = _child_env(HOME=home, TMPDIR=tmp)
    for name in ("BRAINKIT_DATA", "KERAS_HOME", "XDG_CACHE_HOME"):
        env.pop(name, None)
    cmd = [*_as_nobody(), sys.executable, "-c", CHILD, json.dumps(fields)]
    first = subprocess.run([*cmd, json.dumps({"mirrors": [bad_server.url("ok")], "quiet": True})],
                           env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    notes = [line for line in first.stderr.splitlines() if "cannot write the data cache" in line]
    assert len(notes) == 1 and "Permission denied" in notes[0] and "BRAINKIT_DATA" in notes[0]
    assert json.loads(first.stdout.splitlines()[-1])["source"] == "download"
    private = tmp / f"brainkit-{_child_uid()}"
    assert private.is_dir() and (private.stat().st_mode & 0o777) == 0o700
    second = subprocess.run([*cmd, json.dumps({"mirrors": ["http://127.0.0.1:9/"], "quiet": True})],
                            env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout.splitlines()[-1])["source"] == "cache"


def test_read_only_home_and_no_network_brainkit_train_uses_the_sample(readonly_home, tmp_path):
    home, tmp = readonly_home
    out = tmp / "run"
    env = _child_env(HOME=home, TMPDIR=tmp, BRAINKIT_MIRRORS="http://127.0.0.1:9/", KERAS_BACKEND="jax",
                     MPLBACKEND="Agg", JAX_PLATFORMS="cpu")
    for name in ("BRAINKIT_DATA", "KERAS_HOME", "XDG_CACHE_HOME", "BRAINKIT_OFFLINE"):
        env.pop(name, None)
    # The full data set must be nowhere: hide the system install (Debian's package) from this child.
    child = (
        "import dataclasses, sys\n"
        "from brainkit.datasets import _base, _mnist_family as m\n"
        "spec = dataclasses.replace(m.FASHION_MNIST, system_dirs=())\n"
        "_base._REGISTRY['fashion_mnist'] = dataclasses.replace(\n"
        "    _base._REGISTRY['fashion_mnist'], loader=lambda **kw: m.load_mnist_family(spec, **kw))\n"
        "from brainkit.cli import main\n"
        "main(sys.argv[1:], prog_name='brainkit')\n"
    )
    result = subprocess.run(
        [*_as_nobody(), sys.executable, "-c", child, "train", "--arch", "linear", "--epochs", "1",
         "-q", "--no-plots", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "cannot write the data cache" in result.stderr
    assert "embedded" in result.stderr and "sample" in result.stderr
    assert (out / "metrics.json").is_file()


def test_an_edit_between_the_sampled_blocks_is_caught_by_the_file_identity(isolated_data, tmp_path, caplog):
    arrays = tiny_set(n_train=200, n_test=20)
    spec = make_spec(spec_fields(arrays, tmp_path / "system"))
    folder = _warm(spec, arrays)
    x_train = folder / "x_train.npy"
    size = x_train.stat().st_size
    offset = (size - 4096) // 16 + 4096 + 100  # after the second sampled block, before the third
    assert offset + 8 < 2 * (size - 4096) // 16
    st = x_train.stat()
    with open(x_train, "r+b") as fh:
        fh.seek(offset)
        fh.write(bytes(8))
    os.utime(x_train, ns=(st.st_atime_ns, st.st_mtime_ns))  # even with its times put back
    with caplog.at_level(logging.WARNING, logger="brainkit.datasets"):
        data = load_mnist_family(spec, download=False)
    assert data.source == "system" and any("contents changed" in r.getMessage() for r in caplog.records)
    np.testing.assert_array_equal(data.x_train, arrays["x_train"])


# ------------------------------------------------------------------ the compile cache

COMPILE = """
import sys
from brainkit.runtime import enable_compile_cache
import jax, jax.numpy as jnp
print("CACHE", enable_compile_cache(), flush=True)
for i in range(4):
    jax.jit(lambda x, i=i: x * (i + 1) + jnp.sin(x))(jnp.ones(3)).block_until_ready()
"""


def _compile_run(cache: Path, *prefix: str) -> subprocess.CompletedProcess:
    env = _child_env(BRAINKIT_DATA=cache, JAX_PLATFORMS="cpu", PYTHONWARNINGS="always")
    env.pop("BRAINKIT_COMPILE_CACHE", None)
    return subprocess.run([*prefix, sys.executable, "-c", COMPILE], env=env, capture_output=True, text=True, timeout=120)


def test_a_corrupt_compile_cache_entry_is_removed_with_one_line(tmp_path):
    pytest.importorskip("jax")
    cache = tmp_path / "cache"
    first = _compile_run(cache)
    assert first.returncode == 0, first.stderr
    entries = sorted((cache / "compiled" / "jax").glob("*-cache"))
    assert len(entries) >= 4
    for entry in entries:  # what a run killed while JAX saved them leaves
        entry.write_bytes(entry.read_bytes()[:20])
    second = _compile_run(cache)
    assert second.returncode == 0, second.stderr
    assert "Error reading persistent compilation cache" not in second.stderr
    assert second.stderr.count("removing unreadable entries from the compile cache") == 1
    third = _compile_run(cache)
    assert third.returncode == 0 and "compile cache" not in third.stderr and "Error" not in third.stderr
    assert all(entry.stat().st_size > 20 for entry in entries)  # compiled and saved again


def test_an_unwritable_compile_cache_is_skipped_quietly(readonly_home):
    pytest.importorskip("jax")
    home, _ = readonly_home
    result = _compile_run(home / "cache", *_as_nobody())
    assert result.returncode == 0, result.stderr
    assert "CACHE None" in result.stdout and "Error writing" not in result.stderr


def test_a_damaged_download_in_the_cache_is_replaced(tiny, bad_server, caplog):
    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    load_mnist_family(spec, mirrors=[bad_server.url("ok")], quiet=True)
    folder = Path(os.environ["BRAINKIT_DATA"]) / spec.name
    shutil.rmtree(next(folder.glob("arrays-v*")))
    damaged = folder / FILENAMES["x_test"]
    damaged.write_bytes(damaged.read_bytes()[:-40])  # a disk that filled up, a bad sector
    with caplog.at_level(logging.WARNING, logger="brainkit.datasets"):
        data = load_mnist_family(spec, mirrors=[bad_server.url("ok")], quiet=True)
    assert data.source == "cache+download"
    np.testing.assert_array_equal(data.x_test, arrays["x_test"])
    assert any("is damaged; removed it" in r.getMessage() for r in caplog.records)


def test_status_finds_the_fallback_cache(tiny, bad_server, tmp_path, monkeypatch):
    from brainkit.datasets._mnist_family import status_of

    arrays, spec, _ = tiny
    write_idx_files(bad_server.root, arrays)
    monkeypatch.setenv("BRAINKIT_DATA", str(tmp_path / "data-file"))
    (tmp_path / "data-file").write_text("")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    assert status_of(spec)["state"].startswith("missing")
    assert not (tmp_path / "tmp" / f"brainkit-{os.getuid()}").exists()  # looking creates nothing
    load_mnist_family(spec, mirrors=[bad_server.url("ok")], quiet=True)
    assert status_of(spec)["state"] == "cached, verified"


def test_a_data_set_folder_owned_by_someone_else_falls_back(tiny, bad_server, tmp_path):
    """A shared cache whose data set folder this user cannot write: a note, then the private folder."""
    arrays, spec, fields = tiny
    write_idx_files(bad_server.root, arrays)
    shared = Path(tempfile.mkdtemp(prefix="bk-shared-", dir="/tmp"))
    try:
        (shared / spec.name).mkdir()
        os.chmod(shared, 0o777)
        os.chmod(shared / spec.name, 0o555)  # not writable by the child's user
        tmp = shared / "tmp"
        tmp.mkdir(mode=0o1777)
        os.chmod(tmp, 0o1777)
        env = _child_env(BRAINKIT_DATA=shared, TMPDIR=tmp)
        result = subprocess.run(
            [*_as_nobody(), sys.executable, "-c", CHILD, json.dumps(fields),
             json.dumps({"mirrors": [bad_server.url("ok")], "quiet": True})],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
        assert f"cannot write the data cache {shared / spec.name} (Permission denied)" in result.stderr
        assert json.loads(result.stdout.splitlines()[-1])["source"] == "download"
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_nowhere_writable_at_all_is_a_clear_error(tiny, tmp_path, monkeypatch):
    arrays, spec, _ = tiny
    monkeypatch.setattr("brainkit.datasets._mnist_family.usable_cache_dir", lambda name: None)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing-tmp"))
    with pytest.raises(DataNotFoundError, match="no folder can be written to download into"):
        load_mnist_family(spec, mirrors=["http://127.0.0.1:9/"], quiet=True)
