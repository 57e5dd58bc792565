"""brainkit against the plain-Keras lessons, measured in one run on this machine.

Every measurement runs in its own subprocess; the jobs alternate (brainkit, the
plain lesson, brainkit, ...) so that a noisy neighbour slows them alike, and
the report gives medians and ratios measured in this run. See README.md.

    python benchmarks/bench_lessons.py --quick            # a few minutes
    python benchmarks/bench_lessons.py --repeats 3        # JAX x3, torch/TF x1
    python benchmarks/bench_lessons.py --backends jax --repeats 5 --cnn

Results go to benchmarks/results/lessons.md and lessons.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PY = sys.executable

# --------------------------------------------------------------------------- child programs
# Each prints one line "RESULT {json}" (fit seconds, accuracy, steps); the parent measures
# the whole process and its peak memory.

KERAS_LESSON = r"""
import json, os, sys, time
t0 = time.perf_counter()
import keras
if os.environ.get("BENCH_BRAINKIT_DATA"):  # Keras's files are nowhere offline: the same arrays
    from brainkit.datasets import fashion_mnist as fashion_mnist_data
else:
    fashion_mnist_data = keras.datasets.fashion_mnist
(x_train, y_train), (x_test, y_test) = fashion_mnist_data.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0          # float64, as the lesson writes it
model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
epochs = int(os.environ["BENCH_EPOCHS"])
t = time.perf_counter()
model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0)
fit = time.perf_counter() - t
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {acc:.4f}", flush=True)
print("RESULT " + json.dumps({"fit_s": fit, "accuracy": acc, "steps": epochs * -(-len(x_train) // 32),
                              "epochs": epochs}), flush=True)
"""

TORCH_LESSON = r"""
import json, os, time
t0 = time.perf_counter()
import numpy as np, torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from brainkit.datasets import load  # the same files as keras.datasets; no torchvision here
d = load("fashion_mnist")
x_train = torch.tensor(d.x_train, dtype=torch.float32) / 255.0
x_test = torch.tensor(d.x_test, dtype=torch.float32) / 255.0
y_train = torch.tensor(d.y_train, dtype=torch.long)
y_test = torch.tensor(d.y_test, dtype=torch.long)
torch.manual_seed(0)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(TensorDataset(x_train, y_train), batch_size=32, shuffle=True)
epochs = int(os.environ["BENCH_EPOCHS"])
t = time.perf_counter()
for epoch in range(epochs):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
fit = time.perf_counter() - t
model.eval()
with torch.no_grad():
    acc = (model(x_test).argmax(1) == y_test).float().mean().item()
print(f"Test accuracy: {acc:.4f}", flush=True)
print("RESULT " + json.dumps({"fit_s": fit, "accuracy": acc, "steps": epochs * len(loader), "epochs": epochs}),
      flush=True)
"""

FLOOR = r"""
import json, time
import numpy as np
rng = np.random.default_rng(0)
# The MLP's arithmetic for one epoch, in large matrix products (no per-step overhead):
# forward 784->128->10 and the backward products for the weights and the hidden layer.
x = rng.random((2000, 784), dtype=np.float32); w1 = rng.random((784, 128), dtype=np.float32)
h = rng.random((2000, 128), dtype=np.float32); w2 = rng.random((128, 10), dtype=np.float32)
g = rng.random((2000, 10), dtype=np.float32)
def epoch_chunk():
    x @ w1; h @ w2; h.T @ g; g @ w2.T; x.T @ h
epoch_chunk()
best = 1e9
for _ in range(5):
    t = time.perf_counter()
    for _ in range(30):  # 30 x 2000 = 60,000 examples
        epoch_chunk()
    best = min(best, time.perf_counter() - t)
print("RESULT " + json.dumps({"floor_s_per_epoch": best}), flush=True)
"""

LOAD = r"""
import json, time
from brainkit.datasets import load
t = time.perf_counter()
d = load("fashion_mnist")
print("RESULT " + json.dumps({"load_s": time.perf_counter() - t}), flush=True)
"""


# --------------------------------------------------------------------------- running
def run_child(argv: list[str], env: dict[str, str], timeout: float) -> dict:
    """Run one job; return its RESULT, wall time to the accuracy line and to exit, peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    result: dict = {}
    to_accuracy = None
    hwm_at_accuracy = None
    tail: list[str] = []
    assert proc.stdout is not None
    deadline = started + timeout
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-20:]
        if to_accuracy is None and re.search(r"[Tt]est accuracy[: ]", line):
            to_accuracy = time.perf_counter() - started
            hwm_at_accuracy = _vm_hwm(proc.pid)
            m = re.search(r"accuracy:? (\d\.\d+)", line)
            if m:
                result.setdefault("accuracy", float(m.group(1)))
            m = re.search(r"in (\d+(?:\.\d+)?) s", line)
            if m:
                result.setdefault("fit_s", float(m.group(1)))
        if line.startswith("RESULT "):
            result.update(json.loads(line[len("RESULT ") :]))
        if time.perf_counter() > deadline:
            proc.kill()
            break
    _, status, usage = os.wait4(proc.pid, 0)
    whole = time.perf_counter() - started
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        result["error"] = f"exit {rc}: " + " | ".join(tail[-5:])
    result["whole_s"] = whole
    result["to_accuracy_s"] = to_accuracy
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # kB on Linux
    if hwm_at_accuracy is not None:
        result["peak_rss_at_accuracy_mb"] = hwm_at_accuracy
    return result


def run_metrics(argv: list[str], result: dict) -> dict | None:
    """The ``metrics.json`` of a successful ``brainkit train ... --out FOLDER`` job, else None."""
    path = Path(argv[-1], "metrics.json")
    if "--out" in argv and "error" not in result and path.is_file():
        return json.loads(path.read_text())
    return None


def _vm_hwm(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def timed(argv: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    subprocess.run(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    return time.perf_counter() - t


def installed_backends() -> list[str]:
    out = subprocess.run(
        [PY, "-c", "from brainkit.runtime import available_backends as a; print(' '.join(a()))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def brainkit_exe() -> list[str]:
    return [PY, "-m", "brainkit"]


# --------------------------------------------------------------------------- jobs
def keras_home(workdir: Path) -> Path | None:
    """A KERAS_HOME whose datasets/fashion-mnist holds the four .gz files, found offline.

    keras.datasets.fashion_mnist.load_data() reads them there without downloading, so the
    lesson runs exactly as written. None when no copy of the files is found.
    """
    names = [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    for folder in (home / "datasets" / "fashion-mnist", Path("/usr/share/datasets/fashion-mnist")):
        if all((folder / n).is_file() for n in names):
            target = workdir / "keras-home"
            (target / "datasets" / "fashion-mnist").mkdir(parents=True, exist_ok=True)
            for n in names:
                link = target / "datasets" / "fashion-mnist" / n
                if not link.exists():
                    link.symlink_to(folder / n)
            return target
    return None


def jobs_for(
    backend: str, epochs: int, workdir: Path
) -> list[tuple[str, list[str], dict[str, str]]]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BRAINKIT_FASTFIT", "BRAINKIT_COMPILE_CACHE")
    }
    base.update(KERAS_BACKEND=backend, BENCH_EPOCHS=str(epochs), TF_CPP_MIN_LOG_LEVEL="2")
    train = brainkit_exe() + [
        "train",
        "--arch",
        "mlp",
        "--epochs",
        str(epochs),
        "--quiet",
        "--no-plots",
        "--overwrite",
        "--out",
    ]
    out = []
    out.append((f"{backend}/brainkit", train + [str(workdir / f"{backend}-after")], dict(base)))
    home = keras_home(workdir)
    lesson_env = dict(base, KERAS_HOME=str(home)) if home else dict(base, BENCH_BRAINKIT_DATA="1")
    out.append((f"{backend}/lesson", [PY, "-c", KERAS_LESSON], lesson_env))
    out.append(
        (
            f"{backend}/keras-best",
            train + [str(workdir / f"{backend}-keras-best")],
            dict(base, BRAINKIT_FASTFIT="0"),
        )
    )
    if backend == "jax":
        out.append(
            (
                f"{backend}/brainkit-nocache",
                train + [str(workdir / f"{backend}-nocache")],
                dict(base, BRAINKIT_COMPILE_CACHE="0"),
            )
        )
    if backend == "torch":
        out.append(("torch/plain-pytorch", [PY, "-c", TORCH_LESSON], dict(base)))
    return out


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(runs: dict[str, list[dict]], floor: float | None) -> dict[str, dict]:
    summary = {}
    for name, results in runs.items():
        ok = [r for r in results if "error" not in r]
        s: dict = {"runs": len(results), "failed": len(results) - len(ok)}
        for key in (
            "fit_s",
            "whole_s",
            "to_accuracy_s",
            "accuracy",
            "peak_rss_mb",
            "peak_rss_at_accuracy_mb",
        ):
            s[key] = median([r.get(key) for r in ok])
        steps = median([r.get("steps") for r in ok]) or None
        epochs = median([r.get("epochs") for r in ok]) or None
        s["epochs"] = epochs
        if s["fit_s"] is not None and steps:
            s["ms_per_step"] = 1000 * s["fit_s"] / steps
            if floor is not None and epochs:
                s["overhead_ms_per_step"] = 1000 * max(0.0, s["fit_s"] - floor * epochs) / steps
        if not ok and results:
            s["error"] = results[-1].get("error")
        summary[name] = s
    return summary


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def fmt(v, spec=".2f", unit=""):
    return "-" if v is None else f"{v:{spec}}{unit}"


def write_report(meta: dict, summary: dict, micro: dict, path_md: Path, path_json: Path) -> None:
    path_md.parent.mkdir(parents=True, exist_ok=True)
    path_json.write_text(
        json.dumps({"meta": meta, "summary": summary, "micro": micro}, indent=2) + "\n"
    )
    lines = [
        "# brainkit vs. the plain-Keras lessons (measured in one run)",
        "",
        f"Machine: {meta['machine']}; Python {meta['python']}; {meta['date']}; load average at start "
        f"{meta['loadavg']}. Jobs alternate, each in its own process; medians of {meta['repeats']} "
        "(see `runs`). MLP lesson: batch 32, Adam, sparse cross-entropy.",
        "",
        "| job | runs | epochs | fit s | ms/step | overhead ms/step | start to accuracy s | whole process s | "
        "test acc | peak RSS MB (at accuracy / whole) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['runs']}{' (' + str(s['failed']) + ' failed)' if s['failed'] else ''} | "
            f"{fmt(s.get('epochs'), '.0f')} | {fmt(s.get('fit_s'))} | {fmt(s.get('ms_per_step'), '.3f')} | "
            f"{fmt(s.get('overhead_ms_per_step'), '.3f')} | {fmt(s.get('to_accuracy_s'))} | {fmt(s.get('whole_s'))} | "
            f"{fmt(s.get('accuracy'), '.4f')} | {fmt(s.get('peak_rss_at_accuracy_mb'), '.0f')} / "
            f"{fmt(s.get('peak_rss_mb'), '.0f')} |"
        )
    lines += [
        "",
        "## Ratios (same run)",
        "",
        "| backend | brainkit fit / lesson fit | keras-best fit / brainkit fit | "
        "lesson start-to-accuracy / brainkit | brainkit accuracy - lesson accuracy |",
        "|---|---|---|---|---|",
    ]
    for backend in meta["backends"]:
        b, le, bf = (
            summary.get(f"{backend}/{k}", {}) for k in ("brainkit", "lesson", "keras-best")
        )
        acc_diff = (
            (b.get("accuracy") - le.get("accuracy"))
            if b.get("accuracy") and le.get("accuracy")
            else None
        )
        lines.append(
            f"| {backend} | {fmt(ratio(b.get('fit_s'), le.get('fit_s')), '.2f', 'x')} | "
            f"{fmt(ratio(bf.get('fit_s'), b.get('fit_s')), '.2f', 'x')} | "
            f"{fmt(ratio(le.get('to_accuracy_s'), b.get('to_accuracy_s')), '.2f', 'x')} | {fmt(acc_diff, '+.4f')} |"
        )
    lines += [
        "",
        "## Start-up (medians)",
        "",
        f"- `import brainkit`: {fmt(micro.get('import_brainkit_s'), '.3f')} s "
        f"(python alone {fmt(micro.get('python_s'), '.3f')} s; difference {fmt(micro.get('import_only_s'), '.3f')} s)",
        f"- `brainkit --help`: {fmt(micro.get('help_s'), '.3f')} s",
        f"- warm `load('fashion_mnist')` in a fresh process: {fmt(micro.get('load_ms'), '.1f')} ms",
        f"- compute floor of one MLP epoch (NumPy BLAS, large products): {fmt(micro.get('floor_s_per_epoch'), '.3f')} s; "
        "overhead/step = (fit - floor x epochs) / steps",
        "",
        "`keras-best` is brainkit with `BRAINKIT_FASTFIT=0`: Keras's own `fit` with the best settings Keras offers "
        "for the model (float32 inputs, steps_per_execution 32 on JAX/TF, XLA on TF for models that do not "
        "convolve): a loop of brainkit's stays only where it beats this by 1.5x or more. `nocache` disables the "
        "on-disk compilation cache "
        "(`BRAINKIT_COMPILE_CACHE=0`): a first run. `lesson` is the tutorial code as written (float64 `x / 255.0`, "
        "`model.fit`). Timings vary 10-25% between runs on a shared machine: compare the ratios.",
    ]
    if meta.get("notes"):
        lines += ["", "Notes: " + meta["notes"]]
    path_md.write_text("\n".join(lines) + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--backends", default=None, help="comma-separated (default: every installed backend)"
    )
    ap.add_argument("--repeats", type=int, default=3, help="rounds for JAX (default 3)")
    ap.add_argument(
        "--other-repeats", type=int, default=1, help="rounds for torch and TensorFlow (default 1)"
    )
    ap.add_argument("--epochs", type=int, default=10, help="epochs of the MLP lesson (default 10)")
    ap.add_argument(
        "--torch-epochs", type=int, default=None, help="epochs on torch (default: --epochs)"
    )
    ap.add_argument(
        "--quick", action="store_true", help="2 epochs, 1 round, JAX only unless --backends"
    )
    ap.add_argument(
        "--cnn", action="store_true", help="also time `brainkit train --arch cnn` once (minutes)"
    )
    ap.add_argument("--timeout", type=float, default=900, help="seconds per job")
    ap.add_argument("--out", type=Path, default=RESULTS / "lessons.md")
    ap.add_argument("--notes", default="")
    args = ap.parse_args()
    if args.quick:
        args.epochs, args.repeats, args.other_repeats = 2, 1, 1
        args.backends = args.backends or "jax"
    backends = args.backends.split(",") if args.backends else installed_backends()
    env = dict(os.environ)
    work = Path(tempfile.mkdtemp(prefix="brainkit-bench-"))
    epochs = {
        b: (args.torch_epochs or args.epochs) if b == "torch" else args.epochs for b in backends
    }

    # Start-up numbers, interleaved too.
    micro_runs: dict[str, list[float]] = {
        "python_s": [],
        "import_brainkit_s": [],
        "help_s": [],
        "load_ms": [],
    }
    for _ in range(max(5, args.repeats)):
        micro_runs["python_s"].append(timed([PY, "-c", "pass"], env))
        micro_runs["import_brainkit_s"].append(timed([PY, "-c", "import brainkit"], env))
        micro_runs["help_s"].append(timed(brainkit_exe() + ["--help"], env))
        micro_runs["load_ms"].append(1000 * run_child([PY, "-c", LOAD], env, 120)["load_s"])
    micro = {k: median(v) for k, v in micro_runs.items()}
    micro["import_only_s"] = micro["import_brainkit_s"] - micro["python_s"]
    # The floor is the best of BLAS on all cores and on one (threads wait on a busy machine).
    floors = [
        run_child([PY, "-c", FLOOR], dict(env, **extra), 300).get("floor_s_per_epoch")
        for extra in ({}, {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"})
    ]
    micro["floor_s_per_epoch"] = min(f for f in floors if f is not None)
    print(f"start-up: {micro}", flush=True)

    runs: dict[str, list[dict]] = {}
    cnn_runs: dict[str, list[dict]] = {}
    schedule = []
    for backend in backends:
        reps = args.repeats if backend == "jax" else args.other_repeats
        jobs = jobs_for(backend, epochs[backend], work)
        for r in range(reps):
            # Alternate brainkit and the lesson; rotate the order every round.
            k = r % len(jobs)
            schedule.append(jobs[k:] + jobs[:k])
    for round_jobs in schedule:
        for name, argv, job_env in round_jobs:
            print(f"running {name} ...", flush=True)
            res = run_child(argv, job_env, args.timeout)
            if metrics := run_metrics(argv, res):  # brainkit's runs: the fit time unrounded
                res["fit_s"] = metrics["train_seconds"]
            res.setdefault("epochs", int(job_env["BENCH_EPOCHS"]))
            res.setdefault("steps", res["epochs"] * 1875)
            print(
                f"  {name}: {json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()})}",
                flush=True,
            )
            runs.setdefault(name, []).append(res)
    if args.cnn:
        b = "jax" if "jax" in backends else backends[0]
        argv = brainkit_exe() + [
            "train",
            "--arch",
            "cnn",
            "--quiet",
            "--no-plots",
            "--overwrite",
            "--out",
            str(work / "cnn"),
        ]
        print("running cnn ...", flush=True)
        res = run_child(argv, dict(env, KERAS_BACKEND=b), max(args.timeout, 1800))
        if metrics := run_metrics(argv, res):  # the recipe's epochs and steps, as run
            res["fit_s"] = metrics["train_seconds"]
            res["steps"] = metrics["fit_settings"]["steps"]
            res["epochs"] = len(metrics["fit_settings"]["epoch_seconds"])
        cnn_runs = {f"{b}/brainkit-cnn": [res]}
        print(f"  cnn: {res}", flush=True)
    # The compute floor is the MLP's: the cnn gets no overhead figure.
    summary = summarize(runs, micro.get("floor_s_per_epoch")) | summarize(cnn_runs, None)
    meta = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "loadavg": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "repeats": f"{args.repeats} (jax) / {args.other_repeats} (torch, tensorflow)",
        "epochs": epochs,
        "backends": backends,
        "notes": args.notes,
    }
    write_report(meta, summary, micro, args.out, args.out.with_suffix(".json"))
    print(args.out.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
