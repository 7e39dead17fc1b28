# Convex stage: exact convex programs solved with CVXPY + open solvers, reconstruction and certificates.
CVX = config["convex"]
THM22_SOLVER = CVX["thm22"].get("solver", CVX["solver"])


def thm22_mem_mb(wc):
    """CVXPY's model holds ~n·P·(r+1) nonzeros several times over; our solver ~n·P (orthant) or the
    interior point's blocks (bnconvex.convex.barrier.interior_point_entries), bounded here by 4·n·P·(r+1)/P."""
    n, P = CVX["thm22"]["n"], CVX["thm22"]["P"]
    r1 = min(n, data_shape(wc.dataset)[1]) + 1
    if THM22_SOLVER == "bnconvex":
        return mem_mb((n, P), (2 * P, r1 * r1 if r1 < n else 1), (n, n), copies=6)
    return mem_mb((n * P, r1), copies=20)



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


def convex_outputs():
    """Every file the convex stage makes for this config: each program's certificate and network, the 2-D grid."""
    out = []
    for certificate in convex_certificates():
        out += [certificate, certificate.replace("-certificate.json", "-network.npz")]
        if "/exact2d-" in certificate:
            out.append(certificate.replace("-certificate.json", "-grid.npz"))
    return out


rule stage_convex:
    # target of the DVC stage `convex` (dvc.yaml)
    input:
        convex_outputs(),
    localrule: True
