"""Third-party architectures through entry points: real install, broken, colliding, disabled, versions."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path

import numpy as np
import pytest

from brainkit import architectures as A
from brainkit.architectures import _spec
from brainkit.testing import assert_valid_architecture, check_architecture

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "plugin-package"

PLAIN = '''
def plain(input_shape, num_classes, depth=2, width=8):
    """A plain builder without metadata.

    Details here.
    """
    import keras
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(inputs)
    for i in range(depth):
        x = keras.layers.Dense(width, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))
'''

DECLARES = """
from brainkit.architectures import architecture

@architecture(api_version={api})
def build(input_shape, num_classes):
    raise AssertionError("not built here")
"""

pytestmark = pytest.mark.usefixtures("fresh_registry")


def _info(key):
    return next(i for i in A.discover() if i.key == key)


@pytest.mark.backend
def test_a_good_fake_plugin_is_discovered_and_built(plugin_site):
    plugin_site.add("good-dist", {"goodnet": "build"})
    assert "goodnet" in A.list_architectures()
    info = _info("good-dist:goodnet")
    assert (info.distribution, info.version, info.builtin) == ("good-dist", "1.0", False)
    arch = A.get("goodnet")
    assert arch.source == "good-dist 1.0" and arch.description == "A good one."
    assert A.build("goodnet", (5, 5), 3, units=2).count_params() == 25 * 2 + 2 + 2 * 3 + 3


def test_broken_plugin_is_reported_and_the_rest_keep_working(plugin_site, caplog):
    plugin_site.add("broken-dist", {"brokennet": "build"}, "import no_such_module_xyz\n")
    plugin_site.add("good-dist", {"goodnet": "build"})
    assert {"brokennet", "goodnet", "mlp"} <= set(A.list_architectures())  # listing never imports
    with caplog.at_level(logging.WARNING, logger="brainkit.architectures"):
        with pytest.raises(A.ArchitectureError) as info:
            A.get("brokennet")
    message = str(info.value)
    assert "broken-dist 1.0" in message and "ModuleNotFoundError" in message
    assert "no_such_module_xyz" in message and "BRAINKIT_DISABLE_ARCHITECTURES" in message
    assert any("brokennet" in r.getMessage() for r in caplog.records)
    trace = "".join(traceback.format_exception(info.value.__cause__))  # what `archs -v` shows
    assert "Traceback" in trace and "no_such_module_xyz" in trace
    with pytest.raises(A.ArchitectureError) as again:  # the same error, not imported again
        A.get("brokennet")
    assert again.value is info.value
    assert A.build("goodnet", (4,), 2).count_params() > 0
    assert A.build("linear", (28, 28), 10).count_params() == 7_850


def test_plugin_raising_at_import_time_any_exception(plugin_site):
    plugin_site.add("boom-dist", {"boom": "build"}, "raise RuntimeError('kaboom')\n")
    with pytest.raises(A.ArchitectureError, match="boom-dist 1.0.*RuntimeError: kaboom"):
        A.get("boom")
    assert A.get("mlp").name == "mlp"


def test_builder_that_raises(plugin_site):
    source = "def build(input_shape, num_classes):\n    raise ValueError('no can do')\n"
    plugin_site.add("raiser-dist", {"raiser": "build"}, source)
    arch = A.get("raiser")  # loading works; building fails
    with pytest.raises(A.ArchitectureError) as info:
        A.build("raiser", (28, 28), 10)
    assert "raiser-dist 1.0" in str(info.value) and "ValueError: no can do" in str(info.value)
    assert "input_shape=(28, 28), num_classes=10" in str(info.value)
    assert arch.description == ""
    assert A.build("mlp", (28, 28), 10).count_params() == 101_770


@pytest.mark.backend
def test_builder_with_the_wrong_output(plugin_site):
    source = """
    def wrong_units(input_shape, num_classes):
        import keras
        inputs = keras.Input(shape=input_shape)
        return keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(inputs)))

    def not_a_model(input_shape, num_classes):
        return "a model, honest"

    def two_outputs(input_shape, num_classes):
        import keras
        inputs = keras.Input(shape=input_shape)
        x = keras.layers.Flatten()(inputs)
        return keras.Model(inputs, [keras.layers.Dense(num_classes)(x), keras.layers.Dense(1)(x)])

    def wrong_input(input_shape, num_classes):
        import keras
        inputs = keras.Input(shape=(7,))
        return keras.Model(inputs, keras.layers.Dense(num_classes)(inputs))

    NOT_CALLABLE = 42
    """
    names = ("wrong_units", "not_a_model", "two_outputs", "wrong_input", "NOT_CALLABLE")
    plugin_site.add("wrong-dist", {n.replace("_", "").lower(): n for n in names}, source)
    expected = {
        "wrongunits": r"wrong-dist 1.0.*last dimension must equal num_classes \(10\)",
        "notamodel": r"wrong-dist 1.0 returned builtins.str instead of a keras.Model",
        "twooutputs": "2 outputs",
        "wronginput": r"input_shape=\(28, 28\) but its model takes \(7,\)",
    }
    for name, pattern in expected.items():
        with pytest.raises(A.ArchitectureError, match=pattern):
            A.build(name, (28, 28), 10)
    with pytest.raises(A.ArchitectureError, match="is a int, not a builder"):
        A.get("notcallable")
    assert A.build("linear", (28, 28), 10).count_params() == 7_850


def test_two_distributions_claiming_the_same_name(plugin_site, caplog):
    with caplog.at_level(logging.WARNING, logger="brainkit.architectures"):
        plugin_site.add("alpha-nets", {"twin": "build"})
        plugin_site.add("beta-nets", {"twin": "build"}, version="2.0")
        names = A.list_architectures()
    assert "alpha-nets:twin" in names and "beta-nets:twin" in names and "twin" not in names
    with pytest.raises(A.UnknownArchitectureError) as info:
        A.get("twin")
    message = str(info.value)
    assert "several distributions" in message
    assert "alpha-nets 1.0" in message and "beta-nets 2.0" in message
    assert "'alpha-nets:twin'" in message and "'beta-nets:twin'" in message
    assert A.get("beta-nets:twin").source == "beta-nets 2.0"
    assert A.get("alpha_nets:twin").source == "alpha-nets 1.0"  # any spelling of the dist name
    alpha = _info("alpha-nets:twin")
    assert alpha.collision == ("beta-nets",) and alpha.lookup_name == "alpha-nets:twin"
    assert any("twin" in r.getMessage() for r in caplog.records)


def test_a_plugin_never_overrides_a_builtin(plugin_site, caplog):
    source = "def linear(input_shape, num_classes):\n    raise AssertionError('must not be used')\n"
    with caplog.at_level(logging.WARNING, logger="brainkit.architectures"):
        plugin_site.add("evil-nets", {"linear": "linear"}, source)
        names = A.list_architectures()
    assert "linear" in names and "evil-nets:linear" in names
    assert A.get("linear").distribution == "brainkit"
    assert A.build("linear", (28, 28), 10).count_params() == 7_850
    assert A.get("evil-nets:linear").distribution == "evil-nets"
    assert _info("evil-nets:linear").lookup_name == "evil-nets:linear"
    builtin = _info("brainkit:linear")
    assert builtin.collision == ("evil-nets",) and builtin.lookup_name == "linear"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("evil-nets" in w and "built-in" in w for w in warnings)


def test_same_distribution_twice_on_sys_path_counts_once(plugin_site, tmp_path):
    module = plugin_site.add("dupe-dist", {"dupe": "build"})
    second = tmp_path / "second"
    shutil.copytree(plugin_site.path, second)
    sys.path.append(str(second))
    try:
        A.refresh()
        dupes = [i for i in A.discover() if i.name == "dupe"]
        assert len(dupes) == 1 and not dupes[0].collision
        assert dupes[0].location == str(plugin_site.path)
        assert dupes[0].value == f"{module}:build"
    finally:
        sys.path.remove(str(second))


def test_disable_with_the_environment_variable(plugin_site, monkeypatch):
    plugin_site.add("good-dist", {"goodnet": "build", "othernet": "build"})
    plugin_site.add("evil-nets", {"mlp": "build"})
    monkeypatch.setenv(A.DISABLE_ENV, "goodnet, shallow, evil-nets:mlp")
    assert not {"goodnet", "shallow", "evil-nets:mlp"} & set(A.list_architectures())
    assert {"goodnet", "shallow"} <= set(A.list_architectures(include_disabled=True))
    assert _info("good-dist:goodnet").disabled and not _info("good-dist:othernet").disabled
    assert not _info("brainkit:mlp").collision  # a disabled rival is no collision
    for name in ("goodnet", "good-dist:goodnet"):
        with pytest.raises(A.UnknownArchitectureError, match="goodnet.*turned off"):
            A.get(name)
    assert A.build("othernet", (3,), 2).count_params() > 0
    monkeypatch.setenv(A.DISABLE_ENV, "good-dist:*")
    assert "othernet" not in A.list_architectures() and "mlp" in A.list_architectures()
    # Disabling the built-in by its qualified name leaves the plugin as the only "mlp".
    monkeypatch.setenv(A.DISABLE_ENV, "brainkit:mlp")
    assert A.get("mlp").distribution == "evil-nets"


# ------------------------------------------------------------------- plugin API versions


def test_plugin_api_versions_across_a_version_bump(plugin_site, monkeypatch):
    plugin_site.add("old-nets", {"oldnet": "build"}, api=1)
    plugin_site.add("new-nets", {"newnet": "build"}, api=2)
    plugin_site.add("future-nets", {"futurenet": "build"}, api=3)
    plugin_site.add("plain-nets", {"plainnet": "plain"}, PLAIN)  # declares nothing
    assert A.get("oldnet").api_version == 1 and A.get("plainnet").api_version is None
    with pytest.raises(A.ArchitectureError, match="needs plugin API version 2"):
        A.get("newnet")

    # brainkit moves to API 2 and keeps supporting 1: plugins written for 1 still load.
    monkeypatch.setattr(_spec, "API_VERSION", 2)
    A.refresh()
    assert A.get("oldnet").api_version == 1
    assert A.get("newnet").api_version == 2
    assert A.get("plainnet").name == "plainnet"
    with pytest.raises(A.ArchitectureError) as info:
        A.get("futurenet")
    message = str(info.value)
    assert "'futurenet' from distribution future-nets 1.0" in message
    assert (
        "needs plugin API version 3" in message and "supports plugin API versions 1 to 2" in message
    )
    assert "Upgrade brainkit" in message and f"{A.DISABLE_ENV}=future-nets:futurenet" in message
    assert not check_architecture("futurenet")
    assert A.get("mlp").api_version == 1  # the built-ins too

    # Later brainkit drops API 1: those plugins, and the undeclared one, are refused.
    monkeypatch.setattr(_spec, "OLDEST_API_VERSION", 2)
    A.refresh()
    for name in ("oldnet", "plainnet"):
        with pytest.raises(A.ArchitectureError, match="written for plugin API version 1.*plugin"):
            A.get(name)
    assert A.get("newnet").api_version == 2


@pytest.mark.parametrize("api", ["'one'", "1.0", "True"])
def test_a_non_integer_api_version_is_refused(plugin_site, api):
    plugin_site.add("odd-nets", {"oddnet": "build"}, DECLARES.replace("{api}", api))
    with pytest.raises(A.ArchitectureError, match=f"api_version={api}, which is not an integer"):
        A.get("oddnet")
    assert A.get("mlp").name == "mlp"


def test_bare_function_plugin_gets_default_metadata(plugin_site):
    plugin_site.add("plain-dist", {"plainnet": "plain"}, PLAIN)
    arch = A.get("plainnet")
    assert arch.description == "A plain builder without metadata."
    assert dict(arch.hyperparameters) == {"depth": 2, "width": 8}
    assert arch.recipe == A.Recipe() and arch.api_version is None
    report = check_architecture("plainnet", (6, 6), 3, hyperparameters={"depth": 1})
    assert report.ok, report
    assert any("output='logits'" in w for w in report.warnings)  # softmax under a logits recipe
    assert any("no api_version declared: it counts as 1" in w for w in report.warnings)
    with pytest.raises(A.HyperparameterError, match="depth=2, width=8"):
        A.build("plainnet", (6, 6), 3, height=3)


# ------------------------------------------------------------ testing helpers


def test_check_architecture_reports_each_stage(plugin_site):
    plugin_site.add("broken-dist", {"brokennet": "build"}, "import no_such_module_xyz\n")
    bad = check_architecture("brokennet")
    assert not bad and bad.stage == "load" and "broken-dist" in bad.error
    assert bad.summary().startswith("FAIL brokennet")
    missing = check_architecture("nosuch")
    assert missing.stage == "load" and "Unknown architecture" in missing.error

    def wrong(input_shape, num_classes):
        import keras

        inputs = keras.Input(shape=input_shape)
        return keras.Model(
            inputs, keras.layers.Dense(num_classes + 1)(keras.layers.Flatten()(inputs))
        )

    report = check_architecture(wrong)
    assert report.stage == "build" and "last dimension" in report.error
    with pytest.raises(AssertionError, match="FAIL wrong"):
        assert_valid_architecture(wrong)
    future = A.architecture(wrong, api_version=A.API_VERSION + 1)
    assert check_architecture(future).stage == "load"

    @A.architecture(recipe=A.Recipe(optimizer="nosuchopt"), api_version=1)
    def untrainable(input_shape, num_classes):
        """Its recipe names no Keras optimizer."""
        import keras

        inputs = keras.Input(shape=input_shape)
        return keras.Model(inputs, keras.layers.Dense(num_classes)(keras.layers.Flatten()(inputs)))

    assert check_architecture(untrainable).ok  # no training asked for
    failed = check_architecture(untrainable, train_step=True)
    assert failed.stage == "train" and "no optimizer called 'nosuchopt'" in failed.error

    good = assert_valid_architecture("mlp", (28, 28), 10, train_step=True)
    assert good.ok and good.parameters == 101_770 and good.output_shape == (2, 10)
    assert good.summary().startswith("PASS mlp (brainkit ")
    assert not good.warnings
    other = assert_valid_architecture("mlp", (32, 32, 3), 4, train_step=True)  # not the sample's
    assert other.output_shape == (2, 4)


# ---------------------------------------------------------- a real installed plugin


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    """pip-install examples/plugin-package for real into a temporary target folder."""
    target = tmp_path_factory.mktemp("site")
    build_tmp = tmp_path_factory.mktemp("build")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = tmp_path_factory.mktemp("src") / "plugin-package"
    shutil.copytree(
        EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    env = {**os.environ, "TMPDIR": str(build_tmp), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation"]
    cmd += ["--no-index", "--quiet", "--target", str(target), str(source)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert list(target.glob("brainkit_lenet-0.1.0.dist-info"))
    return target


@pytest.mark.slow
def test_installed_example_plugin_is_discovered_built_and_trained(installed_example, monkeypatch):
    monkeypatch.syspath_prepend(str(installed_example))
    A.refresh()
    assert "brainkit_lenet" not in sys.modules
    assert "lenet5" in A.list_architectures()
    assert A.list_architectures("lenet*") == ["lenet5"]
    info = _info("brainkit-lenet:lenet5")
    assert (info.version, info.value, info.builtin) == (
        "0.1.0",
        "brainkit_lenet.lenet:lenet5",
        False,
    )
    assert "brainkit_lenet" not in sys.modules  # discovery imported nothing
    try:
        arch = A.get("lenet5")
        assert arch.source == "brainkit-lenet 0.1.0" and arch.api_version == 1
        assert arch.description.startswith("LeNet-5")
        assert A.build("lenet5", (28, 28), 10).count_params() == 61_706
        import brainkit
        from brainkit.datasets import load

        result = brainkit.train("lenet5", load("fashion_mnist_sample"), epochs=1, verbose=0)
        assert np.isfinite(result.history["loss"][0]) and result.architecture == "lenet5"
    finally:
        sys.modules.pop("brainkit_lenet", None)
        sys.modules.pop("brainkit_lenet.lenet", None)


@pytest.mark.slow
def test_example_plugin_own_tests_pass_with_the_testing_helpers(installed_example):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(installed_example), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(EXAMPLE),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "4 passed" in done.stdout


@pytest.mark.parametrize(
    "conftest",
    ["from brainkit.testing import architecture_check  # noqa: F401\n",
     'pytest_plugins = ["brainkit.testing"]\n'],
    ids=["imported", "plugin"],
)  # fmt: skip
def test_architecture_check_fixture_both_ways(tmp_path, conftest):
    """The fixture is made on first use; pytest finds it imported or as a plugin module."""
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_it.py").write_text(
        "def test_linear(architecture_check):\n"
        "    assert architecture_check('linear').ok\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout + out.stderr
