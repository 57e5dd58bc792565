"""``brainkit bench``: which Keras backend trains fastest here? One process per backend."""

import json
import os
import statistics
import subprocess
import sys
import tempfile

import click

from brainkit.runtime import BACKENDS, available_backends

__all__ = ["COMMANDS", "bench"]

#: Training images of the full Fashion-MNIST: the lesson estimate scales the sample's epochs to it.
FULL_TRAIN_EXAMPLES = 60_000

# Runs in the child process; prints one JSON line.
_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from brainkit import runtime
keras = runtime.import_keras()
import_s = time.perf_counter() - t0
from brainkit import architectures, datasets, train
arch, dataset, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = train(arch, datasets.load(dataset), epochs=epochs, verbose=0, seed=0)
m, recipe = r.metrics, architectures.get(arch).recipe
print("BENCH " + json.dumps(dict(
    backend=keras.backend.backend(), import_s=import_s, train_s=m["train_seconds"],
    epoch_s=r.fit_settings["epoch_seconds"], accuracy=m["test_accuracy"],
    examples=m["train_examples"], fit_path=r.fit_path, recipe_epochs=recipe.epochs)), flush=True)
"""


def _measure(backend: str, arch: str, dataset: str, epochs: int, timeout: float) -> dict:
    """One backend's row, measured in a child process, or ``{"backend", "error"}``."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, arch, dataset, str(epochs)], capture_output=True,
            env=dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2"), text=True,
            timeout=timeout, cwd=tempfile.gettempdir())  # a jax/ folder here would shadow jax
    except subprocess.TimeoutExpired:
        return {"backend": backend, "error": f"took longer than {timeout:.0f} s"}
    found = [line for line in out.stdout.splitlines() if line.startswith("BENCH ")]
    if not found:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return {"backend": backend, "error": last[:200]}
    row = {"backend": backend, **json.loads(found[0][len("BENCH ") :])}
    times = row.get("epoch_s") or []
    row["first_epoch_s"] = times[0] if times else None
    rest = times[1:] or times  # the first epoch compiles: the median of the others
    row["s_per_epoch"] = (statistics.median(rest) if rest else 0) or row["train_s"] / epochs
    row["lesson_s"] = lesson_seconds(row)
    return row


def lesson_seconds(row: dict, full_examples: int = FULL_TRAIN_EXAMPLES) -> float:
    """Estimated seconds of the whole lesson from one bench row: import, plus compiling (the
    first epoch's extra time), plus the recipe's epochs at the steady pace on ``full_examples``."""
    per_epoch = row["s_per_epoch"] * full_examples / max(int(row["examples"]), 1)
    compiling = max((row.get("first_epoch_s") or row["s_per_epoch"]) - row["s_per_epoch"], 0.0)
    return row["import_s"] + compiling + per_epoch * int(row["recipe_epochs"])


def fastest_backend(rows: list[dict]) -> str | None:
    """The backend of the measured rows with the shortest :func:`lesson_seconds` (None if none)."""
    ok = [r for r in rows if "error" not in r]
    return min(ok, key=lesson_seconds)["backend"] if ok else None


@click.command()
@click.option("--backends", help="Comma-separated backends to measure (default: all installed).")
@click.option("--arch", default="mlp", show_default=True, help="Architecture to train.")
@click.option("--full", is_flag=True, help="Train on the full Fashion-MNIST (60,000 images) "
              "instead of the embedded 5,000-image sample.")
@click.option("--epochs", type=click.IntRange(1, 50), default=3, show_default=True)
@click.option("--timeout", type=float, default=300, show_default=True, help="Seconds per backend.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def bench(backends, arch, full, epochs, timeout, as_json):
    """Measure which Keras backend trains fastest on this machine.

    Each installed backend, in its own process: import time, seconds per epoch (the first, which
    compiles, apart) and test accuracy; the fastest has the shortest estimated whole lesson
    (import, compiling and the recipe's epochs on 60,000 images).
    """
    wanted = [b.strip().lower() for b in (backends or ",".join(BACKENDS)).split(",") if b.strip()]
    if unknown := [b for b in wanted if b not in BACKENDS]:
        raise click.BadParameter(f"unknown backend(s) {', '.join(unknown)}; choose from "
                                 f"{', '.join(BACKENDS)}", param_hint="--backends")
    installed = available_backends()
    skipped = [b for b in wanted if b not in installed]
    chosen = [b for b in wanted if b in installed]
    if not chosen:
        raise click.ClickException(f'None of {", ".join(wanted)} is installed; install one, '
                                   'e.g. pip install "brainkit[jax]".')
    dataset = "fashion_mnist" if full else "fashion_mnist_sample"
    if not as_json:
        click.echo(f"Training {arch!r} on {dataset} for {epochs} epoch{'s' if epochs != 1 else ''}"
                   f" on {', '.join(chosen)} (one process each)...")
    rows = []
    for backend in chosen:
        rows.append(_measure(backend, arch, dataset, epochs, timeout))
        if not as_json:
            click.echo(f"  {backend}: {'failed' if 'error' in rows[-1] else 'done'}")
    if as_json:
        report = dict(dataset=dataset, arch=arch, epochs=epochs, results=rows, skipped=skipped)
        click.echo(json.dumps(report, indent=2))
        return
    ok = [r for r in rows if "error" not in r]
    fastest = fastest_backend(rows)
    click.echo(f"\n{'backend':<11} {'import s':>8} {'1st epoch s':>11} {'s/epoch':>8} "
               f"{'accuracy':>8} {'lesson s':>8}  path")
    for r in rows:
        if "error" in r:
            click.echo(f"{r['backend']:<11} failed: {r['error']}")
            continue
        mark = "  <- fastest" if r["backend"] == fastest and len(ok) > 1 else ""
        click.echo(f"{r['backend']:<11} {r['import_s']:>8.2f} "
                   f"{r['first_epoch_s'] or float('nan'):>11.2f} {r['s_per_epoch']:>8.3f} "
                   f"{r['accuracy']:>8.4f} {r['lesson_s']:>8.1f}  {r['fit_path']}{mark}")
    for b in skipped:
        click.echo(f'{b:<11} not installed (pip install "brainkit[{b}]")')
    if fastest:  # then ok holds at least one row
        n, full_n = ok[0]["examples"], FULL_TRAIN_EXAMPLES
        scaled = "" if n == full_n else f", s/epoch scaled from {n:,} to {full_n:,} images"
        click.echo(f"\nlesson s: estimated seconds of the whole {arch} lesson: import, compiling, "
                   f"{ok[0]['recipe_epochs']} epochs on {full_n:,} images{scaled}.")
        click.echo(f"\nFastest here: {fastest}. Use it with `brainkit --backend {fastest} ...` "
                   f"or KERAS_BACKEND={fastest}.")


COMMANDS = [bench]
