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
        provenance="results/figures/spectrum.json",
        page_provenance="results/report/study.json",
    params:
        title=config["report"]["title"],
        gap_tolerance=config["report"]["gap_tolerance"],
        provenance_figure="spectrum",
        provenance_config={"data": config["data"][CF["dataset"]], "spectral": config["spectral"],
                           "closed_form": CF, "report": config["report"]},
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
        provenance="results/figures/fig4.json",
        page_provenance="results/report/fig4.json",
    params:
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
        provenance="results/figures/exact2d.json",
        page_provenance="results/report/convex.json",
    params:
        provenance_figure="exact2d",
        provenance_config={"data": config["data"][config["convex"]["dataset"]], "convex": config["convex"]},
    log:
        "logs/report/convex.log",
    benchmark:
        "results/benchmarks/jobs/report/convex.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_notebook.py"


def train_figure_config(fig):
    """The config that makes a training figure: its entry, every model's resolved spec, the data set's."""
    entry = TRAIN["figures"][fig]
    return {"figure": entry, "data": config["data"][entry["dataset"]],
            "models": {m: train_spec(entry["dataset"], m) for m in entry["models"]}}


def train_figure_upstream(fig):
    """Every artifact a training figure is made from: each model's metrics, cosine and summary, the data."""
    ds = train_figures()[fig]
    models = TRAIN["figures"][fig]["models"]
    files = expand("results/train/{ds}/{model}/{f}", ds=ds, model=models, f=["metrics.csv", "cosine.npz",
                                                                                "summary.json"])
    return files + [f"data/processed/{ds}.npz"]


rule report_train_figure:
    # one notebook per training figure (notebooks/<fig>.ipynb), its PNG/PDF and provenance record
    input:
        notebook="notebooks/{fig}.ipynb",
        table=lambda wc: f"results/train/{train_figures()[wc.fig]}/figures/{wc.fig}.csv",
        meta=lambda wc: f"data/processed/{train_figures()[wc.fig]}.json",
        provenance_inputs=lambda wc: train_figure_upstream(wc.fig),
    output:
        ipynb="results/report/{fig}.ipynb",
        html="results/report/{fig}.html",
        png=report("results/figures/{fig}.png", caption="../report/train_figure.rst", category="Training",
                   labels={"figure": "{fig}"}),
        pdf="results/figures/{fig}.pdf",
        provenance="results/figures/{fig}.json",
        page_provenance="results/report/{fig}.json",
    wildcard_constraints:
        fig="|".join(train_figures()) or "no-training-figures",
    params:
        dataset=lambda wc: train_figures()[wc.fig],
        provenance_figure=lambda wc: wc.fig,
        provenance_config=lambda wc: train_figure_config(wc.fig),
    log:
        "logs/report/{fig}.log",
    benchmark:
        "results/benchmarks/jobs/report/{fig}.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_notebook.py"


def optional_train_table(fig):
    ds = train_figures().get(fig)
    return [f"results/train/{ds}/figures/{fig}.csv"] if ds else []


def paper_scales():
    """{figure: "data set (source), n ≈ …, d = …"} of our runs, from the config (before the data exist)."""
    def scale(ds):
        n, d = data_shape(ds)
        return f"{ds} ({source_of(ds)}), n ≈ {n}, d = {d}"

    out = {fig: scale(ds) for fig, ds in train_figures().items()}
    out["Thm 2.4 certificate"] = f"{scale(CF['dataset'])}; subset n = {CF['n']}"
    out["Thm 2.2 certificate"] = f"{scale(config['convex']['dataset'])}; subset n = {config['convex']['thm22']['n']}"
    return out


rule report_paper:
    # the paper's reported numbers beside ours, with data source and scale, and where we diverge
    input:
        notebook="notebooks/paper.ipynb",
        fig4=fig4_outputs()[0],
        thm24=closed_form_certificates()[0],
        thm22=convex_certificates()[0],
        fig1=optional_train_table("fig1"),
        fig2=optional_train_table("fig2"),
        fig3=optional_train_table("fig3"),
        fig6=optional_train_table("fig6"),
        table1=optional_train_table("table1"),
        thm51=[p for p in train_outputs() if p.endswith("thm51.json")],
    output:
        ipynb="results/report/paper.ipynb",
        html="results/report/paper.html",
        page_provenance="results/report/paper.json",
    params:
        scales=lambda wc: paper_scales(),
        provenance_figure="paper",
        provenance_config=lambda wc: {"report": config["report"], "scales": paper_scales()},
    log:
        "logs/report/paper.log",
    benchmark:
        "results/benchmarks/jobs/report/paper.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/render_notebook.py"


def report_pages():
    """{page: html} of every page the config makes, in index order."""
    pages = {"paper": "results/report/paper.html", "study": "results/report/study.html",
             "fig4": "results/report/fig4.html", "convex": "results/report/convex.html"}
    order = lambda f: int(f[3:]) if f.startswith("fig") else 100  # Table 1 after the figures
    pages |= {fig: f"results/report/{fig}.html" for fig in sorted(train_figures(), key=order)}
    return pages


rule report_index:
    input:
        **report_pages(),
    output:
        html="results/report/index.html",
        page_provenance="results/report/index.json",
    params:
        title=config["report"]["title"],
        provenance_config={"report": config["report"], "pages": list(report_pages())},
    log:
        "logs/report/index.log",
    localrule: True
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/report_index.py"


def report_figures():
    """The figures the report makes for this config (results/figures/<name>.{png,pdf,json})."""
    return ["spectrum", "fig4", "exact2d", *train_figures()]


def report_outputs():
    """Every file the report stage makes for this config: each page (ipynb, html, provenance record), the
    index (html, provenance), each figure (png, pdf, provenance record)."""
    pages = [p for p in report_pages()]
    return (expand("results/report/{page}.{ext}", page=pages, ext=["ipynb", "html", "json"])
            + ["results/report/index.html", "results/report/index.json"]
            + expand("results/figures/{fig}.{ext}", fig=report_figures(), ext=["png", "pdf", "json"]))


rule stage_report:
    # target of the DVC stage `report` (dvc.yaml)
    input:
        report_outputs(),
    localrule: True
