"""``brainkit archs``: list and check architectures; plugins are imported in child processes."""

import fnmatch
import json
import logging
import os
import subprocess
import sys
import traceback
from contextlib import suppress

import click

from brainkit import architectures
from brainkit.testing import check_architecture

__all__ = ["COMMANDS", "archs"]

_TIMEOUT_ENV = "BRAINKIT_PLUGIN_TIMEOUT"


def _matches(info, patterns) -> bool:  # type: ignore[no-untyped-def]
    names = (info.lookup_name, info.name, info.key)
    return not patterns or any(fnmatch.fnmatchcase(n, p) for p in patterns for n in names)


def _trace(error) -> str:  # type: ignore[no-untyped-def]
    cause = getattr(error, "__cause__", None)
    return "".join(traceback.format_exception(cause)).rstrip() if cause is not None else ""


def _details(info, arch, error) -> list[str]:  # type: ignore[no-untyped-def]
    lines = [f"entry point: {info.value}", f"location: {info.location or '(built-in table)'}"]
    if info.collision:
        lines.append(f"same name in: {', '.join(info.collision)}")
    if arch is not None:
        r = arch.recipe
        decay = (" (cosine to 0)" if r.learning_rate_schedule == "cosine" else
                 f" (x{r.learning_rate_decay:g} every {r.learning_rate_decay_steps} steps)"
                 if r.learning_rate_decay < 1 else "")
        hps = ", ".join(f"{k}={v!r}" for k, v in arch.hyperparameters.items()) or "none"
        api = arch.api_version if arch.api_version is not None else "1 (not declared)"
        lines += [
            f"hyperparameters: {hps}",
            f"recipe: {r.optimizer} lr={r.learning_rate:g}{decay}, {r.loss} on {r.output} "
            f"({r.label_encoding} labels), batch {r.batch_size}, {r.epochs} epochs, "
            f"inputs {r.input_scaling}",
            *([f"notes: {r.notes}"] if r.notes else []),
            *([f"reference: {arch.reference}"] if arch.reference else []),
            f"plugin API: {api}",
        ]
    trace = _trace(error).splitlines()
    return lines + (["traceback:", *("  " + t for t in trace)] if trace else [])


def _list(patterns: tuple[str, ...], verbose: bool) -> None:
    infos = [i for i in architectures.discover() if _matches(i, patterns)]
    if not infos:
        have = ", ".join(architectures.list_architectures(include_disabled=True)) or "none"
        click.echo(f"No architecture matches {' '.join(patterns)!r}. Installed: {have}.")
        return
    # Import third-party plugins in a child first; those that take it down are broken here too.
    for info, result in _isolated("import", [i for i in infos if not i.disabled and not i.builtin]):
        if result.get("fatal"):
            architectures.record_failure(info, result["message"])
    rows, broken = [("NAME", "SOURCE", "DESCRIPTION", [])], 0
    for info in infos:
        arch, error, status = None, None, "disabled" if info.disabled else ""
        if not info.disabled:
            try:
                arch = architectures.get(info)
            except architectures.ArchitectureError as exc:
                error, status, broken = exc, "BROKEN", broken + 1
        if not status and info.collision and not info.builtin:
            status = (f"shadowed by the built-in {info.name!r}" if "brainkit" in info.collision
                      else f"name also claimed by {', '.join(info.collision)}")
        text = str(error) if error else arch.description if arch else ""
        text = f"[{status}] {text}" if status else text
        rows.append((info.lookup_name, info.source, text, _details(info, arch, error)))
    width = [max(len(row[i]) for row in rows) for i in (0, 1)]
    for name, source, text, details in rows:
        click.echo(f"{name:<{width[0]}}  {source:<{width[1]}}  {text}")
        for line in details if verbose else ():
            click.echo(f"{'':<{width[0]}}    {line}")
    if broken and not verbose:
        click.echo(f"\n{broken} plugin(s) failed to load; `brainkit archs --verbose` shows why.")


def _check(patterns: tuple[str, ...], verbose: bool) -> bool:
    infos, targets, ok = architectures.discover(), [], True
    for pattern in patterns or ("*",):
        chosen = [i for i in infos if _matches(i, (pattern,))]
        if not chosen:
            try:
                chosen = [architectures.resolve(pattern)]
            except architectures.ArchitectureError as exc:
                click.echo(f"FAIL {pattern}: {exc}")
                ok = False
        targets += [i for i in chosen if i not in targets]
    for info in (i for i in targets if i.disabled):
        click.echo(f"SKIP {info.lookup_name} ({info.source}): disabled")
    for info, result in _isolated("check", [i for i in targets if not i.disabled]):
        failed = f"FAIL {info.lookup_name} ({info.source}) at load: {result.get('message')}"
        click.echo(result.get("report" if verbose else "summary", failed))
        if verbose and not result["ok"] and result.get("traceback"):
            click.echo(result["traceback"])
        ok = ok and result["ok"]
    return ok


def _check_here(info) -> dict:  # type: ignore[no-untyped-def,type-arg]
    report = check_architecture(info, (28, 28), 10)
    trace = _import_here(info).get("traceback", "") if report.stage == "load" else ""
    return {"ok": report.ok, "summary": report.summary(), "report": str(report), "traceback": trace}


def _import_here(info) -> dict:  # type: ignore[no-untyped-def,type-arg]
    try:
        architectures.get(info)
    except architectures.ArchitectureError as exc:
        return {"ok": False, "message": str(exc), "traceback": _trace(exc)}
    return {"ok": True}


#: Each task of a child: the work for one plugin, its default time limit, how a failure reads.
_TASKS = {"import": (_import_here, 120.0, "finish importing", "being imported"),
          "check": (_check_here, 600.0, "finish its check", "being loaded or checked")}


def _isolated(task: str, infos: list) -> list:  # type: ignore[type-arg]
    """Run ``task`` for each entry in a child, a new one after a hang or crash: (info, result)."""
    here, default, verb, doing = _TASKS[task]
    limit = 0.0
    with suppress(ValueError):
        limit = float(os.environ.get(_TIMEOUT_ENV, ""))
    limit = limit if limit > 0 else default
    # The child must see the plugins this process sees, including folders added to sys.path.
    path = os.pathsep.join(p for p in sys.path if isinstance(p, str) and p)
    env = {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "from brainkit.cli.archs import _child; _child()", task]
    results: list = []
    pending = list(infos)
    while pending:
        try:
            done = subprocess.run(command, input=json.dumps([i.key for i in pending]), env=env,
                                  stdout=subprocess.PIPE, text=True, timeout=limit * len(pending))
            out, hung = done.stdout, False
        except subprocess.TimeoutExpired as exc:  # its output so far is kept, as bytes
            out, hung = (exc.stdout or b"").decode("utf-8", "replace"), True
        except OSError:  # no child at all: done here, as when brainkit cannot start there
            out, hung = "", False
        events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        if not hung and not any("ready" in e for e in events):  # brainkit cannot start there
            return results + [(info, here(info)) for info in pending]
        for event in events:
            if pending and event.get("end") == pending[0].key:
                results.append((pending.pop(0), event))
        if pending:  # the child hung or died on this one
            message = (
                f"did not {verb} within {limit:g} s; it hangs (set {_TIMEOUT_ENV} to wait longer)."
                if hung
                else f"ended the whole process while {doing} (exit status {done.returncode}): "
                "it calls os._exit() or crashed the interpreter."
            )
            results.append((pending.pop(0), {"ok": False, "fatal": True, "message": message}))
    return results


def _child() -> None:
    """The child's side of :func:`_isolated`: read keys on stdin, print one JSON line for each."""
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # what plugins print goes to standard error
    sys.stdout = sys.stderr
    work = _TASKS[sys.argv[1]][0]
    # The parent reports every problem itself; do not print them twice as log lines.
    architectures.logger.setLevel(logging.ERROR)
    infos = {i.key: i for i in architectures.discover()}
    print(json.dumps({"ready": True}), file=results, flush=True)
    for key in json.loads(sys.stdin.read() or "[]"):
        event = work(infos[key]) if key in infos else {"ok": False, "message": "is gone."}
        print(json.dumps({"end": key, **event}), file=results, flush=True)


@click.command("archs")
@click.argument("names", nargs=-1)
@click.option("--check", is_flag=True,
              help="Build each architecture for 28x28 inputs and 10 classes and run one forward "
              "pass; print PASS/FAIL per plugin and exit with status 1 if any fails.")
@click.option("--verbose", "-v", is_flag=True, help="Show entry points, recipes and errors.")
def archs(names: tuple[str, ...], check: bool, verbose: bool) -> None:
    """List the architectures brainkit can build, and where each comes from.

    NAMES filter the list (globs such as 'm*' work, and 'distribution:name'). Architectures come
    from entry points in the group 'brainkit.architectures': brainkit's own and any installed
    plugin package's. Turn some off with BRAINKIT_DISABLE_ARCHITECTURES="name,distribution:name".
    """
    # Problems are shown in the table; do not print them twice as log lines.
    level = architectures.logger.level
    architectures.logger.setLevel(logging.ERROR)
    try:
        if check and not _check(names, verbose):
            raise SystemExit(1)
        if not check:
            _list(names, verbose)
    finally:
        architectures.logger.setLevel(level)


COMMANDS = [archs]
