"""``brainkit hotdog``: Rosenblatt's hot-dog perceptron from *Deep Learning Illustrated*, ch. 6.

Only click is imported at module level; NumPy, matplotlib and
:mod:`brainkit.perceptron` are imported when the command runs.
"""

from __future__ import annotations

import math
from pathlib import Path

import click

__all__ = ["COMMANDS"]


def _parse_weights(ctx: click.Context, param: click.Parameter, value: str | None):  # type: ignore[no-untyped-def]
    """Turn ``"6,2,3"`` into ``(6.0, 2.0, 3.0)``; the count is checked later."""
    if value is None:
        return None
    parts = [p.strip() for p in value.split(",")]
    if any(p == "" for p in parts):
        raise click.BadParameter(
            f"{value!r} has an empty entry; give numbers separated by commas, e.g. 6,2,3."
        )
    weights = []
    for part in parts:
        try:
            number = float(part)
        except ValueError:
            raise click.BadParameter(
                f"{part!r} is not a number; give numbers separated by commas, e.g. 6,2,3."
            ) from None
        if not math.isfinite(number):
            raise click.BadParameter(f"{part!r} is not a finite number; e.g. 6,2,3.")
        weights.append(number)
    return tuple(weights)


@click.command("hotdog")
@click.option("--ketchup/--no-ketchup", default=False, help="Is there ketchup? (default: no)")
@click.option("--mustard/--no-mustard", default=False, help="Is there mustard? (default: no)")
@click.option("--bun/--no-bun", default=False, help="Is there a bun? (default: no)")
@click.option(
    "--weights",
    callback=_parse_weights,
    metavar="W1,W2,W3",
    default=None,
    help="Weights for ketchup, mustard, bun. Default: the book's 6,2,3. "
    "With --learn: the starting weights (default: zeros, or random with --seed).",
)
@click.option(
    "--threshold",
    type=float,
    default=None,
    help="Output 1 when the weighted sum is strictly greater than this. Default: 4. "
    "With --learn: the starting threshold, i.e. minus the starting bias (default 0).",
)
@click.option(
    "--learn",
    is_flag=True,
    help="Learn weights from the 8-row truth table with Rosenblatt's rule "
    "(--ketchup/--mustard/--bun are not used).",
)
@click.option(
    "--xor", is_flag=True, help="Try to learn XOR instead (implies --learn): a perceptron cannot."
)
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="With --learn: at most this many passes over the data.",
)
@click.option(
    "--learning-rate",
    type=float,
    default=1.0,
    show_default=True,
    help="With --learn: size of each nudge (> 0).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="With --learn: start from random weights drawn with this seed.",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="PATH.png",
    help="Save a picture: the perceptron diagram, or with --learn the decision boundary while learning.",
)
def hotdog(
    ketchup: bool,
    mustard: bool,
    bun: bool,
    weights: tuple[float, ...] | None,
    threshold: float | None,
    learn: bool,
    xor: bool,
    epochs: int,
    learning_rate: float,
    seed: int | None,
    plot: Path | None,
) -> None:
    """Ask the hot-dog perceptron of Deep Learning Illustrated (ch. 6).

    Three yes/no inputs, ketchup, mustard and bun, weighted 6, 2 and 3:
    "hot dog" when the weighted sum is strictly greater than the threshold 4.
    The command walks through the arithmetic, in the threshold form and in
    the bias form z = w.x + b with b = -threshold.

    With --learn it instead learns weights from the 8 possible inputs, labelled
    by the book's perceptron, using Rosenblatt's rule (w += rate * (target -
    output) * x after each mistake), and prints every update. --xor shows the
    classic failure: no single perceptron can learn XOR.

    \b
    Examples:
      brainkit hotdog --ketchup --mustard --no-bun
      brainkit hotdog --mustard --weights 6,2,3 --threshold 4
      brainkit hotdog --ketchup --plot hotdog.png
      brainkit hotdog --learn --seed 1 --plot learning.png
      brainkit hotdog --xor
    """
    from brainkit.perceptron import PerceptronError

    if plot is not None:
        _check_plot_path(plot)
    try:
        if learn or xor:
            _learn(weights, threshold, xor, epochs, learning_rate, seed, plot)
        else:
            _ask(ketchup, mustard, bun, weights, threshold, plot)
    except PerceptronError as exc:
        raise click.ClickException(str(exc)) from exc


def _check_count(weights: tuple[float, ...] | None, n: int, names: str) -> None:
    if weights is not None and len(weights) != n:
        raise click.BadParameter(
            f"needs {n} numbers, one per input ({names}), got {len(weights)}; "
            f"e.g. --weights {','.join(['6', '2', '3'][:n])}.",
            param_hint="'--weights'",
        )


def _check_threshold(threshold: float | None) -> None:
    if threshold is not None and not math.isfinite(threshold):
        raise click.BadParameter("must be a finite number, e.g. 4.", param_hint="'--threshold'")


def _check_plot_path(plot: Path) -> None:
    from matplotlib.figure import Figure

    kinds = Figure().canvas.get_supported_filetypes()
    suffix = plot.suffix.lower().lstrip(".")
    if suffix not in kinds:
        raise click.BadParameter(
            f"cannot save a picture as {plot.name!r}; end the name with .png (or .svg, .pdf).",
            param_hint="'--plot'",
        )


def _save(fig, plot: Path) -> None:  # type: ignore[no-untyped-def]
    from brainkit.viz.data import save_figure

    try:
        path = save_figure(fig, plot)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"Could not save the picture to {plot}: {exc}") from exc
    click.echo(f"wrote {path}")


def _ask(
    ketchup: bool,
    mustard: bool,
    bun: bool,
    weights: tuple[float, ...] | None,
    threshold: float | None,
    plot: Path | None,
) -> None:
    from brainkit.perceptron import BOOK_THRESHOLD, BOOK_WEIGHTS, Perceptron

    _check_count(weights, 3, "ketchup, mustard, bun")
    _check_threshold(threshold)
    p = Perceptron(weights or BOOK_WEIGHTS, BOOK_THRESHOLD if threshold is None else threshold)
    x = [int(ketchup), int(mustard), int(bun)]
    click.echo(p.explain(x))
    click.echo("")
    verdict = p.verdict(x)
    click.echo(f"Verdict: {verdict.upper()}")
    if plot is not None:
        from brainkit.viz.perceptron_plots import plot_perceptron

        _save(plot_perceptron(p, x), plot)


def _learn(
    weights: tuple[float, ...] | None,
    threshold: float | None,
    xor: bool,
    epochs: int,
    learning_rate: float,
    seed: int | None,
    plot: Path | None,
) -> None:
    from brainkit.perceptron import (
        format_table,
        hotdog_truth_table,
        train_perceptron,
        xor_data,
    )

    _check_threshold(threshold)
    if not (math.isfinite(learning_rate) and learning_rate > 0):
        raise click.BadParameter(
            "must be a number greater than 0, e.g. 1.", param_hint="'--learning-rate'"
        )
    if xor:
        X, y = xor_data()
        _check_count(weights, 2, "x1, x2")
        click.echo(
            "Learning XOR (1 when exactly one input is 1) with Rosenblatt's perceptron rule."
        )
    else:
        X, y = hotdog_truth_table()
        _check_count(weights, 3, "ketchup, mustard, bun")
        click.echo(
            "Learning the hot-dog truth table (8 rows, labelled by the book's perceptron) "
            "with Rosenblatt's perceptron rule."
        )
    initial_bias = None if threshold is None else -threshold
    if weights is None and initial_bias is not None and seed is None:
        weights = tuple(0.0 for _ in range(X.shape[1]))
    result = train_perceptron(
        X,
        y,
        learning_rate,
        epochs,
        seed,
        initial_weights=weights,
        initial_bias=initial_bias,
    )
    click.echo(
        "After each mistake: w <- w + rate * (target - output) * x,  b <- b + rate * (target - output)"
    )
    click.echo("")
    for u in result.updates:
        click.echo("  " + u.describe(result.input_names))
    if not result.updates:
        click.echo("  (no updates: the starting weights already get every example right)")
    click.echo("")
    click.echo(result.summary())
    click.echo("")
    click.echo(
        "The learned perceptron on the data:"
        if result.converged
        else "The final weights on the data (NO marks a mistake):"
    )
    click.echo(format_table(result.perceptron, X, y, show_sigmoid=False))
    if plot is not None:
        from brainkit.viz.perceptron_plots import plot_decision_boundary

        _save(plot_decision_boundary(result), plot)


COMMANDS = [hotdog]
