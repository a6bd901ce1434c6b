"""Dagster resources: the warehouse file, the feeds folder and the dbt CLI."""
from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.project import dbt_project


class FeedsResource(dg.ConfigurableResource):
    """Where departments deliver: <root>/<year>/<feed>.csv|.xlsx (feeds.md)."""

    root: str


class RunSettings(dg.ConfigurableResource):
    """Run parameters recorded with the results (R-AUDIT-1: the sample seed)."""

    audit_seed: int = 20211
    reports_dir: str
    published_path: str


def build_resources() -> dict:
    settings.export_env()
    return {
        "duckdb": DuckDBResource(database=str(settings.warehouse_path())),
        "dbt": DbtCliResource(project_dir=dbt_project, profiles_dir=str(settings.DBT_PROFILES_DIR)),
        "feeds": FeedsResource(root=str(settings.feeds_root())),
        "run_settings": RunSettings(
            audit_seed=int(__import__("os").environ.get("MUJUN_AUDIT_SEED", "20211")),
            reports_dir=str(settings.reports_dir()),
            published_path=str(settings.published_path()),
        ),
    }
