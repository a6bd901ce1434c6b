"""公示 documents (issue #11): the leader lists of `mujun export leaders` and the audit worklists are
workbooks an office can print and post. Every property is read back from the written XLSX with
openpyxl. The writer is tested on its own (fast), then on the real county run (conftest `county_run`:
`mujun run` on the built-in sample) through the real CLI.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from openpyxl.utils import get_column_letter

from orchestration import documents as D
from orchestration import issuing, towns
from orchestration.audit import worklists

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ISSUED = dt.date(2026, 12, 2)
HIGHLIGHT = "FF" + D.HIGHLIGHT_FILL.lstrip("#").upper()


# ------------------------------------------------------------------------------ helpers
def width(ws, col: int) -> float:
    """Width of a column as saved (openpyxl groups equal adjacent widths into one min..max entry)."""
    for dim in ws.column_dimensions.values():
        if dim.min <= col <= dim.max and dim.width:
            return dim.width
    return 0


def headers(ws) -> list:
    return [c.value for c in ws[D.HEADER_ROW + 1]]


def data_rows(ws):
    return list(ws.iter_rows(min_row=D.FIRST_DATA_ROW + 1))


def assert_print_setup(ws, ncols: int, nrows: int):
    last = get_column_letter(ncols)
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == D.A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1) == 1          # absent = 1 (ECMA-376 default): one page wide
    assert ws.page_setup.fitToHeight == 0                # as many pages tall as needed
    assert ws.print_title_rows == f"${D.HEADER_ROW + 1}:${D.HEADER_ROW + 1}"
    assert ws.auto_filter.ref == f"A{D.HEADER_ROW + 1}:{last}{D.HEADER_ROW + 1 + nrows}"
    assert ws.freeze_panes == f"A{D.FIRST_DATA_ROW + 1}"


def validations(ws) -> dict[str, list[tuple]]:
    """column letter -> [(type, first row, last row, formula1)] of the sheet's data validations."""
    out: dict[str, list[tuple]] = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            letter = get_column_letter(rng.min_col)
            out.setdefault(letter, []).append((dv.type, rng.min_row, rng.max_row, dv.formula1))
    return out


# ------------------------------------------------------------------------------ the writer alone
NAMES = ["杭州萧山某某精密机械制造股份有限公司（集团）", "短名", "=HYPERLINK(\"http://x\",\"y\")"]


def _doc(**kw) -> D.Document:
    base = {
        "title": "2021年度浙江省制造业亩均效益领跑企业名单（公示）", "office": "浙江省某办公室", "issued_on": ISSUED,
        "note": D.publicity_note(ISSUED, 7),
        "columns": [D.Column("企业名称"), D.Column("统一社会信用代码", D.ID), D.Column("亩均税收(万元/亩)", D.AMOUNT),
                 D.Column("R&D经费支出占营业收入之比", D.RATIO), D.Column("核实值", D.NUMBER, entry=D.ENTRY_DECIMAL),
                 D.Column("核实日期", D.DATE, entry=D.ENTRY_DATE)],
        "rows": [[n, "913301097881511291", 1685.07172, 0.048143, None, None] for n in NAMES],
        "highlight": [False, True, False]}
    return D.Document(**{**base, **kw})


def test_document_title_office_formats_and_print_setup(tmp_path):
    path = D.write_document(tmp_path / "a.xlsx", _doc())
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == "2021年度浙江省制造业亩均效益领跑企业名单（公示）"
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A2"].value.startswith("发布单位：浙江省某办公室　　发布日期：2026年12月2日")
    assert "公示期：2026年12月2日至2026年12月8日（7天）" in ws["A2"].value
    assert headers(ws) == ["企业名称", "统一社会信用代码", "亩均税收(万元/亩)", "R&D经费支出占营业收入之比", "核实值", "核实日期"]
    first = data_rows(ws)[0]
    assert first[1].data_type == "s" and first[1].number_format == "@"
    assert first[2].value == pytest.approx(1685.07172) and first[2].number_format == "#,##0.00"
    assert first[3].value == pytest.approx(0.048143) and first[3].number_format == "0.00%"
    assert all(c.border.left.style == "thin" and c.border.bottom.style == "thin" for c in first)
    assert all(c.border.left.style == "thin" for c in ws[D.HEADER_ROW + 1])
    assert_print_setup(ws, ncols=6, nrows=3)


def test_document_widths_fit_cjk_names(tmp_path):
    ws = openpyxl.load_workbook(D.write_document(tmp_path / "a.xlsx", _doc())).active
    longest = max(D.display_width(n) for n in NAMES)
    assert D.display_width(NAMES[0]) == 2 * len(NAMES[0])        # every character wide: 2 widths each
    assert width(ws, 1) >= longest
    assert width(ws, 2) >= len("913301097881511291")
    assert width(ws, 3) >= len("1,685.07")


def test_document_highlights_only_flagged_rows(tmp_path):
    ws = openpyxl.load_workbook(D.write_document(tmp_path / "a.xlsx", _doc())).active
    fills = [{c.fill.fgColor.rgb for c in row} for row in data_rows(ws)]
    assert fills[1] == {HIGHLIGHT}
    assert HIGHLIGHT not in fills[0] | fills[2]


def test_document_validates_entry_columns(tmp_path):
    ws = openpyxl.load_workbook(D.write_document(tmp_path / "a.xlsx", _doc())).active
    v = validations(ws)
    first, last = D.FIRST_DATA_ROW + 1, D.FIRST_DATA_ROW + 3
    assert [(t, a, b) for t, a, b, _ in v["E"]] == [("decimal", first, last)]
    assert [(t, a, b) for t, a, b, _ in v["F"]] == [("date", first, last)]
    assert set(v) == {"E", "F"}


def test_document_per_row_entry_kinds(tmp_path):
    doc = _doc(columns=[D.Column("核实值", D.NUMBER, entry=[D.ENTRY_DECIMAL, D.ENTRY_DECIMAL, D.ENTRY_BOOL])],
               rows=[[None], [None], [None]])
    ws = openpyxl.load_workbook(D.write_document(tmp_path / "a.xlsx", doc)).active
    first = D.FIRST_DATA_ROW + 1
    assert sorted(validations(ws)["A"]) == [("decimal", first, first + 1, "-1000000000000000.0"),
                                            ("list", first + 2, first + 2, '"是,否"')]


def test_document_keeps_formula_like_text_as_text(tmp_path):
    ws = openpyxl.load_workbook(D.write_document(tmp_path / "a.xlsx", _doc())).active
    cell = data_rows(ws)[2][0]
    assert cell.value == NAMES[2] and cell.data_type == "s" and cell.quotePrefix


def test_document_unwritable_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(D.DocumentError, match=r"cannot create the output folder .*a_file/sub"):
        D.write_document(blocker / "sub" / "a.xlsx", _doc())
    with pytest.raises(D.DocumentError, match=r"is a file, not a folder"):
        D.write_document(blocker / "a.xlsx", _doc())


def test_publication_seed_gives_office_and_period():
    rows = {r["level"]: r for r in issuing.seed_rows(None, "publication")}
    assert set(rows) == {"province", "city", "county"}
    assert issuing.office(None, "county", "330109").name == "杭州市萧山区深化“亩均论英雄”改革工作领导小组办公室"
    assert issuing.office(None, "province").publicity_days == int(rows["province"]["publicity_days"])


# ------------------------------------------------------------------------------ worklists, unit
def test_worklist_chinese_fields_numbers_and_town_name_in_file(tmp_path):
    records = pd.DataFrame({
        "year": 2021, "town_code": "330109001", "subject_id": ["91330109000000001A", "91330109000000002B"],
        "subject_name": ["甲公司", "乙公司"], "uscc": ["91330109000000001A", "91330109205090695H"],
        "enterprise_name": ["甲公司", "丙公司"], "source_feed": ["stats_enterprise_annual", "hightech_certificates"],
        "record_key": ["91330109000000001A", "C-1"], "check_name": ["energy_ge_electricity", "certificate_valid_period"],
        "rule_id": "R-AUDIT-3", "label_zh": ["综合能耗不低于用电折标煤(吨标煤)", "证书有效期合理"],
        "field": ["energy_tce", "valid_to"], "passed": [False, True], "observed_value": ["233.096", "3"],
        "expected": ["≥ electricity_tce = 238", "[0, 3]"]})
    sample = records[["year", "town_code", "subject_id"]]
    (path,) = worklists.write_worklists(records, sample, tmp_path, town_names={"330109001": "城厢街道"},
                                        issued_on=ISSUED)
    assert path.name == "330109001_萧山区城厢街道.xlsx"
    ws = openpyxl.load_workbook(path).active
    assert ws["A1"].value == "2021年度亩均效益评价随机抽查核查清单（萧山区城厢街道）"
    assert "杭州市萧山区深化“亩均论英雄”改革工作领导小组办公室" in ws["A2"].value
    h = headers(ws)
    rows = [{k: c for k, c in zip(h, r)} for r in data_rows(ws)]
    assert [r["数据来源"].value for r in rows] == ["企业年度统计", "国家高新技术企业"]
    assert [r["核查字段"].value for r in rows] == ["综合能源消费量(吨标准煤)", "有效期止"]
    assert rows[0]["上报值"].value == pytest.approx(233.096) and rows[0]["上报值"].data_type == "n"
    assert rows[0]["期望"].value == "≥ 用电折标煤(吨标煤) = 238"
    assert [r["涉及企业名称"].value for r in rows] == [None, "丙公司"]      # shown only when not the subject
    assert [r["涉及企业统一社会信用代码"].value for r in rows] == [None, "91330109205090695H"]
    assert len(h) == len(set(h))
    v = validations(ws)
    col = get_column_letter(h.index("核实值") + 1)
    first = D.FIRST_DATA_ROW + 1
    assert sorted((t, a, b) for t, a, b, _ in v[col]) == [("date", first + 1, first + 1), ("decimal", first, first)]


# ------------------------------------------------------------------------------ the county run
def mujun(*args, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    for k in ("MUJUN_DATA_DIR", "MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    return subprocess.run([str(BIN / "mujun"), *args], check=False, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def county(county_run, tmp_path_factory):
    assert county_run["returncode"] == 0, county_run["stderr"][-3000:]
    out = tmp_path_factory.mktemp("leaders")
    proc = mujun("export", "leaders", "--year", "2021", "--out", str(out), "--date", ISSUED.isoformat(),
                 "--data-dir", str(county_run["data_dir"]))
    assert proc.returncode == 0, proc.stderr
    return {**county_run, "out": out, "export": proc}


def test_leader_list_is_a_publishable_document(county):
    ws = openpyxl.load_workbook(county["out"] / "leaders_2021_manufacturing.xlsx").active
    assert ws["A1"].value == "2021年度浙江省制造业亩均效益领跑企业名单（公示）"
    office = issuing.office(None, "province")
    assert ws["A2"].value.startswith(f"发布单位：{office.name}　　发布日期：2026年12月2日")
    assert f"（{office.publicity_days}天）" in ws["A2"].value
    h = headers(ws)
    rows = data_rows(ws)
    assert len(rows) == 100
    assert_print_setup(ws, ncols=len(h), nrows=100)
    tax = [r[h.index("亩均税收(万元/亩)")] for r in rows]
    assert all(c.number_format == "#,##0.00" and c.data_type == "n" for c in tax)
    rd = [r[h.index("R&D经费支出占营业收入之比")] for r in rows if r[h.index("R&D经费支出占营业收入之比")].value is not None]
    assert rd and all(c.number_format == "0.00%" and 0 <= c.value < 1 for c in rd)
    assert all(r[h.index("得分")].number_format == "0.00" for r in rows)
    names = [r[h.index("企业名称")].value for r in rows]
    assert width(ws, h.index("企业名称") + 1) >= max(D.display_width(n) for n in names)
    assert width(ws, h.index("统一社会信用代码") + 1) >= 18


def test_leader_indicator_columns_come_from_the_seed(county, tmp_path):
    """Edit reference.leader_indicators in a copy of the analysts' file: the export follows."""
    db = tmp_path / "copy.duckdb"
    shutil.copy(county["published"], db)
    with duckdb.connect(str(db)) as con:
        con.execute("delete from reference.leader_indicators where list_code = 'manufacturing' "
                    "and indicator = 'emission_productivity'")
        con.execute("update reference.leader_indicators set name_zh = '亩均税收贡献' "
                    "where list_code = 'manufacturing' and indicator = 'tax_per_mu'")
    proc = mujun("export", "leaders", "--year", "2021", "--out", str(tmp_path / "out"), "--db", str(db),
                 "--data-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "out" / "leaders_2021_manufacturing.csv", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    assert "亩均税收贡献(万元/亩)" in header and "亩均税收(万元/亩)" not in header
    assert not any(h.startswith("单位排放增加值") for h in header)


def test_county_list_marks_counties_without_data(county):
    """The 督查激励 list names 7 counties; the county sample evaluates only 萧山区. The mart rightly
    has no indicators for the others: the document says so instead of printing 参评主体数 0."""
    ws = openpyxl.load_workbook(county["out"] / "leaders_2021_county.xlsx").active
    h = headers(ws)
    rows = [{k: c.value for k, c in zip(h, r)} for r in data_rows(ws)]
    with duckdb.connect(str(county["published"]), read_only=True) as con:
        mart = con.execute("select county_code, subjects, tax_per_mu from marts.leaderboard_counties "
                           "where year = 2021 order by county_code").fetchall()
    assert [r["县(市、区)代码"] for r in rows] == [m[0] for m in mart]
    for r, (_code, subjects, tax) in zip(rows, mart):
        if subjects:
            assert r["参评主体数"] == subjects and r["亩均税收(万元/亩)"] == pytest.approx(tax) and not r["备注"]
        else:
            assert r["参评主体数"] is None and r["备注"] and "无该县" in r["备注"]
    assert sum(1 for m in mart if m[1]) == 1 and len(mart) == 7


def test_export_of_an_empty_year_fails_clearly(county, tmp_path):
    proc = mujun("export", "leaders", "--year", "2019", "--out", str(tmp_path / "out"),
                 "--data-dir", str(county["data_dir"]))
    assert proc.returncode == 1
    assert "no leader list has leaders in 2019" in proc.stderr and "2020, 2021" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_export_to_an_unwritable_folder_fails_clearly(county, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    proc = mujun("export", "leaders", "--year", "2021", "--out", str(blocker / "lists"),
                 "--data-dir", str(county["data_dir"]))
    assert proc.returncode == 1
    assert f"cannot create the output folder {blocker / 'lists'}" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture(scope="module")
def county_worklists(county):
    files = sorted((county["reports"] / "worklists" / "2021").glob("*.xlsx"))
    assert files
    return files


def test_worklists_name_the_town_and_speak_chinese(county_worklists):
    counties = issuing.county_names()
    town_names = towns.names()              # seeds/reference/ref_towns.csv
    for f in county_worklists:
        town = f.name.split("_")[0]
        county_name = counties[town[:6]]["county_name"]
        assert f.name == f"{town}_{county_name}{town_names[town]}.xlsx"
        ws = openpyxl.load_workbook(f).active
        assert ws["A1"].value == f"2021年度亩均效益评价随机抽查核查清单（{county_name}{town_names[town]}）"
        assert "萧山区深化“亩均论英雄”改革工作领导小组办公室" in ws["A2"].value
        h = headers(ws)
        assert len(h) == len(set(h))
        rows = [{k: c for k, c in zip(h, r)} for r in data_rows(ws)]
        for r in rows:
            for col in ("数据来源", "核查字段", "期望"):
                v = r[col].value
                assert v is None or not re.search(r"[a-z_]{3,}", v), f"{f.name}: {col} {v!r}"
        assert_print_setup(ws, ncols=len(h), nrows=len(rows))


def test_worklists_numbers_highlight_and_validation(county_worklists):
    failed_total = 0
    for f in county_worklists:
        ws = openpyxl.load_workbook(f).active
        h = headers(ws)
        rows = [{k: c for k, c in zip(h, r)} for r in data_rows(ws)]
        numeric = [r["上报值"] for r in rows if r["上报值"].value is not None and r["核查字段"].value != "单独评价已核准"]
        assert numeric and all(c.data_type == "n" for c in numeric), f.name
        for r in rows:
            failed = r["校验结果"].value != "通过"
            failed_total += failed
            assert (r["评价主体"].fill.fgColor.rgb == HIGHLIGHT) == failed, f"{f.name}: {r['评价主体'].value}"
        v = validations(ws)
        first, last = D.FIRST_DATA_ROW + 1, D.FIRST_DATA_ROW + len(rows)
        date_col = get_column_letter(h.index("核实日期") + 1)
        assert [(t, a, b) for t, a, b, _ in v[date_col]] == [("date", first, last)]
        value_col = get_column_letter(h.index("核实值") + 1)
        covered = {row for t, a, b, _ in v[value_col] for row in range(a, b + 1)}
        with_field = {first + i for i, r in enumerate(rows) if r["核查字段代码"].value}
        assert with_field and with_field <= covered, f.name
    assert failed_total >= 1
