"""What each population suite validates: one batch per suite and data year, read by GX in DuckDB.

A structural batch is raw.<feed> of one year as ingestion loaded it (the columns of the contract),
plus the columns that name a failing record for an auditor: `subject` (the feed's subject column,
person ids masked), `enterprise_name` and `town` (from the registry of the same year) and
`file_row` (the row of the delivered file). The marts batch is marts.subject_evaluation of one year
with the same naming columns. The queries select rows; they derive no rule (the rules live in dbt).

min_rows (R-AUDIT-2, `rows_not_near_empty`): max(suite_min_rows, ceil(share x rows of Y-1)) for
required feeds and the mart, so an empty or near-empty year fails its suite.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from orchestration import masking
from orchestration.audit import suites as S
from orchestration.feeds import contract as fc

IDENTITY_COLUMNS = ["subject", "enterprise_name", "town", "file_row"]


@dataclass(frozen=True)
class Batch:
    suite: str
    year: int
    base: str                         # the rows the expectations count (with file_row)
    query: str                        # the same rows with the columns that name them (IDENTITY_COLUMNS)
    index_columns: tuple[str, ...]
    min_rows: int | None = None       # None: no row-count expectation in this suite

    @property
    def name(self) -> str:
        return f"{self.suite}_{self.year}"


def subject_column(feed: fc.Feed) -> str:
    """The column that names the subject a row belongs to (first USCC or subject id of the contract)."""
    for c in feed.columns:
        if c.kind in (fc.USCC, fc.SUBJECT):
            return c.name
    raise ValueError(f"feed {feed.name} has no subject column")


def structural_base(feed_name: str, year: int) -> str:
    feed = fc.feed(feed_name)
    cols = ", ".join(f'"{c}"' for c in ["year", *feed.column_names])
    return f"select {cols}, _row_number as file_row from raw.{feed_name} where year = {int(year)}"


def structural_query(feed_name: str, year: int) -> str:
    feed = fc.feed(feed_name)
    cols = ", ".join(f'f."{c}"' for c in ["year", *feed.column_names])
    subject_col = subject_column(feed)
    subject = f'f."{subject_col}"'
    shown = subject      # a USCC column is shown as it is (an all-digit USCC has the shape of a person id)
    if feed_name == "registry_enterprises":
        names = "f.name as enterprise_name, f.town_code as town"
        join = ""
    else:
        if feed.column(subject_col).kind == fc.SUBJECT:   # a person unless it is a registered enterprise
            shown = f"(case when r.uscc is null then {masking.sql_mask_text(subject)} else {subject} end)"
        town = "coalesce(r.town_code, f.town_code)" if "town_code" in feed.column_names else "r.town_code"
        names = f"r.name as enterprise_name, {town} as town"
        # one registry row per uscc, so that a duplicated registry key cannot multiply this feed's rows
        join = (f"left join (select year, uscc, min(name) as name, min(town_code) as town_code "
                f"from raw.registry_enterprises where year = {int(year)} group by year, uscc) r "
                f"on r.year = f.year and r.uscc = {subject}")
    return (f"select {cols}, {shown} as subject, {names}, f._row_number as file_row "
            f"from raw.{feed_name} f {join} where f.year = {int(year)}")


def marts_query(year: int) -> str:
    return ("select year, subject_id, subject_key, subject_kind, town_code, area_mu, grade, excluded_reason, "
            "subject_key as subject, subject_name as enterprise_name, town_code as town, "
            "cast(null as bigint) as file_row "
            f"from marts.subject_evaluation where year = {int(year)}")


def _min_rows(previous_rows: int | None, params: dict[str, float]) -> int:
    floor = int(params["suite_min_rows"])
    if not previous_rows:
        return floor
    return max(floor, math.ceil(params["suite_min_share_of_previous_year"] * previous_rows))


def population_batches(con, params: dict[str, float], years: list[int] | None = None,
                       by_year: dict[int, dict[str, float]] | None = None) -> list[Batch]:
    """Every population batch of the years (default: every year of the mart and the raw feeds); the
    row floors of year Y from by_year[Y] (the audit parameters valid in Y) when given, else `params`."""
    counts: dict[tuple[str, int], int] = {}
    for feed_name in S.STRUCTURAL_FEEDS:
        for y, n in con.execute(f"select year, count(*) from raw.{feed_name} group by year").fetchall():
            counts[(S.structural_suite_name(feed_name), int(y))] = int(n)
    for y, n in con.execute("select year, count(*) from marts.subject_evaluation group by year").fetchall():
        counts[(S.MARTS_SUITE, int(y))] = int(n)
    all_years = sorted({y for _, y in counts})
    chosen = sorted(int(y) for y in years) if years else all_years
    batches = []
    for y in chosen:
        year_params = (by_year or {}).get(y, params)
        for feed_name in S.STRUCTURAL_FEEDS:
            feed = fc.feed(feed_name)
            suite = S.structural_suite_name(feed_name)
            batches.append(Batch(
                suite, y, structural_base(feed_name, y), structural_query(feed_name, y),
                tuple(IDENTITY_COLUMNS + [k for k in feed.key if k not in IDENTITY_COLUMNS]),
                _min_rows(counts.get((suite, y - 1)), year_params) if feed.required else None))
        batches.append(Batch(S.MARTS_SUITE, y, marts_query(y), marts_query(y), tuple(IDENTITY_COLUMNS),
                             _min_rows(counts.get((S.MARTS_SUITE, y - 1)), year_params)))
    return batches
