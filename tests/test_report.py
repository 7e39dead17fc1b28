from bnconvex.report import write_index


def test_index_links_pages_relative_to_itself(tmp_path):
    page = tmp_path / "report" / "study.html"
    page.parent.mkdir()
    page.write_text("<html></html>")
    write_index([("Study <overview>", str(page))], tmp_path / "report" / "index.html", title="T")
    text = (tmp_path / "report" / "index.html").read_text()
    assert 'href="study.html"' in text
    assert "Study &lt;overview&gt;" in text
