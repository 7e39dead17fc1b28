# Target lists shared by the stages and `rule all`. Only the workflow names paths.

DATASETS = config["datasets"]
CF = config["closed_form"]


wildcard_constraints:
    dataset="[a-z0-9_]+",
    theorem="[0-9G]\\.[0-9]",


def prepared_data():
    return expand("data/processed/{dataset}.npz", dataset=DATASETS)


def spectral_summaries():
    return expand("results/spectral/{dataset}/summary.json", dataset=DATASETS)


def closed_form_certificates():
    return [f"results/closed_form/{CF['dataset']}/thm{CF['theorem']}-certificate.json"]
