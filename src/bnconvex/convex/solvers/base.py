"""The interface of our solvers: ``Method(U_prime, D, y, beta, dtype, device).run(tol, time_limit_s, **options)``
returns a :class:`SolverResult`. Every method stops on certificates, not on iteration counts: ``upper`` is the
objective of a feasible point (the blocks ``S``), ``lower`` a dual bound, ``converged`` whether their relative gap
reached ``tol``. ``options`` are the method's own (``warm``: a previous result's ``warm``; ``max_iter``; …).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch


def rel_gap(upper: float, lower: float) -> float:
    return (upper - lower) / max(abs(upper), 1e-300)


def timed_out(t0: float, time_limit_s: float | None) -> bool:
    return bool(time_limit_s) and time.perf_counter() - t0 > time_limit_s


@dataclass
class SolverResult:
    """``S``: the blocks (2, r+1, P), ``S[0]`` the s_i, ``S[1]`` the s'_i; ``dual``: ``y − ŷ`` at the best lower
    bound's iterate, or None; ``warm``: a later run's start; ``extra``: method-specific values (ADMM's ρ)."""

    S: torch.Tensor
    upper: float
    lower: float
    dual_constraint: float
    iterations: int
    time_s: float
    converged: bool
    dual: torch.Tensor | None = None
    warm: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @property
    def rel_gap(self) -> float:
        return rel_gap(self.upper, self.lower)


class OwnSolver:
    """U' (n×r1), patterns D (n×P), target y (n,) as tensors in ``dtype`` on ``device`` (default: the GPU if any)."""

    def __init__(self, U_prime, D, y, beta: float, dtype=torch.float64, device=None):
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        t = lambda a: torch.as_tensor(np.asarray(a, dtype=float), dtype=dtype, device=self.device)
        self.U, self.D, self.y, self.beta = t(U_prime), t(D), t(y), float(beta)
        self.n, self.r1 = self.U.shape
        self.P = self.D.shape[1]

    def fit(self, S):
        """``ŷ = Σ_i D_i U'(s_i − s'_i)`` (n,) of blocks S (2, r1, P)."""
        return (self.D * (self.U @ (S[0] - S[1]))).sum(1)

    def objective(self, S) -> float:
        return float(0.5 * ((self.fit(S) - self.y) ** 2).sum() + self.beta * S.norm(dim=1).sum())

    def dual_bound(self, v, worst: float) -> tuple[float, float]:
        """The lower bound ``½‖y‖² − ½‖v̂ − y‖²`` of ``v̂ = v · min(1, β/worst)``, worst the largest dual
        constraint value of v, and the constraint value of v̂."""
        scale = min(1.0, self.beta / worst) if worst > 0 else 1.0
        return float(0.5 * (self.y**2).sum() - 0.5 * ((scale * v - self.y) ** 2).sum()), worst * scale

    def run(self, tol: float = 1e-6, time_limit_s: float | None = None, **options) -> SolverResult:
        raise NotImplementedError
