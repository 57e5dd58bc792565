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

This tutorial takes a complete example package, ``brainkit-lenet`` (it adds
LeCun's LeNet-5 as ``lenet5``; it lives in ``examples/plugin-package`` of the
brainkit repository), reads its files, installs it for real with ``pip`` into
a temporary folder, and uses it: discovery, checks, building and a short
training run. The full contract is in the :doc:`plugin author guide
</plugins>`.

The package
-----------
Three files matter. ``pyproject.toml`` is an ordinary package description
plus one table: the **entry point** in the group ``brainkit.architectures``.
Its name (``lenet5``) is the architecture's name; its value says where the
object lives (module ``brainkit_lenet.lenet``, attribute ``lenet5``).

.. literalinclude:: ../../examples/plugin-package/pyproject.toml
   :language: toml
   :caption: examples/plugin-package/pyproject.toml

``src/brainkit_lenet/lenet.py`` holds the builder: a function that takes the
input shape and the number of classes (plus any hyperparameters, with
defaults) and returns an *uncompiled* ``keras.Model``. The
:func:`~brainkit.architectures.architecture` decorator attaches the metadata
brainkit shows and uses: a description, a reference, the plugin API version
it was written for, and a :class:`~brainkit.architectures.Recipe`, the way
the network is meant to be trained. Keras is imported *inside* the builder,
so that listing architectures stays fast and brainkit can choose the Keras
backend first.

.. literalinclude:: ../../examples/plugin-package/src/brainkit_lenet/lenet.py
   :language: python
   :caption: examples/plugin-package/src/brainkit_lenet/lenet.py

``tests/test_lenet.py`` checks the plugin the way brainkit will use it, with
:mod:`brainkit.architectures.testing`:

.. literalinclude:: ../../examples/plugin-package/tests/test_lenet.py
   :language: python
   :caption: examples/plugin-package/tests/test_lenet.py
"""

# %%
# Installing it for real
# ----------------------
# In your own environment, installing is one command,
# ``pip install ./examples/plugin-package`` (or ``pip install -e`` while you
# develop). Here we must not change the environment that builds this page, so
# we install into a temporary folder with ``pip install --target``:
#
# * ``--no-deps``: its only dependency, brainkit, is already here;
# * ``--no-build-isolation``: build with the ``setuptools`` already installed,
#   so it works offline;
# * the package is copied first, so the build leaves nothing in the source
#   tree.
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import brainkit
from brainkit import architectures, datasets
from brainkit.architectures.testing import check_architecture

candidates = [Path.cwd() / "examples" / "plugin-package", Path.cwd().parent / "examples" / "plugin-package"]
package = next((p for p in candidates if (p / "pyproject.toml").is_file()), None)
if package is None:
    raise SystemExit("Run this from a brainkit source checkout: it needs examples/plugin-package.")

workdir = Path(tempfile.mkdtemp(prefix="brainkit-plugin-"))
source = workdir / "brainkit-lenet"
shutil.copytree(package, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
target = workdir / "site-packages"
command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
           "--no-deps", "--no-build-isolation", "--target", str(target), str(source)]
installed = subprocess.run(command, capture_output=True, text=True)
if installed.returncode != 0:
    raise RuntimeError(f"pip install failed:\n{installed.stdout}\n{installed.stderr}")
for path in sorted(target.iterdir()):
    print(path.name)

# sphinx_gallery_thumbnail_path = '_static/plugin_thumbnail.png'

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
# :func:`~brainkit.architectures.testing.check_architecture` does what a
# plugin's tests should: build the model for an input shape and class count,
# check that it is a ``keras.Model`` with the right output, run a forward pass
# and, with ``train_step=True``, one training step with the plugin's own
# recipe. It never raises; it returns a report. (Its sibling
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
# * Install the example for real (``pip install ./examples/plugin-package``)
#   and train LeNet-5 with its full recipe: ``brainkit train --arch lenet5``.
#   Does it beat the 128-unit network? The ``cnn``?
# * Copy ``examples/plugin-package`` into a new folder, rename the package
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
