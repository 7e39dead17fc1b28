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
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/spectral.py"


rule stage_spectral:
    # target of the DVC stage `spectral` (dvc.yaml)
    input:
        spectral_summaries(),
    localrule: True
