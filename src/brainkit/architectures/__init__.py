"""Model architectures: entry points in the group ``brainkit.architectures``, brainkit's own too.

The plugin author guide (docs/plugins.rst) has the contract; :mod:`brainkit.testing` checks one.
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
    "API_VERSION", "BUILTINS", "DISABLE_ENV", "GROUP", "OLDEST_API_VERSION", "Architecture",
    "ArchitectureError", "EntryInfo", "HyperparameterError", "Recipe", "UnknownArchitectureError",
    "api_version_problem", "architecture", "build", "check_input_shape", "discover", "get",
    "list_architectures", "plugin_call", "plugin_failure", "record_failure", "refresh", "resolve",
]
