"""Benchmark: one training epoch of our BN baseline (``bnconvex.models.BNNet``, BN with the paper's √n
convention) against a plain ``torch.nn`` reference (Linear(bias=False) + BatchNorm1d + ReLU + Linear), in one
run, same data, same batches, same optimizer (SGD, momentum 0.9). Target: ratio ours / reference ≤ 1.1.

Both run the same step: forward, squared loss, backward, optimizer step. Ours also carries the objective's
regularizer (β/2 Σ γ² + α² + ‖w2‖²), as it does in training. Epochs alternate between the two models, and
the medians are compared, so machine noise hits both alike.

Usage: python benchmarks/train_epoch.py [--data data/processed/cifar10.npz]
                                      [--out results/benchmarks/train_epoch.json]
Without --data (or when the file is missing) X is Gaussian of CIFAR-10's three-class size (1500 × 3072).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from bnconvex.io import save_json
from bnconvex.models import BNNet
from bnconvex.train import batches


def reference_net(d: int, m1: int, C: int) -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(d, m1, bias=False), torch.nn.BatchNorm1d(m1), torch.nn.ReLU(),
                               torch.nn.Linear(m1, C, bias=False))


def sgd_step(net: torch.nn.Module, loss):
    """One SGD (momentum 0.9) step on the batch ``idx`` of ``loss(net, idx)``."""
    opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9)

    def step(idx):
        opt.zero_grad()
        loss(net, idx).backward()
        opt.step()

    return step


def epoch(step, n: int, batch_size: int, seed: int) -> float:
    t0 = time.perf_counter()
    for idx in batches(n, batch_size, seed, 1):
        step(idx)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/processed/cifar10.npz")
    ap.add_argument("--out", default="results/benchmarks/train_epoch.json")
    ap.add_argument("--m1", type=int, default=512)
    ap.add_argument("--batch-sizes", type=int, nargs="+", default=[100, 1500])
    ap.add_argument("--epochs", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if Path(args.data).exists():
        with np.load(args.data) as z:
            X, y = z["X_train"], z["y_train"]
        source = args.data
    else:
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((1500, 3072)), rng.integers(0, 3, 1500)
        source = "gaussian 1500 x 3072"
    n, d = X.shape
    C = int(y.max()) + 1
    Xt, Yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(np.eye(C)[y], dtype=torch.float32)
    records = []
    for bs in args.batch_sizes:
        ours = BNNet(d, args.m1, C, n, beta=1e-3, seed=0)
        ref = reference_net(d, args.m1, C)
        step_ours = sgd_step(ours, lambda net, idx: net.batch_objective(Xt[idx], Yt[idx], n))
        step_ref = sgd_step(ref, lambda net, idx: 0.5 * (net(Xt[idx]) - Yt[idx]).pow(2).sum())

        epoch(step_ours, n, bs, 0), epoch(step_ref, n, bs, 0)  # warm-up
        t_ours, t_ref = [], []
        for e in range(args.epochs):
            t_ours.append(epoch(step_ours, n, bs, e))
            t_ref.append(epoch(step_ref, n, bs, e))
        rec = {"n": n, "d": d, "m1": args.m1, "C": C, "batch_size": min(bs, n),
               "ours_epoch_s": statistics.median(t_ours), "reference_epoch_s": statistics.median(t_ref)}
        rec["ratio"] = rec["ours_epoch_s"] / rec["reference_epoch_s"]
        records.append(rec)
        print(f"bs {rec['batch_size']}: ours {rec['ours_epoch_s']:.4f} s, "
              f"torch.nn {rec['reference_epoch_s']:.4f} s, ratio {rec['ratio']:.3f}")
    machine = platform.processor() or platform.machine()
    save_json(args.out, {"data": source, "threads": args.threads, "machine": machine, "torch": torch.__version__,
                         "target_ratio": 1.1, "records": records})


if __name__ == "__main__":
    main()
