"""Policy numbers of the random audit, read from reference.audit_parameters (a dbt seed).

Never literals in code or suites: the suites reference them as GX `$PARAMETER`s.
"""
from __future__ import annotations

import csv
from pathlib import Path

from orchestration import settings

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


def _check(params: dict[str, float], where: str) -> dict[str, float]:
    missing = [p for p in REQUIRED if p not in params]
    if missing:
        raise ValueError(f"audit parameters missing in {where}: {', '.join(missing)}")
    return params


def from_warehouse(con) -> dict[str, float]:
    """The parameters as loaded by `dbt seed` (the warehouse is what the run evaluated)."""
    rows = con.execute(f"select parameter, cast(value as double) from reference.{SEED_NAME}").fetchall()
    return _check({p: float(v) for p, v in rows}, f"reference.{SEED_NAME}")


def from_csv(path: Path = SEED_CSV) -> dict[str, float]:
    with open(path, newline="", encoding="utf-8") as fh:
        return _check({r["parameter"]: float(r["value"]) for r in csv.DictReader(fh)}, str(path))


def load(con) -> dict[str, float]:
    """Warehouse first; the CSV when the seed has not been loaded into this warehouse."""
    try:
        return from_warehouse(con)
    except Exception:  # noqa: BLE001 - table missing (e.g. structural audit on a raw-only warehouse)
        return from_csv()
