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
        fig4_outputs(),
    localrule: True


rule fig4:
    # Fig. 4: closed form vs GD trials on the non-convex problem (9)
    input:
        npz="data/processed/{dataset}.npz",
        meta="data/processed/{dataset}.json",
    output:
        summary="results/closed_form/{dataset}/fig4/summary.json",
        curves="results/closed_form/{dataset}/fig4/curves.csv",
    params:
        classes=CF["classes"],
        n=CF["n"],
        beta=CF["beta"],
        subset_seed=CF["subset_seed"],
        gd=CF["fig4"],
    threads: 2
    log:
        "logs/closed_form/{dataset}-fig4.log",
    resources:
        mem_mb=4000,
        runtime=lambda wc: 10 + CF["fig4"]["trials"] * CF["fig4"]["steps"] // 100,
    script:
        "../scripts/fig4.py"
