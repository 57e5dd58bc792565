"""
.. _tutorial-perceptron:

5. The hot-dog perceptron
=========================

Every network in these tutorials is built from one idea: a neuron that adds
up weighted inputs and decides. Chapter 6 of *Deep Learning Illustrated*
introduces it with Frank Rosenblatt's perceptron (1958) and a very small
problem: is it a hot dog? The perceptron looks at three yes/no inputs,
**ketchup**, **mustard** and **bun**, weighs them 6, 2 and 3, and says
"hot dog" when the weighted sum is *greater than* a threshold of 4.

Here we work through its arithmetic by hand, let it *learn* its weights with
Rosenblatt's rule, find a problem it can never learn (XOR), and replace its
hard yes/no with the smooth sigmoid that made gradient descent, and so the
networks of the earlier tutorials, possible. No data set and no GPU: this one
runs in seconds.
"""

# %%
# Worked examples
# ---------------
# :class:`brainkit.perceptron.Perceptron` is the book's detector (weights 6,
# 2, 3 and threshold 4 by default). :meth:`~brainkit.perceptron.Perceptron.explain`
# writes out the arithmetic. Ketchup and mustard, no bun:
from brainkit import perceptron, viz
from brainkit.perceptron import Perceptron, SigmoidNeuron

detector = Perceptron()
print(detector)
print()
print(detector.explain([1, 1, 0]))

# %%
# Mustard alone is not enough: 2 is not greater than 4.

print(detector.explain({"ketchup": 0, "mustard": 1, "bun": 0}))

# %%
# The second way of writing the same rule, the *bias form*, moves the
# threshold to the other side: ``z = w.x + b`` with the bias ``b = -4``, and
# the answer is 1 when ``z > 0``. Every neural-network library uses this
# form; a ``Dense`` layer's "bias" is exactly this ``b``.
#
# :func:`brainkit.viz.plot_perceptron` draws the perceptron at work on one
# example:

fig = viz.plot_perceptron(detector, [1, 1, 0])
fig

# %%
# All eight combinations of the three inputs, with the weighted sum, ``z``,
# the perceptron's answer and (for later) a sigmoid neuron's:

X, y = perceptron.hotdog_truth_table()
print(perceptron.format_table(detector, X, y))

# %%
# With these weights, a hot dog is "ketchup, or mustard with a bun". Change a
# weight and the rule changes: that is the sense in which the weights *are*
# the knowledge.
#
# The learning rule
# -----------------
# Rosenblatt's point was that the weights need not be chosen by hand. Start
# from zeros, show the examples one at a time, and after every *mistake*
# nudge each weight toward the right answer::
#
#     w <- w + learning_rate * (target - prediction) * x
#     b <- b + learning_rate * (target - prediction)
#
# A wrong "no" (target 1, said 0) adds the inputs to the weights; a wrong
# "yes" subtracts them; a right answer changes nothing. Let it learn the
# truth table above:

result = perceptron.train_perceptron(X, y)
print(result.summary())

# %%
# Every update is recorded. The first few:

for update in result.updates[:6]:
    print(update.describe())

# %%
# The learned weights, 3, 2 and 1 with threshold 2, are not the book's 6, 2,
# 3 and 4, yet they give the same answer on all eight inputs: many weight
# settings solve the same problem, and the rule stops at the first one it
# finds.

learned = result.perceptron
print("same answers as the book's detector:",
      (learned.predict(X) == detector.predict(X)).all())

# %%
# :func:`brainkit.viz.plot_decision_boundary` replays the learning. Each
# column is a moment; the line is where ``z = 0``, examples on the yellow
# side get a 1, and a red edge marks a mistake. The third input (bun) is shown
# by the two rows.

fig = viz.plot_decision_boundary(result, snapshots=4)
fig

# %%
# XOR: what one perceptron cannot learn
# -------------------------------------
# XOR ("exclusive or") is 1 when exactly one of two inputs is 1. Try to learn
# it:

X_xor, y_xor = perceptron.xor_data()
xor = perceptron.train_perceptron(X_xor, y_xor)
print(xor.summary())

# %%
# It never converges: the weights come back to where they were and the same
# mistakes repeat forever. The reason is geometric. A perceptron draws one
# straight line through the square of inputs, and no line puts (0, 1) and
# (1, 0) on one side and (0, 0) and (1, 1) on the other. Minsky and Papert's
# 1969 book made this point, and it stalled neural-network research for a
# decade. The way out is *layers*: a hidden layer can compute "x1 or x2" and
# "x1 and x2", and an output neuron can combine them, which is exactly what
# the hidden layer of the :ref:`third tutorial <tutorial-hidden-layer>` does
# at scale.

print("hot-dog table separable:", perceptron.is_linearly_separable(X, y))
print("XOR separable:          ", perceptron.is_linearly_separable(X_xor, y_xor))
fig = viz.plot_decision_boundary(xor, snapshots=4)
fig

# %%
# The sigmoid neuron
# ------------------
# Layers need a different kind of learning. Gradient descent asks "if I
# change this weight a little, how much does the output change?", and for a
# perceptron the answer is "not at all" almost everywhere, then a sudden
# jump. Replace the step with the smooth **sigmoid**, ``1 / (1 + e^-z)``, and
# every small change of a weight makes a small change of the output:

fig = viz.plot_step_vs_sigmoid(detector)
fig

# %%
# A :class:`~brainkit.perceptron.SigmoidNeuron` with the same weights and
# bias gives the same yes/no decisions, plus a degree of confidence: 0.98 for
# ketchup and mustard, 0.27 for a bun alone.

neuron = SigmoidNeuron.from_perceptron(detector)
print(neuron.explain([1, 1, 0]))
print(neuron.explain([0, 0, 1]))

# %%
# Because the sigmoid is smooth, its weights can be learned by gradient
# descent, the way Keras trains every network. The same neuron as a one-unit
# Keras model, trained from random weights on the eight examples:

model, accuracy = perceptron.train_keras_neuron(epochs=300, seed=0)
kernel, bias = model.layers[-1].get_weights()
print(f"accuracy on the truth table: {accuracy:.0%}")
print("learned weights:", kernel.ravel().round(2), " bias:", bias.round(2))

# %%
# Different numbers again, the same decisions. From here, a network is many
# such neurons in layers, and the :ref:`first tutorial's brain
# <tutorial-building-a-brain>` is ten of them side by side.
#
# Things to try
# -------------
# * Make mustard count for more: ``Perceptron([6, 5, 3], 4)``. What counts as
#   a hot dog now (``format_table``)?
# * Learn from noisy judges: ``X, y = perceptron.make_hotdog_data(200,
#   noise=0.1)``. Does the rule converge? Why not?
# * Learn with a smaller learning rate (``learning_rate=0.1``) or from random
#   starting weights (``seed=1``). Same answers? Same weights?
# * From the command line: ``brainkit hotdog --ketchup --mustard --no-bun``.
#
# Next: :ref:`a convolutional network, and where it goes wrong <tutorial-cnn>`.
