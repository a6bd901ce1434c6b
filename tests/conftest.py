"""Shared fixtures: a prepared dbt manifest, one real end-to-end run on the county sample, and a
fresh warehouse for the ingestion library.

Everything is real: the synthetic feeds are generated, `mujun run` ingests them through
Dagster into a DuckDB file, runs `dbt build`, the GX audit and the publication.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


@pytest.fixture
def ingest_env(tmp_path, monkeypatch):
    """(feeds root, DuckDB connection) of a fresh warehouse file for the ingestion library's tests."""
    monkeypatch.setenv("MUJUN_INGEST_TMP", str(tmp_path / "tmp"))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    yield tmp_path / "feeds", con
    con.close()


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """The manifest dagster-dbt needs to build its assets (never parsed at import)."""
    from orchestration.cli import prepare_manifest

    return prepare_manifest(quiet=True)


@pytest.fixture(scope="session")
def county_run(tmp_path_factory, dbt_manifest) -> dict:
    """`mujun run` on the built-in county sample (2020, 2021) in a fresh data dir."""
    data = tmp_path_factory.mktemp("county_run")
    env = {**os.environ, "MUJUN_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "dagster_home")}
    for k in ("MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    proc = subprocess.run([str(BIN / "mujun"), "run"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=1500)
    return {
        "data_dir": data,
        "warehouse": data / "warehouse.duckdb",
        "published": data / "published" / "mujun.duckdb",
        "feeds": data / "feeds",
        "reports": data / "reports",
        "returncode": proc.returncode,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
    }
