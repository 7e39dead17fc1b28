"""Every training-figure notebook executes with papermill on a tiny table (the DAG test covers the rest)."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import ROOT

from bnconvex.pages import PAGES, TRAINING_FIGURES
from bnconvex.report import render_notebook


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("nb")
    rows = []
    for model in ("sgd", "convex_truncated-k5", "whitened"):
        for epoch in range(3):
            rows.append({"epoch": epoch, "time_s": 0.1 * epoch, "train_loss": 1 / (epoch + 1),
                         "train_objective": 10 / (epoch + 1), "train_acc": 0.5 + 0.1 * epoch,
                         "test_acc": 0.4 + 0.1 * epoch, "lr": 0.01, "model": model,
                         "max_violation": 0.01 if model.startswith("convex") else np.nan})
    pd.DataFrame(rows).to_csv(d / "curves.csv", index=False)
    e, i = np.meshgrid(np.arange(3), np.arange(1, 6), indexing="ij")
    cos = pd.concat([pd.DataFrame({"model": m, "epoch": e.ravel(), "direction": i.ravel(),
                                   "cosine": np.cos(0.1 * e * i).ravel()}) for m in ("sgd", "whitened")])
    cos.to_csv(d / "cosine.csv", index=False)
    (d / "meta.json").write_text(json.dumps({"source": "digits", "n_train": 30, "n_test": 10}))
    part = {"n": 30, "d": 64, "rank": 20, "sigma_max": 9.0, "sigma_min": 0.1, "condition_number": 90.0}
    (d / "conditioning.json").write_text(json.dumps({
        "dataset": "toy", "data": part, "ratio": 9.0,
        "patches": part | {"n": 270, "h": 9, "condition_number": 10.0, "kernel": 3, "stride": 3, "padding": 2}}))
    return d


@pytest.mark.parametrize("name", TRAINING_FIGURES)
def test_training_figure_notebook_executes(name, inputs, tmp_path):
    table = inputs / ("cosine.csv" if name == "fig1" else "curves.csv")
    params = {"fig": name, "tables": [str(table)], "metas": [str(inputs / "meta.json")], "datasets": ["toy"],
              "panels": [""], "scales": ["toy, n ≈ 30"], "png": str(tmp_path / f"{name}.png"),
              "pdf": str(tmp_path / f"{name}.pdf")}
    if name == "table1":
        params["conditioning"] = str(inputs / "conditioning.json")
    notebook = ROOT / "notebooks" / f"{PAGES[name].notebook}.ipynb"
    render_notebook(notebook, tmp_path / "out.ipynb", tmp_path / "out.html", params)
    assert (tmp_path / f"{name}.png").stat().st_size > 1000 and (tmp_path / f"{name}.pdf").exists()
    html = (tmp_path / "out.html").read_text()
    assert "Traceback" not in html
    assert PAGES[name].heading.split(":")[0] in html  # the figure's own heading, from bnconvex.pages.PAGES
    # the answer first: the verdict and the figure come before the tables; no code, no machine's path
    assert 'class="verdict' in html and html.index('class="verdict') < html.index("dataframe")
    assert "import " not in html and str(tmp_path) not in html and str(inputs) not in html
    if name == "table1":
        assert "67.11" in html  # the paper's Convex-Truncated test accuracy beside ours
        assert "App. A.4" in html and "5892.5" in html and "patch matrix" in html  # the condition numbers
    elif name != "fig1":
        assert "Convex-Truncated (k5)" in html  # the final-epoch table names models as the paper does
    if PAGES[name].notebook == "train_figure" and PAGES[name].paper:  # the paper's claim (Fig. 2, 3, 5, 6)
        assert PAGES[name].paper["claim"][:30] in html  # (pandas shortens long cells)


def test_every_training_figure_of_the_schema_has_a_page_and_the_shared_notebook_serves_most():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    figures = schema["properties"]["train"]["properties"]["figures"]["propertyNames"]["enum"]
    assert sorted(TRAINING_FIGURES) == sorted(figures)
    for name in TRAINING_FIGURES:
        assert (ROOT / "notebooks" / f"{PAGES[name].notebook}.ipynb").exists(), name
    shared = [f for f in TRAINING_FIGURES if PAGES[f].notebook == "train_figure"]
    assert shared == ["fig2", "fig3", "fig5", "fig6", "fig7", "fig8", "fig9", "fig10", "fig11", "fig12", "fig13"]
    assert not any((ROOT / "notebooks" / f"{f}.ipynb").exists() for f in shared)  # no copies left behind


def test_notebooks_name_no_paths_of_their_own():
    """Paths reach notebooks only as papermill parameters: no string literal in code names one."""
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            for line in "".join(cell["source"]).splitlines():
                code = line.split("#", 1)[0]
                for fragment in ('"results/', "'results/", '"data/', "'data/", '"config/', ".csv\"", ".json\""):
                    assert fragment not in code, (nb.name, line)


def test_benchmarks_notebook_executes(tmp_path):
    """The solver benchmark page: one instance with CVXPY's time, one where CVXPY was skipped."""
    base = {"dataset": "digits", "d": 64, "C": 1, "ours_method": "ipm", "ours_total_s": 1.5, "ours_gap": 5e-7,
            "cvxpy_gap": 1e-8, "device": "cpu"}
    records = [base | {"n": 200, "P": 50, "cvxpy_s": 10.0, "ours_s": 0.5, "speedup": 20.0, "rel_obj_diff": 1e-7,
                       "cvxpy_note": "finished"},
               base | {"n": 1000, "P": 1000, "cvxpy_s": None, "ours_s": 30.0, "speedup": None, "rel_obj_diff": None,
                       "cvxpy_note": "skipped"}]
    (tmp_path / "solver.json").write_text(json.dumps(records))
    penalized = {"dataset": "digits", "n": 200, "P": 50, "beta": 0.1, "rho": 1.0,
                 "ours": {"primal_convex": 6.16, "max_violation": 0.0, "time_s": 2.0, "rel_gap": 1e-6},
                 "penalized": [{"optimizer": "sgd", "lr": 1e-3, "final_objective": 6.3, "final_rel_excess": 0.02,
                                "max_violation": 4e-4, "time_s": 40.0}]}
    (tmp_path / "pen.json").write_text(json.dumps(penalized))
    params = {"convex_solver": str(tmp_path / "solver.json"), "penalized_sgd": str(tmp_path / "pen.json"),
              "solver_png": str(tmp_path / "s.png"), "solver_pdf": str(tmp_path / "s.pdf")}
    render_notebook(ROOT / "notebooks" / "benchmarks.ipynb", tmp_path / "o.ipynb", tmp_path / "o.html", params)
    assert (tmp_path / "s.png").stat().st_size > 1000 and (tmp_path / "s.pdf").exists()
    html = (tmp_path / "o.html").read_text()
    assert "Traceback" not in html and "sgd lr=0.001" in html and "skipped" in html
