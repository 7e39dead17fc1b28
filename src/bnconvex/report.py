"""Report rendering: papermill executes a notebook with every path and number as a parameter, then
nbconvert renders it to HTML; an index page links the pages."""

from __future__ import annotations

import html
import os
from pathlib import Path

from bnconvex.io import atomic_path


def render_notebook(notebook, out_ipynb, out_html, parameters: dict, cwd=None) -> None:
    """Execute ``notebook`` with papermill (``parameters`` injected), write it and its HTML atomically."""
    import nbformat
    import papermill as pm
    from nbconvert import HTMLExporter

    with atomic_path(out_ipynb, suffix=".ipynb") as tmp_nb:
        pm.execute_notebook(
            str(notebook),
            str(tmp_nb),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(cwd) if cwd else None,
            progress_bar=False,
        )
        nb = nbformat.read(tmp_nb, as_version=4)
        body, _ = HTMLExporter().from_notebook_node(nb)
        with atomic_path(out_html, suffix=".html") as tmp_html:
            tmp_html.write_text(body, encoding="utf-8")


def write_index(pages: list[tuple[str, str]], out_html, title: str = "bnconvex study report") -> None:
    """Write an index page linking ``pages`` = [(title, path), ...], paths made relative to the index."""
    out_html = Path(out_html)
    items = []
    for page_title, path in pages:
        rel = os.path.relpath(Path(path), out_html.parent)
        items.append(f'<li><a href="{html.escape(rel)}">{html.escape(page_title)}</a></li>')
    body = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f"<ul>\n{chr(10).join(items)}\n</ul>\n</body></html>\n"
    )
    with atomic_path(out_html) as tmp:
        tmp.write_text(body, encoding="utf-8")
