"""
.. _tutorial-what-the-neuron-learned:

2. What the neurons learned
===========================

The ten-neuron brain of the :ref:`first tutorial <tutorial-building-a-brain>`
gets about 80% of the test images right. What has it learned? With most
networks that question is hard. With this one it is not: each neuron has
exactly one weight per pixel, so its 784 weights can be laid out as a 28 x 28
picture and *looked at*.
"""

# %%
# Train the brain again
# ---------------------
# Each tutorial stands on its own, so we train the same model as before: the
# ``linear`` architecture with the lesson's recipe, raw 0-255 pixels, 5 epochs
# on the full training set (a few seconds).
import numpy as np

import brainkit
from brainkit import datasets, runtime, viz

data = datasets.load("fashion_mnist")
raw = brainkit.train("linear", data, epochs=5, seed=0, verbose=0)
print(raw)

# sphinx_gallery_thumbnail_number = 2

# %%
# The weights are in the ``Dense`` layer: a *kernel* of shape (784, 10), one
# column per neuron, and a *bias* of 10 numbers.

kernel, bias = (np.asarray(w) for w in raw.model.get_layer("neurons").get_weights())
print("kernel:", kernel.shape, " bias:", bias.shape)
print(f"weights range from {kernel.min():.2f} to {kernel.max():.2f}")

# %%
# Weights as pictures
# -------------------
# :func:`brainkit.viz.plot_linear_weights` reshapes each column to 28 x 28 and
# colours it: red where the weight is positive (a bright pixel there raises
# the neuron's score: evidence *for* its class), blue where it is negative
# (evidence *against*), white where the pixel does not matter.

fig = viz.plot_linear_weights(raw.model, data.class_names,
                              title="The lesson's brain, trained on raw 0-255 pixels")
fig

# %%
# Mostly noise, with a few faint shapes. Two things blur the picture:
#
# * **The random start.** Keras starts every weight at a small random value
#   (here between about -0.09 and 0.09). A pixel that is black in almost every
#   image (the borders) contributes nothing to any score, so its weight never
#   receives a push and keeps its random starting value forever: that is the
#   speckle around the edges.
# * **Raw pixels.** With inputs as large as 255, small weights already make
#   huge scores, so training stops changing the weights while they are still
#   small, not much bigger than their random start. The learned pattern and
#   the starting noise end up the same size.
#
# Scale the pixels to 0-1 and the same scores need weights 255 times larger:
# training pushes them far beyond their random start, and the pattern stands
# out. Build the same two layers by hand and give them to
# :func:`brainkit.train`: a model of your own is trained with the default
# :class:`~brainkit.architectures.Recipe`, which divides the pixels by 255.

keras = runtime.import_keras()
runtime.seed_everything(0)
model = keras.Sequential(
    [keras.Input(shape=data.input_shape), keras.layers.Flatten(), keras.layers.Dense(10, name="neurons")],
    name="linear_scaled",
)
scaled = brainkit.train(model, data, epochs=5, seed=0, verbose=0)
print(scaled)

# %%
# The same ten neurons, and a better score as a bonus (scaled inputs suit the
# optimizer better). Their weights:

fig = viz.plot_linear_weights(scaled.model, data.class_names,
                              title="The same ten neurons, trained on pixels scaled to 0-1")
fig

# %%
# Now there is something to see, and most of it is **blue**: a neuron learns
# at least as much about where its class is *not* as about where it is.
# *Trouser* has a dark blue line at the bottom centre: the gap between the
# legs, where a bright pixel says "not trousers". *Bag* has a red spot at the
# top centre, where handles are. The shoes (*Sandal*, *Sneaker*, *Ankle boot*)
# are blue in the upper left, where shoe images are empty and those of tops,
# dresses and bags are not. The neuron has learned a *template*, and its
# score is how well an image matches it.
#
# Compare them with the average image of each class (the mean of all 6,000
# training images of that class):

means = np.stack([data.x_train[data.y_train == k].mean(axis=0) for k in range(10)])
fig = viz.plot_samples(means, np.arange(10), data.class_names, count=10, columns=5,
                       title="The average training image of each class")
fig

# %%
# The weights are not simply the averages. A neuron only needs to *tell its
# class apart from the others*, so its template stresses where its class
# differs from the rest, and ignores what all classes share.
#
# How one score is made
# ---------------------
# A neuron's score is the sum over all pixels of pixel x weight, plus the
# bias. Multiplying an image by a neuron's weight picture, pixel by pixel,
# shows where the evidence comes from. Take the first test image, a boot, as
# the scaled model sees it:

kernel, bias = (np.asarray(w) for w in scaled.model.get_layer("neurons").get_weights())
image = data.x_test[0] / 255.0
scores = image.reshape(-1) @ kernel + bias
best = int(np.argmax(scores))
print("true class:", data.class_names[data.y_test[0]])
for k in np.argsort(scores)[::-1][:3]:
    print(f"{data.class_names[k]:>12}: score {scores[k]:6.1f}")

# %%
# The contribution maps below are ``image x weights`` for the winning neuron
# and for the runner-up. Red pixels pushed the score up, blue ones down; the
# sum of each map (plus the bias) is the score printed above.

from matplotlib.figure import Figure

runner_up = int(np.argsort(scores)[-2])
fig = Figure(figsize=(9, 3.2), layout="constrained")
axes = fig.subplots(1, 3)
axes[0].imshow(data.x_test[0], cmap="gray_r")
axes[0].set_title("the image")
limit = np.abs(image[..., None] * kernel.reshape(28, 28, 10)).max()
for ax, k in zip(axes[1:], (best, runner_up), strict=True):
    contribution = image * kernel[:, k].reshape(28, 28)
    shown = ax.imshow(contribution, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"{data.class_names[k]}: sum {contribution.sum():.1f}")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(shown, ax=axes[1:].tolist(), shrink=0.8, label="pixel x weight")
fig

# %%
# Why a linear model stops at 80-85%
# ----------------------------------
# One template per class is all a linear model has. A shirt and a T-shirt, or
# a pullover and a coat, differ in details a single template cannot separate
# everywhere, so the model confuses them. The next tutorial adds a *hidden
# layer* of neurons that can each learn a feature (a collar, a sleeve, a
# heel), and an output layer that combines those features: that is what
# takes accuracy to about 88%.
#
# Things to try
# -------------
# * Plot the weights of the scaled model after 1 epoch and after 20. Do the
#   templates get sharper or noisier?
# * Start the scaled model from zeros instead of random weights
#   (``keras.layers.Dense(10, kernel_initializer="zeros")``): what happens to
#   the speckle at the borders?
# * Train on MNIST digits (``datasets.load("mnist")`` if it is on your
#   machine) and plot the weights: the templates look like blurry digits.
# * Change one image so that the *wrong* neuron wins: add a little of the
#   runner-up's red weights to the pixels (keep them within 0-1) and look at
#   the scores again. How little does it take?
#
# Next: :ref:`a network with a hidden layer <tutorial-hidden-layer>`.
