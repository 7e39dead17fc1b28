# Closed-form stage: optimal BN networks in closed form (Thm 2.4; Thm 2.1 and G.2 on a scalar task; Thm 4.2 and
# 4.1 on the last two layers of a trained deep BN network) with a duality certificate.


rule closed_form:
    input:
        npz="data/processed/{dataset}.npz",
        meta="data/processed/{dataset}.json",
    output:
        certificate="results/closed_form/{dataset}/thm{theorem}-certificate.json",
        network="results/closed_form/{dataset}/thm{theorem}-network.npz",
    params:
        classes=lambda wc: closed_form_subset(wc.theorem)["classes"],
        n=lambda wc: closed_form_subset(wc.theorem)["n"],
        beta=CF["beta"],
        subset_seed=CF["subset_seed"],
        deep=lambda wc: CF["deep"] if wc.theorem in ("4.1", "4.2") else None,
    log:
        "logs/closed_form/{dataset}-thm{theorem}.log",
    benchmark:
        "results/benchmarks/jobs/closed_form/{dataset}-thm{theorem}.tsv"
    resources:
        mem_mb=lambda wc: mem_mb(data_shape(wc.dataset), (CF["n"], CF["n"]), *deep_shapes(wc.dataset, wc.theorem)),
        runtime=lambda wc: 10 + deep_minutes(wc.dataset, wc.theorem),
    script:
        "../scripts/closed_form.py"


rule stage_closed_form:
    # target of the DVC stage `closed_form` (dvc.yaml)
    input:
        closed_form_outputs(),
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
    benchmark:
        "results/benchmarks/jobs/fig4/{dataset}.tsv"
    resources:
        gpu=1,  # GD training: on a GPU when there is one, else on the CPU (logged)
        mem_mb=lambda wc: mem_mb(data_shape(wc.dataset), (data_shape(wc.dataset)[1], CF["fig4"]["m1"]),
                                 (CF["n"], CF["fig4"]["m1"]), copies=6),
        # ~6·n·d·m1 flops per step; measured 2.8e11 flop/s in float32 on 2 CPU cores, and a GPU does tens of
        # times more: 3e12 flop/s is a conservative GPU rate (docs/scaling.md)
        runtime=lambda wc: 10 + int(CF["fig4"]["trials"] * CF["fig4"]["steps"] * 6 * CF["n"]
                                    * data_shape(wc.dataset)[1] * CF["fig4"]["m1"] / 3e12 / 60),
    script:
        "../scripts/fig4.py"
