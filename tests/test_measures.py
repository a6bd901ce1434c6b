"""Differentiated measures and the 低效整治 list (issue #13) on a three-year hand-made scenario.

The scenario of tests/test_evaluation.py (county 330109, one town) is delivered for 2019, 2020 and
2021 alike (dates shifted by the year), and A3 uses 1,000,000 kWh a year. A3 is D every year
(R-GRADE-2: tax 30万 on 30 亩), so in 2021 it has been D for three consecutive years and pays the
higher surcharge of seeds/policy/policy_differentiated_measures.csv (M-ELEC-D3, 0.4 元/kWh,
replacing the 0.3 of M-ELEC-D1): 1,000,000 × 0.4 = 400,000 元. One real `dbt build`.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_evaluation import DBT, REPO, _dbt, _insert, load_scenario  # noqa: E402

BIN = Path(DBT).parent
YEARS = (2019, 2020, 2021)
# rows whose dates must follow the year (R-TAX-1 counts tax paid in Y; energy months are in Y)
SHIFTED = {"tax_payments": ("belongs_to", "paid_on"), "energy_monthly": ("month",)}


def _three_years(con) -> None:
    load_scenario(con)
    _insert(con, "energy_monthly", [{"year": 2021, "uscc": "A3", "month": "2021-02-01", "electricity_kwh": 1_000_000.0}])
    tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                        "where table_schema = 'raw'").fetchall()]
    for t in tables:
        for back in (1, 2):
            shift = ", ".join(f"{c} - interval {back} year as {c}" for c in SHIFTED.get(t, ()))
            replace = f"replace (year - {back} as year{', ' + shift if shift else ''})"
            con.execute(f"insert into raw.{t} select * {replace} from raw.{t} where year = 2021")


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("measures")
    path = work / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        _three_years(con)
    _dbt(["build", "--select", "resource_type:seed", "staging", "+differentiated_measures", "+remediation_list",
          "--exclude", "path:dbt_project/models/staging,resource_type:test", "resource_type:unit_test",
          "--indirect-selection", "cautious"], path, work)
    return path


def _rows(wh: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(wh), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def test_three_consecutive_d_years_pay_the_higher_surcharge(wh):
    elec = {r["year"]: r for r in _rows(wh, "select * from marts.differentiated_measures "
                                            "where subject_id = 'A3' and lever = 'electricity_surcharge'")}
    assert sorted(elec) == list(YEARS)                     # one tier per year, never both
    assert [(elec[y]["consecutive_years_in_grade"], elec[y]["measure_id"]) for y in YEARS] == [
        (1, "M-ELEC-D1"), (2, "M-ELEC-D1"), (3, "M-ELEC-D3")]
    assert elec[2021]["quantity"] == 1_000_000.0
    assert elec[2021]["computed_amount_yuan"] == pytest.approx(400_000.0)
    assert elec[2020]["computed_amount_yuan"] == pytest.approx(300_000.0)
    assert elec[2021]["is_default"] is True and "海宁" in elec[2021]["source"]


def test_levers_follow_the_grade(wh):
    levers = {(r["subject_id"], r["lever"]) for r in _rows(
        wh, "select subject_id, lever from marts.differentiated_measures where year = 2021")}
    # C (A2): quota cuts and water markup, no electricity surcharge; B (B1) nothing by grade
    assert {("A2", "energy_quota_cut"), ("A2", "pollutant_quota_cut"), ("A2", "water_price_markup")} <= levers
    assert ("A2", "electricity_surcharge") not in levers
    assert not {lv for s, lv in levers if s == "B1" and not lv.endswith("_incentive")}
    # no amount without a quantity
    assert all(r["computed_amount_yuan"] is None for r in _rows(
        wh, "select computed_amount_yuan from marts.differentiated_measures where quantity_name is null"))


def test_remediation_list_holds_exactly_the_d_subjects(wh):
    for y in YEARS:
        d = {r["subject_key"] for r in _rows(wh, f"select subject_key from marts.subject_evaluation "
                                                 f"where year = {y} and grade = 'D'")}
        listed = _rows(wh, f"select * from marts.remediation_list where year = {y} order by follow_up_order")
        assert {r["subject_key"] for r in listed} == d and len(listed) == len(d) and d
    rows = _rows(wh, "select * from marts.remediation_list where year = 2021 order by follow_up_order")
    assert [r["follow_up_order"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["consecutive_d_years"] == 3 for r in rows)    # the same subjects are D every year
    a3 = next(r for r in rows if r["subject_id"] == "A3")
    # A3 reports no R&D (gap 1.0), then tax_per_mu 1 against (360+90+30)/90 = 5.33 万元/亩
    assert (a3["shortfall_1_indicator"], a3["shortfall_1_gap_share"]) == ("rd_intensity", pytest.approx(1.0))
    assert a3["shortfall_2_indicator"] == "tax_per_mu"
    assert a3["shortfall_2_gap_share"] == pytest.approx(1 - 1 / (480 / 90))


def test_export_remediation_per_town(wh, tmp_path):
    from openpyxl import load_workbook

    from orchestration.remediation_export import COLUMNS

    proc = subprocess.run([str(BIN / "mujun"), "export", "remediation", "--year", "2021", "--db", str(wh),
                           "--out", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    files = sorted(tmp_path.glob("remediation_2021_*.xlsx"))
    assert [f.name for f in files] == ["remediation_2021_330109001.xlsx"]
    ws = load_workbook(files[0]).active
    rows = list(ws.iter_rows(values_only=True))
    # a 公示 document: title, issuing office and date, then the header row (orchestration.documents)
    assert rows[0][0] == "2021年度亩均效益评价D类企业低效整治名单（示例雪松街道，镇街330109001）"   # ref_towns
    assert "办公室" in rows[1][0]
    assert rows[2][:5] == ("序号", "统一社会信用代码/评价主体", "企业名称", "评价类别", "连续D类年数(年)")
    assert len(rows[2]) == len(COLUMNS)
    assert len(rows) - 3 == len(_rows(wh, "select 1 from marts.remediation_list where year = 2021"))
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$3:$3"
    tax_col = [h for h in rows[2]].index("亩均税收(万元/亩)") + 1
    assert ws.cell(row=4, column=tax_col).number_format == "#,##0.00"
    # a year without D subjects exports nothing and says so
    none = subprocess.run([str(BIN / "mujun"), "export", "remediation", "--year", "2001", "--db", str(wh),
                           "--out", str(tmp_path / "none")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert none.returncode == 1 and "nothing exported" in none.stderr
