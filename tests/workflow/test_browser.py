"""The report in a real browser (bnconvex.browser): headless Chromium opens the test study's index and every
page, with no console error, every image loaded, every link to an existing file and no absolute path; and the
checker itself finds each kind of problem on small handmade pages.

Skipped without selenium, chromium or chromedriver, unless BNCONVEX_REQUIRE_BROWSER=1 (set by .ci/run, which
installs Debian's chromium and chromium-driver), which turns a missing browser into a failure.
"""

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from bnconvex.browser import Problem, browser_missing, check_report, classify_reference, find_absolute, main

pytestmark = pytest.mark.slow  # starts Chromium


@pytest.fixture(scope="module", autouse=True)
def browser():
    why = browser_missing()
    if why is not None:
        if os.environ.get("BNCONVEX_REQUIRE_BROWSER") == "1":
            pytest.fail(f"BNCONVEX_REQUIRE_BROWSER=1 but {why}")
        pytest.skip(why)


def page(title: str, body: str) -> str:
    head = f"<head><meta charset='utf-8'><title>{title}</title></head>"
    return f"<!DOCTYPE html>\n<html>{head}\n<body>{body}</body></html>\n"


def png(path, size=(6, 4), color=(200, 30, 30)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def readable(problems: list[Problem]) -> str:
    return "\n".join(str(p) for p in problems) or "(none)"


def assert_real_png(path, min_size=(200, 200)):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    with Image.open(path) as im:
        assert im.size[0] >= min_size[0] and im.size[1] >= min_size[1], (path, im.size)
        pixels = np.asarray(im.convert("L"))
    assert pixels.std() > 1, f"{path} is blank (one colour)"  # text and figures were drawn


def test_a_clean_report_has_no_problems_and_every_page_is_screenshot(tmp_path):
    report = tmp_path / "report"
    png(tmp_path / "figures/fig.png", size=(40, 30))
    (report / "sub").mkdir(parents=True)
    (report / "index.html").write_text(page("index", (
        "<h1>Index</h1><p><a href='a.html'>A</a> <a href='sub/b%20c.html#top'>B</a> <a href='#here'>here</a></p>"
        "<img src='../figures/fig.png' alt='figure'><p id='here'>the end</p>"
        "<script>console.log('info is fine'); console.warn('so is a warning')</script>")))
    (report / "a.html").write_text(page("a", "<h1>A</h1><a href='index.html'>back</a> <a href='a.html'>self</a>"))
    (report / "sub/b c.html").write_text(page("b", "<h1 id='top'>B</h1><img src='../../figures/fig.png'>"))
    (report / "z.html").write_text(page("z", "<h1>Z</h1><p>linked from no page</p><a href='y.html'>y</a>"))
    (report / "y.html").write_text(page("y", "<h1>Y</h1><p>linked from z only</p>"))
    shots = tmp_path / "shots"

    result = check_report(report / "index.html", shots, every_page=True)

    assert result.ok, readable(result.problems)
    assert result.pages == ["index.html", "a.html", "sub/b c.html", "y.html", "z.html"]  # each once, index first
    assert result.unlinked == ["z.html"]  # opened by every_page, as y.html, which z.html links
    assert [p.name for p in result.screenshots] == ["index.png", "a.png", "sub__b c.png", "y.png", "z.png"]
    for shot in result.screenshots:
        assert_real_png(shot)


def test_each_kind_of_problem_is_found(tmp_path):
    report = tmp_path / "report"
    report.mkdir()
    png(report / "ok.png")
    (report / "corrupt.png").write_text("not a png")
    (report / "index.html").write_text(page("index", (
        "<!-- written in /work/secret/project -->"  # an absolute path in the source only
        "<p>data from &#47;home&#47;alice&#47;data.csv</p>"  # in the text only (the source has entities)
        "<img src='ok.png'><img src='missing.png'><img src='corrupt.png'>"
        "<a href='gone.html'>gone</a> <a href='next.html'>next</a> <a href='https://example.org/x'>web</a>"
        "<a href='file:///etc/hosts'>file</a> <a href='/usr/share/doc'>root</a>"
        "<script>console.error('boom from index')</script>")))
    (report / "next.html").write_text(page("next", "<p>next</p><script>undefinedFunction()</script>"))

    result = check_report(report / "index.html")
    found = readable(result.problems)

    assert result.pages == ["index.html", "next.html"]  # the link to next.html was followed
    assert result.unlinked == []
    by_kind = {}
    for p in result.problems:
        by_kind.setdefault((p.page, p.kind), []).append(p.detail)
    console = by_kind[("index.html", "console")]
    assert any("boom from index" in d for d in console), found
    assert any(d.startswith("missing.png - ") and "ERR_FILE_NOT_FOUND" in d for d in console), found
    assert any("undefinedFunction is not defined" in d for d in by_kind[("next.html", "console")]), found
    images = by_kind[("index.html", "image")]
    assert len(images) == 2 and "missing.png" in images[0] and "corrupt.png" in images[1], found
    links = by_kind[("index.html", "link")]
    assert links == ["<img src='missing.png'>: no file missing.png", "<a href='gone.html'>: no file gone.html"], found
    assert by_kind[("index.html", "external")] == ["<a href='https://example.org/x'>"], found
    absolute = by_kind[("index.html", "absolute-path")]
    assert "<a href='file:///etc/hosts'>" in absolute and "<a href='/usr/share/doc'>" in absolute, found
    assert any(d.startswith("'/work/' in the source") and "/work/secret/project" in d for d in absolute), found
    assert any(d.startswith("'/home/' in the text") and "/home/alice/data.csv" in d for d in absolute), found
    assert not any("'/home/' in the source" in d for d in absolute), found
    assert ("next.html", "image") not in by_kind and ("next.html", "link") not in by_kind, found


def test_a_missing_index_is_a_problem_not_a_crash(tmp_path):
    result = check_report(tmp_path / "index.html")
    assert [p.kind for p in result.problems] == ["load"] and result.pages == []


def test_references_are_classified_without_a_browser(tmp_path):
    page_file = tmp_path / "p.html"
    (tmp_path / "x.png").write_bytes(b"")
    assert classify_reference("#anchor", page_file) is None
    assert classify_reference("data:image/png;base64,AAAA", page_file) is None
    assert classify_reference("x.png?v=1#frag", page_file) == ("ok", tmp_path / "x.png")
    assert classify_reference("y.png", page_file) == ("link", tmp_path / "y.png")
    assert classify_reference(".", page_file)[0] == "link"  # a directory is not a file
    assert classify_reference("//cdn.example.org/a.js", page_file) == ("external", None)
    assert classify_reference("HTTPS://cdn.example.org/a.js", page_file) == ("external", None)
    assert classify_reference("/abs/a.js", page_file) == ("absolute-path", None)
    # base64 that happens to spell a marker is not a path
    image = "<img src='data:image/png;base64,AB/tmp/CD'>"
    assert find_absolute(image, ["/tmp/"]) == {}
    assert find_absolute(image + " /tmp/x", ["/tmp/"]) == {"/tmp/": "<img src='data:'> /tmp/x"}


def test_the_study_report_opens_cleanly_in_chromium(study_run, tmp_path):
    index = study_run / "results/report/index.html"
    shots = tmp_path / "screenshots"

    result = check_report(index, shots, every_page=True)
    dest = study_run / "results/report/screenshots"  # where `make study` puts them; copied even on failure
    dest.mkdir(parents=True, exist_ok=True)
    for shot in result.screenshots:
        shutil.copy2(shot, dest / shot.name)

    assert result.ok, "the report in headless Chromium:\n" + readable(result.problems)
    pages = sorted(p.relative_to(index.parent).as_posix() for p in index.parent.rglob("*.html"))
    assert sorted(result.pages) == pages and result.pages[0] == "index.html"
    assert "paper.html" not in result.unlinked, result.summary()  # the index links the paper-vs-ours page
    assert {"index.png", "paper.png"} <= {p.name for p in result.screenshots}
    assert len(result.screenshots) == len(pages)
    for shot in result.screenshots:
        assert_real_png(shot, min_size=(800, 600))
        assert (dest / shot.name).read_bytes() == shot.read_bytes()


def test_the_command_line_prints_problems_and_skips_only_when_asked(tmp_path, capsys):
    index = str(tmp_path / "index.html")  # missing: a problem found before any browser starts
    assert main([index, "--screenshots", str(tmp_path / "shots")]) == 1
    out = capsys.readouterr().out
    assert "index.html: load: " in out and "1 pages" not in out and "1 problems" in out
    assert main([index, "--chromedriver", str(tmp_path / "no-driver")]) == 2
    assert "chromium or chromedriver not found" in capsys.readouterr().err
    assert main([index, "--chromedriver", str(tmp_path / "no-driver"), "--skip-if-missing"]) == 0
    assert capsys.readouterr().out.startswith("browser check skipped: chromium or chromedriver not found")
