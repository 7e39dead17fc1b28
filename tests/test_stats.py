"""The one accuracy summary (last epochs per seed, then across seeds) and the intervals verdicts compare."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from bnconvex import stats


def curves(values_by_seed, epochs=8):
    """A figure table of one model 'm': seed j's accuracy rises by 0.01 per epoch from values_by_seed[j]."""
    return pd.DataFrame([{"model": "m", "seed": j, "epoch": e, "train_acc": v + 0.01 * e, "test_acc": v}
                         for j, v in enumerate(values_by_seed) for e in range(epochs)])


def test_per_seed_averages_each_runs_last_epochs_then_summarize_averages_the_seeds():
    T = curves([0.5, 0.6, 0.7])
    S = stats.per_seed(T)
    assert list(S.index) == [("m", 0), ("m", 1), ("m", 2)]
    assert S.loc[("m", 1), "train_acc"] == pytest.approx(0.6 + 0.01 * np.mean([3, 4, 5, 6, 7]))  # epochs 3..7
    L = stats.summarize(T)
    assert L.loc["m", "test_acc"] == pytest.approx(0.6) and L.loc["m", "test_acc_sd"] == pytest.approx(0.1)
    assert L.loc["m", "test_acc_ci"] == pytest.approx(scipy_stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3))
    assert L.loc["m", "seeds"] == 3
    one = stats.summarize(curves([0.5]).drop(columns="seed"))  # a table without seeds is one seed
    assert one.loc["m", "seeds"] == 1 and math.isnan(one.loc["m", "test_acc_sd"])


def test_a_run_shorter_than_the_window_is_not_averaged_with_its_initialization():
    short = stats.per_seed(curves([0.5], epochs=3))   # epochs 0, 1, 2: the mean of epochs 1 and 2
    assert short.loc[("m", 0), "train_acc"] == pytest.approx(0.5 + 0.015)
    untrained = stats.per_seed(curves([0.5], epochs=1))   # only the start: that is the run
    assert untrained.loc[("m", 0), "train_acc"] == pytest.approx(0.5)


def test_welch_difference_matches_scipy_and_decisions_follow_the_interval():
    a, b = np.array([1.0, 1.2, 0.9, 1.1]), np.array([0.2, 0.5, 0.1])
    d = stats.difference(a, b)
    ref = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (d.lo, d.hi) == pytest.approx((ref.low, ref.high))
    assert stats.decide(d) == "agrees" and stats.decide(d, threshold=2.0) == "diverges"
    assert stats.decide(d, threshold=d.mean) == "not resolved"  # the threshold inside the interval
    assert stats.decide(stats.difference([1.0], [0.0])) == "not resolved"  # one seed: no interval
    assert stats.combine(["agrees", "not resolved"]) == "not resolved"
    assert stats.combine(["agrees", "diverges", "not resolved"]) == "diverges"
    assert stats.combine(["agrees", "agrees"]) == "agrees"


def test_epoch_curves_give_mean_and_sd_over_seeds_per_epoch():
    T = curves([0.5, 0.7]).assign(time_s=lambda t: t["epoch"] * (1 + t["seed"]))
    C = stats.epoch_curves(T, "test_acc", x="time_s")
    assert list(C["epoch"]) == list(range(8)) and (C["seeds"] == 2).all()
    assert C["mean"].to_numpy() == pytest.approx(0.6) and C["sd"].to_numpy() == pytest.approx(0.1414213562)
    assert C["time_s"].to_numpy() == pytest.approx(1.5 * np.arange(8))
