"""Report rendering. A page is a notebook executed by papermill (every path and number a parameter) and rendered
to HTML for readers: code, prompts and stderr hidden (they stay in the executed ``.ipynb``), no script from a CDN,
the answer first (:func:`answer`: the paper's claim, our number, the verdict, the figure). The index
(:func:`write_index`) is one self-contained static page: the config and its data sources, a card per page
(thumbnail, claim, verdict, link), the certificates table (:func:`certificates_table`) and the run's provenance.
"""

from __future__ import annotations

import base64
import copy
import html
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from bnconvex.io import atomic_path

STYLE = """
.bnc-answer {border: 1px solid #ccd; border-radius: 6px; padding: 10px 14px; margin: 8px 0 16px; background: #fafbff}
.bnc-claims {border-collapse: collapse; font-size: 14px; margin-bottom: 8px; width: 100%}
.bnc-claims th, .bnc-claims td {border-bottom: 1px solid #dde; padding: 4px 8px; text-align: left !important;
  vertical-align: top; max-width: 32em}
.bnc-claims small, .bnc small {color: #556}
.verdict {display: inline-block; border-radius: 4px; padding: 1px 6px; font-weight: 600; white-space: nowrap}
.verdict.agrees {background: #d8f3dc; color: #1b5e20}
.verdict.diverges {background: #fde2e1; color: #b71c1c}
.verdict.not-resolved {background: #fff3cd; color: #7a5a00}
.verdict.not-compared {background: #eceff1; color: #455a64}
.bnc-answer img {max-width: 100%; height: auto}
"""

# nbconvert's lab template without its CDN scripts (require.js, MathJax, Mermaid, widgets): a page must open
# offline with no console error. Our markdown uses Unicode, not TeX; figures are embedded PNGs.
PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}<style>""" + STYLE + """</style>{%- endblock extra_css -%}
"""


def render_notebook(notebook, out_ipynb, out_html, parameters: dict, cwd=None) -> None:
    """Execute ``notebook`` with papermill (``parameters`` injected), write it and its HTML atomically."""
    import nbformat
    import papermill as pm

    with atomic_path(out_ipynb, suffix=".ipynb") as tmp_nb:
        pm.execute_notebook(
            str(notebook),
            str(tmp_nb),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(cwd) if cwd else None,
            progress_bar=False,
        )
        body = notebook_html(nbformat.read(tmp_nb, as_version=4))
        with atomic_path(out_html, suffix=".html") as tmp_html:
            tmp_html.write_text(body, encoding="utf-8")


def notebook_html(nb) -> str:
    """The HTML a reader sees of an executed notebook: outputs and markdown only (no code, prompts, or stderr
    streams such as warnings), offline (:data:`PAGE_TEMPLATE`)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
    exporter = HTMLExporter(extra_loaders=[DictLoader({"bnconvex_page.html.j2": PAGE_TEMPLATE})],
                            template_file="bnconvex_page.html.j2", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return body


# ---- the answer first: claims of the paper beside ours (rows of bnconvex.paper) ----

def verdict_badge(verdict: str) -> str:
    return f'<span class="verdict {verdict.replace(" ", "-")}">{html.escape(verdict)}</span>'


def png_data_uri(png, width: int | None = None) -> str:
    """A PNG file as a data URI (self-contained pages); ``width``: downscaled to this many pixels (thumbnails)."""
    data = Path(png).read_bytes()
    if width:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            if im.width > width:
                im = im.resize((width, max(1, round(im.height * width / im.width))), Image.LANCZOS)
            buf = io.BytesIO()
            im.save(buf, format="PNG", optimize=True)
            data = buf.getvalue()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def claims_table_html(claims: list[dict]) -> str:
    """The claims (rows of :func:`bnconvex.paper.row`) as one table: what the paper says, what we measure, the
    verdict."""
    esc = lambda v: html.escape(str(v))  # noqa: E731
    rows = []
    for c in claims:
        rows.append(
            "<tr>"
            f"<td>{html.escape(str(c['figure']))}</td>"
            f"<td>{esc(c['paper reports'])}<br><small>{esc(c['paper: data, scale'])}</small></td>"
            f"<td>{esc(c['we measure'])}<br><small>{esc(c['ours: data, scale'])}</small></td>"
            f"<td>{verdict_badge(c['verdict'])}<br><small>{esc(c['agree?'])}</small></td>"
            "</tr>")
    return ('<table class="bnc-claims"><tr><th>claim</th><th>the paper</th><th>ours</th><th>verdict</th></tr>'
            + "".join(rows) + "</table>")


def answer(claims: list[dict], figure=None):
    """The top of a page (IPython HTML): the claims with their verdicts, then the figure (a PNG path, embedded)."""
    from IPython.display import HTML

    img = f'<img src="{png_data_uri(figure)}" alt="figure">' if figure else ""
    return HTML(f'<style>{STYLE}</style><div class="bnc-answer">{claims_table_html(claims)}{img}</div>')


# ---- certificates: one row per certified solve, whatever the program ----

def certificate_summary(name: str, certificate: dict, dataset: str) -> dict:
    """One row of the certificates table from a closed-form certificate (``primal``/``dual``) or a convex
    program's (``primal_convex``/``lower_bound``, ``patterns_complete``)."""
    c = certificate
    closed_form = "primal_convex" not in c
    complete = "closed form" if closed_form else ("complete" if c.get("patterns_complete") else "sampled")
    return {"certificate": name, "theorem": f"Thm {c.get('theorem', '')}", "data": dataset, "n": c.get("n"),
            "d": c.get("d"), "P": c.get("P"), "pattern set": complete,
            "primal": c["primal"] if closed_form else c["primal_convex"],
            "lower bound": c["dual"] if closed_form else c["lower_bound"], "rel. gap": c.get("rel_gap"),
            "solve time (s)": c.get("time_s"), "relaxation bound": c.get("relaxation_lower_bound"),
            "sandwich gap": c.get("sandwich_gap")}


# "relaxation bound" and "sandwich gap": Thm 2.3's nuclear-norm relaxation over the same patterns and the
# restriction's value minus it (— for the other programs)
CERTIFICATE_COLUMNS = ("certificate", "theorem", "data", "n", "d", "P", "pattern set", "primal", "lower bound",
                       "rel. gap", "solve time (s)", "relaxation bound", "sandwich gap")


def certificates_table(rows: list[dict]) -> str:
    """HTML table of :func:`certificate_summary` rows."""
    def cell(v):
        if isinstance(v, float):
            return f"{v:.3e}" if v and (abs(v) < 1e-2 or abs(v) >= 1e5) else f"{v:.6g}"
        return html.escape("—" if v is None else str(v))

    head = "".join(f"<th>{html.escape(c)}</th>" for c in CERTIFICATE_COLUMNS)
    body = "".join("<tr>" + "".join(f"<td>{cell(r.get(c))}</td>" for c in CERTIFICATE_COLUMNS) + "</tr>" for r in rows)
    return f'<table class="bnc-claims"><tr>{head}</tr>{body}</table>'


def run_metrics(certificates: list[dict], accuracy: dict[str, dict[str, dict]]) -> dict:
    """The numbers DVC tracks (``results/report/metrics.json``): per certificate its primal, lower bound, gap,
    relative gap and solve time; per training figure and model the train/test accuracy (:mod:`bnconvex.stats`:
    mean over each seed's last epochs, then over seeds), the number of seeds and, with several, the test
    accuracy's standard deviation over seeds."""
    certs = {}
    for r in certificates:
        primal, lower = r["primal"], r["lower bound"]
        certs[r["certificate"]] = {"primal": primal, "lower_bound": lower, "gap": primal - lower,
                                   "rel_gap": r["rel. gap"], "solve_time_s": r["solve time (s)"]}
    return {"certificates": certs, "accuracy": accuracy}


# ---- the index ----

@dataclass
class Card:
    """One page on the index: its title, link, thumbnail, the paper's claim and our verdicts."""

    page: str
    title: str
    html: str  # path of the page
    figure: str | None = None  # path of its PNG
    claim: str = ""
    claims: list[dict] = field(default_factory=list)  # rows of bnconvex.paper for this page
    summary: str = ""  # a line under the claim (the paper-vs-ours card: its counts of verdicts)


def _rel(path, out_html: Path) -> str:
    return html.escape(os.path.relpath(Path(path), out_html.parent))


def card_html(card: Card, out_html: Path) -> str:
    thumb = (f'<a href="{_rel(card.html, out_html)}"><img class="thumb" src="{png_data_uri(card.figure, 360)}" '
             f'alt="{html.escape(card.title)}"></a>') if card.figure else '<div class="thumb none">table</div>'
    verdicts = "".join(f"<li>{verdict_badge(c['verdict'])} {html.escape(str(c['figure']))}: "
                       f"<small>{html.escape(str(c['agree?']))}</small></li>" for c in card.claims)
    claim = f"<p><b>The paper:</b> {html.escape(card.claim)}</p>" if card.claim else ""
    claim += f"<p>{html.escape(card.summary)}</p>" if card.summary else ""
    return (f'<div class="card">{thumb}<h3><a href="{_rel(card.html, out_html)}">{html.escape(card.title)}</a></h3>'
            f'{claim}<ul class="verdicts">{verdicts}</ul></div>')


INDEX_STYLE = STYLE + """
body {font-family: system-ui, sans-serif; margin: 24px; color: #222; max-width: 1400px}
.cards {display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 14px}
.card {border: 1px solid #dde; border-radius: 6px; padding: 10px; background: #fff}
.card h3 {font-size: 16px; margin: 8px 0 4px}
.card p, .card li {font-size: 13px}
.card ul.verdicts {padding-left: 0; list-style: none}
.thumb {width: 100%; max-width: 360px; display: block; border: 1px solid #eee}
.thumb.none {height: 60px; line-height: 60px; text-align: center; color: #889; background: #f4f5f7}
.kv td {padding: 2px 10px 2px 0; font-size: 13px; vertical-align: top}
"""


def write_index(out_html, *, title: str, cards: list[Card], certificates: list[dict], config_files: list[str],
                sources: list[dict], provenance: dict, certificates_html=None) -> None:
    """Write the index: ``sources`` = the prepared data sets' records (data/processed/<dataset>.json);
    ``provenance`` = {"commit", "dirty", "packages": {name: version}}; ``certificates_html``: the table's own
    page, linked. Self-contained: thumbnails embedded, links relative, no script."""
    out_html = Path(out_html)
    alone = f' (<a href="{_rel(certificates_html, out_html)}">the table alone</a>)' if certificates_html else ""
    esc = lambda v: html.escape(str(v))  # noqa: E731
    data_rows = []
    for m in sources:
        note = "" if m.get("official_bytes", True) is not False else (
            " <b>official_bytes: false</b> — a mirror that is not the official archive's bytes"
            + (f" ({esc(m['note'])})" if m.get("note") else ""))
        data_rows.append(f"<tr><td><b>{esc(m.get('name'))}</b></td><td>source <code>{esc(m.get('source'))}</code>, "
                         f"{esc(m.get('n_train'))} train / {esc(m.get('n_test'))} test, d = {esc(m.get('d'))}, "
                         f"sha256 <code>{esc(str(m.get('sha256'))[:16])}…</code>{note}</td></tr>")
    packages = ", ".join(f"{esc(k)} {esc(v)}" for k, v in sorted(provenance.get("packages", {}).items()))
    commit = provenance.get("commit")
    dirty = " (working tree dirty: uncommitted changes)" if provenance.get("dirty") else ""
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{INDEX_STYLE}</style></head>
<body>
<h1>{esc(title)}</h1>
<p class="bnc">The study of Ergen et al., “Demystifying Batch Normalization in ReLU Networks” (ICLR 2022): each card is
one figure or table of the paper, with the paper's claim and our verdict; each page shows the answer first.</p>
<h2>Config and data</h2>
<table class="kv"><tr><td>config</td><td><code>{esc(", ".join(config_files))}</code></td></tr>
{"".join(data_rows)}</table>
<h2>Figures and tables</h2>
<div class="cards">
{chr(10).join(card_html(c, out_html) for c in cards)}
</div>
<h2>Certificates</h2>
<p class="bnc"><small>Lower bound: the dual value of a feasible dual point. A complete pattern set certifies the global
optimum of the non-convex problem; a sampled one certifies the program over those patterns only{alone}.</small></p>
{certificates_table(certificates)}
<h2>Provenance of this run</h2>
<table class="kv"><tr><td>commit</td><td><code>{esc(commit)}</code>{dirty}</td></tr>
<tr><td>packages</td><td>{packages}</td></tr></table>
</body></html>
"""
    with atomic_path(out_html) as tmp:
        tmp.write_text(body, encoding="utf-8")


def write_certificates_page(out_html, certificates: list[dict]) -> None:
    """The certificates table alone (an item of Snakemake's report)."""
    body = (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Certificates</title>"
            f"<style>{INDEX_STYLE}</style></head><body><h1>Certificates</h1>{certificates_table(certificates)}"
            "</body></html>\n")
    with atomic_path(out_html) as tmp:
        tmp.write_text(body, encoding="utf-8")


def write_plot_data(out_dir, curves: dict, fig4_curves=None) -> None:
    """The curves ``dvc plots show`` draws (dvc.yaml ``plots``), one CSV per line: ``train/<name>.csv`` (epoch
    and the metrics of each model's ``metrics.csv``, ``curves`` = {"<dataset>-<model>": its table}) and
    ``fig4/trial<k>.csv`` (step, time_s, objective). Built beside ``out_dir`` and renamed onto it, so a killed
    job leaves the old directory or none."""
    import shutil
    import tempfile

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        (tmp / "train").mkdir()
        (tmp / "fig4").mkdir()
        for name, table in curves.items():
            cols = [c for c in ("epoch", "time_s", "train_loss", "train_acc", "test_acc") if c in table]
            table[cols].to_csv(tmp / "train" / f"{name}.csv", index=False, float_format="%.10g")
        if fig4_curves is not None:
            for trial, g in fig4_curves.groupby("trial"):
                g[["step", "time_s", "objective"]].to_csv(tmp / "fig4" / f"trial{int(trial) + 1}.csv", index=False,
                                                          float_format="%.10g")  # the metrics' format: enough to plot
        if out_dir.exists():
            shutil.rmtree(out_dir)
        os.replace(tmp, out_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
