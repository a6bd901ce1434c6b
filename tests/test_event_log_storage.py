"""The run's Dagster event log (orchestration/event_log_storage.py): one engine per SQLite file, in
the files Dagster's default storage reads."""
import dagster as dg
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.event_log_storage import ReusedEngineSqliteEventLogStorage
from orchestration.instance import ensure_dagster_home

N = 30


@dg.multi_asset(specs=[dg.AssetSpec(f"a{i}") for i in range(N)],
                check_specs=[dg.AssetCheckSpec(f"c{i}", asset=f"a{i}") for i in range(N)])
def _many():
    for i in range(N):
        yield dg.MaterializeResult(asset_key=f"a{i}", metadata={"i": i})
        yield dg.AssetCheckResult(asset_key=f"a{i}", check_name=f"c{i}", passed=i % 2 == 0)


def test_one_engine_per_file_and_readable_by_dagsters_default(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    home = ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, ReusedEngineSqliteEventLogStorage)
        result = dg.Definitions(assets=[_many]).resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance)
        assert result.success
        # hundreds of events stored, one engine for the index and one for this run's file
        assert set(storage._engines) == {"index", result.run_id}
        # commits do not wait for the disk (synchronous=NORMAL = 1; SQLite's default FULL = 2),
        # in Dagster's WAL files
        for shard, engine in storage._engines.items():
            with engine.connect() as conn:
                assert conn.exec_driver_sql("pragma synchronous").scalar() == 1, shard
                assert conn.exec_driver_sql("pragma journal_mode").scalar() == "wal", shard
        # one SQLite connection per file, kept open from one use to the next
        with storage._connect("index") as first:
            kept = first.connection.dbapi_connection
        with storage._connect("index") as second:
            assert second.connection.dbapi_connection is kept
    default = SqliteEventLogStorage(str(home / "history" / "runs"))
    keys = [dg.AssetKey(f"a{i}") for i in range(N)]
    latest = default.get_latest_materialization_events(keys)
    assert {k: e.asset_materialization.metadata["i"].value for k, e in latest.items()} == \
        {dg.AssetKey(f"a{i}"): i for i in range(N)}
    records = default.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey("a1"), "c1"), limit=5)
    assert [r.status.value for r in records] == ["FAILED"]
