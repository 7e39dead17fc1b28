"""Audit the study's figures and pages: each one's provenance record, whether it is up to date (Snakemake's
and DVC's own status, and the recorded input hashes), and the exact command that reruns only it. The list
of what to audit comes from the config's DAG (``snakemake --summary``), so a deleted artifact is reported
as MISSING instead of vanishing from the list. Used by ``bnconvex audit``."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bnconvex.provenance import md5

FIGURES_DIR = Path("results/figures")
PAGES_DIR = Path("results/report")


@dataclass
class FigureStatus:
    """The audit of one figure or page. ``artifact`` is its file (a figure's PNG, a page's HTML), whose
    provenance record is the ``.json`` beside it; ``snakemake_plan`` is Snakemake's plan for it ("no update"
    when up to date); ``changed_inputs`` are recorded inputs whose bytes changed since it was made."""

    figure: str
    artifact: str
    provenance: dict | None
    rule: str | None
    snakemake_status: str = "unknown"
    snakemake_plan: str = "unknown"
    dvc: str = "n/a"
    changed_inputs: list[str] = field(default_factory=list)
    exists: bool = True

    @property
    def png(self) -> str:
        return self.artifact

    @property
    def state(self) -> str:
        """"MISSING" (the file is not there), "STALE" or "UP TO DATE"."""
        if not self.exists:
            return "MISSING"
        return "UP TO DATE" if self.up_to_date else "STALE"

    @property
    def up_to_date(self) -> bool:
        return (self.exists and self.provenance is not None and self.snakemake_plan == "no update"
                and not self.changed_inputs and self.dvc in ("n/a", "up to date"))

    def rerun_command(self, configfile: str | None) -> str:
        config = f" --configfile {configfile}" if configfile else ""
        rule = self.rule or "<rule>"
        return f"snakemake --cores all{config} --forcerun {rule} -- {self.artifact}"


def artifact_of(name: str) -> str:
    """"fig3" -> results/figures/fig3.png; "paper.html" -> results/report/paper.html."""
    return str(PAGES_DIR / name) if name.endswith(".html") else str(FIGURES_DIR / f"{name}.png")


def name_of(artifact: str) -> str:
    path = Path(artifact)
    return path.name if path.suffix == ".html" else path.stem


def provenance_path(artifact: str) -> Path:
    return Path(artifact).with_suffix(".json")


def known_figures(root: Path) -> list[str]:
    """Figures with a provenance record under results/figures/ (what exists, not what the config implies:
    see :func:`config_artifacts`)."""
    return sorted(p.stem for p in (root / FIGURES_DIR).glob("*.json"))


def config_artifacts(summary: dict[str, tuple[str, str, str]]) -> list[str]:
    """Every figure (PNG) and page (HTML) in the DAG of the config, from ``snakemake --summary``'s rows."""
    figures = sorted(f for f in summary if Path(f).parent == FIGURES_DIR and f.endswith(".png"))
    pages = sorted(f for f in summary if Path(f).parent == PAGES_DIR and f.endswith(".html"))
    return figures + pages


def load_provenance(root: Path, artifact: str) -> dict | None:
    path = root / provenance_path(artifact)
    return json.loads(path.read_text()) if path.exists() else None


def snakemake_summary(root: Path, targets: list[str], configfile: str | None) -> dict[str, tuple[str, str, str]]:
    """{output file: (rule, status, plan)} from ``snakemake --summary`` for the targets' DAG (no targets: the
    default target, i.e. everything the config implies)."""
    cmd = [sys.executable, "-m", "snakemake", "--summary"]
    if configfile:
        cmd += ["--configfile", configfile]
    proc = subprocess.run(cmd + ["--", *targets], cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"snakemake --summary failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    rows = {}
    for line in proc.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) >= 6 and parts[0] != "output_file":
            rows[parts[0]] = (parts[2], parts[4], parts[5])
    return rows


def dvc_report_status(root: Path) -> str:
    """DVC's status of the ``report`` stage: "up to date", "changed: ...", or "n/a" without a dvc.lock."""
    if not (root / "dvc.lock").exists():
        return "n/a"
    proc = subprocess.run([sys.executable, "-m", "dvc", "status", "--json", "report"], cwd=root,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return f"unknown (dvc status failed: {proc.stderr.strip()[-200:]})"
    status = json.loads(proc.stdout or "{}")
    if not status:
        return "up to date"
    return "changed: " + ", ".join(sorted(status))


def changed_inputs(root: Path, record: dict) -> list[str]:
    """Recorded inputs that are missing or whose MD5 differs from the record."""
    changed = []
    for path, info in record.get("inputs", {}).items():
        p = root / path if not Path(path).is_absolute() else Path(path)
        if not p.exists() or md5(p) != info["md5"]:
            changed.append(path)
    return changed


def audit(root: str | Path, figures: list[str] | None = None, configfile: str | None = None,
          use_dvc: bool = True) -> list[FigureStatus]:
    """Audit ``figures`` (names such as "fig3", or pages such as "paper.html") of the project at ``root``; with
    ``figures=None`` every figure and page the config implies. One Snakemake call for all."""
    root = Path(root)
    summary = snakemake_summary(root, [] if figures is None else [artifact_of(f) for f in figures], configfile)
    artifacts = config_artifacts(summary) if figures is None else [artifact_of(f) for f in figures]
    dvc = dvc_report_status(root) if use_dvc and configfile in (None, "config/config.yaml") else "n/a"
    statuses = []
    for artifact in artifacts:
        record = load_provenance(root, artifact)
        rule, status, plan = summary.get(artifact, (None, "missing", "not in the DAG of this config"))
        s = FigureStatus(name_of(artifact), artifact, record, (record or {}).get("rule") or rule,
                         snakemake_status=status, snakemake_plan=plan, dvc=dvc,
                         exists=(root / artifact).exists())
        if record:
            s.changed_inputs = changed_inputs(root, record)
        statuses.append(s)
    return statuses


def format_one(s: FigureStatus, configfile: str | None) -> str:
    p = s.provenance or {}
    lines = [f"{'page' if s.artifact.endswith('.html') else 'figure'}: {s.figure}  ({s.artifact})"]
    if not s.exists:
        lines.append(f"  {s.artifact}: MISSING")
    if not p:
        lines.append(f"  provenance: none ({provenance_path(s.artifact)} is missing: not made, or deleted)")
    else:
        git = p.get("git", {})
        lines += [
            f"  made by rule {p.get('rule')} at {p.get('created_utc')} in {p.get('wall_time_s', 0):.1f} s on "
            f"{p.get('device')}",
            f"  code: git {git.get('commit')} (dirty: {git.get('dirty')}); python {p.get('python')}",
            "  packages: " + ", ".join(f"{k} {v}" for k, v in p.get("packages", {}).items() if v),
            "  config: " + json.dumps(p.get("config"), sort_keys=True),
            "  inputs (md5):",
            *[f"    {info['md5']}  {path}" for path, info in p.get("inputs", {}).items()],
        ]
    lines += [
        f"  status: {s.state}",
        f"    snakemake: {s.snakemake_status} / plan: {s.snakemake_plan}",
        f"    dvc (report stage): {s.dvc}",
        f"    inputs changed since made: {', '.join(s.changed_inputs) or 'none'}",
        f"  rerun only this figure: {s.rerun_command(configfile)}",
    ]
    return "\n".join(lines)


def format_table(statuses: list[FigureStatus]) -> str:
    header = f"{'figure/page':<12} {'up to date':<11} {'rule':<22} {'snakemake plan':<28} {'made (UTC)':<26} commit"
    lines = [header, "-" * len(header)]
    for s in statuses:
        p = s.provenance or {}
        git = p.get("git", {})
        commit = (git.get("commit") or "-")[:10] + ("+dirty" if git.get("dirty") else "")
        flag = "MISSING" if not s.exists else ("yes" if s.up_to_date else "NO")
        lines.append(f"{s.figure:<12} {flag:<11} {str(s.rule):<22} "
                     f"{s.snakemake_plan[:27]:<28} {str(p.get('created_utc', '-')):<26} {commit}")
    return "\n".join(lines)
