"""``bnconvex`` console script. ``bnconvex audit <figure>`` / ``bnconvex audit --all``: see
:mod:`bnconvex.audit`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bnconvex.audit import audit, format_one, format_table, known_figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bnconvex", description="bnconvex study tools")
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("audit", help="provenance, up-to-date status and rerun command of a figure")
    a.add_argument("figures", nargs="*", help="figure names, e.g. fig3 (results/figures/<name>.png)")
    a.add_argument("--all", action="store_true", help="a table of every figure with a provenance record")
    a.add_argument("--configfile", default=None, help="the study config (default: config/config.yaml)")
    a.add_argument("--directory", "-d", default=".", help="project root (default: the working directory)")
    a.add_argument("--no-dvc", action="store_true", help="skip `dvc status`")
    args = parser.parse_args(argv)

    figures = known_figures(Path(args.directory)) if args.all else args.figures
    if not figures:
        parser.error("name a figure (e.g. fig3) or pass --all; no provenance records found" if args.all
                     else "name a figure (e.g. fig3) or pass --all")
    statuses = audit(args.directory, figures, configfile=args.configfile, use_dvc=not args.no_dvc)
    if args.all:
        print(format_table(statuses))
        stale = [s.figure for s in statuses if not s.up_to_date]
        print(f"\n{len(statuses) - len(stale)} of {len(statuses)} figures up to date"
              + (f"; stale: {', '.join(stale)}" if stale else ""))
    else:
        print("\n\n".join(format_one(s, args.configfile) for s in statuses))
    return 0


if __name__ == "__main__":
    sys.exit(main())
