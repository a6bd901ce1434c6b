"""Where the Spark target's tables are: Parquet folders under <spark-dir>/warehouse/<schema>.db/."""
from __future__ import annotations

from pathlib import Path


def warehouse_dir(spark_dir: Path) -> Path:
    return spark_dir / "warehouse"


def table_dir(spark_dir: Path, schema: str, table: str) -> Path:
    return warehouse_dir(spark_dir) / f"{schema}.db" / table


def tables(spark_dir: Path, schema: str) -> list[str]:
    folder = warehouse_dir(spark_dir) / f"{schema}.db"
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def read_sql(spark_dir: Path, schema: str, table: str) -> str:
    """A DuckDB table expression over one Spark table's Parquet files."""
    return f"read_parquet('{table_dir(spark_dir, schema, table)}/*.parquet')"
