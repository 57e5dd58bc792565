"""The ``brainkit`` command line; Keras is imported only by commands that need it."""

import signal

import click

from brainkit._version import __version__
from brainkit.cli import archs, bench, data, hotdog, train
from brainkit.errors import BrainkitError
from brainkit.runtime import BACKENDS, ctrl_c_kept, use_backend

__all__ = ["main"]


class _Group(click.Group):
    """A click group that turns brainkit's errors into one-line messages."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            with ctrl_c_kept():
                return super().invoke(ctx)
        except BrainkitError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:  # click says "Aborted!"; another Ctrl-C must not cut the exit
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            raise

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)  # in the order given to main: that of a lesson


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]},
             commands=[*data.COMMANDS, *archs.COMMANDS, *train.COMMANDS, *hotdog.COMMANDS,
                       *bench.COMMANDS])
@click.version_option(__version__, "--version", "-V", prog_name="brainkit")
@click.option("--backend", type=click.Choice(BACKENDS, case_sensitive=False), show_envvar=True,
              envvar="KERAS_BACKEND", help="Keras backend. Default: KERAS_BACKEND, else the "
              f"first installed of {', '.join(BACKENDS)}.")
def main(backend: str | None) -> None:
    """brainkit: learn deep learning by doing.

    Train the first neural networks of the classic lessons on Fashion-MNIST, look at what
    they learned, and poke at Rosenblatt's hot-dog perceptron.

    \b
    Start here:
      brainkit show fashion_mnist     # look at the data
      brainkit train                  # train a brain, save plots and metrics
      brainkit hotdog --ketchup --mustard --no-bun
    """
    if backend:
        use_backend(backend)  # a BackendError is told in one line by _Group
