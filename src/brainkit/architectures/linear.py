"""``linear``: the 10-neuron "brain" of NVIDIA DLI's "Building a Brain in 10 Minutes": one dense
layer of logits on the raw pixels, 28*28*10 weights + 10 biases = 7,850 parameters."""

from typing import Any

from brainkit.architectures._spec import Recipe, architecture
from brainkit.runtime import import_keras

__all__ = ["linear"]


@architecture(
    recipe=Recipe(
        optimizer="adam", learning_rate=1e-3, loss="sparse_categorical_crossentropy",
        output="logits", label_encoding="sparse", batch_size=32, epochs=5, input_scaling="none",
        notes=("Trained on raw 0-255 pixels, as in the lesson. Expect about 80% test accuracy on "
               "Fashion-MNIST: one layer can only draw straight boundaries between classes; a "
               "hidden layer ('mlp') does better."),
    ),
    reference='NVIDIA Deep Learning Institute, "Building a Brain in 10 Minutes"',
    api_version=1,
)
def linear(input_shape: tuple[int, ...], num_classes: int) -> Any:
    """One dense layer from the pixels straight to the classes: the 10-neuron brain."""
    keras = import_keras()
    inputs = keras.Input(shape=input_shape, name="pixels")
    x = keras.layers.Flatten(name="flatten")(inputs)
    outputs = keras.layers.Dense(num_classes, name="neurons")(x)
    return keras.Model(inputs, outputs, name="linear")
