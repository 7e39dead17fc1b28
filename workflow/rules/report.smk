# Report stage: papermill notebooks (every path and number a parameter) -> results/report/*.html


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
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_study.py"


rule report_index:
    input:
        study="results/report/study.html",
    output:
        "results/report/index.html",
    params:
        title=config["report"]["title"],
    log:
        "logs/report/index.log",
    localrule: True
    script:
        "../scripts/report_index.py"


rule stage_report:
    # target of the DVC stage `report` (dvc.yaml)
    input:
        "results/report/index.html",
    localrule: True
