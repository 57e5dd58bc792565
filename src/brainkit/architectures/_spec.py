"""What an architecture is: the plugin API types, the decorator, and the API version rules."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from brainkit._version import __version__
from brainkit.errors import BrainkitError
from brainkit.runtime import import_keras

#: The newest plugin API version this brainkit implements.
API_VERSION = 1
#: The oldest plugin API version it still supports (see the plugin author guide).
OLDEST_API_VERSION = 1


def api_version_problem(declared: object) -> str | None:
    """Say why a plugin declaring ``api_version=declared`` cannot load here; ``None`` if it can."""
    low, high = OLDEST_API_VERSION, API_VERSION
    versions = f"version {high}" if low == high else f"versions {low} to {high}"
    supported = f"brainkit {__version__} supports plugin API {versions}"
    declared = 1 if declared is None else declared
    if isinstance(declared, bool) or not isinstance(declared, int):
        return f"declares api_version={declared!r}, which is not an integer; {supported}."
    if low <= declared <= high:
        return None
    need, fix = (("needs", "Upgrade brainkit (pip install -U brainkit).") if declared > high
                 else ("was written for", "Upgrade the plugin."))
    return f"{need} plugin API version {declared}, but {supported}. {fix}"


class ArchitectureError(BrainkitError):
    """An architecture or its plugin cannot be used; the message names the plugin and the fix."""


class UnknownArchitectureError(ArchitectureError, LookupError):
    """A name that picks out no usable architecture: unknown, ambiguous or turned off."""


class HyperparameterError(ArchitectureError, ValueError):
    """A hyperparameter, input shape or class count that the architecture cannot take."""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive_int(value: Any) -> bool:
    return _number(value) and isinstance(value, int) and value > 0


def _check_positive(name: str, value: Any) -> int:  # for builders' hyperparameters
    if not _positive_int(value):
        raise HyperparameterError(f"{name} must be a positive integer, got {value!r}.")
    return value


@dataclass(frozen=True)
class Recipe:
    """The training recipe an architecture was designed for; a learner can override any field.

    Attributes
    ----------
    optimizer, loss : str
        Keras names, e.g. ``"adam"`` and ``"sparse_categorical_crossentropy"``.
    metrics : tuple of str
        Keras metric names, e.g. ``("accuracy",)``.
    learning_rate : float
        The starting learning rate.
    learning_rate_decay, learning_rate_decay_steps : float, int
        The rate is multiplied smoothly by the decay (1.0: constant) every so many steps.
    learning_rate_schedule : {"exponential", "cosine"}
        ``"exponential"`` follows the decay above; ``"cosine"`` falls along a half cosine to 0 at
        the end of training, however many epochs it runs (Keras's ``CosineDecay``).
    output : {"logits", "probabilities"}
        What the last layer emits; the cross-entropy loss is matched to it.
    label_encoding : {"sparse", "one_hot"}
        Integer labels, or one-hot vectors (e.g. for an MSE loss).
    batch_size, epochs : int
        Examples per step; passes over the training set.
    input_scaling : {"unit", "none"}
        ``"unit"``: pixels become ``float32`` in [0, 1]; ``"none"``: raw 0-255 as ``float32``.
    notes : str
        What to expect from this recipe (accuracy, behaviour), not one machine's timings.
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
    learning_rate_schedule: str = "exponential"

    def __post_init__(self) -> None:
        def check(what: str, valid: Any, allowed: str) -> None:
            if not valid:
                value = getattr(self, what)
                raise ArchitectureError(f"Recipe {what}={value!r} is not valid; use {allowed}.")

        for what in ("optimizer", "loss"):
            value = getattr(self, what)
            check(what, isinstance(value, str) and value, "a Keras name such as 'adam' or 'mse'")
        for what, allowed in (("output", ("logits", "probabilities")),
                              ("label_encoding", ("sparse", "one_hot")),
                              ("input_scaling", ("unit", "none")),
                              ("learning_rate_schedule", ("exponential", "cosine"))):
            check(what, getattr(self, what) in allowed, " or ".join(map(repr, allowed)))
        rate, decay = self.learning_rate, self.learning_rate_decay
        check("learning_rate", _number(rate) and 0 < rate < float("inf"), "a positive number")
        check("learning_rate_decay", _number(decay) and 0 < decay <= 1, "a number in (0, 1]")
        check("learning_rate_decay", decay == 1 or self.learning_rate_schedule == "exponential",
              "1.0 with the cosine schedule (it decays to 0 by itself)")
        for what in ("batch_size", "epochs", "learning_rate_decay_steps"):
            check(what, _positive_int(getattr(self, what)), "a positive integer")
        metrics = (self.metrics,) if isinstance(self.metrics, str) else tuple(self.metrics)
        check("metrics", all(isinstance(m, str) and m for m in metrics), "Keras metric names")
        object.__setattr__(self, "metrics", metrics)
        object.__setattr__(self, "learning_rate", float(rate))
        object.__setattr__(self, "learning_rate_decay", float(decay))

    @property
    def from_logits(self) -> bool:
        """Whether cross-entropy must be computed ``from_logits``."""
        return self.output == "logits"

    def replace(self, **changes: Any) -> Recipe:
        """Return a copy with some fields changed (validated again)."""
        names = [f.name for f in fields(self)]
        if unknown := sorted(set(changes) - set(names)):
            raise ArchitectureError(f"Recipe has no field {', '.join(unknown)}; "
                                    f"its fields are: {', '.join(names)}.")
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

    def compile_arguments(self, total_steps: int | None = None) -> dict[str, Any]:
        """Return a new ``optimizer``, the ``loss`` and ``metrics`` for ``model.compile(**...)``.

        ``total_steps``, the optimizer steps training will take, is needed by the cosine schedule.
        """
        keras = import_keras()
        try:
            optimizer = type(keras.optimizers.get(self.optimizer))
        except ValueError as exc:
            raise ArchitectureError(f"Keras has no optimizer called {self.optimizer!r}.") from exc
        rate: Any = self.learning_rate
        if self.learning_rate_schedule == "cosine":
            if not _positive_int(total_steps):
                raise ArchitectureError("The cosine learning-rate schedule needs the number of "
                                        f"steps to train, got total_steps={total_steps!r}.")
            rate = keras.optimizers.schedules.CosineDecay(rate, total_steps)
        elif self.learning_rate_decay < 1.0:
            decay, steps = self.learning_rate_decay, self.learning_rate_decay_steps
            rate = keras.optimizers.schedules.ExponentialDecay(rate, steps, decay)
        losses = keras.losses
        crossentropy = {"sparse_categorical_crossentropy": losses.SparseCategoricalCrossentropy,
                        "categorical_crossentropy": losses.CategoricalCrossentropy,
                        "binary_crossentropy": losses.BinaryCrossentropy}.get(self.loss.lower())
        loss = crossentropy(from_logits=self.from_logits) if crossentropy else self.loss
        return dict(optimizer=optimizer(learning_rate=rate), loss=loss, metrics=[*self.metrics])


def check_input_shape(input_shape: Any) -> tuple[int, ...]:
    """Return ``input_shape`` as a tuple of positive ints (an int ``n`` becomes ``(n,)``)."""
    shape = (input_shape,) if isinstance(input_shape, int) else input_shape
    if not isinstance(shape, (tuple, list)) or not shape or not all(map(_positive_int, shape)):
        raise HyperparameterError("input_shape must be a tuple of positive integers such as "
                                  f"(28, 28), got {input_shape!r}.")
    return tuple(shape)


@dataclass(frozen=True, eq=False)
class Architecture:
    """A model builder plus what learners and trainers need; make one with :func:`architecture`.

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
            raise ArchitectureError(f"Architecture {self.name!r}: the builder must be callable, "
                                    f"not a {type(self.builder).__name__}.")
        if not isinstance(self.recipe, Recipe):
            raise ArchitectureError(f"Architecture {self.name!r}: recipe must be a brainkit."
                                    f"architectures.Recipe, not a {type(self.recipe).__name__}.")
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
            raise HyperparameterError(f"Architecture {self.name!r} has no hyperparameter "
                                      f"{', '.join(map(repr, unknown))}. Its hyperparameters "
                                      f"(with defaults): {valid}.")
        return {**self.hyperparameters, **overrides}

    def __call__(self, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
        """Call the builder with the defaults filled in; no checks (see :meth:`build`)."""
        shape, arguments = check_input_shape(input_shape), self._arguments(hyperparameters)
        return self.builder(shape, int(num_classes), **arguments)

    def build(self, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
        """Build the model and check it takes ``input_shape`` and has one output of ``num_classes``.

        Raises :class:`HyperparameterError` for an unknown hyperparameter, a bad shape or class
        count, or one the builder refuses; :class:`ArchitectureError` if the builder raises or
        returns something else (the message names the distribution).
        """
        shape = check_input_shape(input_shape)
        _check_positive("num_classes", num_classes)
        arguments = self._arguments(hyperparameters)
        keras = import_keras()
        who = f"Architecture {self.name!r} from {self.source}"
        try:
            model = self.builder(shape, num_classes, **arguments)
        except HyperparameterError as exc:  # the builder's own "this input is not supported"
            raise HyperparameterError(f"{who}: {exc}") from exc
        except Exception as exc:
            raise ArchitectureError(f"{who} failed to build for input_shape={shape}, num_classes="
                                    f"{num_classes}: {type(exc).__name__}: {exc}") from exc
        if problem := _model_problem(keras, model, shape, num_classes):
            raise ArchitectureError(f"{who} {problem}")
        return model


def _model_problem(keras: Any, model: Any, shape: tuple[int, ...], n: int) -> str | None:
    if not isinstance(model, keras.Model):
        kind = f"{type(model).__module__}.{type(model).__qualname__}"
        return (f"returned {kind} instead of a keras.Model. "
                "A builder must return an (uncompiled) keras.Model.")
    inputs = outputs = None
    with suppress(AttributeError, ValueError):  # a subclassed model that has not been called yet
        inputs, outputs = model.inputs, model.outputs
    if inputs:
        got = [tuple(i.shape[1:]) for i in inputs]
        fits = len(got) == 1 and len(got[0]) == len(shape)
        if not fits or any(g not in (None, s) for g, s in zip(got[0], shape, strict=True)):
            took = got[0] if len(got) == 1 else got
            return (f"was asked for input_shape={shape} but its model takes {took}. "
                    "Use keras.Input(shape=input_shape).")
    if not outputs:
        try:
            y = model(keras.ops.zeros((1, *shape)))
        except Exception as exc:
            return f"built a model that fails on an input of zeros: {type(exc).__name__}: {exc}"
        outputs = list(y.values()) if isinstance(y, dict) else y
        outputs = outputs if isinstance(outputs, list | tuple) else [outputs]
    if len(outputs) != 1:
        return f"built a model with {len(outputs)} outputs; a classifier has exactly one."
    out = tuple(outputs[0].shape[1:])
    if not out or out[-1] != n:
        return (f"built a model with output shape {out} for num_classes={n}; "
                f"the last dimension must equal num_classes ({n}).")
    return None


def architecture(builder: Callable[..., Any] | None = None, *, name: str | None = None,
                 description: str | None = None, hyperparameters: Mapping[str, Any] | None = None,
                 recipe: Recipe | None = None, reference: str = "",
                 api_version: int | None = None) -> Any:
    """Turn a builder function into an :class:`Architecture`; use it bare or with arguments.

    Unset, the name, description and hyperparameters come from ``__name__``, the docstring's first
    line and the keyword defaults after ``(input_shape, num_classes)``. ``api_version`` is the
    oldest plugin API version the builder needs (undeclared counts as 1). The other arguments are
    the :class:`Architecture` fields of that name; :doc:`/plugins` shows a complete plugin.
    """

    def wrap(fn: Callable[..., Any]) -> Architecture:
        if isinstance(fn, Architecture):
            return fn
        params = []
        with suppress(TypeError, ValueError):  # some callables have no signature to read
            params = list(inspect.signature(fn).parameters.values())
        named = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        defaults = {p.name: p.default for p in named[2:] if p.default is not p.empty}
        extra = not params or any(p.kind == p.VAR_KEYWORD for p in params)
        return Architecture(
            fn, name=name or getattr(fn, "__name__", ""),
            description=description or (inspect.getdoc(fn) or "").partition("\n")[0].strip(),
            hyperparameters=defaults if hyperparameters is None else hyperparameters,
            recipe=recipe or Recipe(), reference=reference, api_version=api_version,
            accepts_extra_hyperparameters=extra,
        )

    return wrap if builder is None else wrap(builder)
