"""Runs that redo only what changed, and selective runs (`mujun run --only/--feed/--years`).

All real: a copy of the session's county run (tests/conftest.py `county_run`: warehouse, published
file, feeds and Dagster home), re-run through the `mujun` command. The tests run in file order on
that one copy: nothing changed → re-delivery ingested alone → re-evaluation (slow) → one step.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_feeds import redeliver_tax_payments  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MUJUN = str(Path(sys.executable).parent / "mujun")
EVALUATION = dg.AssetKey(["marts", "subject_evaluation"])
AUDIT_SAMPLE = dg.AssetKey(["audit", "sample"])
PUBLISH = dg.AssetKey(["publish"])
SHORTCUT = "Dagster's records as the last run left them"   # orchestration/unchanged_run.SHORTCUT_WORDS


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def data(county_run, tmp_path_factory) -> Path:
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    copy = tmp_path_factory.mktemp("incremental") / "data"
    shutil.copytree(county_run["data_dir"], copy, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    return copy


def mujun(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(data / "dagster_home")}
    for k in ("MUJUN_DATA_DIR", "MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    return subprocess.run([MUJUN, "run", "--data-dir", str(data), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1500)


def materializations(data: Path, key: dg.AssetKey) -> int:
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        return len(instance.fetch_materializations(key, limit=1000).records)


def ledger(data: Path) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("select year, feed, status, sha256 from quarantine.delivery_ledger "
                           "order by loaded_at, year, feed").fetchall()


def evaluation(path: Path):
    """marts.subject_evaluation indexed by (year, subject_id); compare with .equals (NaN == NaN)."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select * from marts.subject_evaluation").fetchdf()
    return rows.set_index(["year", "subject_id"]).sort_index()


def test_rerun_with_nothing_changed_skips_evaluation_and_keeps_the_published_file(data):
    published = data / "published" / "mujun.duckdb"
    sha, mtime = _sha(published), published.stat().st_mtime_ns
    built = materializations(data, EVALUATION), materializations(data, AUDIT_SAMPLE), materializations(data, PUBLISH)
    proc = mujun(data)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    assert "nothing changed since the publication" in out
    assert SHORTCUT not in out           # a copied data dir: the note of another path does not hold
    assert "dbt build:" not in out and "audit: seed" not in out and "publish:" not in out
    assert (materializations(data, EVALUATION), materializations(data, AUDIT_SAMPLE),
            materializations(data, PUBLISH)) == built
    assert _sha(published) == sha and published.stat().st_mtime_ns == mtime
    # the full log is named in the summary (the county run's own log holds dbt's and Dagster's)
    log = Path(out.split("full log (dbt, Dagster):")[1].split()[0])
    assert log.parent == data / "logs" and "nothing changed since the publication" in log.read_text()
    first = sorted((data / "logs").glob("run-*.log"))[0].read_text()
    assert "Dagster event log: ingest 2021" in first and "OK created sql table model marts.subject_evaluation" in first


def test_the_next_rerun_skips_dagster_until_its_records_change(data):
    """The rerun above left a note of Dagster's answer (orchestration/unchanged_run.py): the next
    one gives it without reading Dagster again, until a record changes in Dagster's storage; here a
    materialization of tax_payments 2021 with another data version, reported as from outside mujun,
    makes the run ask Dagster, which sends it back to ingestion."""
    published = data / "published" / "mujun.duckdb"
    sha = _sha(published)
    fast = mujun(data)
    assert fast.returncode == 0, fast.stdout[-3000:] + fast.stderr[-3000:]
    assert "nothing changed since the publication" in fast.stdout and SHORTCUT in fast.stdout
    assert _sha(published) == sha
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(
            asset_key=["raw", "tax_payments"], partition="2021", tags={"dagster/data_version": "another-file"}))
    asked = mujun(data)
    assert asked.returncode == 0, asked.stdout[-3000:] + asked.stderr[-3000:]
    assert SHORTCUT not in asked.stdout
    assert "ingest 2021" in asked.stdout                      # Dagster's record said: not this file
    assert "nothing changed since the publication" in asked.stdout   # the same file again: unchanged
    assert _sha(published) == sha


def test_a_published_file_changed_since_is_not_taken_as_current(data, tmp_path):
    """The skip needs the very file the last publication wrote, and the very inputs it recorded."""
    from orchestration import run_inputs

    published = data / "published" / "mujun.duckdb"
    tampered = tmp_path / "mujun.duckdb"
    shutil.copy(published, tampered)
    with tampered.open("ab") as f:
        f.write(b"\0")
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        last = run_inputs.last_publication(instance)
        assert run_inputs.publication_is_current(instance, last.inputs_fingerprint, published) == last
        assert run_inputs.publication_is_current(instance, last.inputs_fingerprint, tampered) is None
        assert run_inputs.publication_is_current(instance, "0" * 64, published) is None
        assert run_inputs.publication_is_current(instance, last.inputs_fingerprint, tmp_path / "gone") is None




def test_only_ingest_one_feed_one_year_touches_that_delivery_and_builds_nothing(data):
    target = redeliver_tax_payments(data / "feeds", 2021)
    (data / "target_uscc").write_text(target)
    before = ledger(data)
    built = materializations(data, EVALUATION)
    published = _sha(data / "published" / "mujun.duckdb")
    proc = mujun(data, "--only", "ingest", "--feed", "tax_payments", "--years", "2021")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    new = ledger(data)[len(before):]
    assert [(y, f, s) for y, f, s, _ in new] == [(2021, "tax_payments", "loaded")]
    assert "dbt build:" not in proc.stdout and "ingest 2020" not in proc.stdout
    assert materializations(data, EVALUATION) == built
    assert _sha(data / "published" / "mujun.duckdb") == published


@pytest.mark.slow
def test_redelivered_feed_is_re_evaluated_and_changes_only_that_subject(data):
    target = (data / "target_uscc").read_text()
    old = evaluation(data / "published" / "mujun.duckdb")
    proc = mujun(data)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "nothing changed" not in proc.stdout and "dbt build:" in proc.stdout and "publish:" in proc.stdout
    new = evaluation(data / "published" / "mujun.duckdb")
    assert old.index.equals(new.index)
    assert old.loc[2020].equals(new.loc[2020]), "2020 was not re-delivered"
    a, b = old.loc[2021, "tax_wan"], new.loc[2021, "tax_wan"]
    changed_tax = set(a.index[(a.fillna(-1) != b.fillna(-1))])
    assert changed_tax == {target}
    # and the next run has nothing to do again
    again = mujun(data)
    assert again.returncode == 0 and "nothing changed since the publication" in again.stdout


def test_only_publish_publishes_without_building_or_auditing(data):
    built = materializations(data, EVALUATION), materializations(data, AUDIT_SAMPLE)
    published = materializations(data, PUBLISH)
    proc = mujun(data, "--only", "publish")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "publish:" in proc.stdout and "dbt build:" not in proc.stdout and "audit: seed" not in proc.stdout
    assert "ingest 20" not in proc.stdout
    assert (materializations(data, EVALUATION), materializations(data, AUDIT_SAMPLE)) == built
    assert materializations(data, PUBLISH) == published + 1
    # a partial run does not vouch for the file: the next whole run evaluates again
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        meta = instance.get_latest_materialization_event(PUBLISH).asset_materialization.metadata
    assert meta["inputs_fingerprint"].value == ""


def test_feed_with_another_step_is_refused_before_anything_runs(data):
    proc = mujun(data, "--only", "audit", "--feed", "tax_payments")
    assert proc.returncode != 0 and "--feed" in proc.stderr and "Traceback" not in proc.stderr
    proc = mujun(data, "--feed", "no_such_feed")
    assert proc.returncode != 0 and "unknown feed" in proc.stderr and "tax_payments" in proc.stderr


def test_a_missing_required_feed_is_reported_once_without_a_traceback(data, tmp_path):
    feeds = tmp_path / "feeds"
    shutil.copytree(data / "feeds" / "2021", feeds / "2021")
    (feeds / "2021" / "tax_payments.csv").unlink()
    proc = mujun(tmp_path / "data", "--feeds", str(feeds), "--only", "ingest")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert out.count("tax_payments.csv|.xlsx") == 2      # the progress line and the FAILED summary
    assert "Traceback" not in out and "Stack Trace" not in out
