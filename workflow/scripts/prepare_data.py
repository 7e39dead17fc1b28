"""Data stage: load the raw source, prepare as configured, write the npz + JSON sidecar."""

from bnconvex.data import load_raw, prepare
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
p = snakemake.params
spec = dict(p.spec)
source = spec.pop("source")
raw_path = snakemake.input.raw[0] if snakemake.input.raw else None
raw = load_raw(source, raw_path, format=p.format, url=p.url, known_hash=p.known_hash)
log.info("loaded %s: X %s, official bytes: %s", source, raw.X.shape, raw.meta.get("official_bytes"))
data = prepare(snakemake.wildcards.dataset, raw, note=p.note, **spec)
data.save(snakemake.output.npz, snakemake.output.meta)
log.info("prepared: %d train, %d test, d=%d", data.meta["n_train"], data.meta["n_test"], data.meta["d"])
