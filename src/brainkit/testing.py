"""Check an architecture the way brainkit uses it, like scikit-learn's ``check_estimator``.

:func:`check_architecture` loads it (an installed name, or the object itself),
checks its plugin API version, builds and validates the model, runs a forward
pass on random data and, with ``train_step=True``, trains it for one epoch with
:func:`brainkit.train` and its own recipe on a slice of the embedded
``fashion_mnist_sample``. It never raises: it returns a :class:`CheckReport`.
In a plugin's tests::

    from brainkit.testing import assert_valid_architecture
    from my_package.lenet import lenet5

    def test_lenet5():
        assert_valid_architecture(lenet5, input_shape=(28, 28), num_classes=10, train_step=True)

The ``architecture_check`` pytest fixture (import it into your ``conftest.py``)
is :func:`assert_valid_architecture` after brainkit's plugin caches are cleared,
for the installed entry point: ``architecture_check("lenet5")``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from brainkit.architectures import (
    Architecture,
    EntryInfo,
    api_version_problem,
    architecture,
    check_input_shape,
    get,
    plugin_call,
    plugin_failure,
    refresh,
)
from brainkit.datasets import Dataset, load
from brainkit.runtime import import_keras
from brainkit.training import train

__all__ = ["CheckReport", "architecture_check", "assert_valid_architecture", "check_architecture"]  # noqa: F822 (architecture_check: made on first use)

#: How many images of the embedded sample ``train_step`` trains on, and tests on.
TRAIN_IMAGES, TEST_IMAGES = 64, 16


@dataclass(frozen=True)
class CheckReport:
    """The result of :func:`check_architecture`; truthy when the check passed.

    Attributes
    ----------
    name, source : str
        The architecture, and ``"distribution version"`` (``"<unregistered>"`` for an object).
    ok : bool
        Whether every stage passed.
    stage : str
        The stage reached: ``"load"``, ``"build"``, ``"forward"``, ``"train"`` or ``"done"``.
    error : str or None
        What went wrong at ``stage``.
    parameters : int or None
        The model's parameter count.
    output_shape : tuple or None
        The forward pass's output shape, e.g. ``(2, 10)``.
    seconds : float
        How long the check took.
    warnings : tuple of str
        Problems that do not fail the check.
    """

    name: str
    source: str
    ok: bool
    stage: str
    error: str | None = None
    parameters: int | None = None
    output_shape: tuple[int, ...] | None = None
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok

    def summary(self) -> str:
        """One line: ``PASS name (source): ...`` or ``FAIL name (source) at STAGE: error``."""
        if not self.ok:
            return f"FAIL {self.name} ({self.source}) at {self.stage}: {self.error}"
        return (
            f"PASS {self.name} ({self.source}): {self.parameters:,} parameters, "
            f"output {self.output_shape}, {self.seconds:.1f} s"
        )

    def __str__(self) -> str:
        return "\n".join([self.summary(), *(f"  warning: {w}" for w in self.warnings)])


def _sample_slice(shape: tuple[int, ...], num_classes: int) -> Any:
    """The first images of the embedded sample (random pixels if they do not fit ``shape``)."""
    sample = load("fashion_mnist_sample")
    n = TRAIN_IMAGES + TEST_IMAGES
    x = sample.x_train[:n]
    if x[0].size == int(np.prod(shape)):
        x = x.reshape(n, *shape)
    else:
        x = np.random.default_rng(0).integers(0, 256, size=(n, *shape), dtype=np.uint8)
    y = sample.y_train[:n] % num_classes
    names = tuple(f"class {i}" for i in range(num_classes))
    t = TRAIN_IMAGES
    return Dataset("fashion_mnist_sample slice", x[:t], y[:t], x[t:], y[t:], names, "embedded")


def check_architecture(
    name_or_builder: str | EntryInfo | Architecture | Callable[..., Any],
    input_shape: Any = (28, 28),
    num_classes: int = 10,
    *,
    hyperparameters: Mapping[str, Any] | None = None,
    train_step: bool = False,
    seed: int = 0,
) -> CheckReport:
    """Load, build, validate and run an architecture (and train it, if asked); never raises.

    Parameters
    ----------
    name_or_builder : str, EntryInfo, Architecture or callable
        An installed architecture's name (or ``"distribution:name"``), or the object itself.
    input_shape : tuple of int
        Shape of one example.
    num_classes : int
        Number of classes.
    hyperparameters : mapping, optional
        Hyperparameters to build with.
    train_step : bool
        Also train one epoch with :func:`brainkit.train` and the recipe on
        :data:`TRAIN_IMAGES` images of the embedded ``fashion_mnist_sample``.
    seed : int
        Seed of the random forward-pass batch and of the training run.

    Returns
    -------
    CheckReport
    """
    start = time.perf_counter()
    target = name_or_builder
    name = target.lookup_name if isinstance(target, EntryInfo) else str(getattr(
        target, "name", "") or getattr(target, "__name__", "") or target)  # fmt: skip
    source, stage = getattr(target, "source", "<unregistered>"), "load"
    warnings: list[str] = []
    facts: dict[str, Any] = {}

    def report(stage: str, error: str | None = None) -> CheckReport:
        ok = error is None
        seconds = time.perf_counter() - start
        return CheckReport(
            name, source, ok, stage, error, seconds=seconds, warnings=(*warnings,), **facts
        )

    with plugin_call() as state:
        try:
            arch = get(target) if isinstance(target, (str, EntryInfo)) else architecture(target)
            name, source = arch.name or name, arch.source
            problem = api_version_problem(arch.api_version)
            if problem:
                return report("load", f"it {problem}")
            if arch.api_version is None:
                warnings.append(
                    "no api_version declared: it counts as 1; declare the one you need."
                )
            if not arch.description:
                warnings.append(
                    "no description: add a docstring or @architecture(description=...)."
                )
            stage = "build"
            shape = check_input_shape(input_shape)
            model = arch.build(shape, num_classes, **dict(hyperparameters or {}))
            facts["parameters"] = int(model.count_params())
            if getattr(model, "compiled", False):
                warnings.append(
                    "the builder compiled its model; brainkit compiles it from the recipe."
                )
            stage = "forward"
            rng = np.random.default_rng(seed)
            x = arch.recipe.scale_inputs(rng.integers(0, 256, size=(2, *shape)))
            y = import_keras().ops.convert_to_numpy(model(x, training=False))
            facts["output_shape"] = tuple(int(d) for d in y.shape)
            if facts["output_shape"] != (2, num_classes):
                return report("forward", f"output shape {y.shape}, expected {(2, num_classes)}.")
            if not np.all(np.isfinite(y)):
                return report("forward", "the output has NaN or infinite values.")
            sums_to_one = bool(np.all(y >= -1e-6) and np.allclose(y.sum(axis=-1), 1.0, atol=1e-3))
            if arch.recipe.output == "logits" and sums_to_one and num_classes > 1:
                warnings.append(
                    "the outputs are probabilities (rows sum to 1) but the recipe says "
                    "output='logits'; use Recipe(output='probabilities') or drop the softmax."
                )
            elif arch.recipe.output == "probabilities" and not sums_to_one:
                warnings.append(
                    "the recipe says output='probabilities' but the rows do not sum to 1; "
                    "add a softmax or use Recipe(output='logits')."
                )
            if train_step:
                stage = "train"
                data = _sample_slice(shape, num_classes)
                train(arch, data, epochs=1, hyperparameters=dict(hyperparameters or {}),
                      seed=seed, validation=None, verbose=0)  # fmt: skip
        except BaseException as exc:  # a plugin's SystemExit too; a real Ctrl-C is re-raised
            return report(stage, plugin_failure(exc, state))
    return report("done")


def assert_valid_architecture(
    name_or_builder: str | EntryInfo | Architecture | Callable[..., Any],
    input_shape: Any = (28, 28),
    num_classes: int = 10,
    **options: Any,
) -> CheckReport:
    """Like :func:`check_architecture`, but raise ``AssertionError`` unless it passes.

    Returns
    -------
    CheckReport
        The passing report, with any warnings.
    """
    result = check_architecture(name_or_builder, input_shape, num_classes, **options)
    if not result.ok:
        raise AssertionError(str(result))
    return result


@functools.cache
def _fixture() -> Any:
    import pytest  # only where the fixture is asked for: brainkit's CLI need not load pytest

    @pytest.fixture
    def architecture_check() -> Callable[..., CheckReport]:
        """Pytest fixture: :func:`assert_valid_architecture`, with brainkit's plugin caches cleared."""
        refresh()
        return assert_valid_architecture

    return architecture_check


def __getattr__(name: str) -> Any:
    if name == "architecture_check":  # made on first use, as it needs pytest
        return _fixture()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:  # pytest finds a plugin module's fixtures through dir()
    return sorted([*globals(), "architecture_check"])
