"""``brainkit train``, ``evaluate``, ``predict`` and ``plot``: the learner's loop."""

import math
import tempfile
from pathlib import Path

import click

from brainkit import architectures, training
from brainkit.datasets import DataNotFoundError, load
from brainkit.run_figures import draw_into_run, write_run_figures
from brainkit.run_folders import RunError, reserve_run_folder
from brainkit.viz import plot_conversion, save_figure

__all__ = ["COMMANDS"]

DEFAULT_OUT = "brainkit-run"
_POSITIVE = click.IntRange(min=1)
_PATH = click.Path(path_type=Path)
_FOLDER = click.Path(file_okay=False, path_type=Path)


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):  # FloatRange lets nan and inf through
        raise click.BadParameter(f"must be a finite number greater than 0, got {value}.")
    return value


@click.command()
@click.option("--arch", default="mlp", show_default=True, help="Architecture (`brainkit archs`).")
@click.option("--dataset", help="Data set (default: fashion_mnist, else the embedded sample).")
@click.option("--epochs", type=_POSITIVE, help="Passes over the data (default: the recipe's).")
@click.option("--batch-size", type=_POSITIVE, help="Examples per step (default: the recipe's).")
@click.option("--learning-rate", type=click.FloatRange(min=0, min_open=True),
              callback=_finite, help="Optimizer learning rate (default: the recipe's).")
@click.option("--seed", type=int, help="Seed Python, NumPy and the backend for a reproducible run.")
@click.option("--out", type=_FOLDER, help="Run folder to write (checked before training). "
              f"Default: ./{DEFAULT_OUT} (or {DEFAULT_OUT}-2, ... if it is taken).")
@click.option("--overwrite", is_flag=True, help="Replace the run in --out (keeps your own files).")
@click.option("--distribute", type=click.Choice(["none", "auto", "data_parallel"]), default="none",
              show_default=True, help="Data-parallel training across devices (JAX backend).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; print only the results.")
@click.option("--no-plots", is_flag=True, help="Skip the PNG figures.")
def train(arch, dataset, epochs, batch_size, learning_rate, seed, out, overwrite, distribute,
          quiet, no_plots):
    """Train a brain and save the run: model, metrics, history and plots.

    With no options: the 128-unit MLP of the Keras "Introduction to Neural Networks" lesson,
    10 epochs, batch 32, Adam, on the full Fashion-MNIST (or, with a notice, the embedded
    sample when the full data is nowhere on this machine and cannot be downloaded).
    """
    architectures.get(arch)  # fail fast on an unknown name, before loading data
    with reserve_run_folder(out or Path(DEFAULT_OUT), overwrite=overwrite, pick_free=out is None,
                            cli=True) as target:
        try:
            data = load("fashion_mnist" if dataset is None else dataset, quiet=quiet)
        except DataNotFoundError as exc:
            if dataset is not None:
                raise
            click.secho("notice: the full Fashion-MNIST is not on this machine and could not be "
                        "downloaded, so this run uses the embedded 5,000/1,000-image sample "
                        f"(accuracy will be lower).\n        {str(exc).splitlines()[0]}",
                        fg="yellow", err=True)
            data = load("fashion_mnist_sample")
        training.check_image_data(data)
        click.echo(f"data: {data!r}")
        result = training.train(
            arch, data, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            seed=seed, verbose=0 if quiet else "auto",
            distribute=None if distribute == "none" else distribute)
        m = result.metrics
        click.echo(f"{result.architecture} on {m['dataset']} ({m['backend']}): test accuracy "
                   f"{m['test_accuracy']:.4f}, test loss {m['test_loss']:.4f}, {m['epochs']} "
                   f"epochs in {m['train_seconds']:.1f} s")
        _save(result, target, overwrite, figures=None if no_plots else draw_into_run)
    click.echo(f"saved the run to {target}/")
    for path in sorted(target.iterdir()):
        click.echo(f"  {path.name}")


def _save(result, target: Path, overwrite: bool, figures) -> None:
    """Save the run; if it is refused now (disk full, folder taken meanwhile), save it elsewhere."""
    try:
        result.save(target, overwrite=overwrite, figures=figures)
    except RunError as exc:
        try:
            rescue = Path(tempfile.mkdtemp(prefix="brainkit-run-rescued-"))
            result.save(rescue, figures=figures)
        except (OSError, RunError) as again:
            raise click.ClickException(f"{exc} The run could not be saved anywhere else "
                                       f"either ({again}).") from again
        raise click.ClickException(f"{exc}\nThe trained run was saved to {rescue}/ instead: "
                                   f"move it where you want it (mv {rescue} ...).") from exc


@click.command()
@click.argument("run", type=_PATH)
@click.option("--dataset", help="Evaluate on another data set with the same inputs.")
@click.option("--split", type=click.Choice(["test", "train"]), default="test", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def evaluate(run, dataset, split, as_json):
    """Evaluate a saved RUN folder on the test set."""
    result = training.load_run(run)
    values = training.evaluate(result, dataset=dataset, split=split)
    if as_json:
        click.echo(training.strict_json(values))
    else:
        click.echo(f"{result.architecture} ({run}) on {dataset or result.dataset_name} {split}: "
                   f"accuracy {values.get('accuracy', float('nan')):.4f}, loss "
                   f"{values['loss']:.4f}, {values['examples']} examples")


@click.command()
@click.argument("run", type=_PATH)
@click.argument("images", nargs=-1, required=True, type=_PATH)
@click.option("--top", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Classes to list per image.")
@click.option("--show", "show_dir", type=_FOLDER, help="Also save into this folder, per image, "
              "NAME-prediction.png: the picture, what the model saw, and its probabilities.")
def predict(run, images, top, show_dir):
    """Classify IMAGES (picture files) with a saved RUN: top classes with probabilities.

    Each picture is converted the way the run's data set was made (for Fashion-MNIST: trimmed,
    the garment filling 28 x 28, light on black).
    """
    result = training.load_run(run)
    predictions = training.predict(result, images, top=top)
    for path, pred in zip(images, predictions, strict=True):
        click.echo(f"{path}: {pred.class_name} ({pred.probability:.1%})  [{pred}]")
    if show_dir is not None:
        for path, pred in zip(images, predictions, strict=True):
            fig = plot_conversion(path, size=result.input_shape[:2], style=result.dataset_name,
                                  probabilities=pred.probabilities, class_names=result.class_names)
            save_figure(fig, show_dir / f"{path.stem}-prediction.png")
        click.echo(f"figures in {show_dir}/")


@click.command()
@click.argument("run", type=_PATH)
def plot(run):
    """Regenerate the figures of a saved RUN folder."""
    result = training.load_run(run)
    for path in write_run_figures(result, run, cli=True):
        click.echo(f"wrote {path}")


COMMANDS = [train, evaluate, predict, plot]
