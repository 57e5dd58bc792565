"""Sphinx configuration for brainkit's documentation site.

Build it with warnings as errors (the tutorials in ``gallery/`` are executed)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

or ``tox -e docs``. Unchanged tutorials are not run again: sphinx-gallery keeps
their output in ``docs/auto_gallery`` and reruns only the files whose content
changed. Delete that folder (or ``docs/_build``) for a full build.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

# Keras reads its backend once, at its first import; every tutorial runs in this one
# process, so the choice is made here, before anything can import Keras.
os.environ["KERAS_BACKEND"] = "jax"
os.environ["MPLBACKEND"] = "Agg"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "sphinxext"))

import brainkit  # noqa: E402

# -- Project -----------------------------------------------------------------------------
project = "brainkit"
author = "The brainkit team"
copyright = "The brainkit team"  # noqa: A001 (Sphinx's name)
release = brainkit.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_click",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_gallery/*.ipynb", "auto_gallery/*.py"]
root_doc = "index"
default_role = "code"
# Curly quotes and ellipses, but never turn "--" into a dash: command-line options such
# as --ketchup appear in the help texts that sphinx-click renders.
smartquotes_action = "qe"
pygments_style = "sphinx"

# -- API reference (autodoc, autosummary, numpydoc) ---------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc "Parameters" sections say it in words
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- HTML --------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"brainkit {release}"
html_static_path = ["_static"]
html_css_files = ["brainkit.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    # Six top-level pages fit in the navigation bar at laptop widths; the rest go in "More".
    "header_links_before_dropdown": 6,
    # sg_download_links shows the .py/.ipynb downloads on tutorial pages, nothing elsewhere.
    "secondary_sidebar_items": ["page-toc", "sg_download_links"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "installation": [], "quickstart": []}
html_context = {"default_mode": "light"}

# -- Tutorials (sphinx-gallery) ----------------------------------------------------------
# The first cell of every downloaded notebook. brainkit is not on PyPI: the cell installs it
# from a wheel (or a source checkout) only where it is missing, and says how otherwise.
# scripts/run-notebooks runs it both ways: with brainkit installed, and with only a wheel
# in the notebook's folder (the Colab-like environment).
FIRST_NOTEBOOK_CELL = """\
# Run this cell first. It installs brainkit where it is missing and does nothing else.
# brainkit is not on the Python package index (PyPI) yet: `pip install brainkit` fails.
# Install it from a wheel (a brainkit-*.whl file; build one in a brainkit checkout with
# `python -m pip wheel --no-deps -w dist .`): put the file in this notebook's folder, or
# set BRAINKIT_WHEEL to its path or URL (a source checkout's folder works too).
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

BRAINKIT_WHEEL = os.environ.get("BRAINKIT_WHEEL", "")

if importlib.util.find_spec("brainkit") is None:
    wheels = sorted(Path.cwd().glob("brainkit-*.whl"))
    source = BRAINKIT_WHEEL or (str(wheels[-1]) if wheels else "")
    if not source:
        raise RuntimeError(
            "brainkit is not installed and it is not on PyPI yet. Put a brainkit-*.whl file "
            "in this folder or set BRAINKIT_WHEEL to a wheel's path or URL, then run again."
        )
    url = source if "://" in source else Path(source).resolve().as_uri()
    # Colab has TensorFlow and Keras already; elsewhere JAX is the quickest backend.
    has_backend = any(importlib.util.find_spec(m) for m in ("jax", "torch", "tensorflow"))
    requirement = f"brainkit{'' if has_backend else '[jax]'} @ {url}"
    print("pip install", requirement)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", requirement], check=True)
    importlib.invalidate_caches()

import brainkit

print("brainkit", brainkit.__version__, "on", brainkit.runtime.resolve_backend())
"""

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "gallery"),
    "gallery_dirs": "auto_gallery",
    "filename_pattern": r"/plot_",
    # The tutorials are a course: plot_01_..., plot_02_..., in that order.
    "within_subsection_order": "FileNameSortKey",
    # brainkit draws with matplotlib's Figure API, not pyplot: scrape both kinds. Ours runs
    # first and skips the figures pyplot manages, which the matplotlib scraper then takes.
    "image_scrapers": ("gallery_support.figure_scraper", "matplotlib"),
    # One process runs every tutorial: reset Keras, plugins, sys.path and matplotlib first.
    "reset_modules": ("matplotlib", "gallery_support.reset_brainkit"),
    "reset_modules_order": "before",
    # A figure left as a cell's last line shows itself in a notebook; print no "Figure(640x480)"
    # (nor the repr of any other matplotlib object a plotting call returns).
    "ignore_repr_types": r"matplotlib\.",
    "remove_config_comments": True,
    "download_all_examples": True,
    "min_reported_time": 5,
    "show_memory": False,
    "abort_on_example_error": False,
    "thumbnail_size": (400, 280),
    # Every downloaded notebook starts by installing brainkit where it is missing.
    "first_notebook_cell": FIRST_NOTEBOOK_CELL,
}


# -- Notebooks: plain markdown -----------------------------------------------------------
# sphinx-gallery turns the tutorials' reST into the notebooks' markdown, but leaves Sphinx
# roles as they are (":func:`brainkit.train`"), which Jupyter shows literally. Before its
# conversion, each role becomes what it says in words: code for an object (a function with
# "()"), the text of a :ref:/:doc: link. The HTML pages keep their links.
_ROLE = re.compile(r":(?:py:)?(?P<role>[a-z]+):`(?P<body>[^`]+)`")


def _role_as_text(match: re.Match[str]) -> str:
    role, body = match.group("role"), match.group("body")
    if role == "math":  # sphinx-gallery converts it to $...$ itself
        return match.group(0)
    titled = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^<>]+)>", body, flags=re.S)
    if titled:
        return titled.group("title") if role in ("ref", "doc") else f"``{titled.group('title')}``"
    if role in ("ref", "doc"):
        return body.strip("/").replace("-", " ")
    name = body.lstrip("~!")
    if body.startswith("~"):
        name = name.rsplit(".", 1)[-1]
    return f"``{name}()``" if role in ("func", "meth") else f"``{name}``"


# "text::" before an indented literal block: markdown shows the block as code by its
# indentation alone, and the "::" literally, so it becomes "text:".
_LITERAL_MARKER = re.compile(r"(?<=\S)::[ \t]*$", re.M)


def notebook_rst(text: str) -> str:
    """Write the Sphinx roles in ``text`` as plain reST, for the notebooks."""
    return _LITERAL_MARKER.sub(":", _ROLE.sub(_role_as_text, text))


def _plain_roles_in_notebooks() -> None:
    import sphinx_gallery.notebook as notebook

    convert = notebook.rst2md
    if getattr(convert, "brainkit_plain_roles", False):
        return

    def rst2md(text, *args, **kwargs):
        return convert(notebook_rst(text), *args, **kwargs)

    rst2md.brainkit_plain_roles = True
    notebook.rst2md = rst2md


_plain_roles_in_notebooks()


# -- viewcode ----------------------------------------------------------------------------
def _no_source_for_reexports(app, modname, fullname):
    """Keep viewcode's back-links right for objects re-exported at the top level.

    ``brainkit.train`` (documented under ``brainkit``) lives in ``brainkit.training``,
    whose other objects are documented under ``brainkit.training``. viewcode builds the
    back-links of a source page from the first module name it saw for it, so mixing
    the two breaks the links of one group. The four re-exported functions get no
    "[source]" link instead; everything documented under its own module keeps one.
    """
    if modname == "brainkit":
        return "brainkit"
    return None


def setup(app):
    app.connect("viewcode-follow-imported", _no_source_for_reexports)
