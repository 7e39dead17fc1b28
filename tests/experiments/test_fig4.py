import numpy as np
import pytest
from helpers import one_hot_instance

from bnconvex.closed_form import ClosedFormResult
from bnconvex.experiments import fig4
from bnconvex.experiments.fig4 import GDSettings, run_fig4


def instance(rng):
    X, Y = one_hot_instance(rng, (6, 6, 6), d=30)
    X_test, Y_test = one_hot_instance(rng, (4, 4, 4), d=30)
    return X, Y.argmax(1), X_test, Y_test.argmax(1)


def test_gd_trials_stay_above_the_closed_form(rng):
    X, y, X_test, y_test = instance(rng)
    settings = GDSettings(m1=12, steps=400, lr=0.05, optimizer="gd", patience=20, dtype="float64")
    summary, curves = run_fig4(X, y, X_test, y_test, 0.5, settings, trials=2, seed=3)
    p_star = summary["closed_form"]["objective"]
    assert summary["closed_form"]["rel_gap"] <= 1e-8
    assert len(summary["gd"]["trials"]) == 2
    for t in summary["gd"]["trials"]:
        assert t["final_objective"] >= p_star and t["rel_excess"] >= 0
        assert t["steps"] == 400
    assert set(curves.columns) == {"step", "time_s", "objective", "trial"}
    assert curves["objective"].min() >= p_star * (1 - 1e-9)
    first, last = curves.groupby("trial")["objective"].first(), curves.groupby("trial")["objective"].last()
    assert np.all(last < first)  # GD made progress: the comparison is not vacuous


def test_trials_are_seeded(rng):
    X, y, X_test, y_test = instance(rng)
    settings = GDSettings(m1=8, steps=50, lr=0.05, dtype="float64")
    a, ca = run_fig4(X, y, X_test, y_test, 0.5, settings, trials=1, seed=7)
    b, cb = run_fig4(X, y, X_test, y_test, 0.5, settings, trials=1, seed=7)
    np.testing.assert_array_equal(ca["objective"], cb["objective"])


def test_gd_below_a_claimed_optimum_is_an_error(rng, monkeypatch):
    X, y, X_test, y_test = instance(rng)
    real = fig4.closed_form

    def inflated(*args, **kw):  # a wrong "optimum", 10× too high: GD must expose it
        res = real(*args, **kw)
        return ClosedFormResult(res.network, {**res.certificate, "primal": 10 * res.certificate["primal"]})

    monkeypatch.setattr(fig4, "closed_form", inflated)
    settings = GDSettings(m1=12, steps=300, lr=0.05, dtype="float64")
    with pytest.raises(RuntimeError, match="below the certified optimum"):
        run_fig4(X, y, X_test, y_test, 0.5, settings, trials=1)


def test_unknown_optimizer_names_the_config_key(rng):
    X, y, X_test, y_test = instance(rng)
    with pytest.raises(ValueError, match="closed_form.fig4.optimizer"):
        run_fig4(X, y, X_test, y_test, 0.5, GDSettings(m1=4, steps=1, lr=0.1, optimizer="lbfgs"), trials=1)
