"""Drawing networks (neurons as circles, weights as lines) and activation functions."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from brainkit.perceptron import sigmoid
from brainkit.viz._layout import finish, grid_figure, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ACTIVATIONS", "plot_activations", "plot_network"]

_INPUT_COLOUR, _HIDDEN_COLOUR, _OUTPUT_COLOUR, _EDGE = "#cde8cd", "#cfe0f5", "#fbd9b0", "#404040"

# Layers that change neither the number of values nor the connections drawn: name -> note.
_PASS_THROUGH = {**dict.fromkeys(("Dropout", "AlphaDropout", "GaussianDropout"), "dropout"),
                 "GaussianNoise": "noise", "BatchNormalization": "batch norm",
                 "LayerNormalization": "layer norm", "Normalization": "normalization",
                 "Rescaling": "rescaling"}
_ACTIVATION_LAYERS = {"Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU"}


@dataclass
class _Layer:
    size: int
    activation: str | None = None
    detail: str | None = None
    notes: list[str] = field(default_factory=list)

    def caption(self, noun: str) -> list[str]:
        """The lines written under the layer: its true size, shape, activation and notes."""
        lines = [f"{self.size:,} {noun}" + ("s" if self.size != 1 else ""), self.detail]
        if self.activation:  # never set on the input layer
            lines.append(f"activation: {self.activation}")
        return [line for line in lines if line] + self.notes

    def visible(self, max_neurons: int) -> list[int | None]:
        """Indices of the neurons drawn, with ``None`` where the ellipsis goes."""
        if self.size <= max_neurons:
            return list(range(self.size))
        keep = max(1, (max_neurons - 2) // 2)
        return [*range(keep), None, *range(self.size - keep, self.size)]


def _activation_name(obj: Any) -> str:
    if obj is None:
        return "linear"
    name = obj if isinstance(obj, str) else getattr(obj, "__name__", type(obj).__name__)
    return str(name).lower()


def _model_layers(model: Any) -> tuple[list[_Layer], int | None]:
    """Read a Keras model's Flatten/Dense stack as layer sizes and activations."""
    layers: list[_Layer] = []
    shape = None
    with contextlib.suppress(AttributeError, IndexError, TypeError, ValueError):
        shape = tuple(model.inputs[0].shape[1:])
    if shape is not None and all(d is not None for d in shape):
        detail = f"({'×'.join(str(int(d)) for d in shape)} pixels)" if len(shape) >= 2 else None
        layers.append(_Layer(int(np.prod(shape)), detail=detail))
    for layer in model.layers:
        kind = type(layer).__name__
        if kind in {"InputLayer", "Flatten", "Reshape"}:
            continue
        if kind == "Dense":
            if not layers:
                kernel = getattr(layer, "kernel", None)
                if kernel is None:
                    raise ValueError("The model is not built, so its input size is unknown: "
                                     "start it with keras.Input(shape) or call it on data first.")
                layers.append(_Layer(int(kernel.shape[0])))
            layers.append(_Layer(int(layer.units), _activation_name(layer.activation)))
        elif kind in _ACTIVATION_LAYERS and len(layers) > 1:
            activation = getattr(layer, "activation", None) if kind == "Activation" else kind
            layers[-1].activation = _activation_name(activation)
        elif kind in _PASS_THROUGH and layers:
            note = _PASS_THROUGH[kind]
            rate = getattr(layer, "rate", None)
            layers[-1].notes.append(f"{note} {rate:g}" if isinstance(rate, float) else note)
        else:
            raise ValueError(f"plot_network draws fully connected models (Flatten and Dense "
                             f"layers); it cannot draw the {kind} layer {layer.name!r}. Use "
                             "model.summary() for this model.")
    if len(layers) < 2:
        raise ValueError("The model needs at least one Dense layer to draw.")
    params = None
    with contextlib.suppress(Exception):  # unbuilt models
        params = int(model.count_params())
    return layers, params


def plot_network(model_or_layer_sizes: Any, max_neurons: int = 8, *,
                 activations: Sequence[str | None] | None = None,
                 class_names: Sequence[str] | None = None, show_weights: bool = True,
                 title: str | None = None) -> Figure:
    """Draw a fully connected network: neurons as circles, weights as lines, layer sizes below.

    Parameters
    ----------
    model_or_layer_sizes : keras.Model or sequence of int
        A model of ``Flatten``, ``Dense``, dropout-like layers, or sizes like ``[784, 128, 10]``.
    max_neurons : int
        Draw at most this many neurons per layer (at least 3), the rest as a "⋮".
    activations : sequence of str, optional
        With layer sizes: each layer's activation after the input, e.g. ``["relu", "softmax"]``.
    class_names : sequence of str, optional
        Names written beside the output neurons.
    show_weights : bool
        Draw the lines that stand for the weights.
    title : str, optional
        Figure title; by default the layer sizes and the number of parameters.
    """
    from matplotlib.patches import Circle
    if hasattr(model_or_layer_sizes, "layers"):
        if activations is not None:
            raise ValueError("activations= is for layer sizes; a model's activations are read "
                             "from it.")
        layers, params = _model_layers(model_or_layer_sizes)
    else:
        sizes = [int(s) for s in model_or_layer_sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"Give at least two positive layer sizes, e.g. [784, 128, 10]; "
                             f"got {sizes}.")
        if activations is None:
            activations = [None] * (len(sizes) - 1)
        elif len(activations) != len(sizes) - 1:
            raise ValueError(f"Give one activation per layer after the input ({len(sizes) - 1}), "
                             f"got {len(activations)}.")
        layers = [_Layer(sizes[0]), *map(_Layer, sizes[1:], activations)]
        params = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    max_neurons = max(3, int(max_neurons))
    if class_names is not None and len(class_names) != layers[-1].size:
        raise ValueError(f"The output layer has {layers[-1].size} neurons but "
                         f"{len(class_names)} class names were given.")
    dx, radius = 3.2, 0.3
    shown = [layer.visible(max_neurons) for layer in layers]
    tallest = max(len(s) for s in shown)
    # (x, y, neuron index or None for the ellipsis) of each layer's slots, top to bottom
    positions = [[(k * dx, (len(slots) - 1) / 2 - j, idx) for j, idx in enumerate(slots)]
                 for k, slots in enumerate(shown)]
    captions = [layer.caption("input" if k == 0 else "neuron") for k, layer in enumerate(layers)]
    x_low, x_high = -1.5, (len(layers) - 1) * dx + (2.7 if class_names is not None else 1.6)
    pad = max(0.0, 8.0 - (x_high - x_low)) / 2  # keep narrow networks from looking cramped
    x_low, x_high = x_low - pad, x_high + pad
    y_high = (tallest - 1) / 2 + radius + 0.9
    y_low = -(tallest - 1) / 2 - radius - 0.35 - 0.44 * max(len(c) for c in captions)
    scale = 0.5  # inches per unit
    fig = new_figure(figsize=((x_high - x_low) * scale + 0.3, (y_high - y_low) * scale + 0.7))
    ax = fig.subplots()
    ax.set(aspect="equal", xlim=(x_low, x_high), ylim=(y_low, y_high))
    ax.axis("off")
    if show_weights:
        for here, there in zip(positions[:-1], positions[1:], strict=False):
            for (x0, y0, i), (x1, y1, j) in itertools.product(here, there):
                if i is not None and j is not None:
                    ax.plot([x0 + radius, x1 - radius], [y0, y1], color="#8a8a8a",
                            linewidth=0.6, alpha=0.5, zorder=1)
    last = len(layers) - 1
    for k, slots in enumerate(positions):
        colour = _INPUT_COLOUR if k == 0 else _OUTPUT_COLOUR if k == last else _HIDDEN_COLOUR
        for x, y, idx in slots:
            if idx is None:  # the vertical ellipsis
                for dy in (-0.25, 0.0, 0.25):
                    ax.add_patch(Circle((x, y + dy), 0.055, color=_EDGE, zorder=3))
                continue
            ax.add_patch(Circle((x, y), radius, facecolor=colour, edgecolor=_EDGE, linewidth=1.0,
                                zorder=2))
            if k == 0:
                ax.text(x - radius - 0.12, y, f"$x_{{{idx + 1}}}$", ha="right", va="center",
                        fontsize=9)
            elif k == last and class_names is not None:
                ax.text(x + radius + 0.15, y, class_names[idx], ha="left", va="center",
                        fontsize=8.5)
        heading = "input" if k == 0 else "output layer" if k == last else "hidden layer"
        if 0 < k < last and last > 2:  # numbered when there are several
            heading += f" {k}"
        ax.text(k * dx, slots[0][1] + radius + 0.25, heading, ha="center", va="bottom",
                fontsize=10, fontweight="bold")
        ax.text(k * dx, slots[-1][1] - radius - 0.2, "\n".join(captions[k]), ha="center",
                va="top", fontsize=9, linespacing=1.3)
    if title is None:
        title = f"A {' → '.join(str(layer.size) for layer in layers)} network"
        if params:
            title += f"\n{params:,} weights and biases to learn"
    fig.suptitle(title, fontsize=11)
    return fig


#: Activation functions :func:`plot_activations` knows: name -> (function, title, formula).
ACTIVATIONS: dict[str, tuple[Any, str, str]] = {
    "relu": (lambda x: np.maximum(0.0, x), "ReLU", r"$\max(0, x)$"),
    "tanh": (np.tanh, "tanh", r"$\tanh(x)$, between −1 and 1"),
    "sigmoid": (sigmoid, "sigmoid", r"$1 / (1+e^{-x})$, between 0 and 1"),
    "linear": (lambda x: x, "linear (no activation)", r"$x$"),
    "step": (lambda x: (x >= 0).astype(float), "step (perceptron)", r"1 if $x \geq 0$, else 0"),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.2 * x), "leaky ReLU",
                   r"$x$ if $x>0$, else $0.2x$"),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))), "ELU",
            r"$x$ if $x>0$, else $e^x-1$"),
    "softplus": (lambda x: np.log1p(np.exp(x)), "softplus", r"$\log(1+e^{x})$"),
    "silu": (lambda x: x * sigmoid(x), "SiLU / swish", r"$x \cdot \mathrm{sigmoid}(x)$"),
    "gelu": (lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
             "GELU", r"$x \cdot \Phi(x)$"),
    "softmax": (None, "softmax", r"$p_i = e^{z_i} / \Sigma_j\, e^{z_j}$"),
}
_ALIASES = {"swish": "silu", "heaviside": "step", "identity": "linear", "logistic": "sigmoid"}


def plot_activations(names: Sequence[str] = ("relu", "tanh", "sigmoid", "softmax"), *,
                     x_range: tuple[float, float] = (-5.0, 5.0),
                     logits: Sequence[float] = (2.0, 1.0, 0.1, -1.0), columns: int = 4,
                     title: str | None = "Activation functions") -> Figure:
    """Plot activation functions against their input, one panel each.

    Parameters
    ----------
    names : sequence of str
        Any of relu, tanh, sigmoid, softmax, linear, step, leaky_relu, elu, softplus, silu, gelu.
    x_range : (float, float)
        The inputs ``x`` (weighted sum plus bias) plotted.
    logits : sequence of float
        The example vector whose probabilities the softmax panel shows.
    columns : int
        Panels per row.
    title : str, optional
        Figure title.
    """
    names = [names] if isinstance(names, str) else names
    keys = [_ALIASES.get(n.lower(), n.lower()) for n in names]
    for name, key in zip(names, keys, strict=True):
        if key not in ACTIVATIONS:
            raise ValueError(f"Unknown activation {name!r}; choose from: {', '.join(ACTIVATIONS)}.")
    if not keys:
        raise ValueError("Give at least one activation name.")
    fig, axes = grid_figure(len(keys), columns, (3.3, 3.1), 0.4 if title else 0)
    x = np.linspace(x_range[0], x_range[1], 401)
    for k, (ax, key) in enumerate(zip(axes, keys, strict=False)):
        function, name, formula = ACTIVATIONS[key]
        ax.set_title(f"{name}\n{formula}", fontsize=10)
        if function is None:  # softmax: bars for the probabilities of ``logits``
            z = np.asarray(logits, dtype=np.float64)
            p = np.exp(z - np.logaddexp.reduce(z))
            bars = ax.bar(np.arange(len(z)), p, color="tab:blue", width=0.6)
            for bar, value in zip(bars, p, strict=True):
                ax.text(bar.get_x() + bar.get_width() / 2, value + 0.02, f"{value:.2f}",
                        ha="center", va="bottom", fontsize=9)
            ax.set_xticks(np.arange(len(z)), [f"{v:g}" for v in z])
            ax.set(ylim=(0, 1.1), xlabel="logits z (the layer's outputs)", ylabel="probability")
            ax.text(0.97, 0.95, f"sum = {p.sum():.0f}", transform=ax.transAxes, ha="right",
                    va="top", fontsize=9)
        else:
            ax.axhline(0, color="#9a9a9a", linewidth=0.8)
            ax.axvline(0, color="#9a9a9a", linewidth=0.8)
            ax.plot(x, function(x), color="tab:blue", linewidth=2.2)
            ax.set(xlim=x_range, xlabel="x (weighted sum + bias)")
            ax.grid(color="#ececec")
            if k % columns == 0:
                ax.set_ylabel("output")
        ax.spines[["top", "right"]].set_visible(False)
    return finish(fig, axes, len(keys), title)
