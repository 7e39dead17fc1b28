# Convex stage: exact convex programs solved with CVXPY + open solvers, reconstruction and certificates.


rule convex_thm22:
    input:
        npz="data/processed/{dataset}.npz",
    output:
        certificate="results/convex/{dataset}/thm2.2-certificate.json",
        network="results/convex/{dataset}/thm2.2-network.npz",
    params:
        classes=CVX["classes"],
        solver=THM22_SOLVER,
        settings=CVX["thm22"],
    log:
        "logs/convex/{dataset}-thm2.2.log",
    benchmark:
        "results/benchmarks/jobs/convex/{dataset}-thm2.2.tsv"
    resources:
        mem_mb=thm22_mem_mb,
        runtime=lambda wc: 10 + CVX["thm22"]["n"] * CVX["thm22"]["P"] // 200,
    script:
        "../scripts/convex.py"


rule convex_exact2d:
    input:
        npz="data/processed/{dataset}.npz",
    output:
        certificate="results/convex/{dataset}/exact2d-certificate.json",
        network="results/convex/{dataset}/exact2d-network.npz",
        grid="results/convex/{dataset}/exact2d-grid.npz",
    params:
        classes=CVX["classes"],
        solver=CVX["solver"],
        settings=CVX["exact2d"],
    log:
        "logs/convex/{dataset}-exact2d.log",
    benchmark:
        "results/benchmarks/jobs/convex/{dataset}-exact2d.tsv"
    resources:
        mem_mb=4000,
        runtime=60,
    script:
        "../scripts/convex.py"


rule convex_g1:
    input:
        npz="data/processed/{dataset}.npz",
    output:
        certificate="results/convex/{dataset}/g1-certificate.json",
        network="results/convex/{dataset}/g1-network.npz",
    params:
        classes=CVX["classes"],
        solver=CVX["solver"],
        settings=CVX["g1"],
    log:
        "logs/convex/{dataset}-g1.log",
    benchmark:
        "results/benchmarks/jobs/convex/{dataset}-g1.tsv"
    resources:
        mem_mb=4000,
        runtime=60,
    script:
        "../scripts/convex.py"


rule convex_cnn:
    input:
        npz="data/processed/{dataset}.npz",
    output:
        certificate="results/convex/{dataset}/cnn-certificate.json",
        network="results/convex/{dataset}/cnn-network.npz",
    params:
        classes=CVX["classes"],
        solver=CVX["solver"],
        settings=CVX["cnn"],
        image_shape=lambda wc: get_source(source_of(wc.dataset)).image_shape,
    log:
        "logs/convex/{dataset}-cnn.log",
    benchmark:
        "results/benchmarks/jobs/convex/{dataset}-cnn.tsv"
    resources:
        mem_mb=6000,
        runtime=60,
    script:
        "../scripts/convex.py"


rule convex_loss:
    # App. B.1: Thm 2.2 with the hinge or logistic loss on the same +-1 task
    input:
        npz="data/processed/{dataset}.npz",
    output:
        certificate="results/convex/{dataset}/thm2.2-{loss}-certificate.json",
        network="results/convex/{dataset}/thm2.2-{loss}-network.npz",
    wildcard_constraints:
        loss="hinge|logistic",
    params:
        classes=CVX["classes"],
        solver=CVX["solver"],
        settings=CVX.get("losses", {}),
    log:
        "logs/convex/{dataset}-thm2.2-{loss}.log",
    benchmark:
        "results/benchmarks/jobs/convex/{dataset}-thm2.2-{loss}.tsv"
    resources:
        mem_mb=lambda wc: mem_mb((CVX["losses"]["n"] * CVX["losses"]["P"], min(CVX["losses"]["n"],
                                  data_shape(wc.dataset)[1]) + 1), copies=20),
        runtime=lambda wc: 10 + CVX["losses"]["n"] * CVX["losses"]["P"] // 200,
    script:
        "../scripts/convex.py"


rule convex_nobn:
    # Fig. 13's convex no-BN model solved exactly: the program of the ReLU network without BN, same +-1 task
    input:
        npz="data/processed/{dataset}.npz",
    output:
        certificate="results/convex/{dataset}/nobn-certificate.json",
        network="results/convex/{dataset}/nobn-network.npz",
    params:
        classes=CVX["classes"],
        solver=CVX["solver"],
        settings=CVX.get("nobn", {}),
    log:
        "logs/convex/{dataset}-nobn.log",
    benchmark:
        "results/benchmarks/jobs/convex/{dataset}-nobn.tsv"
    resources:
        mem_mb=lambda wc: mem_mb((CVX["nobn"]["n"] * CVX["nobn"]["P"], data_shape(wc.dataset)[1] + 1), copies=20),
        runtime=lambda wc: 10 + CVX["nobn"]["n"] * CVX["nobn"]["P"] // 200,
    script:
        "../scripts/convex.py"


rule convex_thm23:
    # Thm 2.3's sandwich (vector output): restriction and relaxation over the same patterns, one job per loss
    input:
        npz="data/processed/{dataset}.npz",
    output:
        certificate="results/convex/{dataset}/thm2.3-{loss}-certificate.json",
        network="results/convex/{dataset}/thm2.3-{loss}-network.npz",
    wildcard_constraints:
        loss="squared|cross_entropy",
    params:
        classes=CVX.get("thm23", {}).get("classes"),
        solver=CVX["solver"],
        settings=CVX.get("thm23", {}),
    log:
        "logs/convex/{dataset}-thm2.3-{loss}.log",
    benchmark:
        "results/benchmarks/jobs/convex/{dataset}-thm2.3-{loss}.tsv"
    resources:
        # C columns of the restriction and the relaxation's P n-by-C matrices: CVXPY holds each several times
        mem_mb=lambda wc: mem_mb((CVX["thm23"]["n"] * CVX["thm23"]["P"], (min(CVX["thm23"]["n"],
                                  data_shape(wc.dataset)[1]) + 1) * len(CVX["thm23"]["classes"])), copies=20),
        runtime=lambda wc: 10 + CVX["thm23"]["n"] * CVX["thm23"]["P"] * len(CVX["thm23"]["classes"]) // 100,
    script:
        "../scripts/convex.py"


rule stage_convex:
    # target of the DVC stage `convex` (dvc.yaml)
    input:
        convex_outputs(),
    localrule: True
