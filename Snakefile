# bnconvex: the study of "Demystifying Batch Normalization in ReLU Networks" (Ergen et al., ICLR 2022).
# Data flows one way: data -> spectral -> {closed_form, convex, train} -> report. Each stage is a file in workflow/rules/.
from snakemake.utils import min_version

from bnconvex.config import check_config, load_yaml_strict
from bnconvex.workflow import canonical

min_version("9.0")


# The default config, unless --configfile names another: a study config is complete on its own (nested
# sections such as train.figures would otherwise merge with the default's). --config overrides still apply.
if not workflow.overwrite_configfiles:
    load_yaml_strict("config/config.yaml")  # a YAML syntax error or duplicate key: file and line

    configfile: "config/config.yaml"


# Every problem that can be seen without data, as "<file>: <key.path>: <problem>" (bnconvex.config): the schema
# (its defaults filled in) and the cross-field checks; duplicate YAML keys are errors.
check_config(config, workflow.overwrite_configfiles or ["config/config.yaml"],
             f"{workflow.basedir}/workflow/schemas/config.schema.yaml")
# Key order carries no meaning: sort the config, so reordering a YAML file triggers no rerun (params are
# compared by their text).
_canonical = canonical(config)
config.clear()
config.update(_canonical)


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/spectral.smk"
include: "workflow/rules/closed_form.smk"
include: "workflow/rules/convex.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/benchmarks.smk"


# Every file the config implies is a final target, intermediates included: a page, figure, provenance record
# or per-model output deleted by a killed (forced) run is rebuilt by the next plain run, never skipped.
rule all:
    input:
        data_outputs(),
        spectral_outputs(),
        closed_form_outputs(),
        convex_outputs(),
        train_stage_outputs(),
        report_outputs(),
    default_target: True


onstart:
    # temporaries of writers killed mid-write (bnconvex.io.atomic_path) are never left among the outputs
    from bnconvex.io import remove_stray_temporaries

    for _stray in remove_stray_temporaries("results", "data"):
        print(f"removed a temporary left by a killed job: {_stray}")
