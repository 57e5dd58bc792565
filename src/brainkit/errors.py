"""The root of brainkit's exceptions.

Every error brainkit raises on bad input derives from :class:`BrainkitError` (and from the
built-in exception it resembles, e.g. ``ValueError``), so the CLI prints it as one line.
"""

from __future__ import annotations

__all__ = ["BrainkitError"]


class BrainkitError(Exception):
    """Base class of brainkit's errors; the message names the problem and the fix."""
