"""dvc.yaml's code deps are the imports of each stage's scripts and notebooks, transitively (bnconvex.dvc_deps)."""

import shutil

import yaml
from helpers import ROOT

from bnconvex import dvc_deps


def test_dvc_yaml_deps_are_the_generated_ones():
    assert dvc_deps.dvc_deps_main(["--check", "--root", str(ROOT)]) == 0, "run: python -m bnconvex.dvc_deps"


def test_imports_are_found_anywhere_and_followed_through_modules():
    source = "import os\nfrom bnconvex import paper\n\ndef f():\n    from bnconvex.models.base import BatchNorm\n"
    assert dvc_deps.imported_modules(source) == {"bnconvex", "bnconvex.paper", "bnconvex.models.base",
                                                 "bnconvex.models.base.BatchNorm"}
    closure = dvc_deps.module_closure(ROOT, ["workflow/scripts/convex.py"])
    assert "src/bnconvex/convex/solvers/interior_point.py" in closure  # through bnconvex.convex's own imports
    assert "src/bnconvex/convex/__init__.py" in closure and "src/bnconvex/__init__.py" in closure
    assert "src/bnconvex/report.py" not in closure


def test_a_new_import_makes_dvc_yaml_stale_and_regenerating_fixes_it(tmp_path):
    for name in ("Snakefile", "workflow", "src", "notebooks"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    script = tmp_path / "workflow/scripts/spectral.py"
    script.write_text(script.read_text() + "\nfrom bnconvex.closed_form import closed_form_optimum  # noqa\n")
    assert dvc_deps.dvc_deps_main(["--check", "--root", str(tmp_path)]) == 1
    assert dvc_deps.dvc_deps_main(["--root", str(tmp_path)]) == 0
    stages = yaml.safe_load((tmp_path / "dvc.yaml").read_text())["stages"]
    assert "src/bnconvex/closed_form.py" in stages["spectral"]["deps"]
    assert "src/bnconvex/closed_form.py" not in stages["data"]["deps"]
    assert dvc_deps.dvc_deps_main(["--check", "--root", str(tmp_path)]) == 0
    assert (tmp_path / "dvc.yaml").read_text().startswith("# DVC reproduces")  # comments kept
