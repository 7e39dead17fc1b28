"""Exact convex programs of BN ReLU networks (Thm 2.2, 2.3, G.1), their patterns, reconstruction and
certificates. See :func:`solve`."""

from bnconvex.convex.patterns import count_patterns, exact_patterns, network_patterns, patterns, sampled_patterns
from bnconvex.convex.programs import (
    ConvexResult,
    relaxation_lower_bound,
    solve,
    solve_g1,
    vector_sandwich,
)

__all__ = [
    "ConvexResult",
    "count_patterns",
    "exact_patterns",
    "network_patterns",
    "patterns",
    "relaxation_lower_bound",
    "sampled_patterns",
    "solve",
    "solve_g1",
    "vector_sandwich",
]
