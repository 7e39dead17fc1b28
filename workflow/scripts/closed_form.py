"""Closed-form stage: Thm 2.4 on a seeded one-hot subset, Thm 2.1 / G.2 on a seeded ±1 subset, or Thm 4.2 /
4.1 on the last two layers of a deep BN network trained on that subset; with its certificate and weights."""

from bnconvex.closed_form import fit_one_hot_subset, fit_scalar_subset
from bnconvex.data import load_prepared
from bnconvex.experiments.deep import DeepSettings, fit_deep_subset
from bnconvex.io import save_json, save_npz
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
data = load_prepared(snakemake.input.npz, snakemake.input.meta)
p = snakemake.params
theorem = snakemake.wildcards.theorem
if theorem in ("4.1", "4.2"):  # closed_form.deep
    deep = {key: value for key, value in p.deep.items() if key != "theorems"}
    result, net = fit_deep_subset(data, p.classes, p.n, p.beta, DeepSettings(**deep), seed=p.subset_seed,
                                  theorem=theorem)
    weights = net.to_dict()
else:
    fit = fit_one_hot_subset if theorem == "2.4" else fit_scalar_subset  # 2.1, G.2: closed_form.scalar
    result = fit(data, p.classes, p.n, p.beta, seed=p.subset_seed, theorem=theorem)
    weights = result.network.to_dict()
save_npz(snakemake.output.network, **weights)
save_json(snakemake.output.certificate, result.certificate)
log.info("certificate: %s", result.certificate)
