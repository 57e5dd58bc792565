"""The hot-dog truth table of *Deep Learning Illustrated*, ch. 6 (the book's labels)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from brainkit.datasets._base import Dataset

__all__ = ["CLASS_NAMES", "DESCRIPTION", "INPUT_NAMES", "THRESHOLD", "WEIGHTS",
           "load_hotdog_dataset", "truth_table"]

INPUT_NAMES: tuple[str, ...] = ("ketchup", "mustard", "bun")  #: The inputs, in column order.
WEIGHTS: tuple[float, ...] = (6.0, 2.0, 3.0)  #: The book's weights for ketchup, mustard, bun.
THRESHOLD: float = 4.0  #: The book's threshold: "hot dog" when the weighted sum is greater.
CLASS_NAMES: tuple[str, str] = ("not hot dog", "hot dog")  #: Class names (label 0, label 1).
#: One line for ``brainkit datasets``.
DESCRIPTION = (
    "The hot-dog truth table of Deep Learning Illustrated ch. 6: ketchup, mustard, bun -> hot dog?"
)


def truth_table() -> tuple[np.ndarray, np.ndarray]:
    """All 8 combinations ``X`` (``uint8`` ``(8, 3)``, rows ``000, ..., 111``) and labels ``y``.

    ``y`` is ``uint8`` ``(8,)``: 1 (hot dog) when ``X @ WEIGHTS > THRESHOLD``, strictly.
    """
    X = np.array(list(itertools.product((0, 1), repeat=3)), dtype=np.uint8)
    return X, (X @ np.array(WEIGHTS) > THRESHOLD).astype(np.uint8)


def load_hotdog_dataset(**_ignored: Any) -> Dataset:
    """The :func:`truth_table` as the embedded :class:`~brainkit.datasets.Dataset` ``"hotdog"``.

    The training and the test part are both its 8 rows; ``extra`` holds the input names, weights
    and threshold. The keywords :func:`brainkit.datasets.load` gives every loader are ignored.
    """
    X, y = truth_table()
    return Dataset(name="hotdog", x_train=X, y_train=y, x_test=X.copy(), y_test=y.copy(),
                   class_names=CLASS_NAMES, source="embedded",
                   description=f"{DESCRIPTION} (weights 6, 2, 3; threshold 4)",
                   extra={"input_names": INPUT_NAMES, "weights": WEIGHTS, "threshold": THRESHOLD})
