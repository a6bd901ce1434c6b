"""The audit checks the values that graded (issue: one definition of every fact).

audit.audit_base_records is a dbt model read from the models that grade; these tests hold it to the
graded numbers on the county sample (the session's real `mujun run`), and show an R-AUDIT-4 finding
reaching the park leader lists through the same audit-corrected statistics.
"""
from __future__ import annotations

import shutil

import duckdb
import pytest

from orchestration.audit import scenario


@pytest.fixture(scope="module")
def warehouse(county_run):
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:]
    return county_run["warehouse"]


def test_audit_tax_equals_the_graded_tax(warehouse):
    """Σ member tax × membership fraction of the audit's enterprise records = the subject's graded tax,
    restorations (R-TAX-2) included, for every graded subject (so for every sampled one)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            with audited as (
                select year, subject_key, sum(tax_wan * membership_fraction) as audited_tax
                from audit.audit_base_records where record_type = 'enterprise' group by all)
            select e.year, e.subject_key, e.tax_wan, coalesce(a.audited_tax, 0) as audited_tax,
                   s.subject_key is not null as sampled
            from marts.subject_evaluation e
            left join audited a using (year, subject_key)
            left join audit.sample s using (year, subject_key)
            where e.excluded_reason is null""").fetchall()
        restored = con.execute("""
            select count(distinct r.subject_key) from audit.audit_base_records r
            join intermediate.int_enterprise_measures m on m.year = r.year and m.uscc = r.uscc
            where r.record_type = 'enterprise' and m.tax_restored_wan <> 0""").fetchone()[0]
    assert rows and any(r[4] for r in rows)
    off = [r for r in rows if abs(r[2] - r[3]) > 1e-6 * max(1.0, abs(r[2]))]
    assert not off, off[:5]
    assert restored > 0          # the comparison includes subjects whose tax has R-TAX-2 restorations


def test_finding_on_above_scale_moves_a_park_list(warehouse, tmp_path):
    """R-AUDIT-4 on stats_enterprise_annual.above_scale reaches the micro-park list: a member that
    became above-scale in 2021 is found above-scale already in 2020, so it is no longer a newly
    cultivated enterprise (企业培育) of its park in 2021, and the park's list score falls."""
    wh = tmp_path / warehouse.name
    shutil.copy(warehouse, wh)
    with duckdb.connect(str(wh)) as con:
        pick = con.execute("""
            select m.park_id, m.uscc
            from raw.park_members m
            join intermediate.int_leader_scores sc
              on sc.year = m.year and sc.list_code = 'micro_park' and sc.candidate_id = m.park_id
            join raw.stats_enterprise_annual s on s.year = m.year and s.uscc = m.uscc
            join raw.stats_enterprise_annual s0 on s0.year = m.year - 1 and s0.uscc = m.uscc
            where m.year = 2021 and s.above_scale and not s0.above_scale
            order by m.park_id, m.uscc limit 1""").fetchone()
        assert pick, "the county sample has no micro-park candidate with a member cultivated in 2021"
        park, uscc = pick
        q = "select cultivated_enterprises from intermediate.int_leader_park_measures where year = 2021 and park_id = ?"
        score_q = ("select indicator_score from intermediate.int_leader_scores "
                   "where year = 2021 and list_code = 'micro_park' and candidate_id = ?")
        before, score_before = con.execute(q, [park]).fetchone()[0], con.execute(score_q, [park]).fetchone()[0]
        con.execute("""insert into raw.audit_findings by name
            select 2020 as year, ? as subject_id, 'stats_enterprise_annual' as feed, ? as record_key,
                   'above_scale' as field, 'false' as reported_value, 'true' as verified_value,
                   date '2021-03-01' as verified_on, null as _extra, 'test' as _delivery_id,
                   999 as _row_number""", [uscc, uscc])
    scenario.dbt_build(wh, tmp_path / "target", select=["int_audit_findings_with_appeals+"])
    with duckdb.connect(str(wh), read_only=True) as con:
        after, score_after = con.execute(q, [park]).fetchone()[0], con.execute(score_q, [park]).fetchone()[0]
        applied = con.execute("select count(*) from audit.findings_applied where year = 2020 and record_key = ? "
                              "and field = 'above_scale'", [uscc]).fetchone()[0]
    assert applied == 1
    assert after == before - 1
    assert score_after < score_before
