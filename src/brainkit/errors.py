"""The root of brainkit's exceptions.

Every error brainkit raises on bad input derives from :class:`BrainkitError`
(and from the built-in exception it resembles, e.g. ``ValueError``), so the
command line can print it as one line and scripts can catch it in one place.
"""

from __future__ import annotations

__all__ = ["BrainkitError"]


class BrainkitError(Exception):
    """Base class of brainkit's errors; the message names the problem and the fix."""
