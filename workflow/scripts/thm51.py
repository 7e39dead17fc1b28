"""Thm 5.1 as an executable check: Σ Vᵀ ∇_{w1} L = Σ² ∇_q L at equal weights, in float64."""

import numpy as np

from bnconvex.data import load_prepared
from bnconvex.experiments.training import thm51_rel_error
from bnconvex.io import save_json
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
p = snakemake.params
data = load_prepared(snakemake.input.npz, snakemake.input.meta)
C = int(data.y_train.max()) + 1
result = thm51_rel_error(data.X_train, np.eye(C)[data.y_train], p.m1, p.beta, seed=p.seed)
result["dataset"] = snakemake.wildcards.dataset
save_json(snakemake.output[0], result)
log.info("Thm 5.1: %s", result)
