"""Round trip of what the convex rules write: network (.npz, bn_after_relu included) and certificate (.json)."""

import numpy as np
import pytest

from bnconvex.convex import patterns, solve, solve_g1
from bnconvex.convex.patterns import no_bias_patterns
from bnconvex.io import load_json, save_json, save_npz
from bnconvex.network import BNNetwork

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.mark.parametrize("program", ["G.1", "2.2"])
def test_saved_network_and_certificate_reload_as_they_were(rng, tmp_path, program):
    X, y = rng.standard_normal((6, 10)), rng.standard_normal(6)
    if program == "G.1":
        res = solve_g1(X, y, 0.3, no_bias_patterns(X, 10))
    else:
        res = solve(X, y, 0.3, patterns=patterns(X, "sample", P=10, seed=0))
    # as workflow/scripts/convex.py writes them
    save_npz(tmp_path / "network.npz", **res.network.to_dict())
    save_json(tmp_path / "certificate.json", cert := {**res.certificate, "dataset": "toy", "seed": 3})
    net = BNNetwork.from_npz(tmp_path / "network.npz")
    assert net.bn_after_relu is (program == "G.1")  # field by field, G.1 reloaded as BN before ReLU
    np.testing.assert_array_equal(net.forward(X), res.network.forward(X))
    assert net.objective(X, y, 0.3) == pytest.approx(res.certificate["primal_network"], rel=1e-12)
    assert load_json(tmp_path / "certificate.json") == cert
