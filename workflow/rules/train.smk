# Training stage (Sec. 5, App. A): every model of every figure is its own job, sweeps are wildcards.
# results/train/<dataset>/<model>/{metrics.csv, cosine.npz, summary.json}; checkpoints beside them. A figure with
# seeds: N runs each model N times: <model> (its seed) and <model>-s1 .. -s<N-1> (seed + j), each its own job.

# The modules that compute a training result are inputs of its jobs: a change to any of them reruns the
# models (by modification time), so neither `snakemake` nor `dvc repro` has to force the whole stage, and a
# killed stage resumes from its checkpoints while finished models stay as they are.
TRAIN_CODE = [f"src/bnconvex/{m}.py" for m in ("train", "models/__init__", "models/base", "models/two_layer",
                                                "models/cnn", "network", "losses", "convex/reconstruct", "linalg",
                                                "experiments/training", "experiments/specs")]


rule train:
    input:
        npz="data/processed/{dataset}.npz",
        meta="data/processed/{dataset}.json",
        code=TRAIN_CODE,
        svd=lambda wc: train_svd(wc.dataset, wc.model),
    output:
        metrics="results/train/{dataset}/{model}/metrics.csv",
        cosine="results/train/{dataset}/{model}/cosine.npz",
        summary="results/train/{dataset}/{model}/summary.json",
    params:
        spec=lambda wc: train_spec(wc.dataset, wc.model),
        checkpoint="results/train/{dataset}/{model}/checkpoint.pt",  # not an output: it survives a kill
    threads: 2
    log:
        "logs/train/{dataset}/{model}.log",
    benchmark:
        "results/benchmarks/jobs/train/{dataset}/{model}.tsv"
    resources:
        gpu=TRAIN.get("gpu", 0) if TRAIN else 0,
        mem_mb=lambda wc: mem_mb(data_shape(wc.dataset), (data_shape(wc.dataset)[1],
                                 train_spec(wc.dataset, wc.model)["m1"]), copies=8),
        runtime=train_runtime,
    script:
        "../scripts/train.py"


rule train_figure:
    # the data of one training figure: every job's metrics (Fig. 1: cosine similarity (18)) in one table, with
    # columns model (the figure's name) and seed (the job's spec seed)
    input:
        metrics=lambda wc: expand("results/train/{dataset}/{model}/metrics.csv", dataset=wc.dataset,
                                  model=figure_jobs(wc.fig, wc.dataset)),
        cosine=lambda wc: expand("results/train/{dataset}/{model}/cosine.npz", dataset=wc.dataset,
                                 model=figure_jobs(wc.fig, wc.dataset)),
        code=TRAIN_CODE,
    output:
        table="results/train/{dataset}/figures/{fig}.csv",
    params:
        jobs=lambda wc: figure_jobs(wc.fig, wc.dataset),
        seeds=lambda wc: [train_spec(wc.dataset, job)["seed"] for job in figure_jobs(wc.fig, wc.dataset)],
        cosine=lambda wc: wc.fig == "fig1",
    log:
        "logs/train/{dataset}/figure-{fig}.log",
    localrule: True
    resources:
        mem_mb=1000,
        runtime=5,
    script:
        "../scripts/train_figure.py"


rule thm51:
    input:
        npz="data/processed/{dataset}.npz",
        meta="data/processed/{dataset}.json",
        code=TRAIN_CODE,
    output:
        "results/train/{dataset}/thm51.json",
    params:
        m1=TRAIN["thm51"]["m1"] if TRAIN and "thm51" in TRAIN else 0,
        beta=TRAIN["thm51"]["beta"] if TRAIN and "thm51" in TRAIN else 0,
        seed=TRAIN["thm51"]["seed"] if TRAIN and "thm51" in TRAIN else 0,
    log:
        "logs/train/{dataset}/thm51.log",
    benchmark:
        "results/benchmarks/jobs/train/{dataset}/thm51.tsv"
    resources:
        mem_mb=lambda wc: mem_mb(data_shape(wc.dataset), (data_shape(wc.dataset)[1],) * 2),
        runtime=10,
    script:
        "../scripts/thm51.py"


rule conditioning:
    # App. A.4: condition numbers of the data matrix and of Table 1's patch matrix
    input:
        npz="data/processed/{dataset}.npz",
        meta="data/processed/{dataset}.json",
        code=TRAIN_CODE,
    output:
        "results/train/{dataset}/conditioning.json",
    params:
        spec=lambda wc: conditioning_spec(wc.dataset),
    log:
        "logs/train/{dataset}/conditioning.log",
    benchmark:
        "results/benchmarks/jobs/train/{dataset}/conditioning.tsv"
    resources:
        # the patch matrix has ~n·d·(kernel/stride)² entries: a few copies of it, in float64
        mem_mb=lambda wc: mem_mb(data_shape(wc.dataset), copies=8),
        runtime=lambda wc: 10 + int(data_shape(wc.dataset)[0] * data_shape(wc.dataset)[1] ** 2 / 60e9),
    script:
        "../scripts/conditioning.py"


rule stage_train:
    # target of the DVC stage `train` (dvc.yaml)
    input:
        train_stage_outputs(),
    localrule: True
