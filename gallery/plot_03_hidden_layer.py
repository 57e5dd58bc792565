"""
.. _tutorial-hidden-layer:

3. A neural network with a hidden layer
=======================================

The ten-neuron brain matches each image against one template per class. Put a
layer of neurons *between* the pixels and the output and each of those hidden
neurons can learn a feature of its own; the output neurons then decide from
the features instead of from raw pixels. That, plus a nonlinear *activation
function*, is the step from a linear model to a neural network.

This is the first network of the Keras/TensorFlow tutorial "Basic
classification: Classify images of clothing" (Introduction to Neural
Networks): 128 hidden neurons, 10 epochs. We will train it, measure it on the
test set, watch for overfitting and verify its predictions one by one.
"""

# %%
# Activation functions
# --------------------
# A hidden neuron computes a weighted sum of its inputs plus a bias, exactly
# like the neurons of the first tutorial, and then passes the result through
# an activation function. Without one, two layers of weighted sums would
# collapse into a single weighted sum, and nothing would be gained.
# :func:`brainkit.viz.plot_activations` draws the usual ones:
import tempfile
from pathlib import Path

import brainkit
from brainkit import architectures, datasets, viz

fig = viz.plot_activations(["relu", "sigmoid", "tanh", "softmax"])
fig

# sphinx_gallery_thumbnail_number = 3

# %%
# * **ReLU** (rectified linear unit) passes positive sums through and turns
#   negative ones into 0. It is cheap and trains well: the default for hidden
#   layers.
# * **Sigmoid** squashes any sum into (0, 1). It was the classic choice; the
#   :ref:`fourth tutorial <tutorial-shallow-net>` shows why it trains slowly.
# * **tanh** is a sigmoid stretched to (-1, 1).
# * **Softmax** works on a whole layer at once: it turns the output scores
#   into probabilities that add up to 1. This network uses it on its output
#   layer.
#
# The network
# -----------
# The ``mlp`` architecture: ``Flatten``, ``Dense(128, relu)``,
# ``Dense(10, softmax)``.

data = datasets.load("fashion_mnist")
model = architectures.build("mlp", data.input_shape, data.num_classes)
model.summary()

# %%
# Count the parameters by hand: every hidden neuron has 784 weights and a bias;
# every output neuron has 128 weights (one per hidden neuron) and a bias.

hidden = 784 * 128 + 128
output = 128 * 10 + 10
print(f"hidden layer: {hidden:,}   output layer: {output:,}   total: {hidden + output:,}")

# %%
# Thirteen times the parameters of the ten-neuron brain. The drawing shows
# the extra layer (only a few of the 128 neurons are drawn):

fig = viz.plot_network(model, class_names=data.class_names)
fig

# %%
# Training
# --------
# The recipe is the tutorial's: pixels scaled to 0-1, Adam, sparse categorical
# cross-entropy, batch 32, 10 epochs. After every epoch the model is also
# measured on the test set, as the seed lessons do (``validation="test"``).

recipe = architectures.get("mlp").recipe
print(f"{recipe.optimizer} at {recipe.learning_rate}, {recipe.loss}, batch {recipe.batch_size}, "
      f"{recipe.epochs} epochs, inputs scaled: {recipe.input_scaling}")
result = brainkit.train("mlp", data, epochs=10, seed=0, verbose=0)
print(result)

# %%
# Evaluating on the test set
# --------------------------
# Accuracy on the training images says how well the model *remembers*; only
# images it has never seen say how well it *generalises*.
# :func:`brainkit.evaluate` runs the test set through the trained model:

test = brainkit.evaluate(result)
train_accuracy = result.history["accuracy"][-1]
print(f"training accuracy (last epoch): {train_accuracy:.1%}")
print(f"test accuracy:                  {test['accuracy']:.1%} on {test['examples']:,} images")

# %%
# About 88% on the test set against about 80% for the ten-neuron brain. The
# training accuracy is higher still: the model does better on images it has
# seen. That gap has a name.
#
# Overfitting
# -----------
# :func:`brainkit.viz.plot_learning_curves` plots every metric per epoch,
# training (solid) against validation, here the test set (dashed).

fig = viz.plot_learning_curves(result.history, title="mlp on Fashion-MNIST")
fig

# %%
# The training loss falls steadily, epoch after epoch: the network keeps
# fitting its 60,000 training images more closely. The test loss falls at
# first and then levels off (train longer and it turns back up), and the gap
# between the two curves widens. The network is starting to learn details of
# the training images that do not carry over to new ones: it is
# *overfitting*.
#
# One honest caveat: choosing the number of epochs by looking at the *test*
# curve, as this lesson does, spends the test set. To choose settings, hold
# out part of the training set instead (``validation=0.1``) and look at the
# test set once, at the end.
#
# Verifying predictions
# ---------------------
# Ask the model about single test images. The output layer is a softmax, so
# ``model.predict`` returns probabilities directly:

probabilities = result.model.predict(data.x_test / 255.0, verbose=0)
print("shape:", probabilities.shape, "  each row sums to", probabilities[0].sum().round(4))
i = 0
print("predicted:", data.class_names[probabilities[i].argmax()],
      f"({probabilities[i].max():.1%})   true:", data.class_names[data.y_test[i]])

# %%
# As in the Keras tutorial, look at image 0 and image 12:

fig = viz.plot_prediction(data.x_test[0], probabilities[0], data.class_names,
                          true_label=data.y_test[0], title="Test image 0")
fig

# %%

fig = viz.plot_prediction(data.x_test[12], probabilities[12], data.class_names,
                          true_label=data.y_test[12], title="Test image 12")
fig

# %%
# And at a grid of them. Red marks a mistake. Unlike the ten-neuron brain fed
# raw pixels, this model's confidence varies: on some mistakes it is torn
# between two similar classes, on others it is confidently wrong. Confidence
# alone does not tell you when to trust it.

fig = viz.plot_predictions_grid(data.x_test, probabilities, data.y_test, data.class_names,
                                count=15, seed=1)
fig

# %%
# Saving and loading the trained model
# ------------------------------------
# :meth:`~brainkit.training.TrainResult.save` writes the model, its history,
# metrics and recipe to a folder (what ``brainkit train`` writes too), and
# :func:`brainkit.load_run` loads it back, on any backend.

with tempfile.TemporaryDirectory() as tmp:
    folder = result.save(Path(tmp) / "mlp-run")
    print(sorted(p.name for p in folder.iterdir()))
    again = brainkit.load_run(folder)
    print(again)
    print("image 0:", brainkit.predict(again, data.x_test[0]))

# %%
# Things to try
# -------------
# * Train for 30 epochs (``epochs=30``) and plot the learning curves. When
#   does the test loss start to rise?
# * Change the width of the hidden layer: ``hyperparameters={"units": 16}``
#   and ``{"units": 512}``. How do accuracy, time and overfitting change?
# * Hold out 10% of the training set for validation (``validation=0.1``)
#   and compare its curve with the test set's.
# * Save a run with ``brainkit train`` and classify a photo of your own
#   clothes with ``brainkit predict brainkit-run my-shoe.jpg --show figures``.
#
# Next: :ref:`the shallow network of Deep Learning Illustrated <tutorial-shallow-net>`.
