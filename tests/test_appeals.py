"""公示 → appeals → final (issue #13) on the hand-made scenario of tests/test_evaluation.py.

The scenario's 2021 grades (see that module): A1 B, A2 C, A3 D (R-GRADE-2: tax 30万 on 30 亩 = 1/亩),
B1 B, the individual D, S1 D (services, group of 1). Appeals delivered with the year:
  AP1  data, A3: parcel pA3 area_m2 20000 -> 8000 (12 亩: tax_per_mu 2.5, no longer R-GRADE-2; A3 now
       ranks 2nd of 3 -> C), accepted with approval ref                                -> D to C
       (A2 drops to 3rd of 3 by that re-ranking, but keeps its 公示 grade C: R-STAGE-3)
  AP2  grade, S1: claimed C, accepted with approval ref (R-GRADE-7 path)              -> D to C
  AP3  grade, B1: claimed A, rejected                                                -> no change
  AP4  data, A2, submitted after the 5-day 公示 window                                -> quarantined late
  AP5  grade, A2, accepted without approval_ref                                      -> quarantined
  AP6  data, A1, field `colour`                                                      -> quarantined unknown_field
  AP7  grade, an unregistered USCC                                                   -> quarantined unknown_subject
Real dbt builds on a real DuckDB file; the stage log is written by orchestration.publish.
"""
from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_evaluation import _dbt, _insert, load_scenario  # noqa: E402

from orchestration import publish as P  # noqa: E402

PUBLICITY_ON = dt.date(2022, 4, 1)          # window: 2022-04-01 .. 2022-04-06 (publicity_days 5)
# the models this feature needs and their ancestors; the leader lists are left out (not needed here)
SELECT = ["+appeals", "+publication_stages", "+appeals_quarantined", "+findings_applied", "+subject_evaluation"]
# staging's own data tests are left to tests/test_staging.py (the scenario ids are not real USCCs)
EXCLUDE = ["path:dbt_project/models/staging,resource_type:test", "path:dbt_project/models/intermediate/leaders",
           "path:dbt_project/models/marts/leaders", "resource_type:unit_test"]


def _appeal(row, aid, subject, kind, *, feed=None, key=None, field=None, value=None, grade=None,
            submitted="2022-04-03", decision="accepted", decided="2022-04-20", ref="萧亩均〔2022〕7号"):
    return {"year": 2021, "_row_number": row, "appeal_id": aid, "subject_id": subject, "kind": kind, "feed": feed,
            "record_key": key, "field": field, "claimed_value": value, "claimed_grade": grade,
            "submitted_on": submitted, "decision": decision, "decided_on": decided, "approval_ref": ref,
            "reason": "镇街核实"}


APPEALS = [
    _appeal(1, "AP1", "A3", "data", feed="land_parcels", key="pA3", field="area_m2", value="8000"),
    _appeal(2, "AP2", "S1", "grade", grade="C"),
    _appeal(3, "AP3", "B1", "grade", grade="A", decision="rejected", ref=None),
    _appeal(4, "AP4", "A2", "data", feed="stats_enterprise_annual", key="A2", field="value_added_kyuan",
            value="9000", submitted="2022-04-10"),
    _appeal(5, "AP5", "A2", "grade", grade="B", ref=None),
    _appeal(6, "AP6", "A1", "data", feed="stats_enterprise_annual", key="A1", field="colour", value="red"),
    _appeal(7, "AP7", "91330109MA2XXXXX0Y", "grade", grade="A"),
]


def _build(wh: Path, work: Path, as_of: str, full: bool, command: str = "build") -> None:
    # after the first build only what depends on the stage log is rebuilt
    what = (["resource_type:seed", "staging", *SELECT] if full
            else [f"int_publication_calendar+,{s}" for s in SELECT])
    _dbt([command, "--select", *what, "--exclude", *EXCLUDE,
          "--vars", f"{{as_of: '{as_of}'}}"], wh, work)


def _grades(con) -> dict[str, str]:
    return dict(con.execute("select subject_id, grade from marts.subject_evaluation "
                            "where year = 2021 and grade is not null").fetchall())


@pytest.fixture(scope="module")
def stages(tmp_path_factory) -> dict:
    """Three real builds: before 公示 is recorded, during the window, after it (final)."""
    work = tmp_path_factory.mktemp("appeals")
    wh = work / "wh.duckdb"
    with duckdb.connect(str(wh)) as con:
        load_scenario(con)
        _insert(con, "appeals", APPEALS)
    _build(wh, work, "2022-04-02", full=True)
    out = {"work": work}
    with duckdb.connect(str(wh)) as con:
        out["before"] = {"grades": _grades(con),
                         "stage": con.execute("select stage from marts.publication_stages").fetchone()[0],
                         "status": dict(con.execute("select appeal_id, status from marts.appeals").fetchall())}
        # the first publication of 2021 opens its 公示 (the notice date): what `mujun run` + `mujun publish --initial --on` log
        P.sync_stages(con, today=PUBLICITY_ON)
    _build(wh, work, "2022-04-03", full=False, command="run")        # inside the window: still initial
    with duckdb.connect(str(wh)) as con:
        out["open"] = {"grades": _grades(con),
                       "stage": con.execute("select stage from marts.publication_stages").fetchone()[0],
                       "appeals": {r[0]: r for r in con.execute(
                           "select appeal_id, status, quarantine_reason, applied from marts.appeals").fetchall()}}
    _build(wh, work, "2022-05-01", full=False)        # window closed, nothing pending: final
    with duckdb.connect(str(wh)) as con:
        P.sync_stages(con, today=dt.date(2022, 5, 1))
        cur = con.execute("select * from marts.appeals order by appeal_id")
        names = [d[0] for d in cur.description]
        appeals = {r[names.index("appeal_id")]: dict(zip(names, r)) for r in cur.fetchall()}
        out["final"] = {
            "grades": _grades(con),
            "stage": con.execute("select stage from marts.publication_stages").fetchone()[0],
            "appeals": appeals,
            "A2": con.execute("select rank_in_group, grade, grade_rules_text from marts.subject_evaluation "
                              "where year = 2021 and subject_id = 'A2'").fetchone(),
            "findings": con.execute("select subject_id, source_feed, record_key, field, verified_value "
                                    "from audit.findings_applied order by all").fetchall(),
            "quarantined": dict(con.execute("select appeal_id, reason from quarantine.appeals_quarantined").fetchall()),
            "log": con.execute("select year, stage, stage_on from publication.stages order by recorded_at").fetchall(),
            "snap": {s: dict(con.execute("select subject_id, grade from publication.stage_grades "
                                         "where year = 2021 and stage = ?", [s]).fetchall())
                     for s in ("initial", "final")},
        }
    shutil.copy(wh, work / "final.duckdb")
    return out


def test_before_publicity_appeals_wait(stages):
    before = stages["before"]
    assert before["stage"] == "initial"
    assert before["grades"]["A3"] == "D" and before["grades"]["S1"] == "D"
    # no 公示 recorded: valid appeals wait; the invalid ones are quarantined already (but not as late)
    assert before["status"]["AP1"] == "awaiting_publicity"
    assert before["status"]["AP5"] == "quarantined"


def test_inside_the_window_nothing_is_applied(stages):
    op = stages["open"]
    assert op["stage"] == "initial"
    assert op["grades"] == stages["before"]["grades"]
    assert op["appeals"]["AP1"][1:] == ("accepted", None, False)
    assert op["appeals"]["AP4"][1:3] == ("quarantined", "late")


def test_accepted_data_appeal_moves_the_grade_and_is_recorded(stages):
    fin = stages["final"]
    assert fin["stage"] == "final"
    a = fin["appeals"]["AP1"]
    assert (a["applied"], a["grade_before"], a["grade_after"]) == (True, "D", "C")
    assert a["rules"] == "R-APPEAL-1,R-AUDIT-4"     # C by rank: no other rule moved it
    assert fin["grades"]["A3"] == "C"
    # recorded like an R-AUDIT-4 finding (the scenario's own finding on A2 stays)
    assert ("A3", "land_parcels", "pA3", "area_m2", "8000") in fin["findings"]
    assert ("A2", "stats_enterprise_annual", "A2", "value_added_kyuan", "2000") in fin["findings"]


def test_accepted_grade_appeal_sets_the_final_grade(stages):
    fin = stages["final"]
    a = fin["appeals"]["AP2"]
    assert (a["applied"], a["grade_before"], a["grade_after"]) == (True, "D", "C")
    assert a["rules"] == "R-APPEAL-2,R-GRADE-7"
    assert fin["grades"]["S1"] == "C"
    assert fin["appeals"]["AP3"]["applied"] is False and fin["grades"]["B1"] == "B"
    assert fin["appeals"]["AP3"]["rules"] == "R-APPEAL-2"


def test_invalid_appeals_are_quarantined_with_a_reason(stages):
    fin = stages["final"]
    assert fin["quarantined"] == {"AP4": "late", "AP5": "no_approval_ref", "AP6": "unknown_field",
                                  "AP7": "unknown_subject"}
    # neither the late data appeal nor the unapproved grade appeal applied; A2 keeps its 公示 grade
    assert fin["grades"]["A2"] == "C"
    assert "2022-04-06" in fin["appeals"]["AP4"]["quarantine_detail"]


def test_publicised_grades_of_others_stand(stages):
    # AP1 re-ranked A2 from 2nd to 3rd of 3 (D by rank); R-STAGE-3 keeps its 公示 grade through R-GRADE-7
    assert stages["final"]["A2"] == (3, "C", "R-GRADE-7")


def test_initial_and_final_differ_exactly_by_the_appeals(stages):
    fin = stages["final"]
    assert [(y, s, d) for y, s, d in fin["log"]] == [(2021, "initial", PUBLICITY_ON),
                                                     (2021, "final", dt.date(2022, 5, 1))]
    initial, final = fin["snap"]["initial"], fin["snap"]["final"]
    assert initial == stages["before"]["grades"] and final == fin["grades"]
    changed = {s for s in initial if initial[s] != final[s]}
    by_appeal = {a["subject_id"] for a in fin["appeals"].values() if a["applied"] and a["grade_before"] != a["grade_after"]}
    assert changed == by_appeal == {"A3", "S1"}


def test_published_tables_carry_the_stage(stages, tmp_path):
    wh = stages["work"] / "final.duckdb"
    pub = tmp_path / "mujun.duckdb"
    with duckdb.connect(str(wh)) as con:
        P.publish(con, pub, require_audit=False)
    with duckdb.connect(str(pub), read_only=True) as con:
        assert con.execute("select distinct publication_stage from marts.subject_evaluation").fetchall() == [("final",)]
        assert con.execute("select count(*) from publication.stages").fetchone()[0] == 2
