"""
.. _tutorial-building-a-brain:

1. Building a brain
===================

A "brain" in this lesson is ten artificial neurons, one per kind of clothing.
Each looks at all 784 pixels of a small picture, multiplies every pixel by a
weight of its own, adds the results and a bias, and produces one score. The
neuron with the highest score names the picture. Nothing else: no hidden
layers, no convolutions. We will look at the data, build this model, count
its parameters by hand, train it on all 60,000 training images and read what
it predicts.

This follows NVIDIA Deep Learning Institute's "Building a Brain in 10
Minutes", with Fashion-MNIST as the data.
"""

# %%
# The data: Fashion-MNIST
# -----------------------
# :func:`brainkit.datasets.load` returns the whole data set as NumPy arrays.
# It looks on this machine first (a cache, Debian's ``dataset-fashion-mnist``
# package, Keras's cache) and checks every file's checksum; it downloads only
# when the data is nowhere to be found. No data and no network? Use
# ``datasets.load("fashion_mnist_sample")``, a 5,000-image subset that ships
# inside brainkit.
import textwrap

import numpy as np

import brainkit
from brainkit import architectures, datasets, viz

data = datasets.load("fashion_mnist")
print(data)
print("training images:", data.x_train.shape, data.x_train.dtype)
print("training labels:", data.y_train.shape, "first ten:", data.y_train[:10])
print("test images:    ", data.x_test.shape)

# %%
# Every image is a 28 x 28 grid of numbers from 0 (black) to 255 (white), and
# every label is a number from 0 to 9. The names of the classes come with the
# data:

for label, name in enumerate(data.class_names):
    print(label, name)
print("pixel values range from", data.x_train.min(), "to", data.x_train.max())

# %%
# Numbers are hard to read; pictures are easy. :func:`brainkit.viz.plot_samples`
# draws a grid of images with their class names. (Every ``viz`` function
# returns a matplotlib ``Figure``: in a notebook, leave it as the last line of
# a cell to see it; in a script, call ``fig.savefig("samples.png")``.)

fig = viz.plot_samples(data.x_train, data.y_train, data.class_names, count=20, seed=0)
fig

# %%
# The model: ten neurons
# ----------------------
# The architecture ``linear`` is exactly this brain: a ``Flatten`` layer that
# lays the 28 x 28 grid out as one row of 784 numbers, and a ``Dense`` layer
# of 10 neurons, each connected to all 784 inputs.
# :func:`brainkit.architectures.build` makes the Keras model:

model = architectures.build("linear", data.input_shape, data.num_classes)

# %%
# How many numbers does this model have to learn? Count them by hand first:
# each of the 10 neurons has one weight per pixel, 28 x 28 = 784 weights, and
# one bias.

weights_per_neuron = 28 * 28
parameters = 10 * weights_per_neuron + 10
print(f"10 neurons x {weights_per_neuron} weights + 10 biases = {parameters:,} parameters")

# %%
# Keras counts the same: ``summary()`` lists each layer, the shape of what it
# outputs (``None`` stands for "any number of images") and its parameters.
# ``Flatten`` only rearranges the pixels, so it has none.

model.summary()

# %%
# :func:`brainkit.viz.plot_network` draws the model the textbook way: circles
# are neurons, lines are weights. With 784 inputs only a few are drawn.

fig = viz.plot_network(model, class_names=data.class_names)
fig

# %%
# Training
# --------
# Right now the weights are random, so the scores are nonsense. Training shows
# the model the 60,000 labelled images, a batch of 32 at a time; after each
# batch, gradient descent (here the Adam optimizer) nudges every weight a
# little in the direction that would have made the right neuron's score
# higher relative to the others. One pass over all the images is an *epoch*.
#
# :func:`brainkit.train` does all of it with the recipe the architecture was
# designed for: for ``linear``, the lesson's own settings (raw 0-255 pixels,
# Adam, cross-entropy on the logits, batch 32, 5 epochs). After each epoch it
# measures accuracy on the 10,000 test images the model never trains on.
# ``verbose=0`` keeps it quiet (in a terminal, leave it out to see a progress
# bar); ``seed=0`` makes the run repeatable.

architecture = architectures.get("linear")
print(textwrap.fill(architecture.recipe.notes, 76))

result = brainkit.train("linear", data, epochs=5, seed=0, verbose=0)
print(result)

# %%
# ``result.history`` holds what was measured after every epoch:

for epoch, (train_acc, test_acc) in enumerate(
    zip(result.history["accuracy"], result.history["val_accuracy"], strict=True), start=1
):
    print(f"epoch {epoch}: {train_acc:.1%} of the training images right, {test_acc:.1%} of the test images")

# %%
# About 80% right with nothing but ten weighted sums. The test accuracy
# wobbles from epoch to epoch: with raw 0-255 pixels the scores are huge and
# every step of training moves them a lot. ``result.metrics`` holds the final
# numbers:

print(f"test accuracy: {result.metrics['test_accuracy']:.1%}")
print(f"parameters:    {result.metrics['parameters']:,}")
print(f"training took: {result.metrics['train_seconds']:.1f} s on {result.metrics['backend']}")

# %%
# Reading the predictions
# -----------------------
# The model's raw outputs are ten scores, called *logits*. A softmax turns
# them into probabilities that add up to one: the bigger a score is than the
# others, the closer its probability gets to 1.

first_image = data.x_test[:1].astype("float32")  # the linear recipe feeds raw pixels
logits = np.asarray(result.model.predict(first_image, verbose=0))[0]
probabilities = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
for name, score, p in zip(data.class_names, logits, probabilities, strict=True):
    print(f"{name:>12}  score {score:9.1f}  probability {p:.3f}")
print("true class:", data.class_names[data.y_test[0]])

# %%
# :func:`brainkit.predict` does the same for you and names the classes:

prediction = brainkit.predict(result, data.x_test[0])
print(prediction.class_name, f"{prediction.probability:.1%}")
print("top three:", prediction)

# %%
# :func:`brainkit.viz.plot_prediction` shows the image beside its ten
# probabilities. The predicted class's bar is blue when it is right and red
# when it is wrong; the true class is always blue.

fig = viz.plot_prediction(
    data.x_test[0], prediction.probabilities, data.class_names, true_label=data.y_test[0]
)
fig

# %%
# Look at a dozen test images at once. Notice how *sure* the model is: the
# bars are nearly always all or nothing, even on its mistakes. That is the raw
# 0-255 pixels at work: sums of 784 pixels times weights make very large
# scores, and the softmax of very different scores is close to 0 or 1. A
# confident model is not necessarily a right one.

predictions = brainkit.predict(result, data.x_test[:12])
all_probabilities = np.stack([p.probabilities for p in predictions])
fig = viz.plot_predictions_grid(
    data.x_test[:12], all_probabilities, data.y_test[:12], data.class_names, count=12
)
fig

# %%
# Things to try
# -------------
# * Train for 1 epoch, then for 15 (``epochs=``). Does the test accuracy keep
#   rising?
# * Scale the pixels to 0-1. Build the same two layers yourself,
#   ``keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
#   keras.layers.Dense(10)])``, and train it with
#   ``brainkit.train(model, data, epochs=5)``: a model you pass in gets the
#   default :class:`~brainkit.architectures.Recipe`, which divides the pixels
#   by 255. Are the predictions still all-or-nothing? Is the accuracy better?
# * Change the batch size (``batch_size=128``): fewer, larger steps per epoch.
#   What happens to the time and to the accuracy?
# * From the command line, ``brainkit train --arch linear --epochs 5`` does
#   all of this and saves the figures to ``brainkit-run/``.
#
# Next: :ref:`what the neurons learned <tutorial-what-the-neuron-learned>`.
