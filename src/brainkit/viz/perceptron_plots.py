"""Pictures of the hot-dog perceptron: the diagram, step vs sigmoid, and learning.

Every function returns a :class:`matplotlib.figure.Figure` built with the
object-oriented API (no pyplot), so it works headless, in scripts and in
notebooks. Save one with ``fig.savefig("name.png")``.

Examples
--------
>>> from brainkit.perceptron import Perceptron, hotdog_truth_table, train_perceptron
>>> from brainkit.viz.perceptron_plots import plot_perceptron, plot_decision_boundary
>>> fig = plot_perceptron(Perceptron(), [1, 1, 0])
>>> fig = plot_decision_boundary(train_perceptron(*hotdog_truth_table()))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch

from brainkit.perceptron import (
    FitResult,
    Perceptron,
    PerceptronError,
    Update,
    _as_binary,
    _as_labels,
    _fmt,
    sigmoid,
)

__all__ = ["plot_decision_boundary", "plot_perceptron", "plot_step_vs_sigmoid"]

# Colours: one meaning each, everywhere.
_ON = "#f4a261"  # an input that is present (1)
_OFF = "#ffffff"  # an input that is absent (0)
_POS = "#2a9d8f"  # positive weight
_NEG = "#e76f51"  # negative weight
_YES = "#e9c46a"  # output 1 / predicted hot dog region
_NO = "#d9dee5"  # output 0 / predicted "not" region
_INK = "#264653"
_MISTAKE = "#d62828"
_HOT = "#e76f51"  # target 1 marker
_NOT = "#457b9d"  # target 0 marker


def _minus(text: str) -> str:
    return text.replace("-", "\u2212")


def _products(weights: Sequence[float], inputs: Sequence[float]) -> str:
    """``6×1 + 2×1 − 2.5×0``: each weight times its input, signs tidied."""
    out = ""
    for i, (w, x) in enumerate(zip(weights, inputs, strict=True)):
        term = f"{_fmt(abs(w))}\u00d7{int(x)}"
        if i == 0:
            out = ("\u2212" if w < 0 else "") + term
        else:
            out += f" {chr(0x2212) if w < 0 else '+'} {term}"
    return out


def _signed_sum(values: Sequence[float]) -> str:
    out = ""
    for i, v in enumerate(values):
        s = _fmt(v)
        if i == 0:
            out = s.replace("-", "\u2212")
        else:
            out += f" \u2212 {s[1:]}" if s.startswith("-") else f" + {s}"
    return out


def plot_perceptron(
    perceptron: Perceptron | None = None,
    inputs: Any = (1, 1, 0),
    *,
    title: str | None = None,
) -> Figure:
    """Draw the perceptron at work on one example.

    Input nodes (name and 0/1 value; filled when present) feed edges labelled
    with their weights into the sum node, which shows ``w·x``; the threshold
    test comes next and then the output with its verdict. The bias form
    ``z = w·x + b`` is written underneath.

    Parameters
    ----------
    perceptron : Perceptron, optional
        Default: the book's (weights 6, 2, 3; threshold 4).
    inputs : array_like or mapping
        One example, e.g. ``[1, 1, 0]`` (ketchup, mustard, no bun) or
        ``{"ketchup": 1, "mustard": 1, "bun": 0}``.
    title : str, optional
        Replace the automatic title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    p = perceptron or Perceptron()
    rows, single = _as_binary(inputs, p.input_names)
    if not single:
        raise PerceptronError("plot_perceptron() draws one example; give one list of 0/1 values.")
    x = rows[0]
    w = p.weights
    n = p.n_inputs
    total = float(x @ w)
    out = int(total > p.threshold)
    verdict = p.verdicts[out]

    height = max(4.2, 1.25 * n + 1.6)
    fig = Figure(figsize=(10, height * 0.95), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(0, 10.4)
    ax.set_ylim(-0.6, height - 0.7)
    ax.set_aspect("equal")
    ax.axis("off")

    top = height - 1.6
    ys = np.linspace(top, 0.6, n) if n > 1 else np.array([(top + 0.6) / 2])
    mid = float(ys.mean())
    sx, sy, sr = 5.2, mid, 0.85  # the sum node
    max_w = float(np.max(np.abs(w))) or 1.0

    for name, xi, wi, yi in zip(p.input_names, x, w, ys, strict=True):
        node = Circle((1.9, yi), 0.38, facecolor=_ON if xi else _OFF, edgecolor=_INK, lw=1.8)
        ax.add_patch(node)
        ax.text(
            1.9, yi, str(int(xi)), ha="center", va="center", fontsize=15, weight="bold", color=_INK
        )
        ax.text(1.38, yi, name, ha="right", va="center", fontsize=13, color=_INK)
        colour = _POS if wi >= 0 else _NEG
        arrow = FancyArrowPatch(
            (2.3, yi),
            (sx - sr * 0.98, sy + (yi - sy) * 0.25),
            arrowstyle="-|>",
            mutation_scale=16,
            lw=1.2 + 3.3 * abs(wi) / max_w,
            color=colour,
            alpha=1.0 if xi else 0.35,
            linestyle="-" if xi else (0, (4, 3)),
            shrinkA=0,
            shrinkB=0,
        )
        ax.add_patch(arrow)
        # Label the weight part-way along the edge, with the product it contributes.
        lx = 3.05
        ly = yi + (sy + (yi - sy) * 0.25 - yi) * (lx - 2.3) / (sx - sr - 2.3)
        ax.text(
            lx,
            ly,
            _minus(f"weight {_fmt(wi)}\n{int(xi)} \u00d7 {_fmt(wi)} = {_fmt(xi * wi)}"),
            ha="center",
            va="center",
            fontsize=10.5,
            color=colour if xi else "#6c757d",
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": colour, "lw": 1},
        )

    ax.add_patch(Circle((sx, sy), sr, facecolor="#f1faee", edgecolor=_INK, lw=2))
    ax.text(sx, sy + 0.32, "\u03a3  w\u00b7x", ha="center", va="center", fontsize=13, color=_INK)
    ax.text(
        sx,
        sy - 0.22,
        _minus(f"= {_fmt(total)}"),
        ha="center",
        va="center",
        fontsize=17,
        weight="bold",
        color=_INK,
    )
    ax.text(
        sx,
        sy - sr - 0.3,
        _signed_sum(x * w) + _minus(f" = {_fmt(total)}"),
        ha="center",
        va="top",
        fontsize=11,
        color=_INK,
    )

    # The threshold test.
    tx, tw, th = 7.55, 1.75, 1.15
    comparison = ">" if out else "\u2264"
    ax.add_patch(
        FancyBboxPatch(
            (tx - tw / 2, sy - th / 2),
            tw,
            th,
            boxstyle="round,pad=0.08",
            facecolor="white",
            edgecolor=_INK,
            lw=1.8,
        )
    )
    ax.text(
        tx,
        sy + 0.22,
        _minus(f"{_fmt(total)} {comparison} {_fmt(p.threshold)}"),
        ha="center",
        va="center",
        fontsize=15,
        weight="bold",
        color=_INK,
    )
    ax.text(
        tx,
        sy - 0.27,
        _minus(f"threshold {_fmt(p.threshold)}"),
        ha="center",
        va="center",
        fontsize=10.5,
        color=_INK,
    )
    ax.text(
        tx,
        sy - th / 2 - 0.2,
        "output 1 only if\nw\u00b7x > threshold",
        ha="center",
        va="top",
        fontsize=9.5,
        color="#6c757d",
    )
    ax.add_patch(
        FancyArrowPatch(
            (sx + sr, sy),
            (tx - tw / 2 - 0.1, sy),
            arrowstyle="-|>",
            mutation_scale=16,
            lw=2,
            color=_INK,
        )
    )

    # The output.
    ox = 9.65
    ax.add_patch(
        FancyArrowPatch(
            (tx + tw / 2 + 0.1, sy),
            (ox - 0.5, sy),
            arrowstyle="-|>",
            mutation_scale=16,
            lw=2,
            color=_INK,
        )
    )
    ax.add_patch(Circle((ox, sy), 0.46, facecolor=_YES if out else _NO, edgecolor=_INK, lw=2))
    ax.text(ox, sy, str(out), ha="center", va="center", fontsize=18, weight="bold", color=_INK)
    ax.text(ox, sy - 0.62, verdict, ha="center", va="top", fontsize=13, weight="bold", color=_INK)

    b = p.bias
    z = total + b
    bias_text = (
        f"Bias form:  b = \u2212threshold = {_fmt(b).replace('-', chr(0x2212))},   "
        f"z = w\u00b7x + b = {_fmt(total)} {'+' if b >= 0 else chr(0x2212)} {_fmt(abs(b))} = "
        f"{_fmt(z).replace('-', chr(0x2212))}   "
        f"{'>' if z > 0 else chr(0x2264)} 0   \u2192   output {int(z > 0)} (the same answer)"
    )
    ax.text(5.2, -0.45, _minus(bias_text), ha="center", va="bottom", fontsize=11, color=_INK)
    # Column headings: what each stage is.
    for hx, words in (
        (1.9, "inputs\n(1 = present)"),
        (3.05, "weights"),
        (sx, "weighted sum"),
        (tx, "threshold test"),
        (ox, "output"),
    ):
        ax.text(
            hx,
            height - 1.0,
            words,
            ha="center",
            va="center",
            fontsize=10,
            color="#6c757d",
            style="italic",
        )

    if title is None:
        title = (
            f"{_products(w, x)} = {_minus(_fmt(total))} {comparison} "
            f"{_minus(_fmt(p.threshold))}   \u2192   {verdict}"
        )
    fig.suptitle(title, fontsize=14, weight="bold", color=_INK)
    return fig


def plot_step_vs_sigmoid(
    perceptron: Perceptron | None = None,
    *,
    z_range: tuple[float, float] = (-8.0, 8.0),
    show_examples: bool = True,
) -> Figure:
    """The perceptron's step and the sigmoid neuron's curve, on one axis.

    The horizontal axis is ``z = w·x + b`` (bottom) and, on top, the weighted
    sum ``w·x = z + threshold``, so the threshold sits at ``z = 0``. The step
    is 0 *at* ``z = 0`` (filled dot) and jumps to 1 just after it (open dot):
    the rule is strictly greater. The sigmoid passes through 0.5 there. With
    ``show_examples`` the 8 hot-dog combinations are marked on both curves.

    Parameters
    ----------
    perceptron : Perceptron, optional
        Whose threshold and examples to mark. Default: the book's.
    z_range : (float, float)
        The range of ``z`` shown. Default ``(-8, 8)``.
    show_examples : bool
        Mark every 0/1 combination of the inputs (for up to 3 inputs).

    Returns
    -------
    matplotlib.figure.Figure
    """
    p = perceptron or Perceptron()
    lo, hi = float(z_range[0]), float(z_range[1])
    if not lo < 0 < hi:
        raise PerceptronError(f"z_range must run from below 0 to above 0, got {z_range!r}.")
    t = p.threshold

    fig = Figure(figsize=(9, 5.4), layout="constrained")
    ax = fig.add_subplot()
    zz = np.linspace(lo, hi, 400)
    ax.plot(
        zz,
        sigmoid(zz),
        color=_POS,
        lw=2.6,
        label="sigmoid neuron: \u03c3(z) = 1 / (1 + e\u207b\u1dbb)",
    )
    ax.plot([lo, 0], [0, 0], color=_NEG, lw=2.6, label="perceptron: step, 1 if z > 0 else 0")
    ax.plot([0, hi], [1, 1], color=_NEG, lw=2.6)
    ax.plot([0, 0], [0, 1], color=_NEG, lw=1, ls=":")
    ax.plot([0], [0], "o", ms=8, color=_NEG, zorder=5)
    ax.plot([0], [1], "o", ms=8, mfc="white", mec=_NEG, mew=2, zorder=5)
    ax.axvline(0, color="#6c757d", ls="--", lw=1)
    ax.axhline(0.5, color="#adb5bd", ls=":", lw=1)
    ax.annotate(
        f"At z = 0, i.e. w\u00b7x = threshold {_minus(_fmt(t))} (b = {_minus(_fmt(p.bias))}):\n"
        "  step = 0 (the rule is strictly greater)\n  sigmoid = 0.5",
        xy=(0, 0.5),
        xytext=(lo + 0.25, 1.02),
        fontsize=10,
        color=_INK,
        va="top",
        arrowprops={"arrowstyle": "->", "color": "#6c757d", "connectionstyle": "arc3,rad=-0.2"},
    )

    if show_examples and p.n_inputs <= 3:
        import itertools

        combos = np.array(list(itertools.product((0, 1), repeat=p.n_inputs)), dtype=np.uint8)
        zs = combos @ p.weights + p.bias
        keep = (zs >= lo) & (zs <= hi)
        ax.scatter(
            zs[keep],
            sigmoid(zs[keep]),
            s=55,
            color=_POS,
            edgecolor=_INK,
            zorder=6,
            label="an input combination on the sigmoid",
        )
        ax.scatter(
            zs[keep],
            (zs[keep] > 0).astype(float),
            s=55,
            color=_NEG,
            edgecolor=_INK,
            zorder=6,
            label="the same combination on the step",
        )
        groups: dict[float, list[str]] = {}
        for i in np.flatnonzero(keep):
            present = [name for name, v in zip(p.input_names, combos[i], strict=True) if v]
            groups.setdefault(round(float(zs[i]), 9), []).append(
                " + ".join(present) if present else "nothing"
            )
        for zi, names_here in groups.items():
            s = sigmoid(zi)
            # Write each label vertically in the empty space: above the curve
            # on the left (where it is near 0), below it on the right.
            above = s < 0.5
            ax.text(
                zi,
                s + 0.07 if above else s - 0.07,
                f"{' / '.join(names_here)}  \u03c3 = {s:.2f}",
                rotation=90,
                ha="center",
                va="bottom" if above else "top",
                fontsize=8.5,
                color=_INK,
                bbox={"fc": "white", "ec": "none", "alpha": 0.75, "pad": 1},
                zorder=4,
            )

    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.12, 1.12)
    ax.set_xlabel("z = w\u00b7x + b   (bias form)", fontsize=11)
    ax.set_ylabel("output", fontsize=11)
    top = ax.secondary_xaxis("top", functions=(lambda v: v + t, lambda v: v - t))
    top.set_xlabel(f"weighted sum w\u00b7x   (threshold form: compare with {_fmt(t)})", fontsize=11)
    ax.grid(alpha=0.25)
    fig.legend(loc="outside lower center", ncol=2, fontsize=9.5, frameon=False)
    fig.suptitle(
        "Step (perceptron) vs sigmoid neuron: same weights and bias, smooth output",
        fontsize=13,
        weight="bold",
        color=_INK,
    )
    return fig


def _states(
    history: FitResult | Sequence[Update],
) -> tuple[list[tuple[np.ndarray, float]], list[Update]]:
    if isinstance(history, FitResult):
        updates = list(history.updates)
        states = [(np.asarray(w, float), float(b)) for w, b in history.states()]
        return states, updates
    updates = list(history)
    if not updates or not all(isinstance(u, Update) for u in updates):
        raise PerceptronError(
            "plot_decision_boundary() needs a FitResult (from Perceptron.fit) or its list of "
            "updates; with an empty list of updates pass the FitResult instead."
        )
    states = [(np.asarray(updates[0].weights_before, float), updates[0].bias_before)]
    states += [(np.asarray(u.weights_after, float), u.bias_after) for u in updates]
    return states, updates


def _draw_panel(
    ax: Any,
    w: np.ndarray,
    b: float,
    X: np.ndarray,
    y: np.ndarray,
    fixed: float,
    names: Sequence[str],
) -> int:
    """Draw one 2-D slice; return the number of mistakes in it."""
    lim = (-0.45, 1.45)
    g = np.linspace(*lim, 201)
    gx, gy = np.meshgrid(g, g)
    extra = (w[2] * fixed) if len(w) > 2 else 0.0
    zz = w[0] * gx + w[1] * gy + extra + b
    ax.imshow(
        (zz > 0).astype(float),
        extent=(*lim, *lim),
        origin="lower",
        cmap=ListedColormap([_NO, _YES]),
        vmin=0,
        vmax=1,
        alpha=0.75,
        interpolation="nearest",
    )
    c = -(extra + b)  # boundary: w0*x + w1*y = c
    if w[1] != 0:
        ax.plot(g, (c - w[0] * g) / w[1], color=_INK, lw=2.2)
    elif w[0] != 0:
        ax.axvline(c / w[0], color=_INK, lw=2.2)
    else:
        ax.text(
            0.5,
            0.5,
            f"no boundary here:\nz = {_fmt(c * -1)} everywhere",
            ha="center",
            va="center",
            fontsize=9,
            color=_INK,
            transform=ax.transAxes,
            bbox={"fc": "white", "ec": "none", "alpha": 0.8},
        )
    mistakes = 0
    for corner in ((0, 0), (0, 1), (1, 0), (1, 1)):
        at = np.all(X[:, :2] == corner, axis=1)
        if len(w) > 2:
            at &= X[:, 2] == fixed
        if not np.any(at):
            continue
        pred = int(w[0] * corner[0] + w[1] * corner[1] + extra + b > 0)
        labels_here = y[at]
        both = len(np.unique(labels_here)) > 1
        for target in (0, 1):
            count = int(np.sum(labels_here == target))
            if count == 0:
                continue
            wrong = target != pred
            mistakes += count if wrong else 0
            dx = (0.09 if target else -0.09) if both else 0.0
            ax.scatter(
                corner[0] + dx,
                corner[1],
                s=150,
                marker="o" if target else "s",
                color=_HOT if target else _NOT,
                edgecolor=_MISTAKE if wrong else "white",
                linewidth=3 if wrong else 1.2,
                zorder=5,
            )
            if count > 1:
                ax.annotate(
                    str(count),
                    (corner[0] + dx, corner[1]),
                    xytext=(0, -15),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize=8,
                    color=_INK,
                )
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    ax.set_xticks([0, 1])
    ax.set_yticks([0, 1])
    return mistakes


def plot_decision_boundary(
    result: FitResult | Sequence[Update],
    X: Any = None,
    y: Any = None,
    *,
    snapshots: int = 4,
    title: str | None = None,
) -> Figure:
    """Show the decision boundary moving while the perceptron learns.

    Each column is a moment of learning, from the starting weights to the
    final ones, picked evenly among the recorded updates. The background is
    the perceptron's answer (yellow: output 1, grey: output 0), the dark line
    is the boundary ``z = 0``, circles are examples labelled 1 and squares
    examples labelled 0; a red edge marks a mistake.

    With three inputs (ketchup, mustard, bun) the third is fixed: the top row
    shows the examples without a bun, the bottom row those with one, each
    plotted by ketchup (across) and mustard (up). With two inputs (e.g. XOR)
    there is one row.

    Parameters
    ----------
    result : FitResult or sequence of Update
        What :meth:`~brainkit.perceptron.Perceptron.fit` returned, or its updates.
    X, y : array_like, optional
        The examples and labels; default those stored in ``result`` (required
        when ``result`` is a list of updates).
    snapshots : int
        How many moments to show (2-8). Default 4.
    title : str, optional
        Replace the automatic title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    states, updates = _states(result)
    is_fit = isinstance(result, FitResult)
    if X is None or y is None:
        if not is_fit:
            raise PerceptronError("Pass X and y along with a list of updates.")
        X = result.X if X is None else X
        y = result.y if y is None else y
    n = len(states[0][0])
    if n not in (2, 3):
        raise PerceptronError(
            f"plot_decision_boundary() draws perceptrons with 2 or 3 inputs, this one has {n}."
        )
    names = (
        tuple(result.input_names)
        if is_fit
        else (("ketchup", "mustard", "bun") if n == 3 else ("x1", "x2"))
    )
    rows, _ = _as_binary(X, names, "examples")
    labels = _as_labels(y, len(rows))
    if isinstance(snapshots, bool) or not isinstance(snapshots, int) or not 2 <= snapshots <= 8:
        raise PerceptronError(f"snapshots must be a whole number from 2 to 8, got {snapshots!r}.")

    picks = sorted({int(round(v)) for v in np.linspace(0, len(updates), snapshots)})
    fixed_values = (0, 1) if n == 3 else (None,)
    fig = Figure(
        figsize=(3.0 * len(picks) + 0.9, 3.1 * len(fixed_values) + 1.9), layout="constrained"
    )
    axes = fig.subplots(len(fixed_values), len(picks), squeeze=False, sharex=True, sharey=True)
    for col, k in enumerate(picks):
        w, b = states[k]
        if k == 0:
            head = "start (no updates yet)"
        else:
            u = updates[k - 1]
            head = f"after update {k} (epoch {u.epoch})"
            if k == len(updates):
                head = f"final: after update {k}"
        panels = []
        mistakes = 0
        for row, fixed in enumerate(fixed_values):
            ax = axes[row, col]
            mistakes += _draw_panel(ax, w, b, rows, labels, fixed or 0, names)
            panels.append(ax)
            if col == 0:
                side = f"{names[2]} = {fixed}\n\n" if n == 3 else ""
                ax.set_ylabel(f"{side}{names[1]}", fontsize=11)
            if row == len(fixed_values) - 1:
                ax.set_xlabel(names[0], fontsize=11)
        ws = ", ".join(_fmt(round(v, 2)) for v in w)
        verdict = f"{mistakes} mistake{'s' if mistakes != 1 else ''}"
        axes[0, col].set_title(
            f"{head}\nw = ({ws}), b = {_fmt(round(b, 2))}\n",
            fontsize=10,
            color=_INK,
        )
        axes[0, col].text(
            0.5,
            1.02,
            verdict,
            transform=axes[0, col].transAxes,
            ha="center",
            va="bottom",
            fontsize=10,
            weight="bold",
            color=_MISTAKE if mistakes else _POS,
        )

    handles = [
        Patch(facecolor=_YES, edgecolor="#999", label="perceptron says 1 (z > 0)"),
        Patch(facecolor=_NO, edgecolor="#999", label="perceptron says 0"),
        Line2D([], [], color=_INK, lw=2.2, label="boundary z = 0 (on it: says 0)"),
        Line2D(
            [], [], marker="o", ls="", ms=10, color=_HOT, mec="white", label="example labelled 1"
        ),
        Line2D(
            [], [], marker="s", ls="", ms=10, color=_NOT, mec="white", label="example labelled 0"
        ),
        Line2D(
            [], [], marker="o", ls="", ms=10, mfc="none", mec=_MISTAKE, mew=2.5, label="mistake"
        ),
    ]
    if n == 3 and names == ("ketchup", "mustard", "bun"):
        handles[3].set_label("hot dog (label 1)")
        handles[4].set_label("not a hot dog (label 0)")
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=9.5, frameon=False)

    if title is None:
        if is_fit and result.converged:
            outcome = f"converged: epoch {result.epochs_run} made no mistakes"
        elif is_fit and result.cycled:
            outcome = "did NOT converge: no straight line separates these examples"
        elif is_fit:
            outcome = f"not converged after {result.epochs_run} epochs"
        else:
            outcome = f"{len(updates)} updates"
        title = f"The perceptron's decision boundary while it learns ({len(updates)} updates, {outcome})"
    fig.suptitle(title, fontsize=12, weight="bold", color=_INK)
    return fig
