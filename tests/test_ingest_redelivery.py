"""Atomic re-delivery, unchanged no-op, refused deliveries leave the earlier load intact, preflight,
parsing details (blank lines, quoted newlines, headers)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_feeds import valid_rows, write_feed, write_required  # noqa: E402

from orchestration.feeds.loader import (DeliveryRefused, MissingRequiredFeeds, find_deliveries,  # noqa: E402
                                        ingest_feed, preflight)

Y = 2023
FEED = "patents"


def _raw(con, year=Y):
    return con.execute(f"select uscc, invention_patents from raw.{FEED} where year = ? order by _row_number",
                       [year]).fetchall()


def test_redelivery_replaces_year_only_and_unchanged_is_noop(ingest_env):
    root, con = ingest_env
    for y in (Y - 1, Y):
        write_feed(root / str(y), FEED, valid_rows(FEED, 3, y))
        assert ingest_feed(con, root, y, FEED).status == "loaded"
    before_other = _raw(con, Y - 1)
    rows = valid_rows(FEED, 2, Y, start=10)
    rows[1]["invention_patents"] = "x"
    write_feed(root / str(Y), FEED, rows)
    res = ingest_feed(con, root, Y, FEED)
    assert (res.status, res.rows_loaded, res.rows_rejected) == ("loaded", 1, 1)
    assert _raw(con) == [(rows[0]["uscc"], int(rows[0]["invention_patents"]))]
    assert _raw(con, Y - 1) == before_other
    again = ingest_feed(con, root, Y, FEED)
    assert (again.status, again.rows_delivered, again.rows_loaded, again.rows_rejected) == ("unchanged", 2, 1, 1)
    assert again.reasons == {"bad_integer": 1}
    assert _raw(con) == [(rows[0]["uscc"], int(rows[0]["invention_patents"]))]
    assert con.execute("select count(*) from quarantine.rejected_rows where year = ?", [Y]).fetchone() == (1,)
    # header-only re-delivery replaces with none, and clears the year's quarantine rows
    write_feed(root / str(Y), FEED, [])
    res = ingest_feed(con, root, Y, FEED)
    assert (res.status, res.rows_delivered) == ("loaded", 0)
    assert _raw(con) == [] and _raw(con, Y - 1) == before_other
    assert con.execute("select count(*) from quarantine.rejected_rows where year = ?", [Y]).fetchone() == (0,)
    for d, ld, r in con.execute("select rows_delivered, rows_loaded, rows_rejected from quarantine.delivery_ledger").fetchall():
        assert d == ld + r


def _broken(folder: Path, kind: str) -> str:
    if kind == "missing_column":
        write_feed(folder, FEED, valid_rows(FEED, 2, Y), columns=["uscc"])
        return "missing required column invention_patents (有效发明专利数)"
    if kind == "undecodable":
        (folder / f"{FEED}.csv").write_bytes("uscc,invention_patents\n".encode() + b"\xff\xfe\x80\x81,1\n")
        return "cannot decode as UTF-8 or GB18030"
    if kind == "duplicated_column":
        write_feed(folder, FEED, [["a", "1", "2"]], headers=["uscc", "有效发明专利数", "INVENTION_PATENTS"])
        return "column invention_patents given 2 times"
    if kind == "csv_and_xlsx":
        write_feed(folder, FEED, valid_rows(FEED, 1, Y), fmt="xlsx")
        write_feed(folder, FEED, valid_rows(FEED, 1, Y))
        return "feed delivered more than once"
    if kind == "empty":
        (folder / f"{FEED}.csv").write_bytes(b"")
        return "empty file"
    if kind == "binary":
        (folder / f"{FEED}.csv").write_bytes(b"\x00\x01\x02binary")
        return "binary content"
    if kind == "fake_xlsx":
        (folder / f"{FEED}.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
        return ".xlsx"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["missing_column", "undecodable", "duplicated_column", "csv_and_xlsx", "empty",
                                  "binary", "fake_xlsx"])
def test_broken_redelivery_is_refused_and_keeps_previous_load(ingest_env, kind):
    root, con = ingest_env
    folder = root / str(Y)
    rows = valid_rows(FEED, 3, Y)
    write_feed(folder, FEED, rows)
    ingest_feed(con, root, Y, FEED)
    good = _raw(con)
    (folder / f"{FEED}.csv").unlink()
    expected = _broken(folder, kind)
    with pytest.raises(DeliveryRefused) as ei:
        ingest_feed(con, root, Y, FEED)
    assert FEED in str(ei.value) and expected in str(ei.value)
    assert _raw(con) == good
    led = con.execute("""select status, rows_delivered, rows_loaded, rows_rejected, message from quarantine.delivery_ledger
                         order by loaded_at""").fetchall()
    assert led[-1][:4] == ("refused", 0, 0, 0) and expected in led[-1][4]


def test_preflight(ingest_env, tmp_path):
    root, con = ingest_env
    write_required(root, Y, skip=("tax_payments",))
    (root / str(Y) / "~$notes.xlsx").write_bytes(b"lock")
    (root / str(Y) / "tax_payments.xls").write_bytes(b"old excel")
    with pytest.raises(MissingRequiredFeeds) as ei:
        preflight(root, Y)
    assert "tax_payments.csv|.xlsx" in str(ei.value) and str(root / str(Y)) in str(ei.value)
    assert "tax_payments.xls is not a .csv/.xlsx file" in str(ei.value)
    # nothing was written: the database has no tables yet
    assert con.execute("select count(*) from duckdb_tables()").fetchone() == (0,)
    with pytest.raises(MissingRequiredFeeds):
        preflight(root, Y + 5)
    write_feed(root / str(Y), "tax_payments", valid_rows("tax_payments", 1, Y), file_name="TAX_PAYMENTS.CSV")
    assert sorted(preflight(root, Y)) == ["tax_payments.xls", "~$notes.xlsx"]
    assert find_deliveries(root, Y)["tax_payments"].name == "TAX_PAYMENTS.CSV"
    write_feed(root / str(Y), "parks", valid_rows("parks", 1, Y))
    with pytest.raises(MissingRequiredFeeds, match="park_members"):
        preflight(root, Y)
    # an absent optional feed is not a delivery
    assert ingest_feed(con, root, Y, "talents").status == "absent"
    assert con.execute("select count(*) from quarantine.delivery_ledger").fetchone() == (0,)


def test_parsing_details(ingest_env):
    root, con = ingest_env
    folder = root / str(Y)
    folder.mkdir(parents=True)
    r = valid_rows("audit_findings", 3, Y)
    hdr = " subject_id ,FEED,数据来源 ".split(",")[:2] + ["记录主键", "field", "上报值", "核实值", "核实日期", "", "note"]
    lines = [",".join(hdr)]
    a = r[0]
    lines.append(f'{a["subject_id"]},Land_Parcels,"multi\nline key",f,1,2,{Y}/3/5,e1,n1')   # row 1, quoted newline
    lines.append("")                                                                         # row 2 blank line
    lines.append(f'{r[1]["subject_id"]},stats_enterprise_annual,k,f,1,2,{Y}0305,,')          # row 3
    lines.append(f'{r[2]["subject_id"]},land_ledger,k2,f,1,2,{Y}-3-5,,')                     # row 4 bad_date
    (folder / "audit_findings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = ingest_feed(con, root, Y, "audit_findings")
    assert (res.rows_delivered, res.rows_loaded, res.rows_rejected) == (3, 2, 1)
    got = con.execute("""select _row_number, feed, record_key, verified_on, _extra from raw.audit_findings
                         order by _row_number""").fetchall()
    assert [g[:4] for g in got] == [(1, "land_parcels", "multi\nline key", __import__("datetime").date(Y, 3, 5)),
                                    (3, "stats_enterprise_annual", "k", __import__("datetime").date(Y, 3, 5))]
    assert '"column#8":"e1"' in got[0][4] and '"note":"n1"' in got[0][4]
    assert con.execute("select row_number, reason from quarantine.rejected_rows").fetchall() == [(4, "bad_date")]
