# Target lists and config look-ups shared by the stages and `rule all`. Only the workflow names paths.
# The config was checked by bnconvex.config.check_config (Snakefile): names, classes, sizes are consistent here.
import functools
import os

from bnconvex.config import SOURCE_SHAPES, ConfigError
from bnconvex.config import train_panels as _train_panels
from bnconvex.config import data_shape as _data_shape
from bnconvex.data.sources import get_source, raw_filename
from bnconvex.experiments.specs import IMAGE_ARCHS, parse_model_name, resolve_spec, seed_jobs
from bnconvex.pages import PAGES, TRAINING_FIGURES, caption

DATASETS = config["datasets"]
CF = config["closed_form"]
CVX = config["convex"]
THM22_SOLVER = CVX["thm22"].get("solver", CVX["solver"])
TRAIN = config.get("train")
SOURCES_CFG = config.get("sources", {})


wildcard_constraints:
    dataset="[a-z][a-z0-9_]*",
    source="[a-z0-9]+",
    theorem="[0-9G]\\.[0-9]",
    model="[a-z][a-z0-9_]*(-(bs[0-9]+|lr[0-9.e+-]+|k[0-9]+))?(-s[1-9][0-9]*)?",
    fig="(fig[0-9]+|table1)",


def source_of(dataset):
    return config["data"][dataset]["source"]


def source_setting(source, key):
    """A source's override from config (sources.<source>.<key>), else its official value."""
    official = get_source(source)
    return SOURCES_CFG.get(source, {}).get(key, getattr(official, key, None))


def raw_files(dataset):
    """The raw download a prepared data set needs ([] for embedded sources)."""
    source = source_of(dataset)
    url = source_setting(source, "url")
    return [] if url is None else [f"data/raw/{source}/{raw_filename(source, url)}"]


def prepared_data():
    return expand("data/processed/{dataset}.npz", dataset=DATASETS)


def spectral_summaries():
    return expand("results/spectral/{dataset}/summary.json", dataset=DATASETS)


# ---- paths of the artifacts one stage hands to the next ----


def closed_form_path(what, theorem=None):
    """The closed form's (Thm 2.4, or ``theorem`` of closed_form.scalar / .deep) "certificate" (JSON) or "network"
    (npz)."""
    theorem = theorem or CF["theorem"]
    return f"results/closed_form/{CF['dataset']}/thm{theorem}-{what}.{'npz' if what == 'network' else 'json'}"


def scalar_theorems():
    """Thm 2.1 / G.2, as configured in closed_form.scalar.theorems (none without it)."""
    return CF.get("scalar", {}).get("theorems", [])


def deep_theorems():
    """Thm 4.1 / 4.2 on a trained deep network, as configured in closed_form.deep.theorems (none without it)."""
    return CF.get("deep", {}).get("theorems", [])


def closed_form_subset(theorem):
    """{classes, n} of a closed form's task: the one-hot subset (Thm 2.4, 4.2) or closed_form.scalar's ±1 one."""
    return CF if theorem in ("2.4", "4.2") else CF["scalar"]


def deep_shapes(dataset, theorem):
    """Array shapes of the deep network's training (activations and weights), none for the other closed forms."""
    if theorem not in deep_theorems():
        return []
    n, widths = closed_form_subset(theorem)["n"], CF["deep"]["widths"]
    return [(n, m) for m in widths] + list(zip([data_shape(dataset)[1]] + widths, widths))


def deep_minutes(dataset, theorem):
    """Minutes of the deep network's training: ~6 flops per weight and sample a step, at 3e10 flop/s (2 CPU
    cores, float32, measured ~1e11 on large products: docs/scaling.md)."""
    if theorem not in deep_theorems():
        return 0
    n, widths = closed_form_subset(theorem)["n"], CF["deep"]["widths"]
    weights = sum(a * b for a, b in zip([data_shape(dataset)[1]] + widths, widths))
    return int(CF["deep"]["steps"] * 6 * n * weights / 3e10 / 60)


def fig4_path(name):
    """Fig. 4's "summary.json" or "curves.csv"."""
    return f"results/closed_form/{CF['dataset']}/fig4/{name}"


def convex_programs():
    """thm2.2, exact2d, g1, cnn when the data are images (Thm 3.1 needs patches), thm2.2-<loss> for each of
    convex.losses.losses (App. B.1), nobn (Fig. 13's no-BN program) and thm2.3-<loss> for each of
    convex.thm23.losses, where configured."""
    names = ["thm2.2", "exact2d", "g1"] + (["cnn"] if get_source(source_of(CVX["dataset"])).image_shape else [])
    names += [f"thm2.2-{loss}" for loss in CVX.get("losses", {}).get("losses", [])]
    names += ["nobn"] if "nobn" in CVX else []
    return names + [f"thm2.3-{loss}" for loss in CVX.get("thm23", {}).get("losses", [])]


def convex_path(program, what="certificate"):
    """A convex program's "certificate" (JSON), "network" or (exact2d) "grid" (npz)."""
    return f"results/convex/{CVX['dataset']}/{program}-{what}.{'json' if what == 'certificate' else 'npz'}"


@functools.cache
def train_panels():
    """(figure, panel) of every panel of every training figure (bnconvex.config.Panel: label, dataset, models,
    seeds); none when the config has no train section. Computed once: the config is fixed after parsing, and
    every training job's input and param functions ask for it."""
    return tuple(_train_panels(config.get("train")))


@functools.cache
def train_figures():
    """{figure: [its panels]} of the training figures in the config, in the config's order."""
    out = {}
    for fig, panel in train_panels():
        out.setdefault(fig, []).append(panel)
    return out


def figure_panel(fig, dataset):
    """The panel of training figure ``fig`` on ``dataset`` (a figure's panels have distinct data sets)."""
    return next(p for p in train_figures()[fig] if p.dataset == dataset)


def train_figure_tables(*figs):
    """The tables (results/train/<dataset>/figures/<fig>.csv, one per panel) of those of ``figs`` the config
    makes, in panel order."""
    return [f"results/train/{p.dataset}/figures/{fig}.csv" for fig, p in train_panels() if fig in figs]


def thm51_outputs():
    """Thm 5.1's check, when the config has one."""
    train = config.get("train") or {}
    return [f"results/train/{train['thm51']['dataset']}/thm51.json"] if "thm51" in train else []


def conditioning_outputs():
    """App. A.4's condition numbers (data and patch matrices), on Table 1's data set when the config has it."""
    panels = train_figures().get("table1")
    return [f"results/train/{panels[0].dataset}/conditioning.json"] if panels else []


def conditioning_spec(dataset):
    """The resolved spec of Table 1's first CNN model: its patch geometry is the one App. A.4 conditions (Table
    1's 3×3, stride 3, padding 2 on the data set's images where the figure lists no CNN model)."""
    panel = figure_panel("table1", dataset)
    specs = (train_spec(dataset, model) for model in panel.models)
    shape = get_source(source_of(dataset)).image_shape
    table1 = {"arch": "cnn", "image_shape": list(shape) if shape else None, "kernel": 3, "stride": 3, "padding": 2,
              "pool": 4}
    return next((spec for spec in specs if spec["arch"] in ("cnn", "convex_cnn")), table1)


def train_outputs():
    """Every training figure's table, Thm 5.1's check and App. A.4's condition numbers."""
    return train_figure_tables(*train_figures()) + thm51_outputs() + conditioning_outputs()


def notebook_path(page):
    """The notebook of a report page (bnconvex.pages.PAGES: training figures may share one)."""
    return f"notebooks/{PAGES[page].notebook or page}.ipynb"


def page_path(page, ext="html"):
    return f"results/report/{page}.{ext}"


def figure_path(figure, ext="png"):
    return f"results/figures/{figure}.{ext}"


CLAIMS = "results/report/claims.json"  # the paper-vs-ours table (records), written by the paper page
METRICS = "results/report/metrics.json"  # the numbers DVC tracks (dvc.yaml metrics), written by the index
PLOTS = "results/report/plots"  # the curves of `dvc plots show` (dvc.yaml plots), written by the index


def certificates():
    """{name: certificate JSON} of every certified solve the config makes: the closed form, each convex program."""
    return {f"thm{CF['theorem']}": closed_form_path("certificate"),
            **{f"thm{t}": closed_form_path("certificate", t) for t in scalar_theorems() + deep_theorems()},
            **{program: convex_path(program) for program in convex_programs()}}


def more_certificates():
    """{name: certificate JSON} of the certified solves beyond Thm 2.4 and Thm 2.2 (bnconvex.paper.MORE_CERTIFICATES):
    Thm 2.1 / G.2, Thm 4.1 / 4.2, App. B.1's losses, Thm 2.3's sandwich; one row each on the paper page."""
    return {name: path for name, path in certificates().items() if name not in ("thm2.4", "thm2.2", "exact2d",
                                                                                   "g1", "cnn")}


def page_outputs(page):
    """A page's executed notebook, HTML and provenance record (named outputs of its rule)."""
    return {"ipynb": page_path(page, "ipynb"), "html": page_path(page), "page_provenance": page_path(page, "json")}


# ---- resources: scaled from the config, so cluster requests follow the problem size ----
# SOURCE_SHAPES (bnconvex.config): (samples, features, classes) of each source's full training set


def data_shape(dataset):
    """(n_train, d) of a prepared data set, from the config and the source's class sizes, before it exists."""
    return _data_shape(config, dataset)


def mem_mb(*arrays, copies=4, base=1500):
    """Memory for float64 arrays of the given (rows, cols) shapes, with working copies, in MB."""
    return int(base + copies * sum(8 * r * c for r, c in arrays) / 2**20)


def thm22_mem_mb(wc):
    """CVXPY's model holds ~n·P·(r+1) nonzeros several times over; our solver ~n·P (orthant) or the interior
    point's blocks (bnconvex.convex.solvers.interior_point.interior_point_entries), bounded here by 4·n·P·(r+1)/P."""
    n, P = CVX["thm22"]["n"], CVX["thm22"]["P"]
    r1 = min(n, data_shape(wc.dataset)[1]) + 1
    if THM22_SOLVER == "bnconvex":
        return mem_mb((n, P), (2 * P, r1 * r1 if r1 < n else 1), (n, n), copies=6)
    return mem_mb((n * P, r1), copies=20)


def train_runtime(wc):
    """Minutes: ~12·n·d·m1 flops per epoch at 1e10 flop/s (2 CPU cores), capped by the time budget."""
    spec = train_spec(wc.dataset, wc.model)
    n, d = data_shape(wc.dataset)
    estimate = spec["epochs"] * 12 * n * d * spec["m1"] / 1e10 / 60
    if spec.get("time_budget_s"):
        estimate = min(estimate, spec["time_budget_s"] / 60 * 1.5)
    return 10 + int(estimate)


# ---- training models and figures ----


def train_spec(dataset, model):
    spec = resolve_spec(model, TRAIN["defaults"], TRAIN["models"], TRAIN.get("datasets", {}).get(dataset))
    if spec["arch"] in IMAGE_ARCHS:  # Table 1's patches of the images, Fig. 5's convolutions
        shape = get_source(source_of(dataset)).image_shape
        if not shape:  # figure models are checked at parse time (bnconvex.config); this guards other targets
            base = parse_model_name(model, TRAIN["models"])[0]
            raise ConfigError(f"model {model!r} (arch {spec['arch']}) needs image data; data.{dataset} (source "
                              f"{source_of(dataset)}) has none", f"train.models.{base}.arch")
        spec["image_shape"] = list(shape)
    return spec


def train_svd(dataset, model):
    """The spectral stage's SVD of the data set (results/spectral/<dataset>/svd.npz) for the train jobs that use
    it: every model but the CNNs (their own patches) and the untruncated convex no-BN program. Computed once
    per data set instead of once per job (a minute each at n = 50,000)."""
    spec = train_spec(dataset, model)
    if spec["arch"] in IMAGE_ARCHS or (spec["arch"] == "convex_nobn" and not spec.get("truncate")):
        return []
    return f"results/spectral/{dataset}/svd.npz"


def figure_jobs(fig, dataset):
    """The training jobs of a figure's panel on ``dataset``: each model once per seed (<model>, <model>-s1, ...;
    seeds: the panel's, else the figure's, else train.seeds; bnconvex.experiments.specs)."""
    panel = figure_panel(fig, dataset)
    return [job for model in panel.models for job in seed_jobs(model, panel.seeds)]


def train_figure_config(fig):
    """The config that makes a training figure: its entry, its seeds, the data set's config and every job's
    resolved spec; for a figure of several panels, those of each panel under "panels" (by letter)."""
    def panel_config(p):
        return {"seeds": p.seeds, "data": config["data"][p.dataset],
                "models": {m: train_spec(p.dataset, m) for m in figure_jobs(fig, p.dataset)}}

    panels = train_figures()[fig]
    if len(panels) == 1 and not panels[0].label:
        return {"figure": TRAIN["figures"][fig], **panel_config(panels[0])}
    return {"figure": TRAIN["figures"][fig],
            "panels": {p.label: {"dataset": p.dataset, **panel_config(p)} for p in panels}}


def train_figure_upstream(fig):
    """Every artifact a training figure is made from: each job's metrics, cosine and summary, the data."""
    files = []
    for p in train_figures()[fig]:
        files += expand("results/train/{ds}/{model}/{f}", ds=p.dataset, model=figure_jobs(fig, p.dataset),
                        f=["metrics.csv", "cosine.npz", "summary.json"]) + [f"data/processed/{p.dataset}.npz"]
    return files


def scale_of(ds):
    """"data set (source), n ≈ …, d = …" of a data set of our runs, from the config (before the data exist)."""
    n, d = data_shape(ds)
    return f"{ds} ({source_of(ds)}), n ≈ {n}, d = {d}"


def paper_scales():
    """{training figure: [the scale of each panel]} and {certificate: its scale} of our runs (scale_of)."""
    out = {fig: [scale_of(p.dataset) for p in panels] for fig, panels in train_figures().items()}
    out["Thm 2.4 certificate"] = f"{scale_of(CF['dataset'])}; subset n = {CF['n']}"
    out["Thm 2.2 certificate"] = f"{scale_of(CVX['dataset'])}; subset n = {CVX['thm22']['n']}"
    return out


# ---- every file a stage makes for this config (its DVC stage's target, and `rule all`) ----


def data_outputs():
    """Each prepared set (npz + sidecar) and its download."""
    raws = sorted({f for ds in DATASETS for f in raw_files(ds)})
    return raws + expand("data/processed/{dataset}.{ext}", dataset=DATASETS, ext=["npz", "json"])


def spectral_outputs():
    return expand("results/spectral/{dataset}/{f}", dataset=DATASETS, f=["svd.npz", "summary.json"])


def closed_form_outputs():
    """Certificate, network, Fig. 4's summary and curves."""
    return [closed_form_path("certificate"), closed_form_path("network"), fig4_path("summary.json"),
            fig4_path("curves.csv")] + [closed_form_path(what, t) for t in scalar_theorems() + deep_theorems()
                                        for what in ("certificate", "network")]


def convex_outputs():
    """Each program's certificate and network, the 2-D grid."""
    out = []
    for program in convex_programs():
        out += [convex_path(program), convex_path(program, "network")]
        if program == "exact2d":
            out.append(convex_path(program, "grid"))
    return out


def train_model_outputs():
    """Every job's metrics, cosine similarities and summary, for every training figure of the config."""
    out = []
    for fig, p in train_panels():
        out += expand("results/train/{ds}/{model}/{f}", ds=p.dataset, model=figure_jobs(fig, p.dataset),
                      f=["metrics.csv", "cosine.npz", "summary.json"])
    return list(dict.fromkeys(out))


def train_curves():
    """{"<dataset>-<job>": metrics.csv} of every job (model and seed) of every training figure of the config."""
    return {f"{p.dataset}-{job}": f"results/train/{p.dataset}/{job}/metrics.csv" for fig, p in train_panels()
            for job in figure_jobs(fig, p.dataset)}


def train_stage_outputs():
    """Checkpoints aside: they are not outputs."""
    return train_model_outputs() + train_outputs()


def report_pages():
    """{page: html} of every page the config makes, in the index's order (bnconvex.pages.PAGES)."""
    made = {"paper", "study", "fig4", "convex", *train_figures()}
    return {page: page_path(page) for page in PAGES if page in made}


def report_figures():
    """The figures the report makes for this config (results/figures/<name>.{png,pdf,json})."""
    return ["spectrum", "fig4", "exact2d", *train_figures()]


def report_outputs():
    """Each page (ipynb, html, provenance record), the index (html, provenance), each figure (png, pdf,
    provenance record)."""
    return (expand("results/report/{page}.{ext}", page=list(report_pages()), ext=["ipynb", "html", "json"])
            + [page_path("index"), page_path("index", "json"), page_path("certificates"),
               page_path("certificates", "json"), CLAIMS, METRICS, PLOTS]
            + expand("results/figures/{fig}.{ext}", fig=report_figures(), ext=["png", "pdf", "json"]))
