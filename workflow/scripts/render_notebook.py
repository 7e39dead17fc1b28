"""Report stage: execute a notebook with papermill. Every named input (but the notebook) and every named
figure output becomes a path parameter, relative to the working directory (where the kernel runs), or a list of
paths for the inputs named in the param ``report_list_inputs`` (a figure's panels); every param a value parameter,
except ``report_*`` params (``report_caption`` is the caption in Snakemake's report, from bnconvex.pages.CAPTIONS)
and ``provenance_*`` params, which go with the inputs' hashes into the provenance records of the figure (output
``provenance``) and of the page (output ``page_provenance``), where the rule has them."""

import os
import time

from bnconvex.io import save_json
from bnconvex.provenance import provenance
from bnconvex.report import render_notebook
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
inp, out = snakemake.input, snakemake.output
t0 = time.perf_counter()


def one_path(v):
    """A named input as one path relative to the working directory (the kernel's: no page names a machine's
    directories); an empty one (an optional page section) as None."""
    v = [v] if isinstance(v, str) else list(v)
    return os.path.relpath(v[0]) if v else None


def all_paths(v):
    """A named input as a list of paths relative to the working directory (the panels of a figure)."""
    return [os.path.relpath(p) for p in ([v] if isinstance(v, str) else v)]


NOT_PARAMETERS = ("notebook", "provenance_inputs")
LISTS = snakemake.params.get("report_list_inputs", [])  # named inputs passed as lists of paths
figures = {k: v for k, v in out.items() if k not in ("ipynb", "html", "provenance", "page_provenance")}
parameters = {k: all_paths(v) if k in LISTS else one_path(v) for k, v in inp.items() if k not in NOT_PARAMETERS}
parameters |= {k: os.path.relpath(v) for k, v in figures.items()}
parameters |= {k: v for k, v in snakemake.params.items() if not k.startswith(("provenance", "report_"))}
log.info("parameters: %s", parameters)
render_notebook(inp.notebook, out.ipynb, out.html, parameters)
for key, made in (("provenance", [*figures.values()]), ("page_provenance", [out.html, *figures.values()])):
    if key in out.keys():
        record = provenance(snakemake.params.provenance_figure, snakemake.params.provenance_config,
                            list(snakemake.input), time.perf_counter() - t0, snakemake.rule, outputs=made)
        save_json(out[key], record)
        log.info("provenance: %s", out[key])
