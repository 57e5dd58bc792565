"""The tutorials as notebooks: inline figures, clean markdown, the first cell.

The notebooks themselves are executed by ``scripts/run-notebooks`` (CI), in a real
Jupyter kernel after installing a wheel of brainkit into a fresh virtual environment;
these tests cover the pieces that need no kernel.
"""

from __future__ import annotations

import ast
import base64
import importlib.util
import io
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from brainkit import _notebook as _display


class _Formatter:
    """The part of IPython's display formatters that brainkit uses."""

    def __init__(self):
        self.deferred_printers = {}
        self.type_printers = {}

    def for_type_by_name(self, module, name, func):
        self.deferred_printers[(module, name)] = func


def _fake_ipython(monkeypatch, shell):
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", module)


def test_inline_figures_registered_in_a_kernel(monkeypatch):
    formatters = {"image/png": _Formatter(), "text/plain": _Formatter()}
    shell = types.SimpleNamespace(display_formatter=types.SimpleNamespace(formatters=formatters))
    _fake_ipython(monkeypatch, shell)
    assert _display.enable_inline_figures()
    printer = formatters["image/png"].deferred_printers[("matplotlib.figure", "Figure")]
    assert printer is _display._figure_png
    # Registered once; a second call (or %matplotlib inline before) leaves it alone.
    assert not _display.enable_inline_figures()


def test_a_chosen_figure_format_is_respected(monkeypatch):
    formatters = {"image/png": _Formatter(), "image/svg+xml": _Formatter()}
    formatters["image/svg+xml"].type_printers[Figure] = lambda fig: "<svg/>"
    shell = types.SimpleNamespace(display_formatter=types.SimpleNamespace(formatters=formatters))
    _fake_ipython(monkeypatch, shell)
    assert not _display.enable_inline_figures()
    assert not formatters["image/png"].deferred_printers


@pytest.mark.parametrize("shell", [None, object()])
def test_nothing_happens_outside_a_kernel(monkeypatch, shell):
    _fake_ipython(monkeypatch, shell)
    assert not _display.enable_inline_figures()
    monkeypatch.delitem(sys.modules, "IPython")
    assert not _display.enable_inline_figures()


def test_figure_png_is_a_png():
    pytest.importorskip("IPython")
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1], [1, 0])
    assert _display._figure_png(fig).startswith(b"\x89PNG\r\n\x1a\n")


# ------------------------------------------------------------------ the notebooks' sources

REPO = Path(__file__).resolve().parents[1]


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _string_constants(path: Path) -> dict[str, str]:
    """The module-level ``NAME = "..."`` string assignments of a Python file, unexecuted."""
    constants = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            if isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        constants[target.id] = node.value.value
    return constants


def test_the_plugin_tutorial_writes_the_example_package():
    """Tutorial 7 writes its plugin itself (it runs from a download); it is the repo's example."""
    written = _string_constants(REPO / "gallery" / "plot_07_writing_a_plugin.py")
    example = REPO / "examples" / "plugin-package"
    assert written["LENET_PY"] == (example / "src" / "brainkit_lenet" / "lenet.py").read_text()
    assert written["INIT_PY"] == (example / "src" / "brainkit_lenet" / "__init__.py").read_text()
    full = (example / "pyproject.toml").read_text().splitlines()
    assert all(line in full for line in written["PYPROJECT_TOML"].splitlines())
    assert 'lenet5 = "brainkit_lenet.lenet:lenet5"' in written["PYPROJECT_TOML"]


def _first_cell() -> str:
    return _string_constants(REPO / "docs" / "conf.py")["FIRST_NOTEBOOK_CELL"]


def test_first_notebook_cell_is_harmless_where_brainkit_is_installed(tmp_path):
    run = subprocess.run([sys.executable, "-c", _first_cell()], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("brainkit ") and "pip install" not in run.stdout


def test_first_notebook_cell_says_how_when_brainkit_is_missing(tmp_path):
    # -S: no site-packages, so no brainkit (the cell needs only the standard library to get there)
    run = subprocess.run([sys.executable, "-S", "-c", _first_cell()], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "BRAINKIT_WHEEL"})
    assert run.returncode != 0
    assert "not on PyPI yet" in run.stderr and "BRAINKIT_WHEEL" in run.stderr


def test_sphinx_roles_become_plain_text_in_notebooks():
    conf = (REPO / "docs" / "conf.py").read_text()
    namespace: dict = {}
    # Only the conversion, not the whole configuration (which sets KERAS_BACKEND, imports brainkit).
    start, end = conf.index("_ROLE = re.compile"), conf.index("def _plain_roles_in_notebooks")
    exec("import re\n" + conf[start:end], namespace)
    convert = namespace["notebook_rst"]
    assert convert(":func:`brainkit.train`") == "``brainkit.train()``"
    assert convert(":func:`~brainkit.architectures.get`") == "``get()``"
    assert convert(":class:`~brainkit.architectures.Recipe`") == "``Recipe``"
    assert convert(":mod:`brainkit.architectures.testing`") == "``brainkit.architectures.testing``"
    assert convert(":ref:`the first tutorial <tutorial-building-a-brain>`") == "the first tutorial"
    assert convert(":doc:`plugin author guide </plugins>`") == "plugin author guide"
    assert convert(":math:`x^2`") == ":math:`x^2`"  # sphinx-gallery makes it $x^2$
    assert convert("the rule::\n\n    w <- w + x\n") == "the rule:\n\n    w <- w + x\n"
    check = _load_script("check_notebooks")
    for gallery in sorted((REPO / "gallery").glob("plot_*.py")):
        text = convert(gallery.read_text())
        leftover = [p for p in check.markup_problems(text)
                    if ("role" in p and ":math:" not in p) or "literal-block" in p]
        assert not leftover, (gallery.name, leftover)


def test_the_notebook_check_finds_text_figures_and_markup():
    check = _load_script("check_notebooks")
    text_figure = {"output_type": "execute_result",
                   "data": {"text/plain": "<Figure size 800x720 with 20 Axes>"}}
    problems, images = check.output_problems(text_figure)
    assert problems and images == 0
    fig = Figure(figsize=(2, 2))
    fig.subplots().plot([0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    png = {"output_type": "display_data",
           "data": {"text/plain": "<Figure size 200x200 with 1 Axes>",
                    "image/png": base64.b64encode(buffer.getvalue()).decode()}}
    assert check.output_problems(png) == ([], 1)
    stray = {"output_type": "execute_result", "data": {"text/plain": "Text(0.5, 1.0, 'a title')"}}
    assert check.output_problems(stray)[0]
    noise = {"output_type": "stream", "name": "stderr",
             "text": "I0000 00:00:1.2  4176 port.cc:153] oneDNN custom operations are on."}
    assert check.output_problems(noise)[0]
    assert check.markup_problems("See :func:`brainkit.train`.\n\n.. note::\n   hi")
    assert check.markup_problems("the `first tutorial <tutorial-building-a-brain>`")
    assert not check.markup_problems("Use ``brainkit.train()``, see [the docs](https://x.org).")
