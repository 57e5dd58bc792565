"""The built documentation site, in a real browser (headless Chromium driven by Selenium).

Build the site first::

    sphinx-build -W --keep-going -b html docs docs/_build/html     # or: tox -e docs

then ``pytest -m browser``. Without a built site (or without Selenium, Chromium or
chromedriver) these tests are skipped, except under ``CI=true``, where they fail.

What is checked: every tutorial page loads, its figures are there and actually
loaded (``naturalWidth > 0``), next/previous and sidebar navigation between tutorials
work, and no internal link of the whole site is broken (every same-origin ``href`` and
``src`` answers 200, and ``#anchors`` exist on the page they point to). Screenshots of
the gallery index and of a tutorial are saved to ``/tmp/docs_shots/``.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import re
import shutil
import tempfile
import threading
import urllib.error
import urllib.request
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "docs" / "_build" / "html"
GALLERY_SOURCES = ROOT / "gallery"
TUTORIALS = sorted(p.stem for p in GALLERY_SOURCES.glob("plot_*.py"))
SHOTS = Path("/tmp/docs_shots")
BUILD_HINT = "build it with: sphinx-build -W --keep-going -b html docs docs/_build/html (or tox -e docs)"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    """Skip locally; under CI a missing prerequisite is a failure."""
    if _in_ci():
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


# --------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        _unavailable(f"the documentation site is not built ({SITE} is missing); {BUILD_HINT}")
    if not (SITE / "auto_gallery" / "index.html").is_file():
        _unavailable(f"the site at {SITE} has no tutorials (auto_gallery/index.html); {BUILD_HINT}")
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture(scope="module")
def base_url(site):
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- the browser


def _find(names: tuple[str, ...], extra: tuple[str, ...] = ()) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return next((p for p in extra if Path(p).is_file()), None)


@pytest.fixture(scope="module")
def browser(site):
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable('Selenium is not installed (pip install -e ".[test]")')
    chromium = _find(("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"))
    driver_path = _find(("chromedriver",), ("/usr/lib/chromium/chromedriver",))
    if chromium is None:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    if driver_path is None:
        _unavailable("chromedriver is not installed (apt-get install chromium-driver)")

    profile = tempfile.mkdtemp(prefix="brainkit-docs-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1280,900",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    # Never let Selenium Manager look for drivers on the network: we name the driver.
    previous = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    finally:
        if previous is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = previous
    driver.set_page_load_timeout(30)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _open(browser, url: str) -> None:
    browser.get(url)
    # Sphinx pages are static; wait until images have had their chance to load.
    browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const pending = Array.from(document.images).filter(img => !img.complete);
        if (pending.length === 0) { done(); return; }
        let left = pending.length;
        const one = () => { if (--left === 0) done(); };
        pending.forEach(img => { img.addEventListener('load', one); img.addEventListener('error', one); });
        setTimeout(done, 10000);
        """
    )


def _images(browser) -> list[dict]:
    return browser.execute_script(
        """
        return Array.from(document.images).map(img => ({
            src: img.currentSrc || img.src, alt: img.alt, cls: img.className,
            complete: img.complete, width: img.naturalWidth, height: img.naturalHeight}));
        """
    )


def _drawing_cells(stem: str) -> int:
    """How many code cells of the tutorial's source draw a figure (each shows at least one)."""
    source = (GALLERY_SOURCES / f"{stem}.py").read_text()
    cells = re.split(r"^# %%.*$", source, flags=re.M)
    code = ["\n".join(line for line in cell.splitlines() if not line.startswith("#")) for cell in cells]
    return sum(1 for c in code if re.search(r"\bviz\.plot_\w+\(|\bplt\.subplots\(", c))


# --------------------------------------------------------------------------- tests


def test_gallery_index_lists_every_tutorial_in_order(browser, base_url, site):
    _open(browser, base_url + "auto_gallery/index.html")
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('div.sphx-glr-thumbcontainer a'))"
        ".map(a => a.getAttribute('href'));"
    )
    shown = [re.sub(r"\.html.*$", "", href.split("/")[-1]) for href in links]
    assert shown == TUTORIALS, "the gallery index should list every tutorial, in file-name order"
    thumbnails = [i for i in _images(browser) if "_thumb" in i["src"]]
    assert len(thumbnails) == len(TUTORIALS)
    broken = [i["src"] for i in thumbnails if not (i["complete"] and i["width"] > 0)]
    assert not broken, f"thumbnails that did not load: {broken}"
    browser.save_screenshot(str(SHOTS / "gallery_index.png"))


@pytest.mark.parametrize("stem", TUTORIALS)
def test_tutorial_page_loads_with_its_figures(browser, base_url, site, stem):
    _open(browser, f"{base_url}auto_gallery/{stem}.html")
    heading = browser.execute_script("const h = document.querySelector('article h1'); return h && h.textContent;")
    assert heading, f"{stem}: no title"
    text = browser.execute_script("return document.querySelector('article').innerText;")
    assert "Things to try" in text, f"{stem}: every tutorial ends with 'Things to try'"
    assert "Traceback (most recent call last)" not in text, f"{stem}: a code cell failed"

    images = _images(browser)
    broken = [i["src"] for i in images if not (i["complete"] and i["width"] > 0 and i["height"] > 0)]
    assert not broken, f"{stem}: images that did not load: {broken}"
    figures = [i for i in images if f"sphx_glr_{stem}_" in i["src"] and "_thumb" not in i["src"]]
    assert len(figures) >= _drawing_cells(stem), f"{stem}: a cell that draws has no figure on the page"
    digests = [
        hashlib.sha1((site / urlsplit(i["src"]).path.lstrip("/")).read_bytes()).hexdigest() for i in figures
    ]
    assert len(set(digests)) == len(digests), f"{stem}: the same figure is shown twice"
    if stem == TUTORIALS[0]:
        browser.save_screenshot(str(SHOTS / f"{stem}_top.png"))
        first = browser.find_element("css selector", "img.sphx-glr-single-img, img.sphx-glr-multi-img")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", first)
        browser.save_screenshot(str(SHOTS / f"{stem}_figure.png"))


def test_next_previous_and_sidebar_navigation(browser, base_url, site):
    from selenium.webdriver.common.by import By

    first, second = TUTORIALS[0], TUTORIALS[1]
    _open(browser, f"{base_url}auto_gallery/{first}.html")
    browser.find_element(By.CSS_SELECTOR, "a.right-next").click()
    assert browser.current_url.split("#")[0].endswith(f"auto_gallery/{second}.html")
    assert browser.execute_script("return document.querySelector('article h1').textContent;")

    browser.find_element(By.CSS_SELECTOR, "a.left-prev").click()
    assert browser.current_url.split("#")[0].endswith(f"auto_gallery/{first}.html")

    last = TUTORIALS[-1]
    link = browser.find_element(By.CSS_SELECTOR, f".bd-sidebar-primary a[href*='{last}']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    assert browser.current_url.split("#")[0].endswith(f"auto_gallery/{last}.html")
    assert browser.execute_script("return document.querySelector('article h1').textContent;")


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.resources: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key):
                self.ids.add(values[key])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])
        elif tag == "link" and values.get("href"):
            self.resources.append(values["href"])
        elif tag in ("img", "script", "source") and values.get("src"):
            self.resources.append(values["src"])


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (local server)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_no_broken_internal_links(base_url, site):
    origin = urlsplit(base_url).netloc
    pages: dict[str, set[str]] = {}  # page url -> ids on it
    status: dict[str, int] = {}
    wanted: list[tuple[str, str]] = []  # (from page, target url with fragment)
    queue = deque([base_url + "index.html"])
    while queue:
        url = queue.popleft()
        if url in pages:
            continue
        code, body = _fetch(url)
        status[url] = code
        if code != 200:
            pages[url] = set()
            continue
        parser = _LinkParser()
        parser.feed(body.decode("utf-8", "replace"))
        pages[url] = parser.ids
        for ref in parser.links + parser.resources:
            target = urljoin(url, ref)
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != origin:
                continue
            page, fragment = urldefrag(target)
            page = page.split("?")[0]
            if page.endswith("/"):
                page += "index.html"
            wanted.append((url, page + (f"#{fragment}" if fragment else "")))
            if page.endswith(".html") and page not in pages:
                queue.append(page)
    problems = []
    for source, target in wanted:
        page, fragment = urldefrag(target)
        if page not in status:
            status[page] = _fetch(page)[0]
        if status[page] != 200:
            problems.append(f"{source} -> {target}: HTTP {status[page]}")
        elif fragment and page in pages and fragment not in pages[page]:
            problems.append(f"{source} -> {target}: no element with id {fragment!r}")
    assert len(pages) > 20, "the crawl found suspiciously few pages"
    assert all(f"{base_url}auto_gallery/{stem}.html" in pages for stem in TUTORIALS)
    assert not problems, "broken internal links:\n" + "\n".join(sorted(set(problems))[:50])
