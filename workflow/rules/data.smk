# Data stage: fetch (pooch, checksums, mirrors) -> data/raw/<source>/<file>;
# prepare (classes, split, scaling, seeded) -> data/processed/<name>.npz + <name>.json


rule fetch:
    output:
        "data/raw/{source}/{filename}",
    params:
        url=lambda wc: source_setting(wc.source, "url"),
        known_hash=lambda wc: source_setting(wc.source, "known_hash"),
    log:
        "logs/data/fetch_{source}_{filename}.log",
    benchmark:
        "results/benchmarks/jobs/fetch/{source}_{filename}.tsv"
    resources:
        mem_mb=1000,
        runtime=60,
    script:
        "../scripts/fetch.py"


rule prepare_data:
    input:
        raw=lambda wc: raw_files(wc.dataset),
    output:
        npz="data/processed/{dataset}.npz",
        meta="data/processed/{dataset}.json",
    params:
        spec=lambda wc: config["data"][wc.dataset],
        url=lambda wc: source_setting(source_of(wc.dataset), "url"),
        known_hash=lambda wc: source_setting(source_of(wc.dataset), "known_hash"),
        format=lambda wc: source_setting(source_of(wc.dataset), "format"),
        note=lambda wc: SOURCES_CFG.get(source_of(wc.dataset), {}).get("note"),
    log:
        "logs/data/prepare_{dataset}.log",
    benchmark:
        "results/benchmarks/jobs/prepare_data/{dataset}.tsv"
    resources:
        # the whole raw source is decoded before subsetting
        mem_mb=lambda wc: mem_mb(SOURCE_SHAPES[source_of(wc.dataset)][:2], copies=3),
        runtime=30,
    script:
        "../scripts/prepare_data.py"


rule stage_data:
    # target of the DVC stage `data` (dvc.yaml)
    input:
        data_outputs(),
    localrule: True
