"""Runtime: backend choice before Keras loads, clear errors, seeding, device report."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import time

import pytest

from brainkit import runtime
from brainkit.datasets import dataset_status
from brainkit.runtime import BackendError

pytestmark = pytest.mark.backend


def run_python(code: str, cwd=None, env_extra=None, unset=()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_brainkit_and_help_do_not_import_keras():
    result = run_python(
        """
        import sys
        import brainkit, brainkit.runtime, brainkit.datasets, brainkit.viz
        from click.testing import CliRunner
        from brainkit.cli import main
        out = CliRunner().invoke(main, ["--help"])
        assert out.exit_code == 0, out.output
        heavy = [m for m in ("keras", "jax", "torch", "tensorflow") if m in sys.modules]
        print("HEAVY", heavy)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


def test_resolution_order(monkeypatch):
    installed = runtime.available_backends()
    assert installed, "the test environment has at least one backend"
    monkeypatch.setattr(runtime, "_explicit_backend", None)
    monkeypatch.setattr(runtime, "_keras_loaded_backend", lambda: None)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    assert runtime.resolve_backend() == installed[0]  # first installed of jax, torch, tensorflow
    monkeypatch.setenv("KERAS_BACKEND", installed[-1])
    assert runtime.resolve_backend() == installed[-1]
    assert runtime.resolve_backend(installed[0]) == installed[0]  # explicit wins
    assert runtime.resolve_backend("PyTorch" if "torch" in installed else installed[0]) in installed


def test_missing_backend_gives_pip_line(monkeypatch):
    monkeypatch.setattr(runtime, "_distribution_installed", lambda name: name == "jax")
    monkeypatch.setattr(runtime, "_keras_loaded_backend", lambda: None)
    with pytest.raises(BackendError, match=r'pip install "brainkit\[tensorflow\]"'):
        runtime.resolve_backend("tensorflow")
    monkeypatch.setattr(runtime, "_distribution_installed", lambda name: False)
    monkeypatch.setattr(runtime, "_explicit_backend", None)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    with pytest.raises(BackendError, match=r"No Keras backend is installed.*brainkit\[jax\]"):
        runtime.resolve_backend()


def test_unknown_backend_name():
    with pytest.raises(BackendError, match="Unknown Keras backend 'theano'"):
        runtime.resolve_backend("theano")


def test_no_tensorflow_fallback_when_keras_backend_unset(tmp_path):
    """Plain Keras falls back to TensorFlow; brainkit picks an installed backend."""
    result = run_python(
        """
        from brainkit import runtime
        keras = runtime.import_keras()
        print("BACKEND", keras.backend.backend())
        """,
        env_extra={"KERAS_HOME": str(tmp_path)},
        unset=("KERAS_BACKEND",),
    )
    assert result.returncode == 0, result.stderr
    assert f"BACKEND {runtime.available_backends()[0]}" in result.stdout


def test_changing_backend_after_keras_loaded_is_refused():
    other = next(b for b in runtime.BACKENDS if b != os.environ.get("KERAS_BACKEND", "jax"))
    result = run_python(
        f"""
        from brainkit import runtime
        runtime.import_keras()
        try:
            runtime.use_backend({other!r})
        except runtime.BackendError as exc:
            print("ERR", exc)
        """
    )
    if other not in runtime.available_backends():
        assert "is not installed" in result.stdout
    else:
        assert "already running" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["jax", "torch"])
def test_shadowing_folder_is_detected(tmp_path, name):
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("")
    result = run_python(
        """
        from brainkit import runtime
        try:
            runtime.import_keras()
        except runtime.BackendError as exc:
            print("ERR", exc)
        """,
        cwd=tmp_path,
        env_extra={"KERAS_BACKEND": name, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
    )
    if name not in runtime.available_backends():
        pytest.skip(f"{name} is not installed")
    assert "shadows the real" in result.stdout, result.stdout + result.stderr
    assert str(tmp_path / name) in result.stdout


def test_seed_everything_is_reproducible():
    keras = runtime.import_keras()
    import numpy as np

    def weights():
        runtime.seed_everything(123)
        layer = keras.layers.Dense(4)
        layer.build((None, 3))
        return (
            keras.ops.convert_to_numpy(layer.kernel),
            np.random.rand(),
            __import__("random").random(),
        )

    a, b = weights(), weights()
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1:] == b[1:]
    with pytest.raises(ValueError, match="non-negative integer"):
        runtime.seed_everything(-1)


def test_device_report_matches_backend():
    report = runtime.device_report()
    keras = runtime.import_keras()
    assert report["backend"] == keras.backend.backend()
    assert report["keras"] == keras.__version__
    assert report["devices"] and all({"kind", "name"} <= set(d) for d in report["devices"])
    assert report["accelerators"] == sum(d["kind"] != "CPU" for d in report["devices"])
    assert "datasets" not in report  # the data are brainkit info's, a layer up
    report["datasets"] = [s.as_dict() for s in dataset_status()]
    text = runtime.format_device_report(report)
    assert f"on {report['backend']}" in text and "fashion_mnist_sample" in text


def test_jax_compile_cache_lives_in_the_brainkit_cache(tmp_path):
    pytest.importorskip("jax")
    code = """
        import jax
        from brainkit.runtime import import_keras
        import_keras("jax")
        print("CACHE", jax.config.jax_compilation_cache_dir)
        print("MIN", jax.config.jax_persistent_cache_min_compile_time_secs)
        """
    on = run_python(code, env_extra={"BRAINKIT_DATA": str(tmp_path)}, unset=("KERAS_BACKEND",))
    assert on.returncode == 0, on.stderr
    assert f"CACHE {tmp_path / 'compiled' / 'jax'}" in on.stdout and "MIN 0.0" in on.stdout
    off = run_python(
        code,
        env_extra={"BRAINKIT_DATA": str(tmp_path), "BRAINKIT_COMPILE_CACHE": "0"},
        unset=("KERAS_BACKEND",),
    )
    assert off.returncode == 0, off.stderr
    assert "CACHE None" in off.stdout


def test_saving_on_jax_or_torch_does_not_import_tensorflow(tmp_path):
    """Keras's serializer imports TensorFlow to look at objects; brainkit keeps it out."""
    import importlib.util

    if importlib.util.find_spec("tensorflow") is None:
        pytest.skip("the probe only happens with TensorFlow installed")
    backend = runtime.resolve_backend()
    if backend == "tensorflow":
        pytest.skip("on the TensorFlow backend TensorFlow is imported anyway")
    result = run_python(
        f"""
        import sys
        import brainkit
        from brainkit import runtime
        keras = runtime.import_keras({backend!r})
        run = brainkit.train("linear", "fashion_mnist_sample", epochs=1, verbose=0, validation=None)
        run.save({str(tmp_path / "run")!r})
        print("TF", "tensorflow" in sys.modules)
        with runtime.tensorflow_unprobed():
            pass
        from keras.src.utils import module_utils
        print("RESTORED", module_utils.tensorflow._available)
        again = brainkit.load_run({str(tmp_path / "run")!r})
        print("SAME", abs(brainkit.evaluate(again)["accuracy"] - run.metrics["test_accuracy"]) < 1e-6)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "TF False" in result.stdout
    assert "RESTORED None" in result.stdout and "SAME True" in result.stdout


# Blocks the named top-level modules, as if they were not installed (import fails, and
# importlib.metadata finds no distribution for them).
_BLOCK = """
import importlib.abc, importlib.metadata, sys
BLOCKED = {blocked!r}
class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Blocker())
_version = importlib.metadata.version
def _blocked_version(dist):
    if dist.replace("_", "-").split("-")[0] in BLOCKED:
        raise importlib.metadata.PackageNotFoundError(dist)
    return _version(dist)
importlib.metadata.version = _blocked_version
"""


def test_import_brainkit_sets_the_backend_keras_will_use():
    """After ``import brainkit``, a plain ``import keras`` works on a JAX-only install."""
    pytest.importorskip("jax")
    result = run_python(
        _BLOCK.format(blocked=("tensorflow", "torch"))
        + textwrap.dedent(
            """
            import os
            import brainkit
            print("HEAVY", [m for m in ("keras", "jax", "torch", "tensorflow") if m in sys.modules])
            print("ENV", os.environ.get("KERAS_BACKEND"))
            import keras
            print("KERAS", keras.backend.backend())
            print("SAME", brainkit.runtime.current_backend())
            """
        ),
        unset=("KERAS_BACKEND",),
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert (
        "ENV jax" in result.stdout and "KERAS jax" in result.stdout and "SAME jax" in result.stdout
    )


def test_import_brainkit_respects_an_explicit_backend_and_a_loaded_keras():
    explicit = run_python(
        "import os, brainkit; print('ENV', os.environ['KERAS_BACKEND'])",
        env_extra={"KERAS_BACKEND": "torch"},
    )
    assert explicit.returncode == 0, explicit.stderr
    assert "ENV torch" in explicit.stdout
    loaded = run_python(
        "import os, keras, brainkit; print('ENV', os.environ.get('KERAS_BACKEND'))",
        unset=("KERAS_BACKEND",),
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "ENV None" in loaded.stdout  # Keras chose already; brainkit does not pretend otherwise


def test_import_brainkit_imports_no_keras_or_backend():
    """``import brainkit`` stays cheap: it imports no Keras and no backend (its time is measured
    in benchmarks/bench_lessons.py, not here)."""
    result = run_python(
        """
        import sys, brainkit
        heavy = {"keras", "jax", "torch", "tensorflow", "matplotlib"} & set(sys.modules)
        print("HEAVY", sorted(heavy))
        """,
        unset=("KERAS_BACKEND",),
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


def test_tensorflow_prints_no_native_log_lines_unless_asked():
    pytest.importorskip("tensorflow")
    code = """
        import brainkit
        from brainkit import runtime
        runtime.import_keras("tensorflow")
        import warnings
        warnings.warn("a Python warning still shows")
        """
    quiet = run_python(code, unset=("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL"))
    assert quiet.returncode == 0, quiet.stderr
    assert "oneDNN" not in quiet.stderr and "absl::InitializeLog" not in quiet.stderr, quiet.stderr
    assert "a Python warning still shows" in quiet.stderr
    loud = run_python(code, env_extra={"TF_CPP_MIN_LOG_LEVEL": "0"}, unset=("KERAS_BACKEND",))
    assert loud.returncode == 0, loud.stderr
    assert "oneDNN custom operations" in loud.stderr


def test_noise_filter_keeps_what_matters():
    notice = runtime._ABSL_NOTICE
    info = "I0000 00:00:1796525606.798454    4176 port.cc:153] oneDNN custom operations are on.\n"
    error = "E0000 00:00:1796525606.798454    4176 cuda.cc:1] something broke\n"
    assert runtime._is_tensorflow_noise(notice + "\n", 2) and runtime._is_tensorflow_noise(info, 2)
    assert not runtime._is_tensorflow_noise(error, 2)
    assert not runtime._is_tensorflow_noise(info, 0)
    assert not runtime._is_tensorflow_noise("Traceback (most recent call last):\n", 3)


def test_a_ctrl_c_dropped_by_a_gc_callback_is_raised_again():
    def callback(phase, info):  # as when Ctrl-C lands in JAX's callback, run on every collection
        if phase == "start":
            raise KeyboardInterrupt

    gc.callbacks.append(callback)
    try:
        with pytest.raises(KeyboardInterrupt), runtime.ctrl_c_kept():
            gc.collect()  # Python prints "Exception ignored" for the callback's Ctrl-C, and drops it
            gc.callbacks.remove(callback)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # the dropped Ctrl-C comes back in milliseconds
                pass
    finally:
        if callback in gc.callbacks:
            gc.callbacks.remove(callback)
