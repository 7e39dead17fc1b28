"""Report stage: execute notebooks/study.ipynb with papermill, every path and number a parameter."""

from pathlib import Path

from bnconvex.report import render_notebook
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
inp, out, p = snakemake.input, snakemake.output, snakemake.params
parameters = {
    "title": p.title,
    "gap_tolerance": p.gap_tolerance,
    "data_meta": str(Path(inp.data_meta).resolve()),
    "spectral_summary": str(Path(inp.spectral_summary).resolve()),
    "svd": str(Path(inp.svd).resolve()),
    "certificate": str(Path(inp.certificate).resolve()),
    "spectrum_png": str(Path(out.spectrum_png).resolve()),
    "spectrum_pdf": str(Path(out.spectrum_pdf).resolve()),
}
log.info("parameters: %s", parameters)
render_notebook(inp.notebook, out.ipynb, out.html, parameters)
