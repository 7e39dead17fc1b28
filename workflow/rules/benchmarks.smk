# Benchmarks beyond the paper (not in `all`: the solver benchmark runs CVXPY for up to 10 minutes per
# instance, ~40 minutes on 2 cores): `snakemake --cores 2 --configfile config/cifar10.yaml -- benchmark_report`
# (the CIFAR-10 instances need its prepared subset) -> results/report/benchmarks.html.


rule bench_convex_solver:
    input:
        script="benchmarks/convex_solver.py",
        cifar="data/processed/cifar10.npz",
    output:
        "results/benchmarks/convex_solver.json",
    log:
        "logs/benchmarks/convex_solver.log",
    resources:
        runtime=120,
    shell:
        "python {input.script} --cifar {input.cifar} --out {output} > {log} 2>&1"


rule bench_penalized_sgd:
    input:
        script="benchmarks/penalized_sgd.py",
    output:
        "results/benchmarks/penalized_sgd.json",
    log:
        "logs/benchmarks/penalized_sgd.log",
    resources:
        runtime=30,
    shell:
        "python {input.script} --data digits --out {output} > {log} 2>&1"


rule report_benchmarks:
    input:
        notebook="notebooks/benchmarks.ipynb",
        convex_solver="results/benchmarks/convex_solver.json",
        penalized_sgd="results/benchmarks/penalized_sgd.json",
    output:
        ipynb="results/report/benchmarks.ipynb",
        html="results/report/benchmarks.html",
        solver_png=report("results/figures/convex_solver.png", caption="../report/caption.rst",
                          category="Benchmarks"),
        solver_pdf="results/figures/convex_solver.pdf",
    params:
        report_caption=caption("convex_solver"),
    log:
        "logs/report/benchmarks.log",
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_notebook.py"


rule benchmark_report:
    input:
        "results/report/benchmarks.html",
