"""
.. _tutorial-plugin:

7. Writing an architecture plugin
=================================

brainkit's own architectures (``linear``, ``mlp``, ``shallow``, ``cnn``) are
plugins: brainkit finds them through Python *entry points*, the same door any
other installed package can use. So your own network can become a first-class
brainkit architecture, listed by ``brainkit archs``, trained by
``brainkit train --arch yours`` and by :func:`brainkit.train`, without
changing brainkit at all.

This tutorial writes a complete plugin package, ``brainkit-lenet`` (it adds
LeCun's LeNet-5 as ``lenet5``; the same package, with tests and a README, is
``examples/plugin-package`` in the brainkit repository), installs it for real
with ``pip`` into a temporary folder, and uses it: discovery, checks,
building and a short training run. It needs nothing but brainkit, so it runs
the same from a download as in a checkout. The full contract is in the
:doc:`plugin author guide </plugins>`.
"""

# %%
# The package
# -----------
# A plugin is an ordinary Python package in a folder of its own; we write its
# three files into a new temporary folder. ``pyproject.toml`` is an ordinary
# package description plus one table: the **entry point** in the group
# ``brainkit.architectures``. Its name (``lenet5``) is the architecture's
# name; its value says where the object lives (module ``brainkit_lenet.lenet``,
# attribute ``lenet5``).
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import brainkit
from brainkit import architectures, datasets
from brainkit.testing import check_architecture

PYPROJECT_TOML = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "brainkit-lenet"
version = "0.1.0"
description = "LeNet-5 for brainkit: an example of an architecture plugin package."
requires-python = ">=3.10"
license = "MIT"
dependencies = ["brainkit>=0.1"]

# The plugin: the entry point's name is the architecture's name, its value the
# object brainkit loads (an Architecture made with @architecture, or a builder).
[project.entry-points."brainkit.architectures"]
lenet5 = "brainkit_lenet.lenet:lenet5"

[tool.setuptools.packages.find]
where = ["src"]
"""

workdir = Path(tempfile.mkdtemp(prefix="brainkit-plugin-"))
source = workdir / "brainkit-lenet"
(source / "src" / "brainkit_lenet").mkdir(parents=True)
(source / "pyproject.toml").write_text(PYPROJECT_TOML)
print("writing the package in", source)

# sphinx_gallery_thumbnail_path = '_static/plugin_thumbnail.png'

# %%
# ``src/brainkit_lenet/lenet.py`` holds the builder: a function that takes the
# input shape and the number of classes (plus any hyperparameters, with
# defaults) and returns an *uncompiled* ``keras.Model``. The
# :func:`~brainkit.architectures.architecture` decorator attaches the metadata
# brainkit shows and uses: a description, a reference, the plugin API version
# it was written for, and a :class:`~brainkit.architectures.Recipe`, the way
# the network is meant to be trained. Keras is imported *inside* the builder,
# so that listing architectures stays fast and brainkit can choose the Keras
# backend first. ``__init__.py`` makes the folder a package.

LENET_PY = '''\
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
'''

INIT_PY = '''\
"""brainkit-lenet: LeNet-5 as a brainkit architecture plugin (entry point ``lenet5``)."""

from brainkit_lenet.lenet import lenet5

__all__ = ["lenet5"]
__version__ = "0.1.0"
'''

(source / "src" / "brainkit_lenet" / "lenet.py").write_text(LENET_PY)
(source / "src" / "brainkit_lenet" / "__init__.py").write_text(INIT_PY)
for path in sorted(source.rglob("*")):
    print(path.relative_to(workdir))

# %%
# The repository's copy of this package also has tests, written with
# :mod:`brainkit.testing` (the same checks are run below).
#
# Installing it for real
# ----------------------
# In your own environment, installing is one command,
# ``pip install ./brainkit-lenet`` (or ``pip install -e`` while you
# develop). Here we keep the environment as it is, so we install into another
# temporary folder with ``pip install --target``:
#
# * ``--no-deps``: its only dependency, brainkit, is already here;
# * ``--no-build-isolation`` when ``setuptools`` 77 or newer is installed:
#   build with it, so it works offline. Otherwise pip fetches ``setuptools``
#   for the build, as any ``pip install`` of a source folder does.

import importlib.metadata


def setuptools_version() -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in importlib.metadata.version("setuptools").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return (0,)


target = workdir / "site-packages"
command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-deps", "--target", str(target), str(source)]
if setuptools_version() >= (77,):
    command.insert(-3, "--no-build-isolation")
installed = subprocess.run(command, capture_output=True, text=True)
if installed.returncode != 0:
    raise RuntimeError(f"pip install failed:\n{installed.stdout}\n{installed.stderr}")
for path in sorted(target.iterdir()):
    print(path.name)

# %%
# Two things were installed: the code (``brainkit_lenet/``) and its metadata
# (``brainkit_lenet-0.1.0.dist-info/``). The entry point is a line in the
# metadata; brainkit reads it there, *without importing the plugin's code*:

print((target / "brainkit_lenet-0.1.0.dist-info" / "entry_points.txt").read_text())

# %%
# Discovery
# ---------
# Python finds installed packages on ``sys.path``; a normal ``pip install``
# puts them in a folder that is already there. Ours is not, so we add it, and
# call :func:`brainkit.architectures.refresh` (as after installing a plugin
# into a running session) so that brainkit looks again:

sys.path.insert(0, str(target))
architectures.refresh()
print(architectures.list_architectures())
for entry in architectures.discover():
    print(f"{entry.name:8} from {entry.source:22} -> {entry.value}")

# Asking for it by name imports it (only now):
lenet5 = architectures.get("lenet5")
print()
print(lenet5)

# %%
# ``lenet5`` is listed next to the built-ins, from the distribution
# ``brainkit-lenet 0.1.0``, and :func:`~brainkit.architectures.get` returned
# an :class:`~brainkit.architectures.Architecture`: the builder with its
# metadata. We keep this object and use it below.

print("hyperparameters:", lenet5.hyperparameters)
print("recipe:", lenet5.recipe.optimizer, lenet5.recipe.learning_rate,
      f"batch {lenet5.recipe.batch_size}, {lenet5.recipe.epochs} epochs")
print("notes:", lenet5.recipe.notes)

# %%
# Checking it
# -----------
# :func:`~brainkit.testing.check_architecture` does what a
# plugin's tests should: build the model for an input shape and class count,
# check that it is a ``keras.Model`` with the right output, run a forward pass
# and, with ``train_step=True``, train it for one epoch with
# :func:`brainkit.train` and the plugin's own recipe on a slice of the embedded
# sample. It never raises; it returns a report. (Its sibling
# ``assert_valid_architecture`` raises ``AssertionError`` instead, for tests;
# the plugin's own tests above also try colour images, ``(32, 32, 3)``.)

print(check_architecture(lenet5, input_shape=(28, 28), num_classes=10, train_step=True))

# %%
# A plugin that builds the wrong thing fails the check, with the stage and the
# reason: here, a builder that forgets to use ``num_classes``.

from brainkit.architectures import Recipe, architecture


@architecture(description="Always ten outputs (a bug).", recipe=Recipe(), api_version=1)
def broken(input_shape, num_classes):
    import keras

    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))


print(check_architecture(broken, input_shape=(28, 28), num_classes=5))

# %%
# Building and training
# ---------------------
# From here ``lenet5`` is used like any built-in. Build it and look inside:

data = datasets.load("fashion_mnist")
model = lenet5.build(data.input_shape, data.num_classes)
model.summary()

# %%
# And train it briefly with its own recipe (Adam, batch 128, logits): 2 epochs
# on the 5,000 images of the embedded sample, to keep this page quick. Its
# recipe's 10 epochs on the full data set are in "Things to try".

sample = datasets.load("fashion_mnist_sample")
result = brainkit.train(lenet5, sample, epochs=2, seed=0, verbose=0)
print(result)

# %%
# The command line sees it too: in a new Python process with the folder on
# ``PYTHONPATH`` (standing in for a normal install), ``brainkit archs`` lists
# it and ``--check`` checks it. ``BRAINKIT_DISABLE_ARCHITECTURES`` turns a
# plugin off without uninstalling it.



def brainkit_command(*args, **environment):
    """Run the brainkit command in a new process that finds the plugin folder."""
    print("$", *(f"{k}={v}" for k, v in environment.items()), "brainkit", *args)
    env = {**os.environ, "PYTHONPATH": str(target), **environment}
    run = subprocess.run([sys.executable, "-m", "brainkit", *args], env=env,
                         capture_output=True, text=True)
    print(run.stdout.strip() or run.stderr.strip(), end="\n\n")


brainkit_command("archs", "lenet5", "--check")
brainkit_command("archs", BRAINKIT_DISABLE_ARCHITECTURES="lenet5")

# %%
# Cleaning up
# -----------
# Take the folder off ``sys.path``, forget the plugin and delete the files.

if str(target) in sys.path:
    sys.path.remove(str(target))
sys.modules.pop("brainkit_lenet.lenet", None)
sys.modules.pop("brainkit_lenet", None)
architectures.refresh()
shutil.rmtree(workdir)
print(architectures.list_architectures())

# %%
# Things to try
# -------------
# * Install the package for real: run this notebook up to "Cleaning up",
#   ``pip install`` the folder it printed (``print(source)``), and train
#   LeNet-5 with its full recipe: ``brainkit train --arch lenet5``. Does it
#   beat the 128-unit network? The ``cnn``?
# * Copy the package (or ``examples/plugin-package``, with its tests) into a
#   new folder, rename the package
#   and the entry point, and put a network of your own in the builder. Install
#   it with ``pip install -e .`` and train it with ``brainkit train --arch
#   yourname``.
# * Give your builder a hyperparameter with a default (``units=64``) and pass
#   another value: ``brainkit.train("yourname", hyperparameters={"units": 16})``.
# * Name your architecture ``mlp`` and see what ``brainkit archs`` says: a
#   built-in name keeps meaning the built-in; yours is reachable as
#   ``"your-distribution:mlp"``.
# * Read the :doc:`plugin author guide </plugins>` for the whole contract.
#
# Next: :ref:`backends and hardware <tutorial-backends>`.
