"""Spreadsheet safety of the writers (real openpyxl and csv files; the e2e proof is test_hostile_output)."""
from __future__ import annotations

import csv
import zipfile

import openpyxl
import pandas as pd

from orchestration import documents, export
from orchestration.audit import worklists

NAMES = ['=HYPERLINK("http://x","y")', "=1+1", "=cmd|' /C calc'!A0", "+1", "-1+2", "@SUM(A1)", "\t=2+2",
         "\r=3+3"]
READ_BACK = [n.replace("\r", "\n") for n in NAMES]    # XML reads a stored CR back as LF


def _formula_xml(path) -> bool:
    with zipfile.ZipFile(path) as z:
        return any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_export_writers_make_formulas_text_and_keep_numbers(tmp_path):
    headers, columns = ["名称", "得分"], ["subject_name", "score"]
    rows = [[n, -1.5] for n in NAMES] + [["法人330903196804133434", 2.0]]
    export._write_xlsx(tmp_path / "a.xlsx", "t", headers, columns, rows)
    export._write_csv(tmp_path / "a.csv", headers, rows)

    assert not _formula_xml(tmp_path / "a.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    cells = list(ws.iter_rows(min_row=documents.FIRST_DATA_ROW + 1))     # below title, office and headers
    assert [c[0].value for c in cells[:len(NAMES)]] == READ_BACK                 # kept verbatim, as text
    assert all(c[0].data_type == "s" and c[0].quotePrefix for c in cells[:len(NAMES)])
    assert all(c[1].data_type == "n" and c[1].value == -1.5 for c in cells[:len(NAMES)])
    assert cells[-1][0].value == "法人330903********3434"

    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as f:
        body = list(csv.reader(f))[1:]
    assert [r[0] for r in body[:len(NAMES)]] == ["'" + n for n in NAMES]
    assert all(r[1] == "-1.5" for r in body[:len(NAMES)])
    assert body[-1][0] == "法人330903********3434"


def test_worklists_make_formulas_text(tmp_path):
    records = pd.DataFrame({
        "year": 2021, "town_code": "330109001", "subject_id": [f"9133010900000{i:05d}" for i in range(len(NAMES))],
        "subject_name": NAMES, "check_name": "c", "record_key": "k", "passed": False,
        "observed_value": ["-3", "=A1", "331126 19860930311X", "1", "2", "3", "4", "5"],
    })
    sample = records[["year", "town_code", "subject_id"]]
    (path,) = worklists.write_worklists(records, sample, tmp_path)
    assert not _formula_xml(path)
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[documents.HEADER_ROW + 1]]
    names = [r[header.index("主体名称")] for r in ws.iter_rows(min_row=documents.FIRST_DATA_ROW + 1)]
    assert sorted(c.value for c in names) == sorted(READ_BACK)
    assert all(c.data_type == "s" and c.quotePrefix for c in names)
    observed = {r[header.index("上报值")].value for r in ws.iter_rows(min_row=documents.FIRST_DATA_ROW + 1)}
    assert "331126********311X" in observed and not any("19860930" in str(v) for v in observed)


def test_worklists_written_in_parallel_equal_the_sequential_ones(tmp_path):
    """A province writes ~2,900 worklists with one worker process per core: same files, same cells."""
    records = pd.DataFrame({
        "year": 2021, "town_code": [f"33010900{i % 4}" for i in range(12)],
        "subject_id": [f"9133010900000{i:05d}" for i in range(12)], "subject_name": [f"企业{i}" for i in range(12)],
        "check_name": "c", "record_key": "k", "passed": [i % 3 != 0 for i in range(12)],
        "observed_value": [str(i) for i in range(12)],
    })
    sample = records[["year", "town_code", "subject_id"]]
    one = worklists.write_worklists(records, sample, tmp_path / "one", workers=1)
    two = worklists.write_worklists(records, sample, tmp_path / "two", workers=2)
    assert [p.name for p in one] == [p.name for p in two] and len(one) == 4
    for a, b in zip(one, two):
        cells = [[[c.value for c in row] for row in openpyxl.load_workbook(p).active.iter_rows()] for p in (a, b)]
        assert cells[0] == cells[1]
