"""The ``brainkit`` command line.

Every command lives in a small module of this package and is added to one
click group here, which turns brainkit's errors into one-line messages.
Keras is imported by the commands that need it, after ``--backend`` has been
applied; matplotlib when a figure is drawn.
"""

from __future__ import annotations

import signal

import click

from brainkit._version import __version__
from brainkit.cli import archs, bench, data, hotdog, train
from brainkit.errors import BrainkitError
from brainkit.runtime import use_backend

__all__ = ["main"]


class _Group(click.Group):
    """A click group that turns brainkit's errors into one-line messages."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except BrainkitError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:  # click says "Aborted!"; another Ctrl-C must not cut the exit
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Keep the order in which commands were added: the order of a lesson.
        return list(self.commands)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="brainkit")
@click.option(
    "--backend",
    type=click.Choice(["jax", "torch", "tensorflow"], case_sensitive=False),
    envvar="KERAS_BACKEND",
    show_envvar=True,
    help="Keras backend to use. Default: KERAS_BACKEND, else the first installed of jax, torch, tensorflow.",
)
def main(backend: str | None) -> None:
    """brainkit: learn deep learning by doing.

    Train the first neural networks of the classic lessons on Fashion-MNIST,
    look at what they learned, and poke at Rosenblatt's hot-dog perceptron.

    \b
    Start here:
      brainkit show fashion_mnist     # look at the data
      brainkit train                  # train a brain, save plots and metrics
      brainkit hotdog --ketchup --mustard --no-bun
    """
    if backend:
        use_backend(backend)  # a BackendError is told in one line by _Group


for _module in (data, archs, train, hotdog, bench):
    for _command in _module.COMMANDS:
        main.add_command(_command)
