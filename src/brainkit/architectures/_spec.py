"""The plugin API's objects: :class:`Recipe`, :class:`Architecture`, :func:`architecture`.

Nothing here imports Keras at import time; see :mod:`brainkit.architectures`
for the contract these objects implement.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from brainkit.errors import BrainkitError

__all__ = [
    "API_VERSION",
    "AmbiguousArchitectureError",
    "Architecture",
    "ArchitectureDisabledError",
    "ArchitectureError",
    "HyperparameterError",
    "IncompatiblePluginError",
    "PluginError",
    "Recipe",
    "RecipeError",
    "UnknownArchitectureError",
    "architecture",
]

#: Version of the plugin API this brainkit implements. A plugin declares the
#: version it was written for with ``@architecture(api_version=...)``; any other
#: value is refused with :class:`IncompatiblePluginError`.
API_VERSION = 1

# --------------------------------------------------------------------------- errors


class ArchitectureError(BrainkitError):
    """Base class of every error about architectures and their plugins."""


class UnknownArchitectureError(ArchitectureError, LookupError):
    """No architecture has the name asked for; the message lists what exists."""


class AmbiguousArchitectureError(ArchitectureError, LookupError):
    """Two distributions provide the same name and neither is brainkit itself."""


class ArchitectureDisabledError(ArchitectureError, LookupError):
    """The architecture exists but ``BRAINKIT_DISABLE_ARCHITECTURES`` turns it off."""


class HyperparameterError(ArchitectureError, ValueError):
    """A hyperparameter the architecture does not have, or an invalid shape or class count."""


class RecipeError(ArchitectureError, ValueError):
    """A :class:`Recipe` field has a value brainkit does not understand."""


class PluginError(ArchitectureError, RuntimeError):
    """A plugin failed to import, to build, or built the wrong thing.

    Attributes
    ----------
    name : str or None
        The architecture (entry-point) name.
    distribution : str or None
        The installed distribution that provides it, e.g. ``"brainkit-lenet 0.1.0"``.
    """

    def __init__(self, message: str, *, name: str | None = None, distribution: str | None = None):
        super().__init__(message)
        self.name = name
        self.distribution = distribution


class IncompatiblePluginError(PluginError):
    """A plugin declares a plugin ``api_version`` this brainkit does not implement."""


# --------------------------------------------------------------------------- recipe

_OUTPUTS = ("logits", "probabilities")
_LABEL_ENCODINGS = ("sparse", "one_hot")
_INPUT_SCALINGS = ("unit", "none")
_CROSSENTROPY = {
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "binary_crossentropy": "BinaryCrossentropy",
}


@dataclass(frozen=True)
class Recipe:
    """The training recipe an architecture was designed for.

    The trainer reads it to compile and feed the model the way its author
    intended; a learner can override any field.

    Attributes
    ----------
    optimizer : str
        Keras optimizer name, e.g. ``"adam"``, ``"sgd"``, ``"rmsprop"``.
    learning_rate : float
        The optimizer's (starting) learning rate.
    loss : str
        Keras loss name, e.g. ``"sparse_categorical_crossentropy"``, ``"mse"``.
    output : {"logits", "probabilities"}
        What the model's last layer emits; cross-entropy losses are built with
        ``from_logits=(output == "logits")``.
    label_encoding : {"sparse", "one_hot"}
        Integer class labels, or one-hot rows (e.g. for an MSE loss).
    batch_size : int
        Examples per gradient step.
    epochs : int
        Passes over the training set.
    input_scaling : {"unit", "none"}
        ``"unit"``: pixels become ``float32`` in [0, 1] (x / 255);
        ``"none"``: raw 0-255 values as ``float32``.
    metrics : tuple of str
        Keras metric names; default ``("accuracy",)``.
    notes : str
        Honest words about what to expect when training with this recipe.
    learning_rate_decay : float
        Multiply the learning rate by this factor every
        ``learning_rate_decay_steps`` optimizer steps, smoothly (Keras'
        ``ExponentialDecay``); ``1.0`` (the default) keeps it constant.
    learning_rate_decay_steps : int
        Steps over which the learning rate falls by ``learning_rate_decay``.
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
        def bad(what: str, value: Any, allowed: str) -> RecipeError:
            return RecipeError(f"Recipe {what}={value!r} is not valid; use {allowed}.")

        if not isinstance(self.optimizer, str) or not self.optimizer:
            raise bad("optimizer", self.optimizer, "a Keras optimizer name such as 'adam'")
        if not isinstance(self.loss, str) or not self.loss:
            raise bad("loss", self.loss, "a Keras loss name such as 'mse'")
        lr = self.learning_rate
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not (0 < lr < math.inf):
            raise bad("learning_rate", lr, "a positive number")
        if self.output not in _OUTPUTS:
            raise bad("output", self.output, " or ".join(map(repr, _OUTPUTS)))
        if self.label_encoding not in _LABEL_ENCODINGS:
            raise bad(
                "label_encoding", self.label_encoding, " or ".join(map(repr, _LABEL_ENCODINGS))
            )
        if self.input_scaling not in _INPUT_SCALINGS:
            raise bad("input_scaling", self.input_scaling, " or ".join(map(repr, _INPUT_SCALINGS)))
        decay = self.learning_rate_decay
        if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < decay <= 1:
            raise bad("learning_rate_decay", decay, "a number in (0, 1]; 1 means constant")
        object.__setattr__(self, "learning_rate_decay", float(decay))
        for what in ("batch_size", "epochs", "learning_rate_decay_steps"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise bad(what, value, "a positive integer")
        metrics = self.metrics
        if isinstance(metrics, str):
            metrics = (metrics,)
        if not all(isinstance(m, str) and m for m in metrics):
            raise bad("metrics", self.metrics, "a tuple of Keras metric names")
        object.__setattr__(self, "metrics", tuple(metrics))
        object.__setattr__(self, "learning_rate", float(lr))

    @property
    def from_logits(self) -> bool:
        """Whether cross-entropy must be computed ``from_logits``."""
        return self.output == "logits"

    def replace(self, **changes: Any) -> Recipe:
        """Return a copy with some fields changed (validated again)."""
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            valid = ", ".join(f.name for f in fields(self))
            raise RecipeError(f"Recipe has no field {', '.join(unknown)}; its fields are: {valid}.")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain, JSON-friendly dictionary."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["metrics"] = list(self.metrics)
        return out

    # Helpers for trainers; they import Keras only when called.
    def scale_inputs(self, x: Any) -> Any:
        """Return ``x`` as ``float32``, divided by 255 when ``input_scaling == "unit"``."""
        import numpy as np

        if self.input_scaling != "unit":
            return np.asarray(x, dtype="float32")
        # One float32 array, divided in place: x.astype(...) / 255 would hold two at once
        # (2 x 188 MB for the Fashion-MNIST training set).
        scaled = np.array(x, dtype="float32")  # always a copy: the caller's array is not touched
        np.divide(scaled, np.float32(255.0), out=scaled)
        return scaled

    def encode_labels(self, y: Any, num_classes: int) -> Any:
        """Return integer labels ``y`` as the recipe wants them (sparse or one-hot ``float32``)."""
        import numpy as np

        y = np.asarray(y)
        if self.label_encoding == "sparse":
            return y.astype("int32")
        return np.eye(num_classes, dtype="float32")[y.astype("int64")]

    def make_loss(self) -> Any:
        """Return the Keras loss object, with ``from_logits`` set for cross-entropy."""
        from brainkit.runtime import import_keras

        keras = import_keras()
        key = self.loss.lower()
        if key in _CROSSENTROPY:
            return getattr(keras.losses, _CROSSENTROPY[key])(from_logits=self.from_logits)
        return keras.losses.get(self.loss)

    def learning_rate_at(self, step: int) -> float:
        """Return the learning rate after ``step`` optimizer steps."""
        return self.learning_rate * self.learning_rate_decay ** (
            step / self.learning_rate_decay_steps
        )

    def make_optimizer(self) -> Any:
        """Return a fresh Keras optimizer with the recipe's learning rate (and its decay)."""
        from brainkit.runtime import import_keras

        keras = import_keras()
        try:
            cls = type(keras.optimizers.get(self.optimizer))
        except ValueError as exc:
            raise RecipeError(f"Keras has no optimizer called {self.optimizer!r}.") from exc
        rate: Any = self.learning_rate
        if self.learning_rate_decay < 1.0:
            rate = keras.optimizers.schedules.ExponentialDecay(
                self.learning_rate, self.learning_rate_decay_steps, self.learning_rate_decay
            )
        return cls(learning_rate=rate)

    def compile_arguments(self) -> dict[str, Any]:
        """Return ``optimizer``, ``loss`` and ``metrics`` for ``model.compile(**...)``."""
        return {
            "optimizer": self.make_optimizer(),
            "loss": self.make_loss(),
            "metrics": list(self.metrics),
        }


# --------------------------------------------------------------------- architecture

Builder = Callable[..., Any]


def _signature_hyperparameters(builder: Builder) -> tuple[dict[str, Any], bool]:
    """Return the keyword defaults after ``(input_shape, num_classes)`` and whether ``**kw`` is taken."""
    try:
        sig = inspect.signature(builder)
    except (TypeError, ValueError):
        return {}, True
    params = list(sig.parameters.values())
    positional = [
        p
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    hps: dict[str, Any] = {}
    for p in params:
        if p in positional[:2] or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.default is not inspect.Parameter.empty:
            hps[p.name] = p.default
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    return hps, var_kw


def _first_doc_line(obj: Any) -> str:
    doc = inspect.getdoc(obj) or ""
    for line in doc.splitlines():
        if line.strip():
            return line.strip()
    return ""


@dataclass(frozen=True, eq=False)
class Architecture:
    """A model builder plus the metadata learners and trainers need.

    Call it like the builder: ``arch(input_shape, num_classes, **hp)`` returns
    the raw, uncompiled ``keras.Model``. :meth:`build` does the same and also
    checks the result (it is what :func:`brainkit.architectures.build` uses).

    Attributes
    ----------
    builder : callable
        ``builder(input_shape, num_classes, **hyperparameters) -> keras.Model``.
    name : str
        The architecture's name; the registry sets it to the entry-point name.
    description : str
        One line.
    hyperparameters : mapping
        Every hyperparameter with its default value.
    recipe : Recipe
        How it was meant to be trained.
    reference : str
        Where it comes from: paper, book chapter or tutorial.
    api_version : int
        The plugin API version it was written for.
    distribution, version, entry_point : str or None
        Filled in by the registry: who provides it, and the entry-point value.
    """

    builder: Builder
    name: str = ""
    description: str = ""
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    recipe: Recipe = field(default_factory=Recipe)
    reference: str = ""
    api_version: int = API_VERSION
    distribution: str | None = None
    version: str | None = None
    entry_point: str | None = None
    accepts_extra_hyperparameters: bool = False

    def __post_init__(self) -> None:
        if not callable(self.builder):
            raise PluginError(
                f"Architecture {self.name or '?'!r}: builder must be callable, got "
                f"{type(self.builder).__name__}.",
                name=self.name or None,
            )
        if not isinstance(self.recipe, Recipe):
            raise PluginError(
                f"Architecture {self.name!r}: recipe must be a brainkit.architectures.Recipe, "
                f"got {type(self.recipe).__name__}.",
                name=self.name or None,
            )
        object.__setattr__(self, "hyperparameters", MappingProxyType(dict(self.hyperparameters)))

    @classmethod
    def from_builder(cls, builder: Builder, **metadata: Any) -> Architecture:
        """Wrap a bare builder, deriving missing metadata from it.

        The description defaults to the docstring's first line, the
        hyperparameters to the keyword defaults of its signature, the name
        to its ``__name__`` and the recipe to ``Recipe()``.
        """
        if isinstance(builder, Architecture):
            changes = {k: v for k, v in metadata.items() if v is not None}
            return replace(builder, **changes) if changes else builder
        hps, var_kw = _signature_hyperparameters(builder)
        if metadata.get("hyperparameters") is None:
            metadata["hyperparameters"] = hps
            metadata.setdefault("accepts_extra_hyperparameters", var_kw)
        if not metadata.get("description"):
            metadata["description"] = _first_doc_line(builder)
        if not metadata.get("name"):
            metadata["name"] = getattr(builder, "__name__", "") or ""
        if metadata.get("recipe") is None:
            metadata["recipe"] = Recipe()
        if metadata.get("reference") is None:
            metadata["reference"] = ""
        if metadata.get("api_version") is None:
            metadata["api_version"] = API_VERSION
        return cls(builder=builder, **metadata)

    # -- identity ------------------------------------------------------------------
    @property
    def source(self) -> str:
        """``"distribution version"``, or ``"<unregistered>"``."""
        if not self.distribution:
            return "<unregistered>"
        return f"{self.distribution} {self.version}" if self.version else self.distribution

    def __repr__(self) -> str:
        return f"<Architecture {self.name!r} from {self.source}: {self.description}>"

    def __call__(self, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
        """Call the builder with the defaults filled in; no checks (see :meth:`build`)."""
        kwargs = self.resolve_hyperparameters(hyperparameters)
        return self.builder(normalise_input_shape(input_shape), int(num_classes), **kwargs)

    def resolve_hyperparameters(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return the defaults updated with ``overrides``; unknown names raise an error."""
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(self.hyperparameters))
        if unknown and not self.accepts_extra_hyperparameters:
            valid = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters.items()) or "none"
            raise HyperparameterError(
                f"Architecture {self.name!r} has no hyperparameter "
                f"{', '.join(map(repr, unknown))}. Its hyperparameters (with defaults): {valid}."
            )
        return {**self.hyperparameters, **overrides}

    def build(self, input_shape: Any, num_classes: int, **hyperparameters: Any) -> Any:
        """Build the model and check it is a ``keras.Model`` with ``num_classes`` outputs.

        Raises
        ------
        HyperparameterError
            Unknown hyperparameter name, or a bad shape or class count.
        PluginError
            The builder raised, or returned something other than a suitable model.
        """
        from brainkit.architectures._validate import build_checked

        return build_checked(self, input_shape, num_classes, hyperparameters)


def normalise_input_shape(input_shape: Any) -> tuple[int, ...]:
    """Return ``input_shape`` as a tuple of positive ints (an int becomes ``(n,)``)."""
    if isinstance(input_shape, int) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if (
        not shape
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
        or any(d < 1 for d in shape)
    ):
        raise HyperparameterError(
            f"input_shape must be a tuple of positive integers such as (28, 28), got {input_shape!r}."
        )
    return tuple(int(d) for d in shape)


def architecture(
    builder: Builder | None = None,
    *,
    name: str | None = None,
    description: str | None = None,
    hyperparameters: Mapping[str, Any] | None = None,
    recipe: Recipe | None = None,
    reference: str | None = None,
    api_version: int = API_VERSION,
) -> Any:
    """Turn a builder function into an :class:`Architecture` (usable with or without arguments).

    Examples
    --------
    >>> from brainkit.architectures import Recipe, architecture
    >>> @architecture(description="One dense layer.", recipe=Recipe(epochs=3), api_version=1)
    ... def tiny(input_shape, num_classes, units=8):
    ...     ...
    >>> tiny.hyperparameters["units"]
    8
    """

    def wrap(fn: Builder) -> Architecture:
        return Architecture.from_builder(
            fn,
            name=name,
            description=description,
            hyperparameters=hyperparameters,
            recipe=recipe,
            reference=reference,
            api_version=api_version,
        )

    if builder is not None:
        return wrap(builder)
    return wrap
