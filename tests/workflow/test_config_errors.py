"""`snakemake -n` refuses every malformed config at parse time, in a few lines naming the file and the key.

One copy of the project serves every case (each its own config/bad_<id>.yaml), run two at a time: a dry run
that stops at parse time costs Snakemake's start-up (~3 s on 2 cores).
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from helpers import copy_project, snakemake
from test_config import BAD_CONFIGS, TEST_CONFIG, bad_config

from bnconvex.config import main as check_files

pytestmark = pytest.mark.slow
MAX_LINES = 15
TEST_YAML = yaml.safe_dump(TEST_CONFIG, sort_keys=False)
# cases written as YAML text: (id, text, the file:line and key path the message must name)
TEXT_CASES = [
    ("duplicate-key", TEST_YAML.replace("  n: 30\n", "  n: 30\n  beta: 0.5\n  n: 33\n", 1), "closed_form.n"),
    ("duplicate-model", TEST_YAML.replace("    sgd:\n", "    sgd:\n      arch: nobn\n    sgd:\n", 1),
     "train.models.sgd: duplicate key"),
]
# one dry run per kind of check (the schema: unknown key, type, range; the cross-field checks: classes, sizes, data
# sets, model names and sweeps); every other variant of BAD_CONFIGS goes through the same check_config in
# tests/test_config.py, so a dry run here would only repeat Snakemake's start-up (~3 s each)
DRY_RUN = {"unknown-key", "missing-section", "negative-beta", "data-class-missing", "cf-n-above-d",
           "short-sha256", "convex-cnn-kernel", "datasets-undefined", "sweep-lr-not-a-number", "sweep-k-above-rank"}
CASES = {f"bad_{id_}": (yaml.safe_dump(bad_config(edit)), key) for id_, edit, key in BAD_CONFIGS if id_ in DRY_RUN}
CASES.update({f"bad_{id_}": (text, key) for id_, text, key in TEXT_CASES})


def _dry_run(work, name):
    args = ["-n"] if name == "default" else ["-n", "--configfile", f"config/{name}.yaml"]
    proc = snakemake(*args, cwd=work, check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory):
    """{case: (returncode, stdout + stderr)} of `snakemake -n --configfile config/<case>.yaml`; "default" runs
    with a YAML syntax error in the default config/config.yaml, "syntax" with one in a --configfile."""
    work = copy_project(tmp_path_factory.mktemp("config_errors"))
    for name, (text, _) in CASES.items():
        (work / f"config/{name}.yaml").write_text(text)
    (work / "config/config.yaml").write_text("datasets: [digits\nspectral: {variance_fraction: 0.9}\n")
    (work / "config/syntax.yaml").write_text("datasets: [digits\nspectral: {variance_fraction: 0.9}\n")
    names = [*CASES, "default", "syntax"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(names, pool.map(lambda name: _dry_run(work, name), names), strict=True))
    assert not (work / "results").exists()
    return work, results


def test_each_dry_run_is_a_case_of_the_unit_tests_which_check_every_variant():
    ids = {id_ for id_, _, _ in BAD_CONFIGS}
    assert DRY_RUN <= ids and len(ids) >= 30 and len(CASES) == len(DRY_RUN) + len(TEXT_CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_dry_run_refuses_the_config_naming_file_and_key(dry_runs, name):
    rc, output = dry_runs[1][name]
    key = CASES[name][1]
    assert rc != 0, output
    assert f"config/{name}.yaml" in output and key in output, output
    assert len(output.splitlines()) < MAX_LINES, output


def test_duplicate_key_names_the_line(dry_runs):
    work, results = dry_runs
    line = CASES["bad_duplicate-key"][0].splitlines().index("  n: 33") + 1
    assert f"config/bad_duplicate-key.yaml:{line}: closed_form.n: duplicate key" in results["bad_duplicate-key"][1]


def test_syntax_error_in_the_default_config_names_file_and_line(dry_runs):
    rc, output = dry_runs[1]["default"]
    assert rc != 0 and "config/config.yaml:2: YAML syntax error" in output, output
    assert len(output.splitlines()) < MAX_LINES


def test_syntax_error_in_a_configfile(dry_runs, capsys, monkeypatch):
    """Snakemake 9 reads a --configfile before the Snakefile runs and names neither file nor line; the
    stand-alone check does (python -m bnconvex.config)."""
    work, results = dry_runs
    rc, output = results["syntax"]
    assert rc != 0 and "not valid JSON or YAML" in output and len(output.splitlines()) < MAX_LINES
    monkeypatch.chdir(work)
    assert check_files(["config/syntax.yaml"]) == 1
    assert capsys.readouterr().err.startswith("config/syntax.yaml:2: YAML syntax error")
