"""The report's pages and the paper: every page's metadata (index title; for a training figure its heading,
plotted axis and metrics, notebook), the paper's setting and claims as printed (units in the key names), and
the verdicts of the "paper vs ours" page, one function per comparison."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from bnconvex.plots import model_label


@dataclass(frozen=True)
class Page:
    title: str  # the index's link text
    heading: str = ""  # a training figure's page heading
    about: str = ""  # ... and the paragraph under it
    plot: str = ""  # the plot's title after "<dataset>: " (default: the heading after its label)
    x: str = "epoch"
    metrics: tuple[str, ...] = ("train_acc", "test_acc")
    notebook: str | None = None  # a training figure's notebook, notebooks/<notebook>.ipynb
    paper: dict = field(default_factory=dict)  # the paper's setting and claim

    @property
    def plot_title(self) -> str:
        return self.plot or self.heading.partition(": ")[2]


# Test accuracies of Fig. 3 / App. A.7 are read off the paper's plots only as claims; the settings are exact.
PAGES = {  # in the index's order
    "paper": Page("Paper vs ours: the paper's reported numbers beside ours, and where we diverge"),
    "study": Page("Study overview: data, spectrum, Thm 2.4 certificate"),
    "fig4": Page("Fig. 4: closed-form optimum vs gradient descent", paper={
        "dataset": "CIFAR-100, three classes", "n": 1500, "d": 3072, "m1": 1000, "beta": 1.0,
        "closed_form_time_s": 0.578, "gd_time_per_trial_s": 50 * 60, "closed_form_test_acc": 0.477,
        "gd_test_acc": 0.601, "gd": "lr 1e-5 halved on plateau, 40001 epochs, 5 trials"}),
    "convex": Page("Exact convex programs (Thm 2.2, G.1) with certificates; exact 2-D optimum"),
    "fig1": Page(
        "Fig. 1: cosine similarity to initialization per singular direction (BN vs whitened)", notebook="fig1",
        heading="Fig. 1: cosine similarity of the hidden weights to their initialization per singular direction",
        about="Eq. (18), for the BN model (9) (directions v_i of the centered data) and the whitened model (16) "
              "(directions e_i), for the networks of Fig. 2.",
        plot="cosine similarity to initialization, eq. (18)",
        paper={"claim": "BN fits high-σ directions first (low-σ directions barely move); the whitened model moves "
                        "all directions about equally"}),
    "fig2": Page(
        "Fig. 2: BN model vs whitened model (implicit regularization)", notebook="train_figure",
        heading="Fig. 2: BN model (9) vs whitened model (16)",
        about="Training and test accuracy of the BN network and the equivalent whitened model trained with SGD. "
              "The paper: the whitened model overfits much more, which is the implicit regularization of SGD on "
              "BN (Sec. 5.1).",
        paper={"dataset": "CIFAR-10 (n = 50,000)",
               "setting": "(n, d, m1, β, bs, lr) = (50000, 3072, 1000, 1e-4, 1000, 1e-4), 501 epochs",
               "claim": "the whitened model (16) overfits much more than the BN model (9)"}),
    "fig3": Page(
        "Fig. 3: SGD, SGD-Truncated, Convex, Convex-Truncated", notebook="train_figure", x="time_s",
        heading="Fig. 3: SGD, SGD-Truncated, Convex, Convex-Truncated",
        about="Accuracy against training time of the BN baseline, its truncated version (17), the convex program "
              "(8) trained with SGD in App. A's penalized form, and its truncated version. Convex models are "
              "evaluated through their reconstructed BN network (App. A.1); test data are never truncated.",
        paper={"dataset": "CIFAR-10 (n = 50,000, 10 classes)",
               "setting": "(m1, β, bs) = (4096, 1e-4, 1000), k = 215, SGD momentum 0.9",
               "claim": "Convex-Truncated matches or beats SGD in test accuracy; Convex (untruncated) overfits",
               "lr": {"sgd": 1e-5, "sgd_truncated": 1e-5, "convex": 5e-5, "convex_truncated": 1e-4},
               "epochs": {"sgd": 501, "sgd_truncated": 501, "convex": 51, "convex_truncated": 201},
               "time_per_model_s": 700}),
    "fig5": Page(
        "Fig. 5/8: batch-size sweep", notebook="train_figure", heading="Fig. 5/8: batch-size sweep",
        about="One job per batch size (sweep points are model names `-bs<N>`). ⚠ The paper's Fig. 5 uses a 4-layer "
              "CNN; this sweep uses the two-layer BN network.",
        paper={"setting": "4-layer CNN with BN, CIFAR-100 two classes, bs ∈ {50, 100, 500, 1000}",
               "claim": "the batch sizes perform about equally"}),
    "fig6": Page(
        "Fig. 6: truncation sweep of the convex program (CNAE-9)", notebook="train_figure", x="time_s",
        heading="Fig. 6: truncation sweep of the convex program",
        about="Convex-Truncated for several k against the SGD BN baseline, each model trained for about the same "
              "time.",
        paper={"dataset": "CNAE-9 (first 900 rows train, last 180 test)",
               "setting": "(m1, β, bs, lr) = (10000, 1e-2, 900, 1e-5), ~15 s per model, k ∈ {10, 100, 200, 400, 856}",
               "claim": "k = 100 and k = 200 generalize best (80% and 91% of the variance); k = 10 underfits, "
                        "k = 856 overfits",
               "best_k": [100, 200]}),
    "fig9": Page(
        "Fig. 9/12: learning-rate sweep", notebook="train_figure", heading="Fig. 9/12: learning-rate sweep",
        about="One job per learning rate (model names `-lr<value>`).",
        metrics=("train_acc", "test_acc", "train_objective")),
    "fig10": Page("Fig. 10/11: Adam", notebook="train_figure", heading="Fig. 10/11: Adam",
                  about="The Fig. 3 models trained with Adam instead of SGD."),
    "fig13": Page("Fig. 13: without BN", notebook="train_figure", heading="Fig. 13: without BN",
                  about="The two-layer ReLU network without BN against the BN network."),
    "table1": Page(
        "Table 1: CNN baseline vs convex CNN, with and without truncation", notebook="table1",
        heading="Table 1: two-layer CNN with BN vs its convex counterpart over spatial blocks",
        about="App. A.4: conv (3×3, stride 3, padding 2) → channel-wise BN → ReLU → average pooling to 4×4 → "
              "linear, against the convex model (15) applied to each pooled block, each with and without "
              "truncation (17) of the patch matrix.",
        plot="Table 1 models",
        paper={"dataset": "CIFAR-10 (n = 50,000), CNN 3×3, stride 3, padding 2, pool to 4×4",
               "train_test_acc": {"Baseline": (87.33, 67.06), "Baseline-Truncated": (78.41, 66.62),
                                  "Convex": (81.60, 66.91), "Convex-Truncated": (81.35, 67.11)}}),
}
TRAINING_FIGURES = [name for name, page in PAGES.items() if page.notebook]
CAPTIONS = {  # each figure's caption (reST) in Snakemake's report (workflow/report/caption.rst shows it)
    "spectrum": "Singular values σ_i of the centered training data Pc X = U Σ Vᵀ, with the truncation index k of "
                "eq. (17) that keeps the configured fraction of Σ σ_i². Truncation g(X) = U T_k(Σ) Vᵀ is what makes "
                "the whitened and convex models generalize (Sec. 5 of the paper).",
    "fig4": "Fig. 4 of the paper: objective (9) against wall time for gradient-descent trials on the non-convex BN "
            "ReLU network, and the closed-form optimum of Thm 2.4 (certified by its dual). Gradient descent never "
            "goes below the certified optimum; the job fails if it ever does.",
    "exact2d": "Decision function of the globally optimal BN ReLU network (Thm 2.2 with every hyperplane-arrangement "
               "pattern) on two classes projected onto their top-2 principal directions; the black line is f(x) = 0. "
               "The certificate's duality gap proves optimality over all networks of any width.",
    "convex_solver": "Solve time of our solver (``solver=\"bnconvex\"``) and of CVXPY + Clarabel on the same Thm 2.2 "
                     "instances (real data: digits and CIFAR-10 subsets), each to a certified relative duality gap of "
                     "1e-6, in one run of ``benchmarks/convex_solver.py``. Labels give the speedup; \"n/a\" marks "
                     "instances where CVXPY was skipped (its dense model exceeds the machine's memory) or did not "
                     "finish within 10 minutes.",
    "fig1": "Fig. 1 of the paper: cosine similarity (18) of the hidden weights to their initialization per singular "
            "direction of the data, for the BN model (9) and the whitened model (16).",
    "fig2": "Fig. 2 of the paper: training and test accuracy of the BN model (9) and the whitened model (16).",
    "fig3": "Fig. 3 of the paper: SGD, SGD-Truncated, Convex and Convex-Truncated against training time.",
    "fig6": "Fig. 6 of the paper: the convex program truncated at several k against the SGD baseline (CNAE-9).",
}


def caption(figure: str) -> str:
    """The report caption of ``figure``; a training figure's names its config key, provenance and audit."""
    if figure not in TRAINING_FIGURES:
        return CAPTIONS[figure]
    text = CAPTIONS.get(figure, f"Training figure {figure} of the paper (sweep or ablation); see the report page "
                                "of the same name.")
    return (f"{text}\n\nConfig: `train.figures.{figure}`; provenance: `results/figures/{figure}.json`; audit with "
            f"`bnconvex audit {figure}`.")
CNN_NAMES = {"cnn": "Baseline", "cnn_truncated": "Baseline-Truncated", "convex_cnn": "Convex",
             "convex_cnn_truncated": "Convex-Truncated"}  # Table 1's names of our models


def reported(page: str) -> dict:
    """The paper's setting and numbers for ``page``, as printed."""
    return PAGES[page].paper


# ---- paper vs ours: each comparison a function of our results, giving one row of the page's table ----

def row(figure, paper_setting, our_setting, paper_says, we_measure, agree) -> dict:
    return {"figure": figure, "paper: data, scale": paper_setting, "ours: data, scale": our_setting,
            "paper reports": paper_says, "we measure": we_measure, "agree?": agree}


def last_epochs(table: pd.DataFrame, epochs: int = 5) -> pd.DataFrame:
    """Each model's accuracies averaged over its last ``epochs`` epochs: the BN models' accuracies, evaluated
    with running statistics, swing by several points from one epoch to the next."""
    tail = table.groupby("model", sort=False).tail(epochs)
    return tail.groupby("model", sort=False)[["train_acc", "test_acc"]].mean()


def cosine_deciles(table: pd.DataFrame) -> pd.DataFrame:
    """Fig. 1 at the last epoch: per model, the number of directions and the mean cosine (18) over the top and
    the bottom 10% of σ (lower = moved further from the start)."""
    last = table[table["epoch"] == table["epoch"].max()]
    rows = []
    for model, g in last.groupby("model", sort=False):
        r = g["direction"].max()
        tenth = max(1, r // 10)
        rows.append({"model": model, "directions": r, "top": g[g["direction"] <= tenth]["cosine"].mean(),
                     "bottom": g[g["direction"] > r - tenth]["cosine"].mean()})
    return pd.DataFrame(rows).set_index("model")


def fig4_rows(S: dict) -> list[dict]:
    """Fig. 4 (``summary.json`` of the fig4 job): time, objective and test accuracy of closed form vs GD."""
    cf, gd, P = S["closed_form"], S["gd"], reported("fig4")
    ours = f"{S['dataset']} ({S.get('data_source')}), (n, d, m1) = ({S['n']}, {S['d']}, {S['m1']})"
    excess = (gd["best_final_objective"] - cf["objective"]) / cf["objective"]
    return [
        row("Fig. 4 time", f"{P['dataset']}, (n, d, m1) = ({P['n']}, {P['d']}, {P['m1']})", ours,
            f"closed form {P['closed_form_time_s']} s, GD ~{P['gd_time_per_trial_s']} s per trial",
            f"closed form {cf['time_s']:.3f} s, GD {gd['mean_wall_time_s']:.1f} s per trial ({gd['steps']} steps)",
            "yes: closed form is orders of magnitude faster" if cf["time_s"] < gd["mean_wall_time_s"] / 10 else "no"),
        row("Fig. 4 objective", P["dataset"], ours, "GD approaches the closed-form optimum from above",
            f"best GD {100 * excess:.1f}% above the optimum; rel. duality gap {cf['rel_gap']:.1e}",
            "yes" if excess >= -1e-9 else "NO: GD went below the certified optimum"),
        row("Fig. 4 test acc", P["dataset"], ours,
            f"closed form {100 * P['closed_form_test_acc']:.1f}%, GD {100 * P['gd_test_acc']:.1f}%",
            f"closed form {100 * cf['test_acc']:.1f}%, GD {100 * gd['mean_test_acc']:.1f}%",
            "same ordering (GD generalizes better)" if gd["mean_test_acc"] > cf["test_acc"] else
            f"diverges: GD {100 * (gd['mean_test_acc'] - cf['test_acc']):+.1f} points vs paper "
            f"{100 * (P['gd_test_acc'] - P['closed_form_test_acc']):+.1f}"),
    ]


def certificate_row(name: str, certificate: dict, theorem: str, scale: str) -> dict:
    gap = certificate.get("rel_gap")
    return row(name, "proof (strong duality)", scale, f"the {theorem} is optimal (zero duality gap)",
               f"relative duality gap {gap:.1e}", "yes" if gap is not None and gap < 1e-6 else "no")


def thm51_row(R: dict) -> dict:
    return row("Thm 5.1", "proof", f"{R['dataset']}, n = {R['n']}, d = {R['d']}, m1 = {R['m1']}",
               "Σ Vᵀ ∇_{w1} L = Σ² ∇_q L", f"relative error {R['rel_error']:.1e} (float64)",
               "yes" if R["rel_error"] < 1e-10 else "no")


def fig2_row(L: pd.DataFrame, scale: str) -> dict | None:
    """``L``: :func:`last_epochs`. Yes when the whitened model's train−test gap exceeds the BN model's."""
    gaps = (L["train_acc"] - L["test_acc"]) * 100
    whitened = [m for m in L.index if m.startswith("whitened") and "truncated" not in m]
    bn = [m for m in L.index if not m.startswith("whitened")]
    if not (whitened and bn):
        return None
    w, b = gaps[whitened[0]], gaps[bn[0]]
    return row("Fig. 2", reported("fig2")["dataset"], scale, reported("fig2")["claim"],
               f"train−test gap: BN {b:.1f} points (test {100 * L.loc[bn[0], 'test_acc']:.1f}%), whitened {w:.1f} "
               f"points (test {100 * L.loc[whitened[0], 'test_acc']:.1f}%)",
               "yes" if w > b else f"no: the whitened gap is {b - w:.1f} points smaller")


def fig1_row(T: pd.DataFrame, scale: str) -> dict:
    """``T``: Fig. 1's table (model, epoch, direction, cosine). Yes when BN moved its high-σ directions more."""
    D = cosine_deciles(T)
    parts = [f"{model_label(m)}: mean cos top-10% σ {r.top:.3f}, bottom-10% σ {r.bottom:.3f}" for m, r in D.iterrows()]
    bn = [m for m in D.index if not m.startswith("whitened")]
    verdict = "n/a"
    if bn:
        top, bottom = D.loc[bn[0], "top"], D.loc[bn[0], "bottom"]
        verdict = "yes: BN moved high-σ directions more" if top < bottom else "no: BN moved low-σ directions more"
    return row("Fig. 1", reported("fig2")["dataset"], scale, reported("fig1")["claim"], "; ".join(parts), verdict)


def fig3_row(L: pd.DataFrame, scale: str) -> dict:
    """Yes when Convex-Truncated's test accuracy is at most 1 point below SGD's."""
    acc = {m: 100 * L.loc[m, "test_acc"] for m in L.index}
    verdict = "n/a"
    if {"sgd", "convex_truncated"} <= set(acc):
        d = acc["convex_truncated"] - acc["sgd"]
        verdict = ("yes" if d >= -1.0 else "no") + f": Convex-Truncated − SGD = {d:+.1f} points"
        if "convex" in acc:
            verdict += f"; Convex − Convex-Truncated = {acc['convex'] - acc['convex_truncated']:+.1f} points"
    P = reported("fig3")
    return row("Fig. 3", f"{P['dataset']}; {P['setting']}", scale, P["claim"],
               "final test accuracy: " + ", ".join(f"{model_label(m)} {a:.1f}%" for m, a in acc.items()), verdict)


def fig6_row(L: pd.DataFrame, scale: str) -> dict:
    """Agrees when the k of the best test accuracy is one of the paper's best."""
    ks = {int(m.split("-k")[1]): 100 * L.loc[m, "test_acc"] for m in L.index if "-k" in m}
    base = [m for m in L.index if "-k" not in m]
    ours = ", ".join(f"k={k}: {a:.1f}%" for k, a in sorted(ks.items()))
    if base:
        ours += f"; {model_label(base[0])} {100 * L.loc[base[0], 'test_acc']:.1f}%"
    P = reported("fig6")
    best = max(ks, key=ks.get) if ks else None
    return row("Fig. 6", f"{P['dataset']}; {P['setting']}", scale, P["claim"], "final test accuracy: " + ours,
               f"best k = {best}: " + ("agrees" if best in P["best_k"] else "diverges") if ks else "n/a")


def table1_row(L: pd.DataFrame | None, scale: str) -> dict:
    """Yes when Convex-Truncated's test accuracy is at most 1 point below the baseline's; ``L`` None: not run."""
    P = reported("table1")
    if L is None:
        return row("Table 1", P["dataset"], "not run", "Baseline 67.06%, Convex-Truncated 67.11% test",
                   "not in this config (train.figures.table1 needs image data)", "not compared")
    acc = {CNN_NAMES.get(m, m): (100 * L.loc[m, "train_acc"], 100 * L.loc[m, "test_acc"]) for m in L.index}
    verdict = "n/a"
    if {"Baseline", "Convex-Truncated"} <= set(acc):
        d = acc["Convex-Truncated"][1] - acc["Baseline"][1]
        verdict = ("yes" if d >= -1.0 else "no") + f": Convex-Truncated − Baseline test = {d:+.1f} points (paper +0.05)"
    said = ", ".join(f"{k} {v[0]:.2f}/{v[1]:.2f}" for k, v in P["train_test_acc"].items())
    return row("Table 1", P["dataset"], scale, "train/test acc: " + said,
               "train/test acc: " + ", ".join(f"{k} {v[0]:.1f}/{v[1]:.1f}" for k, v in acc.items()), verdict)


def fig5_row(scale: str) -> dict:
    P = reported("fig5")
    return row("Fig. 5", P["setting"], scale, P["claim"], "our batch-size sweep (if configured) uses the two-layer "
               "BN network, not the 4-layer CNN", "not compared")


def comparison(scales: dict, fig4=None, thm24=None, thm22=None, thm51=None, fig1=None, fig2=None, fig3=None,
               fig6=None, table1=None) -> pd.DataFrame:
    """The "paper vs ours" table from the paths of our results (None: not made by this config); ``scales``:
    {figure: "data set (source), n ≈ …, d = …"} of our runs."""
    load = lambda path: json.load(open(path))  # noqa: E731
    acc = lambda path: last_epochs(pd.read_csv(path))  # noqa: E731
    rows = fig4_rows(load(fig4)) if fig4 else []
    for name, path, theorem in (("Thm 2.4 certificate", thm24, "closed form"),
                                ("Thm 2.2 certificate", thm22, "convex program")):
        if path:
            rows.append(certificate_row(name, load(path), theorem, scales.get(name, "")))
    if thm51:
        rows.append(thm51_row(load(thm51)))
    if fig2 and (r := fig2_row(acc(fig2), scales.get("fig2", ""))):
        rows.append(r)
    if fig1:
        rows.append(fig1_row(pd.read_csv(fig1), scales.get("fig1", "")))
    if fig3:
        rows.append(fig3_row(acc(fig3), scales.get("fig3", "")))
    if fig6:
        rows.append(fig6_row(acc(fig6), scales.get("fig6", "")))
    rows.append(table1_row(acc(table1) if table1 else None, scales.get("table1", "")))
    rows.append(fig5_row(scales.get("fig5", "not run")))
    return pd.DataFrame(rows).set_index("figure")
