"""The wheel as users get it: built, installed into a clean venv, run from there."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--sdist", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    return next(out.glob("brainkit-*.whl"))


def test_wheel_and_sdist_carry_the_sample(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "brainkit/datasets/data/fashion_mnist_sample.npz" in names
    assert "brainkit/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[brainkit.architectures]" in text and "[console_scripts]" in text
    import tarfile

    sdist = next(wheel.parent.glob("brainkit-*.tar.gz"))
    members = tarfile.open(sdist).getnames()
    assert any(m.endswith("src/brainkit/datasets/data/fashion_mnist_sample.npz") for m in members)


def test_installed_wheel_runs_info_and_show(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(subprocess.check_output([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    # Dependencies come from the test environment (no network needed) but brainkit itself only from the wheel:
    # a plain path line in a .pth file does not run that folder's own .pth files (the editable install's finder).
    (site / "_deps_from_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env.update(BRAINKIT_DATA=str(tmp_path / "cache"), BRAINKIT_OFFLINE="1", MPLBACKEND="Agg")
    where = subprocess.run([str(py), "-c", "import brainkit; print(brainkit.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert str(site) in where, f"brainkit was imported from {where}, not from the wheel"
    brainkit_cli = venv / "bin" / "brainkit"
    info = subprocess.run([str(brainkit_cli), "info"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert info.returncode == 0, info.stderr
    assert "fashion_mnist_sample: embedded" in info.stdout and str(site) in info.stdout
    show = subprocess.run([str(brainkit_cli), "show", "fashion_mnist_sample", "--out", "grid.png"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert show.returncode == 0, show.stderr
    assert (tmp_path / "grid.png").stat().st_size > 10_000
