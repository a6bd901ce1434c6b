"""Who issues a document and for how long it is posted (seeds/policy/publication.csv), and the
policy seeds the documents read.

`seed_rows(con, name)` reads a seed as the database holds it (reference.<name>, what the run that
built the marts used) and falls back to the CSV in seeds/ when the database has no copy (an older
warehouse, or no database at all: the worklists are written without one). Rows keep the seed's order.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass

import duckdb

from orchestration import policy_years, settings


@dataclass(frozen=True)
class Office:
    level: str            # province / city / county
    name: str             # 发布单位, placeholders filled
    publicity_days: int   # 公示期 in calendar days


def _seed_file(name: str):
    found = sorted(settings.SEEDS_DIR.rglob(f"{name}.csv"))
    if not found:
        raise LookupError(f"seed {name} not found under {settings.SEEDS_DIR}")
    return found[0]


def seed_rows(con, name: str) -> list[dict]:
    """The rows of seed `name` as dicts, in the seed's row order."""
    if con is not None:
        try:
            cur = con.execute(f'select * from reference."{name}" order by rowid')
        except duckdb.Error:    # CatalogException: no copy in this database
            pass
        else:
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r)) for r in cur.fetchall()]
    with open(_seed_file(name), encoding="utf-8", newline="") as fh:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(fh)]


def county_names(con=None) -> dict[str, dict]:
    """county_code -> {county_name, city_name} from ref_counties."""
    return {str(r["county_code"]): r for r in seed_rows(con, "ref_counties")}


def office(con, level: str, county_code: str | None = None, year: int | None = None) -> Office:
    """The issuing office of `level` for a document about `year` (the seed row valid in that year);
    {city_name}/{county_name} are filled for `county_code`. Without a year, the level must have one row."""
    rows = seed_rows(con, "publication")
    if year is not None:
        row = policy_years.row_for_year(rows, int(year), "publication", "level", level)
    else:
        mine = [r for r in rows if r["level"] == level]
        if not mine:
            raise LookupError(f"seeds/policy/publication.csv has no row for level {level!r} "
                              f"(levels: {', '.join(dict.fromkeys(r['level'] for r in rows))})")
        if len(mine) > 1:
            raise LookupError(f"seeds/policy/publication.csv has {len(mine)} rows for level {level!r} "
                              "(several year ranges): say which year the document is about")
        row = mine[0]
    name = row["office_name"]
    if "{" in name:
        county = county_names(con).get(str(county_code), {}) if county_code else {}
        name = name.format(city_name=county.get("city_name") or "", county_name=county.get("county_name") or "")
    return Office(level, name, int(row["publicity_days"]))
