"""Paths and names shared by the CLI, Dagster, dbt and the GX checks.

Everything that touches the warehouse reads its location from here (and dbt from the
MUJUN_WAREHOUSE env var this module exports), so there is exactly one absolute path.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT
DBT_PROFILES_DIR = REPO_ROOT / "dbt_project"
SEEDS_DIR = REPO_ROOT / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

# DuckDB allows one writer process: every asset that writes the warehouse runs in this pool,
# whose limit is 1 (dagster.yaml written by `mujun` into DAGSTER_HOME).
WRITER_POOL = "duckdb_writer"

# Years the ingest assets are partitioned by (data years).
FIRST_YEAR, LAST_YEAR = 2015, 2035
YEARS = [str(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]


def data_dir() -> Path:
    return Path(os.environ.get("MUJUN_DATA_DIR", REPO_ROOT / "data")).resolve()


def dbt_target_dir() -> Path:
    """dbt's target folder of the evaluate job's builds: in the data dir, kept from one run to the
    next, so that dbt finds the partial-parse state of the last build on this warehouse (dbt parses
    the whole project again, ~4 CPU-s more, when the profile's warehouse path is not the one it
    saved, as in dagster-dbt's default fresh folder per build); its run_results.json is the last build's."""
    return data_dir() / "dbt" / "target"


def warehouse_path() -> Path:
    """The pipeline's own DuckDB file (never opened by analysts)."""
    return Path(os.environ.get("MUJUN_WAREHOUSE", data_dir() / "warehouse.duckdb")).resolve()


def published_path() -> Path:
    """The analysts' copy: public schemas only, replaced by write-then-rename."""
    return Path(os.environ.get("MUJUN_PUBLISHED", data_dir() / "published" / "mujun.duckdb")).resolve()


def feeds_root() -> Path:
    return Path(os.environ.get("MUJUN_FEEDS", data_dir() / "feeds")).resolve()


def reports_dir() -> Path:
    return Path(os.environ.get("MUJUN_REPORTS", data_dir() / "reports")).resolve()


def ingest_memory_limit() -> str:
    """DuckDB memory_limit while a feed is ingested (MUJUN_INGEST_MEMORY_LIMIT, DuckDB syntax such
    as 1GB or 512MB): above it DuckDB spills to duckdb_temp_dir() instead of growing."""
    return os.environ.get("MUJUN_INGEST_MEMORY_LIMIT", "").strip() or "1GB"


def dbt_memory_limit() -> str:
    """DuckDB memory_limit of dbt's builds (MUJUN_DBT_MEMORY_LIMIT, DuckDB syntax such as 4GB):
    above it the build spills to duckdb_temp_dir()/dbt."""
    return os.environ.get("MUJUN_DBT_MEMORY_LIMIT", "").strip() or "4GB"


def duckdb_temp_dir() -> Path:
    """Where DuckDB spills: under the data dir's tmp/, which the next run clears if this one is killed."""
    return data_dir() / "tmp" / "duckdb"


def export_env() -> None:
    """Make the resolved paths visible to subprocesses (dbt reads MUJUN_WAREHOUSE).

    The interpreter's bin folder goes first on PATH so that `dbt` is found even without an
    activated venv (dagster dev's prepare_if_dev and DbtCliResource look it up on PATH).
    """
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")
    os.environ["MUJUN_WAREHOUSE"] = str(warehouse_path())
    os.environ["MUJUN_DBT_TEMP_DIR"] = str(duckdb_temp_dir() / "dbt")
    os.environ["MUJUN_DBT_MEMORY_LIMIT"] = dbt_memory_limit()
    os.environ.setdefault("DBT_PROFILES_DIR", str(DBT_PROFILES_DIR))
    # (dbt's debug file log is switched off where every dbt command starts: orchestration.dbt_command)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")
