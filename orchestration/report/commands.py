"""`mujun report` and `mujun profile`: argument parsing only; the work is in yearly.py and profile.py.

Kept free of heavy imports (Altair, pandas, DuckDB load on first use), because build_parser runs
for every mujun command.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(sub, paths) -> None:
    sp = sub.add_parser("report", help="the yearly HTML report (charts, leader lists, gates), offline",
                        description="Write one self-contained HTML report per year (opens with no network): "
                                    "grade shares before and after the overrides, the tax-per-mu distribution "
                                    "against the policy floors, the counties' year-over-year change, the seven "
                                    "leader lists and their shortfalls, town data quality and the publication gates.")
    sp.add_argument("--year", type=int, action="append", required=True,
                    help="data year (repeatable: --year 2020 --year 2021)")
    sp.add_argument("--out", help="output folder (default <data-dir>/reports/report)")
    sp.add_argument("--db", help="DuckDB file to read (default: published file, else warehouse)")
    paths(sp, feeds=False)
    sp.set_defaults(func=run_report)

    sp = sub.add_parser("profile", help="one subject's profile (企业画像) over all years",
                        description="Name, town, category and sector; every indicator over all years with its "
                                    "benchmark; the grade history with the rules that moved it; percentiles within "
                                    "county/category and sector; leader-list places. SUBJECT is a USCC, a masked "
                                    "person id or a (unique part of a) company name.")
    sp.add_argument("subject", metavar="SUBJECT")
    sp.add_argument("--html", metavar="FILE", help="write an HTML page (with a chart) instead of printing text")
    sp.add_argument("--db", help="DuckDB file to read (default: published file, else warehouse)")
    paths(sp, feeds=False)
    sp.set_defaults(func=run_profile)


def source_path(args: argparse.Namespace) -> Path:
    """--db, else the analysts' published copy, else the pipeline warehouse (read-only either way)."""
    from orchestration import settings

    if getattr(args, "db", None):
        path = Path(args.db)
    else:
        path = settings.published_path() if settings.published_path().exists() else settings.warehouse_path()
    if not path.exists():
        raise SystemExit(f"mujun: no warehouse at {path}; run `mujun run` first or pass --db")
    return path


def run_report(args: argparse.Namespace) -> int:
    import duckdb

    from orchestration import settings
    from orchestration.cli import _apply_paths
    from orchestration.report import data
    from orchestration.report.yearly import write_reports

    _apply_paths(args)
    source = source_path(args)
    out = Path(args.out) if args.out else settings.reports_dir() / "report"
    try:
        paths = write_reports(source, out, sorted(set(args.year)))
    except data.ReportDataError as exc:
        print(f"mujun report: {exc}", file=sys.stderr)
        return 2
    except duckdb.IOException as exc:
        print(f"mujun report: cannot open {source}: {exc}", file=sys.stderr)
        return 2
    for p in paths:
        print(p)
    return 0


def run_profile(args: argparse.Namespace) -> int:
    import duckdb

    from orchestration.cli import _apply_paths
    from orchestration.report import profile

    _apply_paths(args)
    source = source_path(args)
    with duckdb.connect(str(source), read_only=True) as con:
        try:
            prof = profile.load(con, profile.resolve(con, args.subject))
        except profile.SubjectLookupError as exc:
            print(f"mujun profile: {exc}", file=sys.stderr)
            return 2
        except duckdb.CatalogException as exc:
            print(f"mujun profile: {source} holds no marts ({exc}); run `mujun run` first", file=sys.stderr)
            return 2
    if args.html:
        target = Path(args.html)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(profile.html(prof, str(source)), encoding="utf-8")
        print(target)
    else:
        print(profile.text(prof))
    return 0
