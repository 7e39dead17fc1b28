"""The verdicts of the "paper vs ours" page, one function per comparison, against the paper's setting and
claims as printed (:mod:`bnconvex.pages`)."""

from __future__ import annotations

import json

import pandas as pd

from bnconvex.pages import PAGES, reported
from bnconvex.plots import model_label

CNN_NAMES = {"cnn": "Baseline", "cnn_truncated": "Baseline-Truncated", "convex_cnn": "Convex",
             "convex_cnn_truncated": "Convex-Truncated"}  # Table 1's names of our models


# ---- paper vs ours: each comparison a function of our results, giving one row of the page's table ----

VERDICTS = ("agrees", "diverges", "not compared")


def verdict_of(agree: str) -> str:
    """The verdict a row's "agree?" text states: "agrees" (yes / same ordering / agrees), "diverges" (no /
    diverges), else "not compared" (n/a, not run)."""
    text = agree.strip().lower()
    if text.startswith(("not compared", "n/a")):
        return "not compared"
    if text == "no" or text.startswith(("no:", "no ", "diverges")) or ": diverges" in text:
        return "diverges"
    if text.startswith(("yes", "same ordering", "agrees")) or ": agrees" in text:
        return "agrees"
    return "not compared"


def row(figure, paper_setting, our_setting, paper_says, we_measure, agree, page="paper") -> dict:
    """One claim of the paper beside our measurement; ``page``: the report page that shows it."""
    return {"figure": figure, "paper: data, scale": paper_setting, "ours: data, scale": our_setting,
            "paper reports": paper_says, "we measure": we_measure, "agree?": agree, "verdict": verdict_of(agree),
            "page": page}


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
            "yes: closed form is orders of magnitude faster" if cf["time_s"] < gd["mean_wall_time_s"] / 10 else "no",
            page="fig4"),
        row("Fig. 4 objective", P["dataset"], ours, "GD approaches the closed-form optimum from above",
            f"best GD {100 * excess:.1f}% above the optimum; rel. duality gap {cf['rel_gap']:.1e}",
            "yes" if excess >= -1e-9 else "NO: GD went below the certified optimum", page="fig4"),
        row("Fig. 4 test acc", P["dataset"], ours,
            f"closed form {100 * P['closed_form_test_acc']:.1f}%, GD {100 * P['gd_test_acc']:.1f}%",
            f"closed form {100 * cf['test_acc']:.1f}%, GD {100 * gd['mean_test_acc']:.1f}%",
            "same ordering (GD generalizes better)" if gd["mean_test_acc"] > cf["test_acc"] else
            f"diverges: GD {100 * (gd['mean_test_acc'] - cf['test_acc']):+.1f} points vs paper "
            f"{100 * (P['gd_test_acc'] - P['closed_form_test_acc']):+.1f}", page="fig4"),
    ]


def certificate_row(name: str, certificate: dict, theorem: str, scale: str, page: str = "paper") -> dict:
    gap = certificate.get("rel_gap")
    return row(name, "proof (strong duality)", scale, f"the {theorem} is optimal (zero duality gap)",
               f"relative duality gap {gap:.1e}", "yes" if gap is not None and gap < 1e-6 else "no", page=page)


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
               "yes" if w > b else f"no: the whitened gap is {b - w:.1f} points smaller", page="fig2")


def fig1_row(T: pd.DataFrame, scale: str) -> dict:
    """``T``: Fig. 1's table (model, epoch, direction, cosine). Both halves of the claim: BN moved its high-σ
    directions more (mean cosine of the top 10% of σ below the bottom 10%'s), and the whitened model moved all
    directions about equally (its top-vs-bottom difference under half of BN's)."""
    D = cosine_deciles(T)
    parts = [f"{model_label(m)}: mean cos top-10% σ {r.top:.3f}, bottom-10% σ {r.bottom:.3f}" for m, r in D.iterrows()]
    bn = [m for m in D.index if not m.startswith("whitened")]
    whitened = [m for m in D.index if m.startswith("whitened")]
    verdict = "n/a"
    if bn:
        bn_spread = D.loc[bn[0], "bottom"] - D.loc[bn[0], "top"]
        halves = [(bn_spread > 0, "BN moved high-σ directions more" if bn_spread > 0 else
                   "BN moved low-σ directions more")]
        if whitened:
            w_spread = abs(D.loc[whitened[0], "bottom"] - D.loc[whitened[0], "top"])
            even = w_spread < abs(bn_spread) / 2
            halves.append((even, f"whitened top−bottom difference {w_spread:.3f} "
                                 f"{'<' if even else '≥'} half of BN's {abs(bn_spread):.3f}"))
        verdict = ("yes: " if all(ok for ok, _ in halves) else "no: ") + "; ".join(text for _, text in halves)
        if not whitened:
            verdict += " (whitened half not run)"
    return row("Fig. 1", reported("fig2")["dataset"], scale, reported("fig1")["claim"], "; ".join(parts), verdict,
               page="fig1")


def fig3_row(L: pd.DataFrame, scale: str) -> dict:
    """Both halves of the claim: Convex-Truncated's test accuracy is at most 1 point below SGD's, and Convex
    (untruncated) overfits: its train−test gap exceeds Convex-Truncated's (checked where Convex was run)."""
    acc = {m: 100 * L.loc[m, "test_acc"] for m in L.index}
    gap = {m: 100 * (L.loc[m, "train_acc"] - L.loc[m, "test_acc"]) for m in L.index}
    verdict = "n/a"
    if {"sgd", "convex_truncated"} <= set(acc):
        d = acc["convex_truncated"] - acc["sgd"]
        ok = d >= -1.0
        text = f"Convex-Truncated − SGD = {d:+.1f} points"
        if "convex" in acc:
            text += f"; Convex − Convex-Truncated = {acc['convex'] - acc['convex_truncated']:+.1f} points"
            overfits = gap["convex"] > gap["convex_truncated"]
            ok = ok and overfits
            text += (f"; train−test gap Convex {gap['convex']:.1f} vs Convex-Truncated {gap['convex_truncated']:.1f}"
                     f" points ({'Convex overfits more' if overfits else 'Convex does not overfit more'})")
        verdict = ("yes: " if ok else "no: ") + text
    P = reported("fig3")
    return row("Fig. 3", f"{P['dataset']}; {P['setting']}", scale, P["claim"],
               "final test accuracy: " + ", ".join(f"{model_label(m)} {a:.1f}%" for m, a in acc.items()), verdict,
               page="fig3")


def fig6_row(L: pd.DataFrame, scale: str) -> dict:
    """Every part of the claim that our k grid can test: the k of the best test accuracy is one of the paper's
    best; with three or more k, the smallest k underfits (lowest train accuracy) and the largest overfits
    (largest train−test gap)."""
    ks = {int(m.split("-k")[1]): m for m in L.index if "-k" in m}
    test = {k: 100 * L.loc[m, "test_acc"] for k, m in ks.items()}
    base = [m for m in L.index if "-k" not in m]
    ours = ", ".join(f"k={k}: {a:.1f}%" for k, a in sorted(test.items()))
    if base:
        ours += f"; {model_label(base[0])} {100 * L.loc[base[0], 'test_acc']:.1f}%"
    P = reported("fig6")
    verdict = "n/a"
    if ks:
        best = max(test, key=test.get)
        parts = [(best in P["best_k"], f"best k = {best} (paper: {', '.join(map(str, P['best_k']))})")]
        if len(ks) >= 3:
            train = {k: 100 * L.loc[m, "train_acc"] for k, m in ks.items()}
            gap = {k: train[k] - test[k] for k in ks}
            lo, hi = min(ks), max(ks)
            parts.append((min(train, key=train.get) == lo,
                          f"k = {lo} {'has' if min(train, key=train.get) == lo else 'has not'} the lowest train "
                          f"accuracy ({train[lo]:.1f}%: underfits)"))
            parts.append((max(gap, key=gap.get) == hi,
                          f"k = {hi} {'has' if max(gap, key=gap.get) == hi else 'has not'} the largest train−test "
                          f"gap ({gap[hi]:.1f} points: overfits)"))
        verdict = ("yes: " if all(ok for ok, _ in parts) else "no: ") + "; ".join(t for _, t in parts)
    return row("Fig. 6", f"{P['dataset']}; {P['setting']}", scale, P["claim"], "final test accuracy: " + ours,
               verdict, page="fig6")


def table1_row(L: pd.DataFrame | None, scale: str) -> dict:
    """Yes when Convex-Truncated's test accuracy is at most 1 point below the baseline's; ``L`` None: not run."""
    P = reported("table1")
    if L is None:
        return row("Table 1", P["dataset"], "not run", "Baseline 67.06%, Convex-Truncated 67.11% test",
                   "not in this config (train.figures.table1 needs image data)", "not compared", page="table1")
    acc = {CNN_NAMES.get(m, m): (100 * L.loc[m, "train_acc"], 100 * L.loc[m, "test_acc"]) for m in L.index}
    verdict = "n/a"
    if {"Baseline", "Convex-Truncated"} <= set(acc):
        d = acc["Convex-Truncated"][1] - acc["Baseline"][1]
        verdict = ("yes" if d >= -1.0 else "no") + f": Convex-Truncated − Baseline test = {d:+.1f} points (paper +0.05)"
    said = ", ".join(f"{k} {v[0]:.2f}/{v[1]:.2f}" for k, v in P["train_test_acc"].items())
    return row("Table 1", P["dataset"], scale, "train/test acc: " + said,
               "train/test acc: " + ", ".join(f"{k} {v[0]:.1f}/{v[1]:.1f}" for k, v in acc.items()), verdict,
               page="table1")


def fig5_row(scale: str) -> dict:
    P = reported("fig5")
    return row("Fig. 5", P["setting"], scale, P["claim"], "our batch-size sweep (if configured) uses the two-layer "
               "BN network, not the 4-layer CNN", "not compared", page="fig5")


def figure_claims(fig: str, table, scale: str) -> list[dict]:
    """The claims of training figure ``fig`` decided on its table (a path or a DataFrame); a figure with no
    verdict function gets one row with the paper's claim, our final accuracies and the verdict "not compared"."""
    T = table if isinstance(table, pd.DataFrame) else pd.read_csv(table)
    if fig == "fig1":
        return [fig1_row(T, scale)]
    L = last_epochs(T)
    decided = {"fig2": fig2_row, "fig3": fig3_row, "fig6": fig6_row, "table1": table1_row}
    if fig in decided:
        r = decided[fig](L, scale)
        if r is not None:
            return [r]
    if fig == "fig5":
        return [fig5_row(scale)]
    P = reported(fig) if fig in PAGES else {}
    ours = ", ".join(f"{model_label(m)} {100 * a:.1f}%" for m, a in L["test_acc"].items())
    label = PAGES[fig].title.split(":")[0] if fig in PAGES else fig
    return [row(label, "; ".join(str(P[k]) for k in ("dataset", "setting") if k in P),
                scale, P.get("claim", "(no claim recorded)"), "final test accuracy: " + ours,
                "not compared: no verdict function for this figure", page=fig)]


def comparison(scales: dict, fig4=None, thm24=None, thm22=None, thm51=None, **figures) -> pd.DataFrame:
    """The "paper vs ours" table from the paths of our results (None: not made by this config); ``figures``:
    {training figure: its table}; ``scales``: {figure: "data set (source), n ≈ …, d = …"} of our runs."""
    load = lambda path: json.load(open(path))  # noqa: E731
    rows = fig4_rows(load(fig4)) if fig4 else []
    for name, path, theorem, page in (("Thm 2.4 certificate", thm24, "closed form", "study"),
                                      ("Thm 2.2 certificate", thm22, "convex program", "convex")):
        if path:
            rows.append(certificate_row(name, load(path), theorem, scales.get(name, ""), page=page))
    if thm51:
        rows.append(thm51_row(load(thm51)))
    for fig, table in figures.items():
        if table:
            rows += figure_claims(fig, table, scales.get(fig, ""))
    if not figures.get("table1"):
        rows.append(table1_row(None, scales.get("table1", "")))
    if not figures.get("fig5"):
        rows.append(fig5_row(scales.get("fig5", "not run")))
    return pd.DataFrame(rows).set_index("figure")
