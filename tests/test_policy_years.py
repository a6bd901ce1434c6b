"""Policy rules belong to their evaluation year (issue #12).

One real county run over 2020-2022 (module fixture); each test copies its warehouse, replaces policy
seeds in a copy of the dbt project and runs a real `dbt build` of the changed seeds' descendants on
the copy, then compares the marts with the original run.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import whatif

# A three-year county run (~2 min): `make test-slow` runs it; CI keeps the budget of `make test`.
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SHIPPED = REPO / "seeds" / "policy"
YEARS = (2020, 2021, 2022)


def _env(data: Path) -> dict:
    env = {**os.environ, "MUJUN_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "dagster_home")}
    for k in ("MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    return env


@pytest.fixture(scope="module")
def three_years(tmp_path_factory, dbt_manifest) -> Path:
    data = tmp_path_factory.mktemp("policy_years")
    feeds = data / "feeds"
    for cmd in (["generate", "--out", str(feeds), "--years", ",".join(map(str, YEARS))],
                ["run", "--data-dir", str(data), "--feeds", str(feeds)]):
        proc = subprocess.run([str(BIN / "mujun"), *cmd], cwd=REPO, env=_env(data), capture_output=True,
                              text=True, timeout=1800)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return data / "warehouse.duckdb"


def _rebuild(warehouse: Path, tmp: Path, replaced: dict[str, str]) -> tuple[Path, subprocess.CompletedProcess]:
    """A copy of the warehouse rebuilt (dbt build, seeds + models downstream of the replaced seeds)."""
    policy = tmp / "policy"
    policy.mkdir()
    for name, text in replaced.items():
        (policy / name).write_text(text, encoding="utf-8")
    scratch = tmp / "scratch"
    (scratch / "project").mkdir(parents=True)
    copy = scratch / warehouse.name
    shutil.copy2(warehouse, copy)
    whatif._copy_project(REPO, scratch / "project", sorted(policy.iterdir()))
    cmd = [str(BIN / "mujun-dbt"), "build", "--resource-type", "seed", "--resource-type", "model",
           "--select", *[f"{Path(n).stem}+" for n in replaced],
           "--project-dir", str(scratch / "project"), "--profiles-dir", str(scratch / "project" / "dbt_project"),
           "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")]
    proc = subprocess.run(cmd, cwd=scratch / "project", env={**os.environ, "MUJUN_WAREHOUSE": str(copy)},
                          capture_output=True, text=True, timeout=1200)
    return copy, proc


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def _replace_line(name: str, old: str, new: str) -> str:
    text = (SHIPPED / name).read_text(encoding="utf-8")
    assert old in text, (name, old)
    return text.replace(old, new)


def test_a_2022_only_change_leaves_2020_and_2021_identical_and_moves_2022(three_years, tmp_path):
    # Xiaoshan-style: the 高企 uplift changes from 2022 on (the 2021 row is closed, a 2022 row opens)
    old = "hightech_bonus,5,R-BONUS-2,[S2] §五 valid 国家高新技术企业,,"
    bonuses = _replace_line("policy_bonuses.csv", old,
                            "hightech_bonus,5,R-BONUS-2,[S2] §五 valid 国家高新技术企业,,2021\n"
                            "hightech_bonus,8,R-BONUS-2,what-if 2022 rule,2022,")
    copy, proc = _rebuild(three_years, tmp_path, {"policy_bonuses.csv": bonuses})
    assert proc.returncode == 0, proc.stdout[-4000:]

    detail_columns = ("year, subject_key, indicator, value, numerator, denominator, benchmark, benchmark_year, "
                      "weight, cap, score, scoring_method, scoring_basis, rule_id")
    for year in (2020, 2021):
        for sql in (f"select * from marts.subject_evaluation where year = {year} order by subject_key",
                    f"select {detail_columns} from marts.subject_indicator_detail where year = {year} "
                    "order by subject_key, indicator",
                    f"select * from marts.grade_summary where year = {year} order by all",
                    f"select * from marts.leaderboard_enterprises where year = {year} order by all",
                    f"select * from marts.grade_sensitivity where year = {year} order by subject_key"):
            before, after = _rows(three_years, sql), _rows(copy, sql)
            assert before and before == after, (year, sql)

    grades = "select subject_key, grade, total_score, hightech_bonus from marts.subject_evaluation where year = 2022"
    before = {r[0]: r[1:] for r in _rows(three_years, grades)}
    after = {r[0]: r[1:] for r in _rows(copy, grades)}
    hightech = [k for k, v in before.items() if v[2] == 5]
    assert hightech and all(after[k][2] == 8 and abs(after[k][1] - before[k][1] - 3) < 1e-9 for k in hightech)
    assert any(after[k][0] != before[k][0] for k in before)          # 2022 grades move

    versions = _rows(copy, "select year, policy_version from marts.subject_indicator_detail "
                           "where indicator = 'hightech_bonus' group by all order by all")
    assert versions == [(2020, "policy_bonuses@-2021"), (2021, "policy_bonuses@-2021"), (2022, "policy_bonuses@2022-")]


def test_a_year_without_a_required_parameter_fails_naming_seed_parameter_and_year(three_years, tmp_path):
    scoring = _replace_line("policy_scoring.csv",
                            "score_cap,2,times the benchmark,R-SCORE-1,DEFAULT: an indicator score never exceeds cap x weight,,",
                            "score_cap,2,times the benchmark,R-SCORE-1,DEFAULT: an indicator score never exceeds cap x weight,,2021")
    _, proc = _rebuild(three_years, tmp_path, {"policy_scoring.csv": scoring})
    assert proc.returncode != 0
    assert ("policy seed policy_scoring (seeds/policy/policy_scoring.csv) has no row for parameter 'score_cap' "
            "valid in evaluation year 2022") in proc.stdout


def test_overlapping_rows_of_one_key_fail_naming_seed_key_and_year(three_years, tmp_path):
    cuts = (SHIPPED / "policy_grade_cuts.csv").read_text(encoding="utf-8") + "A,0.25,R-GRADE-1,2022,\n"
    _, proc = _rebuild(three_years, tmp_path, {"policy_grade_cuts.csv": cuts})
    assert proc.returncode != 0
    assert "policy seed policy_grade_cuts (seeds/policy/policy_grade_cuts.csv) has 2 rows for grade 'A' " \
           "valid in evaluation year 2022" in proc.stdout


def test_explain_names_the_policy_version(three_years):
    subject = _rows(three_years, "select subject_id from marts.subject_evaluation where year = 2022 and "
                                 "subject_kind = 'enterprise' and grade is not null order by subject_id limit 1")[0][0]
    proc = subprocess.run([str(BIN / "mujun"), "explain", subject, "--year", "2022", "--db", str(three_years)],
                          cwd=REPO, env=_env(three_years.parent), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "policy 政策版本: policy_indicator_weights@-, policy_scoring@-" in proc.stdout
    assert "(policy policy_bonuses@-)" in proc.stdout
