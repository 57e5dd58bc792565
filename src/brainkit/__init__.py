"""brainkit: learn deep learning by doing.

The classic first lessons of deep learning as real software: Fashion-MNIST
and MNIST loaders, the first architectures as plugins, training and plotting
helpers, and Rosenblatt's hot-dog perceptron, on Keras 3 with JAX, PyTorch or
TensorFlow.

``import brainkit`` is cheap: Keras and its backend are imported only when a
function that needs them is first called. It prepares two things, importing
nothing heavy: ``KERAS_BACKEND`` is set to the backend brainkit would use (the
first installed of JAX, PyTorch and TensorFlow) when it is unset and Keras is not
imported yet, so that a plain ``import keras`` afterwards works on a JAX-only
install (see :func:`brainkit.runtime.set_environment_defaults`); and in a
notebook kernel, matplotlib figures, brainkit's included, display as images
without ``%matplotlib inline``.
"""

from __future__ import annotations

import importlib
from typing import Any

from brainkit import runtime as _runtime
from brainkit._notebook import enable_inline_figures as _enable_inline_figures
from brainkit._version import __version__
from brainkit.errors import BrainkitError

_runtime.set_environment_defaults()
_enable_inline_figures()

__all__ = [
    "BrainkitError",
    "__version__",
    "architectures",
    "datasets",
    "evaluate",
    "load_run",
    "perceptron",
    "predict",
    "run_folders",
    "runtime",
    "testing",
    "train",
    "training",
    "viz",
]

_SUBMODULES = {
    "architectures", "datasets", "perceptron", "run_folders", "runtime", "testing", "training", "viz"
}  # fmt: skip
_FUNCTIONS = {"train", "evaluate", "predict", "load_run"}  # from brainkit.training


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"brainkit.{name}")
    if name in _FUNCTIONS:
        return getattr(importlib.import_module("brainkit.training"), name)
    raise AttributeError(f"module 'brainkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
