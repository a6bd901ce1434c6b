"""Explain one subject's evaluation as a person would read it (rules.md §5 "Every graded subject gets
an explanation").

Reads only the public marts ``marts.subject_evaluation`` and ``marts.subject_indicator_detail``
(whose ``policy_version`` names the policy seed rows, seed@valid_from_year-valid_to_year, behind each
score);
subject ids are taken as they appear there (an individual's person id is masked:
first 6 + ``********`` + last 4).

    >>> import duckdb
    >>> from orchestration.explain import explain
    >>> print(explain(duckdb.connect("warehouse.duckdb", read_only=True), "91330109MA2B00000X", 2021))
"""
from __future__ import annotations

import argparse

import duckdb

INDICATOR_LABELS = {
    "tax_per_mu": ("亩均税收", "tax per mu", "万元/亩"),
    "value_added_per_mu": ("亩均增加值", "value added per mu", "万元/亩"),
    "energy_productivity": ("单位能耗增加值", "value added per tce", "万元/吨标煤"),
    "emission_productivity": ("单位排放增加值", "value added per pollution equivalent", "万元/当量"),
    "labour_productivity": ("全员劳动生产率", "value added per employee", "万元/人"),
    "rd_intensity": ("R&D占比", "R&D intensity", "R&D / 营业收入"),
    "revenue_per_mu": ("亩均营业收入", "revenue per mu", "万元/亩"),
    "tax_per_kwh": ("单位电耗税收", "tax per 10,000 kWh", "万元/万千瓦时"),
}
BONUS_LABELS = {
    "talent_bonus": ("人才加分", "talent bonus", "R-BONUS-1"),
    "hightech_bonus": ("高新技术企业加分", "high-tech enterprise bonus", "R-BONUS-2"),
    "water_bonus": ("节水型企业加分", "water-saving honour bonus", "R-BONUS-3"),
}
CATEGORY_LABELS = {
    "industrial_above": "规上工业 industrial, above scale",
    "industrial_below": "规下工业 industrial, below scale",
    "services": "服务业及其他 services and other",
}
EXCLUSION_REASONS = {
    "R-SUBJ-1": "企业已注销或吊销，不参加评价 — the enterprise is deregistered or revoked (not 存续).",
    "R-SUBJ-6": "经批准用于民生保障用途，不纳入评价 — approved public-service use of the land; not evaluated.",
    "R-LAND-5": "新征用地新办企业，建设周期完成后隔一年度参加评价 — new enterprise on new land, evaluated from "
                "the second year after its build period (no early evaluation requested).",
    "R-LAND-6": "计入面积为零，不评等级 — zero counted land area; not graded (data still in quality reports).",
}
GRADE_RULE_REASONS = {
    "R-GRADE-6": "有效期内的国家高新技术企业原则上不列入D档 — a valid high-tech enterprise is raised from D to C.",
    "R-GRADE-4": "亩均税收低于A、B类标准，不得列入A、B类 — tax per mu {tpm} 万元/亩 is below the A/B floor, lowered to C.",
    "R-GRADE-5": "服务业亩均税收低于本县规上工业亩均税收，不得列入A、B类 — services subject below the county's "
                 "industrial tax-per-mu benchmark, lowered to C.",
    "R-GRADE-2": "亩均税收低于D类标准，一律列入D类 — tax per mu {tpm} 万元/亩 is below the D floor: D without exception.",
    "R-GRADE-3": "工业用地擅自用于生活性服务业，一律列入D类 — unauthorized consumer-service use of industrial land: D.",
    "R-GRADE-7": "领导小组审定调档 — approved manual adjustment sets the final grade.",
}


class SubjectNotFound(LookupError):
    """The subject (and year) is not in marts.subject_evaluation."""


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def explain(con: duckdb.DuckDBPyConnection, subject_id: str, year: int | None = None) -> str:
    """Return a bilingual, human-readable explanation of one subject's evaluation.

    ``year`` defaults to the latest year in which the subject appears. Raises ``SubjectNotFound``
    (listing the years available) when there is no such row.
    """
    found = _rows(con, "select distinct year from marts.subject_evaluation where subject_id = ? order by year",
                  [subject_id])
    years = [r["year"] for r in found]
    if not years:
        all_years = [r["year"] for r in _rows(
            con, "select distinct year from marts.subject_evaluation order by year", [])]
        raise SubjectNotFound(
            f"subject {subject_id!r} is not in marts.subject_evaluation "
            f"(years in the warehouse: {', '.join(map(str, all_years)) or 'none'}; "
            "an individual's id must be given masked, as in the mart)")
    if year is None:
        year = years[-1]
    elif year not in years:
        raise SubjectNotFound(
            f"subject {subject_id!r} has no evaluation for {year}; years available for it: "
            f"{', '.join(map(str, years))}")

    s = _rows(con, "select * from marts.subject_evaluation where subject_id = ? and year = ?",
              [subject_id, year])[0]
    detail = _rows(con, """
        select * from marts.subject_indicator_detail where subject_id = ? and year = ?
        """, [subject_id, year])
    order = list(INDICATOR_LABELS) + list(BONUS_LABELS)
    detail.sort(key=lambda d: order.index(d["indicator"]) if d["indicator"] in order else len(order))

    kind = "个人 individual" if s["subject_kind"] == "individual" else "企业 enterprise"
    lines = [
        f"{s['year']} 年度亩均效益评价 / {s['year']} mu-average evaluation",
        f"评价主体 subject: {s['subject_id']}  {s['subject_name'] or ''}".rstrip(),
        f"  类型 kind: {kind};  县 county: {s['county_code']};  镇街 town: {s['town_code']};  "
        f"类别 category: {CATEGORY_LABELS.get(s['category'], s['category'])}"
        + (f";  行业门类 sector: {s['sector']}" if s.get("sector") else ""),
        f"  计入面积 counted area: {_fmt(s['area_mu'])} 亩 mu;  税收 counted tax: {_fmt(s['tax_wan'])} 万元;  "
        f"增加值 value added: {_fmt(s['value_added_wan'])} 万元;  营业收入 revenue: {_fmt(s['revenue_wan'])} 万元",
        f"  能耗 energy: {_fmt(s['energy_tce'])} tce;  用电 electricity: {_fmt(s['electricity_kwh'])} kWh;  "
        f"排放当量 pollution equivalents: {_fmt(s['pollution_equivalents'])};  "
        f"从业人员 employees: {_fmt(s['avg_employees'])}",
    ]

    if s["excluded_reason"]:
        reason = EXCLUSION_REASONS.get(s["excluded_reason"], s["excluded_reason"])
        lines += ["", f"不参加评级 NOT GRADED ({s['excluded_reason']}): {reason}",
                  "  指标值见下 indicators (for information, not scored):"]
        for ind, (zh, en, unit) in INDICATOR_LABELS.items():
            lines.append(f"    {zh} {en}: {_fmt(s[ind])} {unit}")
        return "\n".join(lines)

    lines += ["", "指标得分 indicator scores:"]
    for d in detail:
        if d["indicator"] not in INDICATOR_LABELS:
            continue
        zh, en, unit = INDICATOR_LABELS[d["indicator"]]
        head = f"  {zh} {en}: value {_fmt(d['value'])} {unit}"
        if d["numerator"] is not None and d["denominator"] is not None:
            head += f" (= {_fmt(d['numerator'])} / {_fmt(d['denominator'])})"
        lines.append(head)
        basis, w, b, cap = d["scoring_basis"], d["weight"], d["benchmark"], d["cap"]
        if d["rule_id"] == "R-SCORE-3":
            if basis == "best_in_group":
                why = f"best in county & category in {d['benchmark_year']} ({_fmt(b)}) → 基准分 full points"
            elif basis == "share_of_best":
                why = f"{_fmt(max(d['value'], 0))} / best {_fmt(b)} × weight {_fmt(w)}"
            elif basis == "no_emission_data_with_tax":
                why = "无排放当量数据但有税收 no emission data, counted tax > 0 → 基准分 full points"
            elif basis == "no_emission_data_no_tax":
                why = "无排放当量数据且无税收 no emission data and no tax → 0"
            elif basis == "best_not_positive":
                why = "best value of the group is ≤ 0 → 0"
            else:
                why = "value is null → 0"
        else:
            if basis == "capped":
                why = (f"min({_fmt(max(d['value'], 0))} / benchmark {_fmt(b)}, cap {_fmt(cap)}) × weight {_fmt(w)}"
                       f" — capped at {_fmt(cap)} × weight")
            elif basis == "share_of_benchmark":
                why = f"max({_fmt(d['value'])}, 0) / benchmark {_fmt(b)} × weight {_fmt(w)}"
            elif basis == "no_positive_benchmark":
                why = "benchmark missing or ≤ 0 → 0"
            else:
                why = "value is null (zero or missing denominator) → 0"
            if b is not None and d["benchmark_year"] is not None:
                why += f"  [benchmark 基准值 from {d['benchmark_year']}, Σnumerator/Σdenominator, {d['rule_id']}]"
        lines.append(f"      score 得分 {_fmt(d['score'])}  ← {why}")
        if d.get("policy_version"):
            lines.append(f"      policy 政策版本: {d['policy_version']}")

    lines.append("加分 bonuses:")
    for d in detail:
        if d["indicator"] not in BONUS_LABELS:
            continue
        zh, en, rule = BONUS_LABELS[d["indicator"]]
        extra = ""
        if d["indicator"] == "talent_bonus":
            extra = f" (new-talent points {_fmt(d['value'])}, cap {_fmt(d['cap'])})"
        version = f"  (policy {d['policy_version']})" if d.get("policy_version") else ""
        lines.append(f"  {zh} {en}: +{_fmt(d['score'])}{extra}  [{rule}]{version}")

    lines += [
        f"总分 total score: {_fmt(s['total_score'])}  (R-SCORE-5: Σ indicator scores + bonuses)",
        f"排名 rank: {s['rank_in_group']}/{s['group_size']} in county {s['county_code']}, {s['category']}"
        f"  (r/N = {_fmt(s['rank_in_group'] / s['group_size'])})",
        f"初始等级 initial grade (R-GRADE-1): {s['initial_grade']}",
    ]
    rules = list(s["grade_rules"] or [])
    if rules:
        lines.append("调整 grade changed by:")
        for r in rules:
            lines.append(f"  {r}: " + GRADE_RULE_REASONS.get(r, r).format(tpm=_fmt(s["tax_per_mu"])))
    else:
        lines.append("调整 grade changes: none")
    lines.append(f"最终等级 final grade: {s['grade']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Explain one subject's 亩均 evaluation.")
    parser.add_argument("subject_id")
    parser.add_argument("--year", type=int)
    parser.add_argument("--warehouse", required=True, help="DuckDB file holding the marts schema")
    args = parser.parse_args(argv)
    with duckdb.connect(args.warehouse, read_only=True) as con:
        try:
            print(explain(con, args.subject_id, args.year))
        except SubjectNotFound as exc:
            print(f"error: {exc}")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
