"""Pages for readers (code hidden, offline, the answer first) and the self-contained index."""

import re

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from bnconvex import report
from bnconvex.paper import row
from bnconvex.plots import curves_figure, save_figure


def test_page_html_hides_code_and_stderr_and_loads_nothing_from_the_network():
    cell = new_code_cell("print('secret code')", outputs=[
        new_output("stream", name="stdout", text="visible result\n"),
        new_output("stream", name="stderr", text="/home/someone/.venv/warnings.py: FutureWarning\n")])
    nb = new_notebook(cells=[new_markdown_cell("# Heading"), cell])
    html = report.notebook_html(nb)
    assert "Heading" in html and "visible result" in html
    assert "secret code" not in html and "FutureWarning" not in html
    assert not re.findall(r"<script[^>]+src=", html)  # no require.js, MathJax or Mermaid from a CDN
    assert "cdnjs" not in html and "jsdelivr" not in html


def test_answer_puts_claims_verdicts_and_the_embedded_figure_first(tmp_path):
    import pandas as pd

    T = pd.DataFrame({"model": ["sgd"] * 3, "epoch": [0, 1, 2], "train_acc": [0.1, 0.5, 0.9],
                      "test_acc": [0.1, 0.4, 0.8]})
    save_figure(curves_figure(T, ["train_acc"]), tmp_path / "f.png", tmp_path / "f.pdf")
    claims = [row("Fig. 9", "paper setting", "our scale", "the <claim>", "we measure 80%", "no: 3 points"),
              row("Fig. 9b", "s", "o", "c", "m", "yes")]
    html = report.answer(claims, tmp_path / "f.png").data
    assert html.index("the &lt;claim&gt;") < html.index("<img")
    assert 'class="verdict diverges"' in html and 'class="verdict agrees"' in html
    assert "data:image/png;base64," in html and str(tmp_path) not in html


def test_certificate_rows_read_closed_form_and_convex_certificates_alike():
    cf = report.certificate_summary("thm2.4", {"theorem": "2.4", "n": 30, "d": 64, "primal": 2.0, "dual": 1.5,
                                               "rel_gap": 0.25, "time_s": 0.1}, "digits")
    cvx = report.certificate_summary("thm2.2", {"theorem": "2.2", "n": 80, "d": 64, "P": 30, "primal_convex": 3.0,
                                                "lower_bound": 3.0, "rel_gap": 0.0, "patterns_complete": False,
                                                "primal": 99.0, "time_s": 1.0}, "digits")
    assert (cf["primal"], cf["lower bound"], cf["pattern set"]) == (2.0, 1.5, "closed form")
    assert (cvx["primal"], cvx["lower bound"], cvx["pattern set"], cvx["P"]) == (3.0, 3.0, "sampled", 30)
    metrics = report.run_metrics([cf, cvx], {"fig3": {"sgd": {"train_acc": 1.0, "test_acc": 0.8}}})
    assert metrics["certificates"]["thm2.4"]["gap"] == 0.5 and metrics["certificates"]["thm2.2"]["solve_time_s"] == 1.0
    assert metrics["accuracy"]["fig3"]["sgd"]["test_acc"] == 0.8


def test_index_is_self_contained_and_links_pages_relative_to_itself(tmp_path):
    import pandas as pd

    out = tmp_path / "results" / "report" / "index.html"
    page = out.parent / "fig3.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html></html>")
    png = tmp_path / "results" / "figures" / "fig3.png"
    png.parent.mkdir()
    T = pd.DataFrame({"model": ["sgd"] * 2, "epoch": [0, 1], "train_acc": [0.1, 0.9], "test_acc": [0.1, 0.8]})
    save_figure(curves_figure(T, ["train_acc", "test_acc"]), png, png.with_suffix(".pdf"))
    claims = [row("Fig. 3", "p", "o", "c", "m", "yes", page="fig3")]
    cards = [report.Card("fig3", "Fig. 3 <SGD>", str(page), str(png), "Convex-Truncated matches SGD", claims),
             report.Card("paper", "Paper vs ours", str(out.parent / "paper.html"))]
    cert = report.certificate_summary("thm2.4", {"theorem": "2.4", "n": 30, "d": 64, "primal": 2.0, "dual": 2.0,
                                                 "rel_gap": 0.0, "time_s": 0.1}, "digits")
    report.write_index(out, title="T", cards=cards, certificates=[cert], config_files=["config/test.yaml"],
                       sources=[{"name": "cifar10", "source": "cifar10", "official_bytes": False, "note": "JPEG"}],
                       provenance={"commit": "abc123", "dirty": True, "packages": {"torch": "2.13.0"}},
                       certificates_html=out.parent / "certificates.html")
    text = out.read_text()
    assert 'href="fig3.html"' in text and "Fig. 3 &lt;SGD&gt;" in text and 'href="certificates.html"' in text
    assert "data:image/png;base64," in text and "fig3.png" not in text  # the thumbnail is embedded
    assert "official_bytes: false" in text and "config/test.yaml" in text
    assert "abc123" in text and "dirty" in text and "torch 2.13.0" in text
    assert 'class="verdict agrees"' in text and "Convex-Truncated matches SGD" in text
    assert "<script" not in text and "http" not in text.replace("http-equiv", "")
    assert str(tmp_path) not in text


def test_plot_data_is_one_csv_per_curve_and_replaces_the_old_directory(tmp_path):
    import pandas as pd

    out = tmp_path / "plots"
    (out / "train").mkdir(parents=True)
    (out / "train" / "digits-gone.csv").write_text("stale")
    curves = {"digits-sgd": pd.DataFrame({"epoch": [0, 1], "train_acc": [0.1, 0.9], "test_acc": [0.1, 0.8],
                                          "lr": [0.1, 0.1]})}
    fig4 = pd.DataFrame({"step": [0, 1, 0, 1], "time_s": [0, 1, 0, 1], "objective": [3.0, 2.0, 4.0, 2.5],
                         "trial": [0, 0, 1, 1]})
    report.write_plot_data(out, curves, fig4)
    assert sorted(p.name for p in (out / "train").iterdir()) == ["digits-sgd.csv"]
    assert pd.read_csv(out / "train" / "digits-sgd.csv").columns.tolist() == ["epoch", "train_acc", "test_acc"]
    assert pd.read_csv(out / "fig4" / "trial2.csv")["objective"].tolist() == [4.0, 2.5]
    assert [p.name for p in tmp_path.iterdir()] == ["plots"]  # no temporary left beside it


def test_curves_figure_draws_one_row_per_panel(tmp_path):
    import pandas as pd

    T = pd.DataFrame({"model": ["sgd"] * 3, "epoch": [0, 1, 2], "train_acc": [0.1, 0.5, 0.9],
                      "test_acc": [0.1, 0.4, 0.8]})
    fig = curves_figure([T, T.assign(test_acc=T.test_acc / 2)], ["train_acc", "test_acc"], title=["(a) x", "(b) y"])
    axes = fig.get_axes()
    assert len(axes) == 4 and axes[0].get_title(loc="left").startswith("(a) x")
    assert axes[2].get_title(loc="left").startswith("(b) y")
    assert axes[3].get_lines()[0].get_ydata().tolist() == [0.05, 0.2, 0.4]   # panel (b)'s test accuracy
    save_figure(fig, tmp_path / "f.png", tmp_path / "f.pdf")
    assert (tmp_path / "f.png").stat().st_size > 0
