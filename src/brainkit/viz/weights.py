"""What a linear model learned: each output neuron's weights shown as an image."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from brainkit.viz._layout import finish, grid_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["dense_kernel", "plot_linear_weights"]


def _is_dense(layer: Any) -> bool:
    return any(cls.__name__ == "Dense" for cls in type(layer).__mro__)


def dense_kernel(model_or_kernel: Any) -> np.ndarray:
    """The ``(inputs, units)`` kernel of a model's last Dense layer, a Dense layer or an array."""
    obj = model_or_kernel
    if hasattr(obj, "layers") and not _is_dense(obj):  # a model: its last Dense layer
        dense = [layer for layer in obj.layers if _is_dense(layer)]
        if not dense:
            raise ValueError("The model has no Dense layer, so there are no linear weights to "
                             "show.")
        obj = dense[-1]
    if _is_dense(obj):
        # Keras 3 on NumPy 2 warns about its own __array__ (not about anything the learner did).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            weights = obj.get_weights() if hasattr(obj, "get_weights") else []
        if not weights and getattr(obj, "kernel", None) is None:
            raise ValueError(f"The layer {getattr(obj, 'name', obj)!r} has no weights yet: build "
                             "the model first (give it an keras.Input or call it on data).")
        obj = weights[0] if weights else obj.kernel
    kernel = np.array(obj, dtype=np.float64)  # a copy, even of a float64 array
    if kernel.ndim != 2:
        raise ValueError(f"A Dense kernel has shape (inputs, units); got {kernel.shape}.")
    return kernel


def plot_linear_weights(
    model_or_kernel: Any, class_names: Sequence[str] | None = None,
    image_shape: tuple[int, int] = (28, 28), *, columns: int = 5, cmap: str = "RdBu_r",
    title: str | None = "What each output neuron learned: its weights as an image",
) -> Figure:
    """Show each output neuron's weights as an image, one per class.

    Parameters
    ----------
    model_or_kernel : keras.Model, keras.layers.Dense or numpy.ndarray
        A trained ``linear`` model (its last ``Dense`` layer), the layer, or its kernel.
    class_names : sequence of str, optional
        Titles for the neurons; default ``"neuron 0"``, ``"neuron 1"``, ...
    image_shape : (int, int)
        Shape of one input image; its product must equal the kernel's rows.
    columns : int
        Images per row.
    cmap : str
        A diverging matplotlib colormap, shared and centred at a weight of 0.
    title : str, optional
        Figure title.
    """
    kernel = dense_kernel(model_or_kernel)
    pixels = int(np.prod(image_shape))
    if kernel.shape[0] != pixels:
        raise ValueError(f"The kernel has {kernel.shape[0]} rows (inputs) but image_shape "
                         f"{tuple(image_shape)} has {pixels} pixels. plot_linear_weights needs the "
                         "first Dense layer after Flatten, as in the 'linear' model.")
    units = kernel.shape[1]
    class_names = [f"neuron {i}" for i in range(units)] if class_names is None else class_names
    if len(class_names) != units:
        raise ValueError(f"The layer has {units} neurons but {len(class_names)} class names were "
                         "given.")
    limit = float(np.abs(kernel).max()) or 1.0
    fig, axes = grid_figure(units, columns, (1.75, 1.85), 0.5 if title else 0, extra_width=1.0)
    for k, ax in zip(range(units), axes, strict=False):
        image = ax.imshow(kernel[:, k].reshape(image_shape), cmap=cmap, vmin=-limit, vmax=limit)
        ax.set_title(class_names[k], fontsize=10)
        ax.set(xticks=[], yticks=[])
    cbar = fig.colorbar(image, ax=axes.tolist(), shrink=0.85, pad=0.02)
    cbar.set_label("weight\n(red: for the class, blue: against)", fontsize=9)
    return finish(fig, axes, units, title)
