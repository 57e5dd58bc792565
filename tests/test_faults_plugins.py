"""Fault injection for plugins: a plugin must not be able to end the host or fake a passing check.

Each test installs fake distributions (``*.dist-info`` with entry points, and
their modules) in a temporary folder and runs the real ``brainkit`` command in
a real subprocess, so a plugin that calls ``os._exit()`` can only take down
what brainkit lets it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brainkit import architectures as A

REPO = Path(__file__).resolve().parents[1]

GOOD = """
from brainkit.architectures import architecture

@architecture(description="Still standing.", api_version=1)
def build(input_shape, num_classes):
    import keras
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(keras.layers.Flatten()(inputs)))
"""

EXIT_IN_BUILDER = """
import os
from brainkit.architectures import architecture

@architecture(description="Exits when built.", api_version=1)
def build(input_shape, num_classes):
    os._exit(0)
"""

PLUGINS = {
    "aaa-exit": ("aaaexit", "import os\nos._exit(0)\n"),
    "sysexit-dist": ("sysexitnet", "import sys\nsys.exit(0)\n"),
    "ctrlc-dist": ("ctrlcnet", "raise KeyboardInterrupt\n"),
    "good-dist": ("goodnet", GOOD),
}

pytestmark = pytest.mark.usefixtures("fresh_registry")


@pytest.fixture
def site(plugin_site):
    """Where to install fake plugins (``site.add``); ``site.path`` goes on the child's PYTHONPATH."""
    return plugin_site


def brainkit(site, *args: str, timeout: float = 240, **env: str) -> subprocess.CompletedProcess:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join([str(site.path), str(REPO / "src")])
    environ.setdefault("KERAS_BACKEND", "jax")
    environ.pop(A.DISABLE_ENV, None)
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "brainkit", "archs", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def row(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(name + " "))


def test_the_listing_survives_plugins_that_exit_or_interrupt_at_import(site):
    for dist, (name, source) in PLUGINS.items():
        site.add(dist, {name: "build"}, source)
    result = brainkit(site)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[BROKEN]" in row(out, "aaaexit") and "os._exit()" in row(out, "aaaexit")
    assert "[BROKEN]" in row(out, "sysexitnet") and "sys.exit(0)" in row(out, "sysexitnet")
    assert "[BROKEN]" in row(out, "ctrlcnet") and "KeyboardInterrupt" in row(out, "ctrlcnet")
    assert "Still standing." in row(out, "goodnet")
    for builtin in ("cnn", "linear", "mlp", "shallow"):
        assert row(out, builtin)
    assert "Traceback" not in out + result.stderr
    assert "failed to load" not in result.stderr  # each problem is told once, in the table


def test_check_cannot_be_faked_by_a_plugin_that_exits(site):
    site.add("aaa-exit", {"aaaexit": "build"}, PLUGINS["aaa-exit"][1])
    site.add("builder-exit", {"builderexit": "build"}, EXIT_IN_BUILDER)
    site.add("good-dist", {"goodnet": "build"}, GOOD)
    result = brainkit(site, "--check", "aaaexit", "builderexit", "goodnet", "linear")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert (
        lines[0].startswith("FAIL aaaexit (aaa-exit 1.0)") and "ended the whole process" in lines[0]
    )
    assert (
        lines[1].startswith("FAIL builderexit (builder-exit 1.0)") and "exit status 0" in lines[1]
    )
    assert lines[2].startswith("PASS goodnet (good-dist 1.0)")  # the checks go on after a crash
    assert lines[3].startswith("PASS linear (brainkit ")


def test_check_fails_for_sys_exit_and_keyboard_interrupt_plugins(site):
    site.add("sysexit-dist", {"sysexitnet": "build"}, PLUGINS["sysexit-dist"][1])
    site.add("ctrlc-dist", {"ctrlcnet": "build"}, PLUGINS["ctrlc-dist"][1])
    result = brainkit(site, "--check", "sysexitnet", "ctrlcnet")
    assert result.returncode == 1
    out = result.stdout
    assert "FAIL sysexitnet" in out and "sys.exit(0)" in out
    assert "FAIL ctrlcnet" in out and "KeyboardInterrupt" in out


def test_a_plugin_that_hangs_at_import_is_reported_not_waited_for(site):
    site.add("hang-dist", {"hangnet": "build"}, "import time\ntime.sleep(600)\n")
    site.add("good-dist", {"goodnet": "build"}, GOOD)
    start = time.monotonic()
    result = brainkit(site, timeout=120, BRAINKIT_PLUGIN_TIMEOUT="3")
    assert result.returncode == 0, result.stderr
    assert "[BROKEN]" in row(result.stdout, "hangnet") and "within 3 s" in row(
        result.stdout, "hangnet"
    )
    assert "Still standing." in row(result.stdout, "goodnet")
    assert time.monotonic() - start < 60


def test_in_process_get_turns_exit_and_interrupt_into_plugin_errors(site):
    site.add("sysexit-dist", {"sysexitnet": "build"}, PLUGINS["sysexit-dist"][1])
    site.add("ctrlc-dist", {"ctrlcnet": "build"}, PLUGINS["ctrlc-dist"][1])
    with pytest.raises(A.ArchitectureError, match=r"sys\.exit\(0\)"):
        A.get("sysexitnet")
    with pytest.raises(A.ArchitectureError, match="KeyboardInterrupt by itself"):
        A.get("ctrlcnet")
    assert A.get("linear").name == "linear"


def test_a_real_ctrl_c_during_a_plugin_import_still_stops_brainkit(site):
    """A KeyboardInterrupt from a real SIGINT is the user's, not the plugin's: it is not swallowed."""
    site.add(
        "slow-dist",
        {"slownet": "build"},
        "import time\nprint('IMPORTING', flush=True)\ntime.sleep(30)\n",
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site.path), str(REPO / "src")]))
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from brainkit import architectures as A; A.get('slownet'); print('SWALLOWED')",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "IMPORTING"
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
    assert "SWALLOWED" not in out and "KeyboardInterrupt" in err and child.returncode != 0
