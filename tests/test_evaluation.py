"""Evaluation core (rules.md §1-§5, §8) end to end on a small hand-made scenario.

A temp warehouse gets raw.* rows inserted by SQL; real `dbt seed` + `dbt build` (own target and log
paths under tmp_path) computes the marts; values and grades below were computed by hand.

Scenario, county 330109, year 2021 (areas: 20000 m² = 30 亩, 10000 m² = 15 亩):
  A1  industrial above-scale, 30 亩, tax 300万; tenant T1 (rented_plant, no land, tax 60万, VA 100万)
      merges into A1 (R-SUBJ-3) -> tax 360万, tax_per_mu 12, VA 700万.
  A2  industrial above-scale, 30 亩, tax 90万; audit finding value_added_kyuan 3000 -> 2000 (R-AUDIT-4).
  A3  industrial above-scale, 30 亩 (+ a commercial parcel that never counts, R-LAND-1), tax 30万
      (tax_per_mu 1), valid 高企, no emission data -> emission score = full weight (R-SCORE-3);
      D by rank, R-GRADE-6 lifts to C, R-GRADE-2 puts it back to D.
  industrial_above ranks: A1 1/3 -> B, A2 2/3 -> C, A3 3/3 -> D.
  B1  industrial below-scale, 15 亩, tax 90万 (6/亩), 100000 kWh.
  person 330109199001011234: village_land_via_individual, occupants V1 (2000 m², mfg, no stats) and
      V2 (1000 m², services); 4.5 亩, tax 9 + 4.5 = 13.5万 (3/亩) -> industrial_below (V1 is largest).
  industrial_below: B1 rank 1/2 -> B; the person 2/2 -> D.
  S1  services alone, 15 亩, no statistics row -> D (group of 1).
  DX  deregistered holder of counted land -> R-SUBJ-1;  NW new enterprise on new land -> R-LAND-5.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
DBT = str(Path(sys.executable).parent / "mujun-dbt")
PERSON = "330109199001011234"
PERSON_MASKED = "330109********1234"
COUNTY, TOWN = "330109", "330109001"

# Tests of other areas that also read these models (e.g. leader lists) are left out: cautious selection.
EVAL_SELECT = [
    "path:dbt_project/models/intermediate/evaluation",
    "path:dbt_project/models/intermediate/after_the_grade",   # the findings and adjustments paths (appeals)
    "path:dbt_project/models/marts/evaluation",
    "path:dbt_project/tests/evaluation",
    "--indirect-selection", "cautious",
]


def _dbt(args: list[str], warehouse: Path, work: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MUJUN_WAREHOUSE": str(warehouse), "DBT_PROFILES_DIR": str(REPO / "dbt_project")}
    proc = subprocess.run(
        [DBT, *args, "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    return proc


def _insert(con, table: str, rows: list[dict]) -> None:
    for r in rows:
        cols = ", ".join(f'"{c}"' for c in r)
        marks = ", ".join("?" for _ in r)
        con.execute(f"insert into raw.{table} ({cols}) values ({marks})", list(r.values()))


def _registry(uscc, industry, status="存续", year=2021):
    return {"year": year, "uscc": uscc, "name": f"企业{uscc}", "county_code": COUNTY, "town_code": TOWN,
            "industry_code": industry, "established_on": "2010-01-01", "parent_uscc": None,
            "status": status, "strategic_emerging": False}


def _parcel(pid, holder, area, year=2021, land_use="industrial", deadline="2018-12-31", new=False):
    return {"year": year, "parcel_id": pid, "holder_uscc": holder, "land_use": land_use, "area_m2": area,
            "delivered_on": "2016-01-01", "construction_deadline": deadline, "completed_on": None,
            "delay_cause": "none", "is_new_enterprise": new, "early_evaluation": False}


def _stats(uscc, above, va, rev, rd, emp, energy, year=2021):
    return {"year": year, "uscc": uscc, "above_scale": above, "output_value_kyuan": rev,
            "value_added_kyuan": va, "revenue_kyuan": rev, "rd_expense_kyuan": rd,
            "hightech_value_added_kyuan": None, "energy_tce": energy, "avg_employees": emp}


def _tax(rid, uscc, yuan, year=2021):
    return {"year": year, "record_id": rid, "uscc": uscc, "tax_code": "10101",
            "belongs_to": f"{year}-03-01", "paid_on": f"{year}-04-15", "deferred": False, "amount_yuan": yuan}


def _ledger(rid, occupant, landlord, arrangement, area, person=None):
    return {"year": 2021, "record_id": rid, "town_code": TOWN, "occupant_id": occupant, "landlord_id": landlord,
            "arrangement": arrangement, "sublessor_person_id": person, "area_m2": area,
            "separate_evaluation": False, "split_by_area": False, "verified": True}


def load_scenario(con) -> None:
    from orchestration.feeds.ddl import ensure_schemas

    ensure_schemas(con)
    _insert(con, "registry_enterprises", [
        _registry("A1", "3841"), _registry("A2", "3841"), _registry("A3", "3841"), _registry("T1", "3841"),
        _registry("B1", "3841"), _registry("S1", "5110"), _registry("DX", "3841", status="注销"),
        _registry("NW", "3841"), _registry("V1", "3841"), _registry("V2", "5110"),
    ])
    _insert(con, "land_parcels", [
        _parcel("pA1", "A1", 20000.0), _parcel("pA2", "A2", 20000.0), _parcel("pA3", "A3", 20000.0),
        _parcel("pA3c", "A3", 50000.0, land_use="commercial"),
        _parcel("pB1", "B1", 10000.0), _parcel("pS1", "S1", 10000.0), _parcel("pDX", "DX", 10000.0),
        _parcel("pNW", "NW", 10000.0, deadline="2020-06-30", new=True),
    ])
    _insert(con, "land_ledger", [
        _ledger("l1", "T1", "A1", "rented_plant", 2000.0),
        _ledger("l2", "V1", "village", "village_land_via_individual", 2000.0, person=PERSON),
        _ledger("l3", "V2", "village", "village_land_via_individual", 1000.0, person=PERSON),
    ])
    _insert(con, "stats_enterprise_annual", [
        _stats("A1", True, 6000.0, 20000.0, 400.0, 60, 100.0),
        _stats("A2", True, 3000.0, 10000.0, 100.0, 30, 100.0),
        _stats("A3", True, 1500.0, 5000.0, 0.0, 30, 50.0),
        _stats("T1", False, 1000.0, 2000.0, 0.0, 10, None),
        _stats("B1", False, 2000.0, 8000.0, 0.0, 20, None),
    ])
    _insert(con, "tax_payments", [
        _tax("t1", "A1", 3_000_000.0), _tax("t2", "T1", 600_000.0), _tax("t3", "A2", 900_000.0),
        _tax("t4", "A3", 300_000.0), _tax("t5", "B1", 900_000.0), _tax("t6", "S1", 1_500_000.0),
        _tax("t7", "DX", 100_000.0), _tax("t8", "V1", 90_000.0), _tax("t9", "V2", 45_000.0),
    ])
    _insert(con, "energy_monthly", [
        {"year": 2021, "uscc": "B1", "month": "2021-01-01", "electricity_kwh": 100000.0},
    ])
    _insert(con, "emissions_annual", [
        {"year": 2021, "uscc": "A1", "pollutant": "COD", "emission_kg": 100.0},
        {"year": 2021, "uscc": "A2", "pollutant": "COD", "emission_kg": 100.0},
    ])
    _insert(con, "hightech_certificates", [
        {"year": 2021, "uscc": "A3", "certificate_no": "GR1", "valid_from": "2020-01-01", "valid_to": "2022-12-31"},
    ])
    _insert(con, "audit_findings", [
        {"year": 2021, "subject_id": "A2", "feed": "stats_enterprise_annual", "record_key": "A2",
         "field": "value_added_kyuan", "reported_value": "3000", "verified_value": "2000",
         "verified_on": "2021-06-01"},
    ])


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """One folder, one warehouse path and one dbt target for the module: dbt's partial parsing then
    reuses the manifest (the warehouse path is part of the profile) and the module stays fast."""
    return tmp_path_factory.mktemp("evaluation")


@pytest.fixture(scope="module")
def base(work) -> Path:
    """The scenario built once; tests read this pristine copy, variants rebuild work/wh.duckdb."""
    wh = work / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        load_scenario(con)
    # one dbt call: seeds, staging views, the evaluation models with their unit and data tests
    # (staging's own data tests are left to tests/test_staging.py: the ids here are not real USCCs)
    _dbt(["build", "--select", "resource_type:seed", "staging", *EVAL_SELECT,
          "--exclude", "path:dbt_project/models/staging,resource_type:test"], wh, work)
    pristine = work / "base.duckdb"
    shutil.copy(wh, pristine)
    return pristine


def _variant(base: Path, work: Path) -> Path:
    wh = work / "wh.duckdb"
    shutil.copy(base, wh)
    return wh


def _eval(wh: Path) -> dict[str, dict]:
    with duckdb.connect(str(wh), read_only=True) as con:
        cur = con.execute("select * from marts.subject_evaluation where year = 2021")
        names = [d[0] for d in cur.description]
        return {r[names.index("subject_id")]: dict(zip(names, r)) for r in cur.fetchall()}


def test_rows_exclusions_and_merges(base):
    ev = _eval(base)
    # T1 merged (R-SUBJ-3), V1/V2 merged into the person (R-SUBJ-5): no rows of their own
    assert set(ev) == {"A1", "A2", "A3", "B1", "S1", "DX", "NW", PERSON_MASKED}
    assert ev["DX"]["excluded_reason"] == "R-SUBJ-1" and ev["DX"]["grade"] is None
    assert ev["NW"]["excluded_reason"] == "R-LAND-5" and ev["NW"]["area_mu"] == pytest.approx(15.0)
    a1 = ev["A1"]
    assert a1["area_mu"] == pytest.approx(30.0)
    assert a1["tax_wan"] == pytest.approx(360.0)
    assert a1["tax_per_mu"] == pytest.approx(12.0)
    assert a1["value_added_wan"] == pytest.approx(700.0)
    assert ev["A3"]["area_mu"] == pytest.approx(30.0)          # commercial parcel not counted
    assert ev["S1"]["value_added_wan"] is None                  # no statistics row -> null
    person = ev[PERSON_MASKED]
    assert person["subject_kind"] == "individual" and person["subject_name"] is None
    assert person["category"] == "industrial_below"
    assert person["area_mu"] == pytest.approx(4.5)
    assert person["tax_wan"] == pytest.approx(13.5)
    with duckdb.connect(str(base), read_only=True) as con:
        leaked = con.execute(f"select count(*) from marts.subject_evaluation where subject_id = '{PERSON}'").fetchone()
    assert leaked[0] == 0


def test_audit_finding_replaces_value(base):
    ev = _eval(base)
    assert ev["A2"]["value_added_wan"] == pytest.approx(200.0)   # 2000 千元, not the reported 3000
    with duckdb.connect(str(base), read_only=True) as con:
        applied = con.execute("select applied from intermediate.int_findings_reviewed").fetchall()
    assert applied == [(True,)]


def test_grades(base):
    ev = _eval(base)
    assert (ev["A1"]["rank_in_group"], ev["A1"]["group_size"], ev["A1"]["grade"]) == (1, 3, "B")
    assert (ev["A2"]["initial_grade"], ev["A2"]["grade"]) == ("C", "C")
    a3 = ev["A3"]
    assert (a3["initial_grade"], a3["grade"]) == ("D", "D")
    assert list(a3["grade_rules"]) == ["R-GRADE-6", "R-GRADE-2"]
    assert a3["grade_rules_text"] == "R-GRADE-6,R-GRADE-2"
    assert a3["hightech_bonus"] == pytest.approx(5.0)
    assert a3["emission_productivity_score"] == pytest.approx(10.0)   # no emission data, tax > 0
    assert ev["A1"]["tax_per_mu_score"] == pytest.approx(60.0)         # 12 / (480/90) = 2.25 -> cap 2 x 30
    assert (ev["B1"]["grade"], ev[PERSON_MASKED]["grade"]) == ("B", "D")
    assert ev["B1"]["tax_per_kwh"] == pytest.approx(9.0)
    assert ev["S1"]["grade"] == "D" and ev["S1"]["group_size"] == 1
    assert ev["S1"]["value_added_per_mu_score"] is None               # not weighted for services


def test_detail_and_summary(base):
    with duckdb.connect(str(base), read_only=True) as con:
        d = con.execute("""select benchmark, benchmark_year, weight, cap, score, rule_id
                           from marts.subject_indicator_detail
                           where year = 2021 and subject_id = 'A1' and indicator = 'tax_per_mu'""").fetchone()
        summary = con.execute("""select stage, grade, subjects from marts.grade_summary
                                 where year = 2021 and category = 'industrial_above' and subjects > 0
                                 order by stage, grade""").fetchall()
    assert d[0] == pytest.approx(480.0 / 90.0) and d[1] == 2021 and d[2] == 30 and d[3] == 2
    assert d[4] == pytest.approx(60.0) and d[5] == "R-SCORE-1"
    assert summary == [("final", "B", 1), ("final", "C", 1), ("final", "D", 1),
                       ("initial", "B", 1), ("initial", "C", 1), ("initial", "D", 1)]


def test_explain(base):
    from orchestration.explain import SubjectNotFound, explain

    with duckdb.connect(str(base), read_only=True) as con:
        text = explain(con, "A3", 2021)
        assert "亩均税收 tax per mu" in text
        assert "R-GRADE-6" in text and "R-GRADE-2" in text and "final grade: D" in text
        assert "excluded" not in text.lower()
        assert "R-SUBJ-1" in explain(con, "DX")
        assert "1/3" in explain(con, "A1", 2021)
        with pytest.raises(SubjectNotFound, match="2021"):
            explain(con, "NOPE")


def test_policy_seed_change_moves_grade(base, work):
    """The A cut 0.20 -> 0.34 (policy_grade_cuts) makes A1 (r/N = 1/3) an A, with no code change."""
    wh = _variant(base, work)
    with duckdb.connect(str(wh)) as con:
        con.execute("update reference.policy_grade_cuts set max_rank_share = 0.34 where grade = 'A'")
    _dbt(["build", "--select", *EVAL_SELECT, "--exclude", "resource_type:seed", "test_type:unit"], wh, work)
    ev = _eval(wh)
    assert (ev["A1"]["initial_grade"], ev["A1"]["grade"]) == ("A", "A")


def test_previous_year_arrival_changes_benchmark(base, work):
    """When 2020 arrives, 2021's benchmarks come from 2020 (R-SCORE-2): only A1 in 2020 with
    tax 600万 on 30 亩 -> tax_per_mu benchmark 20, so A1's 2021 score is 12 / 20 x 30 = 18."""
    wh = _variant(base, work)
    with duckdb.connect(str(wh)) as con:
        _insert(con, "registry_enterprises", [_registry("A1", "3841", year=2020)])
        _insert(con, "land_parcels", [_parcel("pA1", "A1", 20000.0, year=2020, deadline="2018-12-31")])
        _insert(con, "stats_enterprise_annual", [_stats("A1", True, 6000.0, 20000.0, 400.0, 60, 100.0, year=2020)])
        _insert(con, "tax_payments", [_tax("t1", "A1", 6_000_000.0, year=2020)])
    _dbt(["build", "--select", *EVAL_SELECT, "--exclude", "resource_type:seed", "test_type:unit"], wh, work)
    with duckdb.connect(str(wh), read_only=True) as con:
        d = con.execute("""select benchmark, benchmark_year, score from marts.subject_indicator_detail
                           where year = 2021 and subject_id = 'A1' and indicator = 'tax_per_mu'""").fetchone()
        # rd_intensity has 2020 data too; emission stays within 2021 (R-SCORE-3)
        e = con.execute("""select benchmark_year from marts.subject_indicator_detail
                           where year = 2021 and subject_id = 'A1' and indicator = 'emission_productivity'""").fetchone()
    assert d[0] == pytest.approx(20.0) and d[1] == 2020
    assert d[2] == pytest.approx(18.0)
    assert e[0] == 2021
