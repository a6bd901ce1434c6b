"""`mujun report --year Y`: one self-contained HTML file per year for the 亩均办 and the 领导小组.

Grade shares before and after the overrides, the tax-per-mu distribution against the policy floors,
the counties' year-over-year change, the seven leader lists and their shortfalls, the towns' data
quality from the random audit, and the publication gates. Reads the published copy (or the
warehouse when nothing is published yet); writes report-<Y>.html into --out.
"""
from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import towns
from orchestration.report import charts, data
from orchestration.report.page import Page, esc, table

TAX_BIN_WIDTH = 1.0     # 万元/亩 per histogram bin: the policy floors (2 and 5) fall on bin edges
TOWN_CHART_LIMIT = 40   # the lowest-scoring towns drawn; a province has ~1,300 towns
SCROLL_FROM_ROWS = 40   # a longer table scrolls in a box instead of lengthening the page
TAX_AXIS_FLOORS = 10    # the histogram spans 0 … 10 × the A/B floor; the tail above is one open bin

SHORTFALL_REASONS = {
    "no_candidates": "无候选 no candidates",
    "fewer_candidates_than_list_size": "候选不足 fewer candidates than seats",
    "class_quotas_not_filled": "分类名额未满 class quotas not filled",
    "fewer_candidates_than_quota": "候选不足 fewer candidates than the quota",
    "group_dedup": "集团去重 group members already listed",
}


def build(con: duckdb.DuckDBPyConnection, year: int, source: str = "") -> str:
    """The report page of one year, as HTML text."""
    data.check_year(con, year)
    floors = data.thresholds(con)
    page = Page(title=f"{year} 年度亩均效益评价报告",
                subtitle=f"亩均办 · 领导小组 — 数据来源 {source or 'warehouse'}; "
                         f"生成于 {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")

    shares = data.grade_shares(con, year)
    changed = _changed_by_overrides(shares)
    cities = data.grade_shares_by_city(shares)
    overview = len({r["city_name"] for r in cities}) > 1
    page.add("一、等级分布 Grade shares per county and category",
             '<p class="note">每县、每类别已评等级主体的等级占比：调整前 (浅色, 上) 为按排名分档 (R-GRADE-1)，'
             '调整后 (深色, 下) 为最终等级 (R-GRADE-2…7 之后)。来源 marts.grade_summary。'
             + ('先按地级市汇总 (Σ主体 / Σ已评等级主体)，再按县 (按县市区代码排列，同一地级市相邻)。' if overview else '')
             + '</p>',
             *((f'<h3>按地级市 per city ({len({r["city_name"] for r in cities})})</h3>',
                page.chart("grade_shares_cities", charts.grade_shares(cities)),
                f'<h3>按县(市、区) per county ({len({r["county_code"] for r in shares})})</h3>')
               if overview else ()),
             page.chart("grade_shares", charts.grade_shares(shares)),
             _scrolled(table([("county", "县"), ("category_name", "类别"), ("grade", "等级"),
                              ("initial", "调整前"), ("final", "调整后"), ("delta", "变化")], changed,
                             empty="调整未改变任何等级 the overrides moved no grade"), len(changed)),
             anchor="grades")

    cap = TAX_AXIS_FLOORS * floors["tax_per_mu_floor_ab"]
    bins = data.tax_per_mu_bins(con, year, TAX_BIN_WIDTH, cap)
    page.add("二、亩均税收分布 Tax per mu per category",
             f'<p class="note">已评等级主体的亩均税收 (万元/亩)，每栏 {TAX_BIN_WIDTH:g} 万元/亩；虚线为政策门槛 '
             f'(reference.policy_grade_thresholds)：低于 {floors["tax_per_mu_floor_d"]:g} 一律 D 类 (R-GRADE-2)，'
             f'低于 {floors["tax_per_mu_floor_ab"]:g} 不得列入 A、B 类 (R-GRADE-4)。横轴到 {cap:g} 万元/亩，'
             f'更高的主体数写在各图标题中。</p>',
             page.chart("tax_distribution", charts.tax_distribution(bins, floors)) if bins
             else '<p class="empty">无已评等级主体 no graded subjects</p>',
             anchor="tax")

    counties = data.county_indicators(con, year)
    has_prev = any(r["value_prev"] is not None for r in counties)
    page.add("三、各县主要指标同比 Year-over-year change per county",
             '<p class="note">各县已评等级主体的合计比率 Σ分子/Σ分母 (同 R-SCORE-2 的口径)，与上年比较。</p>',
             page.chart("county_changes", charts.county_changes(counties)) if has_prev
             else f'<p class="empty">仓库中没有 {year - 1} 年度，无法比较 no {year - 1} in the warehouse</p>',
             table([("county", "县"), ("indicator_name", "指标"), ("unit", "单位"), ("value_prev", f"{year - 1}"),
                    ("value", f"{year}"), ("change_text", "变化")],
                   [{**r, "change_text": f"{r['change']:+.1%}" if r["change"] is not None else "—"} for r in counties]),
             anchor="counties")

    lists = data.leader_lists(con, year)
    parts = [('<p class="note">七类领跑者名单 (reference.leader_lists)；空缺名额不在类别之间调剂，见 '
             'marts.leaderboard_shortfalls。</p>'),
             page.chart("leader_lists", charts.leader_fill(lists)),
             table([("name_zh", "名单"), ("seats", "名额"), ("listed", "入选"), ("shortfall", "空缺"),
                    ("reason", "原因")],
                   [{**lst, "reason": SHORTFALL_REASONS.get(lst["shortfall_reason"], lst["shortfall_reason"])}
                    for lst in lists])]
    for lst in lists:
        parts.append(f"<h3>{esc(lst['name_zh'])} — 入选 {lst['listed']}"
                     + (f" / 名额 {lst['seats']}" if lst["seats"] else "") + "</h3>")
        parts.append(_leader_table(lst))
        if lst["class_shortfalls"]:
            parts.append(table([("class_code", "分类"), ("seats", "名额"), ("candidates", "候选"),
                                ("listed", "入选"), ("shortfall", "空缺"), ("reason", "原因")],
                               [{**c, "reason": SHORTFALL_REASONS.get(c["reason"], c["reason"])}
                                for c in lst["class_shortfalls"]]))
    page.add("四、领跑者名单 Leader lists and their shortfalls", *parts, anchor="leaders")

    town_rows = data.town_quality(con, year)
    shown = town_rows[:TOWN_CHART_LIMIT]
    unnamed = towns.missing_note([r["town_code"] for r in shown],
                                 {r["town_code"]: r["town_name"] for r in shown if r["town_name"]})
    page.add("五、镇街数据质量 Town data quality (random audit)",
             '<p class="note">随机抽查核验的数值中通过的比例 (audit.town_quality)，低分在上'
             + (f'；只列出得分最低的 {TOWN_CHART_LIMIT} 个 (共 {len(town_rows)} 个镇街)'
                if len(town_rows) > TOWN_CHART_LIMIT else '')
             + '。' + (esc(unnamed) + '。' if unnamed else '') + '</p>',
             *((page.chart("town_quality", charts.town_quality(shown)),
                table([("town", "镇街"), ("checked_values", "核验数值"), ("failed_values", "不符"),
                       ("quality_score", "数据质量得分")], shown)) if town_rows
               else ('<p class="empty">本年度无抽查结果 no audit results this year</p>',)),
             anchor="towns")

    judged = data.gates(con, year)
    page.add("六、发布闸门 Publication gates",
             '<p class="note">audit.publication_gates：failed 的闸门阻止发布，除非经 --accept-gate 认可 (accepted)。</p>',
             table([("gate", "闸门"), ("status", "状态"), ("observed", "观测值"), ("threshold", "阈值"),
                    ("message", "说明"), ("accepted_reason", "认可理由")], judged,
                   css_class={"status": "status"}, empty="无闸门记录 no gates recorded"),
             anchor="gates")
    return page.render()


def _scrolled(html: str, n_rows: int) -> str:
    """A long table (a province's 90 counties) in a box of bounded height that scrolls."""
    if n_rows <= SCROLL_FROM_ROWS:
        return html
    return f'<p class="note">共 {n_rows} 行，表格可滚动 scrolls</p><div class="scroll">{html}</div>'


def _changed_by_overrides(shares: list[dict]) -> list[dict]:
    """Grades whose subject count differs between the stages (what the overrides moved)."""
    by = {}
    for r in shares:
        by.setdefault((r["county"], r["category_name"], r["grade"]), {})[r["stage"]] = r["subjects"]
    out = []
    for (county, cat, grade), n in by.items():
        i, f = n.get("initial", 0), n.get("final", 0)
        if i != f:
            out.append({"county": county, "category_name": cat, "grade": grade, "initial": i, "final": f,
                        "delta": f"{f - i:+d}"})
    return out


def _leader_table(lst: dict) -> str:
    if lst["list_kind"] == "enterprise":
        cols = [("rank", "名次"), ("subject_name", "企业"), ("subject_id", "统一社会信用代码"),
                ("sector_name", "行业"), ("county_name", "县"), ("grade", "等级"), ("score", "得分")]
    elif lst["list_kind"] == "park":
        cols = [("rank", "名次"), ("park_name", "园区"), ("park_class_name", "类别"), ("county_name", "县"),
                ("score", "得分")]
    else:
        cols = [("county_name", "县"), ("in_26_counties", "26县"), ("subjects", "评价主体"),
                ("tax_per_mu", "亩均税收"), ("value_added_per_mu", "亩均增加值")]
    note = f'<p class="note">前 {len(lst["top"])} 名 (完整名单: mujun export leaders)</p>' if len(lst["top"]) < lst["listed"] else ""
    return table(cols, lst["top"], empty="本年度无入选 nobody listed") + note


def report_path(out_dir: Path, year: int) -> Path:
    return Path(out_dir) / f"report-{year}.html"


def write_reports(warehouse: Path, out_dir: Path, years: list[int]) -> list[Path]:
    """Write report-<Y>.html for each year into out_dir; returns the paths. The hook `mujun run`
    calls after a successful publication (warehouse = the published file)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for year in years:
            text = build(con, year, source=str(warehouse))
            target = report_path(out_dir, year)
            tmp = target.with_suffix(".html.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)            # a reader never opens half a report
            written.append(target)
    return written


def report_after_run(published: Path, out_dir: Path, years: list[int]) -> list[Path]:
    """`mujun run`'s summary line(s) after a successful publication. A report that cannot be
    written is named, not fatal: the publication it describes has already succeeded."""
    try:
        paths = write_reports(published, out_dir, years)
    except (data.ReportDataError, duckdb.Error, OSError) as exc:
        print(f"report (leading group): NOT written ({exc}); retry with `mujun report --year Y`", file=sys.stderr)
        return []
    for p in paths:
        print(f"report (leading group): {p}")
    return paths
