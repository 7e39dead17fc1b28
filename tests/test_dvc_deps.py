"""dvc.yaml's code deps are generated (bnconvex.dvc_deps): the scripts each stage's rule files name, and the
imports of those scripts, its notebooks and every parse-time file, transitively."""

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
    # relative imports, from the file's own package
    assert dvc_deps.imported_modules("from .base import X\nfrom .. import io", "bnconvex.models") == {
        "bnconvex.models.base", "bnconvex.models.base.X", "bnconvex", "bnconvex.io"}
    closure = dvc_deps.module_closure(ROOT, ["workflow/scripts/convex.py"])
    assert "src/bnconvex/convex/solvers/interior_point.py" in closure  # through bnconvex.convex's own imports
    assert "src/bnconvex/convex/__init__.py" in closure and "src/bnconvex/__init__.py" in closure
    assert "src/bnconvex/report.py" not in closure


def test_snakemake_files_count_imports_at_any_indentation_and_every_included_file():
    text = ('"""\nfrom the paper: not an import\n"""\nimport os\nfrom bnconvex.config import (check,\n'
            '    load)  # two lines\nonstart:\n    from bnconvex.io import remove_stray_temporaries\n')
    assert dvc_deps.import_statements(text).splitlines() == [
        "import os", "from bnconvex.config import (check, load)", "from bnconvex.io import remove_stray_temporaries"]
    files = dvc_deps.parse_time_files(ROOT)
    assert files[:2] == ["Snakefile", "workflow/rules/common.smk"]
    assert {str(p.relative_to(ROOT)) for p in (ROOT / "workflow/rules").glob("*.smk")} <= set(files)
    assert dvc_deps.stage_scripts(ROOT, {"deps": ["workflow/rules/closed_form.smk", "data/processed"]}) == [
        "workflow/scripts/closed_form.py", "workflow/scripts/fig4.py"]


def test_a_new_import_or_script_makes_dvc_yaml_stale_and_regenerating_fixes_it(tmp_path):
    for name in ("Snakefile", "workflow", "src", "notebooks"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "dvc.yaml", tmp_path / "dvc.yaml")
    script = tmp_path / "workflow/scripts/spectral.py"
    script.write_text(script.read_text() + "\nfrom bnconvex.closed_form import closed_form_optimum  # noqa\n")
    rules = tmp_path / "workflow/rules/spectral.smk"
    rules.write_text(rules.read_text() + '\n\nrule extra:\n    output:\n        "x"\n    script:\n'
                     '        "../scripts/thm51.py"\n')
    assert dvc_deps.dvc_deps_main(["--check", "--root", str(tmp_path)]) == 1
    assert dvc_deps.dvc_deps_main(["--root", str(tmp_path)]) == 0
    stages = yaml.safe_load((tmp_path / "dvc.yaml").read_text())["stages"]
    assert "src/bnconvex/closed_form.py" in stages["spectral"]["deps"]
    assert "workflow/scripts/thm51.py" in stages["spectral"]["deps"]
    assert "src/bnconvex/closed_form.py" not in stages["data"]["deps"]
    assert dvc_deps.dvc_deps_main(["--check", "--root", str(tmp_path)]) == 0
    text = (tmp_path / "dvc.yaml").read_text()
    assert text.startswith("# DVC reproduces") and "\nmetrics:\n" in text  # comments and top-level sections kept
    assert stages["spectral"]["params"] == ["spectral"] and stages["spectral"]["deps"][0] == "data/processed"
