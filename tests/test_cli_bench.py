"""``brainkit bench``: one process per backend, a table, skipped backends named."""

from __future__ import annotations

import json

from click.testing import CliRunner

from brainkit import runtime
from brainkit.cli import bench as bench_module
from brainkit.cli import main


def _first_backend():
    return runtime.available_backends()[0]


def test_bench_one_backend_table():
    backend = _first_backend()
    result = CliRunner().invoke(main, ["bench", "--epochs", "1", "--backends", backend])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "backend" in out and "s/epoch" in out and "accuracy" in out
    row = next(line for line in out.splitlines() if line.startswith(backend + " "))
    assert "failed" not in row
    accuracy = float(row.split()[4])
    assert 0.3 < accuracy <= 1.0  # one epoch on the 5,000-image sample
    assert f"Fastest here: {backend}" in out


def test_bench_json_and_skips(monkeypatch):
    backend = _first_backend()
    others = [b for b in bench_module.BACKENDS if b != backend]
    installed = {backend}
    monkeypatch.setattr(
        "brainkit.runtime.available_backends",
        lambda: [b for b in runtime.BACKENDS if b in installed],
    )
    result = CliRunner().invoke(
        main, ["bench", "--epochs", "1", "--json", "--backends", ",".join([backend, *others])]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dataset"] == "fashion_mnist_sample" and report["skipped"] == others
    (row,) = report["results"]
    assert row["backend"] == backend and "error" not in row
    assert row["import_s"] > 0 and row["s_per_epoch"] > 0 and len(row["epoch_s"]) == 1


def test_bench_errors():
    result = CliRunner().invoke(main, ["bench", "--backends", "theano"])
    assert result.exit_code != 0 and "unknown backend" in result.output


def test_bench_module_imports_only_click():
    import subprocess
    import sys

    code = (
        "import sys, brainkit.cli.bench; "
        "print(sorted(m for m in ('keras', 'numpy', 'jax', 'torch', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
