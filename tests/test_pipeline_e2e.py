"""End to end: `mujun run` on the built-in county sample, through real Dagster, dbt, GX and DuckDB."""
from __future__ import annotations

import re

import duckdb
import pytest

from orchestration.feeds.contract import FEEDS, REQUIRED_FEEDS


@pytest.fixture(scope="module")
def run(county_run):
    assert county_run["returncode"] == 0, (
        f"mujun run failed\nSTDOUT:\n{county_run['stdout'][-6000:]}\nSTDERR:\n{county_run['stderr'][-6000:]}")
    return county_run


@pytest.fixture(scope="module")
def wh(run):
    con = duckdb.connect(str(run["warehouse"]), read_only=True)
    yield con
    con.close()


def test_run_prints_where_things_are(run):
    out = run["stdout"]
    assert str(run["warehouse"]) in out
    assert str(run["published"]) in out
    assert "mujun dev" in out
    assert "ingest 2021: " in out and " rows loaded" in out  # one progress line per year ingested


def test_a_first_run_reuses_the_prepared_parse(run):
    """A fresh data dir names another warehouse path; dbt still parses only what changed since
    `mujun prepare` (orchestration/dbt_command.py), instead of the whole project again."""
    (log,) = (run["data_dir"] / "logs").glob("run-*.log")
    text = log.read_text(encoding="utf-8")
    assert re.search(r"Found \d+ models", text), text[:3000]          # the build's own log is here
    assert "Unable to do partial parsing" not in text


def test_every_delivery_is_accounted_for(wh):
    rows = wh.execute("""select year, feed, status, rows_delivered, rows_loaded, rows_rejected
                         from quarantine.delivery_ledger""").fetchall()
    assert rows, "no deliveries recorded"
    for year, feed, status, delivered, loaded, rejected in rows:
        assert delivered == loaded + rejected, (year, feed)
        assert status in ("loaded", "unchanged"), (year, feed, status)
    loaded = {(y, f) for y, f, *_ in rows}
    for year in (2020, 2021):
        for feed in FEEDS:
            assert (year, feed.name) in loaded, f"{feed.name} {year} not delivered by the county sample"


def test_raw_row_counts_match_the_ledger(wh):
    for feed in REQUIRED_FEEDS:
        for year in (2020, 2021):
            raw = wh.execute(f"select count(*) from raw.{feed} where year = ?", [year]).fetchone()[0]
            ledger = wh.execute("""select rows_loaded from quarantine.delivery_ledger
                                   where feed = ? and year = ? order by loaded_at desc limit 1""",
                                [feed, year]).fetchone()[0]
            assert raw == ledger > 0, (feed, year)


def test_marts_hold_both_years_with_all_grades(wh):
    rows = dict(wh.execute("""select year, count(*) from marts.subject_evaluation
                              where excluded_reason is null group by year""").fetchall())
    assert set(rows) == {2020, 2021}
    assert all(n > 1000 for n in rows.values()), rows
    grades = {g for (g,) in wh.execute("select distinct grade from marts.subject_evaluation where grade is not null").fetchall()}
    assert grades == {"A", "B", "C", "D"}


def test_no_unmasked_person_id_in_public_schemas(run):
    """Person ids are masked (first 6 + ******** + last 4) in every public table of the published file."""
    con = duckdb.connect(str(run["published"]), read_only=True)
    try:
        columns = con.execute("""select table_schema, table_name, column_name from information_schema.columns
                                 where table_schema in ('marts', 'audit', 'quarantine')
                                   and data_type = 'VARCHAR'""").fetchall()
        assert columns
        for schema, table, col in columns:
            values = con.execute(
                f'select distinct "{col}" from {schema}.{table} where regexp_matches("{col}", \'[0-9]{{17}}[0-9X]\')'
            ).fetchall()
            for (value,) in values:
                # USCCs may be all digits too: only a value passing the GB 11643 check is a person id.
                for m in re.finditer(r"[0-9]{17}[0-9X]", value):
                    assert not _valid_person_id(m.group(0)), f"unmasked person id in {schema}.{table}.{col}"
    finally:
        con.close()


def _valid_person_id(s: str) -> bool:
    """GB 11643: a Zhejiang region (33…), a real birth date and the MOD 11-2 check character."""
    import datetime

    if not s.startswith("33"):
        return False
    try:
        datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(s[:17], weights))
    check = (12 - total % 11) % 11
    return s[17] == ("X" if check == 10 else str(check))
