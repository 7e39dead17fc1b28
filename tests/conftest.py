import warnings
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).parent

# `pytest -m "not slow"` runs the fast unit tests only. Slow: every test that runs Snakemake, DVC, SLURM or
# a notebook, or that takes more than ~5 s on 2 cores. Marked here by path, so a new test in these places
# is slow without having to say so.
SLOW_DIRS = ("workflow/",)  # end-to-end DAG, DVC, SLURM and config runs through `snakemake`
SLOW_FILES = {
    "test_notebooks.py",  # papermill executes every report notebook
    "data/test_real_data.py",  # decodes the real CIFAR-10 JPEG mirror (60,000 images) and CNAE-9
}
# single tests over ~5 s, as "path::name" (all parameters). Measured with --durations on 2 busy cores
# (load ~8, so several times the unloaded time): each took 11-220 s there.
SLOW_TESTS = {
    "models/test_deep.py::test_thm_4_2_on_random_features_is_certified_and_unbeaten",
    "models/test_deep.py::test_g2_variant_bn_after_relu_is_certified_and_unbeaten",
    "models/test_deep.py::test_closed_form_beats_gd_on_trained_then_frozen_layers",
    "convex/test_programs.py::test_thm_2_2_exact_patterns_certified_reconstructed_and_unbeaten",
    "test_closed_form.py::test_adam_from_random_starts_never_beats_the_closed_form",
    "test_closed_form.py::test_gradient_descent_never_beats_the_closed_form",
    "experiments/test_fig4.py::test_gd_trials_stay_above_the_closed_form",
    "experiments/test_fig4.py::test_gd_below_a_claimed_optimum_is_an_error",
    "experiments/test_training.py::test_truncation_lowers_the_whitened_models_train_test_gap",
}
SLOW_FIXTURES = {"study_run"}  # the whole test DAG, run once per session


def is_slow(item) -> bool:
    rel = Path(item.path).resolve().relative_to(TESTS.resolve()).as_posix()
    name = item.name.split("[")[0]
    return (rel.startswith(SLOW_DIRS) or rel in SLOW_FILES or f"{rel}::{name}" in SLOW_TESTS
            or bool(SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))))


def pytest_collection_modifyitems(config, items):
    seen_files, seen_tests = set(), set()
    for item in items:
        rel = Path(item.path).resolve().relative_to(TESTS.resolve()).as_posix()
        seen_files.add(rel)
        seen_tests.add(f"{rel}::{item.name.split('[')[0]}")
        if is_slow(item):
            item.add_marker(pytest.mark.slow)
    for entry in sorted(SLOW_TESTS - seen_tests):  # a renamed test would silently turn fast
        if entry.split("::")[0] in seen_files:
            message = f"tests/conftest.py: SLOW_TESTS names {entry}, which no longer exists"
            warnings.warn(pytest.PytestWarning(message), stacklevel=2)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
