"""Report stage: execute a notebook with papermill. Every named input (but the notebook) and every named
figure output becomes a path parameter; every param a value parameter, except ``report_caption`` (the caption
in Snakemake's report, from bnconvex.pages.CAPTIONS) and ``provenance_*`` params, which go with the inputs'
hashes into the provenance records of the figure (output ``provenance``) and of the page (output
``page_provenance``), where the rule has them."""

import time
from pathlib import Path

from bnconvex.io import save_json
from bnconvex.provenance import provenance
from bnconvex.report import render_notebook
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
inp, out = snakemake.input, snakemake.output
t0 = time.perf_counter()


def one_path(v):
    """A named input as one absolute path; an empty one (an optional page section) as None."""
    v = [v] if isinstance(v, str) else list(v)
    return str(Path(v[0]).resolve()) if v else None


NOT_PARAMETERS = ("notebook", "provenance_inputs")
figures = {k: v for k, v in out.items() if k not in ("ipynb", "html", "provenance", "page_provenance")}
parameters = {k: one_path(v) for k, v in inp.items() if k not in NOT_PARAMETERS}
parameters |= {k: str(Path(v).resolve()) for k, v in figures.items()}
parameters |= {k: v for k, v in snakemake.params.items() if not k.startswith(("provenance", "report_"))}
log.info("parameters: %s", parameters)
render_notebook(inp.notebook, out.ipynb, out.html, parameters)
for key, made in (("provenance", [*figures.values()]), ("page_provenance", [out.html, *figures.values()])):
    if key in out.keys():
        record = provenance(snakemake.params.provenance_figure, snakemake.params.provenance_config,
                            list(snakemake.input), time.perf_counter() - t0, snakemake.rule, outputs=made)
        save_json(out[key], record)
        log.info("provenance: %s", out[key])
