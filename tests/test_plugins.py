"""Third-party architectures through entry points: real install, broken, colliding, disabled."""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from brainkit import architectures as A

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "plugin-package"
_counter = itertools.count()

GOOD_BUILDER = """
from brainkit.architectures import Recipe, architecture

@architecture(description="A good one.", recipe=Recipe(epochs=1), api_version={api})
def build(input_shape, num_classes, units=4):
    import keras
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(units, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))
"""


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch):
    monkeypatch.delenv(A.DISABLE_ENV, raising=False)
    A.refresh()
    yield
    A.refresh()


@pytest.fixture
def make_dist(tmp_path, monkeypatch):
    """Create a fake installed distribution (``NAME-VER.dist-info`` + a module) on sys.path."""
    created_modules: list[str] = []

    def make(dist, eps, source=GOOD_BUILDER, *, version="1.0", api=1, folder=None):
        root = folder or tmp_path / f"site{next(_counter)}"
        root.mkdir(parents=True, exist_ok=True)
        module = f"bk_fake_{dist.replace('-', '_')}_{next(_counter)}"
        info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = ["[brainkit.architectures]"]
        lines += [f"{name} = {module}:{attr}" for name, attr in eps.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        (root / f"{module}.py").write_text(textwrap.dedent(source.format(api=api)))
        if str(root) not in sys.path:
            monkeypatch.syspath_prepend(str(root))
        created_modules.append(module)
        A.refresh()
        return module

    yield make
    for module in created_modules:
        sys.modules.pop(module, None)


def _info(key):
    return next(i for i in A.discover() if i.key == key)


@pytest.mark.backend
def test_a_good_fake_plugin_is_discovered_and_built(make_dist):
    make_dist("good-dist", {"goodnet": "build"})
    assert "goodnet" in A.list_architectures()
    info = _info("good-dist:goodnet")
    assert (info.distribution, info.version, info.builtin) == ("good-dist", "1.0", False)
    arch = A.get("goodnet")
    assert arch.source == "good-dist 1.0" and arch.description == "A good one."
    assert A.build("goodnet", (5, 5), 3, units=2).count_params() == 25 * 2 + 2 + 2 * 3 + 3


def test_broken_plugin_is_reported_and_the_rest_keep_working(make_dist, caplog):
    make_dist("broken-dist", {"brokennet": "build"}, "import no_such_module_xyz\n")
    make_dist("good-dist", {"goodnet": "build"})
    assert {"brokennet", "goodnet", "mlp"} <= set(A.list_architectures())  # listing never imports
    with caplog.at_level(logging.WARNING, logger="brainkit.architectures"):
        with pytest.raises(A.PluginError) as info:
            A.get("brokennet")
    message = str(info.value)
    assert "broken-dist 1.0" in message and "ModuleNotFoundError" in message
    assert "no_such_module_xyz" in message and "BRAINKIT_DISABLE_ARCHITECTURES" in message
    assert info.value.distribution == "broken-dist 1.0"
    assert any("brokennet" in r.getMessage() for r in caplog.records)
    failure = A.load_errors()["broken-dist:brokennet"]
    assert "Traceback" in failure.traceback and "no_such_module_xyz" in failure.traceback
    assert _info("broken-dist:brokennet").error is failure
    # Asking again gives the same error without importing again.
    with pytest.raises(A.PluginError):
        A.get("brokennet")
    assert A.build("goodnet", (4,), 2).count_params() > 0
    assert A.build("linear", (28, 28), 10).count_params() == 7_850


def test_plugin_raising_at_import_time_any_exception(make_dist):
    make_dist("boom-dist", {"boom": "build"}, "raise RuntimeError('kaboom')\n")
    with pytest.raises(A.PluginError, match="boom-dist 1.0.*RuntimeError: kaboom"):
        A.get("boom")
    assert A.get("mlp").name == "mlp"


def test_builder_that_raises(make_dist):
    source = "def build(input_shape, num_classes):\n    raise ValueError('no can do')\n"
    make_dist("raiser-dist", {"raiser": "build"}, source)
    arch = A.get("raiser")  # loading works; building fails
    with pytest.raises(A.PluginError) as info:
        A.build("raiser", (28, 28), 10)
    assert "raiser-dist 1.0" in str(info.value) and "ValueError: no can do" in str(info.value)
    assert "input_shape=(28, 28), num_classes=10" in str(info.value)
    assert arch.description == ""
    assert A.build("mlp", (28, 28), 10).count_params() == 101_770


@pytest.mark.backend
def test_builder_with_the_wrong_output(make_dist):
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
    make_dist(
        "wrong-dist",
        {
            "wrongunits": "wrong_units",
            "notamodel": "not_a_model",
            "twoout": "two_outputs",
            "wronginput": "wrong_input",
            "notcallable": "NOT_CALLABLE",
        },
        source,
    )
    with pytest.raises(
        A.PluginError, match=r"wrong-dist 1.0.*last dimension must equal num_classes \(10\)"
    ):
        A.build("wrongunits", (28, 28), 10)
    with pytest.raises(
        A.PluginError, match=r"wrong-dist 1.0 returned builtins.str instead of a keras.Model"
    ):
        A.build("notamodel", (28, 28), 10)
    with pytest.raises(A.PluginError, match="2 outputs"):
        A.build("twoout", (28, 28), 10)
    with pytest.raises(A.PluginError, match=r"input_shape=\(28, 28\) but its model takes \(7,\)"):
        A.build("wronginput", (28, 28), 10)
    with pytest.raises(A.PluginError, match="is a int, not a builder"):
        A.get("notcallable")
    assert A.build("linear", (28, 28), 10).count_params() == 7_850


def test_two_distributions_claiming_the_same_name(make_dist, caplog):
    with caplog.at_level(logging.WARNING, logger="brainkit.architectures"):
        make_dist("alpha-nets", {"twin": "build"})
        make_dist("beta-nets", {"twin": "build"}, version="2.0")
        names = A.list_architectures()
    assert "alpha-nets:twin" in names and "beta-nets:twin" in names and "twin" not in names
    with pytest.raises(A.AmbiguousArchitectureError) as info:
        A.get("twin")
    message = str(info.value)
    assert "alpha-nets 1.0" in message and "beta-nets 2.0" in message
    assert "'alpha-nets:twin'" in message and "'beta-nets:twin'" in message
    assert A.get("beta-nets:twin").source == "beta-nets 2.0"
    assert A.get("alpha_nets:twin").source == "alpha-nets 1.0"  # any spelling of the dist name
    alpha = _info("alpha-nets:twin")
    assert alpha.ambiguous and alpha.collision == ("beta-nets",)
    assert any("twin" in r.getMessage() for r in caplog.records)


def test_a_plugin_never_overrides_a_builtin(make_dist, caplog):
    source = "def linear(input_shape, num_classes):\n    raise AssertionError('must not be used')\n"
    with caplog.at_level(logging.WARNING, logger="brainkit.architectures"):
        make_dist("evil-nets", {"linear": "linear"}, source)
        names = A.list_architectures()
    assert "linear" in names and "evil-nets:linear" in names
    assert A.get("linear").distribution == "brainkit"
    assert A.build("linear", (28, 28), 10).count_params() == 7_850
    assert A.get("evil-nets:linear").distribution == "evil-nets"
    evil = _info("evil-nets:linear")
    assert evil.shadowed and evil.lookup_name == "evil-nets:linear"
    assert _info("brainkit:linear").collision == ("evil-nets",)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("evil-nets" in w and "built-in" in w for w in warnings)


def test_same_distribution_twice_on_sys_path_counts_once(make_dist, tmp_path):
    module = make_dist("dupe-dist", {"dupe": "build"}, folder=tmp_path / "first")
    second = tmp_path / "second"
    second.mkdir()
    for item in (tmp_path / "first").iterdir():
        target = second / item.name
        if item.is_dir():
            target.mkdir()
            for f in item.iterdir():
                (target / f.name).write_bytes(f.read_bytes())
        else:
            target.write_bytes(item.read_bytes())
    sys.path.append(str(second))
    try:
        A.refresh()
        dupes = [i for i in A.discover() if i.name == "dupe"]
        assert len(dupes) == 1 and not dupes[0].collision
        assert dupes[0].location == str(tmp_path / "first")
        assert A.get("dupe").entry_point == f"{module}:build"
    finally:
        sys.path.remove(str(second))


def test_disable_with_the_environment_variable(make_dist, monkeypatch):
    make_dist("good-dist", {"goodnet": "build", "othernet": "build"})
    monkeypatch.setenv(A.DISABLE_ENV, "goodnet, shallow")
    assert "goodnet" not in A.list_architectures()
    assert "shallow" not in A.list_architectures()
    assert {"goodnet", "shallow"} <= set(A.list_architectures(include_disabled=True))
    assert _info("good-dist:goodnet").disabled and not _info("good-dist:othernet").disabled
    with pytest.raises(A.ArchitectureDisabledError, match="goodnet.*disabled"):
        A.get("goodnet")
    with pytest.raises(A.ArchitectureDisabledError):
        A.get("good-dist:goodnet")
    assert A.build("othernet", (3,), 2).count_params() > 0
    monkeypatch.setenv(A.DISABLE_ENV, "good-dist:*")
    assert "othernet" not in A.list_architectures() and "mlp" in A.list_architectures()


def test_disable_argument_and_dist_qualified_disable(make_dist, monkeypatch):
    make_dist("evil-nets", {"mlp": "build"})
    assert "evil-nets:mlp" in A.list_architectures()
    assert "evil-nets:mlp" not in A.list_architectures(disable=["evil-nets:mlp"])
    infos = {i.key: i for i in A.discover(disable="evil-nets:mlp")}
    assert infos["evil-nets:mlp"].disabled and not infos["brainkit:mlp"].collision
    # Disabling the built-in by its qualified name leaves the plugin as the only "mlp".
    monkeypatch.setenv(A.DISABLE_ENV, "brainkit:mlp")
    assert A.get("mlp").distribution == "evil-nets"
    with pytest.raises(A.ArchitectureDisabledError):
        A.get("mlp", disable="mlp")


@pytest.mark.parametrize(
    "api,fix", [(2, "Upgrade brainkit"), (0, "Upgrade the plugin"), ("one", "an integer")]
)
def test_incompatible_api_version_is_refused(make_dist, api, fix):
    make_dist("future-nets", {"futurenet": "build"}, api=repr(api))
    with pytest.raises(A.IncompatiblePluginError) as info:
        A.get("futurenet")
    message = str(info.value)
    assert "'futurenet'" in message and "future-nets 1.0" in message
    assert f"api_version={api!r}" in message and "API version 1" in message and fix in message
    assert isinstance(info.value, A.PluginError)
    assert "future-nets:futurenet" in A.load_errors()
    assert A.get("mlp").api_version == 1


def test_bare_function_plugin_gets_default_metadata(make_dist):
    source = '''
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
    make_dist("plain-dist", {"plainnet": "plain"}, source)
    arch = A.get("plainnet")
    assert arch.description == "A plain builder without metadata."
    assert dict(arch.hyperparameters) == {"depth": 2, "width": 8}
    assert arch.recipe == A.Recipe() and arch.api_version == A.API_VERSION
    from brainkit.architectures.testing import check_architecture

    report = check_architecture("plainnet", (6, 6), 3, hyperparameters={"depth": 1})
    assert report.ok, report
    assert any("output='logits'" in w for w in report.warnings)  # softmax under a logits recipe
    with pytest.raises(A.HyperparameterError, match="depth=2, width=8"):
        A.build("plainnet", (6, 6), 3, height=3)


# ------------------------------------------------------------ testing helpers


def test_check_architecture_reports_each_stage(make_dist):
    from brainkit.architectures.testing import assert_valid_architecture, check_architecture

    make_dist("broken-dist", {"brokennet": "build"}, "import no_such_module_xyz\n")
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

    good = assert_valid_architecture("mlp", (28, 28), 10, train_step=True)
    assert good.ok and good.parameters == 101_770 and good.output_shape == (2, 10)
    assert good.summary().startswith("PASS mlp (brainkit ")
    assert not good.warnings


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
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--quiet",
        "--target",
        str(target),
        str(source),
    ]
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

    arch = A.get("lenet5")
    assert arch.source == "brainkit-lenet 0.1.0" and arch.api_version == 1
    assert arch.description.startswith("LeNet-5")
    model = A.build("lenet5", (28, 28), 10)
    assert model.count_params() == 61_706

    recipe = arch.recipe
    rng = np.random.default_rng(0)
    x = recipe.scale_inputs(rng.integers(0, 256, size=(16, 28, 28)))
    y = recipe.encode_labels(rng.integers(0, 10, size=16), 10)
    model.compile(**recipe.compile_arguments())
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
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
