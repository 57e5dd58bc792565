"""``brainkit bench``: one process per backend, a table, skipped backends named."""

from __future__ import annotations

import json

import pytest
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
        "brainkit.cli.bench.available_backends",
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


def test_bench_module_imports_no_keras_or_backend():
    import subprocess
    import sys

    code = (
        "import sys, brainkit.cli.bench; "
        "print(sorted(m for m in ('keras', 'jax', 'torch', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fastest_is_the_shortest_whole_lesson():
    """Measured on the 2-core machine (sample, 3 epochs): TensorFlow ran a sample epoch a
    little faster than JAX but imports and compiles for seconds longer, and a full lesson
    took 12 s on TensorFlow and 6 s on JAX; the verdict must follow the whole lesson."""
    rows = [
        dict(backend="jax", import_s=1.86, first_epoch_s=0.26, s_per_epoch=0.036),
        dict(backend="torch", import_s=3.66, first_epoch_s=0.16, s_per_epoch=0.119),
        dict(backend="tensorflow", import_s=3.58, first_epoch_s=1.59, s_per_epoch=0.032),
        dict(backend="broken", error="took longer than 300 s"),
    ]
    for row in rows[:3]:
        row.update(examples=5000, recipe_epochs=10)
    # import + compiling (first epoch minus a steady one) + 10 epochs of 12x the sample
    assert bench_module.lesson_seconds(rows[0]) == pytest.approx(1.86 + 0.224 + 0.036 * 120)
    assert bench_module.lesson_seconds(rows[2]) == pytest.approx(3.58 + 1.558 + 0.032 * 120)
    assert bench_module.fastest_backend(rows) == "jax"
    # On the full data nothing is scaled; a first epoch faster than the rest adds nothing.
    full = dict(rows[1], examples=60_000, first_epoch_s=0.1)
    assert bench_module.lesson_seconds(full) == pytest.approx(3.66 + 0.119 * 10)
    assert bench_module.fastest_backend([rows[3]]) is None
