"""Model architectures, found as entry-point plugins; brainkit's own use the same door.

Using architectures
-------------------
>>> from brainkit import architectures
>>> architectures.list_architectures()                  # doctest: +SKIP
['cnn', 'linear', 'mlp', 'shallow']
>>> architectures.list_architectures("*l*")             # glob filter  # doctest: +SKIP
['linear', 'shallow']
>>> arch = architectures.get("mlp")                     # doctest: +SKIP
>>> arch.description, arch.hyperparameters, arch.recipe.epochs   # doctest: +SKIP
>>> model = architectures.build("mlp", (28, 28), 10, units=64)   # doctest: +SKIP

Listing and :func:`discover` read installed metadata only: no plugin code and
not Keras is imported. :func:`get` imports one plugin; :func:`build` also
imports Keras, builds the model and checks it.

The plugin API (version 1)
--------------------------
A distribution adds architectures by declaring entry points in the group
``brainkit.architectures``; each entry point's *name* is the architecture's
name and its *object* is either

* a **builder**, ``build(input_shape, num_classes, **hyperparameters) -> keras.Model``,
  returning an *uncompiled* model whose input is ``keras.Input(input_shape)``
  and whose single output has last dimension ``num_classes``; or
* an :class:`Architecture`, a builder wrapped with metadata, usually made
  with the :func:`architecture` decorator::

      # my_package/lenet.py
      from brainkit.architectures import Recipe, architecture

      @architecture(
          description="LeNet-5 (LeCun et al., 1998) with ReLU and max pooling.",
          recipe=Recipe(optimizer="adam", learning_rate=1e-3, output="logits",
                        batch_size=128, epochs=8, notes="~90% on Fashion-MNIST."),
          reference="LeCun et al. (1998), Gradient-based learning applied to document recognition.",
          api_version=1,
      )
      def lenet5(input_shape, num_classes, activation="relu"):
          import keras  # import Keras inside the builder, never at module top
          ...

  and in ``pyproject.toml``::

      [project.entry-points."brainkit.architectures"]
      lenet5 = "my_package.lenet:lenet5"

A bare function works too: its description defaults to its docstring's first
line, its hyperparameters to the keyword defaults in its signature (after
``input_shape, num_classes``), its recipe to ``Recipe()`` and its API version
to :data:`API_VERSION`. The :class:`Recipe` tells the trainer the optimizer,
learning rate, loss, whether the output is ``"logits"`` or ``"probabilities"``
(``from_logits``), the label encoding (``"sparse"`` or ``"one_hot"``), batch
size, epochs, input scaling (``"unit"``: x/255, ``"none"``: raw 0-255),
metrics, honest ``notes`` about the results to expect and, optionally, a
learning-rate decay (``learning_rate_decay`` per ``learning_rate_decay_steps``
steps; ``1.0``, constant, by default). ``Recipe.compile_arguments()`` turns it
into the optimizer, loss (with ``from_logits``) and metrics for ``model.compile``.

A plugin declaring an ``api_version`` other than :data:`API_VERSION` is refused
with :class:`IncompatiblePluginError`, naming the plugin, its distribution and
the fix. Test a plugin with :mod:`brainkit.architectures.testing`.

Robustness, collisions, disabling
---------------------------------
* A plugin that fails to import, raises while building, or builds the wrong
  thing raises :class:`PluginError` naming its distribution, *for that name
  only*: every other architecture keeps working. Load failures are logged
  (logger ``brainkit.architectures``) and kept in :func:`load_errors`; ``brainkit
  archs --verbose`` shows them.
* Names are unique per distribution. When two distributions provide the same
  name, refer to each as ``"distribution:name"`` (e.g. ``"brainkit-lenet:lenet5"``);
  the plain name is then an :class:`AmbiguousArchitectureError` -- except
  that the built-ins (distribution ``brainkit``) are never overridden: the plain
  name keeps meaning the built-in, and the other one is reachable only as
  ``"distribution:name"`` (a warning is logged and the listing says so).
  The same distribution found twice on ``sys.path`` counts once (the first wins).
* ``BRAINKIT_DISABLE_ARCHITECTURES="name,distribution:name,distribution:*"``
  turns architectures off without uninstalling them (globs allowed); the
  ``disable=`` argument of :func:`discover`, :func:`list_architectures` and
  :func:`get` adds to it. Disabled ones are listed as disabled.
* Unknown names raise :class:`UnknownArchitectureError` (a ``LookupError``)
  listing what exists and suggesting the closest match.
* After installing a plugin into a running process, call :func:`refresh`.
"""

from __future__ import annotations

from brainkit.architectures._registry import (
    BUILTIN_DISTRIBUTION,
    DISABLE_ENV,
    GROUP,
    EntryInfo,
    LoadFailure,
    build,
    discover,
    entries,
    get,
    list_architectures,
    load,
    load_errors,
    refresh,
    resolve,
)
from brainkit.architectures._spec import (
    API_VERSION,
    AmbiguousArchitectureError,
    Architecture,
    ArchitectureDisabledError,
    ArchitectureError,
    HyperparameterError,
    IncompatiblePluginError,
    PluginError,
    Recipe,
    RecipeError,
    UnknownArchitectureError,
    architecture,
)

__all__ = [
    "API_VERSION",
    "BUILTIN_DISTRIBUTION",
    "DISABLE_ENV",
    "GROUP",
    "AmbiguousArchitectureError",
    "Architecture",
    "ArchitectureDisabledError",
    "ArchitectureError",
    "EntryInfo",
    "HyperparameterError",
    "IncompatiblePluginError",
    "LoadFailure",
    "PluginError",
    "Recipe",
    "RecipeError",
    "UnknownArchitectureError",
    "architecture",
    "build",
    "discover",
    "entries",
    "get",
    "list_architectures",
    "load",
    "load_errors",
    "refresh",
    "resolve",
]
