"""What the year report shows, read from the public schemas (marts, audit, reference) only.

One function per section, each returning plain rows (dicts), so the charts, the tables and the
tests all see the same numbers. Nothing here re-computes a grade, score or list: those are read
from the marts. The county indicators of the year-over-year section are aggregates of the marts'
measures over graded subjects, Σ numerator / Σ denominator over the subjects whose indicator is
not null (the aggregate R-SCORE-2 uses for benchmarks), because no mart carries them for every
county (leaderboard_counties holds only the counties of the province's incentive list).
"""
from __future__ import annotations

import math

import duckdb

from orchestration import issuing, towns

CATEGORY_NAMES = {
    "industrial_above": "规上工业",
    "industrial_below": "规下工业",
    "services": "服务业及其他",
}
STAGE_NAMES = {"initial": "调整前 (R-GRADE-1)", "final": "调整后 (最终等级)"}

# indicator -> (Chinese name, unit, numerator, denominator) over subject_evaluation's measures
COUNTY_INDICATORS = {
    "tax_per_mu": ("亩均税收", "万元/亩", "tax_wan", "area_mu"),
    "value_added_per_mu": ("亩均增加值", "万元/亩", "value_added_wan", "area_mu"),
    "revenue_per_mu": ("亩均营业收入", "万元/亩", "revenue_wan", "area_mu"),
    "energy_productivity": ("单位能耗增加值", "万元/吨标煤", "value_added_wan", "energy_tce"),
    "labour_productivity": ("全员劳动生产率", "万元/人", "value_added_wan", "avg_employees"),
    "rd_intensity": ("R&D经费占营业收入比", "比例", "rd_expense_wan", "revenue_wan"),
}


class ReportDataError(LookupError):
    """The warehouse cannot give a report for that year (no evaluation, schema missing)."""


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [r["year"] for r in rows(con, "select distinct year from marts.subject_evaluation order by year")]


def check_year(con: duckdb.DuckDBPyConnection, year: int) -> None:
    try:
        have = years(con)
    except duckdb.CatalogException as exc:
        raise ReportDataError(f"the file holds no marts.subject_evaluation ({exc}); run `mujun run` first") from None
    if year not in have:
        raise ReportDataError(f"no evaluation for {year} in the warehouse; years available: "
                              f"{', '.join(map(str, have)) or 'none'}")


def county_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {r["county_code"]: r["county_name"]
            for r in rows(con, "select county_code, county_name from reference.ref_counties")}


def sector_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """sector_code -> its Chinese name, ref_sectors.name_zh (the name the leader lists carry as
    sector_name); the seed CSV when the file has no reference copy."""
    return {r["sector_code"]: r["name_zh"] for r in issuing.seed_rows(con, "ref_sectors")}


def thresholds(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """The tax-per-mu floors of R-GRADE-2 (D) and R-GRADE-4 (A/B), from the policy seed."""
    got = {r["parameter"]: float(r["value"]) for r in rows(
        con, "select parameter, value from reference.policy_grade_thresholds")}
    for p in ("tax_per_mu_floor_d", "tax_per_mu_floor_ab"):
        if p not in got:
            raise ReportDataError(f"reference.policy_grade_thresholds has no {p} (seeds/policy/policy_grade_thresholds.csv)")
    return got


def grade_shares(con: duckdb.DuckDBPyConnection, year: int) -> list[dict]:
    """marts.grade_summary of the year: both stages, every grade, with readable labels; county_label
    names the city too when the year spans more than one (杭州市 萧山区)."""
    names = county_names(con)
    cities = {r["county_code"]: r["city_name"]
              for r in rows(con, "select county_code, city_name from reference.ref_counties")}
    out = rows(con, """
        select county_code, category, stage, grade, subjects, graded_subjects, share
        from marts.grade_summary where year = ?
        order by county_code, category, stage desc, grade""", [year])
    several = len({cities.get(r["county_code"]) for r in out}) > 1
    for r in out:
        r["county"] = f"{names.get(r['county_code'], r['county_code'])}"
        r["city_name"] = cities.get(r["county_code"]) or "—"
        r["county_label"] = f"{r['city_name']} {r['county']}" if several else r["county"]
        r["category_name"] = CATEGORY_NAMES.get(r["category"], r["category"])
        r["stage_name"] = STAGE_NAMES.get(r["stage"], r["stage"])
        r["share"] = float(r["share"]) if r["share"] is not None else 0.0
    return out


def grade_shares_by_city(shares: list[dict]) -> list[dict]:
    """The county rows of grade_shares summed per city (Σ subjects / Σ graded subjects), for the
    province overview: rows of the same shape, county_label = the city's name."""
    by: dict[tuple, dict] = {}
    per_county: dict[tuple, int] = {}     # graded_subjects is repeated on every grade row of a county
    for r in shares:
        key = (r["city_name"], r["category"], r["stage"], r["grade"])
        got = by.setdefault(key, {"city_name": r["city_name"], "county_label": r["city_name"],
                                  "category": r["category"], "category_name": r["category_name"],
                                  "stage": r["stage"], "stage_name": r["stage_name"], "grade": r["grade"],
                                  "subjects": 0, "counties": 0})
        got["subjects"] += int(r["subjects"] or 0)
        got["counties"] += 1
        per_county[(r["city_name"], r["category"], r["stage"], r["county_code"])] = int(r["graded_subjects"] or 0)
    graded: dict[tuple, int] = {}
    for (city, category, stage, _), n in per_county.items():
        graded[(city, category, stage)] = graded.get((city, category, stage), 0) + n
    out = list(by.values())
    for r in out:
        total = graded.get((r["city_name"], r["category"], r["stage"]), 0)
        r["graded_subjects"] = total
        r["share"] = r["subjects"] / total if total else 0.0
    return out


def tax_per_mu_bins(con: duckdb.DuckDBPyConnection, year: int, bin_width: float, cap: float) -> list[dict]:
    """Histogram of graded subjects' tax_per_mu per category: bins [lo, lo + width) from 0 to cap,
    and one open bin (open_ended, ≥ cap) holding the long tail. Negative values count in the first bin.

    Binned here, not in the browser, so a province-sized year stays a few hundred rows.
    """
    cap = max(bin_width, math.ceil(cap / bin_width) * bin_width)
    out = rows(con, """
        with v as (
            select category, least(greatest(tax_per_mu, 0), ?) as x
            from marts.subject_evaluation
            where year = ? and excluded_reason is null and tax_per_mu is not null
        )
        select category, floor(x / ?) * ? as bin_start, count(*) as subjects
        from v group by category, bin_start order by category, bin_start""",
               [cap, year, bin_width, bin_width])
    for r in out:
        r["bin_start"] = float(r["bin_start"])
        r["open_ended"] = r["bin_start"] >= cap
        r["bin_end"] = None if r["open_ended"] else r["bin_start"] + bin_width
        r["category_name"] = CATEGORY_NAMES.get(r["category"], r["category"])
    return out


def county_indicators(con: duckdb.DuckDBPyConnection, year: int) -> list[dict]:
    """Per county, each indicator of COUNTY_INDICATORS in Y-1 and Y, and the relative change."""
    names = county_names(con)
    parts = []
    for ind, (_, _, num, den) in COUNTY_INDICATORS.items():
        parts.append(f"""
            select year, county_code, '{ind}' as indicator,
                   sum({num}) / nullif(sum({den}), 0) as value, count(*) as subjects
            from marts.subject_evaluation
            where year in (?, ?) and excluded_reason is null and {ind} is not null
            group by year, county_code""")
    params = [year - 1, year] * len(COUNTY_INDICATORS)
    got = rows(con, " union all ".join(parts), params)
    by_key = {(r["county_code"], r["indicator"], r["year"]): r for r in got}
    out = []
    for county in sorted({r["county_code"] for r in got}):
        for ind, (zh, unit, _, _) in COUNTY_INDICATORS.items():
            now = by_key.get((county, ind, year))
            prev = by_key.get((county, ind, year - 1))
            v, p = (now or {}).get("value"), (prev or {}).get("value")
            change = (v / p - 1) if v is not None and p not in (None, 0) and p > 0 else None
            out.append({"county_code": county, "county": names.get(county, county), "indicator": ind,
                        "indicator_name": zh, "unit": unit, "value": v, "value_prev": p,
                        "change": change})
    return out


def leader_lists(con: duckdb.DuckDBPyConnection, year: int, top: int = 10) -> list[dict]:
    """The seven lists of reference.leader_lists: seats, listed, shortfall (with its reason) and the
    first `top` places."""
    lists = rows(con, """select list_code, list_kind, park_type, list_size, name_zh
                         from reference.leader_lists order by list_kind desc, list_code""")
    short = {r["list_code"]: r for r in rows(con, """
        select list_code, seats, candidates, listed, shortfall, reason
        from marts.leaderboard_shortfalls where year = ? and level = 'list'""", [year])}
    short_classes = rows(con, """
        select list_code, class_code, seats, candidates, listed, shortfall, reason
        from marts.leaderboard_shortfalls where year = ? and level = 'class'
        order by list_code, class_code""", [year])
    out = []
    for lst in lists:
        code, kind = lst["list_code"], lst["list_kind"]
        if kind == "enterprise":
            listed = rows(con, """select rank, subject_id, subject_name, sector_name, county_name, grade, score
                                  from marts.leaderboard_enterprises where year = ? and list = ?
                                  order by rank""", [year, code])
        elif kind == "park":
            listed = rows(con, """select rank, park_id, park_name, park_class_name, county_name, score
                                  from marts.leaderboard_parks where year = ? and park_type = ?
                                  order by rank""", [year, lst["park_type"]])
        else:
            listed = rows(con, """select county_code, county_name, in_26_counties, subjects, tax_per_mu,
                                         value_added_per_mu
                                  from marts.leaderboard_counties where year = ? order by county_code""", [year])
        s = short.get(code)
        seats = lst["list_size"]
        out.append({
            "list_code": code, "list_kind": kind, "name_zh": lst["name_zh"],
            "seats": int(seats) if seats is not None else None,
            "listed": len(listed),
            "shortfall": int(s["shortfall"]) if s else 0,
            "shortfall_reason": s["reason"] if s else None,
            "candidates": int(s["candidates"]) if s else None,
            "class_shortfalls": [c for c in short_classes if c["list_code"] == code],
            "top": listed[:top],
        })
    return out


def town_quality(con: duckdb.DuckDBPyConnection, year: int) -> list[dict]:
    """audit.town_quality of the year, lowest score first, each town labelled 城厢街道 (330109001)
    by its name in ref_towns (orchestration.towns), or by its code when it has none."""
    out = rows(con, """select town_code, checked_values, failed_values, quality_score
                       from audit.town_quality where year = ? order by quality_score, town_code""", [year])
    names = towns.names(con)
    for r in out:
        r["town_name"] = names.get(r["town_code"])
        r["town"] = towns.labelled(r["town_code"], names)
    return out


def gates(con: duckdb.DuckDBPyConnection, year: int) -> list[dict]:
    return rows(con, """select gate, feed, status, observed, threshold, message, accepted_reason
                        from audit.publication_gates where year = ?
                        order by case status when 'failed' then 0 when 'accepted' then 1 else 2 end, gate""",
                [year])
