"""pyproject.toml and environment.yml must name the same packages with the same version bounds."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")


def parse(spec: str) -> tuple[str, str]:
    name, bound = SPEC.match(spec.strip()).groups()
    return name.lower().replace("_", "-"), bound.replace(" ", "")


def test_environment_yml_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(parse(s) for s in project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = [], []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += [s for s in dep["pip"] if not s.startswith("-e")]
        elif not dep.startswith(("python=", "pip")) or dep.startswith("pip>"):
            conda.append(dep)
    have = dict(parse(s) for s in conda + pip)
    assert have == wanted


def test_torch_is_pinned_to_the_cpu_wheel():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.0" in project["dependencies"]
