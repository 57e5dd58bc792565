"""
.. _tutorial-backends:

8. Backends and hardware
========================

Keras 3 is a front end: the layers, ``fit`` and ``predict`` are the same
whichever library does the arithmetic underneath, **JAX**, **PyTorch** or
**TensorFlow**. brainkit works on all three. This tutorial shows how the
backend is chosen, measures one small training job on every backend
installed here, and explains what a GPU, or several, would change.
"""

# %%
# Which backend, which devices
# ----------------------------
# :func:`brainkit.runtime.device_report` says what this process runs on: the
# versions, the backend and the devices the backend sees. ``brainkit info``
# prints the same on the command line, and where each data set was found.
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
from matplotlib.figure import Figure

from brainkit import runtime

print(runtime.format_device_report(runtime.device_report()))

# %%
# Keras reads its backend **once**, when it is first imported, so the choice
# must be made before that. In order of precedence brainkit takes:
#
# 1. an explicit choice: ``brainkit.runtime.use_backend("torch")`` at the top
#    of a script, or ``brainkit --backend torch ...`` on the command line;
# 2. the ``KERAS_BACKEND`` environment variable;
# 3. the first installed of JAX, PyTorch and TensorFlow.
#
# This page was built with ``KERAS_BACKEND=jax``, and Keras is already
# running, so asking for another backend now is refused with the reason and
# the fix:

try:
    runtime.use_backend("torch")
except runtime.BackendError as error:
    print(textwrap.fill(str(error), 76))

# %%
# Measuring each backend
# ----------------------
# To compare backends we need a fresh Python process for each. The script
# below imports Keras, then trains the 128-unit network of the
# :ref:`third tutorial <tutorial-hidden-layer>` for 3 epochs on the 5,000
# images of the embedded sample (batch 32), timing every epoch. The first
# epoch includes compiling the model; the later ones show the steady pace.
# Each process keeps to a single CPU core (where the system allows it), so
# that the backends compete on equal terms and the numbers do not depend on
# how busy the machine is.

MEASURE = r"""
import json, os, time
if hasattr(os, "sched_setaffinity"):  # Linux: keep to one CPU core
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
started = time.perf_counter()
from brainkit import runtime
keras = runtime.import_keras()
import_seconds = time.perf_counter() - started
import brainkit
from brainkit import datasets

class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)

timer = EpochTimer()
data = datasets.load("fashion_mnist_sample")
result = brainkit.train("mlp", data, epochs=3, seed=0, verbose=0, callbacks=[timer])
print(json.dumps({"import": import_seconds, "epochs": timer.seconds,
                  "accuracy": result.metrics["test_accuracy"]}))
"""

measured = {}
for backend in runtime.available_backends():
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", MEASURE], env=env, capture_output=True,
                         text=True, timeout=600)
    if run.returncode != 0:
        print(f"{backend}: failed\n{run.stderr[-500:]}")
        continue
    measured[backend] = json.loads(run.stdout.strip().splitlines()[-1])

print(f"{'backend':>10} {'import keras':>13} {'1st epoch':>10} {'later epochs':>13} {'accuracy':>9}")
for backend, m in measured.items():
    later = np.mean(m["epochs"][1:])
    print(f"{backend:>10} {m['import']:>12.1f}s {m['epochs'][0]:>9.2f}s {later:>12.2f}s"
          f" {m['accuracy']:>9.1%}")

# %%
# The same numbers as a picture:

backends = list(measured)
fig = Figure(figsize=(8.5, 3.2), layout="constrained")
left, right = fig.subplots(1, 2)
left.bar(backends, [measured[b]["import"] for b in backends], color="tab:gray")
left.set_title("import keras (s)")
right.bar(backends, [np.mean(measured[b]["epochs"][1:]) for b in backends], color="tab:blue")
right.set_title("one epoch, 5,000 images (s)")
for ax in (left, right):
    ax.grid(axis="y", color="#ececec")
    ax.set_axisbelow(True)
fig

# %%
# The accuracies agree (the arithmetic is the same; only the random start
# differs between libraries), the times do not. On a CPU, with a small network
# and batches of 32, most of the time goes into the *overhead* of each step,
# not the arithmetic: JAX (and TensorFlow) compile the training step,
# several steps at a time (brainkit sets ``steps_per_execution``), while
# PyTorch runs Keras's step eagerly, one Python call after another. That is
# why brainkit prefers JAX when it is installed, and why ``pip install
# "brainkit[jax]"`` is the recommended install for a laptop. The
# :doc:`performance notes </performance>` have the full measurements.
#
# What a GPU changes
# ------------------
# Nothing in your code. Each backend uses a GPU when it sees one (with the
# GPU build of the library installed: ``pip install "jax[cuda12]"``, PyTorch's
# CUDA wheel, or ``tensorflow[and-cuda]``), and the device report lists it
# with ``accelerators`` above zero. What it changes is *which* work is fast:
#
# * the **convolutional network** of the :ref:`sixth tutorial <tutorial-cnn>`
#   spends its time on millions of multiply-adds per image, exactly what a GPU
#   does well; it trains many times faster there;
# * the **small dense networks** of the first tutorials do so little arithmetic
#   per step that the per-step overhead dominates on a GPU too; larger batches
#   (``batch_size=512``) are what make them use it;
# * the data must get to the GPU: a whole Fashion-MNIST is small enough to
#   keep there, bigger data sets need an input pipeline.
#
# Training on several devices
# ---------------------------
# With several GPUs (or TPU cores), brainkit can split every batch across them
# with Keras's distribution API: each device gets an equal share of the batch,
# computes its gradients, and the gradients are averaged. It runs on the JAX
# backend. The code (not run here: this machine has one CPU device) is one
# argument:
#
# .. code-block:: python
#
#     import brainkit
#
#     # every local accelerator; "auto" distributes only if there are 2 or more
#     result = brainkit.train("cnn", distribute="data_parallel", batch_size=256)
#     print(result.metrics["distribution"])
#     # {'strategy': 'data_parallel', 'devices': ['gpu:0', 'gpu:1'], ..., 'per_device_batch': 128}
#
#     # or name the devices yourself
#     brainkit.train("cnn", distribute=["gpu:0", "gpu:1"])
#
# and on the command line ``brainkit train --arch cnn --distribute
# data_parallel``. The batch size is the *global* one and must divide evenly
# across the devices. Several machines, how to try it on one, and what speed-up
# to expect are in :doc:`training on several devices </distributed>`.
#
# Things to try
# -------------
# * Run ``brainkit bench``: the same measurement from the command line, on
#   every installed backend (``--full`` for the whole data set, ``--arch cnn``
#   for the convolutional network).
# * Run ``brainkit --backend torch info`` and ``brainkit --backend tensorflow
#   info`` (each backend you have installed).
# * Train with ``KERAS_BACKEND=torch python my_script.py`` and with JAX, and
#   compare ``result.metrics["seconds_per_epoch"]``.
# * Change the measuring script above to batch 512 (``batch_size=512``). How
#   do the backends compare when there are 16 times fewer steps?
# * On a machine with a GPU (Google Colab has one), run this page as a notebook
#   and look at the device report.
