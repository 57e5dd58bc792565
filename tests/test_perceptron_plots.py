"""The perceptron figures show what they claim: checked on their artists and rendered pixels."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from brainkit.perceptron import (
    Perceptron,
    PerceptronError,
    hotdog_truth_table,
    make_hotdog_data,
    sigmoid,
    train_perceptron,
    xor_data,
)
from brainkit.viz.perceptron_plots import (
    plot_decision_boundary,
    plot_perceptron,
    plot_step_vs_sigmoid,
)

YES, NO, ON, OFF = "#e9c46a", "#d9dee5", "#f4a261", "#ffffff"  # the figures' colours


def _texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts] + [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return "\n".join([*out, fig.get_suptitle()])


def _pixel(fig, ax, xy):
    """The rendered RGB (0-255) at data point ``xy`` of ``ax``."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())
    x, y = ax.transData.transform(xy)
    return image[int(round(image.shape[0] - y)), int(round(x)), :3].astype(int)


def _rgb(colour, alpha=1.0):
    """``colour`` as 0-255 RGB, drawn with ``alpha`` over white."""
    return np.round(255 * (alpha * np.array(to_rgb(colour)) + (1 - alpha))).astype(int)


def _circles(fig):
    """The diagram's nodes, left to right, top to bottom."""
    nodes = [p for p in fig.axes[0].patches if isinstance(p, Circle)]
    return sorted(nodes, key=lambda c: (c.center[0], -c.center[1]))


def test_plot_perceptron_hot_dog():
    fig = plot_perceptron(Perceptron(), [1, 1, 0])
    text = _texts(fig)
    for piece in (
        "ketchup",
        "mustard",
        "bun",
        "weight 6",
        "1 \u00d7 6 = 6",
        "= 8",
        "8 > 4",
        "hot dog",
    ):
        assert piece in text, piece
    assert fig.get_suptitle() == "6\u00d71 + 2\u00d71 + 3\u00d70 = 8 > 4   \u2192   hot dog"
    assert "z = w\u00b7x + b = 8 \u2212 4 = 4" in text  # the bias form
    *inputs, total, output = _circles(fig)
    assert [c.get_facecolor()[:3] for c in inputs] == [to_rgb(ON), to_rgb(ON), to_rgb(OFF)]
    assert output.get_facecolor()[:3] == to_rgb(YES)
    # ... and drawn so: beside the digit written on each node
    for node, colour in ((output, YES), (inputs[0], ON), (inputs[2], OFF)):
        beside = (node.center[0] + 0.6 * node.radius, node.center[1])
        assert np.abs(_pixel(fig, fig.axes[0], beside) - _rgb(colour)).max() <= 3


def test_plot_perceptron_not_a_hot_dog():
    fig = plot_perceptron(Perceptron(), {"ketchup": 0, "mustard": 1, "bun": 0})
    assert "not a hot dog" in fig.get_suptitle() and "2 \u2264 4" in _texts(fig)
    output = _circles(fig)[-1]
    assert output.get_facecolor()[:3] == to_rgb(NO)
    assert (
        np.abs(
            _pixel(fig, fig.axes[0], (output.center[0] + 0.3, output.center[1])) - _rgb(NO)
        ).max()
        <= 3
    )


@pytest.mark.parametrize(
    ("weights", "threshold", "x", "words"),
    [
        ((1, -2), 0.5, [1, 1], "1\u00d71 \u2212 2\u00d71 = \u22121 \u2264 0.5   \u2192   output 0"),
        ((1, -2.5, 3, 0.5, 2), 1.5, [1, 0, 1, 1, 0], "= 4.5 > 1.5   \u2192   output 1"),
    ],
)
def test_plot_perceptron_other_sizes(weights, threshold, x, words):
    p = Perceptron(weights, threshold)
    fig = plot_perceptron(p, x)
    assert fig.get_suptitle().endswith(words)
    assert len(_circles(fig)) == p.n_inputs + 2  # inputs, the sum, the output
    text = _texts(fig)
    assert all(name in text for name in p.input_names)
    assert "weight \u22122" in text


def test_plot_perceptron_rejects_bad_inputs():
    with pytest.raises(PerceptronError, match="0 or 1"):
        plot_perceptron(Perceptron(), [1, 2, 0])
    with pytest.raises(PerceptronError, match="one example"):
        plot_perceptron(Perceptron(), [[1, 1, 0], [0, 0, 1]])


def test_plot_step_vs_sigmoid():
    p = Perceptron()
    fig = plot_step_vs_sigmoid(p)
    ax = fig.axes[0]
    curve = ax.lines[0]
    assert np.allclose(curve.get_ydata(), sigmoid(curve.get_xdata()))
    assert curve.get_xdata()[[0, -1]].tolist() == [-8, 8]
    on_sigmoid, on_step = (c.get_offsets() for c in ax.collections)
    X = np.array(list(itertools.product((0, 1), repeat=3)))
    z = X @ p.weights + p.bias
    assert sorted(on_sigmoid[:, 0]) == sorted(z) == sorted(on_step[:, 0])
    assert np.allclose(on_sigmoid[:, 1], sigmoid(on_sigmoid[:, 0]))
    assert np.array_equal(on_step[:, 1], on_step[:, 0] > 0)  # 0 at z = 0 and below
    text = _texts(fig)
    assert "threshold 4" in text and "ketchup + mustard  \u03c3 = 0.98" in text
    assert "nothing  \u03c3 = 0.02" in text
    # the curve is drawn: a rendered pixel on it has the sigmoid's colour
    assert np.abs(_pixel(fig, ax, (-3, float(sigmoid(-3)))) - _rgb(curve.get_color())).max() <= 3
    assert len(plot_step_vs_sigmoid(show_examples=False).axes[0].collections) == 0
    with pytest.raises(PerceptronError, match="z_range"):
        plot_step_vs_sigmoid(z_range=(1, 5))


def _check_panels(fig, result, columns, rows):
    """Each panel's background is the perceptron of that moment; the counts of mistakes are right."""
    axes = np.array(fig.axes).reshape(rows, columns)
    states = result.states()
    for col in range(columns):
        title = axes[0, col].get_title()
        k = 0 if title.startswith("start") else int(title.split("update ")[1].split()[0])
        w, b = states[k]
        mistakes = int(np.sum(Perceptron(w, -b).predict(result.X) != result.y))
        assert f"{mistakes} mistake" in "\n".join(t.get_text() for t in axes[0, col].texts)
        for row in range(rows):
            image = axes[row, col].images[0]
            x0, x1, y0, y1 = image.get_extent()
            gx, gy = np.meshgrid(np.linspace(x0, x1, 201), np.linspace(y0, y1, 201))
            z = w[0] * gx + w[1] * gy + (w[2] * row if len(w) == 3 else 0) + b
            assert np.array_equal(np.asarray(image.get_array()), z > 0)
    return axes


def test_plot_decision_boundary_hotdog():
    result = train_perceptron(*hotdog_truth_table(), seed=1)
    fig = plot_decision_boundary(result)
    axes = _check_panels(fig, result, columns=4, rows=2)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["bun = 0\n\nmustard", "bun = 1\n\nmustard"]
    assert "converged" in fig.get_suptitle() and "21 updates" in fig.get_suptitle()
    assert axes[0, -1].get_title().startswith("final: after update 21\nw = (3.02, 1.9, 0.29)")
    # rendered: the final boundary leaves (1, 1) on the yellow side and (0, 0) on the grey one
    assert np.abs(_pixel(fig, axes[0, -1], (1.3, 0.5)) - _rgb(YES, 0.75)).max() <= 3
    assert np.abs(_pixel(fig, axes[0, -1], (-0.3, -0.3)) - _rgb(NO, 0.75)).max() <= 3
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "hot dog (label 1)" in labels and "mistake" in labels
    assert len(plot_decision_boundary(result, snapshots=2).axes) == 4


def test_plot_decision_boundary_xor_and_noisy():
    xor = train_perceptron(*xor_data())
    fig = plot_decision_boundary(xor)
    _check_panels(fig, xor, columns=4, rows=1)
    assert "did NOT converge" in fig.get_suptitle()
    assert fig.axes[0].get_xlabel() == "x1" and fig.axes[0].get_ylabel() == "x2"
    noisy = train_perceptron(*make_hotdog_data(100, noise=0.1, seed=0), epochs=10)
    fig = plot_decision_boundary(noisy)
    _check_panels(fig, noisy, columns=4, rows=2)
    # repeated examples are counted next to their marker
    counts = [int(t.get_text()) for t in fig.axes[0].texts if t.get_text().isdigit()]
    assert sum(counts) <= int(np.sum(noisy.X[:, 2] == 0)) and max(counts) > 1


def test_plot_decision_boundary_no_updates_and_errors():
    X, y = hotdog_truth_table()
    result = train_perceptron(X, y, initial_weights=(6, 2, 3), initial_bias=-4)
    fig = plot_decision_boundary(result)
    _check_panels(fig, result, columns=1, rows=2)
    assert "0 updates" in fig.get_suptitle()
    with pytest.raises(PerceptronError, match="FitResult"):
        plot_decision_boundary(result.updates)
    with pytest.raises(PerceptronError, match="snapshots"):
        plot_decision_boundary(result, snapshots=1)
    with pytest.raises(PerceptronError, match="2 or 3 inputs"):
        plot_decision_boundary(train_perceptron(np.eye(4, dtype=int), [1, 0, 0, 1]))


def test_plots_use_only_the_perceptrons_public_api():
    import ast

    from brainkit.viz import perceptron_plots

    tree = ast.parse(open(perceptron_plots.__file__, encoding="utf-8").read())
    names = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("brainkit")
        for alias in node.names
    ]
    assert "Perceptron" in names and not [n for n in names if n.startswith("_")]


def test_figures_are_built_without_pyplot(tmp_path):
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
    assert isinstance(plot_step_vs_sigmoid(), Figure)
