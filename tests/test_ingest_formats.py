"""Every feed ingested from UTF-8, UTF-8 with BOM, GB18030 and real .xlsx, English and Chinese
headers in shuffled order; typed canonical values in raw.<feed>; ledger counts add up."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_feeds import to_xlsx_values, valid_rows, write_feed  # noqa: E402

from orchestration.feeds import contract as K  # noqa: E402
from orchestration.feeds.loader import ingest_feed  # noqa: E402

FORMATS = [("csv", "utf-8"), ("csv", "utf-8-sig"), ("csv", "gb18030"), ("xlsx", None)]
YEAR = 2021


@pytest.fixture(autouse=True)
def _tmp(monkeypatch, tmp_path):
    monkeypatch.setenv("MUJUN_INGEST_TMP", str(tmp_path / "tmp"))


def _expected(feed: K.Feed, row: dict[str, str]) -> tuple:
    out = []
    for c in feed.columns:
        v = row[c.name]
        if c.kind == K.DATE:
            out.append(dt.date.fromisoformat(v))
        elif c.kind == K.MONTH:
            out.append(dt.date.fromisoformat(v + "-01"))
        elif c.kind == K.BOOL:
            out.append(v.lower() in ("1", "true", "是", "y"))
        elif c.kind == K.DECIMAL:
            out.append(float(v))
        elif c.kind == K.INTEGER:
            out.append(int(v))
        else:
            out.append(v)
    return tuple(out)


@pytest.mark.parametrize("fmt,encoding", FORMATS, ids=[e or f for f, e in FORMATS])
def test_every_feed_every_format(tmp_path, fmt, encoding):
    root = tmp_path / "feeds"
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for i, feed in enumerate(K.FEEDS):
        lang = ("en", "zh")[(i + len(fmt)) % 2]
        rows = valid_rows(feed.name, 4, YEAR, start=i)
        cells = to_xlsx_values(feed.name, rows) if fmt == "xlsx" else rows
        write_feed(root / str(YEAR), feed.name, cells, fmt=fmt, encoding=encoding or "utf-8", lang=lang,
                   shuffle=i, extra={"备注": ["x", "", "z", "w"]})
        res = ingest_feed(con, root, YEAR, feed.name)
        assert res.status == "loaded", (feed.name, res)
        assert (res.rows_delivered, res.rows_loaded, res.rows_rejected) == (4, 4, 0), (feed.name, res.reasons)
        cols = ", ".join(f'"{c}"' for c in feed.column_names)
        got = con.execute(f"select {cols} from raw.{feed.name} where year = ? order by _row_number", [YEAR]).fetchall()
        assert got == [_expected(feed, r) for r in rows], feed.name
        extra = con.execute(f"select _extra, _row_number from raw.{feed.name} order by _row_number").fetchall()
        assert [e[1] for e in extra] == [1, 2, 3, 4]
        assert '"备注":"x"' in extra[0][0].replace(" ", "")
    ledger = con.execute("select rows_delivered, rows_loaded, rows_rejected, status from quarantine.delivery_ledger").fetchall()
    assert len(ledger) == len(K.FEEDS)
    assert all(d == ld + r and s == "loaded" for d, ld, r, s in ledger)


def test_xlsx_real_cells_and_header_not_on_first_row(tmp_path):
    import openpyxl

    feed = K.feed("energy_monthly")
    rows = valid_rows(feed.name, 3, YEAR)
    path = tmp_path / "feeds" / str(YEAR) / "Energy_Monthly.XLSX"
    path.parent.mkdir(parents=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([])
    ws.append([None, None])
    ws.append(["月份", "用电量(千瓦时)", "统一社会信用代码"])
    for r in rows:
        ws.append([dt.datetime.fromisoformat(r["month"] + "-01"), float(r["electricity_kwh"]), r["uscc"]])
        ws.cell(ws.max_row, 1).number_format = "yyyy-mm"
    ws.append([dt.datetime(YEAR, 5, 1), 12.0, rows[0]["uscc"][:-1] + "#"])
    ws.cell(ws.max_row, 1).number_format = "yyyy-mm"
    wb.save(path)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    res = ingest_feed(con, tmp_path / "feeds", YEAR, feed.name)
    assert (res.rows_loaded, res.rows_rejected) == (3, 1)
    assert res.file == f"{YEAR}/Energy_Monthly.XLSX"
    # row numbers: sheet row minus the header's sheet row
    assert con.execute("select row_number, reason from quarantine.rejected_rows").fetchall() == [(4, "bad_id_format")]
    assert con.execute("select month, electricity_kwh from raw.energy_monthly order by _row_number limit 1").fetchone() \
        == (dt.date.fromisoformat(rows[0]["month"] + "-01"), float(rows[0]["electricity_kwh"]))
