"""Plots for learners, each a matplotlib Figure built without pyplot: see the docs' API page."""

from __future__ import annotations

from typing import Any

from brainkit.viz import live
from brainkit.viz.data import FigureError, plot_samples, save_figure
from brainkit.viz.live import live_learning_curves
from brainkit.viz.metrics import (
    confusion_matrix,
    most_confused,
    plot_confusion_matrix,
    plot_learning_curves,
    plot_most_confused,
)
from brainkit.viz.network import plot_activations, plot_network
from brainkit.viz.perceptron_plots import (
    plot_decision_boundary,
    plot_perceptron,
    plot_step_vs_sigmoid,
)
from brainkit.viz.predictions import (
    plot_conversion,
    plot_prediction,
    plot_predictions_grid,
    plot_worst_mistakes,
)
from brainkit.viz.weights import plot_linear_weights

__all__ = [
    "FigureError", "LiveLearningCurves", "confusion_matrix", "live_learning_curves",
    "most_confused", "plot_activations", "plot_confusion_matrix", "plot_conversion",
    "plot_decision_boundary", "plot_learning_curves", "plot_linear_weights", "plot_most_confused",
    "plot_network", "plot_perceptron", "plot_prediction", "plot_predictions_grid", "plot_samples",
    "plot_step_vs_sigmoid", "plot_worst_mistakes", "save_figure",
]


def __getattr__(name: str) -> Any:
    if name == "LiveLearningCurves":  # a keras Callback: made, and Keras imported, on first use
        return live.LiveLearningCurves
    raise AttributeError(f"module 'brainkit.viz' has no attribute {name!r}")
