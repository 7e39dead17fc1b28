"""The report checked in a real browser: headless Chromium (through Selenium and chromedriver) opens the index
and every page it links, and reports what a reader would see broken.

A problem is one of: a console message of level SEVERE (script errors, ``console.error``, resources that fail
to load), an image that did not load (``naturalWidth == 0``), a link (``href``/``src``) that does not resolve
to an existing file (external ``http(s)`` links count too: the report must work offline), and an absolute
path in a page's source or text (the project's directory, the user's home, ``/tmp/``, ``/work/``, ``/root/``,
``/home/``, ``file:///``). With ``screenshots_dir`` a full-page screenshot of each page is written there.

Selenium is imported only when a check runs (it is in the ``test`` extra), and it never downloads anything:
the browser and its driver are the system's (Debian's ``chromium`` and ``chromium-driver``), named
explicitly, so Selenium Manager is not used::

    python -m bnconvex.browser results/report/index.html --screenshots results/report/screenshots
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bnconvex.io import atomic_path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# headless, and nothing that reaches the network on its own (a closed network refuses those connections)
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,900")
ABSOLUTE_MARKERS = ("file:///", "/tmp/", "/work/", "/root/", "/home/")
KINDS = ("load", "console", "image", "link", "external", "absolute-path")
MAX_SCREENSHOT_HEIGHT = 16000  # px; Chromium's limit for one capture is 16384
SETTLE_S = 0.3  # after the load event and the images: time for late script errors to reach the log

_DATA_URI = re.compile(r"data:[^\"'\s)>]*")
_COLLECT = """
const refs = [];
for (const el of document.querySelectorAll('[href], [src]')) {
  for (const attr of ['href', 'src']) {
    const value = el.getAttribute(attr);
    if (value !== null) refs.push([el.tagName.toLowerCase(), attr, value]);
  }
}
const images = Array.from(document.images).map(i => [i.getAttribute('src') || '', i.complete, i.naturalWidth]);
return {refs: refs, images: images, text: document.body ? document.body.innerText : '',
        width: document.documentElement.scrollWidth,
        height: Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)};
"""


@dataclass(frozen=True)
class Problem:
    """One thing broken on one page: ``page`` relative to the report's directory, ``kind`` one of KINDS."""

    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}: {self.detail}"


@dataclass
class CheckResult:
    """The pages opened (relative to the index's directory, index first), those of them that no page links
    (opened by ``every_page``), the problems, the screenshots."""

    pages: list[str] = field(default_factory=list)
    unlinked: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        lines = [str(p) for p in self.problems]
        unlinked = f" ({len(self.unlinked)} linked from no page: {', '.join(self.unlinked)})" if self.unlinked else ""
        lines.append(f"browser check: {len(self.pages)} pages{unlinked}, {len(self.problems)} problems")
        return "\n".join(lines)


def find_browser(chromium: str | None = None, chromedriver: str | None = None) -> tuple[str, str] | None:
    """The (chromium, chromedriver) executables: the arguments, else $BNCONVEX_CHROMIUM/$BNCONVEX_CHROMEDRIVER,
    else Debian's /usr/bin/chromium and /usr/bin/chromedriver; None when either is missing."""
    found = []
    for given, env, default in ((chromium, "BNCONVEX_CHROMIUM", CHROMIUM),
                                (chromedriver, "BNCONVEX_CHROMEDRIVER", CHROMEDRIVER)):
        path = given or os.environ.get(env) or default
        path = shutil.which(path)
        if path is None:
            return None
        found.append(path)
    return found[0], found[1]


def browser_missing(chromium: str | None = None, chromedriver: str | None = None) -> str | None:
    """Why a check cannot run here (no selenium, no chromium or no chromedriver), or None if it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if find_browser(chromium, chromedriver) is None:
        return (f"chromium or chromedriver not found ({CHROMIUM}, {CHROMEDRIVER}; "
                "apt-get install chromium chromium-driver)")
    return None


def project_root(start: Path) -> Path | None:
    """The nearest directory above ``start`` holding the workflow's Snakefile (the project's checkout)."""
    for parent in [start, *start.parents]:
        if (parent / "Snakefile").is_file():
            return parent
    return None


def absolute_markers(index_html: Path) -> list[str]:
    """Strings that must not appear in a page: the project's directory, the home and working directories,
    and ABSOLUTE_MARKERS."""
    markers = []
    for path in (project_root(index_html.parent), Path.home(), Path.cwd()):
        if path is not None and len(path.parts) > 1:  # never "/" itself
            markers.append(str(path))
    markers.extend(ABSOLUTE_MARKERS)
    return list(dict.fromkeys(markers))


def find_absolute(text: str, markers: list[str]) -> dict[str, str]:
    """{marker: the first occurrence in context} for each marker in ``text`` (data: URIs skipped)."""
    text = _DATA_URI.sub("data:", text)
    found = {}
    for marker in markers:
        at = text.find(marker)
        if at >= 0:
            found[marker] = " ".join(text[max(0, at - 40): at + len(marker) + 40].split())
    return found


def classify_reference(value: str, page: Path) -> tuple[str, Path | None] | None:
    """A problem kind and detail target for one ``href``/``src`` value on ``page``, or None if it is fine.

    Returns ("external", None) for http(s) or protocol-relative links, ("absolute-path", None) for file: URLs
    and absolute paths, ("link", target) for a relative link whose target is not an existing file, and
    ("ok", target) for a relative link to an existing file (so the caller can follow pages).
    """
    value = value.strip()
    if not value or value.startswith("#"):
        return None
    parts = urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme in ("data", "mailto", "javascript", "about", "blob"):
        return None
    if scheme in ("http", "https", "ftp", "ws", "wss") or value.startswith("//"):
        return "external", None
    if scheme == "file" or value.startswith("/") or scheme:
        return "absolute-path", None
    if not parts.path:  # "?query" alone: the page itself
        return None
    target = Path(os.path.normpath(page.parent / unquote(parts.path)))
    return ("ok" if target.is_file() else "link"), target


def _start_browser(chromium: str, chromedriver: str, profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    driver.set_page_load_timeout(60)
    # offline: a request to the network fails at once instead of waiting on a closed network
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*"]})
    return driver


def _screenshot(driver, width: int, height: int, out: Path) -> None:
    import base64

    height = max(1, min(int(height), MAX_SCREENSHOT_HEIGHT))
    width = max(1, int(width))
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True, "fromSurface": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    })
    with atomic_path(out, suffix=".png") as tmp:
        tmp.write_bytes(base64.b64decode(shot["data"]))


def screenshot_name(page: str) -> str:
    """``<page>.png`` for a page path relative to the report (subfolders joined with ``__``)."""
    return page.removesuffix(".html").replace("/", "__") + ".png"


def check_report(index_html, screenshots_dir=None, *, every_page: bool = False, chromium: str | None = None,
                 chromedriver: str | None = None, markers: list[str] | None = None) -> CheckResult:
    """Open ``index_html`` and every .html page below its directory that it links (transitively) in headless
    Chromium, and return what is broken (see the module's docstring); with ``every_page``, then also every
    other .html file below that directory (pages the index does not link, such as the certificates table made
    for Snakemake's report). With ``screenshots_dir``, write a full-page ``<page>.png`` of each page there.
    Raises RuntimeError when the browser is missing."""
    index_html = Path(index_html).resolve()
    root = index_html.parent
    if not index_html.is_file():
        return CheckResult(problems=[Problem(index_html.name, "load", f"{index_html} does not exist")])
    found = find_browser(chromium, chromedriver)
    if found is None:
        raise RuntimeError(browser_missing(chromium, chromedriver))
    markers = absolute_markers(index_html) if markers is None else markers
    result = CheckResult()
    queue, seen, linked = [index_html], {index_html}, set()
    with tempfile.TemporaryDirectory(prefix="bnconvex-chromium-") as profile:
        driver = _start_browser(*found, profile)
        try:
            while queue:
                page = queue.pop(0)
                name = page.relative_to(root).as_posix()
                result.pages.append(name)
                problems, links = _check_page(driver, root, page, name, markers, screenshots_dir, result)
                result.problems.extend(problems)
                linked.update(links)
                for target in links:
                    if target.suffix == ".html" and target.is_relative_to(root) and target not in seen:
                        seen.add(target)
                        queue.append(target)
                if not queue and every_page:  # then the pages that the index does not reach
                    queue = sorted(set(root.rglob("*.html")) - seen)
                    seen.update(queue)
        finally:
            driver.quit()
    result.unlinked = [name for name in result.pages[1:] if root / name not in linked]
    return result


def _check_page(driver, root: Path, page: Path, name: str, markers, screenshots_dir, result: CheckResult):
    problems: list[Problem] = []
    add = lambda kind, detail: problems.append(Problem(name, kind, detail))
    in_source = find_absolute(page.read_text(encoding="utf-8", errors="replace"), markers)
    for marker, context in in_source.items():
        add("absolute-path", f"{marker!r} in the source: ...{context}...")
    driver.get_log("browser")  # drop what earlier pages left
    try:
        driver.get(page.as_uri())
    except Exception as err:  # a page that does not load is a problem, not a crash of the check
        add("load", f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        return problems, []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not driver.execute_script(
            "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"):
        time.sleep(0.05)
    time.sleep(SETTLE_S)
    seen = driver.execute_script(_COLLECT)
    for entry in driver.get_log("browser"):
        if entry.get("level") == "SEVERE":
            add("console", entry.get("message", "").replace(root.as_uri() + "/", ""))  # names as in the report
    for src, complete, natural_width in seen["images"]:
        if not natural_width:
            shown = src if not src.startswith("data:") else src[:40] + "..."
            add("image", f"<img src={shown!r}> did not load" + ("" if complete else " (still loading after 10 s)"))
    links = []
    for tag, attr, value in seen["refs"]:
        verdict = classify_reference(value, page)
        if verdict is None:
            continue
        kind, target = verdict
        if kind == "ok":
            links.append(target)
        elif kind == "link":
            add("link", f"<{tag} {attr}={value!r}>: no file {os.path.relpath(target, page.parent)}")
        else:
            add(kind, f"<{tag} {attr}={value!r}>")
    for marker, context in find_absolute(seen["text"], markers).items():
        if marker not in in_source:
            add("absolute-path", f"{marker!r} in the text: ...{context}...")
    if screenshots_dir is not None:
        out = Path(screenshots_dir) / screenshot_name(name)
        _screenshot(driver, seen["width"], seen["height"], out)
        result.screenshots.append(out)
    return problems, links


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bnconvex.browser", description=__doc__.split("\n\n")[0])
    parser.add_argument("index", help="the report's index.html")
    parser.add_argument("--screenshots", metavar="DIR", help="write a full-page <page>.png of each page here")
    parser.add_argument("--every-page", action="store_true",
                        help="also open the .html files below the index's folder that no page links")
    parser.add_argument("--chromium", help=f"the browser (default $BNCONVEX_CHROMIUM or {CHROMIUM})")
    parser.add_argument("--chromedriver", help=f"its driver (default $BNCONVEX_CHROMEDRIVER or {CHROMEDRIVER})")
    parser.add_argument("--skip-if-missing", action="store_true",
                        help="without selenium, chromium or chromedriver: say so in one line and exit 0")
    args = parser.parse_args(argv)
    why = browser_missing(args.chromium, args.chromedriver)
    if why is not None:
        if args.skip_if_missing:
            print(f"browser check skipped: {why}")
            return 0
        print(f"browser check: {why}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    result = check_report(args.index, args.screenshots, every_page=args.every_page, chromium=args.chromium,
                          chromedriver=args.chromedriver)
    print(result.summary() + f" ({time.perf_counter() - t0:.1f} s)"
          + (f"; screenshots in {args.screenshots}" if args.screenshots else ""))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
