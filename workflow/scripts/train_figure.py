"""Collect the jobs (models × seeds) of one training figure into one long table (the figure's data)."""

from bnconvex.experiments.training import figure_table
from bnconvex.io import atomic_path
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
jobs = snakemake.params.jobs  # each model once per seed
metrics = dict(zip(jobs, snakemake.input.metrics, strict=True))
cosine = dict(zip(jobs, snakemake.input.cosine, strict=True)) if snakemake.params.cosine else None
table = figure_table(metrics, cosine, seeds=dict(zip(jobs, snakemake.params.seeds, strict=True)))
with atomic_path(snakemake.output.table, suffix=".csv") as tmp:
    table.to_csv(tmp, index=False, float_format="%.10g")
log.info("%s: %d rows from %s", snakemake.wildcards.fig, len(table), jobs)
