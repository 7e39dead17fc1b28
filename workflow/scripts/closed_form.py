"""Closed-form stage: Thm 2.4 on a seeded one-hot subset, or Thm 2.1 / G.2 on a seeded ±1 subset, with its
certificate and weights."""

from bnconvex.closed_form import fit_one_hot_subset, fit_scalar_subset
from bnconvex.data import load_prepared
from bnconvex.io import save_json, save_npz
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
data = load_prepared(snakemake.input.npz, snakemake.input.meta)
p = snakemake.params
theorem = snakemake.wildcards.theorem
fit = fit_one_hot_subset if theorem == "2.4" else fit_scalar_subset  # 2.1, G.2: closed_form.scalar
result = fit(data, p.classes, p.n, p.beta, seed=p.subset_seed, theorem=theorem)
save_npz(snakemake.output.network, **result.network.to_dict())
save_json(snakemake.output.certificate, result.certificate)
log.info("certificate: %s", result.certificate)
