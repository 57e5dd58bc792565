"""The data commands: info, datasets, show, and one-line errors."""

from __future__ import annotations

import json

from click.testing import CliRunner
from PIL import Image

from brainkit import __version__, runtime
from brainkit.cli import main


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_info_json():
    result = CliRunner().invoke(main, ["info", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["backend"] == runtime.import_keras().backend.backend()
    assert {d["name"] for d in report["datasets"]} >= {"fashion_mnist", "fashion_mnist_sample"}


def test_datasets_lists_everything(isolated_data):
    result = CliRunner().invoke(main, ["datasets"])
    assert result.exit_code == 0, result.output
    for name in ("fashion_mnist", "mnist", "fashion_mnist_sample", "hotdog"):
        assert name in result.output
    assert str(isolated_data) in result.output


def test_show_sample_writes_png(tmp_path, isolated_data):
    out = tmp_path / "grid.png"
    result = CliRunner().invoke(main, ["show", "fashion_mnist_sample", "--count", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size[0] > 300 and image.size[1] > 200


def test_show_unknown_dataset_is_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["show", "fashon_mnist", "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: Unknown dataset 'fashon_mnist'.")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_show_offline_missing_full_data_is_clear(tmp_path, isolated_data):
    result = CliRunner().invoke(main, ["show", "mnist", "--offline", "--out", str(tmp_path / "m.png")])
    assert result.exit_code == 1
    assert "MNIST was not found" in result.output and "Downloading is off" in result.output


def test_bad_option_value():
    result = CliRunner().invoke(main, ["show", "--count", "0"])
    assert result.exit_code == 2 and "count" in result.output
