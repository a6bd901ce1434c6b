"""Policy numbers of the random audit, read from reference.audit_parameters (a dbt seed).

Never literals in code or suites: the suites reference them as GX `$PARAMETER`s. Every row carries
the years it applies to (valid_from_year / valid_to_year, orchestration/policy_years.py): the sample of
year Y and the suites of year Y use the numbers valid in Y. The cross-department suite validates the
sample of every audited year in one GX run, so its parameters (PER_RUN) must be one number over the
years of a run; years that need different ones are refused (audit them in separate runs).
"""
from __future__ import annotations

import csv
from pathlib import Path

from orchestration import policy_years, settings

SEED_NAME = "audit_parameters"
SEED_CSV = settings.SEEDS_DIR / "policy" / f"{SEED_NAME}.csv"

REQUIRED = (
    "sample_share",
    "sample_min_per_town",
    "tax_revenue_ratio_min",
    "tax_revenue_ratio_max",
    "ledger_area_multiple",
    "land_area_quantile_low",
    "land_area_quantile_high",
    "land_area_range_factor",
    "certificate_max_years",
    "suite_min_rows",
    "suite_min_share_of_previous_year",
)

# $PARAMETERs of the cross_department suite (one GX validation over the sample of every audited year)
PER_RUN = ("tax_revenue_ratio_min", "tax_revenue_ratio_max", "ledger_area_multiple", "certificate_max_years")


def rows_from_warehouse(con) -> list[dict]:
    """The seed as loaded by `dbt seed` (the warehouse is what the run evaluated)."""
    cur = con.execute(f"select * from reference.{SEED_NAME}")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def rows_from_csv(path: Path = SEED_CSV) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(fh)]


def seed_rows(con) -> list[dict]:
    """Warehouse first; the CSV when the seed has not been loaded into this warehouse."""
    try:
        return rows_from_warehouse(con)
    except Exception:  # noqa: BLE001 - table missing (e.g. structural audit on a raw-only warehouse)
        return rows_from_csv()


def for_year(rows: list[dict], year: int) -> dict[str, float]:
    """{parameter: value} valid in `year`; a missing or doubled parameter names seed, parameter, year."""
    return policy_years.params_for_year(rows, year, SEED_NAME, REQUIRED)


def audited_years(con) -> list[int]:
    """Every year an audit of this warehouse can look at (the mart and the raw feeds)."""
    years: set[int] = set()
    for schema, table in (("marts", "subject_evaluation"), ("raw", "registry_enterprises")):
        try:
            years |= {int(y) for (y,) in con.execute(f"select distinct year from {schema}.{table}").fetchall()}
        except Exception:  # noqa: BLE001 - the table is not in this warehouse
            pass
    return sorted(years)


def by_year(con, years: list[int] | None = None, rows: list[dict] | None = None) -> dict[int, dict[str, float]]:
    """{year: parameters} of the given years (default: every audited year)."""
    rows = seed_rows(con) if rows is None else rows
    return {int(y): for_year(rows, int(y)) for y in (years or audited_years(con))}


def one_run(by_year_params: dict[int, dict[str, float]]) -> dict[str, float]:
    """The flat parameters of one audit run: the latest year's numbers, with the PER_RUN ones checked
    to be one value over all the run's years."""
    if not by_year_params:
        return {}
    shared = policy_years.one_value_over_years(
        by_year_params, PER_RUN, SEED_NAME, "the cross_department suite (one GX validation of every audited year)")
    return {**by_year_params[max(by_year_params)], **shared}


def load(con, year: int | None = None) -> dict[str, float]:
    """The parameters of `year`; without a year, those of one run over every audited year (a seed with
    no year limits: its only numbers)."""
    rows = seed_rows(con)
    if year is not None:
        return for_year(rows, year)
    params = one_run(by_year(con, rows=rows))
    return params or policy_years.params_for_year(
        [r for r in rows if r.get("valid_from_year") is None and r.get("valid_to_year") is None],
        0, SEED_NAME, REQUIRED)
