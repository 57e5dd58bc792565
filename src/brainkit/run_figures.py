"""The figures saved with every training run (``brainkit train`` and ``brainkit plot``)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from brainkit._atomic import sweep_stale
from brainkit.run_folders import RunError, write_error
from brainkit.training import TrainResult, check_image_data, probabilities
from brainkit.viz.data import FigureError, save_figure
from brainkit.viz.metrics import plot_confusion_matrix, plot_learning_curves
from brainkit.viz.predictions import plot_predictions_grid, plot_worst_mistakes
from brainkit.viz.weights import plot_linear_weights

__all__ = ["draw_into_run", "write_run_figures"]


def draw_into_run(result: TrainResult, folder: Path) -> None:
    """Draw the figures into a run being saved (``result.save(path, figures=draw_into_run)``).

    Figures that cannot be drawn are logged as a warning and left out (the model is worth more);
    one that cannot be *written* (a full disk) fails the save with a :class:`RunError`.
    """
    try:
        write_run_figures(result, folder)
    except OSError as exc:
        raise write_error(folder, exc) from exc
    except Exception as exc:  # noqa: BLE001 - the run is worth more than its figures
        if isinstance(exc.__cause__, OSError):
            raise
        logging.getLogger("brainkit").warning(
            "The run's figures could not be drawn (%s); the run is saved without them.", exc)


def write_run_figures(
    result: TrainResult, folder: str | Path, seed: int = 0, cli: bool = False
) -> list[Path]:
    """Draw a run's figures (see :doc:`/quickstart`) as PNGs in ``folder``; return their paths.

    Parameters
    ----------
    result : TrainResult
        A trained or loaded run.
    folder : str or path
        Where to write (created if needed).
    seed : int
        Seed for choosing the sample predictions shown.
    cli : bool
        Word the messages for the command line.

    Raises
    ------
    brainkit.run_folders.RunError
        If the run's data are not images (e.g. ``hotdog``), or ``folder`` cannot be written.
    """
    out = Path(folder)
    data = result.dataset()
    try:
        check_image_data(data)
    except RunError as exc:
        raise RunError(f"No figures for this run: {exc}") from None
    sweep_stale(out)  # figures a killed `brainkit plot` left half-written
    x, y, classes = data.x_test, data.y_test, data.class_names
    probs = probabilities(result, x)
    predicted = probs.argmax(axis=1)
    name = f"{result.architecture} on {data.name}"
    right = f"Test set: {float(np.mean(predicted == y)):.1%} right ({name})"
    dense = [layer for layer in result.model.layers if layer.__class__.__name__ == "Dense"]
    linear = len(dense) == 1 and int(np.prod(result.input_shape)) == dense[0].kernel.shape[0]
    figures = [  # (file, whether this run has it, how to draw it)
        ("learning_curves.png", bool(result.history),
         lambda: plot_learning_curves(result.history, title=f"Learning curves: {name}")),
        ("confusion_matrix.png", True,
         lambda: plot_confusion_matrix(y, predicted, classes, title=right)),
        ("sample_predictions.png", True,
         lambda: plot_predictions_grid(x, probs, y, classes, count=12, seed=seed)),
        ("worst_mistakes.png", bool(np.any(predicted != y)),
         lambda: plot_worst_mistakes(x, probs, y, classes)),
        ("weights.png", linear,
         lambda: plot_linear_weights(result.model, classes, tuple(result.input_shape[:2]))),
    ]  # fmt: skip
    try:
        return [save_figure(draw(), out / file) for file, wanted, draw in figures if wanted]
    except (OSError, FigureError) as exc:  # an OSError, or save_figure's: told as the run's
        cause = exc if isinstance(exc, OSError) else exc.__cause__
        if not isinstance(cause, OSError):
            raise
        raise write_error(out, cause, cli=cli) from exc
