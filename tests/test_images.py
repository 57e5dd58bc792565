"""Your own pictures: files in real formats, converted the way the data set was made."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import brainkit
from brainkit import datasets
from brainkit.cli import main
from brainkit.images import ImageError, convert_image, load_image
from brainkit.viz import plot_conversion


@pytest.fixture(scope="module")
def garment():
    """A Fashion-MNIST test image (trousers): light on black, filling the frame."""
    return datasets.load("fashion_mnist_sample").x_test[0]


def close(a, b, tolerance):
    return float(np.mean(np.abs(a.astype(float) - b))) < tolerance


def shop_photo(image, size=(400, 480), side=300, at=(40, 120), paper=255):
    """The garment as a shop photo: enlarged, dark on white (or ``paper``), with margins, on a non-square canvas."""
    canvas = np.full(size[::-1], paper, np.float64)
    dark = 1 - np.asarray(Image.fromarray(image).resize((side, side), Image.BICUBIC)) / 255
    canvas[at[1] : at[1] + side, at[0] : at[0] + side] *= dark
    return Image.fromarray(np.uint8(np.round(canvas)))


def test_a_saved_test_image_comes_back_as_it_was(garment, tmp_path):
    Image.fromarray(garment).save(tmp_path / "g.png")
    Image.fromarray(garment).save(tmp_path / "g.jpg")
    png = load_image(tmp_path / "g.png")
    assert png.shape == (28, 28) and png.dtype == np.uint8
    assert close(png, garment, 3)
    assert close(load_image(tmp_path / "g.jpg"), garment, 4)


@pytest.mark.parametrize("form", ["png", "jpg"])
def test_dark_garment_on_white_with_margins(garment, tmp_path, form):
    shop_photo(garment).convert("RGB").save(tmp_path / f"shop.{form}")
    converted = load_image(tmp_path / f"shop.{form}")
    assert converted[0, 0] == 0 and converted.max() == 255
    assert close(converted, garment, 8)
    # The garment fills the frame (not MNIST's 20-pixel box), wherever it was on the canvas.
    moved = shop_photo(garment, size=(600, 400), side=200, at=(380, 190))
    moved.save(tmp_path / f"moved.{form}")
    assert close(load_image(tmp_path / f"moved.{form}"), converted, 3)
    shop_photo(garment, paper=215).save(tmp_path / f"grey.{form}")  # light grey paper, not white
    assert close(load_image(tmp_path / f"grey.{form}"), converted, 3)


def test_grey_background_and_colour(garment, tmp_path):
    rgb = np.stack([garment * 0.6, garment * 0.3, garment * 0.1], axis=-1)  # orange on dark grey
    Image.fromarray(np.uint8(40 + rgb)).save(tmp_path / "orange.png")
    converted = load_image(tmp_path / "orange.png")
    assert converted[0, 0] == 0 and converted.max() == 255
    assert np.corrcoef(converted.ravel(), garment.ravel())[0, 1] > 0.95


def test_transparent_background(garment, tmp_path):
    alpha = np.where(garment > 0, 255, 0).astype(np.uint8)
    dark = np.stack([255 - garment] * 3 + [alpha], axis=-1)
    Image.fromarray(dark, "RGBA").save(tmp_path / "dark.png")
    light = np.stack([garment] * 3 + [alpha], axis=-1)
    Image.fromarray(light, "RGBA").save(tmp_path / "light.png")
    for name in ("dark.png", "light.png"):  # a dark object gets white behind it, a light one black
        assert close(load_image(tmp_path / name), garment, 3), name
    Image.fromarray(np.zeros((10, 10, 4), np.uint8), "RGBA").save(tmp_path / "empty.png")
    assert load_image(tmp_path / "empty.png").max() == 0


def test_16_bit_png_and_float_tiff_keep_their_grey_levels(garment, tmp_path):
    eight = load_image(_save(Image.fromarray(garment), tmp_path / "8.png"))
    sixteen = Image.fromarray(garment.astype(np.uint16) * 257)
    assert sixteen.mode.startswith("I;16")
    assert np.array_equal(load_image(_save(sixteen, tmp_path / "16.png")), eight)
    narrow = Image.fromarray(1000 + garment.astype(np.uint16) * 8)  # a 12-bit camera's range
    assert close(load_image(_save(narrow, tmp_path / "narrow.png")), eight, 1)
    floats = Image.fromarray(garment.astype(np.float32) / 255)
    assert floats.mode == "F"
    assert close(load_image(_save(floats, tmp_path / "f.tiff")), eight, 1)
    assert len(np.unique(load_image(tmp_path / "f.tiff"))) > 100  # not two grey levels


def _save(img, path):
    img.save(path)
    with Image.open(path) as back:
        assert back.mode == img.mode, back.mode  # the file really holds that format
    return path


def test_cmyk_one_bit_palette_and_animated(garment, tmp_path):
    Image.fromarray(garment).convert("CMYK").save(tmp_path / "cmyk.jpg")
    Image.fromarray(garment).convert("1").save(tmp_path / "bits.png")
    palette = Image.fromarray(255 - garment).convert("P")
    palette.save(tmp_path / "palette.png", transparency=int(np.asarray(palette)[0, 0]))
    frames = [Image.fromarray(garment), Image.fromarray(255 - garment)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    for name, tolerance in (("cmyk.jpg", 4), ("bits.png", 35), ("palette.png", 3), ("anim.gif", 3)):
        converted = load_image(tmp_path / name)
        assert converted.shape == (28, 28) and converted[0, 0] == 0, name
        assert close(converted, garment, tolerance), name


def test_mnist_style_fits_a_20_pixel_box_centred_by_mass(tmp_path):
    digit = np.full((300, 500), 255, np.uint8)
    digit[40:240, 50:90] = 0  # a dark "1" off to the left of a white page
    digit[40:60, 50:150] = 0
    Image.fromarray(digit).save(tmp_path / "one.png")
    mnist = load_image(tmp_path / "one.png", style="mnist")
    rows, cols = np.flatnonzero(mnist.any(axis=1)), np.flatnonzero(mnist.any(axis=0))
    assert rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 <= 20
    r, c = np.indices(mnist.shape)
    assert abs(np.average(r, weights=mnist) - 13.5) <= 0.6 and abs(np.average(c, weights=mnist) - 13.5) <= 0.6
    fashion = load_image(tmp_path / "one.png", style="fashion_mnist_sample")
    assert fashion.any(axis=1).sum() == 28  # fills the frame


def test_explicit_invert_and_bad_input(garment):
    assert np.array_equal(convert_image(255 - garment, invert=True), convert_image(255 - garment))
    assert np.array_equal(convert_image(garment, invert=False), convert_image(garment))
    with pytest.raises(ImageError, match="2-D"):
        convert_image(np.zeros((4, 4, 3)))


@pytest.mark.parametrize("limit_factor", [0.9, 0.4])  # Pillow warns above the limit, refuses above twice it
def test_too_large_is_a_clear_error(garment, tmp_path, monkeypatch, limit_factor):
    Image.fromarray(garment).resize((100, 100)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", int(100 * 100 * limit_factor))
    with pytest.raises(ImageError, match="too large.*Resize it below"):
        load_image(tmp_path / "big.png")


def test_plot_conversion_shows_picture_conversion_and_answer(garment, tmp_path):
    shop_photo(garment).save(tmp_path / "shop.png")
    assert len(plot_conversion(tmp_path / "shop.png").axes) == 2
    probs = np.full(10, 0.02)
    probs[9] = 0.82
    names = datasets.load("fashion_mnist_sample").class_names
    fig = plot_conversion(tmp_path / "shop.png", probabilities=probs, class_names=names)
    assert len(fig.axes) == 3 and "Ankle boot" in fig.axes[2].get_title()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "linear"
    brainkit.train("linear", datasets.load("fashion_mnist_sample"), epochs=2, seed=0, verbose=0).save(path)
    return path


@pytest.mark.backend
def test_cli_predict_shows_what_the_model_saw(run_dir, garment, tmp_path):
    shop_photo(garment).convert("RGB").save(tmp_path / "boot.jpg")
    result = CliRunner().invoke(main, ["predict", str(run_dir), str(tmp_path / "boot.jpg"),
                                       "--show", str(tmp_path / "seen")])
    assert result.exit_code == 0, result.output
    assert "boot.jpg: " in result.output
    assert (tmp_path / "seen" / "boot-prediction.png").stat().st_size > 1000
    assert f"boot.jpg: {brainkit.predict(run_dir, tmp_path / 'boot.jpg').class_name} (" in result.output


@pytest.mark.backend
def test_cli_predict_too_large_is_one_line(run_dir, garment, tmp_path, monkeypatch):
    Image.fromarray(garment).resize((100, 100)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    result = CliRunner().invoke(main, ["predict", str(run_dir), str(tmp_path / "big.png")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "Resize it below" in result.output
