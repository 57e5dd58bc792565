"""Check an architecture the way brainkit uses it, like scikit-learn's ``check_estimator``.

:doc:`/plugins` shows these, and the ``architecture_check`` pytest fixture, in a plugin's tests."""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from brainkit import architectures
from brainkit.architectures import Architecture, EntryInfo
from brainkit.datasets import Dataset, load
from brainkit.runtime import import_keras
from brainkit.training import train

__all__ = [  # noqa: F822 (architecture_check: made on first use)
    "CheckReport", "architecture_check", "assert_valid_architecture", "check_architecture"]


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
        return (f"PASS {self.name} ({self.source}): {self.parameters:,} parameters, "
                f"output {self.output_shape}, {self.seconds:.1f} s")

    def __str__(self) -> str:
        return "\n".join([self.summary(), *(f"  warning: {w}" for w in self.warnings)])


def _sample_slice(shape: tuple[int, ...], num_classes: int) -> Dataset:
    """The first images of the embedded sample; random pixels if they do not fit ``shape``."""
    sample = load("fashion_mnist_sample")
    n, t = 80, 64  # 64 images to train on, 16 to test on
    if sample.x_train[0].size == np.prod(shape):
        x = sample.x_train[:n].reshape(n, *shape)
    else:
        x = np.random.default_rng(0).integers(0, 256, size=(n, *shape), dtype=np.uint8)
    y = sample.y_train[:n] % num_classes
    names = tuple(f"class {i}" for i in range(num_classes))
    return Dataset("fashion_mnist_sample slice", x[:t], y[:t], x[t:], y[t:], names, "embedded")


def check_architecture(name_or_builder: str | EntryInfo | Architecture | Callable[..., Any],
                       input_shape: Any = (28, 28), num_classes: int = 10, *,
                       hyperparameters: Mapping[str, Any] | None = None,
                       train_step: bool = False, seed: int = 0) -> CheckReport:
    """Load, build, run and maybe train an architecture: a :class:`CheckReport`, never an error.

    Parameters
    ----------
    name_or_builder : str, EntryInfo, Architecture or callable
        An installed architecture's name (or ``"distribution:name"``), or the object itself.
    input_shape, num_classes : tuple of int, int
        Shape of one example; number of classes.
    hyperparameters : mapping, optional
        Hyperparameters to build with.
    train_step : bool
        Also train one epoch with :func:`brainkit.train` on the embedded ``fashion_mnist_sample``.
    seed : int
        Seed of the random forward-pass batch and of the training run.
    """
    start = time.perf_counter()
    target = name_or_builder
    name = str(getattr(target, "lookup_name", "") or getattr(target, "name", "")
               or getattr(target, "__name__", "") or target)
    source = getattr(target, "source", "<unregistered>")
    stage = "load"
    facts: dict[str, Any] = {}
    warnings: list[str] = []
    warn = warnings.append

    def report(stage: str, error: str | None = None) -> CheckReport:
        return CheckReport(name, source, error is None, stage, error, warnings=tuple(warnings),
                           seconds=time.perf_counter() - start, **facts)

    with architectures.plugin_call() as state:
        try:
            installed = isinstance(target, (str, EntryInfo))
            arch = architectures.get(target) if installed else architectures.architecture(target)
            name, source = arch.name or name, arch.source
            if problem := architectures.api_version_problem(arch.api_version):
                return report("load", f"it {problem}")
            if arch.api_version is None:
                warn("no api_version declared: it counts as 1; declare the one you need.")
            if not arch.description:
                warn("no description: add a docstring or @architecture(description=...).")
            stage = "build"
            shape = architectures.check_input_shape(input_shape)
            model = arch.build(shape, num_classes, **(hyperparameters or {}))
            facts["parameters"] = int(model.count_params())
            if getattr(model, "compiled", False):
                warn("the builder compiled its model; brainkit compiles it from the recipe.")
            stage = "forward"
            x = arch.recipe.scale_inputs(np.random.default_rng(seed).integers(0, 256, (2, *shape)))
            y = import_keras().ops.convert_to_numpy(model(x, training=False))
            facts["output_shape"] = tuple(int(d) for d in y.shape)
            if facts["output_shape"] != (2, num_classes):
                return report("forward", f"output shape {y.shape}, expected {(2, num_classes)}.")
            if not np.all(np.isfinite(y)):
                return report("forward", "the output has NaN or infinite values.")
            sums_to_one = bool(np.all(y >= -1e-6) and np.allclose(y.sum(axis=-1), 1.0, atol=1e-3))
            if arch.recipe.output == "logits" and sums_to_one and num_classes > 1:
                warn("the outputs are probabilities (rows sum to 1) but the recipe says "
                     "output='logits'; use Recipe(output='probabilities') or drop the softmax.")
            elif arch.recipe.output == "probabilities" and not sums_to_one:
                warn("the recipe says output='probabilities' but the rows do not sum to 1; "
                     "add a softmax or use Recipe(output='logits').")
            if train_step:
                stage, data = "train", _sample_slice(shape, num_classes)
                train(arch, data, epochs=1, hyperparameters=dict(hyperparameters or {}), seed=seed,
                      validation=None, verbose=0)
        except BaseException as exc:  # a plugin's SystemExit too; a real Ctrl-C is re-raised
            return report(stage, architectures.plugin_failure(exc, state))
    return report("done")


def assert_valid_architecture(name_or_builder: str | EntryInfo | Architecture | Callable[..., Any],
                              input_shape: Any = (28, 28), num_classes: int = 10,
                              **options: Any) -> CheckReport:
    """Like :func:`check_architecture`, but raise ``AssertionError`` unless it passes.

    Returns the passing :class:`CheckReport`, with any warnings.
    """
    result = check_architecture(name_or_builder, input_shape, num_classes, **options)
    if not result.ok:
        raise AssertionError(str(result))
    return result


def __getattr__(name: str) -> Any:
    if name != "architecture_check":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import pytest  # made on first use: brainkit's CLI need not load pytest

    @pytest.fixture
    def architecture_check() -> Callable[..., CheckReport]:
        """:func:`assert_valid_architecture`, with brainkit's plugin caches cleared."""
        architectures.refresh()
        return assert_valid_architecture

    globals()[name] = architecture_check  # made once
    return architecture_check


def __dir__() -> list[str]:  # pytest finds a plugin module's fixtures through dir()
    return sorted({*globals(), "architecture_check"})
