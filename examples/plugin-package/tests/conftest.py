from brainkit.testing import architecture_check  # noqa: F401
