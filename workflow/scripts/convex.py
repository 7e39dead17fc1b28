"""Convex stage: one program per rule (convex_thm22, convex_loss, convex_exact2d, convex_g1, convex_cnn,
convex_nobn, convex_thm23), certificate + network."""

from bnconvex.data import load_prepared
from bnconvex.experiments import convex_jobs
from bnconvex.io import save_json, save_npz
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
p, out = snakemake.params, snakemake.output
s = dict(p.settings)
data = load_prepared(snakemake.input.npz)
if snakemake.rule == "convex_thm23":  # one-hot over its own classes
    X, y = convex_jobs.multiclass_task(data.X_train, data.y_train, p.classes, s["n"], seed=s["seed"])
else:
    X, y = convex_jobs.binary_task(data.X_train, data.y_train, p.classes, s["n"], seed=s["seed"])
if snakemake.rule == "convex_thm23":
    res = convex_jobs.thm23_sampled(X, y, s["beta"], s["P"], s["seed"], snakemake.wildcards.loss, p.solver)
elif snakemake.rule == "convex_loss":
    res = convex_jobs.thm22_sampled(X, y, s["beta"], s["P"], s["seed"], snakemake.wildcards.loss, p.solver)
elif snakemake.rule == "convex_thm22":
    own = {k: s[k] for k in ("tol", "time_limit_s") if k in s}  # solver bnconvex only (checked at parse time)
    res = convex_jobs.thm22_sampled(X, y, s["beta"], s["P"], s["seed"], s["loss"], p.solver, **own)
elif snakemake.rule == "convex_exact2d":
    res, X2, grid = convex_jobs.exact_2d(X, y, s["beta"], solver=p.solver)
    save_npz(out.grid, X2=X2, y=y, **grid)
elif snakemake.rule == "convex_nobn":
    res = convex_jobs.nobn_sampled(X, y, s["beta"], s["P"], s["seed"], p.solver)
elif snakemake.rule == "convex_cnn":
    res = convex_jobs.cnn_sampled(X, y, p.image_shape, s["kernel"], s["stride"], s["padding"], s["beta"], s["P"],
                                  s["seed"], p.solver)
else:
    res = convex_jobs.g1_sampled(X, y, s["beta"], s["P"], s["seed"], p.solver)
cert = {**res.certificate, "dataset": snakemake.wildcards.dataset, "classes": list(p.classes), "seed": s["seed"]}
save_npz(out.network, **res.network.to_dict())  # bn_after_relu included (G.1's network is BN after ReLU)
save_json(out.certificate, cert)
log.info("certificate: %s", cert)
if not cert["valid"]:
    raise RuntimeError(f"solver status {cert['status']!r}: the certificate is not valid")
