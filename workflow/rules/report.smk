# Report stage: papermill notebooks (every path and number a parameter) -> results/report/*.html,
# figures -> results/figures/*.png|pdf


rule report_study:
    input:
        notebook="notebooks/study.ipynb",
        data_meta=f"data/processed/{CF['dataset']}.json",
        spectral_summary=f"results/spectral/{CF['dataset']}/summary.json",
        svd=f"results/spectral/{CF['dataset']}/svd.npz",
        certificate=closed_form_certificates()[0],
    output:
        ipynb="results/report/study.ipynb",
        html="results/report/study.html",
        spectrum_png=report("results/figures/spectrum.png", caption="../report/spectrum.rst", category="Spectral"),
        spectrum_pdf="results/figures/spectrum.pdf",
    params:
        title=config["report"]["title"],
        gap_tolerance=config["report"]["gap_tolerance"],
    log:
        "logs/report/study.log",
    benchmark:
        "results/benchmarks/jobs/report/study.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_notebook.py"


rule report_fig4:
    input:
        notebook="notebooks/fig4.ipynb",
        summary=fig4_outputs()[0],
        curves=fig4_outputs()[0].replace("summary.json", "curves.csv"),
    output:
        ipynb="results/report/fig4.ipynb",
        html="results/report/fig4.html",
        fig4_png=report("results/figures/fig4.png", caption="../report/fig4.rst", category="Closed form"),
        fig4_pdf="results/figures/fig4.pdf",
    log:
        "logs/report/fig4.log",
    benchmark:
        "results/benchmarks/jobs/report/fig4.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_notebook.py"


rule report_convex:
    input:
        notebook="notebooks/convex.ipynb",
        thm22=convex_certificates()[0],
        exact2d=convex_certificates()[1],
        g1=convex_certificates()[2],
        cnn=convex_certificates()[3:],
        grid=convex_certificates()[1].replace("certificate.json", "grid.npz"),
    output:
        ipynb="results/report/convex.ipynb",
        html="results/report/convex.html",
        exact2d_png=report("results/figures/exact2d.png", caption="../report/exact2d.rst", category="Convex"),
        exact2d_pdf="results/figures/exact2d.pdf",
    log:
        "logs/report/convex.log",
    benchmark:
        "results/benchmarks/jobs/report/convex.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_notebook.py"


rule report_index:
    input:
        study="results/report/study.html",
        fig4="results/report/fig4.html",
        convex="results/report/convex.html",
    output:
        "results/report/index.html",
    params:
        title=config["report"]["title"],
    log:
        "logs/report/index.log",
    localrule: True
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/report_index.py"


rule stage_report:
    # target of the DVC stage `report` (dvc.yaml)
    input:
        "results/report/index.html",
    localrule: True
