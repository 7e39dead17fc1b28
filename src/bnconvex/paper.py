"""The verdicts of the "paper vs ours" page, one function per comparison, against the paper's setting and
claims as printed (:mod:`bnconvex.pages`)."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pandas as pd

from bnconvex.pages import PAGES, reported
from bnconvex.plots import BATCH_MODEL, model_label
from bnconvex.stats import (
    LAST_EPOCHS,
    Interval,
    combine,
    decide,
    difference,
    interval,
    models_of,
    per_seed,
    seed_values,
    seeds_note,
    summarize,
    with_seed,
)

CNN_NAMES = {"cnn": "Baseline", "cnn_truncated": "Baseline-Truncated", "convex_cnn": "Convex",
             "convex_cnn_truncated": "Convex-Truncated"}  # Table 1's names of our models


# ---- paper vs ours: each comparison a function of our results, giving one row of the page's table ----

VERDICTS = ("agrees", "diverges", "not resolved", "not compared")


def verdict_of(agree: str) -> str:
    """The verdict a row's "agree?" text states: "agrees" (yes / same ordering / agrees), "diverges" (no /
    diverges), "not resolved" (the claim's interval straddles its threshold, or one seed: :mod:`bnconvex.stats`),
    else "not compared" (n/a, not run)."""
    text = agree.strip().lower()
    if text.startswith("not resolved"):
        return "not resolved"
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


def last_epochs(table: pd.DataFrame, epochs: int = LAST_EPOCHS) -> pd.DataFrame:
    """Each model's accuracies by the one definition of :mod:`bnconvex.stats` (:func:`~bnconvex.stats.summarize`:
    the last ``epochs`` epochs of each seed, then the mean and spread over seeds)."""
    return summarize(table, epochs)


def decided(parts: list[tuple[str, str]], seeds: int) -> str:
    """The "agree?" text of a claim from its parts ``(decision, text)`` (:func:`bnconvex.stats.combine`)."""
    verdict = combine(d for d, _ in parts)
    if verdict == "not resolved":
        verdict = f"not resolved at {seeds} seed{'s' if seeds != 1 else ''}"
    return f"{verdict}: " + "; ".join(text for _, text in parts)


def _points(S: pd.DataFrame, model: str, what: str) -> np.ndarray:
    """Per seed, in points: ``test`` / ``train`` accuracy or the train−test ``gap`` of ``model``."""
    if what == "gap":
        return 100 * (seed_values(S, model, "train_acc") - seed_values(S, model, "test_acc"))
    return 100 * seed_values(S, model, f"{what}_acc")


def _acc(S: pd.DataFrame, model: str, what: str = "test") -> str:
    """``"80.1 ± 1.2%"``: a model's mean accuracy over seeds with its 95% interval."""
    return interval(_points(S, model, what)).text() + "%"


def _seeds(S: pd.DataFrame, *models: str) -> int:
    return min(len(S.xs(m, level="model")) for m in models)


def cosine_deciles(table: pd.DataFrame, per_seed: bool = False) -> pd.DataFrame:
    """Fig. 1 at the last epoch: per model (and seed, with ``per_seed``), the number of directions and the mean
    cosine (18) over the top and the bottom 10% of σ (lower = moved further from the start); without
    ``per_seed``, ``top`` and ``bottom`` are means over seeds and ``seeds`` counts them."""
    T = with_seed(table)
    last = T[T["epoch"] == T["epoch"].max()]
    rows = []
    for (model, seed), g in last.groupby(["model", "seed"], sort=False):
        r = g["direction"].max()
        tenth = max(1, r // 10)
        rows.append({"model": model, "seed": seed, "directions": r,
                     "top": g[g["direction"] <= tenth]["cosine"].mean(),
                     "bottom": g[g["direction"] > r - tenth]["cosine"].mean()})
    D = pd.DataFrame(rows)
    if per_seed:
        return D.set_index(["model", "seed"])
    return D.groupby("model", sort=False).agg(directions=("directions", "first"), top=("top", "mean"),
                                              bottom=("bottom", "mean"), seeds=("seed", "count"))


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
    """Agrees when the relative duality gap is below 1e-6; for Thm 2.3's sandwich (``relaxation_lower_bound``
    in the certificate) also when the relaxation's bound lies below the restriction's value; for Thm 4.1 / 4.2
    (``trained`` in the certificate) also when the trained deep network's objective is not below the optimum."""
    c, gap = certificate, certificate.get("rel_gap")
    ok = gap is not None and gap < 1e-6
    measured = f"relative duality gap {gap:.1e}"
    claim = f"the {theorem} is optimal (zero duality gap)"
    if "relaxation_lower_bound" in c:
        upper, lower = c["upper_bound"], c["relaxation_lower_bound"]
        ok = ok and lower <= upper + 1e-6 * max(1.0, abs(upper))
        measured += f"; restriction {upper:.6g} ≥ relaxation {lower:.6g} (sandwich gap {c['sandwich_gap']:.2e})"
        claim += "; the nuclear-norm relaxation bounds the vector-output program from below"
    if "trained" in c:  # Thm 4.1 / 4.2: the trained network's own last two layers are a feasible point
        trained = c["trained"]["objective"]
        ok = ok and trained >= c["primal"] * (1 - 1e-9)
        measured += (f"; trained network {trained:.6g} ≥ optimum {c['primal']:.6g} "
                     f"({100 * c['trained']['rel_excess']:+.2f}%)")
        claim += "; the trained network's objective is never below it"
    return row(name, "proof (strong duality)", scale, claim, measured, "yes" if ok else "no", page=page)


# the certified solves beyond Thm 2.4 and 2.2 (squared) that a config may run: {certificate name: (row, theorem)}
MORE_CERTIFICATES = {"thm2.1": ("Thm 2.1 certificate", "closed form (scalar output)"),
                     "thmG.2": ("Thm G.2 certificate", "closed form (BN after ReLU)"),
                     "thm4.1": ("Thm 4.1 certificate", "closed form of a trained deep network's last two layers "
                                "(scalar output)"),
                     "thm4.2": ("Thm 4.2 certificate", "closed form of a trained deep network's last two layers "
                                "(one-hot output)"),
                     "nobn": ("Fig. 13 convex no-BN certificate", "convex program of the ReLU network without BN "
                              "(Pilanci & Ergen 2020)"),
                     "thm2.2-hinge": ("App. B.1 hinge loss", "convex program of Thm 2.2 with the hinge loss"),
                     "thm2.2-logistic": ("App. B.1 logistic loss", "convex program of Thm 2.2 with the logistic loss"),
                     "thm2.3-squared": ("Thm 2.3 sandwich", "column-wise restriction of Thm 2.3"),
                     "thm2.3-cross_entropy": ("App. B.1 cross-entropy (Thm 2.3)",
                                              "column-wise restriction of Thm 2.3 with the cross-entropy loss")}


def certificate_scale(c: dict) -> str:
    """"data set, n = …, d = …[, C = …][, P = … (sampled|complete)]" of a certificate."""
    parts = [str(c.get("dataset", "")), f"n = {c.get('n')}", f"d = {c.get('d')}"]
    if "depth" in c:  # Thm 4.1 / 4.2
        parts.append(f"L = {c['depth']}, widths {c['widths']}")
    if c.get("C", 1) > 1:
        parts.append(f"C = {c['C']}")
    if "P" in c:
        parts.append(f"P = {c['P']} ({'complete' if c.get('patterns_complete') else 'sampled'})")
    return ", ".join(parts)


def thm51_row(R: dict) -> dict:
    return row("Thm 5.1", "proof", f"{R['dataset']}, n = {R['n']}, d = {R['d']}, m1 = {R['m1']}",
               "Σ Vᵀ ∇_{w1} L = Σ² ∇_q L", f"relative error {R['rel_error']:.1e} (float64)",
               "yes" if R["rel_error"] < 1e-10 else "no")


def conditioning_row(R: dict | None) -> dict:
    """App. A.4: agrees when the patch matrix's condition number is below the data matrix's (``R``: the
    conditioning job's record, :func:`bnconvex.experiments.training.condition_numbers`; None: not run)."""
    P = reported("table1")["conditioning"]
    said = f"condition number: data {P['data']:g}, patches {P['patches']:g} ({P['claim']})"
    if R is None:
        return row("App. A.4", "CIFAR-10 (n = 50,000)", "not run", said,
                   "not in this config (needs train.figures.table1)", "not compared", page="table1")
    data, patches = R["data"], R["patches"]
    scale = (f"{R['dataset']}, data {data['n']}×{data['d']}, patches {patches['n']}×{patches['h']} "
             f"({patches['kernel']}×{patches['kernel']}, stride {patches['stride']}, padding {patches['padding']})")
    ours = (f"condition number: data {data['condition_number']:.1f} (rank {data['rank']}), patches "
            f"{patches['condition_number']:.1f} (rank {patches['rank']}): ratio {R['ratio']:.1f} (paper "
            f"{P['data'] / P['patches']:.1f})")
    return row("App. A.4", "CIFAR-10 (n = 50,000), d = 3072, h = 27", scale, said, ours,
               "yes" if patches["condition_number"] < data["condition_number"] else "no", page="table1")


def fig2_row(S: pd.DataFrame, scale: str) -> dict | None:
    """``S``: :func:`bnconvex.stats.per_seed`. Agrees when the whitened model's train−test gap exceeds the BN
    model's (Welch's 95% interval of the difference above 0)."""
    models = models_of(S)
    whitened = [m for m in models if m.startswith("whitened") and "truncated" not in m]
    bn = [m for m in models if not m.startswith("whitened")]
    if not (whitened and bn):
        return None
    w, b = whitened[0], bn[0]
    d = difference(_points(S, w, "gap"), _points(S, b, "gap"))
    gap = lambda m: interval(_points(S, m, "gap")).text()  # noqa: E731
    return row("Fig. 2", reported("fig2")["dataset"], scale, reported("fig2")["claim"],
               f"train−test gap: BN {gap(b)} points (test {_acc(S, b)}), whitened {gap(w)} points "
               f"(test {_acc(S, w)}); {seeds_note(_seeds(S, w, b))}",
               decided([(decide(d), f"whitened − BN gap = {d.text(signed=True)} points")], _seeds(S, w, b)),
               page="fig2")


def fig1_row(T: pd.DataFrame, scale: str) -> dict:
    """``T``: Fig. 1's table (model, seed, epoch, direction, cosine). Both halves of the claim, per seed at the
    last epoch: BN moved its high-σ directions more (bottom-10%-of-σ mean cosine minus the top 10%'s above 0),
    and the whitened model moved all directions about equally (its |bottom − top| below half of BN's)."""
    D, M = cosine_deciles(T, per_seed=True), cosine_deciles(T)
    parts = [f"{model_label(m)}: mean cos top-10% σ {r.top:.3f}, bottom-10% σ {r.bottom:.3f}" for m, r in M.iterrows()]
    models = list(M.index)
    bn = [m for m in models if not m.startswith("whitened")]
    whitened = [m for m in models if m.startswith("whitened")]
    verdict = "n/a"
    spread = lambda m: (D.xs(m, level="model")["bottom"] - D.xs(m, level="model")["top"]).to_numpy()  # noqa: E731
    if bn:
        bn_spread = interval(spread(bn[0]))
        halves = [(decide(bn_spread), f"BN bottom − top = {bn_spread.text(signed=True, digits=3)} "
                                      f"(> 0: BN moved high-σ directions more)")]
        seeds = bn_spread.seeds
        if whitened:
            d = difference(np.abs(spread(bn[0])) / 2, np.abs(spread(whitened[0])))
            halves.append((decide(d), f"half of BN's |bottom − top| − whitened's = {d.text(signed=True, digits=3)} "
                                      f"(> 0: whitened moved all directions alike)"))
            seeds = min(seeds, d.seeds)
        verdict = decided(halves, seeds)
        if not whitened:
            verdict += " (whitened half not run)"
        parts.append(seeds_note(seeds, head="at the last epoch of each run"))
    return row("Fig. 1", reported("fig2")["dataset"], scale, reported("fig1")["claim"], "; ".join(parts), verdict,
               page="fig1")


def _fig3_parts(S: pd.DataFrame, names: dict[str, str] | None = None) -> tuple[list[tuple[str, str]], int]:
    """Fig. 3's claim part by part, with the seeds they rest on: Convex-Truncated's test accuracy at most 1
    point below SGD's (the difference's interval above −1), and Convex (untruncated) overfits: its train−test
    gap exceeds Convex-Truncated's (where Convex ran). ``names``: Fig. 3's role (sgd, convex, convex_truncated)
    → the model that plays it (Figs 7, 10, 11: the same models trained longer or with Adam)."""
    names = {**{m: m for m in ("sgd", "convex", "convex_truncated")}, **(names or {})}
    models = set(models_of(S))
    base, ct, cv = names["sgd"], names["convex_truncated"], names["convex"]
    if not {base, ct} <= models:
        return [], 0
    d = difference(_points(S, ct, "test"), _points(S, base, "test"))
    parts = [(decide(d, -1.0), f"{model_label(ct)} − {model_label(base)} = {d.text(signed=True)} points "
                               f"(claim: ≥ −1)")]
    seeds = _seeds(S, base, ct)
    if cv in models:
        g = difference(_points(S, cv, "gap"), _points(S, ct, "gap"))
        parts.append((decide(g), f"train−test gap {model_label(cv)} − {model_label(ct)} = {g.text(signed=True)} "
                                 f"points (claim: > 0, Convex overfits more)"))
        seeds = min(seeds, _seeds(S, cv))
    return parts, seeds


def _accuracies(S: pd.DataFrame) -> str:
    models = models_of(S)
    return ("test accuracy: " + ", ".join(f"{model_label(m)} {_acc(S, m)}" for m in models)
            + f"; {seeds_note(_seeds(S, *models))}")


def fig3_row(S: pd.DataFrame, scale: str) -> dict:
    """Both halves of the claim (:func:`_fig3_parts`)."""
    parts, seeds = _fig3_parts(S)
    P = reported("fig3")
    return row("Fig. 3", f"{P['dataset']}; {P['setting']}", scale, P["claim"], _accuracies(S),
               decided(parts, seeds) if parts else "n/a", page="fig3")


# Figs 7, 10, 11: Fig. 3's models trained longer (_long) or with Adam: the model that plays each role of Fig. 3
FIG3_ROLES = {"fig7": {"sgd": "sgd_long", "convex": "convex_long", "convex_truncated": "convex_truncated_long"},
              "fig10": {"sgd": "adam", "convex": "convex_adam", "convex_truncated": "convex_adam_truncated"},
              "fig11": {"sgd": "adam_long", "convex": "convex_adam_long",
                        "convex_truncated": "convex_adam_truncated_long"}}


def fig3_like_row(fig: str, S: pd.DataFrame, scale: str) -> dict | None:
    """Figs 7, 10 and 11 say Fig. 3's results hold when the models train longer or with Adam: Fig. 3's parts
    (:func:`_fig3_parts`) on the models of :data:`FIG3_ROLES`; Figs 7 and 11 (trained longer) add that every
    model overfits (each one's train−test gap above 0). Fig. 7's CIFAR-100 remark (Convex overtaking the
    baseline late) is not checked. None when the figure lacks the baseline or Convex-Truncated."""
    parts, seeds = _fig3_parts(S, FIG3_ROLES[fig])
    if not parts:
        return None
    if fig in ("fig7", "fig11"):
        for m in models_of(S):
            g = interval(_points(S, m, "gap"))
            parts.append((decide(g), f"{model_label(m)} train−test gap {g.text(signed=True)} points (claim: > 0)"))
    P = reported(fig)
    label = PAGES[fig].title.split(":")[0]
    return row(label, f"{P['dataset']}; {P['setting']}", scale, P["claim"], _accuracies(S), decided(parts, seeds),
               page=fig)


SWEEP_TOLERANCE = 1.0  # points: "does not improve" — no variant beats the chosen setting by more than this


def sweep_base(model: str) -> str | None:
    """The model a sweep variant varies: ``sgd-lr1e-3`` / ``sgd-bs100`` (our suffixes) and ``sgd_bs100`` (the
    paper's batch-size models) vary ``sgd``; None for a model that is no variant."""
    if "-" in model:
        return model.split("-")[0]
    batch = BATCH_MODEL.match(model)
    return batch["stem"] if batch else None


def sweep_row(fig: str, S: pd.DataFrame, scale: str) -> dict | None:
    """Figs 8, 9 and 12: another batch size or learning rate does not improve a model: each variant's test
    accuracy minus its base's (:func:`sweep_base`, the paper's chosen setting) has its interval below
    +:data:`SWEEP_TOLERANCE` points. None when no variant and its base both ran."""
    models = models_of(S)
    pairs = [(m, sweep_base(m)) for m in models if sweep_base(m) in models]
    if not pairs:
        return None
    parts = []
    for variant, base in pairs:
        gain = difference(_points(S, variant, "test"), _points(S, base, "test"))
        below = decide(Interval(-gain.mean, gain.half, gain.seeds), -SWEEP_TOLERANCE)  # gain ≤ +tolerance
        parts.append((below, f"{model_label(variant)} − {model_label(base)} = {gain.text(signed=True)} points "
                             f"(claim: ≤ +{SWEEP_TOLERANCE:g})"))
    P = reported(fig)
    label = PAGES[fig].title.split(":")[0]
    return row(label, f"{P['dataset']}; {P['setting']}", scale, P["claim"], _accuracies(S),
               decided(parts, min(_seeds(S, v, b) for v, b in pairs)), page=fig)


# Fig. 13's claim, part by part: (better, worse, what the part says); a part is checked where both models ran
FIG13_PARTS = (("sgd", "sgd_nobn", "BN improves SGD"),
               ("convex_truncated", "convex_nobn", "BN improves the convex program (Convex-Truncated)"),
               ("sgd_nobn", "convex", "Convex BN without truncation is below the network without BN"))


def fig13_row(S: pd.DataFrame, scale: str) -> dict | None:
    """Each part of :data:`FIG13_PARTS` whose two models ran: the test-accuracy difference better − worse has
    its interval above 0. None when no part can be checked (the generic row then shows the accuracies)."""
    models = models_of(S)
    parts, pairs = [], [(a, b, said) for a, b, said in FIG13_PARTS if {a, b} <= set(models)]
    for better, worse, said in pairs:
        d = difference(_points(S, better, "test"), _points(S, worse, "test"))
        parts.append((decide(d), f"{model_label(better)} − {model_label(worse)} = {d.text(signed=True)} points "
                                 f"(claim: > 0, {said})"))
    if not parts:
        return None
    P = reported("fig13")
    return row("Fig. 13", f"{P['dataset']}; {P['setting']}", scale, P["claim"],
               "test accuracy: " + ", ".join(f"{model_label(m)} {_acc(S, m)}" for m in models)
               + f"; {seeds_note(_seeds(S, *models))}",
               decided(parts, min(_seeds(S, a, b) for a, b, _ in pairs)), page="fig13")


def _best(S: pd.DataFrame, ks: dict, what: str, among, pick=max):
    """The k of ``among`` with the highest (``pick=min``: lowest) mean of ``what`` (points per seed)."""
    return pick(among, key=lambda k: _points(S, ks[k], what).mean())


def fig6_row(S: pd.DataFrame, scale: str) -> dict:
    """Every part of the claim that our k grid can test, each against the nearest competitor's interval: the
    best k is one of the paper's best (the best of those k beats the best of the others); with three or more
    k, the smallest k underfits (its train accuracy below every other k's) and the largest overfits (its
    train−test gap above every other k's)."""
    models = models_of(S)
    ks = {int(m.split("-k")[1]): m for m in models if "-k" in m}
    base = [m for m in models if "-k" not in m]
    ours = ", ".join(f"k={k}: {_acc(S, m)}" for k, m in sorted(ks.items()))
    if base:
        ours += f"; {model_label(base[0])} {_acc(S, base[0])}"
    P = reported("fig6")
    verdict = "n/a"
    if ks:
        seeds = _seeds(S, *ks.values())
        parts = []
        theirs, others = [k for k in ks if k in P["best_k"]], [k for k in ks if k not in P["best_k"]]
        best = _best(S, ks, "test", ks)
        said = f"best k = {best} (paper: {', '.join(map(str, P['best_k']))})"
        if theirs and others:
            a, b = _best(S, ks, "test", theirs), _best(S, ks, "test", others)
            d = difference(_points(S, ks[a], "test"), _points(S, ks[b], "test"))
            parts.append((decide(d), f"{said}: k={a} − k={b} test = {d.text(signed=True)} points"))
        else:
            parts.append(("agrees" if theirs else "diverges", said + ("" if theirs else ": none of the paper's k run")))
        if len(ks) >= 3:
            lo, hi = min(ks), max(ks)
            rival = _best(S, ks, "train", [k for k in ks if k != lo], pick=min)
            d = difference(_points(S, ks[rival], "train"), _points(S, ks[lo], "train"))
            parts.append((decide(d), f"train acc k={rival} − k={lo} = {d.text(signed=True)} points "
                                     f"(> 0: k = {lo} underfits)"))
            rival = _best(S, ks, "gap", [k for k in ks if k != hi])
            d = difference(_points(S, ks[hi], "gap"), _points(S, ks[rival], "gap"))
            parts.append((decide(d), f"train−test gap k={hi} − k={rival} = {d.text(signed=True)} points "
                                     f"(> 0: k = {hi} overfits)"))
        verdict = decided(parts, seeds)
        ours += f"; {seeds_note(seeds)}"
    return row("Fig. 6", f"{P['dataset']}; {P['setting']}", scale, P["claim"], "test accuracy: " + ours,
               verdict, page="fig6")


def table1_row(S: pd.DataFrame | None, scale: str) -> dict:
    """Agrees when Convex-Truncated's test accuracy is at most 1 point below the baseline's (the difference's
    interval above −1); ``S`` None: not run."""
    P = reported("table1")
    if S is None:
        return row("Table 1", P["dataset"], "not run", "Baseline 67.06%, Convex-Truncated 67.11% test",
                   "not in this config (train.figures.table1 needs image data)", "not compared", page="table1")
    models = models_of(S)
    names = {CNN_NAMES.get(m, m): m for m in models}
    verdict = "n/a"
    if {"Baseline", "Convex-Truncated"} <= set(names):
        ct, b = names["Convex-Truncated"], names["Baseline"]
        d = difference(_points(S, ct, "test"), _points(S, b, "test"))
        verdict = decided([(decide(d, -1.0), f"Convex-Truncated − Baseline test = {d.text(signed=True)} points "
                                             f"(claim: ≥ −1; paper +0.05)")], _seeds(S, ct, b))
    said = ", ".join(f"{k} {v[0]:.2f}/{v[1]:.2f}" for k, v in P["train_test_acc"].items())
    return row("Table 1", P["dataset"], scale, "train/test acc: " + said,
               "train/test acc: " + ", ".join(f"{k} {_acc(S, m, 'train')[:-1]}/{_acc(S, m)[:-1]}"
                                             for k, m in names.items()) + f"; {seeds_note(_seeds(S, *models))}",
               verdict, page="table1")


FIG5_TOLERANCE = 2.0  # points: "all batch sizes perform roughly equivalently" (App. A.2)


def fig5_row(S: pd.DataFrame | None, scale: str) -> dict:
    """Batch sizes perform about equally: every model's test accuracy within ±:data:`FIG5_TOLERANCE` points of
    the first-listed full-batch one (the model without a ``-bs`` suffix, else the first), each difference's
    interval inside the band. ``S`` None: the figure was not run. A sweep of a two-layer network (arch bn)
    is compared too, but named as such: the paper's Fig. 5 is the four-layer CNN (arch deep_cnn)."""
    P = reported("fig5")
    if S is None:
        return row("Fig. 5", P["setting"], scale, P["claim"], "not run by this config", "not compared", page="fig5")
    models = models_of(S)
    ref = next((m for m in models if "-bs" not in m), models[0])
    parts = []
    for m in (m for m in models if m != ref):
        d = difference(_points(S, m, "test"), _points(S, ref, "test"))
        inside = combine([decide(d, -FIG5_TOLERANCE), decide(Interval(-d.mean, d.half, d.seeds), -FIG5_TOLERANCE)])
        parts.append((inside, f"{model_label(m)} − {model_label(ref)} = {d.text(signed=True)} points "
                              f"(claim: within ±{FIG5_TOLERANCE:g})"))
    verdict = decided(parts, _seeds(S, *models)) if parts else "n/a"
    return row("Fig. 5", P["setting"], scale, P["claim"],
               "test accuracy: " + ", ".join(f"{model_label(m)} {_acc(S, m)}" for m in models)
               + f"; {seeds_note(_seeds(S, *models))}", verdict, page="fig5")


def figure_claims(fig: str, table, scale: str, panel: str = "") -> list[dict]:
    """The claims of training figure ``fig`` decided on its table (a path or a DataFrame; every seed of every
    model); a figure with no verdict function gets one row with the paper's claim, our accuracies and the
    verdict "not compared". ``panel``: the paper's panel letter, appended to each row's figure ("Fig. 3 (b)")."""
    rows = _figure_claims(fig, table if isinstance(table, pd.DataFrame) else pd.read_csv(table), scale)
    return [{**r, "figure": f"{r['figure']} ({panel})"} for r in rows] if panel else rows


def panel_claims(fig: str, tables, scales, panels=None) -> list[dict]:
    """:func:`figure_claims` of each panel of ``fig``: ``tables`` and ``scales`` one per panel (or a single
    path/table and scale), ``panels`` their letters (default: none for one panel, a, b, … for several)."""
    tables = tables if isinstance(tables, list) else [tables]
    scales = scales if isinstance(scales, list) else [scales] * len(tables)
    panels = panels or ([""] if len(tables) == 1 else [chr(ord("a") + i) for i in range(len(tables))])
    return [r for T, scale, label in zip(tables, scales, panels, strict=True)
            for r in figure_claims(fig, T, scale, label)]


def _figure_claims(fig: str, T: pd.DataFrame, scale: str) -> list[dict]:
    if fig == "fig1":
        return [fig1_row(T, scale)]
    S = per_seed(T)
    decided_by = {"fig2": fig2_row, "fig3": fig3_row, "fig5": fig5_row, "fig6": fig6_row, "fig13": fig13_row,
                  "table1": table1_row,
                  **{f: partial(fig3_like_row, f) for f in FIG3_ROLES},
                  **{f: partial(sweep_row, f) for f in ("fig8", "fig9", "fig12")}}
    if fig in decided_by:
        r = decided_by[fig](S, scale)
        if r is not None:
            return [r]
    P = reported(fig) if fig in PAGES else {}
    models = models_of(S)
    ours = ", ".join(f"{model_label(m)} {_acc(S, m)}" for m in models)
    label = PAGES[fig].title.split(":")[0] if fig in PAGES else fig
    return [row(label, "; ".join(str(P[k]) for k in ("dataset", "setting") if k in P),
                scale, P.get("claim", "(no claim recorded)"),
                f"test accuracy: {ours}; {seeds_note(_seeds(S, *models))}",
                "not compared: no verdict function for this figure", page=fig)]


def comparison(scales: dict, fig4=None, thm24=None, thm22=None, thm51=None, panels: dict | None = None,
               conditioning=None, certificates: dict | None = None, **figures) -> pd.DataFrame:
    """The "paper vs ours" table from the paths of our results (None: not made by this config); ``figures``:
    {training figure: its table, or its panels' tables}; ``scales``: {figure: "data set (source), n ≈ …, d = …"
    (a list, one per panel, for a figure given as a list)} of our runs; ``panels``: {figure: its panel letters}
    (default: :func:`panel_claims`'s); ``conditioning``: App. A.4's record; ``certificates``: {name of
    :data:`MORE_CERTIFICATES`: its certificate's path}, one row each."""
    load = lambda path: json.load(open(path))  # noqa: E731
    rows = fig4_rows(load(fig4)) if fig4 else []
    for name, path, theorem, page in (("Thm 2.4 certificate", thm24, "closed form", "study"),
                                      ("Thm 2.2 certificate", thm22, "convex program", "convex")):
        if path:
            rows.append(certificate_row(name, load(path), theorem, scales.get(name, ""), page=page))
    for name, path in (certificates or {}).items():
        label, theorem = MORE_CERTIFICATES[name]
        c = load(path)
        rows.append(certificate_row(label, c, theorem, certificate_scale(c)))  # shown on the paper page
    if thm51:
        rows.append(thm51_row(load(thm51)))
    for fig, tables in figures.items():
        if tables:  # a path, or a list of one path per panel (panels a, b, … in order)
            rows += panel_claims(fig, tables, scales.get(fig, ""), (panels or {}).get(fig))
    if not figures.get("table1"):
        rows.append(table1_row(None, scales.get("table1", "")))
    if not figures.get("fig5"):
        rows.append(fig5_row(None, scales.get("fig5", "not run")))
    rows.append(conditioning_row(load(conditioning) if conditioning else None))
    return pd.DataFrame(rows).set_index("figure")
