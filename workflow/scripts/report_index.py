"""Report stage: the index page linking every rendered page."""

import time

from bnconvex.io import save_json
from bnconvex.provenance import provenance
from bnconvex.report import write_index
from bnconvex.workflow import setup_log

setup_log(snakemake.log[0])
t0 = time.perf_counter()
TITLES = {
    "study": "Study overview: data, spectrum, Thm 2.4 certificate",
    "fig4": "Fig. 4: closed-form optimum vs gradient descent",
    "convex": "Exact convex programs (Thm 2.2, G.1) with certificates; exact 2-D optimum",
    "paper": "Paper vs ours: the paper's reported numbers beside ours, and where we diverge",
    "fig1": "Fig. 1: cosine similarity to initialization per singular direction (BN vs whitened)",
    "fig2": "Fig. 2: BN model vs whitened model (implicit regularization)",
    "fig3": "Fig. 3: SGD, SGD-Truncated, Convex, Convex-Truncated",
    "fig5": "Fig. 5/8: batch-size sweep",
    "fig6": "Fig. 6: truncation sweep of the convex program (CNAE-9)",
    "fig9": "Fig. 9/12: learning-rate sweep",
    "fig10": "Fig. 10/11: Adam",
    "fig13": "Fig. 13: without BN",
    "table1": "Table 1: CNN baseline vs convex CNN, with and without truncation",
}
write_index([(TITLES[k], v) for k, v in snakemake.input.items()], snakemake.output.html, title=snakemake.params.title)
save_json(snakemake.output.page_provenance,
          provenance("index", snakemake.params.provenance_config, list(snakemake.input), time.perf_counter() - t0,
                     snakemake.rule, outputs=[snakemake.output.html]))
