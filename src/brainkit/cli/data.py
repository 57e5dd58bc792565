"""``brainkit info``, ``brainkit datasets``, ``brainkit show`` and ``brainkit fetch``."""

import json
from pathlib import Path

import click

from brainkit.datasets import cache_root, dataset_status, load
from brainkit.runtime import device_report, format_device_report
from brainkit.viz.data import plot_samples, save_figure

__all__ = ["COMMANDS"]


def _download_options(command):
    """Add --mirror, --timeout, --deadline and --quiet: keyword arguments of :func:`load`."""
    seconds = click.FloatRange(min=0, min_open=True)
    for option in reversed([
        click.option("--mirror", "mirrors", multiple=True, metavar="URL",
                     callback=lambda ctx, param, urls: list(urls) or None,
                     help="Base URL to download from (repeat for more, tried in order). "
                     "Default: BRAINKIT_MIRRORS, else the data set's own mirrors."),
        click.option("--timeout", type=seconds, metavar="SECONDS", help="Seconds without data "
                     "before trying the next mirror. Default: BRAINKIT_TIMEOUT, else 30."),
        click.option("--deadline", type=seconds, metavar="SECONDS", help="Seconds all downloads "
                     "may take together. Default: BRAINKIT_DOWNLOAD_DEADLINE, else 900."),
        click.option("--quiet", "-q", is_flag=True, help="No download progress bar."),
    ]):
        command = option(command)
    return command


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def info(as_json: bool) -> None:
    """Show versions, the Keras backend, the devices it sees, and where data is."""
    report = {**device_report(), "datasets": [s.as_dict() for s in dataset_status()]}
    click.echo(json.dumps(report, indent=2) if as_json else format_device_report(report))


@click.command()
def datasets() -> None:
    """List the data sets: found where, how big, verified or not."""
    rows = dataset_status()
    width = max(len(s.name) for s in rows)
    for s in rows:
        size = f"{s.size / 1e6:.1f} MB" if s.size else "-"
        click.echo(f"{s.name:<{width}}  {s.state:<30}  {size:>8}  {s.location or ''}")
    click.echo(f"\ncache: {cache_root()}  (set BRAINKIT_DATA to move it)")


@click.command()
@click.argument("dataset", default="fashion_mnist")
@click.option("--split", type=click.Choice(["train", "test"]), default="train", show_default=True)
@click.option("--count", type=click.IntRange(1, 100), default=25, show_default=True,
              help="How many images.")
@click.option("--seed", type=int, help="Show a random selection drawn with this seed.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="PNG file to write. Default: DATASET-samples.png in the current folder.")
@click.option("--offline", is_flag=True, help="Do not download; use only what is on this machine.")
@_download_options
def show(dataset, split, count, seed, out, offline, **download_options) -> None:
    """Save a PNG grid of sample images of DATASET (see `brainkit datasets`) with class names."""
    data = load(dataset, download=False if offline else None, **download_options)
    if data.x_train.ndim != 3:
        raise click.ClickException(f"{dataset!r} is not an image data set: no grid to show.")
    x, y = (data.x_train, data.y_train) if split == "train" else (data.x_test, data.y_test)
    title = f"{dataset} ({split}, {len(x):,} images)"
    fig = plot_samples(x, y, data.class_names, count=count, seed=seed, title=title)
    path = save_figure(fig, out or Path(f"{dataset}-samples.png"))
    click.echo(f"{data!r}\nwrote {path}")


@click.command()
@click.argument("dataset", default="fashion_mnist")
@_download_options
def fetch(dataset, **download_options) -> None:
    """Download DATASET if it is not on this machine, check each file's SHA-256, and cache it.

    A mirror that fails, stalls or serves wrong bytes gives way to the next.
    """
    click.echo(repr(load(dataset, **download_options)))


COMMANDS = [info, datasets, show, fetch]
