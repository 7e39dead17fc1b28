"""Closed-form stage: Thm 2.4 on a seeded one-hot subset, with its certificate and weights."""

from bnconvex.closed_form import fit_one_hot_subset
from bnconvex.data import load_prepared
from bnconvex.io import save_json, save_npz
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
data = load_prepared(snakemake.input.npz, snakemake.input.meta)
p = snakemake.params
result = fit_one_hot_subset(
    data, p.classes, p.n, p.beta, seed=p.subset_seed, theorem=snakemake.wildcards.theorem
)
save_npz(snakemake.output.network, **result.network.to_dict())
save_json(snakemake.output.certificate, result.certificate)
log.info("certificate: %s", result.certificate)
