"""``brainkit bench``: which Keras backend trains fastest on this machine?

Each installed backend is measured in its own Python process with
``KERAS_BACKEND`` set (Keras picks its backend once per process): the time to
import Keras and the backend, then a short training of the lesson MLP with
:func:`brainkit.train`, its seconds per epoch and test accuracy. The verdict
is the estimated time of the whole lesson (:func:`lesson_seconds`): a backend
that runs an epoch a little faster but takes seconds longer to import and
compile is not the faster one for a learner who runs the lesson once.
"""

from __future__ import annotations

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
import brainkit
from brainkit import architectures
from brainkit.datasets import load
arch, dataset, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = load(dataset)
r = brainkit.train(arch, data, epochs=epochs, verbose=0, seed=0)
times = r.fit_settings["epoch_seconds"]
print("BENCH " + json.dumps({
    "backend": keras.backend.backend(),
    "import_s": import_s,
    "train_s": r.metrics["train_seconds"],
    "epoch_s": times,
    "accuracy": r.metrics["test_accuracy"],
    "examples": r.metrics["train_examples"],
    "fit_path": r.fit_path,
    "recipe_epochs": architectures.get(arch).recipe.epochs,
}), flush=True)
"""


def _measure(backend: str, arch: str, dataset: str, epochs: int, timeout: float) -> dict:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
    try:
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, arch, dataset, str(epochs)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=tempfile.gettempdir(),  # a folder named jax/ or torch/ here would shadow the package
        )
    except subprocess.TimeoutExpired:
        return {"backend": backend, "error": f"took longer than {timeout:.0f} s"}
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[len("BENCH ") :])
    last = (out.stderr.strip().splitlines() or ["no output"])[-1]
    return {"backend": backend, "error": last[:200]}


def _steady(times: list[float]) -> float | None:
    """Seconds per epoch without the first (it compiles): the median of the rest."""
    rest = times[1:] or times
    return statistics.median(rest) if rest else None


def lesson_seconds(row: dict, full_examples: int = FULL_TRAIN_EXAMPLES) -> float:
    """Estimated seconds of the whole lesson on the full data, from one bench row.

    Importing, plus compiling (the first epoch's extra time), plus the
    architecture's recipe epochs at the measured steady seconds per epoch,
    scaled from the examples trained on to ``full_examples``.

    Parameters
    ----------
    row : dict
        A measured row: ``import_s``, ``first_epoch_s``, ``s_per_epoch``,
        ``examples`` and ``recipe_epochs``.
    full_examples : int
        Training examples of the full lesson.

    Returns
    -------
    float
        The estimate, in seconds.
    """
    per_epoch = row["s_per_epoch"] * full_examples / max(int(row["examples"]), 1)
    compiling = max((row.get("first_epoch_s") or row["s_per_epoch"]) - row["s_per_epoch"], 0.0)
    return row["import_s"] + compiling + per_epoch * int(row["recipe_epochs"])


def fastest_backend(rows: list[dict]) -> str | None:
    """The backend of the measured rows with the shortest :func:`lesson_seconds` (None if none)."""
    ok = [r for r in rows if "error" not in r]
    return min(ok, key=lesson_seconds)["backend"] if ok else None


@click.command()
@click.option(
    "--backends",
    default=None,
    help="Comma-separated backends to measure (default: every installed one).",
)
@click.option("--arch", default="mlp", show_default=True, help="Architecture to train.")
@click.option(
    "--full",
    is_flag=True,
    help="Train on the full Fashion-MNIST (60,000 images) instead of the embedded 5,000-image sample.",
)
@click.option("--epochs", type=click.IntRange(1, 50), default=3, show_default=True)
@click.option("--timeout", type=float, default=300, show_default=True, help="Seconds per backend.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def bench(backends, arch, full, epochs, timeout, as_json):
    """Measure which Keras backend trains fastest on this machine.

    Every backend runs in its own process: import time, then the lesson MLP
    (batch 32, Adam) for a few epochs, with seconds per epoch (the first
    epoch, which compiles, shown apart) and test accuracy. The fastest is
    the one with the shortest estimated whole lesson (import, compiling and
    the recipe's epochs on 60,000 images). Backends that are not installed
    are skipped.
    """
    installed = available_backends()
    if backends:
        wanted = [b.strip().lower() for b in backends.split(",") if b.strip()]
        unknown = [b for b in wanted if b not in BACKENDS]
        if unknown:
            raise click.BadParameter(
                f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}",
                param_hint="--backends",
            )
    else:
        wanted = list(BACKENDS)
    skipped = [b for b in wanted if b not in installed]
    chosen = [b for b in wanted if b in installed]
    if not chosen:
        raise click.ClickException(
            f'None of {", ".join(wanted)} is installed; install one, e.g. pip install "brainkit[jax]".'
        )
    dataset = "fashion_mnist" if full else "fashion_mnist_sample"
    if not as_json:
        click.echo(
            f"Training {arch!r} on {dataset} for {epochs} epoch{'s' if epochs != 1 else ''} "
            f"on {', '.join(chosen)} (one process each)..."
        )
    rows = []
    for backend in chosen:
        row = _measure(backend, arch, dataset, epochs, timeout)
        row.setdefault("backend", backend)
        if "error" not in row:
            times = row.get("epoch_s") or []
            row["first_epoch_s"] = times[0] if times else None
            row["s_per_epoch"] = _steady(times) or row["train_s"] / epochs
            row["lesson_s"] = lesson_seconds(row)
        rows.append(row)
        if not as_json:
            click.echo(f"  {backend}: {'failed' if 'error' in row else 'done'}")
    if as_json:
        click.echo(
            json.dumps(
                {
                    "dataset": dataset,
                    "arch": arch,
                    "epochs": epochs,
                    "results": rows,
                    "skipped": skipped,
                },
                indent=2,
            )
        )
        return
    ok = [r for r in rows if "error" not in r]
    fastest = fastest_backend(rows)
    click.echo("")
    click.echo(
        f"{'backend':<11} {'import s':>8} {'1st epoch s':>11} {'s/epoch':>8} {'accuracy':>8} "
        f"{'lesson s':>8}  path"
    )
    for r in rows:
        if "error" in r:
            click.echo(f"{r['backend']:<11} failed: {r['error']}")
            continue
        mark = "  <- fastest" if r["backend"] == fastest and len(ok) > 1 else ""
        click.echo(
            f"{r['backend']:<11} {r['import_s']:>8.2f} {r['first_epoch_s'] or float('nan'):>11.2f} "
            f"{r['s_per_epoch']:>8.3f} {r['accuracy']:>8.4f} {r['lesson_s']:>8.1f}  "
            f"{r['fit_path']}{mark}"
        )
    for b in skipped:
        click.echo(f'{b:<11} not installed (pip install "brainkit[{b}]")')
    if ok:
        r = ok[0]
        scaled = (
            ""
            if r["examples"] == FULL_TRAIN_EXAMPLES
            else (f", s/epoch scaled from {r['examples']:,} to {FULL_TRAIN_EXAMPLES:,} images")
        )
        click.echo(
            f"\nlesson s: estimated seconds of the whole {arch} lesson, {r['recipe_epochs']} "
            f"epochs on {FULL_TRAIN_EXAMPLES:,} images (import + compiling + epochs{scaled})."
        )
    if fastest:
        click.echo(
            f"\nFastest here: {fastest}. Use it with `brainkit --backend {fastest} ...` or KERAS_BACKEND={fastest}."
        )


COMMANDS = [bench]
