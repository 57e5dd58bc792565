"""The tutorials as notebooks: inline figures, clean markdown, the first cell.

The notebooks themselves are executed by ``scripts/run-notebooks`` (CI), in a real
Jupyter kernel after installing a wheel of brainkit into a fresh virtual environment;
these tests cover the pieces that need no kernel.
"""

from __future__ import annotations

import sys
import types

import pytest
from matplotlib.figure import Figure

from brainkit.viz import _display


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
