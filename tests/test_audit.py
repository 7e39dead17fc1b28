"""Audit helpers without Snakemake: provenance records, changed inputs, status and rerun command."""

import json

import pytest

from bnconvex.audit import FigureStatus, changed_inputs, format_one, format_table, known_figures
from bnconvex.cli import main
from bnconvex.provenance import md5, provenance


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results/figures").mkdir(parents=True)
    (tmp_path / "in.csv").write_text("a,b\n1,2\n")
    record = provenance("fig3", {"lr": 0.1}, ["in.csv"], 1.5, "report_train_figure", outputs=["x.png"])
    (tmp_path / "results/figures/fig3.json").write_text(json.dumps(record))
    return tmp_path, record


def test_provenance_records_hashes_packages_and_device(project):
    _, record = project
    assert record["inputs"]["in.csv"] == {"md5": md5("in.csv"), "bytes": 8}
    assert record["packages"]["numpy"] and record["device"].startswith(("CPU", "GPU"))
    assert set(record["git"]) == {"commit", "dirty"} and record["config"] == {"lr": 0.1}


def test_changed_inputs_are_reported_and_make_the_figure_stale(project):
    root, record = project
    assert known_figures(root) == ["fig3"] and changed_inputs(root, record) == []
    status = FigureStatus("fig3", "results/figures/fig3.png", record, "report_train_figure",
                          snakemake_status="ok", snakemake_plan="no update")
    assert status.up_to_date
    (root / "in.csv").write_text("a,b\n1,3\n")
    status.changed_inputs = changed_inputs(root, record)
    assert status.changed_inputs == ["in.csv"] and not status.up_to_date
    text = format_one(status, "config/test.yaml")
    assert "STALE" in text and "inputs changed since made: in.csv" in text
    assert ("snakemake --cores all --configfile config/test.yaml --forcerun report_train_figure -- "
            "results/figures/fig3.png") in text
    assert "fig3" in format_table([status]) and " NO " in format_table([status])


def test_cli_needs_a_figure_or_all(project, capsys):
    with pytest.raises(SystemExit):
        main(["audit"])
    assert "name a figure" in capsys.readouterr().err


def test_cli_check_config_names_file_and_line_of_a_yaml_syntax_error(tmp_path, capsys):
    from helpers import ROOT

    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets: [digits]\ndata:\n  digits: {source: digits\n")
    assert main(["check-config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:4: YAML syntax error" in err and len(err.splitlines()) < 5
    assert main(["check-config", str(ROOT / "config/test.yaml")]) == 0
