"""The figures saved with every training run (``brainkit train`` and ``brainkit plot``)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from brainkit._atomic import sweep_stale
from brainkit.training import RunError, TrainResult, check_image_data, probabilities, write_error
from brainkit.viz.data import FigureError, save_figure
from brainkit.viz.metrics import plot_confusion_matrix, plot_learning_curves
from brainkit.viz.predictions import plot_predictions_grid, plot_worst_mistakes
from brainkit.viz.weights import plot_linear_weights

__all__ = ["draw_into_run", "write_run_figures"]


def draw_into_run(result: TrainResult, folder: Path) -> None:
    """Draw the figures into a run being saved (``result.save(path, figures=draw_into_run)``).

    A figure that cannot be drawn is logged as a warning and the run is saved
    without it: the trained model is worth more than its figures. A figure that
    cannot be *written* (a full disk) fails the save with a :class:`RunError`.
    """
    try:
        write_run_figures(result, folder)
    except OSError as exc:
        raise write_error(folder, exc) from exc
    except Exception as exc:  # noqa: BLE001 - the run is worth more than its figures
        if isinstance(exc.__cause__, OSError):
            raise
        logging.getLogger("brainkit").warning(
            "The run's figures could not be drawn (%s); the run is saved without them.", exc
        )


def write_run_figures(
    result: TrainResult, folder: str | Path, seed: int = 0, cli: bool = False
) -> list[Path]:
    """Draw a run's figures as PNGs in ``folder`` and return their paths.

    Writes ``learning_curves.png``, ``confusion_matrix.png``,
    ``sample_predictions.png`` and ``worst_mistakes.png``, plus
    ``weights.png`` when the model is the single-layer ``linear`` brain.

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
    brainkit.training.RunError
        If the run's data are not images (e.g. ``hotdog``), or ``folder`` cannot be written.
    """
    out = Path(folder)
    data = result.dataset()
    try:
        check_image_data(data)
    except RunError as exc:
        raise RunError(f"No figures for this run: {exc}") from None
    sweep_stale(out)  # figures a killed `brainkit plot` left half-written
    try:
        return _write(result, data, out, seed)
    except OSError as exc:
        raise write_error(out, exc, cli=cli) from exc
    except FigureError as exc:  # save_figure's OSError, told as the run's
        if not isinstance(exc.__cause__, OSError):
            raise
        raise write_error(out, exc.__cause__, cli=cli) from exc


def _write(result: TrainResult, data: Any, out: Path, seed: int) -> list[Path]:
    probs = probabilities(result, data.x_test)
    predicted = probs.argmax(axis=1)
    accuracy = float(np.mean(predicted == data.y_test))
    name = f"{result.architecture} on {data.name}"
    written = []
    if result.history:
        written.append(
            save_figure(
                plot_learning_curves(result.history, title=f"Learning curves: {name}"),
                out / "learning_curves.png",
            )
        )
    written.append(
        save_figure(
            plot_confusion_matrix(
                data.y_test,
                predicted,
                data.class_names,
                title=f"Test set: {accuracy:.1%} right ({name})",
            ),
            out / "confusion_matrix.png",
        )
    )
    written.append(
        save_figure(
            plot_predictions_grid(
                data.x_test, probs, data.y_test, data.class_names, count=12, seed=seed
            ),
            out / "sample_predictions.png",
        )
    )
    if np.any(predicted != data.y_test):
        written.append(
            save_figure(
                plot_worst_mistakes(data.x_test, probs, data.y_test, data.class_names),
                out / "worst_mistakes.png",
            )
        )
    dense = [layer for layer in result.model.layers if layer.__class__.__name__ == "Dense"]
    if len(dense) == 1 and int(np.prod(result.input_shape)) == dense[0].get_weights()[0].shape[0]:
        written.append(
            save_figure(
                plot_linear_weights(result.model, data.class_names, tuple(result.input_shape[:2])),
                out / "weights.png",
            )
        )
    return written
