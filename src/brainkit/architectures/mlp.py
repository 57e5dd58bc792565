"""``mlp``: Flatten, Dense(128, relu), Dense(10, softmax) as in the Keras/TensorFlow tutorial "Basic
classification: Classify images of clothing"; 784*128+128 + 128*10+10 = 101,770 parameters."""

from typing import Any

from brainkit.architectures._spec import Recipe, _check_positive, architecture
from brainkit.runtime import import_keras

__all__ = ["mlp"]


@architecture(
    recipe=Recipe(
        optimizer="adam", learning_rate=1e-3, loss="sparse_categorical_crossentropy", epochs=10,
        output="probabilities", label_encoding="sparse", batch_size=32, input_scaling="unit",
        notes=("Expect about 88% test accuracy on Fashion-MNIST after 10 epochs, with the "
               "training accuracy a few points higher: it starts to overfit."),
    ),
    reference=('TensorFlow/Keras tutorial "Basic classification: Classify images of clothing" '
               "(https://www.tensorflow.org/tutorials/keras/classification)"),
    api_version=1,
)
def mlp(input_shape: tuple[int, ...], num_classes: int, units: int = 128) -> Any:
    """A hidden layer of ReLU neurons and a softmax: the classic first network."""
    _check_positive("units", units)
    keras = import_keras()
    inputs = keras.Input(shape=input_shape, name="pixels")
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = keras.layers.Dense(units, activation="relu", name="hidden")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mlp")
