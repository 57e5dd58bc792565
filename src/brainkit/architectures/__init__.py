"""Model architectures, found as entry-point plugins; brainkit's own use the same door.

>>> from brainkit import architectures
>>> architectures.list_architectures()                  # doctest: +SKIP
['cnn', 'linear', 'mlp', 'shallow']
>>> arch = architectures.get("mlp")                     # doctest: +SKIP
>>> arch.description, arch.hyperparameters, arch.recipe.epochs   # doctest: +SKIP
>>> model = architectures.build("mlp", (28, 28), 10, units=64)   # doctest: +SKIP

A distribution adds architectures with entry points in the group
``brainkit.architectures``: the entry point's name is the architecture's name,
its object a builder ``build(input_shape, num_classes, **hyperparameters) ->
keras.Model`` or an :class:`Architecture` made with :func:`architecture`.
The contract, collisions, ``BRAINKIT_DISABLE_ARCHITECTURES`` and plugin API
versions are in the plugin author guide; :mod:`brainkit.testing`
checks a plugin.

Listing (:func:`list_architectures`, :func:`discover`) reads installed metadata
only: no plugin and not Keras is imported. :func:`get` imports one plugin;
a plugin that fails raises :class:`ArchitectureError` naming its distribution,
for that name only.
"""

from __future__ import annotations

from brainkit.architectures._registry import (
    BUILTINS,
    DISABLE_ENV,
    GROUP,
    EntryInfo,
    build,
    discover,
    get,
    list_architectures,
    plugin_call,
    plugin_failure,
    record_failure,
    refresh,
    resolve,
)
from brainkit.architectures._spec import (
    API_VERSION,
    OLDEST_API_VERSION,
    Architecture,
    ArchitectureError,
    HyperparameterError,
    Recipe,
    UnknownArchitectureError,
    api_version_problem,
    architecture,
    check_input_shape,
)

__all__ = [
    "API_VERSION",
    "BUILTINS",
    "DISABLE_ENV",
    "GROUP",
    "OLDEST_API_VERSION",
    "Architecture",
    "ArchitectureError",
    "EntryInfo",
    "HyperparameterError",
    "Recipe",
    "UnknownArchitectureError",
    "api_version_problem",
    "architecture",
    "build",
    "check_input_shape",
    "discover",
    "get",
    "list_architectures",
    "plugin_call",
    "plugin_failure",
    "record_failure",
    "refresh",
    "resolve",
]
