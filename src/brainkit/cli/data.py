"""``brainkit info``, ``brainkit datasets`` and ``brainkit show``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from brainkit.datasets import cache_root, dataset_status, load
from brainkit.runtime import device_report, format_device_report
from brainkit.viz.data import plot_samples, save_figure

__all__ = ["COMMANDS"]


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n else "-"


def _download_options(command):  # type: ignore[no-untyped-def]
    """--mirror, --timeout, --deadline and --quiet: how a missing data set is downloaded."""
    options = [
        click.option("--mirror", "mirrors", multiple=True, metavar="URL",
                     help="Base URL to download from (repeat for more, tried in order). "
                          "Default: BRAINKIT_MIRRORS, else the data set's own mirrors."),
        click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
                     help="Seconds without data before moving on to the next mirror. "
                          "Default: BRAINKIT_TIMEOUT, else 30."),
        click.option("--deadline", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
                     help="Seconds all downloads may take together. "
                          "Default: BRAINKIT_DOWNLOAD_DEADLINE, else 900."),
        click.option("--quiet", "-q", is_flag=True, help="No download progress bar."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def info(as_json: bool) -> None:
    """Show versions, the Keras backend, the devices it sees, and where data is."""
    report = device_report()
    report["datasets"] = [s.as_dict() for s in dataset_status()]
    click.echo(json.dumps(report, indent=2) if as_json else format_device_report(report))


@click.command()
def datasets() -> None:
    """List the data sets: found where, how big, verified or not."""
    rows = dataset_status()
    width = max(len(s.name) for s in rows)
    for s in rows:
        click.echo(f"{s.name:<{width}}  {s.state:<30}  {_size(s.size):>8}  {s.location or ''}")
    click.echo(f"\ncache: {cache_root()}  (set BRAINKIT_DATA to move it)")


@click.command()
@click.argument("dataset", default="fashion_mnist")
@click.option("--split", type=click.Choice(["train", "test"]), default="train", show_default=True)
@click.option("--count", type=click.IntRange(1, 100), default=25, show_default=True, help="How many images.")
@click.option("--seed", type=int, default=None, help="Show a random selection drawn with this seed.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PNG file to write. Default: DATASET-samples.png in the current folder.",
)
@click.option("--offline", is_flag=True, help="Do not download; use only what is on this machine.")
@_download_options
def show(
    dataset: str,
    split: str,
    count: int,
    seed: int | None,
    out: Path | None,
    offline: bool,
    mirrors: tuple[str, ...],
    timeout: float | None,
    deadline: float | None,
    quiet: bool,
) -> None:
    """Save a grid of sample images from DATASET with their class names (PNG).

    DATASET is one of `brainkit datasets` (default: fashion_mnist).
    """
    data = load(
        dataset, download=False if offline else None, quiet=quiet,
        mirrors=list(mirrors) or None, timeout=timeout, deadline=deadline,
    )
    if data.x_train.ndim != 3:
        raise click.ClickException(f"{dataset!r} is not an image data set; nothing to show as a grid.")
    x, y = (data.x_train, data.y_train) if split == "train" else (data.x_test, data.y_test)
    fig = plot_samples(x, y, data.class_names, count=count, seed=seed, title=f"{dataset} ({split}, {len(x):,} images)")
    path = save_figure(fig, out or Path(f"{dataset}-samples.png"))
    click.echo(f"{data!r}")
    click.echo(f"wrote {path}")


@click.command()
@click.argument("dataset", default="fashion_mnist")
@_download_options
def fetch(dataset: str, mirrors: tuple[str, ...], timeout: float | None, deadline: float | None, quiet: bool) -> None:
    """Download DATASET if it is not on this machine, verify it, and cache it.

    Every file is checked against its SHA-256 before it is kept; a mirror that
    fails, stalls or serves wrong bytes is followed by the next one. Useful
    before going offline, or to prepare a container image.

    \b
    Examples:
      brainkit fetch fashion_mnist
      brainkit fetch mnist --mirror https://example.org/keras-datasets/ --timeout 60
    """
    data = load(dataset, quiet=quiet, mirrors=list(mirrors) or None, timeout=timeout, deadline=deadline)
    click.echo(f"{data!r}")


COMMANDS = [info, datasets, show, fetch]
