# Spectral stage: centered compact SVD (U, Sigma, V), U' = [U, 1/sqrt(n) 1], truncation g(X) (eq. 17).


rule spectral:
    input:
        "data/processed/{dataset}.npz",
    output:
        svd="results/spectral/{dataset}/svd.npz",
        summary="results/spectral/{dataset}/summary.json",
    params:
        variance_fraction=config["spectral"]["variance_fraction"],
    log:
        "logs/spectral/{dataset}.log",
    benchmark:
        "results/benchmarks/jobs/spectral/{dataset}.tsv"
    threads: 2
    resources:
        mem_mb=lambda wc: mem_mb(data_shape(wc.dataset), copies=6),
        # a full SVD costs ~ n·d·min(n, d) flops; 1 GFLOP/s per thread is conservative
        runtime=lambda wc: 5 + int(data_shape(wc.dataset)[0] * data_shape(wc.dataset)[1] ** 2 / 60e9),
    script:
        "../scripts/spectral.py"


rule stage_spectral:
    # target of the DVC stage `spectral` (dvc.yaml)
    input:
        spectral_outputs(),
    localrule: True
