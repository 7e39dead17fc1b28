"""App. A.4's condition numbers: of the data matrix and of the patch matrix of Table 1's CNN."""

from bnconvex.data import load_prepared
from bnconvex.experiments.training import condition_numbers
from bnconvex.io import save_json
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
data = load_prepared(snakemake.input.npz, snakemake.input.meta)
result = condition_numbers(data.X_train, snakemake.params.spec)
result["dataset"] = snakemake.wildcards.dataset
save_json(snakemake.output[0], result)
log.info("condition numbers: data %.1f, patches %.1f", result["data"]["condition_number"],
         result["patches"]["condition_number"])
