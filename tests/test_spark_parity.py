"""The Spark target gives the same marts as DuckDB (issue #14).

The county sample is ingested and built on DuckDB (`mujun run`), then built again on Spark from the
Parquet export of the same raw layer (`mujun spark-build`: dbt-spark, session method, local pyspark).
Every table of the marts schema is compared row for row: the same rows, strings/dates/flags/lists
equal, floats within 1e-9 relative. Several minutes on two cores: marked slow and spark (CI skips
it; `make test-spark` runs it). The fast test checks that no DuckDB-only `varchar` came back.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REL_TOL = 1e-9


def _mujun(*args: str, cwd: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for var in ("MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(var, None)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "orchestration.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"mujun {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    return time.monotonic() - t0


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    pytest.importorskip("pyspark", reason="the Spark target needs `make setup-spark`")
    data = tmp_path_factory.mktemp("spark-parity")
    duck_s = _mujun("run", "--data-dir", str(data), cwd=ROOT)
    spark_s = _mujun("spark-build", "--data-dir", str(data), "--quiet", cwd=ROOT)
    print(f"\ncounty sample: mujun run (DuckDB, whole pipeline) {duck_s:.0f} s; "
          f"mujun spark-build {spark_s:.0f} s")
    return data


def _rows(con, table_sql: str, columns: list[str]) -> list[tuple]:
    order = ", ".join(f'"{c}"' for c in columns)
    return con.execute(f"select {order} from {table_sql} order by {order}").fetchall()


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def test_sql_has_no_duckdb_only_varchar():
    """Every cast and contract type is portable (a merge can bring new `as varchar`: re-run the script)."""
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "portable_sql.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, f"run `python scripts/portable_sql.py`:\n{proc.stdout}{proc.stderr}"


@pytest.mark.slow
@pytest.mark.spark
def test_every_mart_is_the_same_on_spark(builds):
    import duckdb

    from orchestration.spark import tables

    data = builds
    spark_dir = data / "spark"
    con = duckdb.connect()
    con.execute(f"attach '{data / 'warehouse.duckdb'}' as wh (read_only)")
    marts = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_catalog = 'wh' "
        "and table_schema = 'marts' order by 1").fetchall()]
    assert len(marts) >= 7, marts
    assert tables.tables(spark_dir, "marts") == marts, "Spark did not build the same marts tables"
    failures = []
    for t in marts:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_catalog = 'wh' "
            "and table_schema = 'marts' and table_name = ? order by ordinal_position", [t]).fetchall()]
        spark_columns = [r[0] for r in con.execute(
            f"describe select * from {tables.read_sql(spark_dir, 'marts', t)}").fetchall()]
        if spark_columns != columns:
            failures.append(f"{t}: columns differ: {columns} vs Spark {spark_columns}")
            continue
        duck = _rows(con, f"wh.marts.{t}", columns)
        spark = _rows(con, tables.read_sql(spark_dir, "marts", t), columns)
        if len(duck) != len(spark):
            failures.append(f"{t}: {len(duck)} rows on DuckDB, {len(spark)} on Spark")
            continue
        bad = [(i, d, s) for i, (d, s) in enumerate(zip(duck, spark)) if not _same(d, s)]
        if bad:
            i, d, s = bad[0]
            diff = {c: (x, y) for c, x, y in zip(columns, d, s) if not _same(x, y)}
            failures.append(f"{t}: {len(bad)} of {len(duck)} rows differ; first (sorted row {i}): {diff}")
    assert not failures, "\n".join(failures)
