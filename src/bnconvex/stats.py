"""Accuracy summaries over epochs and seeds, and the 95% intervals the paper-vs-ours verdicts compare.

**The one definition** (every training figure, its page, its verdict and ``metrics.json`` use it):

1. per run (one model, one seed): the mean of each accuracy over the run's last :data:`LAST_EPOCHS` epochs
   (:func:`per_seed`; the BN models' accuracies, evaluated with running statistics, swing by several points
   from one epoch to the next);
2. per model: the mean over its seeds, their standard deviation and the 95% Student-t interval of the mean
   (:func:`interval`; none with one seed);
3. a claim about two models (e.g. "Convex-Truncated is at most 1 point below SGD") compares the difference of
   their means with Welch's 95% interval (:func:`difference`), and :func:`decide` says **agrees** when the
   whole interval satisfies the claim, **diverges** when the whole interval violates it, and **not resolved**
   otherwise, which includes every comparison with a single seed.

Tables are long: columns ``model``, ``seed`` (absent: one seed), ``epoch`` and the metrics.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _scipy_stats

LAST_EPOCHS = 5
CONFIDENCE = 0.95
DECISIONS = ("agrees", "diverges", "not resolved")


def with_seed(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with a ``seed`` column (0 where it has none: a table of one seed)."""
    return table if "seed" in table else table.assign(seed=0)


def per_seed(table: pd.DataFrame, epochs: int = LAST_EPOCHS,
             columns: Iterable[str] = ("train_acc", "test_acc")) -> pd.DataFrame:
    """Step 1: each run's ``columns`` averaged over its last ``epochs`` rows, the start (epoch 0, before any
    step) left out of runs that trained (a run shorter than ``epochs`` is not averaged with its
    initialization). Index (model, seed), in the order the models appear."""
    T = with_seed(table)
    if "epoch" in T:
        trained = T.groupby(["model", "seed"], sort=False)["epoch"].transform("max") > 0
        T = T[(T["epoch"] > 0) | ~trained]
    tail = T.groupby(["model", "seed"], sort=False).tail(epochs)
    return tail.groupby(["model", "seed"], sort=False)[list(columns)].mean()


def models_of(S: pd.DataFrame) -> list[str]:
    """The models of a :func:`per_seed` frame, in order."""
    return list(dict.fromkeys(S.index.get_level_values("model")))


def seed_values(S: pd.DataFrame, model: str, column: str) -> np.ndarray:
    """One value per seed of ``model``'s ``column`` in a :func:`per_seed` frame."""
    return S.xs(model, level="model")[column].to_numpy(dtype=float)


@dataclass(frozen=True)
class Interval:
    """A mean over seeds with the half-width of its 95% interval (NaN with fewer than 2 seeds per side)."""

    mean: float
    half: float
    seeds: int

    @property
    def resolved(self) -> bool:
        return math.isfinite(self.half)

    @property
    def lo(self) -> float:
        return self.mean - self.half

    @property
    def hi(self) -> float:
        return self.mean + self.half

    def text(self, signed: bool = False, digits: int = 1) -> str:
        """``"-0.3 ± 1.5"`` (``"-0.3"`` when not resolved)."""
        mean = f"{self.mean:+.{digits}f}" if signed else f"{self.mean:.{digits}f}"
        return f"{mean} ± {self.half:.{digits}f}" if self.resolved else mean


def _t(df: float) -> float:
    return float(_scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, df))


def interval(values) -> Interval:
    """Step 2: the mean of ``values`` (one per seed) and the half-width of its 95% t-interval."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return Interval(float(x.mean()) if n else math.nan, math.nan, n)
    return Interval(float(x.mean()), _t(n - 1) * float(x.std(ddof=1)) / math.sqrt(n), n)


def difference(a, b) -> Interval:
    """Step 3: mean(a) − mean(b) with Welch's 95% interval (independent seeds of two models). ``seeds``: the
    smaller of the two counts; not resolved unless both have 2 or more."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    mean, seeds = float(a.mean() - b.mean()), min(len(a), len(b))
    if seeds < 2:
        return Interval(mean, math.nan, seeds)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se2 = va + vb
    if se2 == 0:
        return Interval(mean, 0.0, seeds)
    df = se2**2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return Interval(mean, _t(df) * math.sqrt(se2), seeds)


def decide(iv: Interval, threshold: float = 0.0) -> str:
    """The claim "the quantity is at least ``threshold``" against its interval: "agrees" (lo ≥ threshold),
    "diverges" (hi < threshold) or "not resolved" (the interval straddles it, or one seed)."""
    if not iv.resolved:
        return "not resolved"
    if iv.lo >= threshold:
        return "agrees"
    if iv.hi < threshold:
        return "diverges"
    return "not resolved"


def combine(decisions: Iterable[str]) -> str:
    """The decision on a claim of several parts: "diverges" if any part diverges, "agrees" if all agree."""
    decisions = list(decisions)
    if "diverges" in decisions:
        return "diverges"
    return "agrees" if decisions and all(d == "agrees" for d in decisions) else "not resolved"


def seeds_note(seeds: int, head: str = f"mean over the last {LAST_EPOCHS} epochs of each run") -> str:
    """How a page's numbers were summarized, for its readers (``head``: the per-run summary)."""
    if seeds < 2:
        return f"{head}; 1 seed: no interval"
    return f"{head}, then over {seeds} seeds; ± is the {100 * CONFIDENCE:.0f}% t-interval of the mean"


def summarize(table: pd.DataFrame, epochs: int = LAST_EPOCHS) -> pd.DataFrame:
    """Steps 1–2 for every model: ``train_acc, test_acc`` (means over seeds), ``train_acc_sd, test_acc_sd``
    (standard deviation over seeds, NaN with one), ``test_acc_ci`` (half-width of the 95% interval) and
    ``seeds``. Index: model, in order."""
    S = per_seed(table, epochs)
    rows = {}
    for model in models_of(S):
        tr, te = seed_values(S, model, "train_acc"), seed_values(S, model, "test_acc")
        sd = lambda x: float(np.std(x, ddof=1)) if len(x) > 1 else math.nan  # noqa: E731
        rows[model] = {"train_acc": float(tr.mean()), "test_acc": float(te.mean()), "train_acc_sd": sd(tr),
                       "test_acc_sd": sd(te), "test_acc_ci": interval(te).half, "seeds": len(te)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")


def epoch_curves(table: pd.DataFrame, metric: str, x: str = "epoch") -> pd.DataFrame:
    """Per model and epoch (index: model; columns ``epoch``, ``x`` averaged over seeds when it is not the
    epoch): ``mean`` and ``sd`` of ``metric`` over seeds (sd NaN with one seed) and ``seeds``. The curves of
    the figures: mean ± 1 sd."""
    g = with_seed(table).groupby(["model", "epoch"], sort=False)
    columns = {"mean": g[metric].mean(), "sd": g[metric].std(ddof=1), "seeds": g[metric].count()}
    if x != "epoch":
        columns[x] = g[x].mean()
    return pd.DataFrame(columns).reset_index(level="epoch")
