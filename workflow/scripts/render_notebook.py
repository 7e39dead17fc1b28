"""Report stage: execute a notebook with papermill. Every named input (but the notebook) and every named
figure output becomes a path parameter; every param a value parameter. The notebook names nothing itself."""

from pathlib import Path

from bnconvex.report import render_notebook
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
inp, out = snakemake.input, snakemake.output


def one_path(v):
    """A named input as one absolute path; an empty one (an optional page section) as None."""
    v = [v] if isinstance(v, str) else list(v)
    return str(Path(v[0]).resolve()) if v else None


parameters = {k: one_path(v) for k, v in inp.items() if k != "notebook"}
parameters |= {k: str(Path(v).resolve()) for k, v in out.items() if k not in ("ipynb", "html")}
parameters |= dict(snakemake.params.items())
log.info("parameters: %s", parameters)
render_notebook(inp.notebook, out.ipynb, out.html, parameters)
