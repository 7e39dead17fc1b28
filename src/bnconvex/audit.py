"""Audit a figure: its provenance record, whether it is up to date (Snakemake's and DVC's own status, and the
recorded input hashes), and the exact command that reruns only it. Used by ``bnconvex audit``."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bnconvex.provenance import md5

FIGURES_DIR = Path("results/figures")


@dataclass
class FigureStatus:
    """The audit of one figure. ``snakemake_plan`` is Snakemake's plan for its PNG ("no update" when up to
    date); ``changed_inputs`` are recorded inputs whose bytes changed since the figure was made."""

    figure: str
    png: str
    provenance: dict | None
    rule: str | None
    snakemake_status: str = "unknown"
    snakemake_plan: str = "unknown"
    dvc: str = "n/a"
    changed_inputs: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return (self.provenance is not None and self.snakemake_plan == "no update" and not self.changed_inputs
                and self.dvc in ("n/a", "up to date"))

    def rerun_command(self, configfile: str | None) -> str:
        config = f" --configfile {configfile}" if configfile else ""
        rule = self.rule or "<rule>"
        return f"snakemake --cores all{config} --forcerun {rule} -- {self.png}"


def known_figures(root: Path) -> list[str]:
    """Figures with a provenance record under results/figures/."""
    return sorted(p.stem for p in (root / FIGURES_DIR).glob("*.json"))


def load_provenance(root: Path, figure: str) -> dict | None:
    path = root / FIGURES_DIR / f"{figure}.json"
    return json.loads(path.read_text()) if path.exists() else None


def snakemake_summary(root: Path, targets: list[str], configfile: str | None) -> dict[str, tuple[str, str, str]]:
    """{output file: (rule, status, plan)} from ``snakemake --summary`` for the targets' DAG."""
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


def audit(root: str | Path, figures: list[str], configfile: str | None = None, use_dvc: bool = True
          ) -> list[FigureStatus]:
    """Audit ``figures`` (names such as "fig3") of the project at ``root`` (one Snakemake call for all)."""
    root = Path(root)
    statuses = []
    for fig in figures:
        record = load_provenance(root, fig)
        png = str(FIGURES_DIR / f"{fig}.png")
        statuses.append(FigureStatus(fig, png, record, record.get("rule") if record else None))
    summary = snakemake_summary(root, [s.png for s in statuses], configfile)
    dvc = dvc_report_status(root) if use_dvc and configfile in (None, "config/config.yaml") else "n/a"
    for s in statuses:
        rule, status, plan = summary.get(s.png, (s.rule, "missing", "not in the DAG of this config"))
        s.rule = s.rule or rule
        s.snakemake_status, s.snakemake_plan = status, plan
        s.dvc = dvc
        if s.provenance:
            s.changed_inputs = changed_inputs(root, s.provenance)
    return statuses


def format_one(s: FigureStatus, configfile: str | None) -> str:
    p = s.provenance or {}
    lines = [f"figure: {s.figure}  ({s.png})"]
    if not p:
        lines.append("  provenance: none (the figure has not been made)")
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
    state = "UP TO DATE" if s.up_to_date else "STALE"
    lines += [
        f"  status: {state}",
        f"    snakemake: {s.snakemake_status} / plan: {s.snakemake_plan}",
        f"    dvc (report stage): {s.dvc}",
        f"    inputs changed since made: {', '.join(s.changed_inputs) or 'none'}",
        f"  rerun only this figure: {s.rerun_command(configfile)}",
    ]
    return "\n".join(lines)


def format_table(statuses: list[FigureStatus]) -> str:
    header = f"{'figure':<10} {'up to date':<11} {'rule':<22} {'snakemake plan':<28} {'made (UTC)':<26} commit"
    lines = [header, "-" * len(header)]
    for s in statuses:
        p = s.provenance or {}
        git = p.get("git", {})
        commit = (git.get("commit") or "-")[:10] + ("+dirty" if git.get("dirty") else "")
        lines.append(f"{s.figure:<10} {'yes' if s.up_to_date else 'NO':<11} {str(s.rule):<22} "
                     f"{s.snakemake_plan[:27]:<28} {str(p.get('created_utc', '-')):<26} {commit}")
    return "\n".join(lines)
