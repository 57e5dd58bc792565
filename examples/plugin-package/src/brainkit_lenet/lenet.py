"""LeNet-5 for brainkit.

The network of LeCun, Bottou, Bengio & Haffner (1998), in its common modern
form: ReLU instead of scaled tanh, max pooling instead of trainable
subsampling, a plain dense layer instead of the RBF output. The first
convolution pads its input ("same"), which for 28x28 images plays the role
of the paper's 32x32 frame.
"""

from __future__ import annotations

from brainkit.architectures import HyperparameterError, Recipe, architecture


@architecture(
    description="LeNet-5 (LeCun et al., 1998): two conv/pool stages and three dense layers.",
    recipe=Recipe(
        optimizer="adam",
        learning_rate=1e-3,
        loss="sparse_categorical_crossentropy",
        output="logits",
        label_encoding="sparse",
        batch_size=128,
        epochs=10,
        input_scaling="unit",
        notes="Usually around 89-90% test accuracy on Fashion-MNIST; not a tuned result.",
    ),
    reference=(
        "LeCun, Bottou, Bengio & Haffner (1998), Gradient-based learning applied to "
        "document recognition, Proc. IEEE 86(11)."
    ),
    api_version=1,
)
def lenet5(input_shape, num_classes, activation="relu"):
    """LeNet-5 (LeCun et al., 1998): two conv/pool stages and three dense layers."""
    import keras  # inside the builder: brainkit picks the backend before Keras starts

    shape = tuple(input_shape)
    if len(shape) == 2:
        shape_in, add_channel = shape, True
    elif len(shape) == 3:
        shape_in, add_channel = shape, False
    else:
        raise HyperparameterError(
            f"lenet5 needs images, (height, width) or (height, width, channels); got {shape}."
        )
    if min(shape[:2]) < 12:
        raise HyperparameterError(f"lenet5 needs images of at least 12x12 pixels; got {shape}.")

    inputs = keras.Input(shape=shape_in, name="image")
    x = keras.layers.Reshape((*shape, 1), name="add_channel")(inputs) if add_channel else inputs
    x = keras.layers.Conv2D(6, 5, padding="same", activation=activation, name="c1")(x)
    x = keras.layers.MaxPooling2D(2, name="s2")(x)
    x = keras.layers.Conv2D(16, 5, activation=activation, name="c3")(x)
    x = keras.layers.MaxPooling2D(2, name="s4")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(120, activation=activation, name="c5")(x)
    x = keras.layers.Dense(84, activation=activation, name="f6")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="lenet5")
