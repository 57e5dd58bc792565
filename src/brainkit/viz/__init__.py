"""Plots for learners: every function returns a matplotlib Figure.

The figures are built with matplotlib's object-oriented API (no pyplot state),
so they work in scripts, on servers without a display, in notebooks and in
the documentation build alike. Save one with ``fig.savefig("name.png")``.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "plot_samples": "brainkit.viz.data",
    "save_figure": "brainkit.viz.data",
    "FigureError": "brainkit.viz.data",
    "plot_prediction": "brainkit.viz.predictions",
    "plot_predictions_grid": "brainkit.viz.predictions",
    "plot_worst_mistakes": "brainkit.viz.predictions",
    "plot_learning_curves": "brainkit.viz.metrics",
    "confusion_matrix": "brainkit.viz.metrics",
    "plot_confusion_matrix": "brainkit.viz.metrics",
    "most_confused": "brainkit.viz.metrics",
    "plot_most_confused": "brainkit.viz.metrics",
    "plot_linear_weights": "brainkit.viz.weights",
    "plot_network": "brainkit.viz.network",
    "plot_activations": "brainkit.viz.network",
    "plot_perceptron": "brainkit.viz.perceptron_plots",
    "plot_step_vs_sigmoid": "brainkit.viz.perceptron_plots",
    "plot_decision_boundary": "brainkit.viz.perceptron_plots",
    "LiveLearningCurves": "brainkit.viz.live",
    "live_learning_curves": "brainkit.viz.live",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'brainkit.viz' has no attribute {name!r}")


__all__ = sorted(_WHERE)
