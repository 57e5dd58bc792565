"""``cnn``: a 5x5 convolution with 32 filters and a 2x2 one with 64, each with stride 2 (in place
of pooling), BatchNorm and ReLU, then dropout, Dense(128) and logits: >= 91% on Fashion-MNIST.
``(height, width)`` inputs get a channel axis. Why this design: ``benchmarks/cnn_design.md``."""

from typing import Any

from brainkit.architectures._spec import (
    HyperparameterError,
    Recipe,
    _check_positive,
    _number,
    architecture,
)
from brainkit.runtime import import_keras

__all__ = ["cnn"]


@architecture(
    recipe=Recipe(
        optimizer="adam", learning_rate=2e-3, learning_rate_schedule="cosine",
        loss="sparse_categorical_crossentropy", output="logits", label_encoding="sparse",
        batch_size=64, epochs=6, input_scaling="unit",
        notes=("Expect about 91.4% test accuracy on Fashion-MNIST after the full recipe (91.3-91.5%"
               " in measured runs), training accuracy about 94% (it starts to overfit). The "
               "learning rate falls along a half cosine to 0, so the last epoch fine-tunes: with "
               "a constant rate the net hovers around 90-91%."),
    ),
    reference=("Springenberg et al. (2015), Striving for Simplicity: The All Convolutional Net "
               "(strided convolutions instead of pooling); Ioffe & Szegedy (2015), Batch "
               "Normalization; Loshchilov & Hutter (2017), SGDR (the cosine schedule); "
               "benchmarks/cnn_design.md"),
    api_version=1,
)
def cnn(input_shape: tuple[int, ...], num_classes: int, filters: int = 32, units: int = 128,
        dropout: float = 0.3) -> Any:
    """Two strided conv layers with batch norm and a dense head: fast, >= 91%."""
    filters, units = _check_positive("filters", filters), _check_positive("units", units)
    if not _number(dropout) or not 0 <= dropout < 1:
        raise HyperparameterError(f"dropout must be a number in [0, 1), got {dropout!r}.")
    shape = tuple(input_shape)
    if len(shape) not in (2, 3):
        raise HyperparameterError(f"cnn needs images, (height, width) or (height, width, channels);"
                                  f" got {shape}. For flat vectors use 'mlp'.")
    keras = import_keras()
    inputs = keras.Input(shape=shape, name="image")
    x = keras.layers.Reshape((*shape, 1), name="add_channel")(inputs) if len(shape) == 2 else inputs
    for i, (n, k) in enumerate(((filters, 5), (2 * filters, 2)), start=1):
        x = keras.layers.Conv2D(n, k, strides=2, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = keras.layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = keras.layers.Activation("relu", name=f"conv{i}_relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    x = keras.layers.Dense(units, activation="relu", name="dense")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="cnn")
