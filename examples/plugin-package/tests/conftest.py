from brainkit.architectures.testing import architecture_check  # noqa: F401
