"""Publication (orchestration/publish.py): write-then-rename, public schemas only, blocked by a
failed critical audit suite or missing publication gates, and a failed publication leaves the last good one in place."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from orchestration import gates
from orchestration.publish import PublicationBlocked, publish


def _warehouse(path: Path, grade: str = "A", critical_ok: bool = True) -> Path:
    con = duckdb.connect(str(path))
    for s in ("raw", "staging", "intermediate", "marts", "audit", "quarantine", "reference"):
        con.execute(f"create schema if not exists {s}")
    con.execute("create or replace table raw.secret as select '330109197001010121' as person_id")
    con.execute("create or replace table staging.stg_x as select 1 as x")
    con.execute("create or replace table marts.subject_evaluation as "
                f"select 2021 as year, '91330109MA2B000000' as subject_id, '{grade}' as grade, "
                "['R-GRADE-4'] as grade_rules")
    con.execute("create or replace table audit.suite_results as "
                f"select 'structural_tax_payments' as suite, true as critical, {str(critical_ok).lower()} as success")
    gates.write(con, [gates.Gate(2021, "reject_share.tax_payments", "passed", "0.0 % rejected", "tax_payments")])
    con.execute("create or replace table quarantine.rejected_rows as select 2021 as year, 'dup' as reason")
    con.execute("create or replace table reference.ref_counties as select '330109' as county_code, '萧山区' as county_name")
    con.close()
    return path


def _publish(wh: Path, pub: Path):
    con = duckdb.connect(str(wh))
    try:
        return publish(con, pub)
    finally:
        con.close()


def test_publishes_public_schemas_only(tmp_path):
    wh = _warehouse(tmp_path / "wh.duckdb")
    pub = tmp_path / "published" / "mujun.duckdb"
    result = _publish(wh, pub)
    assert pub.exists() and result.tables["marts.subject_evaluation"] == 1
    with duckdb.connect(str(pub), read_only=True) as r:
        schemas = {row[0] for row in r.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}
        assert schemas == {"marts", "audit", "quarantine", "reference"}
        assert r.execute("select grade_rules from marts.subject_evaluation").fetchone()[0] == ["R-GRADE-4"]
        assert r.execute("select county_name from reference.ref_counties").fetchone()[0] == "萧山区"
    assert [p.name for p in pub.parent.iterdir()] == ["mujun.duckdb"]   # no temp file left


def test_publication_is_atomic_for_readers(tmp_path):
    wh = _warehouse(tmp_path / "wh.duckdb", grade="A")
    pub = tmp_path / "mujun.duckdb"
    _publish(wh, pub)
    inode_before = pub.stat().st_ino
    reader = duckdb.connect(str(pub), read_only=True)          # an analyst session on the old file
    assert reader.execute("select grade from marts.subject_evaluation").fetchone()[0] == "A"

    _warehouse(wh, grade="B")                                   # next run changes the mart
    _publish(wh, pub)
    assert pub.stat().st_ino != inode_before                    # replaced by rename, not rewritten
    # the open reader still sees its consistent old snapshot; a new reader sees the new one
    assert reader.execute("select grade from marts.subject_evaluation").fetchone()[0] == "A"
    reader.close()
    with duckdb.connect(str(pub), read_only=True) as r:
        assert r.execute("select grade from marts.subject_evaluation").fetchone()[0] == "B"


def test_blocked_by_critical_failure_keeps_last_publication(tmp_path):
    wh = _warehouse(tmp_path / "wh.duckdb", grade="A")
    pub = tmp_path / "mujun.duckdb"
    _publish(wh, pub)
    stat = pub.stat()
    _warehouse(wh, grade="D", critical_ok=False)
    with pytest.raises(PublicationBlocked, match="structural_tax_payments"):
        _publish(wh, pub)
    assert pub.stat().st_ino == stat.st_ino and pub.stat().st_mtime_ns == stat.st_mtime_ns
    with duckdb.connect(str(pub), read_only=True) as r:
        assert r.execute("select grade from marts.subject_evaluation").fetchone()[0] == "A"


def test_blocked_without_audit(tmp_path):
    wh = _warehouse(tmp_path / "wh.duckdb")
    with duckdb.connect(str(wh)) as con:
        con.execute("drop table audit.suite_results")
    with pytest.raises(PublicationBlocked, match="no audit results"):
        _publish(wh, tmp_path / "mujun.duckdb")
    assert not (tmp_path / "mujun.duckdb").exists()


def test_blocked_without_publication_gates(tmp_path):
    wh = _warehouse(tmp_path / "wh.duckdb")
    with duckdb.connect(str(wh)) as con:
        con.execute("drop table audit.publication_gates")
    with pytest.raises(PublicationBlocked, match="no publication gates"):
        _publish(wh, tmp_path / "mujun.duckdb")
    assert not (tmp_path / "mujun.duckdb").exists()


def test_failed_copy_leaves_last_good_publication(tmp_path):
    wh = _warehouse(tmp_path / "wh.duckdb", grade="A")
    pub = tmp_path / "out" / "mujun.duckdb"
    _publish(wh, pub)
    with duckdb.connect(str(wh)) as con:                        # a mart that fails when read
        con.execute("create table staging.gone as select 1 as x")
        con.execute("create view marts.zz_broken as select * from staging.gone")
        con.execute("drop table staging.gone")
    with pytest.raises(duckdb.Error):
        _publish(wh, pub)
    with duckdb.connect(str(pub), read_only=True) as r:
        assert r.execute("select grade from marts.subject_evaluation").fetchone()[0] == "A"
    assert sorted(os.listdir(pub.parent)) == ["mujun.duckdb"]
