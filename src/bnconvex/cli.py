"""``bnconvex`` console script.

``bnconvex check-config FILE...``: :mod:`bnconvex.config` (it also names the line of a YAML syntax error in
a ``--configfile``, which Snakemake reports without it).
``bnconvex audit <figure>`` / ``bnconvex audit --all``: see :mod:`bnconvex.audit`. Exit status: 0 when
everything audited is up to date, 1 when something is MISSING, 2 when something is stale (nothing missing)."""

from __future__ import annotations

import argparse
import sys

from bnconvex.audit import audit, format_one, format_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bnconvex", description="bnconvex study tools")
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("audit", help="provenance, up-to-date status and rerun command of a figure")
    a.add_argument("figures", nargs="*", help="figure names, e.g. fig3 (results/figures/<name>.png), or pages, "
                                              "e.g. paper.html (results/report/<name>)")
    a.add_argument("--all", action="store_true", help="a table of every figure and page the config implies")
    a.add_argument("--configfile", default=None, help="the study config (default: config/config.yaml)")
    a.add_argument("--directory", "-d", default=".", help="project root (default: the working directory)")
    a.add_argument("--no-dvc", action="store_true", help="skip `dvc status`")
    c = sub.add_parser("check-config", help="check study config files (merged in order, as --configfile)")
    c.add_argument("files", nargs="*", default=["config/config.yaml"], help="config files")
    args = parser.parse_args(argv)
    if args.command == "check-config":
        from bnconvex.config import main as check_config_main

        return check_config_main(args.files)

    if not args.all and not args.figures:
        parser.error("name a figure (e.g. fig3) or a page (e.g. paper.html), or pass --all")
    statuses = audit(args.directory, None if args.all else args.figures, configfile=args.configfile,
                     use_dvc=not args.no_dvc)
    if args.all:
        print(format_table(statuses))
        missing = [s.figure for s in statuses if not s.exists]
        stale = [s.figure for s in statuses if s.exists and not s.up_to_date]
        print(f"\n{len(statuses) - len(stale) - len(missing)} of {len(statuses)} figures and pages up to date"
              + (f"; MISSING: {', '.join(missing)}" if missing else "") + (f"; stale: {', '.join(stale)}" if stale
                                                                           else ""))
    else:
        print("\n\n".join(format_one(s, args.configfile) for s in statuses))
    if any(not s.exists for s in statuses):
        return 1
    return 0 if all(s.up_to_date for s in statuses) else 2


if __name__ == "__main__":
    sys.exit(main())
