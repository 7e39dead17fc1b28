"""Report stage: the index page linking every rendered page, titled as in bnconvex.pages.PAGES."""

import time

from bnconvex.io import save_json
from bnconvex.pages import PAGES
from bnconvex.provenance import provenance
from bnconvex.report import write_index
from bnconvex.workflow import setup_log

setup_log(snakemake.log[0])
t0 = time.perf_counter()
write_index([(PAGES[page].title, html) for page, html in snakemake.input.items()], snakemake.output.html,
            title=snakemake.params.title)
save_json(snakemake.output.page_provenance,
          provenance("index", snakemake.params.provenance_config, list(snakemake.input), time.perf_counter() - t0,
                     snakemake.rule, outputs=[snakemake.output.html]))
