"""The Table 1 setting (App. A.4): a two-layer CNN with channel-wise BN and its convex counterpart over
spatial blocks, trainable by :func:`bnconvex.train.train` (the interface of :class:`bnconvex.models.base.Model`).

Baseline (:class:`BNConvNet`): conv (kernel × kernel, stride, padding) → channel-wise BN → ReLU → average pool
to ``pool × pool`` blocks → flatten → linear. The conv acts on patches, so with the patch matrix of all
``N = n·L`` positions (L per image) it is ``X_patch W1``, and BN over all N rows is Thm 3.1's channel-wise BN
(√N convention, :class:`bnconvex.models.base.BatchNorm`).

Convex counterpart (:class:`ConvexConvNet`): "split the image into spatial blocks (each block a region whose
outputs are averaged) and apply the global-average-pooling model (15) to each block" (App. A.4). With
``u'(p)`` the whitened patch row (a row of U' of the patch matrix, 1/√N bias column), patterns
``d_i(p) = 1[u'(p) h_i ≥ 0]`` and parameters S, S' (blocks, P, k+1, C):

    ŷ(x) = Σ_b Σ_i 1/|b| Σ_{p ∈ b} d_i(p) u'(p) (S_{b,i} − S'_{b,i}),   cones (2d_i(p) − 1) u'(p) S_{b,i} ≥ 0,

regularized by β Σ ‖columns of S, S'‖, trained in App. A's penalized form. Its reconstruction is a
:class:`BNConvNet` with one channel per nonzero column, whose output weight sits on that column's block only.
Truncation (17) acts on the patch matrix (Table 1: k = 22 of h = 27).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from bnconvex.models import base
from bnconvex.models.base import SpectralMap

CHUNK = 256  # images per chunk when evaluating without autograd (bounds memory at b·L·P·C floats)


class PatchGeometry:
    """Patches of CHW images: kernel, stride, padding; positions L = side², average-pooled to pool² blocks."""

    def __init__(self, image_shape: tuple[int, int, int], kernel: int, stride: int, padding: int, pool: int):
        self.image_shape, self.kernel, self.stride, self.padding, self.pool = (
            tuple(image_shape), kernel, stride, padding, pool)
        c, H, W = self.image_shape
        self.side_h = (H + 2 * padding - kernel) // stride + 1
        self.side_w = (W + 2 * padding - kernel) // stride + 1
        if self.side_h < pool or self.side_w < pool:
            raise ValueError(f"pool {pool} exceeds the {self.side_h}×{self.side_w} conv output")
        self.h = c * kernel * kernel
        self.L = self.side_h * self.side_w
        rows = torch.arange(self.side_h).repeat_interleave(self.side_w) * pool // self.side_h
        cols = torch.arange(self.side_w).repeat(self.side_h) * pool // self.side_w
        self.block = rows * pool + cols                                    # (L,) block of each position
        self.blocks = pool * pool
        counts = torch.bincount(self.block, minlength=self.blocks).to(torch.float64)
        self.pool_matrix = torch.zeros(self.L, self.blocks, dtype=torch.float64)  # average pooling, (L, B)
        self.pool_matrix[torch.arange(self.L), self.block] = 1.0 / counts[self.block]

    @classmethod
    def from_spec(cls, spec: dict) -> PatchGeometry:
        """The geometry of a resolved CNN spec (``image_shape``, and kernel/stride/padding/pool: 3/3/2/4 as
        Table 1 where unset)."""
        if not spec.get("image_shape"):
            raise ValueError(f"arch {spec['arch']!r} needs image data (the data set's source has no image_shape)")
        return cls(spec["image_shape"], spec.get("kernel", 3), spec.get("stride", 3), spec.get("padding", 2),
                   spec.get("pool", 4))

    def patches(self, X: torch.Tensor) -> torch.Tensor:
        """Rows of X (b, c·H·W, CHW order) → patches (b, L, h)."""
        images = X.reshape(X.shape[0], *self.image_shape)
        cols = torch.nn.functional.unfold(images, self.kernel, padding=self.padding, stride=self.stride)
        return cols.transpose(1, 2)

    def patch_matrix(self, X: np.ndarray) -> np.ndarray:
        """All N = n·L patch rows of the training images, (N, h), float64."""
        return self.patches(torch.as_tensor(X, dtype=torch.float64)).reshape(-1, self.h).numpy()


class BNConvNet(base.SquaredLossModel):
    """Table 1's baseline. W1 (h, m1) filters, BN over all N = n·L patch rows, W2 (blocks, m1, C).

    Objective: ``½‖f − Y‖² + β/2 Σ_j (γ_j² + α_j² + ‖w2_j‖²)`` (w2_j: channel j's weights over all blocks).
    With ``truncation`` (a SpectralMap of the patch matrix), training-mode inputs use the truncated
    patches ``μ + (p − μ) V_k V_kᵀ`` (17); eval mode sees raw patches (test data are never truncated).
    """

    def __init__(self, geometry: PatchGeometry, m1: int, C: int, n: int, beta: float, seed: int = 0,
                 dtype=torch.float32, truncation: SpectralMap | None = None):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.geometry = geometry
        self.W1 = torch.nn.Parameter(base.init_uniform(geometry.h, m1, g, dtype))
        W2 = base.init_uniform(geometry.blocks * m1, C, g, dtype)
        self.W2 = torch.nn.Parameter(W2.reshape(geometry.blocks, m1, C))
        self.bn = base.BatchNorm(m1, n * geometry.L, dtype=dtype)
        self.register_buffer("pool_matrix", geometry.pool_matrix.to(dtype))
        self.beta = beta
        self.truncation = None
        if truncation is not None:
            V = torch.as_tensor(truncation.V, dtype=dtype)
            self.register_buffer("trunc_mu", torch.as_tensor(truncation.mu, dtype=dtype))
            self.register_buffer("trunc_proj", V @ V.T)
            self.truncation = truncation.k

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        Pt = self.geometry.patches(X)                                        # (b, L, h)
        if self.truncation is not None and self.training:
            Pt = self.trunc_mu + (Pt - self.trunc_mu) @ self.trunc_proj
        b, L, _ = Pt.shape
        A = torch.relu(self.bn((Pt @ self.W1).reshape(b * L, -1))).reshape(b, L, -1)
        pooled = torch.einsum("blm,lq->bqm", A, self.pool_matrix)            # (b, blocks, m1)
        return torch.einsum("bqm,qmc->bc", pooled, self.W2)

    def regularizer(self) -> torch.Tensor:
        return self.bn.gamma.pow(2).sum() + self.bn.alpha.pow(2).sum() + self.W2.pow(2).sum()

    def first_layer(self) -> torch.Tensor:
        return self.W1


class ConvexConvNet(base.PenalizedConvexModel):
    """The convex counterpart over spatial blocks (module docstring), P = m1 sampled patterns."""

    def __init__(self, geometry: PatchGeometry, spectral: SpectralMap, P: int, C: int, beta: float, rho: float,
                 seed: int = 0, dtype=torch.float32):
        super().__init__()
        self.geometry, self.spectral, self.beta, self.rho = geometry, spectral, beta, rho
        k1 = spectral.k + 1
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("H", torch.randn(k1, P, generator=g, dtype=torch.float64).to(dtype))
        self.S = torch.nn.Parameter(torch.zeros(geometry.blocks, P, k1, C, dtype=dtype))
        self.S_neg = torch.nn.Parameter(torch.zeros(geometry.blocks, P, k1, C, dtype=dtype))
        mu, VSinv = spectral.tensors(dtype)
        self.register_buffer("mu", mu)
        self.register_buffer("VSinv", VSinv)
        self.register_buffer("pool_matrix", geometry.pool_matrix.to(dtype))
        self.register_buffer("block", geometry.block.clone())
        self.N = spectral.n  # patch rows of the training set

    def u_prime(self, X: torch.Tensor) -> torch.Tensor:
        """Whitened patch rows with the bias column: (b, L, k+1)."""
        U = (self.geometry.patches(X) - self.mu) @ self.VSinv
        return torch.cat([U, torch.full_like(U[..., :1], 1 / math.sqrt(self.N))], dim=-1)

    def _products(self, Up: torch.Tensor, S: torch.Tensor) -> torch.Tensor:
        """``u'(p) S_{b(p),i}`` for every position: (b, L, P, C), one batched matmul over positions."""
        b, L, k1 = Up.shape
        _, P, _, C = S.shape
        S_pos = S[self.block].permute(0, 2, 1, 3).reshape(L, k1, P * C)   # (L, k+1, P·C)
        return torch.bmm(Up.transpose(0, 1), S_pos).transpose(0, 1).reshape(b, L, P, C)

    def _fit_and_penalty(self, X):
        """(prediction (b, C), violations (b, L, P, C)) of a batch."""
        Up = self.u_prime(X)                                                 # (b, L, k+1)
        sign = torch.where(Up @ self.H >= 0, 1.0, -1.0).to(Up.dtype).unsqueeze(-1)   # (b, L, P, 1)
        Z, Z_neg = self._products(Up, self.S), self._products(Up, self.S_neg)
        on = (sign > 0).to(Z.dtype)
        per_position = (on * (Z - Z_neg)).sum(dim=2)                         # (b, L, C)
        pred = torch.einsum("blc,lq->bc", per_position, self.pool_matrix)
        violation = torch.relu(-sign * Z) + torch.relu(-sign * Z_neg)
        return pred, violation

    @torch.no_grad()
    def _stats(self, X, chunk: int = CHUNK):
        """(prediction, violation sum, violation max) over all rows of X, in chunks (no autograd)."""
        preds, total, worst = [], 0.0, 0.0
        for i in range(0, X.shape[0], chunk):
            pred, violation = self._fit_and_penalty(X[i:i + chunk])
            preds.append(pred)
            total += float(violation.sum())
            worst = max(worst, float(violation.max()) if violation.numel() else 0.0)
        return torch.cat(preds), total, worst + 0.0

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled():
            return self._fit_and_penalty(X)[0]
        return self._stats(X)[0]

    def first_layer(self) -> torch.Tensor:
        return self.S.detach().flatten(2).flatten(0, 1).T

    def predictor(self) -> torch.nn.Module:
        """The reconstructed network in its algebraically equal, cheaper form (:class:`ReconstructedView`):
        the explicit :meth:`reconstruct` has 2·blocks·P·C channels, each computed at every position."""
        return ReconstructedView(self)

    def reconstruct(self) -> BNConvNet:
        """One channel per nonzero column s of S_{b,i} (S'_{b,i}) (:func:`bnconvex.convex.reconstruct.reconstruct`):
        filter ``V_k Σ_k⁻¹ s_{1:k}``, ``[γ; α] = [‖s_{1:k}‖; s_{k+1}]/‖s‖``, output weight ``±‖s‖`` on block b and
        class c only; BN in eval mode with the training patch statistics (mean μᵀw1, variance ‖s_{1:k}‖²/N)."""
        B, P, _, C = self.S.shape
        cols, signs = self.columns()                      # order (family, block, pattern, class)
        E = np.zeros((cols.shape[0], B * C))              # output ±e_(b,c) over the flattened block × class
        block_class = np.arange(B)[:, None, None] * C + np.arange(C)[None, None, :]
        E[np.arange(cols.shape[0]), np.tile(np.broadcast_to(block_class, (B, P, C)).reshape(-1), 2)] = signs.numpy()
        net, stats = base.reconstruct_blocks(cols, E, self.spectral)
        m, dtype = net.width, self.S.dtype
        model = BNConvNet(self.geometry, max(m, 1), C, self.N // self.geometry.L, self.beta, dtype=dtype)
        base.load_network(model, net, stats)
        with torch.no_grad():
            model.W2[:, :m] = torch.as_tensor(net.W2.reshape(m, B, C).transpose(1, 0, 2), dtype=dtype)
        return model.eval().to(self.S.device)


class ReconstructedView(torch.nn.Module):
    """The output of :meth:`ConvexConvNet.reconstruct` computed as ``Σ_b avg_{p∈b} Σ_i (u'(p)S_{b,i})₊ −
    (u'(p)S'_{b,i})₊`` (each reconstructed channel is ``±(u'(p)s)₊`` on its own block; tests check equality)."""

    def __init__(self, model: ConvexConvNet):
        super().__init__()
        self.model = model

    @torch.no_grad()
    def forward(self, X: torch.Tensor) -> torch.Tensor:
        m = self.model
        out = []
        for i in range(0, X.shape[0], CHUNK):
            Up = m.u_prime(X[i:i + CHUNK])
            per_position = (torch.relu(m._products(Up, m.S)) - torch.relu(m._products(Up, m.S_neg))).sum(dim=2)
            out.append(torch.einsum("blc,lq->bc", per_position, m.pool_matrix))
        return torch.cat(out)


class DeepBNConvNet(base.SquaredLossModel):
    """Fig. 5's four-layer CNN (App. A.2): three blocks conv (3×3, padding 1, ``m1`` filters) → channel-wise BN
    → ReLU → 2×2 average pooling, then a linear layer on the flattened ``m1 × H/8 × W/8`` features.

    BN of block l has our √N convention over its ``N_l = n·H_l·W_l`` rows (:class:`~bnconvex.models.base.BatchNorm`,
    so √N_l·BN is ``torch.nn.BatchNorm2d``). Weights start as PyTorch's defaults (uniform ±1/√fan_in); objective
    ``½‖f − Y‖² + β/2 · (Σ_l ‖γ_l‖² + ‖α_l‖² + ‖W_out‖²)``, (9)'s regularizer on every BN layer and the output
    layer (the conv filters are scale-invariant under BN, as W1 in (9)). ``n``: training-set size (None: each
    batch's). Shapes: conv weights (m_out, m_in, 3, 3), W_out (m1·H/8·W/8, C).
    """

    BLOCKS = 3

    def __init__(self, image_shape: tuple[int, int, int], m1: int, C: int, n: int | None, beta: float, seed: int = 0,
                 dtype=torch.float32):
        super().__init__()
        c, H, W = image_shape
        if H % 2**self.BLOCKS or W % 2**self.BLOCKS:
            raise ValueError(f"Fig. 5's CNN pools by 2 three times: image sides {H}×{W} must be multiples of 8")
        g = torch.Generator().manual_seed(seed)
        self.image_shape, self.beta = tuple(image_shape), beta
        self.convs, self.norms = torch.nn.ParameterList(), torch.nn.ModuleList()
        for l in range(self.BLOCKS):
            m_in, side = (c if l == 0 else m1), (H // 2**l) * (W // 2**l)
            weight = base.init_uniform(m_in * 9, m1, g, dtype).T.reshape(m1, m_in, 3, 3)
            self.convs.append(torch.nn.Parameter(weight.contiguous()))
            self.norms.append(base.BatchNorm(m1, None if n is None else n * side, dtype=dtype))
        features = m1 * (H // 8) * (W // 8)
        self.W_out = torch.nn.Parameter(base.init_uniform(features, C, g, dtype))

    def features(self, X: torch.Tensor) -> torch.Tensor:
        """Rows of X (b, c·H·W, CHW order) → the flattened last block (b, m1·H/8·W/8)."""
        A = X.reshape(X.shape[0], *self.image_shape)
        for weight, bn in zip(self.convs, self.norms, strict=True):
            Z = torch.nn.functional.conv2d(A, weight, padding=1)                  # (b, m1, H_l, W_l)
            b, m, h, w = Z.shape
            Z = bn(Z.permute(0, 2, 3, 1).reshape(-1, m)).reshape(b, h, w, m).permute(0, 3, 1, 2)
            A = torch.nn.functional.avg_pool2d(torch.relu(Z), 2)
        return A.flatten(1)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.features(X) @ self.W_out

    def regularizer(self) -> torch.Tensor:
        return sum(bn.gamma.pow(2).sum() + bn.alpha.pow(2).sum() for bn in self.norms) + self.W_out.pow(2).sum()

    def first_layer(self) -> torch.Tensor:
        """The first block's filters as columns, (c·9, m1)."""
        return self.convs[0].flatten(1).T
