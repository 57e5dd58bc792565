"""The layers of brainkit hold: what may import what, read from the source itself.

runtime -> datasets, run_folders -> architectures -> training -> testing, perceptron -> viz
-> run_figures -> cli (LAYERS below): a module imports only from its own package or from
layers below it, at the top of the file,
without reaching into another package's private modules or names. Only third-party
modules (Keras, its backends, matplotlib, PIL, ...) may be imported inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Each top-level part of brainkit, by layer: a part imports only parts of lower layers.
LAYERS = {
    "brainkit.errors": 0,
    "brainkit._version": 0,
    "brainkit._atomic": 0,
    "brainkit._notebook": 0,
    "brainkit.runtime": 1,
    "brainkit": 2,  # the package itself: cheap, it imports only what is below it
    "brainkit.images": 2,
    "brainkit.distribute": 2,
    "brainkit.datasets": 2,
    "brainkit.run_folders": 2,
    "brainkit.architectures": 3,
    "brainkit._fastfit": 3,
    "brainkit.training": 4,
    "brainkit.testing": 5,
    "brainkit.perceptron": 5,
    "brainkit.viz": 6,
    "brainkit.run_figures": 7,
    "brainkit.cli": 8,
    "brainkit.__main__": 9,
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "brainkit").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _part(module: str) -> str:
    """The top-level part of brainkit that ``module`` belongs to (a key of LAYERS)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else "brainkit"


def _imports(module: str) -> list[tuple[str, str | None, bool, int]]:
    """(imported module, imported name or None, inside a function?, line) for brainkit imports."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    inner = {
        id(node)
        for fn in ast.walk(tree)
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(fn)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + [base]
                ).strip(".")
            targets = [
                (f"{base}.{a.name}", None) if f"{base}.{a.name}" in MODULES else (base, a.name)
                for a in node.names
            ]
        else:
            continue
        for target, name in targets:
            if target == "brainkit" or target.startswith("brainkit."):
                found.append((target, name, id(node) in inner, node.lineno))
    return found


EDGES = {module: _imports(module) for module in MODULES}


def test_every_module_has_a_layer():
    assert {_part(m) for m in MODULES} <= set(LAYERS), set(map(_part, MODULES)) - set(LAYERS)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_down_the_layers(module):
    wrong = []
    for target, name, inside, line in EDGES[module]:
        here, there = _part(module), _part(target)
        where = f"{MODULES[module].relative_to(SRC)}:{line} imports {target}{'.' + name if name else ''}"
        if inside:
            wrong.append(f"{where} inside a function (import brainkit's own modules at the top)")
        if here != there and LAYERS[there] >= LAYERS[here]:
            wrong.append(f"{where}, which is not below it")
        private = [p for p in target.split(".")[2:] if p.startswith("_")]
        name_private = (name or "").startswith("_") and not (name or "").endswith("__")
        if here != there and (private or name_private):
            wrong.append(f"{where}, a private name of another package")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    graph = {m: {t for t, _, inside, _ in EDGES[m] if not inside and t in MODULES} for m in MODULES}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            # A package's __init__ importing its own submodules is how packages work; a
            # submodule importing its package back (or a sibling importing in a ring) is a cycle.
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                ring = trail[trail.index(nxt) :] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(ring))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_the_layer_test_catches_a_violation(tmp_path, monkeypatch):
    """The checks above can fail: an upward, in-function import of a private name is caught."""
    bad = tmp_path / "brainkit" / "runtime.py"
    bad.parent.mkdir()
    bad.write_text("def f():\n    from brainkit.architectures._registry import _load\n")
    monkeypatch.setitem(MODULES, "brainkit.runtime", bad)
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    found = _imports("brainkit.runtime")
    assert found == [("brainkit.architectures._registry", "_load", True, 2)]
    monkeypatch.setitem(EDGES, "brainkit.runtime", found)
    with pytest.raises(AssertionError) as caught:
        test_imports_go_down_the_layers("brainkit.runtime")
    message = str(caught.value)
    assert (
        "inside a function" in message and "not below it" in message and "private name" in message
    )


def test_cli_and_package_import_no_heavy_modules():
    """``import brainkit`` stays cheap; ``brainkit --help`` loads brainkit but no Keras or plots."""
    code = (
        "import sys, brainkit; a = set(sys.modules); import brainkit.cli; b = set(sys.modules); "
        "heavy = ('keras', 'jax', 'torch', 'tensorflow', 'matplotlib', 'PIL', 'pytest'); "
        "print(sorted(m for m in heavy if m in a), sorted(m for m in heavy if m in b), 'numpy' in a)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == "[] [] False", out.stdout
