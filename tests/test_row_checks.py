"""The model-level row_checks test (issue #10), run for real with dbt on a scratch warehouse.

One staging model (stg_water__saving_honours, a view over raw.water_saving) is built with
`dbt build --store-failures` on a copy of just the parts of the project it needs (as
tests/test_staging.py does): raw rows with nulls in two required columns, one honour outside the
accepted list and one key delivered twice make its row_checks test fail, and the failing rows dbt
stored name exactly those checks and their row counts; with the rows fixed it passes. The same on
dbt-spark (slow, spark: portable SQL). Also: no plain column-level not_null / accepted_values /
expression_is_true / unique is left in the yml (each would be one more dbt node and Dagster check
per run), and the what-if's required seed columns and accepted values still come from the yml.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from scratch_dbt import copy_dbt_project

from orchestration.feeds.ddl import ensure_schemas

REPO = Path(__file__).resolve().parent.parent
DBT = Path(sys.executable).parent / "mujun-dbt"
MODEL = "stg_water__saving_honours"
USCC = "91330100MA2B3C4D5E"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("row_checks")
    con = duckdb.connect(str(tmp / "wh.duckdb"))
    ensure_schemas(con)
    con.close()
    return {"tmp": tmp, "dir": copy_dbt_project(tmp / "project", "staging/water"), "wh": tmp / "wh.duckdb"}


def _load(project, rows: list[tuple]) -> None:
    """raw.water_saving := rows of (uscc, honor), year 2021, one delivery."""
    with duckdb.connect(str(project["wh"])) as con:
        con.execute("delete from raw.water_saving")
        for i, (uscc, honor) in enumerate(rows, start=1):
            con.execute("insert into raw.water_saving (year, uscc, honor, _delivery_id, _row_number) "
                        "values (2021, ?, ?, 'test', ?)", [uscc, honor, i])


def _build(project, target: str = "dev") -> dict:
    """`dbt build --select MODEL --store-failures` (the view and its tests): the row_checks
    result and its failing rows, read back from the table dbt stored them in (dbt_test__audit)."""
    tmp = project["tmp"]
    env = {**os.environ, "MUJUN_WAREHOUSE": str(project["wh"]),
           "DBT_PROFILES_DIR": str(project["dir"] / "dbt_project"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if target == "spark":
        from orchestration.spark.export import export_raw

        export_raw(project["wh"], tmp / "spark_raw")
        env.update(MUJUN_SPARK_DIR=str(tmp / "spark"), MUJUN_SPARK_RAW=str(tmp / "spark_raw"),
                   PYSPARK_PYTHON=sys.executable)
    proc = subprocess.run([str(DBT), "build", "--select", MODEL, "--store-failures", "--target", target,
                           "--target-path", str(tmp / f"target-{target}"), "--log-path", str(tmp / "logs")],
                          cwd=project["dir"], env=env, capture_output=True, text=True, timeout=600)
    log = proc.stdout[-4000:] + proc.stderr[-2000:]
    results = json.loads((tmp / f"target-{target}" / "run_results.json").read_text(encoding="utf-8"))["results"]
    manifest = json.loads((tmp / f"target-{target}" / "manifest.json").read_text(encoding="utf-8"))
    [uid] = [u for u in manifest["nodes"] if u.startswith(f"test.mujun.row_checks_{MODEL}")]
    [result] = [r for r in results if r["unique_id"] == uid]
    node = manifest["nodes"][uid]
    if target == "spark":
        from orchestration.spark.tables import read_sql

        stored = read_sql(tmp / "spark", node["schema"], node["alias"])
    else:
        stored = f'"{node["schema"]}"."{node["alias"]}"'
    with duckdb.connect(str(project["wh"]), read_only=True) as con:
        rows = con.execute(f"select check_kind, checked, n_failing_rows from {stored} "
                           "order by check_kind, checked").fetchall()
    return {"returncode": proc.returncode, "status": result["status"], "failures": result["failures"],
            "rows": rows, "log": log}


def _fails_then_passes(project, target: str) -> None:
    _load(project, [(USCC, "provincial_water_saving"),
                    (USCC, "provincial_water_saving"),           # the key (year, uscc, honor) twice
                    (None, "provincial_water_saving"),
                    (None, "provincial_water_benchmark"),
                    ("91330100MA2B3C4D6F", None),
                    ("91330100MA2B3C4D7G", "municipal_water_saving")])
    failed = _build(project, target)
    assert failed["returncode"] != 0 and failed["status"] == "fail", failed["log"]
    assert failed["rows"] == [("accepted_values", "honor", 1), ("not_null", "honor", 1),
                              ("not_null", "uscc", 2), ("unique", "year, uscc, honor", 2)], failed["log"]
    assert failed["failures"] == 4          # dbt's "Got 4 results": the four failing checks

    _load(project, [(USCC, "provincial_water_saving"), (USCC, "provincial_water_benchmark")])
    fixed = _build(project, target)
    assert fixed["returncode"] == 0 and fixed["status"] == "pass", fixed["log"]
    assert fixed["rows"] == []


def test_fails_naming_each_failing_check_and_its_row_count_then_passes_when_fixed(project):
    _fails_then_passes(project, "dev")


@pytest.mark.slow
@pytest.mark.spark
def test_the_same_on_spark(project):
    """Portable SQL: the same model and test on dbt-spark (local session; needs `make setup-spark`)."""
    pytest.importorskip("dbt.adapters.spark", reason="the Spark target needs `make setup-spark`")
    _fails_then_passes(project, "spark")


def test_an_empty_model_passes(project):
    """sum() over no rows is null: no check is reported."""
    _load(project, [])
    empty = _build(project)
    assert empty["returncode"] == 0 and empty["status"] == "pass", empty["log"]


def test_no_plain_row_level_test_is_left(dbt_manifest):
    """A row-level check without its own config belongs in the model's row_checks test."""
    manifest = json.loads(dbt_manifest.read_text(encoding="utf-8"))
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]

    def plain(name: str) -> list[str]:
        return sorted(n["name"] for n in tests if (n.get("test_metadata") or {}).get("name") == name
                      and n["config"].get("severity", "ERROR").upper() == "ERROR"
                      and not n["config"].get("where") and not n["config"].get("meta"))

    for name in ("not_null", "accepted_values", "expression_is_true", "unique"):
        left = plain(name)
        assert not left, (f"{len(left)} plain {name} tests (one dbt node and one Dagster check each): "
                          f"put them in the model's row_checks test instead: {left[:20]}")
    folded = [n for n in tests if (n.get("test_metadata") or {}).get("name") == "row_checks"]
    assert len(folded) >= 85
    # named after what it checks (a Dagster asset check's name), not after its 200 characters of arguments
    owner = {n["unique_id"]: n.get("attached_node") or "" for n in folded}
    unnamed = sorted(n["name"] for n in folded
                     if owner[n["unique_id"]] and n["name"] != "row_checks_" + owner[n["unique_id"]].split(".")[-1])
    assert not unnamed, f"give each row_checks test `name: row_checks_<model>`: {unnamed[:5]}"


def test_whatif_still_knows_the_required_seed_columns(tmp_path):
    from orchestration.whatif import read_policy_file, seed_schemas

    schema = seed_schemas()["policy_grade_cuts"]
    assert schema.not_null == {"grade", "max_rank_share"}
    path = tmp_path / "policy_grade_cuts.csv"
    path.write_text("grade,max_rank_share,rule_id,valid_from_year,valid_to_year\nA,,R-GRADE-1,,\n", encoding="utf-8")
    problems: list[str] = []
    read_policy_file(path, schema, problems)
    assert problems == ["policy_grade_cuts.csv, row 1: column 'max_rank_share' is empty (a value is required)"]
    assert schema.accepted["grade"] == ["A", "B", "C", "D"]
