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
    _probe_imports([i for i in infos if not i.disabled and not i.builtin])
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
    from brainkit.architectures.testing import CheckReport

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
    enabled = [i for i in targets if not i.disabled]
    for info, result in _isolated("check", enabled, in_process=_check_here):
        fields = result.get("report")
        if fields is not None:
            shape = fields.get("output_shape")
            report = CheckReport(**{
                **fields, "warnings": tuple(fields["warnings"]),
                "output_shape": tuple(shape) if shape is not None else None,
            })
        else:
            report = CheckReport(info.lookup_name, info.source, False, "load", result["message"])
        click.echo(str(report) if verbose else report.summary())
        if verbose and not report.ok and result.get("traceback"):
            click.echo(result["traceback"].rstrip())
        ok = ok and report.ok
    return ok


def _check_here(info) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Check one architecture in this process (the child's work, or the fallback)."""
    import dataclasses

    from brainkit.architectures.testing import check_architecture

    report = check_architecture(info, (28, 28), 10)
    failure = info.error
    return {
        "ok": report.ok, "report": dataclasses.asdict(report),
        "traceback": failure.traceback if failure is not None else None,
    }


def _import_here(info) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Import one plugin in this process; a plugin's failure is recorded by the registry."""
    from brainkit import architectures as A

    try:
        A.get(info)
    except A.ArchitectureError as exc:
        return {"ok": False, "message": str(exc)}
    return {"ok": True}


# ------------------------------------------------------------ plugins run in child processes
#
# Plugin code can do what no try/except catches: call os._exit(), crash the
# interpreter, hang. So `archs --check` checks every architecture in a child
# process, and the listing imports third-party plugins in a child before
# importing them here. One child serves all the plugins in turn; when a plugin
# takes it down, that plugin is reported as failed and a new child goes on
# with the rest. The child talks over its original standard output (one JSON
# line per event); whatever plugins print goes to standard error.

_TIMEOUT_ENV = "BRAINKIT_PLUGIN_TIMEOUT"
_TIMEOUTS = {"import": 120.0, "check": 600.0}


def _timeout(task: str) -> float:
    import os

    try:
        value = float(os.environ.get(_TIMEOUT_ENV, ""))
    except ValueError:
        return _TIMEOUTS[task]
    return value if value > 0 else _TIMEOUTS[task]


def _child_command(task: str) -> list[str]:
    import sys

    return [sys.executable, "-c", "from brainkit.cli.archs import _child_main; _child_main()", task]


def _child_env() -> dict[str, str]:
    import os
    import sys

    env = dict(os.environ)
    # The child must see the plugins this process sees, including folders added to sys.path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if isinstance(p, str) and p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _isolated(task: str, infos: list, in_process) -> list:  # type: ignore[no-untyped-def,type-arg]
    """Run ``task`` ("import" or "check") for each entry in child processes; return (info, result).

    If no child can be started at all (no usable interpreter), ``in_process``
    does the work here instead, as brainkit did before plugins were isolated.
    """
    import json
    import queue
    import subprocess
    import threading
    import time

    results: list = []
    pending = list(infos)
    limit = _timeout(task)
    while pending:
        try:
            child = subprocess.Popen(
                _child_command(task), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                env=_child_env(), text=True, encoding="utf-8", errors="replace",
            )
        except OSError:
            return results + [(info, in_process(info)) for info in pending]
        lines: queue.Queue = queue.Queue()

        def read(stream=child.stdout, sink=lines):  # type: ignore[no-untyped-def]
            for line in stream:
                sink.put(line)
            sink.put(None)

        threading.Thread(target=read, daemon=True).start()
        try:
            child.stdin.write(json.dumps([i.key for i in pending]) + "\n")
            child.stdin.close()
        except OSError:
            pass
        ready = False
        deadline = time.monotonic() + limit
        died = False
        while pending:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                child.kill()
                info = pending.pop(0)
                verb = "finish importing" if task == "import" else "finish its check"
                results.append((info, {"ok": False, "fatal": True, "message": (
                    f"did not {verb} within {limit:g} s; it hangs (set {_TIMEOUT_ENV} to wait longer)."
                )}))
                died = True
                break
            if line is None:  # the child is gone
                code = child.wait()
                if not ready:  # it never got to the plugins: brainkit itself cannot start there
                    return results + [(info, in_process(info)) for info in pending]
                info = pending.pop(0)
                doing = "being imported" if task == "import" else "being loaded or checked"
                results.append((info, {"ok": False, "fatal": True, "message": (
                    f"ended the whole process while {doing} (exit status {code}): it calls "
                    "os._exit() or crashed the interpreter."
                )}))
                died = True
                break
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if "ready" in event:
                ready = True
            elif "begin" in event:
                deadline = time.monotonic() + limit
            elif "end" in event and pending and event["end"] == pending[0].key:
                results.append((pending.pop(0), event))
        if not died:
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        else:
            child.wait()
    return results


def _child_main() -> None:
    """The child's side of :func:`_isolated`: read keys on stdin, report one JSON line per event."""
    import json
    import os
    import sys

    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # what plugins print goes to standard error
    sys.stdout = sys.stderr
    task = sys.argv[1]
    keys = json.loads(sys.stdin.readline() or "[]")

    import logging

    from brainkit import architectures as A

    # The parent reports every problem itself; do not print them twice as log lines.
    logging.getLogger("brainkit.architectures").setLevel(logging.ERROR)
    infos = {i.key: i for i in A.discover()}
    work = _import_here if task == "import" else _check_here

    def say(event: dict) -> None:  # type: ignore[type-arg]
        proto.write(json.dumps(event) + "\n")
        proto.flush()

    say({"ready": True})
    for key in keys:
        say({"begin": key})
        info = infos.get(key)
        if info is None:
            say({"end": key, "ok": False, "message": "is no longer installed."})
            continue
        say({"end": key, **work(info)})


def _probe_imports(infos: list) -> None:  # type: ignore[type-arg]
    """Import third-party plugins in a child first; record those that took it down as broken."""
    from brainkit.architectures._registry import mark_failed

    pending = [i for i in infos if i.error is None]
    if not pending:
        return
    for info, result in _isolated("import", pending, in_process=_import_here):
        if result.get("fatal"):
            mark_failed(info, result["message"])


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
