# Closed-form stage: optimal BN networks in closed form (Thm 2.4) with a duality certificate.


rule closed_form:
    input:
        npz="data/processed/{dataset}.npz",
        meta="data/processed/{dataset}.json",
    output:
        certificate="results/closed_form/{dataset}/thm{theorem}-certificate.json",
        network="results/closed_form/{dataset}/thm{theorem}-network.npz",
    params:
        classes=CF["classes"],
        n=CF["n"],
        beta=CF["beta"],
        subset_seed=CF["subset_seed"],
    log:
        "logs/closed_form/{dataset}-thm{theorem}.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/closed_form.py"


rule stage_closed_form:
    # target of the DVC stage `closed_form` (dvc.yaml)
    input:
        closed_form_certificates(),
    localrule: True
