"""Training experiments of Sec. 5 and App. A: model specs, the cosine similarity (18), Thm 5.1's check.

A *model spec* is a flat dict resolved from the config (:func:`bnconvex.experiments.specs.resolve_spec`):
``arch`` (bn, nobn, whitened, convex, convex_nobn, cnn, convex_cnn, deep_cnn), ``truncate`` (bool), ``k`` /
``variance_fraction`` (17), ``m1``, ``beta``, ``rho``, ``seed`` (weights and patterns), ``dtype``, the CNN geometry
and the :class:`~bnconvex.train.TrainSettings` fields.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from bnconvex.experiments.specs import (  # noqa: F401 (re-exported)
    ARCHS,
    SWEEP_KEYS,
    resolve_spec,
    split_seed,
)
from bnconvex.linalg import CompactSVD, compact_svd, conditioning, truncate
from bnconvex.models import BNNet, ConvexNet, ConvexNoBNNet, SpectralMap, WhitenedNet
from bnconvex.train import TrainSettings


def settings_of(spec: dict) -> TrainSettings:
    fields = TrainSettings.__dataclass_fields__
    return TrainSettings(**{key: spec[key] for key in fields if key in spec})


def build_model(spec: dict, X_train: np.ndarray, C: int,
                svd: CompactSVD | None = None) -> tuple[torch.nn.Module, np.ndarray, SpectralMap | None]:
    """(model, training inputs as trained on, spectral map) for a spec.

    BN / no-BN models (the convex no-BN program too) with ``truncate`` train on g(X) (17); whitened and convex
    models train on X through their spectral map, truncated to k when ``truncate``. k is ``spec["k"]`` or by
    ``variance_fraction``. ``svd``: the compact SVD of Pc X_train if already computed (the spectral stage's,
    :func:`bnconvex.linalg.load_svd`; at n = 50,000 it saves each job a minute), else computed here; the CNNs
    ignore it (they whiten their patches).
    """
    dtype = getattr(torch, spec.get("dtype", "float32"))
    n, d = X_train.shape
    k, fraction = (spec.get("k"), spec.get("variance_fraction")) if spec.get("truncate") else (None, None)
    arch, m1, beta, seed = spec["arch"], spec["m1"], spec["beta"], spec.get("seed", 0)
    if arch in ("cnn", "convex_cnn"):
        return _build_cnn(spec, X_train, C, dtype, k, fraction)
    if arch == "deep_cnn":  # Fig. 5 (App. A.2): the four-layer CNN, never truncated
        from bnconvex.models.cnn import DeepBNConvNet

        if spec.get("truncate"):
            raise ValueError("arch deep_cnn (Fig. 5's CNN) has no truncated form")
        return DeepBNConvNet(spec["image_shape"], m1, C, n, beta, seed=seed, dtype=dtype), X_train, None
    if arch in ("bn", "nobn", "convex_nobn"):
        X_used = X_train
        spectral = None
        if spec.get("truncate"):
            spectral = SpectralMap.fit(X_train, k=k, variance_fraction=fraction, svd=svd)
            X_used = truncate(X_train, spectral.k, svd)
        if arch == "convex_nobn":  # Fig. 13: the program of the network without BN, on raw [X, 1]
            return ConvexNoBNNet(d, n, m1, C, beta, spec["rho"], seed=seed, dtype=dtype), X_used, spectral
        return BNNet(d, m1, C, n, beta, bn=arch == "bn", seed=seed, dtype=dtype), X_used, spectral
    spectral = SpectralMap.fit(X_train, k=k, variance_fraction=fraction, svd=svd)
    if arch == "whitened":
        return WhitenedNet(spectral, m1, C, beta, seed=seed, dtype=dtype), X_train, spectral
    return ConvexNet(spectral, m1, C, beta, spec["rho"], seed=seed, dtype=dtype), X_train, spectral


def _build_cnn(spec: dict, X_train: np.ndarray, C: int, dtype, k, fraction):
    """Table 1's CNN or its convex counterpart; truncation (17) acts on the patch matrix."""
    from bnconvex.models.cnn import BNConvNet, ConvexConvNet, PatchGeometry

    geometry = PatchGeometry.from_spec(spec)
    patches = geometry.patch_matrix(X_train)
    n, seed = X_train.shape[0], spec.get("seed", 0)
    if spec["arch"] == "cnn":
        truncation = SpectralMap.fit(patches, k=k, variance_fraction=fraction) if spec.get("truncate") else None
        return (BNConvNet(geometry, spec["m1"], C, n, spec["beta"], seed=seed, dtype=dtype, truncation=truncation),
                X_train, truncation)
    spectral = SpectralMap.fit(patches, k=k, variance_fraction=fraction)
    return (ConvexConvNet(geometry, spectral, spec["m1"], C, spec["beta"], spec["rho"], seed=seed, dtype=dtype),
            X_train, spectral)


def direction_basis(model: torch.nn.Module, X_used: np.ndarray, svd: CompactSVD | None = None,
                    k: int | None = None) -> np.ndarray:
    """The basis of eq. (18): V (d×r) of Pc X_used for the BN models, the identity e_i for the whitened one.
    ``svd``: the SVD of the untruncated Pc X, if computed; X_used = g(X) truncated to ``k`` then has V_k
    (its compact SVD is U_k Σ_k V_kᵀ)."""
    if isinstance(model, WhitenedNet):
        return np.eye(model.q.shape[0])
    if svd is not None:
        return svd.V if k is None else svd.V[:, :k]
    return compact_svd(X_used).V


def cosine_similarity(W: np.ndarray, W0: np.ndarray, V: np.ndarray) -> np.ndarray:
    """Eq. (18) for every direction: ``d_i = (v_iᵀW)(v_iᵀW0)ᵀ / (‖v_iᵀW‖ ‖v_iᵀW0‖)``, i = 1..r.

    W, W0: (d, m) hidden-layer weights; V: (d, r). Returns (r,); a direction where either projection is 0
    gets 1 (nothing moved along it)."""
    A, B = V.T @ W, V.T @ W0
    num = np.sum(A * B, axis=1)
    den = np.linalg.norm(A, axis=1) * np.linalg.norm(B, axis=1)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)


class CosineRecorder:
    """``on_epoch`` callback of :func:`bnconvex.train.train`: eq. (18) against the start, at every epoch."""

    def __init__(self, V: np.ndarray):
        self.V, self.W0, self.rows = V, None, []

    def __call__(self, epoch: int, model: torch.nn.Module) -> None:
        W = model.first_layer().detach().cpu().double().numpy().copy()  # not a view of the live weights
        if self.W0 is None:
            self.W0 = W
        self.rows.append(cosine_similarity(W, self.W0, self.V))

    def array(self) -> np.ndarray:
        """(epochs + 1, r)."""
        return np.array(self.rows)

    def state_dict(self) -> dict:
        return {"W0": self.W0, "rows": list(self.rows)}

    def load_state_dict(self, state: dict) -> None:
        self.W0, self.rows = state["W0"], list(state["rows"])


def condition_numbers(X_train: np.ndarray, spec: dict) -> dict:
    """App. A.4's two condition numbers (σ_max/σ_min, :func:`bnconvex.linalg.conditioning`): of the data matrix
    X (n×d), which the fully connected models whiten and truncate, and of the patch matrix (N×h, N = n·L
    patches of the CNN ``spec``'s geometry, zero padding included), which Table 1's models do. The paper:
    5892.5 against 271.2 on CIFAR-10 (d = 3072, h = 27), hence truncation's smaller effect in Table 1."""
    from bnconvex.models.cnn import PatchGeometry

    geometry = PatchGeometry.from_spec(spec)
    patches = conditioning(geometry.patch_matrix(X_train))
    patches |= {"h": geometry.h, "L": geometry.L, "kernel": geometry.kernel, "stride": geometry.stride,
                "padding": geometry.padding}
    data = conditioning(X_train)
    return {"data": data, "patches": patches, "ratio": data["condition_number"] / patches["condition_number"]}


def thm51_rel_error(X: np.ndarray, Y: np.ndarray, m1: int, beta: float, seed: int = 0) -> dict:
    """Thm 5.1 at equal weights: ``Σ Vᵀ ∇_{w1} L = Σ² ∇_q L`` with ``q = Σ Vᵀ w1``, full-batch GD, float64.

    Also checks that the two models agree in value and in the γ, α, W2 gradients. Returns relative errors.
    """
    n, _ = X.shape
    Xt, Yt = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(Y, dtype=torch.float64)
    spectral = SpectralMap.fit(X)
    bn = BNNet(X.shape[1], m1, Y.shape[1], n, beta, seed=seed, dtype=torch.float64)
    whitened = WhitenedNet(spectral, m1, Y.shape[1], beta, seed=seed, dtype=torch.float64)
    obj_bn, obj_wh = bn.objective(Xt, Yt), whitened.objective(Xt, Yt)
    obj_bn.backward()
    obj_wh.backward()
    Sigma, V = (torch.as_tensor(a) for a in (spectral.Sigma, spectral.V))
    lhs = Sigma[:, None] * (V.T @ bn.W1.grad)
    rhs = Sigma[:, None] ** 2 * whitened.q.grad
    rel = lambda a, b: float((a - b).norm() / b.norm().clamp_min(1e-300))
    return {
        "rel_error": rel(lhs, rhs),
        "objective_rel_diff": rel(obj_bn.detach(), obj_wh.detach()),
        "gamma_grad_rel_diff": rel(bn.bn.gamma.grad, whitened.gamma.grad),
        "alpha_grad_rel_diff": rel(bn.bn.alpha.grad, whitened.alpha.grad),
        "W2_grad_rel_diff": rel(bn.W2.grad, whitened.W2.grad),
        "n": n, "d": int(X.shape[1]), "r": spectral.k, "m1": m1, "beta": beta, "seed": seed,
    }


def run_training(spec: dict, X_train, y_train, X_test, y_test, paths: dict, config: dict | None = None,
                 device: str = "cpu", progress: bool = True, svd: CompactSVD | None = None) -> dict:
    """Build the model of ``spec``, train it, write ``paths["metrics"]`` (CSV), ``paths["cosine"]`` (npz, eq.
    (18) per epoch and direction, empty for convex and CNN models) and return a summary dict (final metrics, k, sizes).

    ``paths["checkpoint"]`` (optional) is where the job checkpoints and resumes from; ``svd``: the compact
    SVD of Pc X_train if already computed (:func:`build_model`).
    """
    from bnconvex.io import save_npz
    from bnconvex.train import TrainData, train

    C = int(max(y_train.max(), y_test.max())) + 1
    model, X_used, spectral = build_model(spec, X_train, C, svd)
    model = model.to(device)
    dtype = getattr(torch, spec.get("dtype", "float32"))
    data = TrainData.from_arrays(X_used, y_train, X_test, y_test, C, dtype=dtype, device=device)
    recorder = (CosineRecorder(direction_basis(model, X_used, svd, spectral.k if spectral else None))
                if isinstance(model, BNNet | WhitenedNet) else None)
    metrics = train(model, data, settings_of(spec), paths["metrics"], paths.get("checkpoint"),
                    config=config, on_epoch=recorder, progress=progress)
    cosine = recorder.array() if recorder else np.zeros((0, 0))
    save_npz(paths["cosine"], cosine=cosine, epoch=metrics["epoch"].to_numpy())
    final = metrics.iloc[-1].to_dict()
    return {"final": final, "epochs_run": int(final["epoch"]), "k": spectral.k if spectral else None,
            "n": int(X_train.shape[0]), "d": int(X_train.shape[1]), "C": C, "device": device, "spec": spec}


def figure_table(metrics: dict[str, str], cosine: dict[str, str] | None = None,
                 seeds: dict[str, int] | None = None) -> pd.DataFrame:
    """One long table of a figure from its jobs (``{job: path}``, a job being a model and a seed:
    :func:`~bnconvex.experiments.specs.seed_jobs`): the metrics of every job, with columns ``model`` (the
    job's model, its seed suffix removed) and ``seed`` (``seeds[job]``, the job's spec seed; the seed index j
    without ``seeds``), for Fig. 1 the cosine similarity (18) per epoch and direction (columns ``epoch,
    direction, cosine``) instead."""
    def labels(job):
        model, j = split_seed(job)
        return {"model": model, "seed": (seeds or {}).get(job, j)}

    if cosine:
        frames = []
        for job, path in cosine.items():
            with np.load(path) as z:
                C, epochs = z["cosine"], z["epoch"]
            if C.size == 0:
                raise ValueError(f"{path}: no cosine similarity recorded for model {job!r} (convex or resumed)")
            e, i = np.meshgrid(epochs, np.arange(1, C.shape[1] + 1), indexing="ij")
            frames.append(pd.DataFrame({**labels(job), "epoch": e.ravel(), "direction": i.ravel(),
                                        "cosine": C.ravel()}))
        return pd.concat(frames, ignore_index=True)
    return pd.concat([pd.read_csv(path).assign(**labels(job)) for job, path in metrics.items()], ignore_index=True)
