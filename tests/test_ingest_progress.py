"""Progress lines of a long ingestion: one line when a large file starts and one with its rate when
it is loaded (orchestration.progress.say, shown by `mujun run`); nothing for a small file."""
from __future__ import annotations

import re

import duckdb
import pytest

from orchestration.feeds import loader

YEAR = 2023
HEADER = "record_id,uscc,tax_code,belongs_to,paid_on,deferred,amount_yuan\n"
ROW = "{i:017d},91330106MA2GXX0001,10101,2023-01,2023-01-15,false,{i}.5\n"


@pytest.fixture()
def feeds(tmp_path):
    root = tmp_path / "feeds"
    (root / str(YEAR)).mkdir(parents=True)
    with open(root / str(YEAR) / "tax_payments.csv", "w") as f:
        f.write(HEADER + "".join(ROW.format(i=i) for i in range(1, 2001)))
    return root


def _ingest(tmp_path, feeds, monkeypatch, min_bytes: int):
    monkeypatch.setenv("MUJUN_PROGRESS", "1")
    monkeypatch.setattr(loader, "PROGRESS_MIN_BYTES", min_bytes)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    res = loader.ingest_feed(con, feeds, YEAR, "tax_payments", spill_dir=tmp_path / "spill")
    con.close()
    return res


def test_a_large_file_gets_a_start_line_and_a_rate_line(tmp_path, feeds, monkeypatch, capsys):
    res = _ingest(tmp_path, feeds, monkeypatch, min_bytes=1024)
    out = capsys.readouterr().out
    assert res.rows_delivered == 2000
    lines = [ln for ln in out.splitlines() if "tax_payments.csv" in ln]
    assert len(lines) == 2, out
    assert re.search(r"ingest 2023/tax_payments\.csv: reading 0 MB$", lines[0])
    assert re.search(r"ingest 2023/tax_payments\.csv: 2,000 rows \(\d[\d,]* loaded, \d[\d,]* rejected\), 0 MB in "
                     r"[\d.,]+ s \([\d,]+ rows/s, [\d.,]+ MB/s\)$", lines[1]), lines[1]


def test_a_small_file_keeps_the_terminal_quiet(tmp_path, feeds, monkeypatch, capsys):
    _ingest(tmp_path, feeds, monkeypatch, min_bytes=10 * 1024 * 1024)
    assert "tax_payments" not in capsys.readouterr().out
