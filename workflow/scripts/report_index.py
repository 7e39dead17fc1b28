"""Report stage: the index page (bnconvex.report.write_index), the certificates table on its own (Snakemake's
report shows it), and what DVC tracks: metrics.json and the curves of plots/ (dvc.yaml)."""

import time
from collections import Counter

import pandas as pd

from bnconvex.io import load_json, save_json
from bnconvex.pages import PAGES
from bnconvex.paper import VERDICTS, last_epochs
from bnconvex.provenance import git_state, package_versions, provenance
from bnconvex.report import (
    Card,
    certificate_summary,
    run_metrics,
    write_certificates_page,
    write_index,
    write_plot_data,
)
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
t0 = time.perf_counter()
params, out = snakemake.params, snakemake.output

claims = load_json(snakemake.input.claims)
cards = [Card(page=page, title=PAGES[page].title, html=spec["html"], figure=spec["figure"],
              claim=PAGES[page].paper.get("claim", ""), claims=[c for c in claims if c["page"] == page])
         for page, spec in params.pages.items()]
verdicts = Counter(c["verdict"] for c in claims)
for card in cards:
    if card.page == "paper":  # the page of every claim: its counts
        card.summary = f"{len(claims)} claims: " + ", ".join(f"{verdicts[v]} {v}" for v in VERDICTS)
certs = [certificate_summary(name, load_json(spec["path"]), spec["dataset"])
         for name, spec in params.certificates.items()]

accuracy = {}
for fig, path in params.tables.items():
    table = pd.read_csv(path)
    if {"train_acc", "test_acc"} <= set(table):
        L = last_epochs(table)  # bnconvex.stats: each seed's last epochs, then the mean and spread over seeds
        accuracy[fig] = {m: {"train_acc": float(r.train_acc), "test_acc": float(r.test_acc), "seeds": int(r.seeds),
                             **({"test_acc_sd": float(r.test_acc_sd)} if r.seeds > 1 else {})}
                         for m, r in L.iterrows()}
write_plot_data(out.plots, {name: pd.read_csv(path) for name, path in params.curves.items()},
                pd.read_csv(snakemake.input.fig4_curves))

git = git_state()
run = {"commit": git.get("commit"), "dirty": git.get("dirty"), "packages": package_versions()}
write_index(out.html, title=params.title, cards=cards, certificates=certs, config_files=params.config_files,
            sources=[load_json(p) for p in snakemake.input.data_meta], provenance=run,
            certificates_html=out.certificates)
write_certificates_page(out.certificates, certs)
save_json(out.metrics, run_metrics(certs, accuracy))
for key, page, made in (("page_provenance", "index", [out.html, out.metrics]),
                        ("certificates_provenance", "certificates", [out.certificates])):
    save_json(out[key], provenance(page, params.provenance_config, list(snakemake.input), time.perf_counter() - t0,
                                   snakemake.rule, outputs=made))
log.info("index %s, %d cards, %d certificates", out.html, len(cards), len(certs))
