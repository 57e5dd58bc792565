"""The installation and quick-start pages: every shell command on them is run in CI.

``scripts/run_doc_commands.py`` runs the pages' commands as written, in a fresh copy of
the checkout with no virtual environment active (``scripts/run-tests`` calls it after the
docs build). These tests check, without running anything heavy, that it finds every
command on the pages, that what it skips is only what needs root, and that the pages
offer routes that work without brainkit on the package index.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _runner():
    spec = importlib.util.spec_from_file_location("run_doc_commands", REPO / "scripts" / "run_doc_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_shell_block_on_the_pages_is_run():
    runner = _runner()
    script = runner.bash_script()
    for page in runner.PAGES:
        text = (REPO / page).read_text()
        declared = len(re.findall(r"^\s*\.\. code-block::\s*(?:bash|console|shell|sh)\s*$", text, re.M))
        assert len(runner.shell_blocks(text)) == declared, page
        for _, body in runner.shell_blocks(text):
            for line in body.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    assert line.strip() in script, (page, line)
    skipped = [c for _, c in runner.commands() if c in runner.NOT_RUN]
    assert skipped == ["sudo apt-get install dataset-fashion-mnist"]


def test_promised_accuracies_are_checked():
    runner = _runner()
    line = "cnn on fashion_mnist (jax): test accuracy {}, test loss 0.24, 6 epochs in 48.6 s\n"
    assert runner.unmet_promises(line.format("0.9137")) == []
    (problem,) = runner.unmet_promises(line.format("0.9087"))
    assert "quickstart.rst" in problem and "promises >= 91%, got 0.9087" in problem
    assert "no accuracy printed" in runner.unmet_promises("")[0]


def test_block_parsing():
    runner = _runner()
    text = "Intro\n\n.. code-block:: bash\n   :caption: x\n\n   one\n   two  # note\n\nAfter\n\n.. code-block:: text\n\n   out\n"
    assert runner.shell_blocks(text) == [(3, "one\ntwo  # note")]


def test_the_pages_install_without_the_package_index():
    runner = _runner()
    commands = [c for _, c in runner.commands()]
    # brainkit is not on PyPI: nothing may install it by name from there.
    assert not [c for c in commands if re.search(r"pip install [\"']?brainkit\b", c)]
    assert any(re.match(r'pip install "\.\[jax\]"', c) for c in commands)  # from the source
    assert any(c.startswith("pip install dist/brainkit-") for c in commands)  # from a wheel
    # brainkit's command is only used once a venv is activated.
    first_brainkit = next(i for i, c in enumerate(commands) if c.startswith("brainkit "))
    assert any(c.startswith("source ") and c.split()[1].endswith("/bin/activate") for c in commands[:first_brainkit])


def test_ci_runs_the_documented_commands_and_the_notebooks():
    run_tests = (REPO / "scripts" / "run-tests").read_text()
    assert "scripts/run_doc_commands.py" in run_tests
    assert "scripts/run-notebooks" in run_tests
    assert run_tests.index("sphinx-build -W") < run_tests.index("bash scripts/run-notebooks")
