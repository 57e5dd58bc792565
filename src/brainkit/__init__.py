"""brainkit: learn deep learning by doing, on Keras 3 with JAX, PyTorch or TensorFlow. ``import
brainkit`` is cheap (Keras loads when first needed); it sets an unset ``KERAS_BACKEND`` (see
:func:`brainkit.runtime.set_environment_defaults`) and shows figures inline in notebooks."""

import importlib
from typing import Any

from brainkit import runtime as _runtime
from brainkit._notebook import enable_inline_figures as _enable_inline_figures
from brainkit._version import __version__
from brainkit.errors import BrainkitError

_runtime.set_environment_defaults()
_enable_inline_figures()

__all__ = [
    "BrainkitError", "__version__", "architectures", "datasets", "evaluate", "load_run",
    "perceptron", "predict", "run_folders", "runtime", "testing", "train", "training", "viz",
]

_SUBMODULES = {"architectures", "datasets", "perceptron", "run_folders", "runtime", "testing",
               "training", "viz"}
_FUNCTIONS = {"train", "evaluate", "predict", "load_run"}  # from brainkit.training


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"brainkit.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module("brainkit.training"), name)
    raise AttributeError(f"module 'brainkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
