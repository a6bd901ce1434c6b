"""Publication export of the leader lists (领跑者名单公示), rules.md §6, [S1] §三(三)(四).

`export_leaders(con, year, out_dir)` writes one file pair per list — CSV (UTF-8 with BOM, so that
Excel on a Chinese Windows opens it correctly) and XLSX (openpyxl) — with Chinese headers:

    leaders_<year>_manufacturing.csv / .xlsx        制造业亩均效益领跑企业
    leaders_<year>_services.csv / .xlsx             服务业亩均效益领跑企业
    leaders_<year>_characteristic_town.csv / .xlsx  亩均效益领跑特色小镇
    leaders_<year>_development_zone.csv / .xlsx     亩均效益领跑经济开发区
    leaders_<year>_high_tech_zone.csv / .xlsx       亩均效益领跑高新区
    leaders_<year>_micro_park.csv / .xlsx           亩均效益领跑小微企业园
    leaders_<year>_county.csv / .xlsx               "亩均论英雄"改革领跑县(市、区)

It reads only the public marts (marts.leaderboard_enterprises / _parks / _counties), so it works on
the analysts' published copy as well as on the pipeline warehouse. The indicator columns shown for
each list are the list's scored indicators (reference.leader_indicators when that seed is in the
database, else the DEFAULT sets of rules.md §6). A list with no leaders in the year still gets
its file pair (header only), so a missing list is visible rather than silently absent.
Numbers are rounded for publication only (the marts keep full precision): scores and indicators to
4 decimals, the two fractions (rd_intensity, hightech_share) to 6; ids are text (Excel keeps the
USCC's letters and leading digits).
Every text cell is spreadsheet-safe and masked for person ids (orchestration.spreadsheet): a company
name such as ``=HYPERLINK(...)`` is text in the XLSX and ``'=HYPERLINK(...)`` in the CSV.
"""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from orchestration.spreadsheet import csv_cell, make_text_cells, xlsx_value

# list_code → (title, kind). Order = publication order of [S1] §二(一)-(七) as the files are listed.
LISTS: dict[str, tuple[str, str]] = {
    "manufacturing": ("制造业亩均效益领跑企业", "enterprise"),
    "services": ("服务业亩均效益领跑企业", "enterprise"),
    "characteristic_town": ("亩均效益领跑特色小镇", "park"),
    "development_zone": ("亩均效益领跑经济开发区", "park"),
    "high_tech_zone": ("亩均效益领跑高新区", "park"),
    "micro_park": ("亩均效益领跑小微企业园", "park"),
    "county": ("“亩均论英雄”改革领跑县(市、区)", "county"),
}

# Chinese header of every indicator column the marts carry.
INDICATOR_HEADERS: dict[str, str] = {
    "tax_per_mu": "亩均税收(万元/亩)",
    "value_added_per_mu": "亩均增加值(万元/亩)",
    "labour_productivity": "全员劳动生产率(万元/人)",
    "energy_productivity": "单位能耗增加值(万元/吨标准煤)",
    "emission_productivity": "单位排放增加值(万元/当量)",
    "rd_intensity": "R&D经费支出占营业收入比重",
    "revenue_per_mu": "亩均营业收入(万元/亩)",
    "tax_wan": "税收实际贡献(万元)",
    "output_per_mu": "亩均产出(万元/亩)",
    "output_per_employee": "单位从业人员产出(万元/人)",
    "output_per_tce": "单位能耗产出(万元/吨标准煤)",
    "investment_per_mu": "亩均有效投入(万元/亩)",
    "factor_density": "高端要素集聚度(个/百亩)",
    "patents_per_10k_employees": "每万人从业人员发明专利拥有量(件)",
    "hightech_value_added_per_mu": "亩均高新技术产业增加值(万元/亩)",
    "cultivated_enterprises": "企业培育(新升规企业数)",
    "hightech_share": "高新技术企业占比",
}

# DEFAULT indicator sets (rules.md §6), used when reference.leader_indicators is not available.
DEFAULT_INDICATORS: dict[str, list[str]] = {
    "manufacturing": ["tax_per_mu", "value_added_per_mu", "labour_productivity",
                      "energy_productivity", "emission_productivity", "rd_intensity"],
    "services": ["tax_per_mu", "revenue_per_mu", "tax_wan"],
    "characteristic_town": ["tax_per_mu", "output_per_mu", "output_per_employee",
                            "investment_per_mu", "factor_density", "output_per_tce"],
    "development_zone": ["tax_per_mu", "value_added_per_mu", "labour_productivity", "rd_intensity",
                         "energy_productivity"],
    "high_tech_zone": ["patents_per_10k_employees", "hightech_value_added_per_mu", "tax_per_mu",
                       "value_added_per_mu", "energy_productivity"],
    "micro_park": ["tax_per_mu", "output_per_mu", "cultivated_enterprises", "hightech_share"],
}

ENTERPRISE_COLUMNS = [
    ("rank", "排名"),
    ("sector_name", "行业"),
    ("sector_rank", "行业内排名"),
    ("subject_id", "统一社会信用代码"),
    ("subject_name", "企业名称"),
    ("county_name", "县(市、区)"),
    ("county_code", "县(市、区)代码"),
    ("score", "得分"),
    ("indicator_score", "指标得分"),
    ("tilt_points", "倾斜加分"),
]
ENTERPRISE_TAIL = [("group_root_uscc", "所属集团最终母公司统一社会信用代码")]

PARK_COLUMNS = [
    ("rank", "排名"),
    ("park_class_name", "类别"),
    ("class_rank", "类别内排名"),
    ("park_id", "园区编号"),
    ("park_name", "园区名称"),
    ("county_name", "县(市、区)"),
    ("county_code", "县(市、区)代码"),
    ("score", "得分"),
    ("indicator_score", "指标得分"),
    ("tilt_points", "倾斜加分"),
]
PARK_TAIL = [("area_mu", "面积(亩)"), ("members", "入驻企业数")]

COUNTY_COLUMNS = [
    ("county_code", "县(市、区)代码"),
    ("county_name", "县(市、区)"),
    ("city_name", "设区市"),
    ("in_26_counties", "26个加快发展县"),
    ("tax_per_mu", "亩均税收(万元/亩)"),
    ("value_added_per_mu", "亩均增加值(万元/亩)"),
    ("subjects", "参评主体数"),
]

FRACTION_COLUMNS = {"rd_intensity", "hightech_share"}
TEXT_COLUMNS = {"subject_id", "county_code", "park_id", "group_root_uscc"}


def _list_indicators(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The scored indicators per list from the seed when present, else the DEFAULT sets."""
    try:
        rows = con.execute(
            "select list_code, indicator from reference.leader_indicators order by list_code, indicator"
        ).fetchall()
    except duckdb.Error:
        return DEFAULT_INDICATORS
    found: dict[str, list[str]] = {}
    for list_code, indicator in rows:
        if indicator in INDICATOR_HEADERS:
            found.setdefault(list_code, []).append(indicator)
    # keep the DEFAULT (publication) order for indicators the seed lists, then any others
    ordered: dict[str, list[str]] = {}
    for list_code, inds in found.items():
        default = DEFAULT_INDICATORS.get(list_code, [])
        ordered[list_code] = [i for i in default if i in inds] + [i for i in inds if i not in default]
    return ordered or DEFAULT_INDICATORS


def _columns(list_code: str, kind: str, indicators: dict[str, list[str]]) -> list[tuple[str, str]]:
    if kind == "county":
        return COUNTY_COLUMNS
    inds = [(i, INDICATOR_HEADERS[i]) for i in indicators.get(list_code, DEFAULT_INDICATORS[list_code])]
    if kind == "enterprise":
        return ENTERPRISE_COLUMNS + inds + ENTERPRISE_TAIL
    return PARK_COLUMNS + inds + PARK_TAIL


def _query(list_code: str, kind: str, cols: list[tuple[str, str]]) -> str:
    select = ", ".join(f'"{c}"' for c, _ in cols)
    if kind == "enterprise":
        return (f"select {select} from marts.leaderboard_enterprises "
                f"where year = ? and list = '{list_code}' order by rank")
    if kind == "park":
        return (f"select {select} from marts.leaderboard_parks "
                f"where year = ? and park_type = '{list_code}' order by rank")
    return f"select {select} from marts.leaderboard_counties where year = ? order by county_code"


def _cell(column: str, value):
    if value is None:
        return None
    if column == "in_26_counties":
        return "是" if value else "否"
    if column in TEXT_COLUMNS:
        return str(value)
    if isinstance(value, float):
        return round(value, 6 if column in FRACTION_COLUMNS else 4)
    return value


def _write_csv(path: Path, headers: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        for r in rows:
            w.writerow([csv_cell(v) for v in r])


def _write_xlsx(path: Path, title: str, headers: list[str], columns: list[str], rows: list[list]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31].replace("/", "、")
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([xlsx_value(v) for v in r])
    make_text_cells(ws)
    for idx, (column, header) in enumerate(zip(columns, headers), start=1):
        letter = get_column_letter(idx)
        if column in TEXT_COLUMNS:
            for cell in ws[letter][1:]:
                cell.number_format = "@"
        width = max([len(header) * 2] + [len(str(c.value)) for c in ws[letter][1:] if c.value is not None])
        ws.column_dimensions[letter].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    wb.save(path)


def export_leaders(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path) -> list[Path]:
    """Write every leader list of `year` as CSV (UTF-8 BOM) and XLSX; return the written paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    indicators = _list_indicators(con)
    written: list[Path] = []
    for list_code, (title, kind) in LISTS.items():
        cols = _columns(list_code, kind, indicators)
        columns = [c for c, _ in cols]
        headers = [h for _, h in cols]
        rows = [[_cell(c, v) for c, v in zip(columns, row)]
                for row in con.execute(_query(list_code, kind, cols), [int(year)]).fetchall()]
        stem = out_dir / f"leaders_{int(year)}_{list_code}"
        csv_path, xlsx_path = stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
        _write_csv(csv_path, headers, rows)
        _write_xlsx(xlsx_path, title, headers, columns, rows)
        written += [csv_path, xlsx_path]
    return written
