"""
.. _tutorial-cnn:

6. Going further: a convolutional network and its mistakes
==========================================================

The networks so far flatten each image into a row of 784 numbers before
looking at it, so they cannot know that two pixels are neighbours: a sleeve
shifted by two pixels is, to them, a different pattern. A *convolutional*
network keeps the image as an image. Its neurons look at small patches (5 x 5
pixels, then 2 x 2) and the same small set of weights, a *filter*, slides over
every position, so an edge or a seam is recognised wherever it appears.

We train brainkit's ``cnn`` briefly, then look past its accuracy at *where*
it goes wrong: a confusion matrix, the most confused pairs of classes and
its most confident mistakes.
"""

# %%
# The network
# -----------
# Two convolutional layers, each followed by batch normalization and a ReLU,
# then a small dense head. The convolutions use a *stride* of 2: they move two
# pixels at a time, halving the image (28 -> 14 -> 7) while the number of
# filters grows (32, then 64).
import textwrap

import numpy as np

import brainkit
from brainkit import architectures, datasets, viz
from brainkit.training import probabilities

data = datasets.load("fashion_mnist")
cnn = architectures.get("cnn")
print(cnn.description)
model = cnn.build(data.input_shape, data.num_classes)
model.summary()

# %%
# About 412,000 parameters, four times the 128-unit network's 101,770, but
# look where they are: the two convolutions have fewer than 10,000 weights
# between them, and almost all the rest sit in the dense layer after
# ``flatten``. The convolutions cost their time in arithmetic instead: every
# filter is applied at every position of the image, so the convolutions cost
# over half a million multiply-adds per image where the whole 128-unit network
# needs about a hundred thousand. That is why convolutional networks are where a GPU pays off (see
# the :ref:`backends tutorial <tutorial-backends>`).
#
# Training, briefly
# -----------------
# Its recipe, with notes on what the full recipe achieves:

recipe = cnn.recipe
print(f"{recipe.optimizer} at {recipe.learning_rate}, batch {recipe.batch_size}, "
      f"{recipe.epochs} epochs, output: {recipe.output}")
print(textwrap.fill(recipe.notes, 76))

# %%
# The full recipe takes a minute or more on a laptop CPU, so here we train for
# **2 epochs** only: enough for a meaningful picture of its strengths and
# weaknesses. The learning rate still falls to 0 by the end of the second
# epoch, whatever the number of epochs. The full recipe gets another point or
# two (see the notes above); "Things to try" below runs it.

result = brainkit.train("cnn", data, epochs=2, seed=0, verbose=0)
print(result)
print("test accuracy after each epoch:", ", ".join(f"{a:.1%}" for a in result.history["val_accuracy"]))

# %%
# Already close to 90% on the test set after two epochs: more than the 128-unit
# network reaches in ten.
#
# The confusion matrix
# --------------------
# Accuracy is one number; the confusion matrix shows every kind of mistake.
# Row = the true class, column = the predicted one, so the diagonal holds the
# right answers and everything off it is a confusion.

probs = probabilities(result, data.x_test)
predicted = probs.argmax(axis=1)
fig = viz.plot_confusion_matrix(data.y_test, predicted, data.class_names)
fig

# %%
# With ``normalize=True`` each row is divided by the number of images of that
# class, so the diagonal becomes the share of each class that was found
# (its *recall*):

fig = viz.plot_confusion_matrix(data.y_test, predicted, data.class_names, normalize=True)
fig

# %%
# Trousers, bags, sneakers and ankle boots are almost always found. **Shirt**
# is the weak spot by far, mistaken for T-shirts, pullovers and coats, which
# are confused with each other too. :func:`brainkit.viz.most_confused` lists
# the worst pairs:

for true_name, predicted_name, count in viz.most_confused(
    data.y_test, predicted, data.class_names, top=6
):
    print(f"{count:4d} x  {true_name:>12} taken for {predicted_name}")

# %%
# The worst mistakes
# ------------------
# Which images does the model get wrong *with the most confidence*? Looking at
# them is the quickest way to learn what the model finds hard, and sometimes
# reveals images whose label is itself doubtful.

fig = viz.plot_worst_mistakes(data.x_test, probs, data.y_test, data.class_names, count=12)
fig

# %%
# Few of these are the shirts of the confusion matrix: many are shoes taken
# for other shoes, and long dark garments taken for dresses. At 28 x 28
# pixels in grey, a closed sandal looks like a sneaker and a high sneaker like
# an ankle boot, and a few images look mislabelled (would you call every one
# of them by its "true" name?). The shirts are the *most frequent* mistakes,
# shoes and dresses among the *most confident* ones: two different problems,
# and neither shows in the accuracy alone.
#
# How sure is it when it is right, and when it is wrong?

confidence = probs.max(axis=1)
right = predicted == data.y_test
print(f"mean confidence when right: {confidence[right].mean():.1%}")
print(f"mean confidence when wrong: {confidence[~right].mean():.1%}")
print(f"mistakes made with over 90% confidence: {np.sum(~right & (confidence > 0.9))}")

# %%
# Things to try
# -------------
# * Train the full recipe, ``brainkit.train("cnn", data)``, or
#   ``brainkit train --arch cnn`` from the command line, and compare the
#   confusion matrices. Which confusions go away, and which stay?
# * Make it smaller (``hyperparameters={"filters": 8}``) or larger
#   (``{"filters": 64}``): how do time and accuracy trade off?
# * Train the ``mlp`` of the third tutorial and plot its confusion matrix.
#   Does it get the *same* classes wrong?
#
# Next: :ref:`write your own architecture as a plugin <tutorial-plugin>`.
