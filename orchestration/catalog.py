"""Questions about the warehouse's catalog, asked without query parameters.

Binding a Python value as a DuckDB query parameter makes duckdb import pandas (0.5 s of CPU), and
a run that finds nothing changed, `mujun status` and the publication need pandas for nothing else.
"""
from __future__ import annotations


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def table_exists(con, schema: str, table: str) -> bool:
    """A table or view `schema.table` in the connection's own database (not in an attached one)."""
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        f"and table_schema = {_literal(schema)} and table_name = {_literal(table)}").fetchone()[0])
