"""The perceptron figures render, headless, to non-trivial PNGs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from matplotlib.figure import Figure

from brainkit.perceptron import (
    Perceptron,
    PerceptronError,
    hotdog_truth_table,
    make_hotdog_data,
    train_perceptron,
    xor_data,
)
from brainkit.viz.perceptron_plots import (
    plot_decision_boundary,
    plot_perceptron,
    plot_step_vs_sigmoid,
)


def _check(fig, path, min_axes=1, min_kb=20):
    assert isinstance(fig, Figure)
    assert len(fig.axes) >= min_axes
    fig.savefig(path, dpi=80)
    assert path.stat().st_size > min_kb * 1024
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts] + [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    if fig._suptitle is not None:
        out.append(fig._suptitle.get_text())
    return "\n".join(out)


def test_plot_perceptron(tmp_path):
    fig = plot_perceptron(Perceptron(), [1, 1, 0])
    _check(fig, tmp_path / "diagram.png")
    text = _texts(fig)
    for piece in ("ketchup", "mustard", "bun", "weight 6", "= 8", "8 > 4", "hot dog"):
        assert piece in text, piece


def test_plot_perceptron_not_a_hot_dog_and_other_sizes(tmp_path):
    fig = plot_perceptron(Perceptron(), {"ketchup": 0, "mustard": 1, "bun": 0})
    assert "not a hot dog" in _texts(fig)
    _check(fig, tmp_path / "not.png")
    _check(plot_perceptron(Perceptron((1, -2), 0.5), [1, 1]), tmp_path / "two.png")
    _check(
        plot_perceptron(Perceptron((1, -2, 3, 0.5, 2), 1.5), [1, 0, 1, 1, 0]), tmp_path / "five.png"
    )
    with pytest.raises(PerceptronError):
        plot_perceptron(Perceptron(), [1, 2, 0])


def test_plot_step_vs_sigmoid(tmp_path):
    fig = plot_step_vs_sigmoid()
    _check(fig, tmp_path / "step.png")
    text = _texts(fig)
    assert "threshold 4" in text and "ketchup + mustard" in text
    with pytest.raises(PerceptronError):
        plot_step_vs_sigmoid(z_range=(1, 5))


def test_plot_decision_boundary_hotdog(tmp_path):
    result = train_perceptron(*hotdog_truth_table(), seed=1)
    fig = plot_decision_boundary(result)
    _check(fig, tmp_path / "boundary.png", min_axes=8)
    text = _texts(fig)
    assert "bun = 0" in text and "bun = 1" in text and "converged" in text
    assert "0 mistakes" in text  # the final column
    # from the list of updates, with fewer snapshots
    fig = plot_decision_boundary(result.updates, result.X, result.y, snapshots=2)
    _check(fig, tmp_path / "from_updates.png", min_axes=4)


def test_plot_decision_boundary_xor_and_noisy(tmp_path):
    fig = plot_decision_boundary(train_perceptron(*xor_data()))
    _check(fig, tmp_path / "xor.png", min_axes=4)
    assert "did NOT converge" in _texts(fig)
    X, y = make_hotdog_data(n=100, noise=0.1, seed=0)
    _check(
        plot_decision_boundary(train_perceptron(X, y, epochs=10)),
        tmp_path / "noisy.png",
        min_axes=8,
    )


def test_plot_decision_boundary_no_updates(tmp_path):
    X, y = hotdog_truth_table()
    result = train_perceptron(X, y, initial_weights=(6, 2, 3), initial_bias=-4)
    _check(plot_decision_boundary(result), tmp_path / "none.png", min_axes=2)
    with pytest.raises(PerceptronError):
        plot_decision_boundary(result.updates, X, y)  # empty list: nothing to draw from
    with pytest.raises(PerceptronError, match="snapshots"):
        plot_decision_boundary(result, snapshots=1)


def test_no_pyplot(tmp_path):
    # The figures are built without pyplot, so nothing global and no GUI backend.
    code = (
        "import sys\n"
        "from brainkit.perceptron import Perceptron, train_perceptron, hotdog_truth_table\n"
        "from brainkit.viz import perceptron_plots as pp\n"
        "pp.plot_perceptron(Perceptron(), [1, 1, 0])\n"
        "pp.plot_step_vs_sigmoid()\n"
        "pp.plot_decision_boundary(train_perceptron(*hotdog_truth_table()))\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
