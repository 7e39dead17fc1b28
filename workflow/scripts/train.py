"""Train one model of a figure (Sec. 5 / App. A): metrics per epoch, cosine similarity (18), checkpoints."""

import os

import torch

from bnconvex.data import load_prepared
from bnconvex.experiments.training import run_training
from bnconvex.io import save_json
from bnconvex.linalg import load_svd
from bnconvex.workflow import choose_device, setup_log

log = setup_log(snakemake.log[0])
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
torch.set_num_threads(snakemake.threads)
torch.use_deterministic_algorithms(True)
device = choose_device(log)
spec = snakemake.params.spec
log.info("model %s on %s: %s", snakemake.wildcards.model, snakemake.wildcards.dataset, spec)
data = load_prepared(snakemake.input.npz, snakemake.input.meta)
svd = load_svd(snakemake.input.svd, data.X_train) if snakemake.input.get("svd") else None  # the spectral stage's
paths = {"metrics": snakemake.output.metrics, "cosine": snakemake.output.cosine,
         "checkpoint": snakemake.params.checkpoint}
summary = run_training(spec, data.X_train, data.y_train, data.X_test, data.y_test, paths,
                       config={"dataset": snakemake.wildcards.dataset, "model": snakemake.wildcards.model, **spec},
                       device=device, progress=True, svd=svd)
summary.update(dataset=snakemake.wildcards.dataset, model=snakemake.wildcards.model,
               data_source=data.meta.get("source"), data_note=data.meta.get("note"))
save_json(snakemake.output.summary, summary)
log.info("final: %s", summary["final"])
