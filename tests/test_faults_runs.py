"""Fault injection for runs: output folders, --overwrite, damaged runs, divergence, kills.

Real parts only where it matters: ``brainkit`` runs as a subprocess in a temporary
working folder; file permissions are real (the child runs as ``nobody`` through
``setpriv``, since root ignores permissions); ``SIGKILL`` is sent to real processes
in the middle of a training and of a save; two ``brainkit train`` run at once.
Every failure must end in one ``Error: ...`` line that names the problem and the
fix, with no traceback, and lose nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import brainkit
from brainkit._atomic import host_tag
from brainkit.cli import main
from brainkit.run_folders import WRITING_MARKER, RunError, check_run_folder, reserve_run_folder
from brainkit.training import (
    TrainingDiverged,
    strict_json,
)
from test_faults_data import _as_nobody, _wait_for  # _as_nobody: root ignores permissions

# The subprocesses run on JAX (file-system behaviour does not depend on the backend); the
# tests marked ``backend`` train or save in this process and also run on torch and TensorFlow.

REPO = Path(__file__).resolve().parents[1]
TRAIN = ["train", "--dataset", "fashion_mnist_sample", "--arch", "linear", "--epochs", "1", "-q"]


def _brainkit() -> list[str]:
    script = Path(sys.executable).parent / "brainkit"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "brainkit"]


def _env(**extra) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    env.update(KERAS_BACKEND="jax", MPLBACKEND="Agg", JAX_PLATFORMS="cpu")
    env["BRAINKIT_MIRRORS"] = "http://127.0.0.1:9/"  # never the internet
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _cli(args, cwd, *, prefix=(), timeout=240, **popen) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*prefix, *_brainkit(), *args],
        cwd=cwd,
        env=popen.pop("env", None) or _env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        **popen,
    )


def _start(args, cwd, **popen) -> subprocess.Popen:
    return subprocess.Popen(
        [*_brainkit(), *args],
        cwd=cwd,
        env=popen.pop("env", None) or _env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _refused(result, *words) -> str:
    """The one-line error of a refused command: exit 1, ``Error:``, no traceback, no training."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("Error: "), result.stderr
    assert "test accuracy" not in result.stdout  # refused before any training
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


@pytest.fixture
def shared_tmp():
    """A folder that user ``nobody`` can reach (pytest's tmp_path is private to root)."""
    base = Path(tempfile.mkdtemp(prefix="bk-runs-", dir="/tmp"))
    os.chmod(base, 0o777)
    yield base
    for path in base.rglob("*"):  # read-only folders made by the test
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, 0o755)
    shutil.rmtree(base, ignore_errors=True)


def _hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _strict_json(path: Path):
    def refuse(name):
        raise ValueError(f"{path.name} holds {name}")

    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.fixture(scope="module")
def saved_run(sample, tmp_path_factory):
    result = brainkit.train("linear", sample, epochs=1, seed=0, verbose=0)
    result.save(tmp_path_factory.mktemp("runs") / "linear")
    return result


# ------------------------------------------------------------------ output checked before training


def test_out_under_a_file_is_refused_before_training(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    err = _refused(_cli([*TRAIN, "--out", "notes.txt/run"], tmp_path), "notes.txt", "is a file")
    assert "--out" in err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_name_too_long_is_refused_before_training(tmp_path):
    err = _refused(_cli([*TRAIN, "--out", "r" * 250], tmp_path), "250 bytes", "--out")
    assert "at most" in err
    assert list(tmp_path.iterdir()) == []


def test_the_current_folder_is_not_a_run_folder(tmp_path):
    _refused(_cli([*TRAIN, "--out", "."], tmp_path), "current folder", "--out")


def test_overwrite_into_a_folder_that_is_not_a_run_is_refused_before_training(tmp_path):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("precious")
    _refused(
        _cli([*TRAIN, "--out", "thesis", "--overwrite"], tmp_path), "not a brainkit run", "--out"
    )
    assert [p.name for p in thesis.iterdir()] == ["chapter1.tex"]


def test_an_existing_run_is_refused_with_cli_words(saved_run, tmp_path):
    shutil.copytree(saved_run.path, tmp_path / "run")
    err = _refused(_cli([*TRAIN, "--out", "run"], tmp_path), "already exists", "--overwrite")
    assert "overwrite=True" not in err


def test_read_only_folder_as_another_user(shared_tmp):
    ro = shared_tmp / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    # The default --out in a read-only working folder,
    err = _refused(_cli(TRAIN, ro, prefix=_as_nobody(), env=_env(HOME=shared_tmp)), "--out")
    assert "current folder" in err and "Permission denied" in err
    # an --out in a read-only folder (and below it),
    for out in ("ro/run", "ro/a/b/run"):
        err = _refused(
            _cli(
                [*TRAIN, "--out", out], shared_tmp, prefix=_as_nobody(), env=_env(HOME=shared_tmp)
            ),
            "Permission denied",
            "--out",
        )
    # all refused before training, and nothing made.
    assert list(ro.iterdir()) == []


def test_overwrite_of_a_read_only_run_is_refused_before_training(saved_run, shared_tmp):
    run = shared_tmp / "run"
    shutil.copytree(saved_run.path, run)
    os.chmod(run, 0o555)  # the folder is nobody's to change, though its parent is writable
    _refused(
        _cli(
            [*TRAIN, "--out", "run", "--overwrite"],
            shared_tmp,
            prefix=_as_nobody(),
            env=_env(HOME=shared_tmp),
        ),
        "cannot be written",
        "--out",
    )
    assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in saved_run.path.iterdir())


def test_check_run_folder_in_python_words(saved_run, tmp_path):
    shutil.copytree(saved_run.path, tmp_path / "run")
    with pytest.raises(RunError, match="overwrite=True"):
        check_run_folder(tmp_path / "run")
    assert check_run_folder(tmp_path / "run", overwrite=True) == tmp_path / "run"
    (tmp_path / "empty").mkdir()
    assert check_run_folder(tmp_path / "empty") == tmp_path / "empty"  # nothing to lose
    with pytest.raises(RunError, match="is a file"):
        check_run_folder(tmp_path / "run" / "run.json" / "x")


# ------------------------------------------------------------------ --overwrite keeps the user's files


@pytest.mark.backend
def test_overwrite_replaces_only_what_brainkit_wrote(saved_run, tmp_path):
    run = tmp_path / "run"
    saved_run.save(run)
    (run / "weights.png").write_bytes(b"an old figure")  # brainkit's: replaced (here: dropped)
    (run / "notes.txt").write_text("lr 0.001 looked best")
    (run / "predictions").mkdir()
    (run / "predictions" / "shoe-prediction.png").write_bytes(b"png")
    saved_run.save(run, overwrite=True)
    names = {p.name for p in run.iterdir()}
    assert {"notes.txt", "predictions", "model.keras", "run.json"} <= names
    assert "weights.png" not in names
    assert (run / "notes.txt").read_text() == "lr 0.001 looked best"
    assert (run / "predictions" / "shoe-prediction.png").read_bytes() == b"png"
    assert _hidden(tmp_path) == []
    brainkit.load_run(run)


def test_cli_overwrite_keeps_notes(saved_run, tmp_path):
    shutil.copytree(saved_run.path, tmp_path / "run")
    (tmp_path / "run" / "notes.md").write_text("# my notes")
    result = _cli([*TRAIN, "--out", "run", "--overwrite", "--no-plots"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / "notes.md").read_text() == "# my notes"
    assert "notes.md" in result.stdout
    assert _hidden(tmp_path) == []


# ------------------------------------------------------------------ concurrent runs


def test_two_default_runs_at_once_are_both_kept(tmp_path):
    procs = [_start([*TRAIN, "--no-plots"], tmp_path) for _ in range(2)]
    outs = [p.communicate(timeout=240) for p in procs]
    for proc, (_, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brainkit-run", "brainkit-run-2"]
    for name in ("brainkit-run", "brainkit-run-2"):
        assert (tmp_path / name / "model.keras").is_file()
        brainkit.load_run(tmp_path / name)
    said = sorted(line for out, _ in outs for line in out.splitlines() if "saved the run" in line)
    assert said == ["saved the run to brainkit-run-2/", "saved the run to brainkit-run/"]


CLAIM_CHILD = """
import sys, time
from brainkit.run_folders import reserve_run_folder
time.sleep(float(sys.argv[1]) - time.time())  # all start together
with reserve_run_folder("brainkit-run", pick_free=True) as target:
    print(target, flush=True)
    time.sleep(1.5)
"""


@pytest.mark.parametrize("dead_claim", [False, True])
def test_many_claims_at_once_get_distinct_folders(tmp_path, dead_claim):
    if dead_claim:  # brainkit-run was claimed by a run that was killed: one of them takes it
        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        )
        (tmp_path / "brainkit-run").mkdir()
        (tmp_path / "brainkit-run" / WRITING_MARKER).write_text(
            f"{dead.stdout.strip()} {host_tag()}"
        )
    start = str(time.time() + 3)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_CHILD, start],
            cwd=tmp_path,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    names = sorted(out.strip() for out, _ in outs)
    assert len(set(names)) == 6 and "brainkit-run" in names, names
    assert list(tmp_path.iterdir()) == []  # every claim given back


def test_same_out_at_once_the_second_refuses_before_training(tmp_path):
    first = _start([*TRAIN, "--epochs", "3", "--out", "run", "--no-plots"], tmp_path)
    try:
        assert _wait_for(lambda: (tmp_path / "run" / WRITING_MARKER).exists(), 60)
        started = time.monotonic()
        second = _cli([*TRAIN, "--out", "run"], tmp_path)
        err = _refused(second, "being written by another brainkit train", "--out")
        assert f"process {first.pid}" in err
        assert time.monotonic() - started < 30
        # Loading the half-made run says so too.
        with pytest.raises(RunError, match="still being trained"):
            brainkit.load_run(tmp_path / "run")
    finally:
        out, err = first.communicate(timeout=240)
    assert first.returncode == 0, err
    brainkit.load_run(tmp_path / "run")
    assert not (tmp_path / "run" / WRITING_MARKER).exists()


# ------------------------------------------------------------------ kills


def test_kill_9_during_training_leaves_a_claim_the_next_run_takes(tmp_path):
    proc = _start([*TRAIN, "--epochs", "50"], tmp_path)
    try:
        assert _wait_for(lambda: (tmp_path / "brainkit-run" / WRITING_MARKER).exists(), 60)
        assert proc.stdout.readline().startswith("data:")  # training has begun
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    assert os.listdir(tmp_path / "brainkit-run") == [WRITING_MARKER]
    with pytest.raises(RunError, match="stopped before it saved one"):
        brainkit.load_run(tmp_path / "brainkit-run")
    result = _cli([*TRAIN, "--no-plots"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "saved the run to brainkit-run/" in result.stdout  # the dead claim is taken, not -2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["brainkit-run"]


def test_ctrl_c_during_training_gives_the_folder_back(tmp_path):
    proc = _start([*TRAIN, "--epochs", "2000", "--out", "deep/run"], tmp_path)
    try:
        assert _wait_for(lambda: (tmp_path / "deep" / "run" / WRITING_MARKER).exists(), 60)
        assert proc.stdout.readline().startswith("data:")
        time.sleep(0.5)  # in the middle of the epochs
        proc.send_signal(signal.SIGINT)  # once: one that lands in JAX's GC callback is kept
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1, err
    assert err.splitlines()[-1] == "Aborted!" and "brainkit/" not in err, err
    assert "Exception ignored" not in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []  # the claim and the folders made for it are gone


SAVE_CHILD = """
import os, sys, time
import brainkit
from brainkit import run_folders, training
where, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
run = brainkit.load_run(src)
if where == "write":
    real = training.TrainResult.write_files
    def slow(self, folder):
        real(self, folder)
        print("SAVING", flush=True); time.sleep(120)
    training.TrainResult.write_files = slow
elif where == "swap":
    real_replace = os.replace
    def slow(a, b):
        if str(a).endswith(".new"):
            print("SAVING", flush=True); time.sleep(120)
        return real_replace(a, b)
    os.replace = slow
elif where == "restore":
    def slow(old, target):
        print("SAVING", flush=True); time.sleep(120)
    run_folders._restore_user_files = slow
run.save(dst, overwrite=True)
print("DONE", flush=True)
"""


def _kill_mid_save(where: str, src: Path, dst: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SAVE_CHILD, where, str(src), str(dst)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "SAVING", proc.stderr.read()[-3000:]
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)


@pytest.mark.parametrize("where", ["write", "swap", "restore"])
def test_kill_9_mid_save_loses_nothing_and_the_next_run_cleans_up(saved_run, tmp_path, where):
    run = tmp_path / "run"
    shutil.copytree(saved_run.path, run)
    (run / "notes.txt").write_text("mine")
    _kill_mid_save(where, saved_run.path, run)
    leftovers = _hidden(tmp_path)
    assert leftovers and all(".~bk-" in name for name in leftovers), leftovers
    if where == "swap":
        assert not run.exists()  # killed between its two renames: the old run is aside
    # The next brainkit that saves here finishes or undoes what the killed one left.
    result = _cli([*TRAIN, "--out", "other", "--no-plots"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert _hidden(tmp_path) == []
    assert (run / "notes.txt").read_text() == "mine"
    brainkit.load_run(run)


@pytest.mark.backend
def test_files_put_into_the_claimed_folder_while_training_are_kept(saved_run, tmp_path):
    with reserve_run_folder(tmp_path / "run") as target:
        (target / "notes.txt").write_text("started at 9")
        saved_run.save(target)
    assert (target / "notes.txt").read_text() == "started at 9"
    assert not (target / WRITING_MARKER).exists() and _hidden(tmp_path) == []
    brainkit.load_run(target)


def test_a_claim_is_given_back_when_no_run_is_saved(tmp_path):
    with pytest.raises(KeyboardInterrupt), reserve_run_folder(tmp_path / "a" / "b" / "run"):
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []  # the folders made for it are gone too


def test_a_live_writers_staging_folder_is_left_alone(saved_run, tmp_path):
    live = tmp_path / f".run.~bk-{os.getppid()}-{host_tag()}-0a1b2c3d.new"
    live.mkdir()
    with reserve_run_folder(tmp_path / "run") as target:
        saved_run.save(target)
    assert live.is_dir()


# ------------------------------------------------------------------ wrong pairings, damaged runs


def test_hotdog_is_refused_before_training_with_what_to_use(tmp_path):
    err = _refused(_cli(["train", "--dataset", "hotdog", "--epochs", "1"], tmp_path))
    assert "not images" in err and "brainkit hotdog" in err
    assert list(tmp_path.iterdir()) == []  # the claimed brainkit-run is given back


@pytest.mark.backend
def test_plot_of_a_tabular_run_says_why(tmp_path):
    result = brainkit.train("mlp", "hotdog", epochs=1, verbose=0, hyperparameters={"units": 4})
    result.save(tmp_path / "hot")
    out = CliRunner().invoke(main, ["plot", str(tmp_path / "hot")])
    assert out.exit_code == 1 and "Error: No figures for this run" in out.output
    assert "brainkit hotdog" in out.output and not isinstance(out.exception, ValueError)


def _edit(meta: dict, key: str, value) -> None:
    if value is _DROP:
        del meta[key]
    else:
        meta[key] = value


_DROP = object()


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("class_names", ["T-shirt/top"], ["'class_names'", "10 outputs"]),
        ("class_names", "abc", ["'class_names'", "list of class names"]),
        ("class_names", [], ["'class_names'"]),
        ("dataset", _DROP, ["'dataset'", "missing"]),
        ("architecture", 3, ["'architecture'"]),
        ("recipe", [], ["'recipe'"]),
        ("input_shape", [3], ["'input_shape'", "[28, 28]"]),
        ("input_shape", "28x28", ["'input_shape'"]),
        ("format", 7, ["format 7"]),
    ],
)
def test_a_damaged_run_json_names_the_file_and_the_field(saved_run, tmp_path, key, value, words):
    run = tmp_path / "run"
    shutil.copytree(saved_run.path, run)
    meta = json.loads((run / "run.json").read_text())
    _edit(meta, key, value)
    (run / "run.json").write_text(json.dumps(meta))
    with pytest.raises(RunError) as info:
        brainkit.load_run(run)
    message = str(info.value)
    assert str(run / "run.json") in message and "train the run again" in message
    for word in words:
        assert word in message


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("run.json", "", ["not valid JSON"]),
        ("run.json", '{"format": 1, "archi', ["not valid JSON"]),
        ("run.json", "[1, 2]", ["JSON list"]),
        ("metrics.json", "null", ["JSON NoneType"]),
        ("history.json", '{"loss": "low"}', ["'loss'", "numbers"]),
    ],
)
def test_a_damaged_json_file_says_which(saved_run, tmp_path, name, text, words):
    run = tmp_path / "run"
    shutil.copytree(saved_run.path, run)
    (run / name).write_text(text)
    with pytest.raises(RunError) as info:
        brainkit.load_run(run)
    assert str(run / name) in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_damaged_runs_through_the_cli(saved_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(saved_run.path, run)
    meta = json.loads((run / "run.json").read_text())
    meta["dataset"] = "fashon_mnist"
    (run / "run.json").write_text(json.dumps(meta))
    for command in ("evaluate", "plot"):
        out = CliRunner().invoke(main, [command, str(run)])
        assert out.exit_code == 1, out.output
        assert "Error:" in out.output and "'dataset'" in out.output and "fashon_mnist" in out.output
    (run / "run.json").write_text('{"format": 1, "class_names": [')
    result = _cli(["evaluate", "run"], tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: ") and "run.json is damaged" in result.stderr


# ------------------------------------------------------------------ divergence and strict JSON


@pytest.mark.backend
def test_divergence_stops_with_a_message(sample):
    with pytest.raises(TrainingDiverged, match="learning rate") as info:
        brainkit.train(
            "mlp", sample, epochs=3, learning_rate=1e30, verbose=0, hyperparameters={"units": 16}
        )
    message = str(info.value)
    assert "epoch 1 of 3" in message and "loss" in message and "1e+30" in message
    assert info.value.result is not None  # what diverged, to look at
    assert len(info.value.result.history["loss"]) == 1  # stopped there, not after 3 epochs


def test_cli_divergence_saves_nothing(tmp_path):
    err = _refused_after_training(
        _cli(
            [
                "train",
                "--dataset",
                "fashion_mnist_sample",
                "--epochs",
                "1",
                "-q",
                "--learning-rate",
                "1e30",
            ],
            tmp_path,
        )
    )
    assert "diverged" in err and "--learning-rate" in err and "epoch 1" in err
    assert list(tmp_path.iterdir()) == []


def _refused_after_training(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.startswith("Error: ")
    return result.stderr


@pytest.mark.backend
def test_metrics_json_is_strict(saved_run, tmp_path):
    run = brainkit.training.TrainResult(
        model=saved_run.model,
        history={"loss": [1.0, float("nan")], "accuracy": [0.5, float("inf")]},
        metrics={
            **saved_run.metrics,
            "test_loss": float("nan"),
            "test_accuracy": np.float32("nan"),
        },
        class_names=saved_run.class_names,
        recipe=saved_run.recipe,
        architecture=saved_run.architecture,
        dataset_name=saved_run.dataset_name,
        seconds=1.0,
    )
    run.save(tmp_path / "run")
    for name in ("metrics.json", "history.json", "run.json"):
        _strict_json(tmp_path / "run" / name)
    metrics = _strict_json(tmp_path / "run" / "metrics.json")
    assert metrics["test_loss"] is None and metrics["test_accuracy"] is None
    loaded = brainkit.load_run(tmp_path / "run")
    assert loaded.history["loss"][0] == 1.0 and np.isnan(loaded.history["loss"][1])
    assert json.loads(strict_json({"accuracy": np.float64("nan"), "n": np.int64(3)})) == {
        "accuracy": None,
        "n": 3,
    }


# ------------------------------------------------------------------ a save that fails after training


def test_a_save_that_fails_after_training_keeps_the_run(monkeypatch, tmp_path):
    import errno

    from brainkit.training import TrainResult

    real = TrainResult.write_files
    calls = []

    def full_disk(self, folder):
        calls.append(folder)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(folder / "model.keras"))
        return real(self, folder)

    monkeypatch.setattr(TrainResult, "write_files", full_disk)
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(main, [*TRAIN, "--no-plots", "--out", "run"])
    assert out.exit_code == 1 and "No space left" in out.output and "free some space" in out.output
    rescued = Path(out.output.split("saved to ")[1].split("/ instead")[0])
    try:
        assert brainkit.load_run(rescued).architecture == "linear"
    finally:
        shutil.rmtree(rescued, ignore_errors=True)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def tiny_disk():
    """A real 64 kB file system (tmpfs), too small for a model: needs root and mount rights."""
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    where = Path(tempfile.mkdtemp(prefix="bk-disk-", dir="/tmp"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(where)], capture_output=True
    )
    if done.returncode != 0:
        where.rmdir()
        pytest.skip("cannot mount a tmpfs here")
    yield where
    subprocess.run(["umount", str(where)], check=False)
    shutil.rmtree(where, ignore_errors=True)


def test_a_real_full_disk_at_save_time_keeps_the_run(tiny_disk, tmp_path):
    result = _cli(
        [*TRAIN, "--no-plots", "--out", str(tiny_disk / "run")], tmp_path, env=_env(TMPDIR=tmp_path)
    )
    err = _refused_after_training(result)
    assert "No space left on device" in err and "free some space" in err
    assert "test accuracy" in result.stdout  # it did train
    rescued = Path(err.split("saved to ")[1].split("/ instead")[0])
    assert rescued.parent == tmp_path
    assert brainkit.load_run(rescued).architecture == "linear"
    assert os.listdir(tiny_disk) == []  # no half-written run, no claim, no staging folder


def test_plot_into_a_read_only_run_says_so(saved_run, shared_tmp):
    run = shared_tmp / "run"
    shutil.copytree(saved_run.path, run)
    os.chmod(run, 0o555)
    result = _cli(["plot", "run"], shared_tmp, prefix=_as_nobody(), env=_env(HOME=shared_tmp))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert (
        result.stderr.startswith("Error: Cannot write the run")
        and "Permission denied" in result.stderr
    )


# ------------------------------------------------------------------ figures that cannot be written


def test_figures_into_a_folder_that_cannot_be_written(tmp_path):
    """`show --out` and `predict --show` under a file, or with an unknown format: one line."""
    (tmp_path / "a-file").write_text("not a folder")
    for out in (tmp_path / "a-file" / "grid.png", tmp_path / "grid.xyz"):
        result = _cli(["show", "fashion_mnist_sample", "--out", str(out)], tmp_path)
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("Error: Cannot write the figure"), result.stderr
        assert not out.exists()


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--epochs", "0", "range x>=1"),
        ("--batch-size", "-3", "range x>=1"),
        ("--learning-rate", "0", "range x>0"),
        ("--learning-rate", "nan", "finite number greater than 0"),
        ("--learning-rate", "inf", "finite number greater than 0"),
    ],
)
def test_bad_train_numbers_are_refused_before_any_work(tmp_path, option, value, words):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, [*TRAIN, option, value, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert option in result.output and words in result.output
    assert "Traceback" not in result.output and not out.exists()
