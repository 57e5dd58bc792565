"""The plugin API's objects: the errors, :class:`Recipe`, :class:`Architecture`, :func:`architecture`.

Nothing here imports Keras at import time.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from brainkit._version import __version__
from brainkit.errors import BrainkitError
from brainkit.runtime import import_keras

#: The newest plugin API version this brainkit implements.
API_VERSION = 1
#: The oldest plugin API version it still supports. A plugin declares the oldest
#: version it needs (``api_version``; undeclared counts as 1) and loads when that
#: lies between :data:`OLDEST_API_VERSION` and :data:`API_VERSION`.
OLDEST_API_VERSION = 1


class ArchitectureError(BrainkitError):
    """An architecture or its plugin cannot be used; the message names the plugin and the fix."""


class UnknownArchitectureError(ArchitectureError, LookupError):
    """A name that picks out no usable architecture: unknown, ambiguous or turned off."""


class HyperparameterError(ArchitectureError, ValueError):
    """A hyperparameter, input shape or class count that the architecture cannot take."""


def api_version_problem(declared: Any) -> str | None:
    """Say why a plugin declaring ``api_version=declared`` cannot load here; ``None`` if it can."""
    low, high = OLDEST_API_VERSION, API_VERSION
    supported = f"brainkit {__version__} supports plugin API " + (
        f"version {high}" if low == high else f"versions {low} to {high}"
    )
    declared = 1 if declared is None else declared
    if isinstance(declared, bool) or not isinstance(declared, int):
        return f"declares api_version={declared!r}, which is not an integer; {supported}."
    if declared > high:
        fix = "Upgrade brainkit (pip install -U brainkit)."
        return f"needs plugin API version {declared}, but {supported}. {fix}"
    if declared < low:
        return (
            f"was written for plugin API version {declared}, but {supported}. Upgrade the plugin."
        )
    return None


def _bad(what: str, value: Any, allowed: str) -> ArchitectureError:
    return ArchitectureError(f"Recipe {what}={value!r} is not valid; use {allowed}.")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Recipe:
    """The training recipe an architecture was designed for; a learner can override any field.

    Attributes
    ----------
    optimizer : str
        Keras optimizer name, e.g. ``"adam"``, ``"sgd"``.
    learning_rate : float
        The optimizer's (starting) learning rate.
    loss : str
        Keras loss name, e.g. ``"sparse_categorical_crossentropy"``, ``"mse"``.
    output : {"logits", "probabilities"}
        What the last layer emits; cross-entropy is built with ``from_logits`` to match.
    label_encoding : {"sparse", "one_hot"}
        Integer class labels, or one-hot rows (e.g. for an MSE loss).
    batch_size, epochs : int
        Examples per step; passes over the training set.
    input_scaling : {"unit", "none"}
        ``"unit"``: pixels become ``float32`` in [0, 1]; ``"none"``: raw 0-255 as ``float32``.
    metrics : tuple of str
        Keras metric names.
    notes : str
        What to expect from this recipe (accuracy, behaviour), not one machine's timings.
    learning_rate_decay, learning_rate_decay_steps : float, int
        Multiply the learning rate by ``learning_rate_decay`` every
        ``learning_rate_decay_steps`` steps, smoothly; ``1.0`` keeps it constant.
    """

    optimizer: str = "adam"
    learning_rate: float = 1e-3
    loss: str = "sparse_categorical_crossentropy"
    output: str = "logits"
    label_encoding: str = "sparse"
    batch_size: int = 32
    epochs: int = 5
    input_scaling: str = "unit"
    metrics: tuple[str, ...] = ("accuracy",)
    notes: str = ""
    learning_rate_decay: float = 1.0
    learning_rate_decay_steps: int = 1000

    def __post_init__(self) -> None:
        for what in ("optimizer", "loss"):
            if not isinstance(getattr(self, what), str) or not getattr(self, what):
                raise _bad(what, getattr(self, what), "a Keras name such as 'adam' or 'mse'")
        for what, allowed in (
            ("output", ("logits", "probabilities")),
            ("label_encoding", ("sparse", "one_hot")),
            ("input_scaling", ("unit", "none")),
        ):
            if getattr(self, what) not in allowed:
                raise _bad(what, getattr(self, what), " or ".join(map(repr, allowed)))
        if not _number(self.learning_rate) or not 0 < self.learning_rate < float("inf"):
            raise _bad("learning_rate", self.learning_rate, "a positive number")
        if not _number(self.learning_rate_decay) or not 0 < self.learning_rate_decay <= 1:
            raise _bad("learning_rate_decay", self.learning_rate_decay, "a number in (0, 1]")
        for what in ("batch_size", "epochs", "learning_rate_decay_steps"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _bad(what, value, "a positive integer")
        metrics = (self.metrics,) if isinstance(self.metrics, str) else tuple(self.metrics)
        if not all(isinstance(m, str) and m for m in metrics):
            raise _bad("metrics", self.metrics, "a tuple of Keras metric names")
        object.__setattr__(self, "metrics", metrics)
        object.__setattr__(self, "learning_rate", float(self.learning_rate))
        object.__setattr__(self, "learning_rate_decay", float(self.learning_rate_decay))

    @property
    def from_logits(self) -> bool:
        """Whether cross-entropy must be computed ``from_logits``."""
        return self.output == "logits"

    def replace(self, **changes: Any) -> Recipe:
        """Return a copy with some fields changed (validated again)."""
        names = [f.name for f in fields(self)]
        unknown = sorted(set(changes) - set(names))
        if unknown:
            raise ArchitectureError(
                f"Recipe has no field {', '.join(unknown)}; its fields are: {', '.join(names)}."
            )
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain, JSON-friendly dictionary."""
        return {f.name: getattr(self, f.name) for f in fields(self)} | {"metrics": [*self.metrics]}

    def scale_inputs(self, x: Any) -> Any:
        """Return a ``float32`` copy of ``x``, divided by 255 when ``input_scaling == "unit"``."""
        if self.input_scaling != "unit":
            return np.asarray(x, dtype="float32")
        scaled = np.array(x, dtype="float32")  # one copy (never the caller's), divided in place
        return np.divide(scaled, np.float32(255.0), out=scaled)

    def encode_labels(self, y: Any, num_classes: int) -> Any:
        """Return integer labels ``y`` as the recipe wants them (sparse or one-hot ``float32``)."""
        y = np.asarray(y)
        if self.label_encoding == "sparse":
            return y.astype("int32")
        return np.eye(num_classes, dtype="float32")[y.astype("int64")]

    def compile_arguments(self) -> dict[str, Any]:
        """Return a fresh ``optimizer``, the ``loss`` and ``metrics`` for ``model.compile(**...)``."""
        keras = import_keras()
        try:
            optimizer = type(keras.optimizers.get(self.optimizer))
        except ValueError as exc:
            raise ArchitectureError(f"Keras has no optimizer called {self.optimizer!r}.") from exc
        rate: Any = self.learning_rate
        if self.learning_rate_decay < 1.0:
            rate = keras.optimizers.schedules.ExponentialDecay(
                rate, self.learning_rate_decay_steps, self.learning_rate_decay
            )
        crossentropy = {
            "sparse_categorical_crossentropy": keras.losses.SparseCategoricalCrossentropy,
            "categorical_crossentropy": keras.losses.CategoricalCrossentropy,
            "binary_crossentropy": keras.losses.BinaryCrossentropy,
        }.get(self.loss.lower())
        loss = crossentropy(from_logits=self.from_logits) if crossentropy else self.loss
        return {
            "optimizer": optimizer(learning_rate=rate),
            "loss": loss,
            "metrics": [*self.metrics],
        }


def check_input_shape(input_shape: Any) -> tuple[int, ...]:
    """Return ``input_shape`` as a tuple of positive ints (an int ``n`` becomes ``(n,)``)."""
    shape = (input_shape,) if isinstance(input_shape, int) else input_shape
    if (
        not isinstance(shape, (tuple, list))
        or not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
    ):
        raise HyperparameterError(
            f"input_shape must be a tuple of positive integers such as (28, 28), got {input_shape!r}."
        )
    return tuple(shape)


@dataclass(frozen=True, eq=False)
class Architecture:
    """A model builder plus the metadata learners and trainers need; make one with :func:`architecture`.

    Calling it, ``arch(input_shape, num_classes, **hp)``, calls the builder with the
    defaults filled in; :meth:`build` does the same and checks the model.

    Attributes
    ----------
    builder : callable
        ``builder(input_shape, num_classes, **hyperparameters) -> keras.Model`` (uncompiled).
    name, description, reference : str
        The name (the registry sets it to the entry point's), one line, and where it comes from.
    hyperparameters : mapping
        Every hyperparameter with its default value.
    recipe : Recipe
        How it is meant to be trained.
    api_version : int or None
        The oldest plugin API version it needs; ``None`` (undeclared) counts as 1.
    distribution, version : str or None
        Who provides it; set by the registry.
    accepts_extra_hyperparameters : bool
        The builder takes ``**kwargs``, so names beyond :attr:`hyperparameters` are passed on.
    """

    builder: Callable[..., Any]
    name: str = ""
    description: str = ""
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    recipe: Recipe = field(default_factory=Recipe)
    reference: str = ""
    api_version: int | None = None
    distribution: str | None = None
    version: str | None = None
    accepts_extra_hyperparameters: bool = False

    def __post_init__(self) -> None:
        if not callable(self.builder):
            raise ArchitectureError(
                f"Architecture {self.name!r}: the builder must be callable, "
                f"not a {type(self.builder).__name__}."
            )
        if not isinstance(self.recipe, Recipe):
            raise ArchitectureError(
                f"Architecture {self.name!r}: recipe must be a brainkit.architectures.Recipe, "
                f"not a {type(self.recipe).__name__}."
            )
        object.__setattr__(self, "hyperparameters", MappingProxyType(dict(self.hyperparameters)))

    @property
    def source(self) -> str:
        """``"distribution version"``, or ``"<unregistered>"``."""
        return f"{self.distribution} {self.version}" if self.distribution else "<unregistered>"

    def __repr__(self) -> str:
        return f"<Architecture {self.name!r} from {self.source}: {self.description}>"

    def _arguments(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(overrides) - set(self.hyperparameters))
        if unknown and not self.accepts_extra_hyperparameters:
            valid = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items()) or "none"
            raise HyperparameterError(
                f"Architecture {self.name!r} has no hyperparameter {', '.join(map(repr, unknown))}. "
                f"Its hyperparameters (with defaults): {valid}."
            )
        return {**self.hyperparameters, **overrides}

    def __call__(self, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
        """Call the builder with the defaults filled in; no checks (see :meth:`build`)."""
        return self.builder(
            check_input_shape(input_shape), int(num_classes), **self._arguments(hyperparameters)
        )

    def build(self, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
        """Build the model and check it: a ``keras.Model`` taking ``input_shape``, one output of ``num_classes``.

        Raises
        ------
        HyperparameterError
            An unknown hyperparameter, a bad shape or class count, or one the builder refuses.
        ArchitectureError
            The builder raised, or returned something else; the message names the distribution.
        """
        shape = check_input_shape(input_shape)
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise HyperparameterError(
                f"num_classes must be a positive integer, got {num_classes!r}."
            )
        arguments = self._arguments(hyperparameters)
        keras = import_keras()
        who = f"Architecture {self.name!r} from {self.source}"
        try:
            model = self.builder(shape, num_classes, **arguments)
        except HyperparameterError as exc:  # the builder's own "this input is not supported"
            raise HyperparameterError(f"{who}: {exc}") from exc
        except Exception as exc:
            raise ArchitectureError(
                f"{who} failed to build for input_shape={shape}, num_classes={num_classes}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        problem = _model_problem(keras, model, shape, num_classes)
        if problem:
            raise ArchitectureError(f"{who} {problem}")
        return model


def _model_problem(keras: Any, model: Any, shape: tuple[int, ...], n: int) -> str | None:
    if not isinstance(model, keras.Model):
        kind = f"{type(model).__module__}.{type(model).__qualname__}"
        return f"returned {kind} instead of a keras.Model. A builder must return an (uncompiled) keras.Model."
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):  # a subclassed model that has not been called yet
        inputs, outputs = None, None
    if inputs:
        got = [tuple(i.shape[1:]) for i in inputs]
        if (
            len(got) != 1
            or len(got[0]) != len(shape)
            or any(g not in (None, s) for g, s in zip(got[0], shape, strict=False))
        ):
            return (
                f"was asked for input_shape={shape} but its model takes "
                f"{got[0] if len(got) == 1 else got}. Use keras.Input(shape=input_shape)."
            )
    if not outputs:
        try:
            y = model(keras.ops.zeros((1, *shape)))
        except Exception as exc:
            return f"built a model that fails on an input of zeros: {type(exc).__name__}: {exc}"
        outputs = (
            list(y.values()) if isinstance(y, dict) else y if isinstance(y, (list, tuple)) else [y]
        )
    if len(outputs) != 1:
        return f"built a model with {len(outputs)} outputs; a classifier has exactly one."
    out = tuple(outputs[0].shape[1:])
    if not out or out[-1] != n:
        return (
            f"built a model with output shape {out} for num_classes={n}; "
            f"the last dimension must equal num_classes ({n})."
        )
    return None


def architecture(
    builder: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    recipe: Recipe | None = None,
    reference: str = "",
    api_version: int | None = None,
) -> Any:
    """Turn a builder function into an :class:`Architecture`; use it bare or with arguments.

    What is not given comes from the function: the name from ``__name__``, the
    description from the docstring's first line, the hyperparameters from the
    keyword defaults after ``(input_shape, num_classes)``. ``api_version`` is the
    oldest plugin API version the builder needs (undeclared counts as 1).

    Examples
    --------
    >>> from brainkit.architectures import Recipe, architecture
    >>> @architecture(description="One dense layer.", recipe=Recipe(epochs=3), api_version=1)
    ... def tiny(input_shape, num_classes, units=8):
    ...     ...
    >>> tiny.hyperparameters["units"]
    8
    """

    def wrap(fn: Callable[..., Any]) -> Architecture:
        if isinstance(fn, Architecture):
            return fn
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):  # no signature to read
            params = []
        named = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        defaults = {p.name: p.default for p in named[2:] if p.default is not p.empty}
        doc = (inspect.getdoc(fn) or "").strip().splitlines()
        return Architecture(
            fn,
            name=name or getattr(fn, "__name__", ""),
            description=description or (doc[0].strip() if doc else ""),
            hyperparameters=defaults if hyperparameters is None else hyperparameters,
            recipe=recipe or Recipe(),
            reference=reference,
            api_version=api_version,
            accepts_extra_hyperparameters=not params
            or any(p.kind is p.VAR_KEYWORD for p in params),
        )

    return wrap if builder is None else wrap(builder)
