"""Execute the tutorial notebooks the way students do, and check what they show.

Run it with the Python of the environment to test (it needs nbclient, nbformat and
ipykernel there; the kernel is that environment's ``python3``)::

    /tmp/venv/bin/python scripts/check_notebooks.py docs/auto_gallery/*.ipynb --out executed/

Each notebook runs top to bottom in a real Jupyter kernel, in a new empty folder
(``--with FILE`` copies a file there first, e.g. a brainkit wheel for the first cell
to install), with none of the build's settings (``KERAS_BACKEND``, ``MPLBACKEND``,
``PYTHONPATH``) in the environment. A notebook fails on:

* any cell that raises;
* a figure shown as text only (an output with ``<Figure ...>`` and no ``image/png``),
  or a matplotlib object's repr (``Text(...)``, ``<matplotlib.colorbar...>``) as a result;
* an ``image/png`` that does not decode;
* raw reST or Sphinx markup in a markdown cell (``:func:`...```, ``.. directive::``,
  a leftover ``:ref:`` target);
* TensorFlow's native log lines (``oneDNN``, absl's notice) in any output.

The executed notebooks are written to ``--out`` (read them), with a summary line per
notebook; the exit status is 1 when any notebook failed.
"""

from __future__ import annotations

import argparse
import base64
import io
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

RAW_MARKUP = [
    (re.compile(r":[a-z]+(?::[a-z]+)?:`[^`]+`"), "a Sphinx role"),
    (re.compile(r"^\s*\.\. [a-z][a-z-]*::", re.M), "a reST directive"),
    (re.compile(r"(?<!`)`[^`\n]+ <[^`\n>]+>`(?!`)"), "a :ref: target left in"),
    (re.compile(r"^\s*\.\. _[^:]+:\s*$", re.M), "a reST label"),
    (re.compile(r"\S::[ \t]*$", re.M), "a reST literal-block marker"),
]
TEXT_FIGURE = re.compile(r"<(?:matplotlib\.figure\.)?Figure size [^>]*>|^Figure\(\d+x\d+\)$", re.M)
# What a plotting call returns, left as a cell's last line (sphinx-gallery hides it; Jupyter
# does not): "<matplotlib.colorbar.Colorbar at 0x...>", "Text(0.5, 1.0, 'title')".
MATPLOTLIB_REPR = re.compile(r"<matplotlib\.|(?:Text|Line2D|Legend)\(|\[<matplotlib\.")
NATIVE_NOISE = re.compile(r"oneDNN custom operations|absl::InitializeLog|cpu_feature_guard")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def markup_problems(source: str) -> list[str]:
    """Return what is left of reST/Sphinx markup in a markdown cell's source."""
    problems = []
    for pattern, what in RAW_MARKUP:
        for match in pattern.finditer(source):
            problems.append(f"{what}: {match.group(0).strip()!r}")
    return problems


def output_problems(output: dict) -> tuple[list[str], int]:
    """Return the problems of one code-cell output and how many images it holds."""
    problems: list[str] = []
    images = 0
    kind = output.get("output_type")
    if kind == "stream":
        text = _text(output.get("text", ""))
        if NATIVE_NOISE.search(text):
            problems.append(f"native log lines in {output.get('name')}: {text.strip()[:160]!r}")
        if TEXT_FIGURE.search(text):
            problems.append(f"a figure printed as text: {TEXT_FIGURE.search(text).group(0)!r}")
        return problems, images
    data = output.get("data", {})
    plain = _text(data.get("text/plain", ""))
    if "image/png" in data:
        raw = base64.b64decode(_text(data["image/png"]))
        problems.extend(png_problems(raw))
        images += 1
    elif TEXT_FIGURE.search(plain):
        problems.append(f"a figure without image/png: {plain.strip()[:80]!r}")
    elif kind == "execute_result" and MATPLOTLIB_REPR.match(plain.strip()):
        problems.append(f"a matplotlib object's repr as a cell's result: {plain.strip()[:80]!r}")
    return problems, images


def png_problems(raw: bytes) -> list[str]:
    if not raw.startswith(PNG_MAGIC):
        return ["an image/png output that is not a PNG"]
    from PIL import Image

    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.load()
            if image.width < 50 or image.height < 50:
                return [f"a suspiciously small image ({image.width}x{image.height})"]
    except Exception as error:  # noqa: BLE001 - any decoding failure is the finding
        return [f"an image/png that does not decode: {error}"]
    return []


def notebook_problems(nb) -> tuple[list[str], int]:
    problems: list[str] = []
    images = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            problems.extend(f"cell {index}: {p}" for p in markup_problems(cell.source))
        elif cell.cell_type == "code":
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    problems.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
                found, count = output_problems(output)
                problems.extend(f"cell {index}: {p}" for p in found)
                images += count
    return problems, images


def student_environment() -> dict[str, str]:
    """The environment a student's kernel would have: none of the build's settings."""
    drop = {"KERAS_BACKEND", "MPLBACKEND", "PYTHONPATH", "TF_CPP_MIN_LOG_LEVEL", "PYTHONHASHSEED"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_notebook(path: Path, out_dir: Path, extra_files: list[Path], timeout: int) -> tuple[bool, str]:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    folder = Path(tempfile.mkdtemp(prefix=f"nb-{path.stem}-"))
    for extra in extra_files:
        shutil.copy2(extra, folder / extra.name)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    start = time.perf_counter()
    error = ""
    try:
        client.execute(env=student_environment())
    except CellExecutionError as failure:
        error = str(failure).strip().splitlines()[-1] if str(failure).strip() else repr(failure)
    except Exception as failure:  # noqa: BLE001 - a dead kernel, a timeout: report and go on
        error = f"{type(failure).__name__}: {failure}"
    seconds = time.perf_counter() - start
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out_dir / path.name)
    problems, images = notebook_problems(nb)
    if error:
        problems.insert(0, f"stopped: {error}")
    leftovers = sorted(p.name for p in folder.iterdir() if p.name not in {e.name for e in extra_files})
    shutil.rmtree(folder, ignore_errors=True)
    summary = f"{path.name}: {seconds:.0f} s, {images} images"
    if leftovers:
        summary += f", left in its folder: {', '.join(leftovers)}"
    if problems:
        return False, summary + "\n" + "\n".join(f"    FAIL {p}" for p in problems)
    return True, summary + ", ok"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="folder for the executed notebooks")
    parser.add_argument("--with", dest="extra", action="append", type=Path, default=[],
                        help="a file to put in each notebook's folder first")
    parser.add_argument("--timeout", type=int, default=900, help="seconds one cell may take")
    args = parser.parse_args(argv)
    failed = 0
    for path in args.notebooks:
        ok, summary = run_notebook(path.resolve(), args.out, [e.resolve() for e in args.extra], args.timeout)
        print(summary, flush=True)
        failed += not ok
    print(f"{len(args.notebooks) - failed} of {len(args.notebooks)} notebooks ok", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
