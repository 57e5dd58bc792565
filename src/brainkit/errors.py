"""The root of brainkit's exceptions (each also derives from the built-in one it resembles)."""

__all__ = ["BrainkitError"]


class BrainkitError(Exception):
    """Base class of brainkit's errors; the message names the problem and the fix."""
