"""dvc.yaml's code dependencies, generated from the imports: ``python -m bnconvex.dvc_deps`` rewrites the
``src/`` deps of every stage, ``--check`` only reports a stale dvc.yaml (a test runs it).

A DVC stage runs Snakemake rules; their code is the stage's workflow scripts (and, for the report, the
notebooks) plus every bnconvex module those import, directly or through other modules, and the modules the
Snakefile imports at parse time (config checks, page list, specs), which shape every stage's jobs. This module
is imported by none of them, so editing it makes no stage stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

PARSE_TIME = ("Snakefile", "workflow/rules/common.smk")
PACKAGE = "bnconvex"


def imported_modules(source: str) -> set[str]:
    """The ``bnconvex`` modules a Python source imports anywhere (top level or inside functions)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == PACKAGE:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}  # `from bnconvex import paper`
    return found


def module_file(root: Path, module: str) -> Path | None:
    """src/bnconvex/<...>.py or the package's __init__.py; None for a name that is not a module (a class)."""
    base = root / "src" / Path(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def source_of_file(path: Path) -> str:
    """Python source of a script, a Snakemake file (import lines only) or a notebook's code cells."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        import json

        return "\n".join("".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "code")
    if path.suffix == ".smk" or path.name == "Snakefile":
        return "\n".join(line for line in text.splitlines() if line.startswith(("import ", "from ")))
    return text


def module_closure(root: Path, files) -> list[str]:
    """Every bnconvex module file (relative to ``root``) that ``files`` import, transitively, with the parent
    packages' ``__init__.py`` (Python runs them on import)."""
    root = Path(root)
    todo = [root / f for f in files]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        for module in imported_modules(source_of_file(path)):
            parts = module.split(".")
            for i in range(1, len(parts) + 1):  # bnconvex, bnconvex.models, bnconvex.models.base
                mod = module_file(root, ".".join(parts[:i]))
                if mod is not None and mod not in seen:
                    seen.add(mod)
                    todo.append(mod)
    return sorted(str(p.relative_to(root)) for p in seen)


def stage_code_deps(root: Path, stage: dict) -> list[str]:
    """The bnconvex module files a dvc.yaml stage depends on: the closure of its listed scripts and notebooks
    (``workflow/scripts/*.py``, ``notebooks`` as a whole) and of the Snakefile's parse-time imports."""
    root = Path(root)
    entry = list(PARSE_TIME)
    for dep in stage.get("deps", []):
        if dep.startswith("workflow/scripts/") or dep.startswith("workflow/rules/"):
            entry.append(dep)
        elif dep == "notebooks":
            entry += sorted(str(p.relative_to(root)) for p in (root / "notebooks").glob("*.ipynb"))
    return module_closure(root, entry)


def dvc_deps_main(argv=None) -> int:
    """``python -m bnconvex.dvc_deps [--check]``: rewrite the ``src/`` deps of every stage in dvc.yaml from the
    imports (the other deps and the rest of the file kept as written); ``--check`` exits 1 when dvc.yaml is stale."""
    import argparse
    import re

    import yaml

    parser = argparse.ArgumentParser(prog="python -m bnconvex.dvc_deps", description=dvc_deps_main.__doc__)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if dvc.yaml is stale")
    parser.add_argument("--root", default=".")
    args = parser.parse_args(argv)
    root = Path(args.root)
    text = (root / "dvc.yaml").read_text()
    stages = yaml.safe_load(text)["stages"]
    stale = []
    for name, stage in stages.items():
        want = stage_code_deps(root, stage)
        have = [d for d in stage.get("deps", []) if d.startswith("src/")]
        if have != want:
            stale.append(name)
            # the stage's block, from its name to the next stage: swap its src/ lines for the generated ones
            block = re.search(rf"(?ms)^  {re.escape(name)}:\n.*?(?=^  \S|\Z)", text)
            lines = [ln for ln in block[0].splitlines(keepends=True) if not ln.strip().startswith("- src/")]
            at = next(i for i, ln in enumerate(lines) if ln.strip() == "deps:") + 1
            while at < len(lines) and lines[at].startswith("      - "):
                at += 1
            lines[at:at] = [f"      - {d}\n" for d in want]
            text = text[:block.start()] + "".join(lines) + text[block.end():]
    if stale and args.check:
        print(f"dvc.yaml is stale (deps of: {', '.join(stale)}); run: python -m bnconvex.dvc_deps")
        return 1
    if stale:
        (root / "dvc.yaml").write_text(text)
        print(f"dvc.yaml: deps regenerated for {', '.join(stale)}")
    return 0


if __name__ == "__main__":
    sys.exit(dvc_deps_main())
