"""Raw layer → Parquet: <out>/<table>/data.parquet per table of DuckDB's raw schema, the files the
Spark target's sources read (dbt_project/macros/portable/spark_raw.sql; a Spark table's location is
a folder)."""
from __future__ import annotations

import os
from pathlib import Path


class ExportError(Exception):
    """The warehouse cannot be read (missing, held by a writer, no raw layer yet)."""


def raw_tables(con) -> list[str]:
    return [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'raw' "
        "and table_type = 'BASE TABLE' order by table_name").fetchall()]


def export_raw(warehouse: Path, out_dir: Path) -> dict[str, int]:
    """Write out_dir/<t>/data.parquet for every raw table; returns rows per table. Each file is
    written beside its final name (a dot file, which Spark skips) and renamed, so a killed export
    never leaves a half file to be read."""
    import duckdb

    if not warehouse.is_file():
        raise ExportError(f"no warehouse at {warehouse}: run `mujun run` first (ingestion writes the raw layer)")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise ExportError(f"cannot open {warehouse} read-only ({exc}); is a `mujun run` still writing it?") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}
    try:
        tables = raw_tables(con)
        if not tables:
            raise ExportError(f"{warehouse} has no raw tables: run `mujun run` first")
        for t in tables:
            folder = out_dir / t
            folder.mkdir(exist_ok=True)
            final = folder / "data.parquet"
            part = folder / ".data.parquet.part"
            con.execute(f"copy raw.{t} to '{part}' (format parquet)")
            os.replace(part, final)
            rows[t] = con.execute(f"select count(*) from raw.{t}").fetchone()[0]
    finally:
        con.close()
    return rows
