"""The one Dagster Definitions of mujun (`dagster dev -m orchestration.definitions`).

Jobs:
- `ingest_feeds`   partitioned by data year: every feed of <feeds>/<year>/ into raw.* (group raw)
- `evaluate`       dbt build (reference, staging, intermediate, marts, audit models), the GX random
                   audit with its asset checks, and publication of the analysts' file.
All writers share the pool `duckdb_writer` (limit 1, see orchestration/instance.py).
"""
from __future__ import annotations

import dagster as dg

from orchestration.assets.audit import audit_assets, audit_checks
from orchestration.assets.dbt import mujun_dbt_assets
from orchestration.assets.ingest import YEAR_PARTITIONS, ingest_assets
from orchestration.resources import build_resources

_evaluate_assets = [mujun_dbt_assets, *audit_assets]

ingest_job = dg.define_asset_job(
    "ingest_feeds",
    selection=dg.AssetSelection.groups("raw"),
    partitions_def=YEAR_PARTITIONS,
    description="Load every departmental feed of one data year into raw.* with quarantine.",
)

evaluate_job = dg.define_asset_job(
    "evaluate",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("raw"),
    description="dbt build (subjects, land, measures, scores, grades, leader lists), random audit, publication.",
)

defs = dg.Definitions(
    assets=[*ingest_assets, *_evaluate_assets],
    asset_checks=audit_checks,
    jobs=[ingest_job, evaluate_job],
    resources=build_resources(),
)
