"""``brainkit hotdog``: Rosenblatt's hot-dog perceptron from *Deep Learning Illustrated*, ch. 6."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from brainkit import perceptron as P
from brainkit.viz.data import save_figure
from brainkit.viz.perceptron_plots import plot_decision_boundary, plot_perceptron

__all__ = ["COMMANDS"]


def _weights(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """Turn ``"6,2,3"`` into ``(6.0, 2.0, 3.0)``; the command checks the count."""
    if value is None:
        return None
    weights = []
    for part in (p.strip() for p in value.split(",")):
        try:
            weights.append(float(part))
        except ValueError:
            wrong = f"{part!r} is not a number" if part else f"{value!r} has an empty entry"
            fix = "give numbers separated by commas, e.g. 6,2,3."
            raise click.BadParameter(f"{wrong}; {fix}") from None
        if not math.isfinite(weights[-1]):
            raise click.BadParameter(f"{part!r} is not a finite number; e.g. 6,2,3.")
    return tuple(weights)


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise click.BadParameter("must be a finite number, e.g. 4.")
    return value


def _picture(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    from matplotlib.figure import Figure
    suffix = "" if value is None else value.suffix.lower().lstrip(".")
    if value is not None and suffix not in Figure().canvas.get_supported_filetypes():
        raise click.BadParameter(f"cannot save a picture as {value.name!r}; end the name with "
                                 ".png (or .svg, .pdf).")
    return value


@click.command("hotdog")
@click.option("--ketchup/--no-ketchup", default=False, help="Is there ketchup? (default: no)")
@click.option("--mustard/--no-mustard", default=False, help="Is there mustard? (default: no)")
@click.option("--bun/--no-bun", default=False, help="Is there a bun? (default: no)")
@click.option("--weights", callback=_weights, metavar="W1,W2,W3",
              help="Weights for ketchup, mustard, bun. Default: the book's 6,2,3. With --learn: "
              "the starting weights (default: zeros, or random with --seed).")
@click.option("--threshold", type=float, callback=_finite,
              help="Output 1 when the weighted sum is strictly greater than this. Default: 4. "
              "With --learn: the starting threshold, i.e. minus the starting bias (default 0).")
@click.option("--learn", is_flag=True, help="Learn weights from the 8-row truth table with "
              "Rosenblatt's rule, printing every update (--ketchup/--mustard/--bun unused).")
@click.option("--xor", is_flag=True,
              help="Try to learn XOR instead (implies --learn): a perceptron cannot.")
@click.option("--epochs", type=click.IntRange(min=1), default=100, show_default=True,
              help="With --learn: at most this many passes over the data.")
@click.option("--learning-rate", type=float, default=1.0, show_default=True,
              help="With --learn: size of each nudge (> 0).")
@click.option("--seed", type=click.IntRange(min=0),
              help="With --learn: start from random weights drawn with this seed.")
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), callback=_picture,
              metavar="PATH.png", help="Save a picture: the perceptron diagram, or with --learn "
              "the decision boundary while learning.")
def hotdog(ketchup: bool, mustard: bool, bun: bool, weights: tuple[float, ...] | None,
           threshold: float | None, learn: bool, xor: bool, epochs: int, learning_rate: float,
           seed: int | None, plot: Path | None) -> None:
    """Ask the hot-dog perceptron of Deep Learning Illustrated (ch. 6).

    Three yes/no inputs, ketchup, mustard and bun, weighted 6, 2 and 3: "hot dog" when the
    weighted sum is strictly greater than the threshold 4. The command walks through the
    arithmetic, in the threshold form and in the bias form z = w.x + b with b = -threshold.

    \b
    Examples:
      brainkit hotdog --ketchup --mustard --no-bun
      brainkit hotdog --mustard --weights 6,2,3 --threshold 4
      brainkit hotdog --ketchup --plot hotdog.png
      brainkit hotdog --learn --seed 1 --plot learning.png
      brainkit hotdog --xor
    """
    learn = learn or xor
    names = ("x1", "x2") if xor else P.HOTDOG_INPUTS
    if learn and not (math.isfinite(learning_rate) and learning_rate > 0):
        hint = "'--learning-rate'"
        raise click.BadParameter("must be a number greater than 0, e.g. 1.", param_hint=hint)
    if weights is not None and len(weights) != len(names):
        n = len(names)
        raise click.BadParameter(f"needs {n} numbers, one per input ({', '.join(names)}), got "
                                 f"{len(weights)}; e.g. --weights {','.join('623'[:n])}.",
                                 param_hint="'--weights'")
    if not learn:
        t = P.BOOK_THRESHOLD if threshold is None else threshold
        p = P.Perceptron(weights or P.BOOK_WEIGHTS, t)
        x = [int(ketchup), int(mustard), int(bun)]
        click.echo(f"{p.explain(x)}\n\nVerdict: {p.verdict(x).upper()}")
        if plot is not None:  # a FigureError says why and what to do
            click.echo(f"wrote {save_figure(plot_perceptron(p, x), plot)}")
        return
    X, y = P.xor_data() if xor else P.hotdog_truth_table()
    data = "the hot-dog truth table (8 rows, labelled by the book's perceptron)"
    data = "XOR (1 when exactly one input is 1)" if xor else data
    click.echo(f"Learning {data} with Rosenblatt's perceptron rule.")
    result = P.train_perceptron(X, y, learning_rate=learning_rate, epochs=epochs, seed=seed,
                                initial_weights=weights,
                                initial_bias=None if threshold is None else -threshold)
    rule = "w <- w + rate * (target - output) * x,  b <- b + rate * (target - output)"
    click.echo(f"After each mistake: {rule}\n")
    for u in result.updates:
        click.echo("  " + u.describe(result.input_names))
    if not result.updates:
        click.echo("  (no updates: the starting weights already get every example right)")
    click.echo(f"\n{result.summary()}\n")
    done = "The learned perceptron on the data:"
    click.echo(done if result.converged else "The final weights on the data (NO marks a mistake):")
    click.echo(P.format_table(result.perceptron, X, y, show_sigmoid=False))
    if plot is not None:
        click.echo(f"wrote {save_figure(plot_decision_boundary(result), plot)}")


COMMANDS = [hotdog]
