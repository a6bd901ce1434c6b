"""`mujun export remediation --year Y`: the 低效整治 list (marts.remediation_list) as one XLSX per town.

Each town (镇街) gets `remediation_<year>_<town_code>.xlsx`, titled with the town's name from
ref_towns (orchestration.towns; the code alone when it has none), with its D-grade subjects in follow-up
order (longest in D first), their consecutive D years and their three largest shortfalls against the
benchmarks. The column spec is the small list COLUMNS of (mart column, Chinese header, unit), so the
公示 formatter can take it over as is. Cells are spreadsheet-safe and masked (orchestration.spreadsheet).
It reads only the public mart, so it works on the published copy as on the warehouse.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from orchestration import documents as D
from orchestration import issuing, policy_years, towns
from orchestration.report.data import CATEGORY_NAMES   # the one Chinese name of each category

# (key in marts.remediation_list, Chinese header, document kind)
COLUMNS: list[tuple[str, str, str]] = [
    ("follow_up_order", "序号", D.INTEGER),
    ("subject_id", "统一社会信用代码/评价主体", D.ID),
    ("subject_name", "企业名称", D.TEXT),
    ("category", "评价类别", D.TEXT),
    ("consecutive_d_years", "连续D类年数(年)", D.INTEGER),
    ("total_score", "综合得分(分)", D.SCORE),
    ("tax_per_mu", "亩均税收(万元/亩)", D.AMOUNT),
    ("area_mu", "用地面积(亩)", D.AMOUNT),
    ("shortfall_1_indicator", "差距最大指标", D.TEXT),
    ("shortfall_1_value", "该指标值", D.NUMBER),
    ("shortfall_1_benchmark", "该指标基准值", D.NUMBER),
    ("shortfall_1_gap_share", "低于基准比例", D.RATIO),
    ("shortfall_2_indicator", "差距第二指标", D.TEXT),
    ("shortfall_2_gap_share", "第二指标低于基准比例", D.RATIO),
    ("shortfall_3_indicator", "差距第三指标", D.TEXT),
    ("shortfall_3_gap_share", "第三指标低于基准比例", D.RATIO),
    ("grade_rules_text", "等级调整规则", D.TEXT),
]



class RemediationExportError(Exception):
    """Nothing to export, or the folder cannot be written: the message says what to do."""


def _indicator_names(con, year: int) -> dict[str, str]:
    """Chinese indicator names from the leader_indicators seed rows valid in `year` (one definition)."""
    names = {}
    for r in issuing.seed_rows(con, "leader_indicators"):
        if r.get("indicator") and r.get("name_zh") and policy_years.applies(r, year):
            names[r["indicator"]] = r["name_zh"]
    return names


def _cell(key: str, value, indicators: dict[str, str]):
    if key.endswith("_indicator") and value is not None:
        return indicators.get(value, value)
    if key == "category" and value is not None:
        return CATEGORY_NAMES.get(value, value)
    return value


def export_remediation(con, year: int, out_dir: Path | str, issued_on: dt.date | None = None) -> list[Path]:
    """Write one 公示-formatted XLSX per town of `year`'s remediation list; returns the files in town order."""
    out_dir = Path(out_dir)
    keys = [k for k, _, _ in COLUMNS]
    rows = con.execute(
        f"select town_code, county_code, {', '.join(keys)} from marts.remediation_list where year = ? "
        "order by town_code, follow_up_order", [year]).fetchall()
    if not rows:
        have = [r[0] for r in con.execute("select distinct year from marts.remediation_list order by 1").fetchall()]
        raise RemediationExportError(
            f"no D-grade subject in {year}: nothing exported; years with a remediation list: "
            f"{', '.join(map(str, have)) or 'none'}")
    try:
        D.ensure_folder(out_dir)
    except D.DocumentError as exc:
        raise RemediationExportError(str(exc)) from None
    indicators = _indicator_names(con, int(year))
    by_town: dict[str, list[list]] = {}
    county_of: dict[str, str] = {}
    for town, county, *values in rows:
        town = town or "unknown"
        county_of[town] = county
        by_town.setdefault(town, []).append([_cell(k, v, indicators) for k, v in zip(keys, values)])
    issued_on = issued_on or dt.date.today()
    names = towns.names(con)
    files = []
    for town, town_rows in by_town.items():
        office = issuing.office(con, "county", county_of[town], year=year)
        name = names.get(town)
        doc = D.Document(
            title=f"{year}年度亩均效益评价D类企业低效整治名单（{name + '，' if name else ''}镇街{town}）",
            office=office.name, issued_on=issued_on,
            note=f"共{len(town_rows)}家，按连续D类年数排序，请镇街逐户跟进整治"
                 + ("" if name else f"（{towns.NAMES_SOURCE}）"),
            columns=[D.Column(h, k) for _, h, k in COLUMNS], rows=town_rows, sheet_name=f"低效整治{year}")
        files.append(D.write_document(out_dir / f"remediation_{year}_{town}.xlsx", doc))
    return files
