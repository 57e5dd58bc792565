"""``cnn``: a small, fast convolutional network for 28x28 images (>= 91% on Fashion-MNIST).

Two strided convolutions do the work of convolution + pooling in one step::

    image (28x28[x1])
      -> conv1: 32 filters 5x5, stride 2   -> 14x14x32, BatchNorm, ReLU
      -> conv2: 64 filters 3x3, stride 2   ->  7x7x64,  BatchNorm, ReLU
      -> flatten -> dropout -> dense 128 ReLU -> dense num_classes (logits)

Striding computes each layer only at the resolution it keeps (1.06 million multiply-adds per
image, against 2.4 million for conv-pool-conv-pool; see ``benchmarks/cnn_design.md``); batch
normalization lets Adam take larger steps. ``(height, width)`` inputs get a channel axis;
``(height, width, channels)`` inputs are used as they are (channels last).
"""

from __future__ import annotations

from typing import Any

from brainkit.architectures._spec import HyperparameterError, Recipe, _check_positive, architecture
from brainkit.runtime import import_keras

__all__ = ["cnn"]


@architecture(
    recipe=Recipe(
        optimizer="adam", learning_rate=2e-3, learning_rate_decay=0.5,
        learning_rate_decay_steps=600, loss="sparse_categorical_crossentropy", output="logits",
        label_encoding="sparse", batch_size=128, epochs=8, input_scaling="unit",
        notes=("Expect about 91% test accuracy on Fashion-MNIST after the full recipe (91.1-91.3% "
               "in measured runs), training accuracy about 93% (it starts to overfit). The "
               "learning rate halves every 600 steps, which turns the last epochs into "
               "fine-tuning: with a constant rate the net hovers around 90-91%."),
    ),
    reference=("Springenberg et al. (2015), Striving for Simplicity: The All Convolutional Net "
               "(strided convolutions instead of pooling); Ioffe & Szegedy (2015), Batch "
               "Normalization; benchmarks/cnn_design.md"),
    api_version=1,
)
def cnn(input_shape: tuple[int, ...], num_classes: int, filters: int = 32, units: int = 128,
        dropout: float = 0.3) -> Any:
    """Two strided conv layers with batch norm and a dense head: fast, >= 91%."""
    filters, units = _check_positive("filters", filters), _check_positive("units", units)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise HyperparameterError(f"dropout must be a number in [0, 1), got {dropout!r}.")
    shape = tuple(input_shape)
    if len(shape) not in (2, 3):
        raise HyperparameterError(f"cnn needs images, (height, width) or (height, width, channels);"
                                  f" got {shape}. For flat vectors use 'mlp'.")
    keras = import_keras()
    layers = keras.layers
    inputs = keras.Input(shape=shape, name="image")
    x = layers.Reshape((*shape, 1), name="add_channel")(inputs) if len(shape) == 2 else inputs
    for i, (n, k) in enumerate(((filters, 5), (2 * filters, 3)), start=1):
        x = layers.Conv2D(n, k, strides=2, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = layers.Activation("relu", name=f"conv{i}_relu")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(units, activation="relu", name="dense")(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="cnn")
