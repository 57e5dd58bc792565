"""``brainkit archs``: list the installed architectures and check that they work."""

from __future__ import annotations

import click

__all__ = ["COMMANDS", "archs"]


def _matches(info, patterns):  # type: ignore[no-untyped-def]
    import fnmatch

    if not patterns:
        return True
    return any(
        fnmatch.fnmatchcase(candidate, p)
        for p in patterns
        for candidate in (info.lookup_name, info.name, info.key)
    )


def _status(info, failure):  # type: ignore[no-untyped-def]
    if info.disabled:
        return "disabled"
    if failure is not None:
        return "BROKEN"
    if info.shadowed:
        return f"shadowed by the built-in {info.name!r}"
    if info.ambiguous:
        return f"name also claimed by {', '.join(info.collision)}"
    return ""


def _list(patterns: tuple[str, ...], verbose: bool) -> None:
    from brainkit import architectures as A

    infos = [i for i in A.discover() if _matches(i, patterns)]
    if not infos:
        have = ", ".join(A.list_architectures(include_disabled=True)) or "none"
        click.echo(f"No architecture matches {' '.join(patterns)!r}. Installed: {have}.")
        return
    rows = []
    details: dict[str, list[str]] = {}
    for info in infos:
        arch, failure = None, None
        if not info.disabled:
            try:
                arch = A.get(info)
            except A.ArchitectureError:
                failure = info.error
        description = arch.description if arch is not None else ""
        if failure is not None:
            description = failure.message
        status = _status(info, failure)
        rows.append((info.lookup_name, info.source, description, status))
        lines = [f"entry point: {info.value}", f"location: {info.location or '(built-in table)'}"]
        if info.collision:
            lines.append(f"same name in: {', '.join(info.collision)}")
        if arch is not None:
            hps = ", ".join(f"{k}={v!r}" for k, v in arch.hyperparameters.items()) or "none"
            r = arch.recipe
            decay = ""
            if r.learning_rate_decay < 1:
                decay = f" (x{r.learning_rate_decay:g} every {r.learning_rate_decay_steps} steps)"
            lines += [
                f"hyperparameters: {hps}",
                f"recipe: {r.optimizer} lr={r.learning_rate:g}{decay}, {r.loss} on {r.output} "
                f"({r.label_encoding} labels), batch {r.batch_size}, {r.epochs} epochs, "
                f"inputs {r.input_scaling}",
            ]
            if r.notes:
                lines.append(f"notes: {r.notes}")
            if arch.reference:
                lines.append(f"reference: {arch.reference}")
        if failure is not None and failure.traceback:
            lines.append("traceback:")
            lines += ["  " + t for t in failure.traceback.rstrip().splitlines()]
        details[info.key] = lines

    width_name = max(len("NAME"), *(len(r[0]) for r in rows))
    width_src = max(len("SOURCE"), *(len(r[1]) for r in rows))
    click.echo(f"{'NAME':<{width_name}}  {'SOURCE':<{width_src}}  DESCRIPTION")
    for info, (name, source, description, status) in zip(infos, rows, strict=True):
        note = f"[{status}] " if status else ""
        click.echo(f"{name:<{width_name}}  {source:<{width_src}}  {note}{description}")
        if verbose:
            for line in details[info.key]:
                click.echo(f"{'':<{width_name}}    {line}")
    broken = sum(1 for r in rows if r[3] == "BROKEN")
    if broken and not verbose:
        click.echo(
            f"\n{broken} plugin(s) failed to load; run `brainkit archs --verbose` for details."
        )


def _check(patterns: tuple[str, ...], verbose: bool) -> bool:
    from brainkit import architectures as A
    from brainkit.architectures.testing import check_architecture

    infos = A.discover()
    targets: list = []  # EntryInfo, in order, once each
    ok = True
    for pattern in patterns or ("*",):
        chosen = [i for i in infos if _matches(i, (pattern,))]
        if not chosen:
            try:
                chosen = [A.resolve(pattern)]
            except A.ArchitectureError as exc:
                click.echo(f"FAIL {pattern}: {exc}")
                ok = False
                continue
        targets += [i for i in chosen if i not in targets]
    for info in targets:
        if info.disabled:
            click.echo(f"SKIP {info.lookup_name} ({info.source}): disabled")
            continue
        report = check_architecture(info, (28, 28), 10)
        click.echo(str(report) if verbose else report.summary())
        if verbose and not report.ok and info.error is not None and info.error.traceback:
            click.echo(info.error.traceback.rstrip())
        ok = ok and report.ok
    return ok


@click.command("archs")
@click.argument("names", nargs=-1)
@click.option(
    "--check",
    is_flag=True,
    help="Build each architecture for 28x28 inputs and 10 classes and run one forward pass; "
    "print PASS/FAIL per plugin and exit with status 1 if any fails.",
)
@click.option("--verbose", "-v", is_flag=True, help="Show entry points, recipes and errors.")
def archs(names: tuple[str, ...], check: bool, verbose: bool) -> None:
    """List the architectures brainkit can build, and where each comes from.

    NAMES filter the list (globs such as 'm*' work, and 'distribution:name').
    Architectures come from entry points in the group 'brainkit.architectures':
    brainkit's own and those of any installed plugin package. Turn some off
    with BRAINKIT_DISABLE_ARCHITECTURES="name,distribution:name".

    \b
    Examples:
      brainkit archs
      brainkit archs --verbose
      brainkit archs --check
      brainkit archs --check cnn lenet5
    """
    import logging

    # Problems are shown in the table; do not print them twice as log lines.
    logger = logging.getLogger("brainkit.architectures")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        if check:
            if not _check(names, verbose):
                raise SystemExit(1)
        else:
            _list(names, verbose)
    finally:
        logger.setLevel(level)


COMMANDS = [archs]
