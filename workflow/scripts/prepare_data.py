"""Data stage: load the raw source, prepare as configured, write the npz + JSON sidecar."""

from bnconvex.data import load_raw, prepare
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
name = snakemake.wildcards.dataset
X, y, meta = load_raw(name)
log.info("loaded %s: X %s, %d classes", name, X.shape, len(set(y.tolist())))
data = prepare(name, X, y, meta, **snakemake.params.spec)
data.save(snakemake.output.npz, snakemake.output.meta)
log.info("prepared: %d train, %d test, d=%d", data.meta["n_train"], data.meta["n_test"], data.meta["d"])
