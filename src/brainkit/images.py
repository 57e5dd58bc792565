"""Your own pictures, made to look like Fashion-MNIST.

Fashion-MNIST images are 28 x 28, grayscale, with a *light* object on a
*dark* (zero) background, centred. A photo is usually the opposite: a dark
object on a light background, in colour, of any size. :func:`load_image`
converts it: grayscale, polarity fixed, cropped to the object, fitted into
a 20 x 20 box and centred on the 28 x 28 canvas (as MNIST was made).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from brainkit.errors import BrainkitError

__all__ = ["ImageError", "load_image", "convert_image", "plot_conversion"]


class ImageError(BrainkitError, ValueError):
    """A file is not a readable image."""


def _open(path: str | os.PathLike[str]) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise ImageError(f"{p} does not exist or is not a file.")
    try:
        with Image.open(p) as img:
            img.load()
            if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img = Image.alpha_composite(background, rgba)
            return np.asarray(img.convert("L"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ImageError(f"{p} is not an image brainkit can read (PNG, JPEG, BMP, GIF, ...): {exc}") from exc


def convert_image(gray: np.ndarray, size: tuple[int, int] = (28, 28), invert: bool | None = None) -> np.ndarray:
    """Convert a grayscale picture to the data set's format.

    Parameters
    ----------
    gray : numpy.ndarray
        ``(H, W)`` ``uint8`` image.
    size : (int, int)
        Output size (rows, columns).
    invert : bool, optional
        Flip dark and light. By default, decided from the border: a light
        border means a light background, which is inverted.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of shape ``size``: light object on a dark background.
    """
    from PIL import Image

    img = np.asarray(gray, dtype=np.float32)
    if img.ndim != 2 or min(img.shape) < 1:
        raise ImageError(f"Expected a 2-D grayscale image, got shape {img.shape}.")
    if invert is None:
        border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
        invert = float(np.median(border)) > 127
    if invert:
        img = 255.0 - img
    # Stretch contrast and drop the background's noise floor.
    low, high = np.percentile(img, 1), img.max()
    img = np.clip((img - low) / max(high - low, 1.0), 0.0, 1.0) * 255.0
    mask = img > 0.1 * 255
    if mask.any():
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        img = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = size
    box = max(1, round(min(height, width) * 20 / 28))
    scale = box / max(img.shape)
    new = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
    resized = np.asarray(Image.fromarray(img.astype(np.uint8)).resize(new, Image.LANCZOS), dtype=np.uint8)
    canvas = np.zeros(size, dtype=np.uint8)
    top, left = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    canvas[top : top + resized.shape[0], left : left + resized.shape[1]] = resized
    return canvas


def load_image(path: str | os.PathLike[str], size: tuple[int, int] = (28, 28), invert: bool | None = None) -> np.ndarray:
    """Read a PNG/JPEG (any size, colour or not) as a data-set-style ``uint8`` image.

    Raises
    ------
    ImageError
        If the file is missing or is not an image.
    """
    return convert_image(_open(path), size=size, invert=invert)


def plot_conversion(path: str | os.PathLike[str], size: tuple[int, int] = (28, 28)):  # noqa: ANN201
    """Show a picture before and after :func:`load_image`; returns a matplotlib Figure."""
    from matplotlib.figure import Figure

    original = _open(path)
    converted = convert_image(original, size=size)
    fig = Figure(figsize=(6, 3.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    left.imshow(original, cmap="gray", vmin=0, vmax=255)
    left.set_title(f"your picture\n{original.shape[1]} x {original.shape[0]}, grayscale")
    right.imshow(converted, cmap="gray", vmin=0, vmax=255)
    right.set_title(f"what the model sees\n{size[1]} x {size[0]}, light on dark")
    for ax in (left, right):
        ax.set_xticks([])
        ax.set_yticks([])
    return fig
