"""Data-parallel training with Keras's distribution API, on simulated CPU devices.

Every case that touches Keras runs in a fresh Python process: JAX reads
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` once, when its CPU
backend starts, so the device count cannot change inside the test process.
Each subprocess prints one JSON line that the tests read.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from brainkit import distribute
from brainkit.distribute import DistributeError, check_even_batches

DEVICES = 4
# Generous: a loaded 2-core CI machine runs these several times slower than an idle one.
TIMEOUT = 240
# XLA warns about a stuck rendezvous after a first timeout (20 s by default) and aborts after a
# second (40 s more); short here, so that a deadlock shows within seconds.
SHORT_RENDEZVOUS = (
    "--xla_cpu_collective_call_warn_stuck_timeout_seconds=3 "
    "--xla_cpu_collective_call_terminate_timeout_seconds=5"
)


def _env(
    devices: int | None, backend: str = "jax", extra_xla: str = "", **extra: str
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(KERAS_BACKEND=backend, JAX_PLATFORMS="cpu", MPLBACKEND="Agg")
    # Keras's own fit on every run, the path that distributed training always takes.
    env["BRAINKIT_FASTFIT"] = "0"
    for name in ("JAX_NUM_CPU_DEVICES", "PJRT_NPROC", "NPROC"):  # the same on every machine
        env.pop(name, None)
    flags = [f for f in env.get("XLA_FLAGS", "").split() if "device_count" not in f]
    if devices is not None:
        flags.append(f"--xla_force_host_platform_device_count={devices}")
    if extra_xla:
        flags.append(extra_xla)
    env["XLA_FLAGS"] = " ".join(flags)
    if not env["XLA_FLAGS"]:
        del env["XLA_FLAGS"]
    env.update(extra)
    return env


def start_python(code: str, devices: int | None = DEVICES, **env: str) -> subprocess.Popen:
    """Start ``code`` in a fresh interpreter with ``devices`` simulated CPU devices."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=_env(devices, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = TIMEOUT) -> dict:
    """Wait for ``proc``; return the JSON it printed on its last line."""
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        pytest.fail(f"no result within {timeout} s\n{stdout[-3000:]}\n{stderr[-3000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0 and lines, (
        f"exit {proc.returncode}\n{stdout[-3000:]}\n{stderr[-3000:]}"
    )
    return json.loads(lines[-1])


def run_python(code: str, devices: int | None = DEVICES, **env: str) -> dict:
    """Run ``code`` in a fresh interpreter; return the JSON it prints on its last line."""
    return finish(start_python(code, devices, **env))


# --- training on 1, 2 and 4 devices -------------------------------------------------------

TRAIN = """
import json, os
import brainkit
from brainkit.datasets import load
# steps_per_execution=32 (what "auto" picks on JAX) keeps the 1-device run on Keras's own fit
# too, so that all three shuffle alike (brainkit's single-device fast path shuffles its own way).
# The distributed runs leave it at "auto", as the docs do.
r = brainkit.train("mlp", load("fashion_mnist_sample"), epochs=1, batch_size=64, seed=7,
                   hyperparameters={{"units": 32}}, validation=None, verbose=0,
                   steps_per_execution={spe!r}, distribute={distribute!r})
if {save!r}:
    r.save({save!r})
weights = [v.value for v in r.model.weights]
print(json.dumps({{
    "metrics": r.metrics, "history": r.history, "pjrt_nproc": os.environ.get("PJRT_NPROC"),
    "shardings": sorted({{type(w.sharding).__name__ for w in weights}}),
    "weight_devices": sorted({{len(w.sharding.device_set) for w in weights}}),
}}))
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same seed and global batch on 1, 2 and 4 simulated devices; the 4-device run is saved."""
    folder = tmp_path_factory.mktemp("distributed")
    cases = {"1": None, "2": ["cpu:0", "cpu:1"], "4": "data_parallel"}
    # Side by side: most of each process is importing and compiling.
    procs = {
        name: start_python(
            TRAIN.format(distribute=how, save=str(folder / "run4") if name == "4" else "",
                         spe=32 if how is None else "auto")
        )
        for name, how in cases.items()
    }
    out = {name: finish(proc) for name, proc in procs.items()}
    out["folder"] = folder / "run4"
    return out


@pytest.mark.slow
def test_data_parallel_matches_one_device(runs):
    one = runs["1"]
    assert "distribution" not in one["metrics"]
    for n in ("2", "4"):
        r = runs[n]
        # The global batch is split and the gradients all-reduced: the same arithmetic up to rounding.
        assert r["history"]["loss"] == pytest.approx(one["history"]["loss"], rel=1e-4, abs=1e-5), n
        assert r["history"]["accuracy"] == pytest.approx(one["history"]["accuracy"], abs=2e-3), n
        assert r["metrics"]["test_loss"] == pytest.approx(one["metrics"]["test_loss"], rel=1e-4), n
        assert r["metrics"]["test_accuracy"] == pytest.approx(
            one["metrics"]["test_accuracy"], abs=2e-3
        ), n
        assert r["metrics"]["test_accuracy"] > 0.6  # it learned (chance is 0.1)


@pytest.mark.slow
def test_the_mesh_is_reported_and_the_weights_replicated(runs):
    assert runs["2"]["metrics"]["distribution"] == {
        "strategy": "data_parallel",
        "devices": ["cpu:0", "cpu:1"],
        "mesh_shape": [2],
        "axis_names": ["batch"],
        "global_batch": 64,
        "per_device_batch": 32,
    }
    four = runs["4"]["metrics"]["distribution"]
    assert four["devices"] == [f"cpu:{i}" for i in range(4)] and four["per_device_batch"] == 16
    assert runs["4"]["weight_devices"] == [4] and runs["4"]["shardings"] == ["NamedSharding"]
    assert runs["1"]["weight_devices"] == [1]


@pytest.mark.slow
def test_distribution_scope_applies_the_cpu_thread_workaround(runs):
    # Applied before JAX started, from XLA_FLAGS: 2 host threads per simulated device at least.
    assert int(runs["4"]["pjrt_nproc"]) >= 8 and int(runs["2"]["pjrt_nproc"]) >= 8
    assert runs["1"]["pjrt_nproc"] is None  # no distribution asked for: nothing changed


@pytest.mark.slow
def test_distributed_run_reloads_on_one_device(runs):
    folder = runs["folder"]
    saved = json.loads((folder / "metrics.json").read_text())
    assert saved["distribution"]["mesh_shape"] == [4]
    code = f"""
import json, jax, brainkit
run = brainkit.load_run({str(folder)!r})
print(json.dumps({{"devices": len(jax.devices()), "values": brainkit.evaluate(run)}}))
"""
    out = run_python(code, devices=None)
    assert out["devices"] == 1
    assert out["values"]["accuracy"] == pytest.approx(saved["test_accuracy"], abs=1e-6)
    assert out["values"]["loss"] == pytest.approx(saved["test_loss"], rel=1e-4)


# --- clear errors -------------------------------------------------------------------------

ERRORS = """
import json, warnings, brainkit
from brainkit.distribute import DistributeError, distribution_scope, list_devices
out = {"devices": list_devices()}
cases = {
    "indivisible": ("data_parallel", 30),
    "unknown": (["cpu:0", "gpu:7"], 64),
    "repeated": (["cpu:1", "cpu:1"], 64),
    "bad_mode": ("model_parallel", 64),
    "single": (["cpu:0"], 64),
    "empty": ([], 64),
}
for name, (how, batch) in cases.items():
    try:
        with distribution_scope(how, batch):
            pass
        out[name] = None
    except DistributeError as exc:
        out[name] = str(exc)
with distribution_scope("auto", 30) as info:  # no accelerators: one device, no error
    out["auto"] = info
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with distribution_scope(["CPU:2", "cpu:3"], 8) as info:
        out["listed"] = info["devices"]
out["warnings"] = [str(w.message) for w in caught]
try:
    brainkit.train("mlp", "fashion_mnist_sample", epochs=1, batch_size=30, verbose=0,
                   distribute="data_parallel")
    out["train"] = None
except DistributeError as exc:
    out["train"] = str(exc)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def errors():
    # PJRT_NPROC=2: as on a 2-core machine, too few host threads once JAX has started (below).
    return run_python(ERRORS, PJRT_NPROC="2")


def test_lists_the_simulated_devices(errors):
    assert errors["devices"] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]
    assert errors["listed"] == ["cpu:2", "cpu:3"]


def test_auto_without_accelerators_stays_on_one_device(errors):
    assert errors["auto"] is None


def test_warns_when_jax_started_with_too_few_threads(errors):
    # list_devices() started JAX before the first scope, so the workaround came too late.
    assert any("PJRT_NPROC=" in w and "deadlock" in w for w in errors["warnings"]), errors[
        "warnings"
    ]


@pytest.mark.parametrize(
    "case, words",
    [
        ("indivisible", ["batch size 30", "4 devices", "multiple of 4", "28 or 32"]),
        ("unknown", ["'gpu:7'", "cpu:0, cpu:1, cpu:2, cpu:3"]),
        ("repeated", ["cpu:1", "more than once"]),
        ("bad_mode", ["'model_parallel'", "data_parallel"]),
        ("single", ["at least 2 devices", "only 1"]),
        ("empty", ["at least 2 devices", "only 0"]),
        ("train", ["batch size 30", "multiple of 4"]),
    ],
)
def test_clear_errors(errors, case, words):
    message = errors[case]
    assert message is not None, f"{case}: no error raised"
    for word in words:
        assert word in message, f"{case}: {word!r} not in {message!r}"


def test_one_device_only_is_an_error():
    code = """
import json
from brainkit.distribute import DistributeError, distribution_scope, list_devices
try:
    with distribution_scope("data_parallel", 64):
        pass
    message = None
except DistributeError as exc:
    message = str(exc)
print(json.dumps({"devices": list_devices(), "message": message}))
"""
    out = run_python(code, devices=None)
    assert out["devices"] == ["cpu:0"]
    assert "at least 2 devices" in out["message"] and "only 1 is available" in out["message"]
    assert "xla_force_host_platform_device_count" in out["message"]


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_other_backends_are_refused():
    code = """
import json
from brainkit.distribute import DistributeError, distribution_scope
out = {}
for how in ("data_parallel", ["cpu:0", "cpu:1"]):
    try:
        with distribution_scope(how, 64):
            pass
        out[str(how)] = None
    except DistributeError as exc:
        out[str(how)] = str(exc)
with distribution_scope("auto", 64) as info:
    out["auto"] = info
print(json.dumps(out))
"""
    out = run_python(code, backend="torch")
    assert out["auto"] is None
    for key in ("data_parallel", "['cpu:0', 'cpu:1']"):
        assert "JAX backend only" in out[key] and "'torch'" in out[key]


def test_check_even_batches():
    check_even_batches(5000, 64, 4)  # last batch of 8 splits in 2s
    check_even_batches(1000, 256, 4)  # last batch of 232
    with pytest.raises(DistributeError, match=r"last batch holds 42, which does not split evenly"):
        check_even_batches(1002, 64, 4, "the training set")
    with pytest.raises(DistributeError, match="Use 1000 examples"):
        check_even_batches(1002, 64, 4)


# --- the upstream deadlock and brainkit's workaround --------------------------------------

# The smallest program that shows it: one jitted reduction over an array sharded across 2 CPU
# devices, launched twice without waiting, so that two executions with an all-reduce are in
# flight at once. Keras's fit gets there when its callback thread fetches a step's logs while
# the main thread launches the next steps.
DEADLOCK = """
import json, os
if os.environ.get("USE_WORKAROUND"):
    from brainkit.distribute import simulate_cpu_devices
    simulate_cpu_devices(2)
import numpy as np, jax, jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
mesh = Mesh(np.array(jax.devices()), ("batch",))
x = jax.device_put(np.ones((128, 256), np.float32), NamedSharding(mesh, P("batch")))
total = jax.jit(lambda x: jnp.sin(x).sum(0), out_shardings=NamedSharding(mesh, P()))
for _ in range(300):
    a = total(x)
    b = total(x)
b.block_until_ready()
print(json.dumps({"devices": len(jax.devices()), "PJRT_NPROC": os.environ.get("PJRT_NPROC")}))
"""


ATTEMPTS = 8  # runs of the race before calling it fixed


def _deadlock_run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", DEADLOCK], env=env, capture_output=True, text=True, timeout=60
    )


def test_upstream_cpu_collective_deadlock_is_still_there():
    """Notices the upstream fix: when this fails as fixed, remove the workaround.

    With as many host threads as devices (what a 2-core machine gets; pinned
    here with PJRT_NPROC on any machine), jaxlib 0.10.2 deadlocks and XLA aborts
    with "Expected 2 threads to join the rendezvous, but only 1 of them arrived".
    It is a race: one run of the program deadlocked 7 times in 10 here, so a run
    that finishes proves nothing. Only :data:`ATTEMPTS` clean runs in a row say
    it is fixed (0.3**8: about 1 in 15,000 while it is not).
    """
    for _ in range(ATTEMPTS):
        proc = _deadlock_run(_env(2, extra_xla=SHORT_RENDEZVOUS, PJRT_NPROC="2"))
        if proc.returncode != 0 and "rendezvous" in proc.stderr:
            pytest.xfail("XLA's CPU client still deadlocks with 2 host threads for 2 devices")
        assert proc.returncode == 0, proc.stderr[-3000:]
    pytest.fail(
        f"The upstream CPU collective deadlock is gone ({ATTEMPTS} runs in a row with 2 host "
        "threads ran 2 devices' collectives): remove brainkit.distribute.ensure_cpu_threads, its "
        "call in distribution_scope and the notes in brainkit/distribute.py and docs/distributed.rst."
    )


def test_workaround_prevents_the_deadlock():
    # No simulated devices in the environment: simulate_cpu_devices(2) sets them and the threads.
    proc = _deadlock_run(_env(None, extra_xla=SHORT_RENDEZVOUS, USE_WORKAROUND="1"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    assert out["devices"] == 2 and int(out["PJRT_NPROC"]) >= 4


def test_ensure_cpu_threads_sets_the_pool_only_when_needed(monkeypatch):
    monkeypatch.setattr(distribute, "_cores", lambda: 2)
    env = {"XLA_FLAGS": "--xla_cpu_enable_fast_math=false --xla_force_host_platform_device_count=4"}
    assert distribute.simulated_cpu_devices(env) == 4
    assert distribute.ensure_cpu_threads(env) == 8 and env["PJRT_NPROC"] == "8"
    assert distribute.ensure_cpu_threads({"JAX_NUM_CPU_DEVICES": "3"}) == 6
    assert distribute.ensure_cpu_threads({}) is None  # one device: no collectives
    env = {"JAX_NUM_CPU_DEVICES": "4", "PJRT_NPROC": "5"}
    assert distribute.ensure_cpu_threads(env) is None and env["PJRT_NPROC"] == "5"  # the user's
    monkeypatch.setattr(distribute, "_cores", lambda: 64)
    assert (
        distribute.ensure_cpu_threads({"JAX_NUM_CPU_DEVICES": "4"}) == 64
    )  # never below the cores


def test_simulate_cpu_devices_refuses_after_jax_started():
    code = """
import json, jax
from brainkit.distribute import DistributeError, simulate_cpu_devices
jax.numpy.ones(2).block_until_ready()
try:
    simulate_cpu_devices(4)
    message = None
except DistributeError as exc:
    message = str(exc)
print(json.dumps({"message": message, "devices": len(jax.devices())}))
"""
    out = run_python(code, devices=None)
    assert out["devices"] == 1 and "already started" in out["message"]
