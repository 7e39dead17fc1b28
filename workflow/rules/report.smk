# Report stage: papermill notebooks (every path and number a parameter) -> results/report/*.html,
# figures -> results/figures/*.png|pdf. Every page is one notebook run by render_notebook.py: report_fig4 is
# the template, the other pages override its inputs, outputs, params, log and benchmark. Page titles, headings,
# axes, captions and the paper's claims: workflow/report/pages.yaml (bnconvex.pages); paths: common.smk.


rule report_fig4:
    input:
        notebook=notebook_path("fig4"),
        summary=fig4_path("summary.json"),
        curves=fig4_path("curves.csv"),
    output:
        **page_outputs("fig4"),
        fig4_png=report(figure_path("fig4"), caption="../report/caption.rst", category="Closed form"),
        fig4_pdf=figure_path("fig4", "pdf"),
        provenance=figure_path("fig4", "json"),
    params:
        report_caption=caption("fig4"),
        provenance_figure="fig4",
        provenance_config={"data": config["data"][CF["dataset"]], "closed_form": CF},
    log:
        "logs/report/fig4.log",
    benchmark:
        "results/benchmarks/jobs/report/fig4.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_notebook.py"


use rule report_fig4 as report_study with:
    input:
        notebook=notebook_path("study"),
        data_meta=f"data/processed/{CF['dataset']}.json",
        spectral_summary=f"results/spectral/{CF['dataset']}/summary.json",
        svd=f"results/spectral/{CF['dataset']}/svd.npz",
        certificate=closed_form_path("certificate"),
    output:
        **page_outputs("study"),
        spectrum_png=report(figure_path("spectrum"), caption="../report/caption.rst", category="Spectral"),
        spectrum_pdf=figure_path("spectrum", "pdf"),
        provenance=figure_path("spectrum", "json"),
    params:
        title=config["report"]["title"],
        gap_tolerance=config["report"]["gap_tolerance"],
        scale=lambda wc: paper_scales()["Thm 2.4 certificate"],
        report_caption=caption("spectrum"),
        provenance_figure="spectrum",
        provenance_config={"data": config["data"][CF["dataset"]], "spectral": config["spectral"],
                           "closed_form": CF, "report": config["report"]},
    log:
        "logs/report/study.log",
    benchmark:
        "results/benchmarks/jobs/report/study.tsv"


use rule report_fig4 as report_convex with:
    input:
        notebook=notebook_path("convex"),
        thm22=convex_path("thm2.2"),
        exact2d=convex_path("exact2d"),
        g1=convex_path("g1"),
        cnn=[convex_path("cnn")] if "cnn" in convex_programs() else [],
        grid=convex_path("exact2d", "grid"),
    output:
        **page_outputs("convex"),
        exact2d_png=report(figure_path("exact2d"), caption="../report/caption.rst", category="Convex"),
        exact2d_pdf=figure_path("exact2d", "pdf"),
        provenance=figure_path("exact2d", "json"),
    params:
        dataset=CVX["dataset"],
        report_caption=caption("exact2d"),
        provenance_figure="exact2d",
        provenance_config={"data": config["data"][CVX["dataset"]], "convex": CVX},
    log:
        "logs/report/convex.log",
    benchmark:
        "results/benchmarks/jobs/report/convex.tsv"


use rule report_fig4 as report_train_figure with:
    # one page per training figure; most share notebooks/train_figure.ipynb (bnconvex.pages.PAGES[fig].notebook)
    input:
        notebook=lambda wc: notebook_path(wc.fig),
        tables=lambda wc: train_figure_tables(wc.fig),
        metas=lambda wc: [f"data/processed/{p.dataset}.json" for p in train_figures()[wc.fig]],
        conditioning=lambda wc: conditioning_outputs() if wc.fig == "table1" else [],
        provenance_inputs=lambda wc: train_figure_upstream(wc.fig),
    output:
        **page_outputs("{fig}"),
        png=report(figure_path("{fig}"), caption="../report/caption.rst", category="Training",
                   labels={"figure": "{fig}"}),
        pdf=figure_path("{fig}", "pdf"),
        provenance=figure_path("{fig}", "json"),
    wildcard_constraints:
        fig="|".join(TRAINING_FIGURES),
    params:
        fig=lambda wc: wc.fig,
        panels=lambda wc: [p.label for p in train_figures()[wc.fig]],
        datasets=lambda wc: [p.dataset for p in train_figures()[wc.fig]],
        scales=lambda wc: paper_scales()[wc.fig],
        report_list_inputs=["tables", "metas"],
        report_caption=lambda wc: caption(wc.fig),
        provenance_figure=lambda wc: wc.fig,
        provenance_config=lambda wc: train_figure_config(wc.fig),
    log:
        "logs/report/{fig}.log",
    benchmark:
        "results/benchmarks/jobs/report/{fig}.tsv"


use rule report_fig4 as report_paper with:
    # the paper's reported numbers beside ours, with data source and scale, and where we diverge
    input:
        notebook=notebook_path("paper"),
        fig4=fig4_path("summary.json"),
        thm24=closed_form_path("certificate"),
        thm22=convex_path("thm2.2"),
        thm51=thm51_outputs(),
        conditioning=conditioning_outputs(),
        # the tables (passed as the param figures) and the certificates beyond Thm 2.4/2.2 (param certificates)
        provenance_inputs=train_figure_tables(*train_figures()) + list(more_certificates().values()),
    output:
        **page_outputs("paper"),
        claims=CLAIMS,
    params:
        scales=lambda wc: paper_scales(),
        figures=lambda wc: {fig: train_figure_tables(fig) for fig in train_figures()},  # one table per panel
        panels=lambda wc: {fig: [p.label for p in panels] for fig, panels in train_figures().items()},
        certificates=more_certificates(),
        provenance_figure="paper",
        provenance_config=lambda wc: {"report": config["report"], "scales": paper_scales()},
    log:
        "logs/report/paper.log",
    benchmark:
        "results/benchmarks/jobs/report/paper.tsv"


rule report_index:
    # one self-contained page: the config and data sources, a card per page (thumbnail, claim, verdict), the
    # certificates table, the run's provenance; and what DVC tracks (metrics.json, the curves of plots/)
    input:
        **{f"page_{page}": html for page, html in report_pages().items()},
        claims=CLAIMS,
        figures=[figure_path(fig) for fig in report_figures()],
        certificates=list(certificates().values()),
        tables=train_figure_tables(*train_figures()),
        fig4_curves=fig4_path("curves.csv"),
        curves=list(train_curves().values()),
        data_meta=expand("data/processed/{dataset}.json", dataset=DATASETS),
    output:
        html=page_path("index"),
        page_provenance=page_path("index", "json"),
        metrics=METRICS,
        plots=directory(PLOTS),
        certificates=report(page_path("certificates"), caption="../report/caption.rst", category="Certificates"),
        certificates_provenance=page_path("certificates", "json"),
    params:
        title=config["report"]["title"],
        config_files=[os.path.relpath(f) for f in workflow.overwrite_configfiles] or ["config/config.yaml"],
        pages={page: {"html": html, "figure": PAGES[page].figure and figure_path(PAGES[page].figure)}
               for page, html in report_pages().items()},
        certificates={name: {"path": path, "dataset": CF["dataset"] if path.startswith("results/closed_form/")
                             else CVX["dataset"]}
                      for name, path in certificates().items()},
        tables={fig + p.label: f"results/train/{p.dataset}/figures/{fig}.csv" for fig, p in train_panels()},
        curves=train_curves(),
        report_caption=caption("certificates"),
        provenance_config={"report": config["report"], "pages": list(report_pages())},
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
        report_outputs(),
    localrule: True
