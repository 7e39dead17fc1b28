"""The benchmarks' own helpers (benchmarks/ is not a package: loaded from its files)."""

import importlib.util
import sys
from pathlib import Path

import numpy as np

from bnconvex.convex import patterns
from bnconvex.linalg import compact_svd

ROOT = Path(__file__).resolve().parents[1]


def load(name):
    if str(ROOT / "benchmarks") not in sys.path:  # the benchmarks import each other as scripts do
        sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pyscnn_gets_gates_of_exactly_our_sampled_patterns(rng):
    X = rng.standard_normal((40, 3))
    Up = compact_svd(X).U_prime
    D = patterns(X, "sample", P=60, seed=0)  # duplicates removed: fewer than 60 columns
    G = load("convex_solver").sampled_gates(Up, 60, seed=0)
    as_set = lambda M: {bytes(c) for c in np.asarray(M, np.uint8).T}
    assert G.shape == (Up.shape[1], D.shape[1]) and as_set(Up @ G >= 0) == as_set(D)


def test_time_to_a_gap_reads_the_certified_trace():
    time_to = load("convex_scale").time_to
    trace = [(1.0, 10.0, 5.0), (2.0, 10.0, 9.95), (3.0, 9.99, 9.9895)]
    assert time_to(trace, 1e-2) == 2.0 and time_to(trace, 1e-4) == 3.0 and time_to(trace, 1e-6) is None
