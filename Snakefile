# bnconvex: the study of "Demystifying Batch Normalization in ReLU Networks" (Ergen et al., ICLR 2022).
# Data flows one way: data -> spectral -> {closed_form, convex} -> report. Each stage is a file in workflow/rules/.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/spectral.smk"
include: "workflow/rules/closed_form.smk"
include: "workflow/rules/convex.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        prepared_data(),
        spectral_summaries(),
        closed_form_certificates(),
        fig4_outputs(),
        convex_certificates(),
        "results/report/index.html",
    default_target: True
