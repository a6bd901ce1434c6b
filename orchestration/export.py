"""`mujun export leaders`: the leader lists (领跑者名单) as 公示 documents, rules.md §6, [S1] §三(三)(四).

`export_leaders(con, year, out_dir)` writes one file pair per list that has leaders in the year:

    leaders_<year>_manufacturing.csv / .xlsx        制造业亩均效益领跑企业
    leaders_<year>_services.csv / .xlsx             服务业亩均效益领跑企业
    leaders_<year>_characteristic_town.csv / .xlsx  亩均效益领跑特色小镇
    leaders_<year>_development_zone.csv / .xlsx     亩均效益领跑经济开发区
    leaders_<year>_high_tech_zone.csv / .xlsx       亩均效益领跑高新区
    leaders_<year>_micro_park.csv / .xlsx           亩均效益领跑小微企业园
    leaders_<year>_county.csv / .xlsx               "亩均论英雄"改革领跑县(市、区)

The XLSX is the document an office prints and posts (orchestration.documents): title
"2021年度浙江省制造业亩均效益领跑企业名单（公示）", issuing office, date and 公示 period from the seed
publication (level province), Chinese headers, numbers formatted by unit. The CSV (UTF-8 with BOM,
so that Excel on a Chinese Windows opens it) carries the same columns as data, for re-use.

Everything shown is read from the database, so the export works on the analysts' published copy as
well as on the pipeline warehouse: the lists from marts.leaderboard_*, their Chinese names from the
seed leader_lists, each list's indicator columns (name, unit, order) from the seed leader_indicators.
A list without leaders in the year gets no file and a line on stderr; a year without any leader list
is an error (exit 1), as is an output folder that cannot be written.
Numbers are rounded for the CSV only (the marts keep full precision; the XLSX shows 2 decimals or a
percentage): scores and indicators to 4 decimals, ratios to 6. Ids are text (Excel keeps the USCC's
letters and leading digits). Every text cell is spreadsheet-safe and masked for person ids
(orchestration.spreadsheet): a name such as ``=HYPERLINK(...)`` is text in the XLSX and
``'=HYPERLINK(...)`` in the CSV.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration import documents as D
from orchestration import issuing, policy_years
from orchestration.spreadsheet import csv_cell


@dataclass(frozen=True)
class Field:
    column: str        # mart column
    header: str        # Chinese header
    kind: str          # documents kind (number format in the XLSX)


class ExportError(Exception):
    """Nothing to export, or the output cannot be written: the message says what and what to do."""


ENTERPRISE_FIELDS = [
    Field("rank", "排名", D.INTEGER),
    Field("sector_name", "行业", D.TEXT),
    Field("sector_rank", "行业内排名", D.INTEGER),
    Field("subject_id", "统一社会信用代码", D.ID),
    Field("subject_name", "企业名称", D.TEXT),
    Field("county_name", "县(市、区)", D.TEXT),
    Field("county_code", "县(市、区)代码", D.ID),
    Field("score", "得分", D.SCORE),
    Field("indicator_score", "指标得分", D.SCORE),
    Field("tilt_points", "倾斜加分", D.SCORE),
]
ENTERPRISE_TAIL = [Field("group_root_uscc", "所属集团最终母公司统一社会信用代码", D.ID)]

PARK_FIELDS = [
    Field("rank", "排名", D.INTEGER),
    Field("park_class_name", "类别", D.TEXT),
    Field("class_rank", "类别内排名", D.INTEGER),
    Field("park_id", "园区编号", D.ID),
    Field("park_name", "园区名称", D.TEXT),
    Field("county_name", "县(市、区)", D.TEXT),
    Field("county_code", "县(市、区)代码", D.ID),
    Field("score", "得分", D.SCORE),
    Field("indicator_score", "指标得分", D.SCORE),
    Field("tilt_points", "倾斜加分", D.SCORE),
]
PARK_TAIL = [Field("area_mu", "面积(亩)", D.AMOUNT), Field("members", "入驻企业数", D.INTEGER)]

COUNTY_FIELDS = [
    Field("county_code", "县(市、区)代码", D.ID),
    Field("county_name", "县(市、区)", D.TEXT),
    Field("city_name", "设区市", D.TEXT),
    Field("in_26_counties", "26个加快发展县", D.TEXT),
    Field("tax_per_mu", "亩均税收(万元/亩)", D.AMOUNT),
    Field("value_added_per_mu", "亩均增加值(万元/亩)", D.AMOUNT),
    Field("subjects", "参评主体数", D.INTEGER),
]
COUNTY_REMARK = Field("remark", "备注", D.TEXT)     # not a mart column: set by LeaderList.rows
# The county list is the province's 督查激励 list ([S1] §三(三)) shown with each county's aggregate
# indicators, but a warehouse holds the evaluation of its own county (or city) only: a listed county
# without graded subjects here has no indicators, which is not "0 subjects evaluated".
NO_COUNTY_DATA = "本库无该县(市、区)亩均效益评价数据，指标未列示"

RATIO_UNIT = "ratio"           # leader_indicators.unit of a fraction (shown as a percentage)
COUNT_UNITS = ("家", "个", "件")  # whole counts (企业培育: 家); 件/万人 is a rate, not a count


def indicator_field(indicator: str, name_zh: str, unit: str | None) -> Field:
    """The column of one scored indicator, header and number format from its seed row."""
    if unit == RATIO_UNIT:
        return Field(indicator, name_zh, D.RATIO)
    kind = D.INTEGER if unit in COUNT_UNITS else D.AMOUNT
    return Field(indicator, f"{name_zh}({unit})" if unit else name_zh, kind)


@dataclass(frozen=True)
class LeaderList:
    code: str
    kind: str            # enterprise / park / county
    name_zh: str         # 制造业亩均效益领跑企业
    indicators: tuple[Field, ...]

    @property
    def fields(self) -> list[Field]:
        if self.kind == "county":
            return COUNTY_FIELDS + [COUNTY_REMARK]
        if self.kind == "enterprise":
            return ENTERPRISE_FIELDS + list(self.indicators) + ENTERPRISE_TAIL
        return PARK_FIELDS + list(self.indicators) + PARK_TAIL

    def rows(self, con: duckdb.DuckDBPyConnection, year: int) -> list[list]:
        if self.kind == "county":
            return [_county_row(r) for r in self._select(con, year, COUNTY_FIELDS)]
        return [list(r) for r in self._select(con, year, self.fields)]

    def _select(self, con: duckdb.DuckDBPyConnection, year: int, fields: list[Field]) -> list[tuple]:
        select = ", ".join(f'"{f.column}"' for f in fields)
        if self.kind == "enterprise":
            sql, params = (f"select {select} from marts.leaderboard_enterprises where year = ? and list = ? "
                           "order by rank"), [year, self.code]
        elif self.kind == "park":
            sql, params = (f"select {select} from marts.leaderboard_parks where year = ? and park_type = ? "
                           "order by rank"), [year, self.code]
        else:
            sql, params = f"select {select} from marts.leaderboard_counties where year = ? order by county_code", [year]
        return con.execute(sql, params).fetchall()


def _county_row(row: tuple) -> list:
    """A listed county without graded subjects in this warehouse: no count, no indicators, a remark."""
    values = dict(zip([f.column for f in COUNTY_FIELDS], row))
    if not values["subjects"]:
        values["subjects"] = None
        return list(values.values()) + [NO_COUNTY_DATA]
    return list(values.values()) + [None]


def leader_lists(con: duckdb.DuckDBPyConnection, year: int) -> list[LeaderList]:
    """The lists of `year` in publication order with their scored indicators (the rows of seeds
    leader_lists and leader_indicators valid in that year, as dbt ranked it; the indicator order is the
    seed's row order, as dbt loaded it)."""
    lists = policy_years.rows_for_year(issuing.seed_rows(con, "leader_lists"), year, "leader_lists", ("list_code",))
    inds: dict[str, list[Field]] = {}
    for row in policy_years.rows_for_year(issuing.seed_rows(con, "leader_indicators"), year,
                                          "leader_indicators", ("list_code", "indicator")):
        inds.setdefault(row["list_code"], []).append(
            indicator_field(row["indicator"], row["name_zh"], row.get("unit")))
    return [LeaderList(r["list_code"], r["list_kind"], r["name_zh"], tuple(inds.get(r["list_code"], ())))
            for r in lists]


def document_title(year: int, lst: LeaderList) -> str:
    """2021年度浙江省制造业亩均效益领跑企业名单（公示）; the seed's straight quotes ("亩均论英雄")
    are printed as Chinese quotes (“亩均论英雄”)."""
    name = re.sub(r'"([^"]*)"', r"“\1”", lst.name_zh)
    return f"{int(year)}年度浙江省{name}名单（公示）"


def _csv_value(f: Field, value):
    if value is None:
        return None
    if f.column == "in_26_counties":
        return "是" if value else "否"
    if f.kind == D.ID:
        return str(value)
    if isinstance(value, float):
        return round(value, 6 if f.kind == D.RATIO else 4)
    return value


def _write_csv(path: Path, headers: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        for r in rows:
            w.writerow([csv_cell(v) for v in r])


def _write_xlsx(path: Path, title: str, headers: list[str], columns: list[str], rows: list[list],
                kinds: list[str] | None = None, office: str = "", issued_on: dt.date | None = None,
                note: str = "", sheet_name: str = "名单") -> Path:
    """One leader list as a 公示 document (orchestration.documents); `columns` are the mart columns
    of the headers (the CSV and the XLSX share them)."""
    kinds = kinds or [D.TEXT] * len(headers)
    doc = D.Document(title=title, office=office, issued_on=issued_on or dt.date.today(), note=note,
                     columns=[D.Column(h, k) for h, k in zip(headers, kinds)], rows=rows, sheet_name=sheet_name)
    return D.write_document(path, doc)


def export_leaders(con: duckdb.DuckDBPyConnection, year: int, out_dir: Path,
                   issued_on: dt.date | None = None, warn=None) -> list[Path]:
    """Write every non-empty leader list of `year` as CSV and XLSX; return the written paths.
    Raises ExportError when the year has no leaders at all or out_dir cannot be written."""
    out_dir = Path(out_dir)
    issued_on = issued_on or dt.date.today()
    office = issuing.office(con, "province", year=int(year))
    note = D.publicity_note(issued_on, office.publicity_days)
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    year = int(year)
    plans, empty = [], []
    for lst in leader_lists(con, year):
        rows = lst.rows(con, year)
        (plans if rows else empty).append((lst, lst.fields, rows))
    if not plans:
        years = sorted({y for (y,) in con.execute(
            "select distinct year from marts.leaderboard_enterprises union "
            "select distinct year from marts.leaderboard_parks union "
            "select distinct year from marts.leaderboard_counties").fetchall()})
        raise ExportError(f"no leader list has leaders in {year}, nothing exported; years with leader lists: "
                          f"{', '.join(map(str, years)) or 'none (run `mujun run` first)'}")
    for lst, _, _ in empty:
        warn(f"mujun export: no {lst.name_zh} in {year}: leaders_{year}_{lst.code} not written")
    try:
        D.ensure_folder(out_dir)
    except D.DocumentError as exc:
        raise ExportError(str(exc)) from None
    written: list[Path] = []
    for lst, fields, rows in plans:
        values = [[_csv_value(f, v) for f, v in zip(fields, row)] for row in rows]
        stem = out_dir / f"leaders_{year}_{lst.code}"
        csv_path, xlsx_path = stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
        headers = [f.header for f in fields]
        try:
            _write_xlsx(xlsx_path, document_title(year, lst), headers, [f.column for f in fields], values,
                        [f.kind for f in fields], office.name, issued_on, note, sheet_name=lst.name_zh)
            _write_csv(csv_path, headers, values)
        except D.DocumentError as exc:
            raise ExportError(str(exc)) from None
        except OSError as exc:
            raise ExportError(f"cannot write {csv_path}: {exc.strerror or exc}; "
                              f"choose another folder (--out) or fix its permissions") from None
        written += [csv_path, xlsx_path]
    return written


# --------------------------------------------------------------------------- CLI
def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def add_parser(sub, paths) -> None:
    sp = sub.add_parser("export", help="export leader lists for publication (公示), or the remediation list per town",
                        description="Write the year's leader lists as 公示 documents: one XLSX (title, issuing "
                                    "office, date and 公示 period from seeds/policy/publication.csv; A4 landscape) "
                                    "and one CSV (UTF-8 with BOM) per list that has leaders. `remediation` writes the 低效整治 "
                                    "list (marts.remediation_list) as one XLSX per town.")
    sp.add_argument("what", choices=["leaders", "remediation"],
                    help="leaders: the leader lists (公示); remediation: the D-grade remediation list per town")
    sp.add_argument("--year", type=int, required=True, help="data year of the lists, e.g. 2021")
    sp.add_argument("--out", required=True, help="output folder for the XLSX and CSV files (created if missing)")
    sp.add_argument("--date", type=_date, help="issue date printed on the documents, YYYY-MM-DD (default today); "
                                               "the 公示 period starts on it")
    sp.add_argument("--db", help="DuckDB file to read (default: published file, else warehouse)")
    paths(sp, feeds=False)
    sp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from orchestration.cli import _apply_paths, _read_connection

    _apply_paths(args)
    with _read_connection(args) as con:
        try:
            if args.what == "remediation":
                from orchestration.remediation_export import RemediationExportError, export_remediation
                try:
                    files = export_remediation(con, args.year, Path(args.out), issued_on=args.date)
                except RemediationExportError as exc:
                    raise ExportError(str(exc)) from None
            else:
                files = export_leaders(con, args.year, Path(args.out), issued_on=args.date)
        except (ExportError, policy_years.PolicyYearError) as exc:
            print(f"mujun export: {exc}", file=sys.stderr)
            return 1
    for f in files:
        print(f)
    return 0
