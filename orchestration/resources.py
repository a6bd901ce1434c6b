"""Dagster resources: the warehouse file, the feeds folder and the dbt CLI."""
from __future__ import annotations

import functools
import importlib.metadata
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.project import dbt_project
from orchestration.warehouse_guard import WarehouseInUse, connect_writer


class WarehouseResource(DuckDBResource):
    """The pipeline warehouse: one connection attempt, and a lock held by someone else fails the step
    at once with the holder's PID and the published path (orchestration/warehouse_guard.py)."""

    @contextmanager
    def get_connection(self):
        try:
            conn = connect_writer(self.database, self.connection_config)
        except WarehouseInUse as exc:
            raise dg.Failure(description=str(exc), metadata={"holder_pid": exc.pid or 0}) from exc
        try:
            yield conn
        finally:
            conn.close()


class MujunDbtCliResource(DbtCliResource):
    """DbtCliResource without the two costs dagster-dbt pays on every `dbt.cli(...)`:

    * `dbt --version` in a subprocess (≈2 s: it imports all of dbt) to learn the version of the
      executable. Ours is the venv's own dbt-core, whose version the package metadata states.
    * an in-process dbt adapter, used only by `fetch_row_counts()` / `fetch_column_metadata()`,
      which mujun does not call (the warehouse is read by our own status and audit code).
    """

    @functools.cached_property
    def _cli_version(self):
        from packaging import version

        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


class FeedsResource(dg.ConfigurableResource):
    """Where departments deliver: <root>/<year>/<feed>.csv|.xlsx (feeds.md)."""

    root: str


class RunSettings(dg.ConfigurableResource):
    """Run parameters recorded with the results (R-AUDIT-1: the sample seed)."""

    audit_seed: int = 20211
    audit_years: str = ""          # comma-separated; empty = every year in the warehouse
    reports_dir: str
    published_path: str


def build_resources() -> dict:
    settings.export_env()
    return {
        "duckdb": WarehouseResource(database=str(settings.warehouse_path())),
        # The venv's dbt, so it works without an activated venv (CI, `make`).
        "dbt": MujunDbtCliResource(project_dir=dbt_project, profiles_dir=str(settings.DBT_PROFILES_DIR),
                              dbt_executable=str(Path(sys.executable).parent / "mujun-dbt")),
        "feeds": FeedsResource(root=str(settings.feeds_root())),
        "run_settings": RunSettings(
            audit_seed=int(os.environ.get("MUJUN_AUDIT_SEED", "20211")),
            audit_years=os.environ.get("MUJUN_AUDIT_YEARS", ""),
            reports_dir=str(settings.reports_dir()),
            published_path=str(settings.published_path()),
        ),
    }
