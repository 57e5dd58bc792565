"""Build an architecture and check that what came back is a usable classifier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brainkit.architectures._spec import (
    Architecture,
    HyperparameterError,
    PluginError,
    normalise_input_shape,
)

__all__ = ["build_checked", "output_units"]


def _who(arch: Architecture) -> str:
    return f"Architecture {arch.name!r} from {arch.source}"


def _check_num_classes(num_classes: Any) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise HyperparameterError(f"num_classes must be a positive integer, got {num_classes!r}.")
    return int(num_classes)


def output_units(model: Any, input_shape: tuple[int, ...]) -> tuple[int | None, ...]:
    """Return the shape of the model's single output, without the batch axis."""
    from brainkit.runtime import import_keras

    keras = import_keras()
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        outputs = None
    if outputs:
        if len(outputs) != 1:
            raise ValueError(f"it has {len(outputs)} outputs; a classifier has exactly one")
        return tuple(outputs[0].shape[1:])
    # A subclassed model that has not been called yet: run it once on zeros.
    y = model(keras.ops.zeros((1, *input_shape)))
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("it returns several outputs; a classifier has exactly one")
    return tuple(int(d) for d in y.shape[1:])


def build_checked(
    arch: Architecture,
    input_shape: Any,
    num_classes: Any,
    hyperparameters: Mapping[str, Any] | None = None,
) -> Any:
    """Build ``arch`` and check the result; see :meth:`Architecture.build`."""
    from brainkit.runtime import import_keras

    shape = normalise_input_shape(input_shape)
    n = _check_num_classes(num_classes)
    kwargs = arch.resolve_hyperparameters(hyperparameters)
    keras = import_keras()
    try:
        model = arch.builder(shape, n, **kwargs)
    except HyperparameterError as exc:
        # A builder's own, deliberate "this input is not supported" message.
        raise HyperparameterError(f"{_who(arch)}: {exc}") from exc
    except Exception as exc:
        raise PluginError(
            f"{_who(arch)} failed to build for input_shape={shape}, num_classes={n}: "
            f"{type(exc).__name__}: {exc}",
            name=arch.name,
            distribution=arch.source,
        ) from exc
    if not isinstance(model, keras.Model):
        raise PluginError(
            f"{_who(arch)} returned {type(model).__module__}.{type(model).__qualname__} "
            "instead of a keras.Model. A builder must return an (uncompiled) keras.Model.",
            name=arch.name,
            distribution=arch.source,
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):  # a subclassed model not built yet
        inputs = None
    if inputs:
        got = tuple(inputs[0].shape[1:]) if len(inputs) == 1 else None
        if (
            got is None
            or len(got) != len(shape)
            or any(g is not None and g != s for g, s in zip(got, shape, strict=False))
        ):
            shown = [tuple(i.shape[1:]) for i in inputs]
            raise PluginError(
                f"{_who(arch)} was asked for input_shape={shape} but its model takes "
                f"{shown[0] if len(shown) == 1 else shown}. Use keras.Input(shape=input_shape).",
                name=arch.name,
                distribution=arch.source,
            )
    try:
        out = output_units(model, shape)
    except Exception as exc:
        raise PluginError(
            f"{_who(arch)} built a model whose output cannot be used: {exc}",
            name=arch.name,
            distribution=arch.source,
        ) from exc
    if not out or out[-1] != n:
        raise PluginError(
            f"{_who(arch)} built a model with output shape {out} for num_classes={n}; "
            f"the last dimension must equal num_classes ({n}).",
            name=arch.name,
            distribution=arch.source,
        )
    return model
