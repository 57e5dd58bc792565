"""Your own pictures, made like the data set's: 28 x 28, 8-bit gray, light object on black."""

import os
import warnings
from pathlib import Path

import numpy as np

from brainkit.errors import BrainkitError

__all__ = ["ImageError", "convert_image", "load_image", "open_picture"]


class ImageError(BrainkitError, ValueError):
    """A file is not a readable image."""


def _gray(img) -> np.ndarray:  # noqa: ANN001 (a PIL image)
    """An 8-bit grayscale array of a PIL image of any mode."""
    if img.mode in ("I", "F") or img.mode.startswith("I;"):  # 16/32-bit or float: scale min-max
        values = np.nan_to_num(np.asarray(img, dtype=np.float64))
        low, high = values.min(), values.max()
        return np.round((values - low) * (255 / max(high - low, 1e-12))).astype(np.uint8)
    if "A" in img.mode or "transparency" in img.info:
        rgba = img.convert("RGBA")
        gray = np.asarray(rgba.convert("L"), dtype=np.float64)
        alpha = np.asarray(rgba, dtype=np.float64)[..., 3] / 255
        # Fill the transparent part with white behind a dark object, black behind a light one.
        background = 255.0 if (gray * alpha).sum() < 127.5 * alpha.sum() else 0.0
        return np.round(gray * alpha + background * (1 - alpha)).astype(np.uint8)
    return np.asarray(img.convert("L"), dtype=np.uint8)


def open_picture(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a picture file as an 8-bit grayscale array, transparency flattened onto its background.

    Raises
    ------
    ImageError
        If the file is missing, is not a picture PIL can read, or is too large.
    """
    from PIL import Image, UnidentifiedImageError
    p = Path(path)
    if not p.is_file():
        raise ImageError(f"{p} does not exist or is not a file.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p) as img:
                img.load()
                return _gray(img)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{p} is too large to read: {str(exc).split(',')[0]}. Resize it below "
                         f"{Image.MAX_IMAGE_PIXELS // 1_000_000} megapixels (1000 x 1000 pixels "
                         "is plenty for a model that sees 28 x 28).") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ImageError(f"{p} is not an image brainkit can read (PNG, JPEG, BMP, GIF, ...): "
                         f"{exc}") from exc


def convert_image(gray: np.ndarray, size: tuple[int, int] = (28, 28), invert: bool | None = None,
                  style: str = "fashion_mnist") -> np.ndarray:
    """Convert a grayscale picture the way the data set's pictures were made.

    Returns a ``uint8`` array of shape ``size``: a light object on a black background.

    Parameters
    ----------
    gray : numpy.ndarray
        ``(H, W)`` grayscale image, ``0`` to ``255``.
    size : (int, int)
        Output size (rows, columns).
    invert : bool, optional
        Flip dark and light; by default, when the border (the background) is light.
    style : str
        ``"mnist"``/``"mnist_..."``: fit in a 20 x 20 box centred by mass (LeCun et al. 1998);
        other names: Fashion-MNIST's trim, resize, sharpen, centre (Xiao et al. 2017).
    """
    from PIL import Image, ImageFilter
    img = np.asarray(gray, dtype=np.float32)
    if img.ndim != 2 or min(img.shape) < 1:
        raise ImageError(f"Expected a 2-D grayscale image, got shape {img.shape}.")
    background = float(np.median(np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])))
    if invert or (invert is None and background > 127.5):  # a light background: a photo
        img, background = 255 - img, 255 - background
    img = np.clip((img - background) / max(float(img.max()) - background, 1.0), 0, 1)
    mask = img > 0.1  # trim what is near the background (the paper: 5%; 10% ignores JPEG ringing)
    if mask.any():
        rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
        img = img[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    mnist = style == "mnist" or style.startswith("mnist_")
    height, width = size
    box_height, box_width = (min(height, width) * 20 / 28,) * 2 if mnist else size
    scale = min(box_height / img.shape[0], box_width / img.shape[1])
    new = (max(1, round(img.shape[1] * scale)), max(1, round(img.shape[0] * scale)))
    small = Image.fromarray(np.uint8(np.round(img * 255)))
    if new != small.size:
        small = small.resize(new, Image.LANCZOS)
        if not mnist:  # the paper sharpens after resizing: a Gaussian of standard deviation 1
            small = small.filter(ImageFilter.UnsharpMask(radius=1, percent=50, threshold=0))
    small = np.asarray(small, dtype=np.float32)
    if mnist and small.sum() > 0:  # centre of mass to the centre
        r, c = np.indices(small.shape)
        top = round((height - 1) / 2 - np.average(r, weights=small))
        left = round((width - 1) / 2 - np.average(c, weights=small))
    else:  # centred; an odd margin's extra pixel goes left and top, as in Fashion-MNIST
        top, left = (height - small.shape[0] + 1) // 2, (width - small.shape[1] + 1) // 2
    top, left = min(max(top, 0), height - small.shape[0]), min(max(left, 0), width - small.shape[1])
    canvas = np.zeros(size, dtype=np.uint8)
    canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
    return canvas


def load_image(path: str | os.PathLike[str], size: tuple[int, int] = (28, 28),
               invert: bool | None = None, style: str = "fashion_mnist") -> np.ndarray:
    """Read a picture file as a data-set-style ``uint8`` image (:func:`convert_image`).

    Parameters
    ----------
    path : str or path
        Any picture Pillow reads: colour, 16-bit, float TIFF, CMYK, alpha, first frame of a GIF.
    size, invert, style
        As for :func:`convert_image`; ``style``: the data set the model learned from.

    Raises
    ------
    ImageError
        If the file is missing, is not an image, or is too large to read.
    """
    return convert_image(open_picture(path), size=size, invert=invert, style=style)
