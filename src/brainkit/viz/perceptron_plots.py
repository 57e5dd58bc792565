"""Pictures of the hot-dog perceptron: the diagram, step vs sigmoid, and learning."""

from __future__ import annotations

import functools
import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from brainkit.perceptron import FitResult, Perceptron, PerceptronError, sigmoid
from brainkit.viz._layout import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary", "plot_perceptron", "plot_step_vs_sigmoid"]

_ON, _OFF = "#f4a261", "#ffffff"  # an input that is present (1) / absent (0)
_POS, _NEG = "#2a9d8f", "#e76f51"  # positive / negative weight; also sigmoid / step
_YES, _NO = "#e9c46a", "#d9dee5"  # output 1 / output 0, and those regions
_HOT, _NOT = "#e76f51", "#457b9d"  # examples labelled 1 / 0
_INK, _GREY, _MISTAKE = "#264653", "#6c757d", "#d62828"


def _num(value: float) -> str:
    """A number for a label: ``6``, ``2.5``, ``−4`` (with a real minus sign)."""
    return f"{float(value) + 0.0:g}".replace("-", "\u2212")


def _signed(values: Any, times: Any = None) -> str:
    """A sum written out: ``6 + 2 − 2.5``, or with ``times`` ``6×1 + 2×1 − 2.5×0``."""
    out = ""
    for i, v in enumerate(values):
        term = _num(abs(v)) + ("" if times is None else f"\u00d7{times[i]}")
        sign = "\u2212" if v < 0 else "+"
        out += (sign.strip("+") + term) if i == 0 else f" {sign} {term}"
    return out


def _text(ax: Any, x: float, y: float, text: str, size: float = 10.5, **style: Any) -> None:
    """Write ``text`` on ``ax``, centred on ``(x, y)``, dark unless ``style`` says otherwise."""
    ax.text(x, y, text, fontsize=size, **{"ha": "center", "va": "center", "color": _INK, **style})


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], **style: Any) -> None:
    from matplotlib.patches import FancyArrowPatch
    style = {"lw": 2, "color": _INK, "arrowstyle": "-|>", "mutation_scale": 16, **style}
    ax.add_patch(FancyArrowPatch(start, end, shrinkA=0, shrinkB=0, **style))


def plot_perceptron(perceptron: Perceptron | None = None, inputs: Any = (1, 1, 0), *,
                    title: str | None = None) -> Figure:
    """A figure of the perceptron on one example: inputs, weights, sum, threshold test, output.

    Parameters
    ----------
    perceptron : Perceptron, optional
        Default: the book's (weights 6, 2, 3; threshold 4).
    inputs : array_like or mapping
        One example, e.g. ``[1, 1, 0]`` or ``{"ketchup": 1, "mustard": 1, "bun": 0}``.
    title : str, optional
        Replace the automatic title.
    """
    from matplotlib.patches import Circle, FancyBboxPatch
    p = perceptron or Perceptron()
    x = p.check_inputs(inputs)
    if x.ndim != 1:
        raise PerceptronError("plot_perceptron() draws one example; give one list of 0/1 values.")
    w, t, n = p.weights, p.threshold, p.n_inputs
    total = float(x @ w)
    out, cmp = (1, ">") if total > t else (0, "\u2264")
    height = max(4.2, 1.25 * n + 1.6)
    fig = new_figure(figsize=(10, height * 0.95))
    ax = fig.add_subplot(xlim=(0, 10.4), ylim=(-0.6, height - 0.7), aspect="equal")
    ax.axis("off")
    write = functools.partial(_text, ax)
    ys = np.linspace(height - 1.6, 0.6, n) if n > 1 else np.array([(height - 1.0) / 2])
    sx, sy, sr = 5.2, float(ys.mean()), 0.85  # the sum node
    tx, tw, th, ox = 7.55, 1.75, 1.15, 9.65  # the threshold box; the output node
    heaviest = float(np.max(np.abs(w))) or 1.0
    for name, xi, wi, yi in zip(p.input_names, x, w, ys, strict=True):
        ax.add_patch(Circle((1.9, yi), 0.38, facecolor=_ON if xi else _OFF, edgecolor=_INK, lw=1.8))
        write(1.9, yi, str(xi), 15, weight="bold")
        write(1.38, yi, name, 13, ha="right")
        colour = _POS if wi >= 0 else _NEG
        end = (sx - sr * 0.98, sy + (yi - sy) * 0.25)
        dashed = {} if xi else {"alpha": 0.35, "linestyle": (0, (4, 3))}
        _arrow(ax, (2.3, yi), end, lw=1.2 + 3.3 * abs(wi) / heaviest, color=colour, **dashed)
        ly = yi + (end[1] - yi) * (3.05 - 2.3) / (sx - sr - 2.3)  # part-way along the edge
        label = f"weight {_num(wi)}\n{xi} \u00d7 {_num(wi)} = {_num(xi * wi)}"
        box = {"boxstyle": "round,pad=0.3", "fc": "white", "ec": colour, "lw": 1}
        write(3.05, ly, label, color=colour if xi else _GREY, bbox=box)
    ax.add_patch(Circle((sx, sy), sr, facecolor="#f1faee", edgecolor=_INK, lw=2))
    write(sx, sy + 0.32, "\u03a3  w\u00b7x", 13)
    write(sx, sy - 0.22, f"= {_num(total)}", 17, weight="bold")
    write(sx, sy - sr - 0.3, f"{_signed(x * w)} = {_num(total)}", 11, va="top")
    corner = (tx - tw / 2, sy - th / 2)
    ax.add_patch(FancyBboxPatch(corner, tw, th, "round,pad=0.08", fc="white", ec=_INK, lw=1.8))
    write(tx, sy + 0.22, f"{_num(total)} {cmp} {_num(t)}", 15, weight="bold")
    write(tx, sy - 0.27, f"threshold {_num(t)}")
    rule = "output 1 only if\nw\u00b7x > threshold"
    write(tx, sy - th / 2 - 0.2, rule, 9.5, va="top", color=_GREY)
    _arrow(ax, (sx + sr, sy), (tx - tw / 2 - 0.1, sy))
    _arrow(ax, (tx + tw / 2 + 0.1, sy), (ox - 0.5, sy))
    ax.add_patch(Circle((ox, sy), 0.46, facecolor=_YES if out else _NO, edgecolor=_INK, lw=2))
    write(ox, sy, str(out), 18, weight="bold")
    write(ox, sy - 0.62, p.verdicts[out], 13, va="top", weight="bold")
    z = total + p.bias
    bias_form = (f"Bias form:  b = \u2212threshold = {_num(p.bias)},   z = w\u00b7x + b = "
                 f"{_signed([total, p.bias])} = {_num(z)}   {'>' if z > 0 else chr(0x2264)} 0   "
                 f"\u2192   output {int(z > 0)} (the same answer)")
    write(5.2, -0.45, bias_form, 11, va="bottom")
    headings = ("inputs\n(1 = present)", "weights", "weighted sum", "threshold test", "output")
    for hx, words in zip((1.9, 3.05, sx, tx, ox), headings, strict=True):
        write(hx, height - 1.0, words, 10, color=_GREY, style="italic")
    if title is None:
        sums = f"{_signed(w, times=x)} = {_num(total)} {cmp} {_num(t)}"
        title = f"{sums}   \u2192   {p.verdicts[out]}"
    fig.suptitle(title, fontsize=14, weight="bold", color=_INK)
    return fig


def plot_step_vs_sigmoid(perceptron: Perceptron | None = None, *,
                         z_range: tuple[float, float] = (-8.0, 8.0),
                         show_examples: bool = True) -> Figure:
    """A figure of the perceptron's step and the sigmoid neuron's curve, on one axis.

    The bottom axis is ``z = w·x + b``, the top one ``w·x = z + threshold``.

    Parameters
    ----------
    perceptron : Perceptron, optional
        Whose threshold and input combinations to show. Default: the book's.
    z_range : (float, float)
        The range of ``z`` shown, from below 0 to above 0.
    show_examples : bool
        Mark every 0/1 combination of the inputs on both curves (up to 3 inputs).
    """
    p = perceptron or Perceptron()
    lo, hi = float(z_range[0]), float(z_range[1])
    if not lo < 0 < hi:
        raise PerceptronError(f"z_range must run from below 0 to above 0, got {z_range!r}.")
    fig = new_figure(figsize=(9, 5.4))
    ax = fig.add_subplot(xlim=(lo, hi), ylim=(-0.12, 1.12))
    zz = np.linspace(lo, hi, 400)
    sigmoid_label = "sigmoid neuron: \u03c3(z) = 1 / (1 + e\u207b\u1dbb)"
    ax.plot(zz, sigmoid(zz), color=_POS, lw=2.6, label=sigmoid_label)
    ax.plot([lo, 0], [0, 0], color=_NEG, lw=2.6, label="perceptron: step, 1 if z > 0 else 0")
    ax.plot([0, hi], [1, 1], color=_NEG, lw=2.6)
    ax.plot([0, 0], [0, 1], color=_NEG, lw=1, ls=":")
    ax.plot([0], [0], "o", ms=8, color=_NEG, zorder=5)
    ax.plot([0], [1], "o", ms=8, mfc="white", mec=_NEG, mew=2, zorder=5)
    ax.axvline(0, color=_GREY, ls="--", lw=1)
    ax.axhline(0.5, color="#adb5bd", ls=":", lw=1)
    note = (f"At z = 0, i.e. w\u00b7x = threshold {_num(p.threshold)} (b = {_num(p.bias)}):\n"
            "  step = 0 (the rule is strictly greater)\n  sigmoid = 0.5")
    arrow = {"arrowstyle": "->", "color": _GREY, "connectionstyle": "arc3,rad=-0.2"}
    ax.annotate(note, (0, 0.5), (lo + 0.25, 1.02), fontsize=10, color=_INK, va="top",
                arrowprops=arrow)
    if show_examples and p.n_inputs <= 3:
        combos = np.array(list(itertools.product((0, 1), repeat=p.n_inputs)), dtype=np.uint8)
        zs = p.z(combos)
        keep = (zs >= lo) & (zs <= hi)
        marks = {"s": 55, "edgecolor": _INK, "zorder": 6}
        z = zs[keep]
        ax.scatter(z, sigmoid(z), color=_POS, label="an input combination on the sigmoid", **marks)
        ax.scatter(z, z > 0, color=_NEG, label="the same combination on the step", **marks)
        groups: dict[float, list[str]] = {}  # combinations with the same z share one label
        for combo, zi in zip(combos[keep], z, strict=True):
            present = " + ".join(n for n, v in zip(p.input_names, combo, strict=True) if v)
            groups.setdefault(round(float(zi), 9), []).append(present or "nothing")
        for zi, names in groups.items():
            s = sigmoid(zi)  # write above the curve where it is low, below where it is high
            y, va = (s + 0.07, "bottom") if s < 0.5 else (s - 0.07, "top")
            box = {"fc": "white", "ec": "none", "alpha": 0.75, "pad": 1}
            label = f"{' / '.join(names)}  \u03c3 = {s:.2f}"
            _text(ax, zi, y, label, 8.5, rotation=90, va=va, zorder=4, bbox=box)
    ax.set_xlabel("z = w\u00b7x + b   (bias form)", fontsize=11)
    ax.set_ylabel("output", fontsize=11)
    t = p.threshold
    top = ax.secondary_xaxis("top", functions=(lambda v: v + t, lambda v: v - t))
    top.set_xlabel(f"weighted sum w\u00b7x   (threshold form: compare with {_num(t)})", fontsize=11)
    ax.grid(alpha=0.25)
    fig.legend(loc="outside lower center", ncol=2, fontsize=9.5, frameon=False)
    title = "Step (perceptron) vs sigmoid neuron: same weights and bias, smooth output"
    fig.suptitle(title, fontsize=13, weight="bold", color=_INK)
    return fig


def _draw_slice(ax: Any, w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, fixed: int) -> int:
    """Draw answers and examples (3rd input = ``fixed``) over inputs 1 and 2; count mistakes."""
    from matplotlib.colors import ListedColormap
    lim = (-0.45, 1.45)
    g = np.linspace(*lim, 201)
    extra = w[2] * fixed if len(w) > 2 else 0.0
    z = w[0] * g[None, :] + w[1] * g[:, None] + extra + b
    regions = {"cmap": ListedColormap([_NO, _YES]), "vmin": 0, "vmax": 1, "alpha": 0.75}
    ax.imshow(z > 0, extent=(*lim, *lim), origin="lower", interpolation="nearest", **regions)
    c = -(extra + b)  # the boundary: w0 * x + w1 * y = c
    if w[1] != 0:
        ax.plot(g, (c - w[0] * g) / w[1], color=_INK, lw=2.2)
    elif w[0] != 0:
        ax.axvline(c / w[0], color=_INK, lw=2.2)
    else:
        box = {"fc": "white", "ec": "none", "alpha": 0.8}
        note = f"no boundary here:\nz = {_num(-c)} everywhere"
        _text(ax, 0.5, 0.5, note, 9, transform=ax.transAxes, bbox=box)
    here = X[:, 2] == fixed if len(w) > 2 else np.ones(len(X), bool)
    mistakes = 0
    for corner in itertools.product((0, 1), repeat=2):
        labels = y[here & np.all(X[:, :2] == corner, axis=1)]
        said = int(w[0] * corner[0] + w[1] * corner[1] + extra + b > 0)
        for target in (0, 1):
            count = int(np.sum(labels == target))
            if count == 0:
                continue
            wrong = target != said
            mistakes += count * wrong
            dx = (0.09 if target else -0.09) if len(set(labels.tolist())) > 1 else 0.0
            at = (corner[0] + dx, corner[1])
            look = {"marker": "o", "color": _HOT} if target else {"marker": "s", "color": _NOT}
            edge = (_MISTAKE, 3) if wrong else ("white", 1.2)
            ax.scatter(*at, s=150, zorder=5, edgecolor=edge[0], linewidth=edge[1], **look)
            if count > 1:  # several examples on one corner: say how many
                below = {"xytext": (0, -15), "textcoords": "offset points", "va": "top"}
                ax.annotate(str(count), at, fontsize=8, ha="center", color=_INK, **below)
    ax.set(xlim=lim, ylim=lim, xticks=[0, 1], yticks=[0, 1])
    return mistakes


def plot_decision_boundary(result: FitResult, *, snapshots: int = 4,
                           title: str | None = None) -> Figure:
    """A figure of the decision boundary moving while the perceptron learns, a column a moment.

    Parameters
    ----------
    result : FitResult
        What :meth:`~brainkit.perceptron.Perceptron.fit` or
        :func:`~brainkit.perceptron.train_perceptron` returned.
    snapshots : int
        How many moments to show, picked evenly among the updates: 2 to 8.
    title : str, optional
        Replace the automatic title.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    me = "plot_decision_boundary()"
    if not isinstance(result, FitResult):
        raise PerceptronError(f"{me} needs a FitResult, got {type(result).__name__}.")
    names, updates = result.input_names, result.updates
    n = len(names)
    if n not in (2, 3):
        raise PerceptronError(f"{me} draws 2 or 3 inputs, this perceptron has {n}.")
    if isinstance(snapshots, bool) or not isinstance(snapshots, int) or not 2 <= snapshots <= 8:
        raise PerceptronError(f"snapshots must be a whole number from 2 to 8, got {snapshots!r}.")
    states, X, y = result.states(), result.X, result.y
    picks = sorted({round(v) for v in np.linspace(0, len(updates), snapshots)})
    slices = (0, 1) if n == 3 else (0,)
    fig = new_figure(figsize=(max(3.0 * len(picks) + 0.9, 9.5), 3.1 * len(slices) + 1.9))
    axes = fig.subplots(len(slices), len(picks), squeeze=False, sharex=True, sharey=True)
    for row, fixed in enumerate(slices):
        above = f"{names[2]} = {fixed}\n\n" if n == 3 else ""
        axes[row, 0].set_ylabel(above + names[1], fontsize=11)
    for col, k in enumerate(picks):
        w, b = np.asarray(states[k][0]), states[k][1]
        mistakes = sum(_draw_slice(axes[r, col], w, b, X, y, f) for r, f in enumerate(slices))
        axes[-1, col].set_xlabel(names[0], fontsize=11)
        if k == 0:
            head = "start (no updates yet)"
        elif k == len(updates):
            head = f"final: after update {k}"
        else:
            head = f"after update {k} (epoch {updates[k - 1].epoch})"
        weights = ", ".join(_num(round(v, 2)) for v in w)
        head += f"\nw = ({weights}), b = {_num(round(b, 2))}\n"
        axes[0, col].set_title(head, fontsize=10, color=_INK)
        verdict = f"{mistakes} mistake{'s' * (mistakes != 1)}"
        style = {"color": _MISTAKE if mistakes else _POS, "transform": axes[0, col].transAxes}
        _text(axes[0, col], 0.5, 1.02, verdict, 10, va="bottom", weight="bold", **style)
    hotdog = names == ("ketchup", "mustard", "bun")
    one, zero = ("hot dog", "not a hot dog") if hotdog else ("example", "example")
    dot = functools.partial(Line2D, [], [], ls="", ms=10)
    handles = [Patch(facecolor=_YES, edgecolor="#999", label="perceptron says 1 (z > 0)"),
               Patch(facecolor=_NO, edgecolor="#999", label="perceptron says 0"),
               Line2D([], [], color=_INK, lw=2.2, label="boundary z = 0 (on it: says 0)"),
               dot(marker="o", color=_HOT, mec="white", label=f"{one} (label 1)"),
               dot(marker="s", color=_NOT, mec="white", label=f"{zero} (label 0)"),
               dot(marker="o", mfc="none", mec=_MISTAKE, mew=2.5, label="mistake")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, fontsize=9.5, frameon=False)
    if title is None:
        if result.converged:
            outcome = f"converged: epoch {result.epochs_run} made no mistakes"
        elif result.cycled:
            outcome = "did NOT converge: no straight line separates these examples"
        else:
            outcome = f"not converged after {result.epochs_run} epochs"
        title = f"The perceptron's decision boundary while it learns ({len(updates)} updates, "
        title += f"{outcome})"
    fig.suptitle(title, fontsize=12, weight="bold", color=_INK)
    return fig
