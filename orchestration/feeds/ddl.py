"""DDL of the tables ingestion owns: raw.<feed>, quarantine.rejected_rows, quarantine.delivery_ledger,
ingest.valid_usccs.

Created from the contract so that dbt sources always exist (also before the first delivery:
`dbt build --empty` and dbt unit tests need their inputs to exist).
"""
from __future__ import annotations

import duckdb

from orchestration.feeds.contract import DUCKDB_TYPES, FEEDS, USCC, Feed
from orchestration.feeds.idchecks import USCC_VALID_DEFINITION

BOOKKEEPING_COLUMNS = (
    ("_extra", "VARCHAR"),        # JSON object of the extra columns of the delivered row
    ("_delivery_id", "VARCHAR"),  # quarantine.delivery_ledger.delivery_id
    ("_row_number", "BIGINT"),    # 1-based data row in the delivered file
)

REJECTED_ROWS_DDL = """
create table if not exists quarantine.rejected_rows (
    delivery_id varchar not null,
    year integer not null,
    feed varchar not null,
    file varchar not null,
    row_number bigint,            -- 1-based data row; null when the whole row could not be framed
    reason varchar not null,      -- reason code, e.g. bad_uscc_check, duplicate_key, other_year
    detail varchar,               -- which column and value, in words
    raw varchar                   -- the row as delivered (JSON, person ids masked)
)
"""

DELIVERY_LEDGER_DDL = """
create table if not exists quarantine.delivery_ledger (
    delivery_id varchar primary key,
    year integer not null,
    feed varchar not null,
    file varchar not null,
    sha256 varchar,
    status varchar not null,      -- loaded | unchanged | refused
    rows_delivered bigint not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    message varchar,              -- why a delivery was refused, or notes
    loaded_at timestamp not null
)
"""


# Every distinct value that ingestion has found to be a valid USCC (shape and check code, the SQL macro
# mujun_uscc_valid of orchestration/feeds/idchecks.py): validity is a function of the string alone,
# and the same ~250,000 enterprises recur in a dozen feeds and in every year, so each is checked once
# (validate.deferred_checks; measured at province scale: 0.18-0.26 of the ~0.3 CPU-s per feed-year).
# Only valid codes are kept: an invalid value (which may be a person id delivered in the wrong column)
# is checked again each time, so no personal data lands here. Each verdict names the definition that
# gave it (idchecks.USCC_VALID_DEFINITION): when the check's SQL changes, the kept verdicts are dropped
# and every code is checked again. Schema `ingest` is never published.
VALID_USCCS_TABLE = "ingest.valid_usccs"
VALID_USCCS_DDL = f"create table if not exists {VALID_USCCS_TABLE} (v varchar not null, definition varchar not null)"


# The compression DuckDB would pick for a text column whose values are known to repeat or not, named
# so that it is not re-derived from a trial of every method on every segment written: that analysis
# was a third of the cost of writing the text columns of a tax file (15 M rows: 6.3 -> 3.9 CPU-s for
# _delivery_id, record_id and uscc, the same 133 MB on disk). A delivery id is one value per delivery
# (dictionary); a column that alone keys its feed never repeats within a year (FSST, as DuckDB picks
# for unique strings); an enterprise code repeats wherever it is not the key (dictionary). Every other
# column is left to DuckDB's own choice.
DICTIONARY, FSST = "dictionary", "fsst"


def _compression(feed: Feed, column: str, kind: str | None) -> str | None:
    if column == "_delivery_id":
        return DICTIONARY
    if kind is None or DUCKDB_TYPES[kind] != "VARCHAR":
        return None
    if feed.key == (column,):
        return FSST
    return DICTIONARY if kind == USCC else None


def raw_table_ddl(feed: Feed) -> str:
    def col(name: str, sql_type: str, kind: str | None = None) -> str:
        method = _compression(feed, name, kind)
        return f'"{name}" {sql_type}' + (f" using compression {method}" if method else "")

    cols = ["year INTEGER NOT NULL"]
    cols += [col(c.name, c.duckdb_type, c.kind) for c in feed.columns]
    cols += [col(n, t) for n, t in BOOKKEEPING_COLUMNS]
    return f"create table if not exists raw.{feed.name} (\n    " + ",\n    ".join(cols) + "\n)"


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists quarantine")
    for feed in FEEDS:
        con.execute(raw_table_ddl(feed))
    con.execute(REJECTED_ROWS_DDL)
    con.execute(DELIVERY_LEDGER_DDL)
    con.execute("create schema if not exists ingest")
    con.execute(VALID_USCCS_DDL)
    con.execute(f"delete from {VALID_USCCS_TABLE} where definition <> ?", [USCC_VALID_DEFINITION])
