"""Learning curves that redraw themselves after every epoch, in a notebook."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence
from typing import Any

from brainkit.runtime import import_keras
from brainkit.viz.metrics import plot_learning_curves

__all__ = ["LiveLearningCurves", "in_notebook", "live_learning_curves"]  # noqa: F822 (lazy)


def in_notebook() -> bool:
    """Return True when running inside a Jupyter-style notebook kernel (or Colab)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    kind = type(get_ipython())  # NoneType outside IPython
    return kind.__name__ == "ZMQInteractiveShell" or kind.__module__.startswith("google.colab")


@functools.cache
def _live_class() -> type:
    keras = import_keras()

    class LiveLearningCurves(keras.callbacks.Callback):
        """See :func:`live_learning_curves`; ``history``: each metric by epoch, NaN if unlogged."""
        def __init__(self, every: int = 1, metrics: Sequence[str] | None = None,
                     display: bool | None = None, title: str | None = None, dpi: int = 90) -> None:
            super().__init__()
            if every < 1:
                raise ValueError(f"every must be at least 1, got {every}.")
            self.every = int(every)
            self.metrics = None if metrics is None else list(metrics)
            self.display = in_notebook() if display is None else bool(display)
            self.title, self.dpi = title, dpi
            self.redraws = 0
            self.on_train_begin()

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            self.history: dict[str, list[float]] = {}
            self.epochs = 0
            self._shown_epoch = 0

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            logs = logs or {}
            for key in logs:  # a metric first logged now: NaN for the epochs before
                self.history.setdefault(key, [math.nan] * self.epochs)
            for key, values in self.history.items():
                try:
                    values.append(float(logs.get(key, math.nan)))
                except (TypeError, ValueError):  # e.g. None
                    values.append(math.nan)
            self.epochs += 1
            if self.display and self.epochs % self.every == 0:
                self._redraw()

        def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
            if self.display and self.epochs and self._shown_epoch != self.epochs:
                self._redraw()

        def figure(self) -> Any:
            """Return the learning curves so far as a matplotlib Figure."""
            epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
            title = self.title or f"Learning curves after {epochs}"
            return plot_learning_curves(self.history, metrics=self.metrics, title=title)

        def _redraw(self) -> None:
            try:
                from IPython.display import Image, clear_output, display
            except ImportError:  # asked to display without IPython: stay silent
                self.display = False
                return
            buffer = io.BytesIO()
            self.figure().savefig(buffer, format="png", dpi=self.dpi)
            clear_output(wait=True)
            display(Image(data=buffer.getvalue()))
            self.redraws += 1
            self._shown_epoch = self.epochs

    LiveLearningCurves.__qualname__ = "LiveLearningCurves"
    return LiveLearningCurves


def live_learning_curves(every: int = 1, metrics: Sequence[str] | None = None,
                         display: bool | None = None, title: str | None = None,
                         dpi: int = 90) -> Any:
    """Return a :class:`LiveLearningCurves` Keras callback for ``model.fit(callbacks=[...])``.

    In a notebook it redraws over the cell's output (use ``verbose=0``); else ``figure()`` plots.

    Parameters
    ----------
    every : int
        Redraw every ``every`` epochs (and always after the last one).
    metrics : sequence of str, optional
        Metrics to plot (names without ``val_``); default: all of them.
    display : bool, optional
        Draw in the notebook; default: only when running in one.
    title : str, optional
        Figure title.
    dpi : int
        Resolution of the redrawn image.
    """
    return _live_class()(every=every, metrics=metrics, display=display, title=title, dpi=dpi)


def __getattr__(name: str) -> Any:
    if name == "LiveLearningCurves":
        return _live_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
