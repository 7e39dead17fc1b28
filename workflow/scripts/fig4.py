"""Fig. 4: the closed form (Thm 2.4) against GD trials on the non-convex problem (9)."""

import os

import torch

from bnconvex.data import load_prepared, select_classes
from bnconvex.experiments.fig4 import GDSettings, run_fig4
from bnconvex.io import atomic_path, save_json
from bnconvex.workflow import choose_device, setup_log

log = setup_log(snakemake.log[0])
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
torch.set_num_threads(snakemake.threads)
torch.use_deterministic_algorithms(True)
device = choose_device(log)
p = snakemake.params
data = load_prepared(snakemake.input.npz, snakemake.input.meta)
X, y = select_classes(data.X_train, data.y_train, p.classes, per_class=p.n // len(p.classes), seed=p.subset_seed)
X_test, y_test = select_classes(data.X_test, data.y_test, p.classes)
gd = dict(p.gd)
trials, seed = gd.pop("trials"), gd.pop("seed")
summary, curves = run_fig4(X, y, X_test, y_test, p.beta, GDSettings(**gd), trials=trials, seed=seed,
                           device=device)
summary.update(dataset=snakemake.wildcards.dataset, classes=list(p.classes), subset_seed=p.subset_seed,
               data_note=data.meta.get("note"), data_source=data.meta.get("source"))
with atomic_path(snakemake.output.curves, suffix=".csv") as tmp:
    curves.to_csv(tmp, index=False)
save_json(snakemake.output.summary, summary)
log.info("closed form %.6g in %.3f s; GD best %.6g", summary["closed_form"]["objective"],
         summary["closed_form"]["time_s"], summary["gd"]["best_final_objective"])
