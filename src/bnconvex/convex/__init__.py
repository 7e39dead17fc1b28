"""Exact convex programs of BN ReLU networks (Thm 2.2, 2.3, 3.1, G.1), their patterns, reconstruction and
certificates. See :func:`solve`; the CVXPY formulations are in :mod:`.formulations`, our own solvers in
:mod:`.solvers`."""

from bnconvex.convex.certificate import Certificate, certify
from bnconvex.convex.patterns import count_patterns, exact_patterns, network_patterns, patterns, sampled_patterns
from bnconvex.convex.programs import (
                                     ConvexResult,
                                     extract_patches,
                                     relaxation_lower_bound,
                                     solve,
                                     solve_cnn,
                                     solve_g1,
                                     solve_no_bn,
                                     vector_sandwich,
)

__all__ = ["Certificate", "ConvexResult", "certify", "count_patterns", "exact_patterns", "extract_patches",
           "network_patterns", "patterns", "relaxation_lower_bound", "sampled_patterns", "solve", "solve_cnn",
           "solve_g1", "solve_no_bn", "vector_sandwich"]
