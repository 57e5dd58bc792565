"""Test helpers for architecture plugin authors.

Check a builder (or an installed architecture, by name) the way brainkit will
use it: load it, build it for an input shape and class count, validate the
model (a ``keras.Model`` whose single output has ``num_classes`` units), run
one forward pass on random data and, if asked, one training step with the
architecture's own :class:`~brainkit.architectures.Recipe`.

In a plugin's tests::

    from brainkit.architectures.testing import assert_valid_architecture
    from my_package.lenet import lenet5

    def test_lenet5_is_valid():
        # the object itself, before it is installed
        assert_valid_architecture(lenet5, input_shape=(28, 28), num_classes=10, train_step=True)

    def test_lenet5_is_discovered():
        # once installed (pip install -e .), through the entry point, as users get it
        report = assert_valid_architecture("lenet5", input_shape=(32, 32, 3), num_classes=5)
        assert report.source.startswith("my-package")

Or use the pytest fixture: import it into your ``conftest.py``::

    from brainkit.architectures.testing import architecture_check  # noqa: F401

and then::

    def test_lenet5(architecture_check):
        architecture_check("lenet5", train_step=True)

The fixture is :func:`assert_valid_architecture`, called after brainkit's
plugin caches are cleared (so freshly installed plugins are seen).

:func:`check_architecture` never raises: it returns a :class:`CheckReport`
(truthy when the check passed) with the failing stage and error, the number
of parameters, and warnings such as a recipe whose ``output`` does not match
what the model emits (softmax probabilities declared as logits).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from brainkit.architectures._registry import (
    EntryInfo,
    describe_exception,
    get,
    plugin_call,
    refresh,
    reraise_if_fatal,
)
from brainkit.architectures._spec import (
    API_VERSION,
    Architecture,
    ArchitectureError,
    normalise_input_shape,
)

__all__ = ["CheckReport", "architecture_check", "assert_valid_architecture", "check_architecture"]


@dataclass(frozen=True)
class CheckReport:
    """The result of :func:`check_architecture`.

    Attributes
    ----------
    name : str
        The architecture checked.
    source : str
        ``"distribution version"``, or ``"<unregistered>"`` for a bare object.
    ok : bool
        Whether every stage passed; the report is truthy exactly then.
    stage : str
        The stage reached: ``"load"``, ``"build"``, ``"forward"``, ``"train"`` or ``"done"``.
    error : str or None
        What went wrong at ``stage``.
    parameters : int or None
        The model's parameter count.
    output_shape : tuple or None
        The output of the forward pass, e.g. ``(2, 10)``.
    seconds : float
        Time the check took.
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
        if self.ok:
            params = f"{self.parameters:,} parameters" if self.parameters is not None else ""
            return (
                f"PASS {self.name} ({self.source}): {params}, output {self.output_shape}, "
                f"{self.seconds:.1f} s"
            )
        return f"FAIL {self.name} ({self.source}) at {self.stage}: {self.error}"

    def __str__(self) -> str:
        lines = [self.summary()]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _to_architecture(target: Any) -> Architecture:
    if isinstance(target, Architecture):
        return target
    if isinstance(target, (str, EntryInfo)):
        return get(target)
    if callable(target):
        return Architecture.from_builder(target)
    raise TypeError(
        f"Expected an architecture name, an Architecture or a builder function, got "
        f"{type(target).__name__}."
    )


def _label(target: Any) -> str:
    if isinstance(target, str):
        return target
    if isinstance(target, EntryInfo):
        return target.lookup_name
    return str(getattr(target, "name", "") or getattr(target, "__name__", "") or repr(target))


def check_architecture(
    name_or_builder: str | EntryInfo | Architecture | Callable[..., Any],
    input_shape: Any = (28, 28),
    num_classes: int = 10,
    *,
    hyperparameters: Mapping[str, Any] | None = None,
    train_step: bool = False,
    batch_size: int = 2,
    seed: int = 0,
) -> CheckReport:
    """Load, build, validate and run an architecture once; never raises.

    Parameters
    ----------
    name_or_builder : str, EntryInfo, Architecture or callable
        An installed architecture's name (or ``"distribution:name"``), or the
        object itself.
    input_shape : tuple of int
        Shape of one example.
    num_classes : int
        Number of classes.
    hyperparameters : mapping, optional
        Hyperparameters to build with.
    train_step : bool
        Also compile with the recipe and run one ``train_on_batch``.
    batch_size : int
        Size of the random batch.
    seed : int
        Seed of the random batch.

    Returns
    -------
    CheckReport
    """
    with plugin_call() as state:
        return _check(
            name_or_builder, input_shape, num_classes, hyperparameters, train_step, batch_size, seed, state
        )


def _check(
    name_or_builder: Any,
    input_shape: Any,
    num_classes: int,
    hyperparameters: Mapping[str, Any] | None,
    train_step: bool,
    batch_size: int,
    seed: int,
    state: Any,
) -> CheckReport:
    import numpy as np

    start = time.perf_counter()
    label = _label(name_or_builder)
    source = getattr(name_or_builder, "source", "<unregistered>")
    warnings: list[str] = []

    def report(ok: bool, stage: str, error: str | None = None, **more: Any) -> CheckReport:
        return CheckReport(
            label, source, ok, stage, error, seconds=time.perf_counter() - start,
            warnings=tuple(warnings), **more,
        )  # fmt: skip

    def describe(exc: BaseException) -> str:
        return str(exc) if isinstance(exc, ArchitectureError) else describe_exception(exc)

    # 1. load
    try:
        arch = _to_architecture(name_or_builder)
    except BaseException as exc:  # a plugin's SystemExit too; a real Ctrl-C is re-raised
        reraise_if_fatal(exc, state)
        return report(False, "load", describe(exc))
    label = arch.name or label
    source = arch.source
    if arch.api_version != API_VERSION:
        return report(
            False,
            "load",
            f"api_version={arch.api_version!r}, but brainkit implements API version {API_VERSION}.",
        )
    if not arch.description:
        warnings.append("no description: add a docstring or @architecture(description=...).")
    # 2. build (and validate)
    try:
        shape = normalise_input_shape(input_shape)
        model = arch.build(shape, num_classes, **dict(hyperparameters or {}))
    except BaseException as exc:  # a plugin's SystemExit too; a real Ctrl-C is re-raised
        reraise_if_fatal(exc, state)
        return report(False, "build", describe(exc))
    parameters = int(model.count_params())
    if getattr(model, "compiled", False):
        warnings.append(
            "the builder returned a compiled model; brainkit compiles it from the recipe."
        )
    # 3. forward pass
    recipe = arch.recipe
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 255, size=(batch_size, *shape)).astype("float32")
    x = recipe.scale_inputs(x)
    try:
        from brainkit.runtime import import_keras

        keras = import_keras()
        y = keras.ops.convert_to_numpy(model(x, training=False))
    except BaseException as exc:  # a plugin's SystemExit too; a real Ctrl-C is re-raised
        reraise_if_fatal(exc, state)
        return report(False, "forward", describe(exc), parameters=parameters)
    out_shape = tuple(int(d) for d in y.shape)
    if out_shape != (batch_size, num_classes):
        return report(
            False,
            "forward",
            f"output shape {out_shape}, expected {(batch_size, num_classes)}.",
            parameters=parameters,
            output_shape=out_shape,
        )
    if not np.all(np.isfinite(y)):
        return report(
            False, "forward", "the output has NaN or infinite values.", parameters=parameters
        )
    looks_like_probabilities = bool(
        np.all(y >= -1e-6) and np.allclose(y.sum(axis=-1), 1.0, atol=1e-3)
    )
    if recipe.output == "logits" and looks_like_probabilities and num_classes > 1:
        warnings.append(
            "the outputs are probabilities (rows sum to 1) but the recipe says "
            "output='logits'; use Recipe(output='probabilities') or drop the softmax."
        )
    elif recipe.output == "probabilities" and not looks_like_probabilities:
        warnings.append(
            "the recipe says output='probabilities' but the rows do not sum to 1; "
            "add a softmax or use Recipe(output='logits')."
        )
    # 4. one training step with the recipe
    if train_step:
        try:
            labels = recipe.encode_labels(
                rng.integers(0, num_classes, size=batch_size), num_classes
            )
            model.compile(**recipe.compile_arguments())
            logs = model.train_on_batch(x, labels, return_dict=True)
            loss = float(logs["loss"])
        except BaseException as exc:  # a plugin's SystemExit too; a real Ctrl-C is re-raised
            reraise_if_fatal(exc, state)
            return report(
                False, "train", describe(exc), parameters=parameters, output_shape=out_shape
            )
        if not np.isfinite(loss):
            return report(
                False,
                "train",
                f"the loss is {loss}.",
                parameters=parameters,
                output_shape=out_shape,
            )
    return report(True, "done", parameters=parameters, output_shape=out_shape)


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
        The passing report (with any warnings).
    """
    result = check_architecture(name_or_builder, input_shape, num_classes, **options)
    if not result.ok:
        raise AssertionError(str(result))
    return result


try:  # the fixture exists only where pytest does
    import pytest
except ImportError:  # pragma: no cover
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def architecture_check() -> Callable[..., CheckReport]:
        """Pytest fixture: :func:`assert_valid_architecture`, with brainkit's plugin caches cleared."""
        refresh()
        return assert_valid_architecture
