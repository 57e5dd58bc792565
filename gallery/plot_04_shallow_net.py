"""
.. _tutorial-shallow-net:

4. The shallow net of *Deep Learning Illustrated*
=================================================

Chapter 5 of *Deep Learning Illustrated* (Krohn, Beyleveld & Bassens) builds
its first network the way networks were trained in the 1980s: 64 **sigmoid**
neurons, labels as **one-hot** vectors, the **mean squared error** as the
loss and plain **stochastic gradient descent**. The book trains it for 200
epochs on handwritten digits. On Fashion-MNIST it learns painfully slowly,
and this tutorial is honest about that: we train it for a few epochs, see
how little it learns, work out why, and then change two things and watch
the same network learn in a few epochs what the old recipe needs hundreds
for.
"""

# %%
# The recipe
# ----------
# The ``shallow`` architecture carries the book's recipe and, in its notes,
# what that recipe actually achieves on Fashion-MNIST (measured, not hoped):
import textwrap

import numpy as np
from matplotlib.figure import Figure

import brainkit
from brainkit import architectures, datasets, viz

shallow = architectures.get("shallow")
recipe = shallow.recipe
print(f"loss={recipe.loss}  optimizer={recipe.optimizer}  learning_rate={recipe.learning_rate}")
print(f"labels={recipe.label_encoding}  batch_size={recipe.batch_size}  epochs={recipe.epochs}")
print()
print(textwrap.fill(recipe.notes, 76))

# sphinx_gallery_thumbnail_number = 2

# %%
# One-hot labels
# --------------
# A label is a class number, 0 to 9. The MSE loss compares the network's ten
# outputs with ten *target* numbers, so each label becomes a row of ten: 1 for
# the right class, 0 for the others. That is one-hot encoding, and the recipe
# (``label_encoding="one_hot"``) does it for the trainer:

data = datasets.load("fashion_mnist")
labels = data.y_train[:4]
one_hot = recipe.encode_labels(labels, data.num_classes)
for label, row in zip(labels, one_hot, strict=True):
    print(f"{label} {data.class_names[label]:>12} -> {row.astype(int)}")

# %%
# Sigmoid neurons and the mean squared error
# ------------------------------------------
# The network is ``Flatten``, ``Dense(64, sigmoid)``, ``Dense(10, softmax)``.
# The loss is the mean of the squared differences between the ten outputs and
# the one-hot target. Work it out for an untrained network, which gives every
# class about the same probability, 0.1:

output = np.full(10, 0.1)
target = np.eye(10)[3]  # a dress
print(f"MSE = {np.mean((output - target) ** 2):.3f}")
print(f"cross-entropy = -log(p of the right class) = {-np.log(output[3]):.3f}")

# %%
# The MSE starts small (0.09) and can only fall to 0; a network that is
# *completely* wrong (all its probability on another class) scores just 0.2.
# So the differences it reports between a bad guess and a good one are tiny,
# and so are the gradients that drive learning. Cross-entropy, by contrast,
# grows without limit as the probability of the right class falls toward 0: a
# confident mistake is punished hard.
#
# The sigmoid makes things worse. Its slope is at most 0.25 (at 0) and almost
# 0 once a neuron's sum is far from 0, so every gradient passing back through
# a hidden neuron is shrunk by a factor of 4 or more:

z = np.linspace(-8, 8, 401)
sigmoid = 1 / (1 + np.exp(-z))
fig = Figure(figsize=(6, 3.2), layout="constrained")
ax = fig.subplots()
ax.plot(z, sigmoid, label="sigmoid(z)")
ax.plot(z, sigmoid * (1 - sigmoid), label="its slope, at most 0.25")
ax.set_xlabel("z (weighted sum + bias)")
ax.legend()
ax.grid(color="#ececec")
fig

# %%
# Small gradients times a small learning rate (SGD at 0.01) means small steps.
#
# Training it as the book does
# ----------------------------
# The book's recipe for 10 epochs (the recipe's own is 200). Each epoch takes
# about a second or less on a CPU: it is the *learning* that is slow, not the
# computing.

old = brainkit.train("shallow", data, epochs=10, seed=0, verbose=0)
print(old)
print("test accuracy after each epoch:", ", ".join(f"{a:.0%}" for a in old.history["val_accuracy"]))
print(f"seconds per epoch: {old.metrics['seconds_per_epoch']:.2f}")

# %%
# Well under half right after 10 passes over 60,000 images, where the
# ten-neuron brain of the first tutorial reached about 80% in 5. The recipe
# notes give the rest of the story: about 72% after 100 epochs and about 76%
# after 200 (the book's ~86% is on MNIST digits, an easier data set).
#
# What changes it
# ---------------
# Keep the network exactly as it is (64 sigmoid neurons, softmax output) and
# change two things in the recipe: **cross-entropy** instead of MSE (big
# gradients for confident mistakes) and the **Adam** optimizer instead of
# plain SGD (it adapts each weight's step size, so small gradients still
# make progress). Same data, same 10 epochs:

new = brainkit.train("shallow", data, epochs=10, seed=0, verbose=0,
                     loss="categorical_crossentropy", optimizer="adam", learning_rate=1e-3)
print(new)
print("test accuracy after each epoch:", ", ".join(f"{a:.0%}" for a in new.history["val_accuracy"]))

# %%
# The learning curves side by side (test-set accuracy after each epoch):

epochs = np.arange(1, 11)
fig = Figure(figsize=(6.4, 3.6), layout="constrained")
ax = fig.subplots()
ax.plot(epochs, old.history["val_accuracy"], "o-", label="MSE + SGD (the book's recipe)")
ax.plot(epochs, new.history["val_accuracy"], "s-", label="cross-entropy + Adam")
ax.set_xlabel("epoch")
ax.set_ylabel("test accuracy")
ax.set_ylim(0, 1)
ax.grid(color="#ececec")
ax.legend(loc="lower right")
ax.set_title("The same 64-sigmoid network, two recipes")
fig

# %%
# The same network, the same number of epochs: cross-entropy and Adam get it
# to the mid-80s, within a couple of points of the 128-unit ReLU network of
# the :ref:`previous tutorial <tutorial-hidden-layer>`, while MSE and SGD
# have barely started. Chapters 8 and 9 of the book explain these two
# improvements (and ReLU, better initialisation and more) in detail.
#
# The full learning curves of the faster recipe:

fig = viz.plot_learning_curves(new.history, title="shallow, cross-entropy + Adam")
fig

# %%
# Things to try
# -------------
# * Keep MSE but switch to Adam (``optimizer="adam", learning_rate=1e-3``),
#   then keep SGD but switch to cross-entropy. Which change matters more?
# * Raise SGD's learning rate (``learning_rate=0.1``, then ``1.0``) with the
#   book's MSE. Faster? Stable?
# * Train the book's recipe for 100 epochs (about a minute on a laptop CPU)
#   and compare with the recipe notes.
# * From the command line: ``brainkit train --arch shallow --epochs 20``.
#
# Next: :ref:`the hot-dog perceptron <tutorial-perceptron>`, the single neuron
# all of this grew from.
