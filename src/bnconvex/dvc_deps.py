"""dvc.yaml's code dependencies, generated from the workflow: ``python -m bnconvex.dvc_deps`` rewrites the
``workflow/scripts/`` and ``src/`` deps of every stage, ``--check`` only reports a stale dvc.yaml (a test runs it).

A DVC stage runs Snakemake rules; their code is the scripts that the stage's rule files (the
``workflow/rules/*.smk`` it lists) name in ``script:``, the notebooks (when it lists ``notebooks``), every
``bnconvex`` module those import, directly or through other modules, and the modules that the Snakefile and
every file it includes import at parse time (config checks, page list, specs), which shape every stage's
jobs. Imports count wherever they are: top level, inside functions, in a Snakefile's ``onstart:``. This module
is imported by none of them, so editing it makes no stage stale.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

SNAKEFILE = "Snakefile"
PACKAGE = "bnconvex"
CODE_PREFIXES = ("workflow/scripts/", "src/")  # the deps this tool writes; every other dep is kept as written


def imported_modules(source: str, package: str | None = None) -> set[str]:
    """The ``bnconvex`` modules a Python source imports anywhere (top level or inside functions), as dotted
    names; ``from bnconvex import paper`` also gives ``bnconvex.paper`` (callers drop names that are not
    modules). ``package``: the dotted package of the source's own file, for relative imports."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..models import base: relative to the file's package
                if package is None:
                    continue
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                if not parts:
                    continue
                module = ".".join(parts + ([node.module] if node.module else []))
            else:
                module = node.module
            if module.split(".")[0] == PACKAGE:
                found.add(module)
                found |= {f"{module}.{a.name}" for a in node.names}
    return found


def module_file(root: Path, module: str) -> Path | None:
    """src/bnconvex/<...>.py or the package's __init__.py; None for a name that is not a module (a class)."""
    base = root / "src" / Path(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def import_statements(text: str) -> str:
    """The import statements of a Snakemake file, at any indentation (rules, ``onstart:``, functions), one per
    line; a parenthesized or backslash-continued import is joined, and a line that only looks like one (text in
    a docstring) is dropped."""
    lines = text.splitlines()
    found = []
    i = 0
    while i < len(lines):
        statement = lines[i].split("#")[0].strip()
        if statement.startswith(("import ", "from ")):
            while (statement.count("(") > statement.count(")") or statement.endswith("\\")) and i + 1 < len(lines):
                i += 1
                statement = statement.rstrip("\\") + " " + lines[i].split("#")[0].strip()
            try:
                ast.parse(statement)
            except SyntaxError:
                pass
            else:
                found.append(statement)
        i += 1
    return "\n".join(found)


def source_of_file(path: Path) -> str:
    """Python source of a script, a Snakemake file (its import statements) or a notebook's code cells (IPython
    magics and shell lines dropped)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        import json

        cells = ["".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
        return "\n".join(ln for cell in cells for ln in cell.splitlines() if not ln.lstrip().startswith(("%", "!")))
    if path.suffix == ".smk" or path.name == SNAKEFILE:
        return import_statements(text)
    return text


def package_of(root: Path, path: Path) -> str | None:
    """``bnconvex.models`` for src/bnconvex/models/base.py (and for src/bnconvex/models/__init__.py); None for a
    file outside src/."""
    try:
        rel = path.relative_to(root / "src")
    except ValueError:
        return None
    return ".".join(rel.parent.parts) or None


def module_closure(root: Path, files, cache: dict | None = None) -> list[str]:
    """Every bnconvex module file (relative to ``root``) that ``files`` import, transitively, with the parent
    packages' ``__init__.py`` (Python runs them on import). ``cache``: {path: its imports}, shared by calls
    on unchanged files."""
    root = Path(root)
    cache = {} if cache is None else cache
    todo = [root / f for f in files]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path not in cache:
            cache[path] = imported_modules(source_of_file(path), package_of(root, path))
        for module in cache[path]:
            parts = module.split(".")
            for i in range(1, len(parts) + 1):  # bnconvex, bnconvex.models, bnconvex.models.base
                mod = module_file(root, ".".join(parts[:i]))
                if mod is not None and mod not in seen:
                    seen.add(mod)
                    todo.append(mod)
    return sorted(str(p.relative_to(root)) for p in seen)


def parse_time_files(root: Path) -> list[str]:
    """The Snakefile and every file it includes, recursively (``include:`` paths are relative to the including
    file): Snakemake parses all of them at every start, whichever stage runs."""
    root = Path(root)
    files, todo = [], [root / SNAKEFILE]
    while todo:
        path = todo.pop(0)
        rel = str(path.resolve().relative_to(root.resolve()))
        if rel in files:
            continue
        files.append(rel)
        for match in re.finditer(r"""(?m)^\s*include:\s*["']([^"']+)["']""", path.read_text(encoding="utf-8")):
            todo.append(path.parent / match[1])
    return files


def stage_scripts(root: Path, stage: dict) -> list[str]:
    """The workflow scripts (relative to ``root``) named by ``script:`` in the rule files a stage lists."""
    root = Path(root)
    scripts = []
    for dep in stage.get("deps", []):
        if dep.startswith("workflow/rules/") and dep.endswith(".smk"):
            text = (root / dep).read_text(encoding="utf-8")
            for match in re.finditer(r"""(?m)^\s*script:\s*\n?\s*["']([^"']+)["']""", text):
                script = str(((root / dep).parent / match[1]).resolve().relative_to(root.resolve()))
                if script not in scripts:
                    scripts.append(script)
    return sorted(scripts)


def stage_code_deps(root: Path, stage: dict, cache: dict | None = None) -> list[str]:
    """The code deps of a dvc.yaml stage: its scripts (:func:`stage_scripts`), then the bnconvex module files
    that those, its notebooks (when it lists ``notebooks``) and every parse-time file import, transitively."""
    root = Path(root)
    scripts = stage_scripts(root, stage)
    entry = parse_time_files(root) + scripts
    if "notebooks" in stage.get("deps", []):
        entry += sorted(str(p.relative_to(root)) for p in (root / "notebooks").glob("*.ipynb"))
    return scripts + module_closure(root, entry, cache)


def rewrite_stage(text: str, name: str, deps: list[str]) -> str:
    """dvc.yaml's text with the code deps (:data:`CODE_PREFIXES`) of stage ``name`` replaced by ``deps``, put
    at the end of its ``deps:`` list; every other line (comments included) kept."""
    block = re.search(rf"(?ms)^  {re.escape(name)}:\n.*?(?=^  \S|^\S|\Z)", text)
    lines = [ln for ln in block[0].splitlines(keepends=True)
             if not ln.strip().startswith(tuple(f"- {p}" for p in CODE_PREFIXES))]
    at = next(i for i, ln in enumerate(lines) if ln.strip() == "deps:") + 1
    while at < len(lines) and lines[at].startswith("      - "):
        at += 1
    lines[at:at] = [f"      - {d}\n" for d in deps]
    return text[:block.start()] + "".join(lines) + text[block.end():]


def dvc_deps_main(argv=None) -> int:
    """``python -m bnconvex.dvc_deps [--check]``: rewrite the ``workflow/scripts/`` and ``src/`` deps of every
    stage in dvc.yaml from the rule files and the imports (the other deps and the rest of the file kept as
    written); ``--check`` exits 1 when dvc.yaml is stale."""
    import argparse

    import yaml

    parser = argparse.ArgumentParser(prog="python -m bnconvex.dvc_deps", description=dvc_deps_main.__doc__)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if dvc.yaml is stale")
    parser.add_argument("--root", default=".")
    args = parser.parse_args(argv)
    root = Path(args.root)
    text = (root / "dvc.yaml").read_text(encoding="utf-8")
    stale, cache = [], {}
    for name, stage in yaml.safe_load(text)["stages"].items():
        want = stage_code_deps(root, stage, cache)
        if [d for d in stage.get("deps", []) if d.startswith(CODE_PREFIXES)] != want:
            stale.append(name)
            text = rewrite_stage(text, name, want)
    if stale and args.check:
        print(f"dvc.yaml is stale (code deps of: {', '.join(stale)}); run: python -m bnconvex.dvc_deps")
        return 1
    if stale:
        from bnconvex.io import atomic_path

        with atomic_path(root / "dvc.yaml", suffix=".yaml") as tmp:
            tmp.write_text(text, encoding="utf-8")
        print(f"dvc.yaml: code deps regenerated for {', '.join(stale)}")
    return 0


if __name__ == "__main__":
    sys.exit(dvc_deps_main())
