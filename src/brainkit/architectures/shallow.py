"""``shallow``: Krohn's shallow network (*Deep Learning Illustrated*, ch. 5): 64 sigmoid neurons,
softmax, MSE and plain SGD. Deliberately old-fashioned: the book uses it to show why cross-entropy
and better optimizers (chapters 8-9) matter."""

from typing import Any

from brainkit.architectures._spec import Recipe, _check_positive, architecture
from brainkit.runtime import import_keras

__all__ = ["shallow"]


@architecture(
    recipe=Recipe(
        optimizer="sgd", learning_rate=0.01, loss="mse", output="probabilities",
        label_encoding="one_hot", batch_size=128, epochs=200, input_scaling="unit",
        notes=("Learns slowly by design. Measured on Fashion-MNIST: 34-43% test accuracy after "
               "10 epochs, about 72% after 100 and about 76% after 200 (the book's ~86% is on "
               "MNIST digits, an easier data set). Sigmoid neurons under an MSE loss get tiny "
               "gradients; swapping MSE for cross-entropy and SGD for Adam is what speeds it up "
               "(to ~85% within a few epochs)."),
    ),
    reference=("Krohn, Beyleveld & Bassens, Deep Learning Illustrated (2019), ch. 5, notebook "
               "shallow_net_in_keras.ipynb"),
    api_version=1,
)
def shallow(input_shape: tuple[int, ...], num_classes: int, units: int = 64) -> Any:
    """64 sigmoid neurons and a softmax, trained the 1980s way (MSE + SGD)."""
    _check_positive("units", units)
    keras = import_keras()
    inputs = keras.Input(shape=input_shape, name="pixels")
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = keras.layers.Dense(units, activation="sigmoid", name="hidden")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="shallow")
