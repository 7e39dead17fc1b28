"""Collect the models of one training figure into one long table (the figure's data)."""

from bnconvex.experiments.training import figure_table
from bnconvex.io import atomic_path
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
models = snakemake.params.models
metrics = dict(zip(models, snakemake.input.metrics, strict=True))
cosine = dict(zip(models, snakemake.input.cosine, strict=True)) if snakemake.params.cosine else None
table = figure_table(metrics, cosine)
with atomic_path(snakemake.output.table, suffix=".csv") as tmp:
    table.to_csv(tmp, index=False, float_format="%.10g")
log.info("%s: %d rows from %s", snakemake.wildcards.fig, len(table), models)
