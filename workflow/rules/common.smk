# Target lists and config look-ups shared by the stages and `rule all`. Only the workflow names paths.
# The config was checked by bnconvex.config.check_config (Snakefile): names, classes, sizes are consistent here.
from bnconvex.config import SOURCE_SHAPES
from bnconvex.config import data_shape as _data_shape
from bnconvex.data.sources import get_source, raw_filename

DATASETS = config["datasets"]
CF = config["closed_form"]
SOURCES_CFG = config.get("sources", {})


wildcard_constraints:
    dataset="[a-z][a-z0-9_]*",
    source="[a-z0-9]+",
    theorem="[0-9G]\\.[0-9]",
    model="[a-z][a-z0-9_]*(-(bs[0-9]+|lr[0-9.e+-]+|k[0-9]+))?",
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


def closed_form_certificates():
    return [f"results/closed_form/{CF['dataset']}/thm{CF['theorem']}-certificate.json"]


def fig4_outputs():
    return [f"results/closed_form/{CF['dataset']}/fig4/summary.json"]


def convex_certificates():
    """thm2.2, exact2d, g1, and cnn when the data are images (Thm 3.1 needs patches)."""
    ds = config["convex"]["dataset"]
    names = ["thm2.2", "exact2d", "g1"]
    if get_source(source_of(ds)).image_shape:
        names.append("cnn")
    return [f"results/convex/{ds}/{name}-certificate.json" for name in names]


def train_figures():
    """{figure: dataset} of the training figures in the config (none when it has no train section)."""
    train = config.get("train") or {}
    return {fig: spec["dataset"] for fig, spec in train.get("figures", {}).items()}


def train_outputs():
    """Every training figure's table, and Thm 5.1's check."""
    train = config.get("train") or {}
    out = [f"results/train/{ds}/figures/{fig}.csv" for fig, ds in train_figures().items()]
    if "thm51" in train:
        out.append(f"results/train/{train['thm51']['dataset']}/thm51.json")
    return out


# ---- resources: scaled from the config, so cluster requests follow the problem size ----
# SOURCE_SHAPES (bnconvex.config): (samples, features, classes) of each source's full training set


def data_shape(dataset):
    """(n_train, d) of a prepared data set, from the config and the source's class sizes, before it exists."""
    return _data_shape(config, dataset)


def mem_mb(*arrays, copies=4, base=1500):
    """Memory for float64 arrays of the given (rows, cols) shapes, with working copies, in MB."""
    return int(base + copies * sum(8 * r * c for r, c in arrays) / 2**20)
