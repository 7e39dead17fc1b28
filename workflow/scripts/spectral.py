"""Spectral stage: compact SVD of the centered training data, U', truncation g(X)."""

from bnconvex.data import load_prepared
from bnconvex.io import save_json, save_npz
from bnconvex.linalg import spectral_stage
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
data = load_prepared(snakemake.input[0])
arrays, summary = spectral_stage(data.X_train, snakemake.params.variance_fraction)
summary["dataset"] = snakemake.wildcards.dataset
save_npz(snakemake.output.svd, **arrays)
save_json(snakemake.output.summary, summary)
log.info("rank %d, k %d, |U'^T U' - I| = %.2e",
         summary["rank"], summary["k"], summary["orthonormality_error"])
