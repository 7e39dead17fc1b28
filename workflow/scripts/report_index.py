"""Report stage: the index page linking every rendered page."""

from bnconvex.report import write_index
from bnconvex.workflow import setup_log

setup_log(snakemake.log[0])
write_index([("Study overview: data, spectrum, Thm 2.4 certificate", snakemake.input.study)],
            snakemake.output[0], title=snakemake.params.title)
