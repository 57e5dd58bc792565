"""``brainkit train``, ``evaluate``, ``predict`` and ``plot``: the learner's loop."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import click
import numpy as np

from brainkit import architectures, training
from brainkit.datasets import DataNotFoundError, load
from brainkit.images import load_image
from brainkit.run_figures import draw_into_run, write_run_figures
from brainkit.run_folders import RunError, reserve_run_folder
from brainkit.training import check_image_data, strict_json
from brainkit.viz.data import save_figure
from brainkit.viz.predictions import plot_conversion

__all__ = ["COMMANDS"]

DEFAULT_OUT = "brainkit-run"


@click.command()
@click.option(
    "--arch", "arch", default="mlp", show_default=True, help="Architecture; see `brainkit archs`."
)
@click.option(
    "--dataset",
    default=None,
    help="Data set (default: fashion_mnist, or the embedded sample if it is nowhere).",
)
@click.option(
    "--epochs", type=int, default=None, help="Passes over the training set (default: the recipe's)."
)
@click.option(
    "--batch-size", type=int, default=None, help="Examples per step (default: the recipe's)."
)
@click.option(
    "--learning-rate",
    type=float,
    default=None,
    help="Optimizer learning rate (default: the recipe's).",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed Python, NumPy and the backend for a reproducible run.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Run folder to write (checked before training). Default: ./{DEFAULT_OUT} "
    f"(or {DEFAULT_OUT}-2, ... if it is taken).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace the run in --out: brainkit's files are replaced, your other files there are kept.",
)
@click.option(
    "--distribute",
    type=click.Choice(["none", "auto", "data_parallel"]),
    default="none",
    show_default=True,
    help="Data-parallel training across devices (JAX backend).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; print only the results.")
@click.option("--no-plots", is_flag=True, help="Skip the PNG figures.")
def train(
    arch,
    dataset,
    epochs,
    batch_size,
    learning_rate,
    seed,
    out,
    overwrite,
    distribute,
    quiet,
    no_plots,
):
    """Train a brain and save the run: model, metrics, history and plots.

    With no options: the 128-unit MLP of the Keras "Introduction to Neural
    Networks" lesson, on the full Fashion-MNIST (or the embedded sample, with
    a notice, when the full data is nowhere on this machine and cannot be
    downloaded), 10 epochs, batch 32, Adam.
    """
    for name, value in (("--epochs", epochs), ("--batch-size", batch_size)):
        if value is not None and value < 1:
            raise click.BadParameter(f"must be at least 1, got {value}.", param_hint=name)
    if learning_rate is not None and not learning_rate > 0:
        raise click.BadParameter(
            f"must be positive, got {learning_rate}.", param_hint="--learning-rate"
        )
    architectures.get(arch)  # fail fast on an unknown name, before loading data

    # The run folder is checked and claimed before anything is spent on training: a folder that
    # cannot be written, or is taken, is an error now, not after the training (see the docs'
    # "What brainkit guarantees"). The default picks brainkit-run, brainkit-run-2, ... atomically.
    with reserve_run_folder(
        out if out is not None else Path(DEFAULT_OUT),
        overwrite=overwrite,
        pick_free=out is None,
        cli=True,
    ) as target:
        if dataset is None:
            try:
                data = load("fashion_mnist", quiet=quiet)
            except DataNotFoundError as exc:
                click.secho(
                    "notice: the full Fashion-MNIST is not on this machine and could not be downloaded, so this run "
                    "uses the embedded 5,000/1,000-image sample (accuracy will be lower).\n"
                    f"        {str(exc).splitlines()[0]}",
                    fg="yellow",
                    err=True,
                )
                data = load("fashion_mnist_sample")
        else:
            data = load(dataset, quiet=quiet)
        check_image_data(data)
        click.echo(f"data: {data!r}")

        result = training.train(
            arch,
            data,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=seed,
            verbose=0 if quiet else "auto",
            distribute=None if distribute == "none" else distribute,
        )
        m = result.metrics
        click.echo(
            f"{result.architecture} on {m['dataset']} ({m['backend']}): test accuracy {m['test_accuracy']:.4f}, "
            f"test loss {m['test_loss']:.4f}, {m['epochs']} epochs in {m['train_seconds']:.1f} s"
        )
        _save(result, target, overwrite, figures=None if no_plots else draw_into_run)
    click.echo(f"saved the run to {target}/")
    for path in sorted(target.iterdir()):
        click.echo(f"  {path.name}")


def _save(result, target: Path, overwrite: bool, figures: Any) -> None:
    """Save the trained run; if it cannot be written after all, save it elsewhere and say where."""
    try:
        result.save(target, overwrite=overwrite, figures=figures)
        return
    except RunError as exc:
        problem = str(exc)
    # Refused after the checks made before training (a full disk, a folder made read-only or
    # taken meanwhile): the trained model is not lost.
    try:
        rescue = Path(tempfile.mkdtemp(prefix="brainkit-run-rescued-"))
        result.save(rescue, figures=figures)
    except (OSError, RunError) as exc:
        raise click.ClickException(
            f"{problem} The run could not be saved anywhere else either ({exc})."
        ) from exc
    raise click.ClickException(
        f"{problem}\nThe trained run was saved to {rescue}/ instead: move it where you want it (mv {rescue} ...)."
    )


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("--dataset", default=None, help="Evaluate on another data set with the same inputs.")
@click.option("--split", type=click.Choice(["test", "train"]), default="test", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def evaluate(run, dataset, split, as_json):
    """Evaluate a saved RUN folder on the test set."""
    result = training.load_run(run)
    values = training.evaluate(result, dataset=dataset, split=split)
    if as_json:
        click.echo(strict_json(values))
    else:
        click.echo(
            f"{result.architecture} ({run}) on {dataset or result.dataset_name} {split}: "
            f"accuracy {values.get('accuracy', float('nan')):.4f}, loss {values['loss']:.4f}, {values['examples']} examples"
        )


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.argument("images", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--top",
    type=click.IntRange(1, 10),
    default=3,
    show_default=True,
    help="Classes to list per image.",
)
@click.option(
    "--show",
    "show_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also save what the model saw into this folder: per image, NAME-prediction.png with "
    "the picture, the converted image and the model's probabilities.",
)
def predict(run, images, top, show_dir):
    """Classify IMAGES (picture files) with a saved RUN: top classes with probabilities.

    Each picture is converted the way the run's data set was made (for
    Fashion-MNIST: trimmed, the garment filling 28 x 28, light on black).
    """
    result = training.load_run(run)
    shape = tuple(result.input_shape[:2])
    converted = [load_image(path, size=shape, style=result.dataset_name) for path in images]
    predictions = training.predict(result, np.stack(converted), top=top)
    for path, prediction in zip(images, predictions, strict=True):
        click.echo(
            f"{path}: {prediction.class_name} ({prediction.probability:.1%})  [{prediction}]"
        )
    if show_dir is not None:
        for path, prediction in zip(images, predictions, strict=True):
            fig = plot_conversion(
                path,
                size=shape,
                style=result.dataset_name,
                probabilities=prediction.probabilities,
                class_names=result.class_names,
            )
            save_figure(fig, show_dir / f"{path.stem}-prediction.png")
        click.echo(f"figures in {show_dir}/")


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
def plot(run):
    """Regenerate the figures of a saved RUN folder."""
    result = training.load_run(run)
    for path in write_run_figures(result, run, cli=True):
        click.echo(f"wrote {path}")


COMMANDS = [train, evaluate, predict, plot]
