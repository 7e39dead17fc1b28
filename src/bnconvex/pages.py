"""The report's pages and figures: every page's metadata (index title; for a training figure its heading,
plotted axis and metrics, notebook), the paper's setting and claims as printed, and the figures' captions, read
from the one table ``workflow/report/pages.yaml``. Light on purpose (yaml only): the Snakefile reads it at
parse time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Page:
    title: str  # the index's link text
    figure: str | None = None  # the page's figure, results/figures/<figure>.png (training figures: the page's name)
    heading: str = ""  # a training figure's page heading
    about: str = ""  # ... and the paragraph under it
    plot: str = ""  # the plot's title after "<dataset>: " (default: the heading after its label)
    x: str = "epoch"
    metrics: tuple[str, ...] = ("train_acc", "test_acc")
    notebook: str | None = None  # a training figure's notebook, notebooks/<notebook>.ipynb
    paper: dict = field(default_factory=dict)  # the paper's setting and claim

    @property
    def plot_title(self) -> str:
        return self.plot or self.heading.partition(": ")[2]


PAGES_FILE = Path(__file__).resolve().parents[2] / "workflow" / "report" / "pages.yaml"


def load_pages(path=PAGES_FILE) -> tuple[dict[str, Page], dict[str, str]]:
    """({page: Page} in the index's order, {figure: caption}) from the report's one table of text."""
    with open(path, encoding="utf-8") as f:
        table = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: ~10x faster
    pages = {name: Page(**{"figure": name if spec.get("notebook") else None, **spec,
                           "metrics": tuple(spec.get("metrics", Page.metrics))})
             for name, spec in table["pages"].items()}
    return pages, table["captions"]


PAGES, CAPTIONS = load_pages()
TRAINING_FIGURES = [name for name, page in PAGES.items() if page.notebook]


def caption(figure: str) -> str:
    """The report caption of ``figure``; a training figure's names its config key, provenance and audit."""
    if figure not in TRAINING_FIGURES:
        return CAPTIONS[figure]
    text = CAPTIONS.get(figure, f"Training figure {figure} of the paper (sweep or ablation); see the report page "
                                "of the same name.")
    return (f"{text}\n\nWith several seeds (`train.seeds` or the figure's `seeds`), curves are the mean over seeds "
            f"with a band of ± 1 standard deviation. Config: `train.figures.{figure}`; provenance: "
            f"`results/figures/{figure}.json`; audit with `bnconvex audit {figure}`.")


def reported(page: str) -> dict:
    """The paper's setting and numbers for ``page``, as printed."""
    return PAGES[page].paper
