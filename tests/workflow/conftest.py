import pytest
from helpers import copy_project, snakemake


@pytest.fixture(scope="session")
def study_run(tmp_path_factory):
    """The whole DAG on config/test.yaml, once per test session, in a temporary copy."""
    work = copy_project(tmp_path_factory.mktemp("study"))
    snakemake("--cores", "2", "--configfile", "config/test.yaml", cwd=work)
    return work
