"""The verdicts of the "paper vs ours" page: each one says yes on results that agree with the paper and no on
results that do not."""

import json

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

from bnconvex import pages, paper


def acc(seeds=3, spread=0.001, **models):
    """A per_seed()-like frame (index model, seed): model -> (train accuracy, test accuracy), the seeds that
    value plus deviations evenly spaced in [−spread, spread] (so the mean over seeds is the value)."""
    offsets = np.linspace(-spread, spread, seeds) if seeds > 1 else [0.0]
    rows = [{"model": m, "seed": j, "train_acc": tr + o, "test_acc": te + o}
            for m, (tr, te) in models.items() for j, o in enumerate(offsets)]
    return pd.DataFrame(rows).set_index(["model", "seed"])


def fig4_summary(cf_time=0.1, gd_time=30.0, gd_best=11.0, gd_test=0.7, cf_test=0.5):
    return {"dataset": "digits", "data_source": "digits", "n": 45, "d": 64, "m1": 100,
            "closed_form": {"time_s": cf_time, "objective": 10.0, "rel_gap": 1e-15, "test_acc": cf_test},
            "gd": {"mean_wall_time_s": gd_time, "steps": 300, "best_final_objective": gd_best,
                   "mean_test_acc": gd_test}}


def verdicts(rows):
    return {r["figure"]: r["agree?"] for r in rows}


def test_fig4_agrees_when_the_closed_form_is_fast_optimal_and_generalizes_worse():
    v = verdicts(paper.fig4_rows(fig4_summary()))
    assert v["Fig. 4 time"].startswith("yes") and v["Fig. 4 objective"] == "yes"
    assert v["Fig. 4 test acc"].startswith("same ordering")


def test_fig4_disagrees_on_time_objective_and_ordering():
    v = verdicts(paper.fig4_rows(fig4_summary(cf_time=5.0, gd_best=9.0, gd_test=0.4)))
    assert v["Fig. 4 time"] == "no"
    assert v["Fig. 4 objective"].startswith("NO: GD went below")
    assert v["Fig. 4 test acc"] == "diverges: GD -10.0 points vs paper +12.4"


@pytest.mark.parametrize(("gap", "verdict"), [(1e-9, "yes"), (1e-3, "no")])
def test_certificate_is_optimal_only_with_a_small_gap(gap, verdict):
    assert paper.certificate_row("Thm 2.4 certificate", {"rel_gap": gap}, "closed form", "")["agree?"] == verdict


@pytest.mark.parametrize(("err", "verdict"), [(1e-15, "yes"), (1e-6, "no")])
def test_thm51(err, verdict):
    record = {"dataset": "digits", "n": 10, "d": 4, "m1": 8, "rel_error": err}
    assert paper.thm51_row(record)["agree?"] == verdict


@pytest.mark.parametrize(("lower", "verdict"), [(0.9, "yes"), (1.1, "no")])
def test_sandwich_row_agrees_only_when_the_relaxation_bounds_the_restriction_from_below(lower, verdict):
    cert = {"rel_gap": 1e-9, "upper_bound": 1.0, "relaxation_lower_bound": lower, "sandwich_gap": 1.0 - lower,
            "dataset": "digits", "n": 15, "d": 64, "C": 3, "P": 12}
    r = paper.certificate_row("Thm 2.3 sandwich", cert, "restriction", paper.certificate_scale(cert))
    assert r["agree?"] == verdict and "relaxation" in r["we measure"]
    assert r["ours: data, scale"] == "digits, n = 15, d = 64, C = 3, P = 12 (sampled)"


@pytest.mark.parametrize(("trained", "verdict"), [(1.02, "yes"), (0.98, "no")])
def test_deep_row_agrees_only_when_training_stays_above_the_certified_optimum(trained, verdict):
    cert = {"rel_gap": 1e-14, "primal": 1.0, "trained": {"objective": trained, "rel_excess": trained - 1.0},
            "dataset": "digits", "n": 90, "d": 64, "C": 3, "depth": 3, "widths": [128, 32]}
    r = paper.certificate_row("Thm 4.2 certificate", cert, "closed form", paper.certificate_scale(cert))
    assert r["agree?"] == verdict and "trained network" in r["we measure"]
    assert r["ours: data, scale"] == "digits, n = 90, d = 64, L = 3, widths [128, 32], C = 3"


def test_comparison_has_a_row_per_further_certificate(tmp_path):
    cert = {"rel_gap": 1e-12, "dataset": "digits", "n": 40, "d": 64, "C": 1}
    (tmp_path / "g2.json").write_text(json.dumps(cert))
    table = paper.comparison({}, certificates={"thmG.2": str(tmp_path / "g2.json")})
    assert table.loc["Thm G.2 certificate", "agree?"] == "yes"
    assert table.loc["Thm G.2 certificate", "ours: data, scale"] == "digits, n = 40, d = 64"


@pytest.mark.parametrize(("data", "patches", "verdict"), [(5892.5, 271.2, "yes"), (20.0, 30.0, "no")])
def test_conditioning_row_agrees_when_the_patches_are_better_conditioned(data, patches, verdict):
    part = lambda k, n, h: {"n": n, "d": h, "h": h, "rank": h, "condition_number": k, "kernel": 3,  # noqa: E731
                            "stride": 3, "padding": 2}
    record = {"dataset": "cifar10", "data": part(data, 100, 3072), "patches": part(patches, 14400, 27),
              "ratio": data / patches}
    r = paper.conditioning_row(record)
    assert r["agree?"] == verdict and r["page"] == "table1"
    assert f"data {data:.1f}" in r["we measure"] and "5892.5" in r["paper reports"]
    assert paper.conditioning_row(None)["agree?"] == "not compared"


def test_fig2_agrees_when_the_whitened_model_overfits_more():
    yes = paper.fig2_row(acc(sgd=(1.0, 0.9), whitened=(1.0, 0.6)), "")
    assert yes["agree?"] == "agrees: whitened − BN gap = +30.0 ± 0.0 points" and yes["verdict"] == "agrees"
    assert "test 60.0 ± 0.2%" in yes["we measure"] and "over 3 seeds; ± is the 95% t-interval" in yes["we measure"]
    no = paper.fig2_row(acc(sgd=(1.0, 0.6), whitened=(1.0, 0.9)), "")["agree?"]
    assert no == "diverges: whitened − BN gap = -30.0 ± 0.0 points"
    assert paper.fig2_row(acc(sgd=(1.0, 0.9)), "") is None  # nothing to compare


def cosine_table(bn_top, bn_bottom, whitened=(0.5, 0.5), seeds=3, spread=0.01):
    """Fig. 1's table: per seed j, the top-10% and bottom-10% directions at ``top``/``bottom`` ± j·spread."""
    rows = []
    for model, (top, bottom) in {"sgd": (bn_top, bn_bottom), "whitened": whitened}.items():
        for seed in range(seeds):
            o = spread * (seed - (seeds - 1) / 2)
            for epoch in (0, 1):
                for i in range(1, 21):
                    cos = 1.0 if epoch == 0 else (top + o if i <= 2 else bottom - o if i > 18 else 0.7)
                    rows.append({"model": model, "seed": seed, "epoch": epoch, "direction": i, "cosine": cos})
    return pd.DataFrame(rows)


def test_fig1_needs_both_halves_bn_moves_high_sigma_more_and_whitened_moves_all_alike():
    assert paper.fig1_row(cosine_table(0.2, 0.9), "")["verdict"] == "agrees"  # whitened: 0.5 / 0.5
    assert paper.fig1_row(cosine_table(0.9, 0.2), "")["verdict"] == "diverges"
    uneven = paper.fig1_row(cosine_table(0.2, 0.9, whitened=(0.3, 0.8)), "")["agree?"]  # whitened moved unevenly
    assert uneven.startswith("diverges: BN bottom − top = +0.700 ± 0.050") and "whitened's = -0.150 ±" in uneven
    assert paper.fig1_row(cosine_table(0.2, 0.9, seeds=1), "")["agree?"].startswith("not resolved at 1 seed: ")
    noisy = paper.fig1_row(cosine_table(0.45, 0.55, spread=0.2), "")  # BN's difference lost in the noise
    assert noisy["verdict"] == "not resolved" and noisy["agree?"].startswith("not resolved at 3 seeds")
    deciles = paper.cosine_deciles(cosine_table(0.2, 0.9, seeds=1))
    assert deciles.loc["sgd"].tolist() == [20, 0.2, 0.9, 1]  # 20 directions: the top and the bottom two; 1 seed


def test_fig3_needs_convex_truncated_within_a_point_of_sgd_and_convex_to_overfit():
    yes = paper.fig3_row(acc(sgd=(1, 0.80), convex=(1, 0.70), convex_truncated=(1, 0.795)), "")["agree?"]
    assert yes.startswith("agrees: Convex-Truncated − SGD = -0.5 ± 0.2 points (claim: ≥ −1); "
                          "train−test gap Convex − Convex-Truncated = +9.5 ± 0.0 points")
    no_overfit = paper.fig3_row(acc(sgd=(1, 0.80), convex=(0.8, 0.79), convex_truncated=(1, 0.795)), "")
    assert no_overfit["verdict"] == "diverges" and "Convex − Convex-Truncated = -19.5" in no_overfit["agree?"]
    assert paper.fig3_row(acc(sgd=(1, 0.80), convex_truncated=(1, 0.70)), "")["verdict"] == "diverges"
    assert paper.fig3_row(acc(sgd=(1, 0.80)), "")["agree?"] == "n/a"


@pytest.mark.parametrize(("spread", "seeds", "verdict"), [
    (0.001, 3, "agrees"),        # −0.5 ± 0.2: the whole interval is above −1
    (0.01, 3, "not resolved"),   # the same means, −0.5 ± 2.6: the interval straddles −1
    (0.01, 30, "agrees"),        # more seeds narrow it again: −0.5 ± 0.3
    (0.001, 1, "not resolved"),  # one seed: no interval at all
])
def test_fig3_verdict_flips_to_not_resolved_when_the_spread_grows(spread, seeds, verdict):
    S = acc(seeds=seeds, spread=spread, sgd=(1, 0.80), convex_truncated=(1, 0.795))
    r = paper.fig3_row(S, "")
    assert r["verdict"] == verdict, r["agree?"]
    if verdict == "not resolved":
        assert r["agree?"].startswith(f"not resolved at {seeds} seed")


def test_fig3_diverges_only_when_the_whole_interval_is_below_the_claim():
    far = acc(spread=0.002, sgd=(1, 0.80), convex_truncated=(1, 0.70))
    near = acc(spread=0.05, sgd=(1, 0.80), convex_truncated=(1, 0.78))
    assert paper.fig3_row(far, "")["verdict"] == "diverges" and paper.fig3_row(near, "")["verdict"] == "not resolved"


def test_fig5_agrees_when_every_batch_size_is_within_two_points_of_full_batch():
    near = paper.fig5_row(acc(**{"cnn4": (1, 0.80), "cnn4-bs50": (1, 0.79), "cnn4-bs100": (1, 0.81)}), "")
    assert near["verdict"] == "agrees" and near["agree?"].count("within ±2") == 2, near["agree?"]
    far = paper.fig5_row(acc(**{"cnn4-bs50": (1, 0.70), "cnn4": (1, 0.80)}), "")  # reference: the unsuffixed one
    assert far["verdict"] == "diverges" and "− " in far["agree?"] and "-10.0" in far["agree?"]
    above = paper.fig5_row(acc(**{"cnn4": (1, 0.70), "cnn4-bs50": (1, 0.80)}), "")  # better counts as unequal too
    assert above["verdict"] == "diverges"
    assert paper.fig5_row(None, "not run")["agree?"] == "not compared"


def test_fig13_checks_each_part_whose_models_ran():
    full = acc(sgd=(1, 0.80), sgd_nobn=(1, 0.75), convex=(1, 0.70), convex_truncated=(1, 0.79), convex_nobn=(1, 0.72))
    yes = paper.fig13_row(full, "")
    assert yes["verdict"] == "agrees" and yes["figure"] == "Fig. 13", yes["agree?"]
    assert "SGD − SGD (no BN) = +5.0" in yes["agree?"] and "Convex-Truncated − Convex (no BN) = +7.0" in yes["agree?"]
    assert "SGD (no BN) − Convex = +5.0" in yes["agree?"]
    no_bn_wins = acc(sgd=(1, 0.70), sgd_nobn=(1, 0.80))  # only the SGD pair ran
    r = paper.fig13_row(no_bn_wins, "")
    assert r["verdict"] == "diverges" and r["agree?"].count("claim") == 1
    assert paper.fig13_row(acc(sgd=(1, 0.8), convex=(1, 0.7)), "") is None  # no pair of the claim


def test_figs_7_10_11_check_fig3s_claim_on_their_own_models():
    adam = acc(adam=(1, 0.80), convex_adam=(1, 0.70), convex_adam_truncated=(0.99, 0.795))
    r = paper.fig3_like_row("fig10", adam, "")
    assert r["verdict"] == "agrees" and r["figure"] == "Fig. 10", r["agree?"]
    assert "−0.5" in r["agree?"].replace("-", "−") and "Convex overfits more" in r["agree?"]
    worse = acc(adam=(1, 0.80), convex_adam_truncated=(1, 0.70))
    assert paper.fig3_like_row("fig10", worse, "")["verdict"] == "diverges"
    longer = acc(sgd_long=(1, 0.80), convex_long=(1, 0.70), convex_truncated_long=(0.95, 0.795))
    r = paper.fig3_like_row("fig7", longer, "")
    assert r["verdict"] == "agrees" and r["figure"] == "Fig. 7" and r["agree?"].count("train−test gap") == 4
    no_overfit = acc(sgd_long=(0.70, 0.80), convex_long=(1, 0.70), convex_truncated_long=(0.95, 0.795))
    assert paper.fig3_like_row("fig7", no_overfit, "")["verdict"] == "diverges"   # SGD's gap is −10 points
    underfits = acc(adam_long=(0.70, 0.80), convex_adam_long=(1, 0.70), convex_adam_truncated_long=(0.95, 0.795))
    assert paper.fig3_like_row("fig11", underfits, "")["verdict"] == "diverges"
    assert paper.fig3_like_row("fig10", acc(adam=(1, 0.8)), "") is None   # no Convex-Truncated: generic row
    # figure_claims decides Figs 7-12 by these functions, on a figure's per-epoch table
    table = longer.reset_index().assign(epoch=1)
    assert paper.figure_claims("fig7", table, "", panel="a")[0]["figure"] == "Fig. 7 (a)"
    assert paper.figure_claims("fig7", table, "")[0]["verdict"] == "agrees"


def test_sweeps_agree_when_no_other_batch_size_or_learning_rate_beats_the_chosen_one():
    assert paper.sweep_base("sgd-lr1e-3") == "sgd" and paper.sweep_base("sgd_truncated_bs100") == "sgd_truncated"
    assert paper.sweep_base("convex_truncated") is None
    fig8 = acc(sgd=(1, 0.80), sgd_bs500=(1, 0.805), sgd_truncated=(1, 0.78), sgd_truncated_bs100=(1, 0.77),
               convex_truncated=(1, 0.79))
    r = paper.sweep_row("fig8", fig8, "")
    assert r["verdict"] == "agrees" and r["agree?"].count("claim: ≤ +1") == 2, r["agree?"]
    assert "SGD (bs 500) − SGD = +0.5 ± 0.2 points" in r["agree?"]
    better = acc(**{"sgd": (1, 0.80), "sgd-lr1e-2": (1, 0.85)})
    r = paper.sweep_row("fig9", better, "")
    assert r["verdict"] == "diverges" and "+5.0" in r["agree?"]
    near = acc(spread=0.02, **{"adam": (1, 0.80), "adam-lr1e-2": (1, 0.805)})
    assert paper.sweep_row("fig12", near, "")["verdict"] == "not resolved"
    assert paper.figure_claims("fig12", near.reset_index().assign(epoch=1), "")[0]["verdict"] == "not resolved"
    assert paper.sweep_row("fig9", acc(sgd=(1, 0.8), convex_truncated=(1, 0.8)), "") is None


def test_fig6_checks_best_k_underfitting_small_k_and_overfitting_large_k():
    two = paper.fig6_row(acc(**{"sgd": (1, 0.5), "convex_truncated-k10": (1, 0.6),
                                "convex_truncated-k100": (1, 0.9)}), "")
    assert two["agree?"] == "agrees: best k = 100 (paper: 100, 200): k=100 − k=10 test = +30.0 ± 0.2 points"
    assert "SGD 50.0 ± 0.2%" in two["we measure"]
    no = paper.fig6_row(acc(**{"convex_truncated-k10": (1, 0.9), "convex_truncated-k100": (1, 0.6)}), "")
    assert no["agree?"].startswith("diverges: best k = 10")
    grid = {"convex_truncated-k10": (0.70, 0.65), "convex_truncated-k100": (0.95, 0.90),
            "convex_truncated-k856": (1.0, 0.80)}
    assert paper.fig6_row(acc(**grid), "")["verdict"] == "agrees"
    grid["convex_truncated-k10"] = (0.99, 0.70)  # k = 10 no longer underfits
    underfit = "train acc k=100 − k=10 = -4.0 ± 0.2 points (> 0: k = 10 underfits)"
    assert underfit in paper.fig6_row(acc(**grid), "")["agree?"]
    assert paper.fig6_row(acc(sgd=(1, 0.5)), "")["agree?"] == "n/a"


def test_table1_agrees_when_the_convex_cnn_is_within_a_point_of_the_baseline():
    assert paper.table1_row(acc(cnn=(0.9, 0.70), convex_cnn_truncated=(0.8, 0.705)), "")["verdict"] == "agrees"
    assert paper.table1_row(acc(cnn=(0.9, 0.70), convex_cnn_truncated=(0.8, 0.60)), "")["verdict"] == "diverges"
    assert paper.table1_row(None, "")["agree?"] == "not compared"


def test_comparison_reads_the_artifacts_and_keeps_the_pages_row_order(tmp_path):
    (tmp_path / "fig4.json").write_text(json.dumps(fig4_summary()))
    (tmp_path / "cert.json").write_text(json.dumps({"rel_gap": 1e-12}))
    curves = pd.DataFrame([{"model": m, "seed": j, "epoch": e, "train_acc": 1.0, "test_acc": t + 0.01 * j}
                           for m, t in (("sgd", 0.8), ("convex_truncated", 0.85)) for j in range(3) for e in range(6)])
    curves.to_csv(tmp_path / "fig3.csv", index=False)
    table = paper.comparison({"fig3": "digits"}, fig4=str(tmp_path / "fig4.json"), thm24=str(tmp_path / "cert.json"),
                             fig3=str(tmp_path / "fig3.csv"))
    assert list(table.index) == ["Fig. 4 time", "Fig. 4 objective", "Fig. 4 test acc", "Thm 2.4 certificate",
                                 "Fig. 3", "Table 1", "Fig. 5", "App. A.4"]
    assert table.loc["Fig. 3", "agree?"].startswith("agrees: Convex-Truncated − SGD = +5.0 ± 2.3 points (claim: ≥ −1)")
    assert table.loc["Fig. 3", "ours: data, scale"] == "digits"


def test_every_page_has_a_title_and_training_figures_a_heading():
    for name, page in pages.PAGES.items():
        assert page.title, name
        if page.notebook:
            assert page.heading and page.plot_title, name
    assert pages.PAGES["fig3"].plot_title == "SGD, SGD-Truncated, Convex, Convex-Truncated"
    assert pages.PAGES["table1"].plot_title == "Table 1 models"


def test_every_figure_in_snakemakes_report_has_its_caption_here():
    """Every ``report(..., caption="../report/caption.rst")`` figure gets its text from pages.CAPTIONS."""
    import re

    from bnconvex.pages import TRAINING_FIGURES, caption

    rules = "".join(p.read_text() for p in (ROOT / "workflow/rules").glob("*.smk"))
    assert {p.name for p in (ROOT / "workflow/report").glob("*.rst")} == {"caption.rst"}
    for figure in ["spectrum", "fig4", "exact2d", "convex_solver"]:
        assert f'report_caption=caption("{figure}")' in rules and caption(figure)
    assert re.search(r"report_caption=lambda wc: caption\(wc\.fig\)", rules)
    for figure in TRAINING_FIGURES:
        assert f"`train.figures.{figure}`" in caption(figure)
    assert "cosine similarity (18)" in caption("fig1") and "sweep or ablation" in caption("fig9")


@pytest.mark.parametrize("text, verdict", [
    ("yes", "agrees"), ("yes: closed form is orders of magnitude faster", "agrees"),
    ("same ordering (GD generalizes better)", "agrees"), ("best k = 100: agrees", "agrees"),
    ("no", "diverges"), ("NO: GD went below the certified optimum", "diverges"),
    ("diverges: GD +3.0 points vs paper +12.4", "diverges"), ("best k = 400: diverges", "diverges"),
    ("n/a", "not compared"), ("not compared", "not compared"),
    ("not compared: no verdict function for this figure", "not compared"),
    ("not resolved at 3 seeds: Convex-Truncated − SGD = -0.5 ± 4.3 points", "not resolved"),
    ("not resolved at 1 seed: whitened − BN gap = +3.0 points", "not resolved"),
])
def test_verdict_is_read_off_the_rows_text(text, verdict):
    assert paper.verdict_of(text) == verdict


def test_every_row_names_its_page_and_a_verdict(tmp_path):
    (tmp_path / "fig4.json").write_text(json.dumps(fig4_summary()))
    curves = pd.DataFrame([{"model": m, "epoch": e, "train_acc": 1.0, "test_acc": t}
                           for m, t in (("sgd", 0.8), ("sgd_truncated", 0.75)) for e in range(6)])
    curves.to_csv(tmp_path / "fig9.csv", index=False)
    table = paper.comparison({}, fig4=str(tmp_path / "fig4.json"), fig9=str(tmp_path / "fig9.csv"), fig3=None)
    assert set(table["verdict"]) <= set(paper.VERDICTS)
    assert table.loc["Fig. 4 time", "page"] == "fig4" and table.loc["Fig. 4 time", "verdict"] == "agrees"
    # a figure with no verdict function still gets its row, with the paper's claim and our numbers
    [row] = paper.figure_claims("fig9", curves, "digits")
    assert row["page"] == "fig9" and row["verdict"] == "not compared"
    assert "SGD 80.0%" in row["we measure"] and "1 seed: no interval" in row["we measure"]
    assert row["paper reports"] == pages.reported("fig9").get("claim", "(no claim recorded)")
    assert table.loc[row["figure"], "we measure"] == row["we measure"]


def test_a_figure_of_two_panels_gets_rows_per_panel_with_its_letter_and_scale(tmp_path):
    """Fig. 9 (a) CIFAR-10 and (b) CIFAR-100: one table and scale per panel, each panel decided on its own."""
    tables = []
    for label, acc in (("a", 0.8), ("b", 0.3)):
        T = pd.DataFrame([{"model": "sgd", "epoch": e, "train_acc": 1.0, "test_acc": acc} for e in range(6)])
        T.to_csv(tmp_path / f"{label}.csv", index=False)
        tables.append(str(tmp_path / f"{label}.csv"))
    rows = paper.panel_claims("fig9", tables, ["digits, n ≈ 10", "cnae9, n ≈ 20"], ["a", "b"])
    assert [r["figure"].rsplit(" ", 1)[1] for r in rows] == ["(a)", "(b)"]
    assert "SGD 80.0%" in rows[0]["we measure"] and "SGD 30.0%" in rows[1]["we measure"]
    assert [r["ours: data, scale"] for r in rows] == ["digits, n ≈ 10", "cnae9, n ≈ 20"]
    table = paper.comparison({"fig9": ["s1", "s2"]}, fig9=tables, panels={"fig9": ["a", "b"]})
    assert table.loc[rows[1]["figure"], "ours: data, scale"] == "s2"
    assert table.loc[rows[0]["figure"], "we measure"] == rows[0]["we measure"]
    # one panel given without a letter keeps the figure's plain row label
    [one] = paper.panel_claims("fig9", tables[0], "digits")
    assert not one["figure"].endswith(")")
