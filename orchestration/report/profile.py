"""`mujun profile SUBJECT`: one subject's picture (企业画像) over every year in the warehouse.

Who it is (name, town by its ref_towns name, category, sector by its ref_sectors name), each indicator with its benchmark per year, the grade
history with the rules that moved it, where it stands within its county and category and within
its sector (percentiles, 对标), and its places on the leader lists. The subject is found by USCC,
masked person id (as in the marts) or company name (exact, else a unique part of it); an unknown
or ambiguous name is refused with the candidates. Text on the terminal, or an HTML page with
--html. Reads marts.* and the names in reference.* (the published copy by default).
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration import towns
from orchestration.explain import (
    CATEGORY_LABELS,
    EXCLUSION_REASONS,
    GRADE_RULE_REASONS,
    INDICATOR_LABELS,
)
from orchestration.report import charts
from orchestration.report.data import rows, sector_names
from orchestration.report.page import Page, fmt, table

MAX_CANDIDATES = 10


class SubjectLookupError(LookupError):
    """No subject, or several, answer to what was given."""


def resolve(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """The subject_id meant by `query`: an id as in the marts, an exact name, or a unique part of one."""
    q = query.strip()
    if not q:
        raise SubjectLookupError("give a USCC, a masked person id or a company name")
    if rows(con, "select 1 from marts.subject_evaluation where subject_id = ? limit 1", [q]):
        return q
    for how, cond, param in (("named", "subject_name = ?", q),
                             ("whose name contains", "contains(subject_name, ?)", q)):
        found = rows(con, f"""
            select subject_id, arg_max(subject_name, year) as subject_name, max(year) as year,
                   arg_max(town_code, year) as town_code
            from marts.subject_evaluation where {cond}
            group by subject_id order by subject_name, subject_id""", [param])
        if len(found) == 1:
            return found[0]["subject_id"]
        if len(found) > 1:
            names = towns.names(con)
            listed = "\n".join(f"  {r['subject_id']}  {r['subject_name']}  "
                               f"(town {towns.labelled(r['town_code'], names)}, last {r['year']})"
                               for r in found[:MAX_CANDIDATES])
            more = f"\n  … and {len(found) - MAX_CANDIDATES} more" if len(found) > MAX_CANDIDATES else ""
            raise SubjectLookupError(f"{len(found)} subjects {how} {q!r}; give one of their ids:\n{listed}{more}")
    raise SubjectLookupError(
        f"no subject {q!r} in marts.subject_evaluation (looked for a subject_id, an exact name and a part of "
        "a name; an individual's id must be given masked, as in the mart: first 6 + ******** + last 4)")


@dataclass
class Profile:
    subject_id: str
    identity: dict                  # latest year's row of subject_evaluation
    history: list[dict]             # per year: grades, rules, score, rank
    indicators: list[dict]          # per year × indicator: value, benchmark, score
    percentiles: list[dict]         # latest year, per indicator and total score: within group / sector
    leader_places: list[dict]       # per year × list
    town: str = ""                  # 城厢街道 (330109001), or the code when ref_towns has no name
    town_note: str | None = None    # where town names come from, when this one has none
    sector: str = "—"               # 高端装备 (high_end_equipment), ref_sectors.name_zh


PERCENTILE_FIELDS = list(INDICATOR_LABELS) + ["total_score"]


def load(con: duckdb.DuckDBPyConnection, subject_id: str) -> Profile:
    history = rows(con, """
        select year, subject_name, county_code, town_code, category, sector, area_mu, total_score,
               tax_per_mu, value_added_per_mu, energy_productivity, emission_productivity, labour_productivity,
               rd_intensity, revenue_per_mu, tax_per_kwh,
               rank_in_group, group_size, initial_grade, grade, grade_rules, excluded_reason
        from marts.subject_evaluation where subject_id = ? order by year""", [subject_id])
    if not history:
        raise SubjectLookupError(f"no subject {subject_id!r} in marts.subject_evaluation")
    latest = history[-1]
    indicators = rows(con, """
        select year, indicator, value, benchmark, benchmark_year, score
        from marts.subject_indicator_detail where subject_id = ? order by year, indicator""", [subject_id])
    # Percent rank among the graded subjects of the same group of the latest year: 0 = lowest,
    # 1 = highest. Subjects without a value are not ranked.
    pct = []
    for field in PERCENTILE_FIELDS:
        for scope, part in (("county_category", "county_code, category"), ("sector", "sector")):
            got = rows(con, f"""
                with g as (
                    select subject_id, {field} as v,
                           percent_rank() over (partition by {part} order by {field}) as p,
                           count(*) over (partition by {part}) as n
                    from marts.subject_evaluation
                    where year = ? and excluded_reason is null and {field} is not null
                      and {'sector is not null' if scope == 'sector' else 'true'}
                )
                select v, p, n from g where subject_id = ?""", [latest["year"], subject_id])
            pct.append({"field": field, "scope": scope, "value": got[0]["v"] if got else None,
                        "percentile": got[0]["p"] if got else None, "peers": got[0]["n"] if got else None})
    places = rows(con, """
        select year, list, rank, sector_name, sector_rank, sector_quota, score
        from marts.leaderboard_enterprises where subject_id = ? order by year, list""", [subject_id])
    names = towns.names(con)
    sector = latest["sector"]
    return Profile(subject_id, latest, history, indicators, pct, places,
                   town=towns.labelled(latest["town_code"], names),
                   town_note=towns.missing_note([latest["town_code"]], names),
                   sector=f"{sector_names(con).get(sector, sector)} ({sector})" if sector else "—")


def _label(field: str) -> str:
    if field == "total_score":
        return "总分 total score"
    zh, en, _ = INDICATOR_LABELS[field]
    return f"{zh} {en}"


def _rules_text(r: dict) -> str:
    if r["excluded_reason"]:
        return f"不参加评级 {r['excluded_reason']}: " + EXCLUSION_REASONS.get(r["excluded_reason"], "")
    rules = list(r["grade_rules"] or [])
    if not rules:
        return "无调整 none"
    return "; ".join(f"{x}: " + GRADE_RULE_REASONS.get(x, x).format(tpm=fmt(r["tax_per_mu"], 4)) for x in rules)


def _indicator_table(p: Profile) -> list[dict]:
    """Every indicator of every year: the value from subject_evaluation, the benchmark and score from
    subject_indicator_detail (indicators that are not scored have no benchmark)."""
    by = {(d["year"], d["indicator"]): d for d in p.indicators}
    out = []
    for ind, (zh, _, unit) in INDICATOR_LABELS.items():
        for h in p.history:
            d = by.get((h["year"], ind), {})
            out.append({"indicator": ind, "indicator_name": zh, "unit": unit, "year": h["year"],
                        "value": h[ind], "benchmark": d.get("benchmark"), "benchmark_year": d.get("benchmark_year"),
                        "score": d.get("score")})
    return out


def text(p: Profile) -> str:
    s = p.identity
    lines = [f"企业画像 profile: {p.subject_id}  {s['subject_name'] or ''}".rstrip(),
             (f"  县 county {s['county_code']};  镇街 town {p.town};  "
             f"类别 category {CATEGORY_LABELS.get(s['category'], s['category'])};  行业 sector {p.sector}"),
             *([f"  ({p.town_note})"] if p.town_note else []),
             f"  years in the warehouse: {', '.join(str(h['year']) for h in p.history)}", "",
             "等级历史 grade history:"]
    for h in p.history:
        rank = f"rank {h['rank_in_group']}/{h['group_size']}" if h["rank_in_group"] else "not ranked"
        lines.append(f"  {h['year']}: {h['initial_grade'] or '—'} → {h['grade'] or '—'}  "
                     f"(score {fmt(h['total_score'], 4)}, {rank})  {_rules_text(h)}")
    lines += ["", "指标与基准值 indicators and benchmarks (value / benchmark → score):"]
    table_rows = _indicator_table(p)
    for ind, (zh, en, unit) in INDICATOR_LABELS.items():
        cells = [f"{r['year']}: {fmt(r['value'], 4)} / {fmt(r['benchmark'], 4)} → {fmt(r['score'], 2)}"
                 for r in table_rows if r["indicator"] == ind]
        if cells:
            lines.append(f"  {zh} {en} ({unit}): " + ";  ".join(cells))
    lines += ["", f"对标 percentiles in {s['year']} (0 = lowest, 100 = highest among graded peers):"]
    for field in PERCENTILE_FIELDS:
        cc = next(x for x in p.percentiles if x["field"] == field and x["scope"] == "county_category")
        se = next(x for x in p.percentiles if x["field"] == field and x["scope"] == "sector")
        lines.append(f"  {_label(field)}: county & category {_pct(cc)};  sector {_pct(se)}")
    lines += ["", "领跑者名单 leader-list places:"]
    if p.leader_places:
        for r in p.leader_places:
            lines.append(f"  {r['year']} {r['list']}: rank {r['rank']} (sector {r['sector_name']} "
                         f"{r['sector_rank']}/{r['sector_quota']}), score {fmt(r['score'], 4)}")
    else:
        lines.append("  none")
    return "\n".join(lines)


def _pct(x: dict) -> str:
    if x["percentile"] is None:
        return "—"
    return f"P{100 * x['percentile']:.0f} of {x['peers']}"


def html(p: Profile, source: str = "") -> str:
    s = p.identity
    page = Page(title=f"企业画像 {s['subject_name'] or p.subject_id}",
                subtitle=f"{p.subject_id} · 数据来源 {source or 'warehouse'}")
    page.add("基本情况 Subject",
             table([("k", "项目"), ("v", "值")], [
                 {"k": "评价主体 subject", "v": p.subject_id}, {"k": "名称 name", "v": s["subject_name"]},
                 {"k": "县 county", "v": s["county_code"]},
                 {"k": "镇街 town", "v": p.town + (f"（{p.town_note}）" if p.town_note else "")},
                 {"k": "类别 category", "v": CATEGORY_LABELS.get(s["category"], s["category"])},
                 {"k": "行业 sector", "v": p.sector},
                 {"k": "年度 years", "v": ", ".join(str(h["year"]) for h in p.history)}]), anchor="subject")
    ind_rows = _indicator_table(p)
    series = []
    for r in ind_rows:
        series.append({"indicator_name": r["indicator_name"], "year": r["year"], "series": "本企业 subject",
                       "amount": r["value"]})
        series.append({"indicator_name": r["indicator_name"], "year": r["year"], "series": "基准值 benchmark",
                       "amount": r["benchmark"]})
    series = [x for x in series if x["amount"] is not None]
    page.add("指标与基准值 Indicators and benchmarks",
             page.chart("indicators", charts.indicator_history(series)) if series
             else '<p class="empty">无指标 no indicators</p>',
             table([("indicator_name", "指标"), ("unit", "单位"), ("year", "年度"), ("value", "值"),
                    ("benchmark", "基准值"), ("benchmark_year", "基准年"), ("score", "得分")], ind_rows),
             anchor="indicators")
    page.add("等级历史 Grade history",
             table([("year", "年度"), ("initial_grade", "初始等级"), ("grade", "最终等级"), ("total_score", "总分"),
                    ("rank", "排名"), ("rules", "调整规则")],
                   [{**h, "rank": f"{h['rank_in_group']}/{h['group_size']}" if h["rank_in_group"] else "—",
                     "rules": _rules_text(h)} for h in p.history]), anchor="grades")
    page.add(f"对标 Percentiles ({s['year']})",
             '<p class="note">在已评等级的同县同类别主体中、在同行业 (ref_sectors) 主体中的百分位 (0 最低, 100 最高)。</p>',
             table([("label", "指标"), ("cc", "同县同类别"), ("sector", "同行业")],
                   [{"label": _label(f),
                     "cc": _pct(next(x for x in p.percentiles if x["field"] == f and x["scope"] == "county_category")),
                     "sector": _pct(next(x for x in p.percentiles if x["field"] == f and x["scope"] == "sector"))}
                    for f in PERCENTILE_FIELDS]), anchor="percentiles")
    page.add("领跑者名单 Leader-list places",
             table([("year", "年度"), ("list", "名单"), ("rank", "名次"), ("sector_name", "行业"),
                    ("sector_rank", "行业名次"), ("score", "得分")], p.leader_places,
                   empty="未入选领跑者名单 not on a leader list"), anchor="leaders")
    return page.render()
