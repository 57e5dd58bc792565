"""``brainkit bench``: which Keras backend trains fastest on this machine?

Each installed backend is measured in its own Python process with
``KERAS_BACKEND`` set (Keras picks its backend once per process): the time to
import Keras and the backend, then a short training of the lesson MLP with
:func:`brainkit.train`, its seconds per epoch and test accuracy.
"""

from __future__ import annotations

import click

__all__ = ["COMMANDS", "bench"]

BACKENDS = ("jax", "torch", "tensorflow")

# Runs in the child process; prints one JSON line.
_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from brainkit import runtime
keras = runtime.import_keras()
import_s = time.perf_counter() - t0
import brainkit
from brainkit.datasets import load
arch, dataset, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = load(dataset)
r = brainkit.train(arch, data, epochs=epochs, verbose=0, seed=0)
times = list(getattr(r.model.history, "epoch_seconds", []) or [])
print("BENCH " + json.dumps({
    "backend": keras.backend.backend(),
    "import_s": import_s,
    "train_s": r.metrics["train_seconds"],
    "epoch_s": times,
    "accuracy": r.metrics["test_accuracy"],
    "examples": r.metrics["train_examples"],
    "fit_path": str(getattr(r.model.history, "fit_path", "keras-fit")).split(" ")[0],
}), flush=True)
"""


def _measure(backend: str, arch: str, dataset: str, epochs: int, timeout: float) -> dict:
    import json
    import os
    import subprocess
    import sys
    import tempfile

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
    import statistics

    rest = times[1:] or times
    return statistics.median(rest) if rest else None


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
    epoch, which compiles, shown apart) and test accuracy. Backends that are
    not installed are skipped.
    """
    import json

    from brainkit.runtime import BACKENDS as KNOWN
    from brainkit.runtime import available_backends

    installed = available_backends()
    if backends:
        wanted = [b.strip().lower() for b in backends.split(",") if b.strip()]
        unknown = [b for b in wanted if b not in KNOWN]
        if unknown:
            raise click.BadParameter(
                f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(KNOWN)}",
                param_hint="--backends",
            )
    else:
        wanted = list(KNOWN)
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
    fastest = min(ok, key=lambda r: r["s_per_epoch"])["backend"] if ok else None
    click.echo("")
    click.echo(
        f"{'backend':<11} {'import s':>8} {'1st epoch s':>11} {'s/epoch':>8} {'accuracy':>8}  path"
    )
    for r in rows:
        if "error" in r:
            click.echo(f"{r['backend']:<11} failed: {r['error']}")
            continue
        mark = "  <- fastest" if r["backend"] == fastest and len(ok) > 1 else ""
        click.echo(
            f"{r['backend']:<11} {r['import_s']:>8.2f} {r['first_epoch_s'] or float('nan'):>11.2f} "
            f"{r['s_per_epoch']:>8.3f} {r['accuracy']:>8.4f}  {r['fit_path']}{mark}"
        )
    for b in skipped:
        click.echo(f'{b:<11} not installed (pip install "brainkit[{b}]")')
    if fastest:
        click.echo(
            f"\nFastest here: {fastest}. Use it with `brainkit --backend {fastest} ...` or KERAS_BACKEND={fastest}."
        )


COMMANDS = [bench]
