"""`mujun spark-build`: the dbt models on Spark, from the raw layer of the DuckDB warehouse."""
from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub, paths) -> None:
    sp = sub.add_parser(
        "spark-build", help="build the dbt models on Spark from the warehouse's raw layer (scale-out path)",
        description="Export the raw layer of the DuckDB warehouse as Parquet and run `dbt build --target "
                    "spark` on it (dbt-spark, session method: a local pyspark; `make setup-spark` installs "
                    "it). Ingest first with `mujun run`. Spark tables land as Parquet under "
                    "<spark-dir>/warehouse/<schema>.db/. Nothing is published from Spark.")
    paths(sp, feeds=False)
    sp.add_argument("--spark-dir", help="Spark work folder: raw Parquet, tables, metastore, dbt logs "
                                        "(default <data-dir>/spark)")
    sp.add_argument("--select", nargs="+", help="dbt selection (default: every seed and model)")
    sp.add_argument("--exclude", nargs="+", help="dbt exclusion")
    sp.add_argument("--with-tests", action="store_true",
                    help="also run the dbt data and unit tests on Spark (default: seeds and models only)")
    sp.add_argument("--quiet", action="store_true", help="print only the summary, not dbt's log")
    sp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from orchestration.cli import _apply_paths

    _apply_paths(args)
    from orchestration import settings
    from orchestration.spark.build import SparkUnavailable, dbt_build
    from orchestration.spark.export import ExportError, export_raw

    spark_dir = Path(args.spark_dir).resolve() if args.spark_dir else settings.data_dir() / "spark"
    raw_dir = spark_dir / "raw"
    try:
        rows = export_raw(settings.warehouse_path(), raw_dir)
    except ExportError as exc:
        raise SystemExit(f"mujun: {exc}") from None
    print(f"mujun: raw layer exported: {len(rows)} tables, {sum(rows.values()):,} rows → {raw_dir}", flush=True)
    try:
        result = dbt_build(spark_dir, raw_dir, select=args.select, exclude=args.exclude, with_tests=args.with_tests,
                           echo=None if args.quiet else print)
    except SparkUnavailable as exc:
        raise SystemExit(f"mujun: {exc}") from None
    verdict = "done" if result.returncode == 0 else f"FAILED (dbt exit {result.returncode}; log: {spark_dir / 'logs'})"
    print(f"mujun: spark build {verdict} in {result.seconds:.1f} s; tables under {spark_dir / 'warehouse'}")
    return 0 if result.returncode == 0 else 1
