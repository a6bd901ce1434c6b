"""The Dagster code location: one Definitions, stable asset keys, every writer in the pool.

The snapshot (tests/__snapshots__/) shows any change of asset keys, groups or checks in review,
the way dagster-open-platform guards its asset graph. Update with `pytest --snapshot-update`.
"""
from __future__ import annotations

import dagster as dg
import pytest

from orchestration import settings
from orchestration.feeds.contract import FEEDS


@pytest.fixture(scope="module")
def defs(dbt_manifest):
    from orchestration import definitions

    return definitions.defs


def _asset_graph(defs):
    return defs.resolve_asset_graph()


def test_asset_keys_groups_and_checks_snapshot(defs, snapshot):
    graph = _asset_graph(defs)
    assets = sorted(
        (key.to_user_string(), graph.get(key).group_name) for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    )
    checks = sorted(k.to_user_string() for k in graph.asset_check_keys)
    assert {"assets": assets, "checks": checks} == snapshot


def test_every_writing_asset_is_in_the_single_writer_pool(defs):
    graph = _asset_graph(defs)
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assets_def = graph.assets_defs_by_key[key] if hasattr(graph, "assets_defs_by_key") else defs.get_assets_def(key)
        pools = {op.pool for op in assets_def.node_def.iterate_op_defs()} if hasattr(assets_def.node_def, "iterate_op_defs") else {assets_def.op.pool}
        assert pools == {settings.WRITER_POOL}, f"{key.to_user_string()} is not in pool {settings.WRITER_POOL}: {pools}"


def test_each_feed_has_an_ingest_asset_that_feeds_its_staging_model(defs):
    graph = _asset_graph(defs)
    for feed in FEEDS:
        key = dg.AssetKey(["raw", feed.name])
        node = graph.get(key)
        assert node.partitions_def is not None, f"{feed.name} ingest is not partitioned by year"
        children = {c.path[0] for c in node.child_keys}
        assert "staging" in children, f"raw.{feed.name} has no staging model downstream (meta.dagster.asset_key)"


def test_jobs_resolve(defs):
    assert defs.resolve_job_def("ingest_feeds").partitions_def is not None
    assert defs.resolve_job_def("evaluate") is not None


def test_definitions_load_under_dagster_dev_without_an_activated_venv(dbt_manifest, tmp_path):
    """`dagster dev` sets DAGSTER_IS_DEV_CLI, so prepare_if_dev() runs dbt: it must find the venv's dbt."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "DAGSTER_IS_DEV_CLI": "1", "PATH": "/usr/bin:/bin",
           "MUJUN_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", "import orchestration.definitions as d; print(len(d.defs.assets))"],
                          cwd=settings.REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
