"""Plots of the report notebooks (matplotlib, axes labelled as in the paper), and deterministic saving."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bnconvex.io import atomic_path  # noqa: E402
from bnconvex.stats import epoch_curves, summarize, with_seed  # noqa: E402

LABELS = {"epoch": "Epoch", "time_s": "Time (s)", "train_acc": "Training accuracy", "test_acc": "Test accuracy",
          "train_loss": "Training loss", "test_loss": "Test loss", "train_objective": "Objective value",
          "max_violation": "Max. constraint violation"}
# the paper's names for the models of Fig. 3
PAPER_NAMES = {"sgd": "SGD", "sgd_truncated": "SGD-Truncated", "convex": "Convex",
               "convex_truncated": "Convex-Truncated", "whitened": "Whitened (16)", "sgd_nobn": "SGD (no BN)",
               "bn_fig2": "BN (9)", "adam": "Adam", "adam_truncated": "Adam-Truncated", "convex_adam": "Convex (Adam)",
               "convex_adam_truncated": "Convex-Truncated (Adam)", "convex_nobn": "Convex (no BN)",
               "cnn4": "4-layer CNN"}
BATCH_MODEL = re.compile(r"^(?P<stem>.+)_bs(?P<bs>[0-9]+)$")  # the paper's configs name batch sizes sgd_bs500, ...


def model_label(model: str) -> str:
    """The paper's name of a model, with its sweep point: ``sgd-lr0.01`` → "SGD (lr0.01)", ``sgd_bs500`` →
    "SGD (bs 500)"."""
    base, _, point = model.partition("-")
    batch = BATCH_MODEL.match(base)
    name = (f"{PAPER_NAMES.get(batch['stem'], batch['stem'])} (bs {batch['bs']})" if batch
            else PAPER_NAMES.get(base, base))
    return f"{name} ({point})" if point else name


def curves_figure(table: pd.DataFrame | list[pd.DataFrame], metrics: list[str], x: str = "epoch",
                  title: str | list[str] | None = None,
                  logy: tuple[str, ...] = ("train_objective", "train_loss", "test_loss", "max_violation")):
    """One panel per metric, one line per model (column ``model``), in the order the models appear. With
    several seeds (column ``seed``), the line is the mean over seeds and the band ± 1 standard deviation
    (:func:`bnconvex.stats.epoch_curves`); the title says how many seeds. A list of tables (the paper's panels
    (a), (b), … of a figure, each on its data set) gives one row each, titled by the list ``title``."""
    tables = table if isinstance(table, list) else [table]
    titles = title if isinstance(title, list) else [title] * len(tables)
    fig, axes = plt.subplots(len(tables), len(metrics), figsize=(4.2 * len(metrics), 3.6 * len(tables)),
                             squeeze=False)
    spreads = [_draw_curves(row, T, metrics, x, logy) for row, T in zip(axes, tables, strict=True)]
    if len(tables) == 1:
        fig.suptitle(f"{titles[0]} ({spreads[0]})" if titles[0] else spreads[0], fontsize=10)
    else:
        for row, name, spread in zip(axes, titles, spreads, strict=True):
            row[0].set_title(f"{name} ({spread})" if name else spread, fontsize=10, loc="left")
    fig.tight_layout()
    return fig


def _draw_curves(axes, table: pd.DataFrame, metrics: list[str], x: str, logy: tuple[str, ...]) -> str:
    """Draw one table's curves into a row of axes (one per metric); return "mean ± 1 sd over N seeds"."""
    positive = table.loc[table[x] > 0, x]
    # models differ in speed by orders of magnitude: a log time axis, time 0 (the initialization) drawn at half
    # the first positive time (a symlog axis put its "0" label on top of the next decade's)
    log_time = x == "time_s" and len(positive) > 0 and positive.max() > 20 * positive.min()
    seeds = int(with_seed(table).groupby("model")["seed"].nunique().max())
    for ax, metric in zip(axes, metrics, strict=True):
        if metric not in table:
            continue
        for model, g in epoch_curves(table, metric, x).groupby(level="model", sort=False):
            if g["mean"].notna().any():
                xs = g[x].clip(lower=float(positive.min()) / 2) if log_time else g[x]
                line, = ax.plot(xs, g["mean"], lw=1.4, label=model_label(model))
                if g["sd"].notna().any():
                    ax.fill_between(xs, g["mean"] - g["sd"], g["mean"] + g["sd"], color=line.get_color(), alpha=0.2,
                                    lw=0)
        ax.set_xlabel(LABELS.get(x, x) + (" (log; time 0 at the left edge)" if log_time else ""))
        ax.set_ylabel(LABELS.get(metric, metric))
        if log_time:
            ax.set_xscale("log")
        if metric in logy:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    return f"mean ± 1 sd over {seeds} seeds" if seeds > 1 else "1 seed"


def cosine_figure(table: pd.DataFrame, epochs: int = 5, title: str | None = None):
    """Fig. 1: eq. (18) per singular direction (descending σ) at a few epochs, one panel per model; with several
    seeds (column ``seed``), the mean over seeds."""
    models = list(dict.fromkeys(table["model"]))
    seeds = int(with_seed(table).groupby("model")["seed"].nunique().max())
    fig, axes = plt.subplots(1, len(models), figsize=(4.6 * len(models), 3.6), squeeze=False, sharey=True)
    for ax, model in zip(axes[0], models, strict=True):
        g = table[table["model"] == model].groupby(["epoch", "direction"], as_index=False)["cosine"].mean()
        all_epochs = np.unique(g["epoch"])
        picks = np.unique(all_epochs[np.linspace(0, len(all_epochs) - 1, min(epochs, len(all_epochs))).astype(int)])
        cmap = plt.get_cmap("viridis")
        for j, e in enumerate(picks):
            h = g[g["epoch"] == e]
            ax.plot(h["direction"], h["cosine"], lw=1, color=cmap(j / max(len(picks) - 1, 1)), label=f"epoch {e}")
        ax.set_xlabel("Singular value index i (descending σ_i)")
        ax.set_title(model_label(model), fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("Cosine similarity to initialization, eq. (18)")
    axes[0][-1].legend(fontsize=8)
    spread = f"mean over {seeds} seeds" if seeds > 1 else "1 seed"
    fig.suptitle(f"{title} ({spread})" if title else spread, fontsize=10)
    fig.tight_layout()
    return fig


def final_table(table: pd.DataFrame) -> pd.DataFrame:
    """The last epoch of every model, averaged over its seeds: epochs, time, objective, accuracies (and
    violation for convex), and the number of seeds."""
    cols = [c for c in ("epoch", "time_s", "train_objective", "train_acc", "test_acc", "max_violation") if c in table]
    last = with_seed(table).groupby(["model", "seed"], sort=False).tail(1)
    out = last.groupby("model", sort=False)[cols].mean()
    if "epoch" in out:
        out["epoch"] = out["epoch"].round().astype(int)  # runs stopped by a time budget differ: the mean, rounded
    out["seeds"] = last.groupby("model", sort=False)["seed"].count()
    out.index = [model_label(m) for m in out.index]
    return out


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """The accuracy summary of :mod:`bnconvex.stats` for a page, in percent: per model the seeds, train and
    test accuracy (mean over seeds of each run's last epochs), their standard deviations and the test
    accuracy's 95% interval."""
    L = summarize(table)
    out = pd.DataFrame({"seeds": L["seeds"].astype(int), "train acc %": 100 * L["train_acc"],
                        "train sd": 100 * L["train_acc_sd"], "test acc %": 100 * L["test_acc"],
                        "test sd": 100 * L["test_acc_sd"], "test ± (95%)": 100 * L["test_acc_ci"]}).round(2)
    out.index = [model_label(m) for m in out.index]
    return out


def save_figure(fig, png, pdf) -> None:
    """PNG and PDF without timestamps or version stamps, so the bytes depend only on the plot; atomic."""
    with atomic_path(png, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, metadata={"Software": None}, format="png")
    with atomic_path(pdf, suffix=".pdf") as tmp:
        fig.savefig(tmp, metadata={"CreationDate": None, "Creator": None, "Producer": None}, format="pdf")
    plt.close(fig)


def solver_benchmark_figure(records: list[dict]):
    """Solve time of our solver and of CVXPY + Clarabel per instance of ``benchmarks/convex_solver.py`` (log
    scale), with the speedup over each pair; an instance CVXPY did not finish or was skipped shows ours alone."""
    table = pd.DataFrame(records)
    labels = [f"{r.dataset.replace('cifar10-', 'CIFAR ')}\nn={r.n}\nP={r.P}" for r in table.itertuples()]
    x = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(max(6.5, 0.95 * len(table)), 4.6))
    ax.bar(x - 0.2, table["ours_s"], 0.4, label="ours (solver=\"bnconvex\")", color="C0")
    cvx = table["cvxpy_s"].astype(float)
    ax.bar(x + 0.2, cvx.fillna(0.0), 0.4, label="CVXPY + Clarabel", color="C1")
    for xi, r in zip(x, table.itertuples(), strict=True):
        if r.speedup is not None and np.isfinite(r.speedup):
            ax.annotate(f"{r.speedup:.0f}×", (xi + 0.2, r.cvxpy_s), ha="center", va="bottom", fontsize=8)
        else:
            ax.annotate("n/a", (xi + 0.2, r.ours_s), ha="center", va="bottom", fontsize=8, color="C1")
    ax.set_yscale("log")
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel("Solve time (s)")
    ax.set_title("Thm 2.2 solved to a certified relative gap: ours vs CVXPY")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
