"""Run every shell command of the installation and quick-start pages, as written.

The commands are the lines of the pages' ``.. code-block:: bash`` blocks, in page
order (docs/installation.rst, then docs/quickstart.rst). They run in one bash session
that stops at the first failure, in a fresh copy of this checkout (tracked and untracked
files, nothing git ignores) in a temporary folder, with none of this machine's virtual
environment on ``PATH`` and no ``KERAS_BACKEND``: a reader with a new clone. Commands
are echoed as they run (``$ command``).

A ``brainkit train --arch NAME`` command whose comment promises ``>= NN%`` must print a test
accuracy of at least NN% ("~NN%" is an approximate figure and is not checked).

Not run, each for the reason given in ``NOT_RUN``: commands that need root (.ci/run
installs the same Debian package as root). The one thing provided beforehand is
``my-shoe.jpg`` for ``brainkit predict``, which the page asks the reader to bring: a
Fashion-MNIST sneaker, enlarged and inverted to look like a photo.

Usage::

    python scripts/run_doc_commands.py            # run them (CI: scripts/run-tests)
    python scripts/run_doc_commands.py --list     # print the bash script, run nothing
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("docs/installation.rst", "docs/quickstart.rst")
SHELL_LANGUAGES = ("bash", "console", "shell", "sh")
NOT_RUN = {
    "sudo apt-get install dataset-fashion-mnist": "needs root; .ci/run installs it as root",
}
_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. code-block::[ \t]*(?P<language>\S+)[^\n]*\n", re.M)


def shell_blocks(text: str) -> list[tuple[int, str]]:
    """Return ``(line number, dedented body)`` for every shell code block of a reST page."""
    blocks = []
    for match in _BLOCK.finditer(text):
        if match.group("language") not in SHELL_LANGUAGES:
            continue
        lines = text[match.end():].split("\n")
        body: list[str] = []
        started = False
        for line in lines:
            if not line.strip():
                if started:
                    body.append("")
                continue
            if len(line) - len(line.lstrip()) <= len(match.group("indent")):
                break
            if line.lstrip().startswith(":") and not started:  # a directive option
                continue
            started = True
            body.append(line)
        lineno = text[: match.start()].count("\n") + 1
        blocks.append((lineno, textwrap.dedent("\n".join(body)).strip()))
    return blocks


def commands() -> list[tuple[str, str]]:
    """Return ``(where, command)`` for every shell command on the pages, in order."""
    found = []
    for page in PAGES:
        for lineno, body in shell_blocks((ROOT / page).read_text()):
            for offset, line in enumerate(body.splitlines()):
                if line.strip() and not line.lstrip().startswith("#"):
                    found.append((f"{page}:{lineno + 2 + offset}", line.strip()))
    return found


def bash_script() -> str:
    lines = ["set -euo pipefail"]
    for where, command in commands():
        if command in NOT_RUN:
            lines.append(f"echo {shlex.quote(f'# not run ({where}): {command}  -- {NOT_RUN[command]}')}")
            continue
        lines.append(f"echo {shlex.quote(f'$ {command}')}")
        lines.append(command)
    return "\n".join(lines) + "\n"


def unmet_promises(output: str) -> list[str]:
    """Return a message for each ``>= NN%`` train command whose printed accuracy is lower."""
    problems = []
    for where, command in commands():
        promise = re.search(r"brainkit train --arch (\S+).*#.*>= (\d+(?:\.\d+)?)%", command)
        if not promise:
            continue
        arch, percent = promise.group(1), float(promise.group(2))
        printed = re.findall(rf"^{re.escape(arch)} on \S+ \(\w+\): test accuracy ([\d.]+)",
                             output, re.M)
        if not printed or float(printed[-1]) < percent / 100:
            got = printed[-1] if printed else "no accuracy printed"
            problems.append(f"{where}: '{command}' promises >= {percent:g}%, got {got}")
    return problems


def copy_checkout(destination: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            target = destination / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode & 0o777)


def write_shoe_photo(path: Path) -> None:
    """A stand-in for the reader's own photo: a sneaker, dark on light, 280 x 280 pixels."""
    import numpy as np
    from PIL import Image

    from brainkit import datasets

    sample = datasets.load("fashion_mnist_sample")
    index = int(np.flatnonzero(sample.y_test == sample.class_names.index("Sneaker"))[0])
    image = Image.fromarray(255 - sample.x_test[index]).resize((280, 280), Image.Resampling.BICUBIC)
    image.convert("RGB").save(path, quality=90)


def student_environment() -> dict[str, str]:
    venv_bin = str(ROOT / ".venv" / "bin")
    drop = {"KERAS_BACKEND", "VIRTUAL_ENV", "PYTHONPATH", "MPLBACKEND", "PYTHONHOME", "TF_CPP_MIN_LOG_LEVEL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_PROGRESS_BAR"] = "off"
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="print the bash script and exit")
    args = parser.parse_args(argv)
    script = bash_script()
    if args.list:
        print(script, end="")
        return 0
    with tempfile.TemporaryDirectory(prefix="brainkit-doc-commands-") as work:
        checkout = Path(work) / "brainkit"
        copy_checkout(checkout)
        write_shoe_photo(checkout / "my-shoe.jpg")
        print(f"== in a fresh copy of the checkout: {checkout}", flush=True)
        done = subprocess.Popen(["bash", "-c", script], cwd=checkout, env=student_environment(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert done.stdout is not None
        output = []
        for line in done.stdout:  # shown as it comes, kept to check the pages' promises
            print(line, end="", flush=True)
            output.append(line)
        done.wait()
    if done.returncode:
        print(f"a documented command failed (exit status {done.returncode})", file=sys.stderr)
        return done.returncode
    problems = unmet_promises("".join(output))
    for problem in problems:
        print(f"a documented result was not met: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
