"""``brainkit hotdog`` through the real command group."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.colors import to_rgb
from matplotlib.image import imread

from brainkit.cli import main


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, ["hotdog", *args])

    return invoke


def test_hot_dog(run):
    result = run("--ketchup", "--mustard", "--no-bun")
    assert result.exit_code == 0, result.output
    assert "6 + 2 + 0 = 8" in result.output
    assert "8 > 4" in result.output
    assert "Verdict: HOT DOG" in result.output


def test_not_a_hot_dog(run):
    result = run("--mustard")
    assert result.exit_code == 0, result.output
    assert "2 is not greater than the threshold 4" in result.output
    assert "Verdict: NOT A HOT DOG" in result.output


def test_custom_weights_and_threshold(run):
    result = run("--ketchup", "--mustard", "--weights", "1, 2, 3", "--threshold", "3")
    assert result.exit_code == 0, result.output
    assert "1 + 2 + 0 = 3" in result.output and "NOT A HOT DOG" in result.output
    result = run("--ketchup", "--weights", "-1,2,3")
    assert result.exit_code == 0, result.output
    assert "NOT A HOT DOG" in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--weights", "6,2"], "needs 3 numbers"),
        (["--weights", "a,b,c"], "'a' is not a number"),
        (["--weights", "6,,3"], "empty entry"),
        (["--weights", "6,inf,3"], "finite"),
        (["--threshold", "nan"], "finite"),
        (["--threshold", "four"], "four"),
        (["--learn", "--learning-rate", "0"], "greater than 0"),
        (["--learn", "--epochs", "0"], "--epochs"),
        (["--xor", "--weights", "1,2,3"], "needs 2 numbers"),
        (["--plot", "picture.xyz"], "--plot"),
    ],
)
def test_bad_arguments(run, args, words):
    result = run(*args)
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output


def test_learn(run):
    result = run("--learn")
    assert result.exit_code == 0, result.output
    assert "epoch 1, example" in result.output
    assert "Converged" in result.output
    assert "NO" not in result.output.split("on the data")[-1]


def test_learn_with_seed_is_reproducible(run):
    first = run("--learn", "--seed", "3", "--learning-rate", "0.5")
    second = run("--learn", "--seed", "3", "--learning-rate", "0.5")
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    assert "learning rate 0.5" in first.output


def test_learn_too_few_epochs(run):
    result = run("--learn", "--epochs", "2")
    assert result.exit_code == 0, result.output
    assert "Did NOT converge in 2 epochs" in result.output


def test_xor_does_not_converge(run):
    result = run("--learn", "--xor")
    assert result.exit_code == 0, result.output
    assert "Did NOT converge" in result.output
    assert "cannot learn" in result.output
    assert run("--xor").output == result.output  # --xor implies --learn


def _share(image, colour):
    """The fraction of an RGBA image's pixels within 3/255 of ``colour``."""
    return float(np.mean(np.abs(image[..., :3] - np.array(to_rgb(colour))).max(axis=-1) <= 3 / 255))


def test_plots(run, tmp_path):
    for flag, output, other in (
        ("--ketchup", "#e9c46a", "#d9dee5"),
        ("--mustard", "#d9dee5", "#e9c46a"),
    ):
        diagram = tmp_path / f"{flag[2:]}.png"
        result = run(flag, "--plot", str(diagram))
        assert result.exit_code == 0, result.output
        assert f"wrote {diagram}" in result.output
        image = imread(diagram)
        assert image.shape[1] == 1100  # 10 inches wide at 110 dpi
        # the output node: yellow for "hot dog", grey for "not a hot dog"
        assert _share(image, output) > 0.005 and _share(image, other) < 0.001
    boundary = tmp_path / "sub" / "learning.png"
    result = run("--learn", "--seed", "1", "--plot", str(boundary))
    assert result.exit_code == 0, result.output
    assert f"wrote {boundary}" in result.output
    image = imread(boundary)
    yellow, grey = (0.75 * np.array(to_rgb(c)) + 0.25 for c in ("#e9c46a", "#d9dee5"))
    assert _share(image, yellow) > 0.1 and _share(image, grey) > 0.05  # both sides of the line


def test_listed_in_help():
    result = CliRunner().invoke(main, ["--help"])
    assert "hotdog" in result.output
