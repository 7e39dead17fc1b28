"""Report stage: the index page linking every rendered page."""

from bnconvex.report import write_index
from bnconvex.workflow import setup_log

setup_log(snakemake.log[0])
TITLES = {
    "study": "Study overview: data, spectrum, Thm 2.4 certificate",
    "fig4": "Fig. 4: closed-form optimum vs gradient descent",
    "convex": "Exact convex programs (Thm 2.2, G.1) with certificates; exact 2-D optimum",
}
write_index([(TITLES[k], v) for k, v in snakemake.input.items()], snakemake.output[0], title=snakemake.params.title)
