# Data stage: load a source, subset classes, split (seeded), scale -> data/processed/<name>.npz + .json


rule prepare_data:
    output:
        npz="data/processed/{dataset}.npz",
        meta="data/processed/{dataset}.json",
    params:
        spec=lambda wc: config["data"][wc.dataset],
    log:
        "logs/data/prepare_{dataset}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/prepare_data.py"


rule stage_data:
    # target of the DVC stage `data` (dvc.yaml)
    input:
        prepared_data(),
    localrule: True
