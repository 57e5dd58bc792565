"""What a linear model learned: each output neuron's weights shown as an image.

A ``linear`` model (``Flatten`` then ``Dense(10)``) gives every class one
neuron, and every neuron one weight per pixel. Reshaped to 28x28, those 784
weights form a picture: red pixels raise the class's score when they are
bright, blue ones lower it. Often the pictures look like a blurry average
trouser, sneaker or bag.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from brainkit.viz._layout import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["dense_kernel", "plot_linear_weights"]


def _is_dense(layer: Any) -> bool:
    return any(cls.__name__ == "Dense" for cls in type(layer).__mro__)


def _kernel_of(layer: Any) -> np.ndarray:
    # Keras 3 on NumPy 2 warns about its own __array__ (not about anything the learner did).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        weights = layer.get_weights() if hasattr(layer, "get_weights") else []
    if weights:
        return np.asarray(weights[0])
    kernel = getattr(layer, "kernel", None)
    if kernel is None:
        raise ValueError(
            f"The layer {getattr(layer, 'name', layer)!r} has no weights yet: build the model "
            "first (give it an keras.Input or call it on data)."
        )
    return np.asarray(kernel)


def dense_kernel(model_or_kernel: Any) -> np.ndarray:
    """Return the kernel (weight matrix) of the last Dense layer as numpy.

    Parameters
    ----------
    model_or_kernel : keras.Model, keras.layers.Dense or array-like
        A model (its last ``Dense`` layer is used), a ``Dense`` layer, or a
        ``(inputs, units)`` kernel already.

    Returns
    -------
    numpy.ndarray
        The ``(inputs, units)`` kernel.
    """
    obj = model_or_kernel
    if isinstance(obj, np.ndarray) or isinstance(obj, (list, tuple)):
        kernel = np.asarray(obj, dtype=np.float64)
    elif _is_dense(obj):
        kernel = _kernel_of(obj)
    elif hasattr(obj, "layers"):
        dense = [layer for layer in obj.layers if _is_dense(layer)]
        if not dense:
            raise ValueError(
                "The model has no Dense layer, so there are no linear weights to show."
            )
        kernel = _kernel_of(dense[-1])
    else:
        kernel = np.asarray(obj, dtype=np.float64)  # e.g. a backend tensor
    if kernel.ndim != 2:
        raise ValueError(f"A Dense kernel has shape (inputs, units); got {kernel.shape}.")
    return kernel.astype(np.float64)


def plot_linear_weights(
    model_or_kernel: Any,
    class_names: Sequence[str] | None = None,
    image_shape: tuple[int, int] = (28, 28),
    *,
    columns: int = 5,
    cmap: str = "RdBu_r",
    title: str | None = "What each output neuron learned: its weights as an image",
) -> Figure:
    """Show each output neuron's weights as an image, one per class.

    The colour scale is shared and centred at zero: white is a weight of 0
    (the pixel does not matter), red a positive weight (a bright pixel there
    is evidence *for* the class) and blue a negative one (evidence against).

    Parameters
    ----------
    model_or_kernel : keras.Model, keras.layers.Dense or numpy.ndarray
        A trained ``linear`` model (its last ``Dense`` layer is used), the
        layer itself, or its ``(784, 10)`` kernel.
    class_names : sequence of str, optional
        Titles for the neurons; default ``"neuron 0"``, ``"neuron 1"``, ...
    image_shape : (int, int)
        Shape of one input image; its product must equal the kernel's rows.
    columns : int
        Images per row.
    cmap : str
        A diverging matplotlib colormap.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = viz.plot_linear_weights(model, data.class_names)  # doctest: +SKIP
    >>> import numpy as np
    >>> from brainkit import viz
    >>> fig = viz.plot_linear_weights(np.random.default_rng(0).normal(size=(784, 10)))
    """
    kernel = dense_kernel(model_or_kernel)
    pixels = int(np.prod(image_shape))
    if kernel.shape[0] != pixels:
        raise ValueError(
            f"The kernel has {kernel.shape[0]} rows (inputs) but image_shape {tuple(image_shape)} "
            f"has {pixels} pixels. plot_linear_weights needs the first Dense layer after Flatten, "
            "as in the 'linear' model."
        )
    units = kernel.shape[1]
    if class_names is None:
        class_names = [f"neuron {i}" for i in range(units)]
    if len(class_names) != units:
        raise ValueError(
            f"The layer has {units} neurons but {len(class_names)} class names were given."
        )
    limit = float(np.abs(kernel).max()) or 1.0
    columns = max(1, min(columns, units))
    rows = int(np.ceil(units / columns))
    fig = new_figure(figsize=(1.75 * columns + 1.0, 1.85 * rows + (0.5 if title else 0)))
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    image = None
    for k, ax in enumerate(axes):
        if k >= units:
            ax.set_visible(False)
            continue
        image = ax.imshow(kernel[:, k].reshape(image_shape), cmap=cmap, vmin=-limit, vmax=limit)
        ax.set_title(class_names[k], fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    cbar = fig.colorbar(image, ax=axes.tolist(), shrink=0.85, pad=0.02)
    cbar.set_label("weight\n(red: for the class, blue: against)", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig
