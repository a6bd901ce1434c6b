"""Ingestion reads the delivered file again in each pass (reader.stage_csv: nothing is copied into
DuckDB), with DuckDB's CSV buffers sized from the file's longest record (limits.duckdb_csv_sizes):
once for a clean delivery, twice for one with rejected rows.

A record several times longer than the 1 MiB floor must still be read whole, in every pass, with
the row numbers of the file; and a file with unframeable records must number and reject the same
rows in every pass."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_feeds import valid_rows, write_feed  # noqa: E402

from orchestration.feeds import limits  # noqa: E402
from orchestration.feeds.loader import ingest_feed  # noqa: E402

YEAR = 2022
MiB = 1024 * 1024


def test_buffers_follow_the_longest_record():
    assert limits.duckdb_csv_sizes(100) == (MiB, 4 * MiB)                     # the floor
    assert limits.duckdb_csv_sizes(3 * MiB) == (6 * MiB + 2, 24 * MiB + 8)
    # a converted copy (xlsx, GB18030) may have grown: the general limits
    assert limits.duckdb_csv_sizes(None) == (limits.duckdb_max_line_size(), limits.duckdb_buffer_size())


@pytest.mark.parametrize("quoted_newlines", [False, True])
def test_a_record_far_longer_than_the_buffer_floor_is_read_whole(ingest_env, quoted_newlines):
    root, con = ingest_env
    rows = valid_rows("registry_enterprises", 40, YEAR)
    line = "名" * (MiB + 1)                      # 3 MiB of UTF-8 in one cell
    rows[20]["name"] = ("\n".join([line[:MiB], line[MiB:]]) if quoted_newlines else line)
    rows[30]["uscc"] = "not an id"                # a rejected row after the long one keeps its number
    write_feed(root / str(YEAR), "registry_enterprises", rows)
    res = ingest_feed(con, root, YEAR, "registry_enterprises")
    assert (res.status, res.rows_delivered, res.rows_loaded, res.rows_rejected) == ("loaded", 40, 39, 1)
    name, n = con.execute("""select name, _row_number from raw.registry_enterprises
                             where length(name) > 1000""").fetchone()
    assert (len(name.replace("\n", "")), n) == (MiB + 1, 21)
    assert con.execute("select row_number, reason from quarantine.rejected_rows").fetchall() == \
        [(31, "bad_id_format")]
    assert [r[0] for r in con.execute("select _row_number from raw.registry_enterprises order by 1").fetchall()] \
        == [i for i in range(1, 41) if i != 31]


def test_unframeable_records_are_skipped_alike_by_every_pass(ingest_env):
    root, con = ingest_env
    rows = valid_rows("tax_payments", 30, YEAR)
    path = write_feed(root / str(YEAR), "tax_payments", rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] += ",an extra field"                 # data row 5: too many fields
    lines[12] = lines[12].split(",")[0]           # data row 12: one field
    lines[20] = lines[20] + lines[20]             # data row 20: two records glued together
    lines[25] = lines[25].replace(",", ",x", 1)   # data row 25: framed, its uscc is wrong
    lines[28] = '"q"' + lines[28]                 # data row 28: text after a closing quote
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1], encoding="utf-8")   # no final newline
    res = ingest_feed(con, root, YEAR, "tax_payments")
    rejected = con.execute("select row_number, reason from quarantine.rejected_rows order by 1").fetchall()
    assert [r for r in rejected if r[1] == "malformed_row"] == [(5, "malformed_row"), (12, "malformed_row"),
                                                                (20, "malformed_row"), (28, "malformed_row")]
    assert (25, "bad_id_format") in rejected
    assert res.rows_delivered == 30 == res.rows_loaded + res.rows_rejected
    loaded = [r[0] for r in con.execute("select _row_number from raw.tax_payments order by 1").fetchall()]
    assert loaded == [i for i in range(1, 31) if i not in {5, 12, 20, 25, 28}]
    # the last record, without its newline and after a stray quote, is loaded by the insert pass too
    # (DuckDB's ignore_errors was seen to drop it)
    assert con.execute("select record_id from raw.tax_payments where _row_number = 30").fetchone()[0] == \
        rows[29]["record_id"]


def _bytes_duckdb_read(con, path: Path) -> int:
    """Bytes of ``path`` DuckDB read since its FileSystem log was enabled (duckdb_logs)."""
    events = [json.loads(m) for (m,) in con.execute(
        "select message from duckdb_logs where type = 'FileSystem'").fetchall()]
    return sum(int(e["bytes"]) for e in events if e.get("op") == "READ" and e.get("path") == str(path))


def test_a_clean_delivery_is_read_once_and_one_with_rejected_rows_twice(ingest_env):
    root, con = ingest_env
    rows = valid_rows("tax_payments", 200, YEAR)
    path = write_feed(root / str(YEAR), "tax_payments", rows)
    con.execute("call enable_logging('FileSystem')")
    res = ingest_feed(con, root, YEAR, "tax_payments")
    assert (res.rows_loaded, res.rows_rejected) == (200, 0)
    assert _bytes_duckdb_read(con, path) == path.stat().st_size      # one pass: the insert itself

    rows[150] = {**rows[150], "amount_yuan": "12万"}                   # one rejected row: a second pass
    path = write_feed(root / str(YEAR), "tax_payments", rows)
    con.execute("call truncate_duckdb_logs()")
    res = ingest_feed(con, root, YEAR, "tax_payments")
    assert (res.rows_loaded, res.rows_rejected, res.reasons) == (199, 1, {"bad_number": 1})
    assert _bytes_duckdb_read(con, path) == 2 * path.stat().st_size
    con.execute("call disable_logging()")
    # the rows the first pass wrote under year -Y for the second pass to find are never committed
    assert con.execute("select count(*), count(*) filter (where year = ?) from raw.tax_payments",
                       [YEAR]).fetchone() == (199, 199)
