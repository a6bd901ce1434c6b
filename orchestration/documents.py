"""公示-ready XLSX documents: the one writer behind every workbook an office prints, posts or sends.

A document is a title, the issuing office and date, and a table:

    row 1   title (merged across the table)              2021年度浙江省制造业亩均效益领跑企业名单（公示）
    row 2   issuing office · date · note (merged)        发布单位：…　发布日期：2026年12月2日　公示期：…
    row 3   Chinese column headers (bold, wrapped, autofilter, repeated on every printed page)
    row 4…  the rows, with borders; a highlighted row is filled light red

Numbers stay numbers and are formatted by their kind (2 decimals for 万元, 亩 and other measures,
percentages for ratios), ids are text, column widths fit the longest text (a CJK character counts
two widths), the header is frozen, and the page is A4 landscape, fit to one page wide.
A column the recipient fills in (``Column.entry``) gets Excel data validation, so that a town cannot
type "十二" into a number or "下周" into a date.

Every text goes through orchestration.spreadsheet: masked for person ids, written with
``write_string`` (never a formula) and, when formula-like, with the quote prefix so that it stays
text when someone edits the cell.

    from orchestration.documents import Column, Document, write_document
    write_document(path, Document(title=..., office=..., issued_on=date.today(),
                                  columns=[Column("企业名称"), Column("亩均税收(万元/亩)", AMOUNT)],
                                  rows=[["某某有限公司", 12.345]]))
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.spreadsheet import is_formula_like, xlsx_value

# Cell kinds: how a column's values are written and shown.
TEXT = "text"          # free text (names)
ID = "id"              # codes kept as text: USCC, county / town codes (Excel would eat leading zeros)
AMOUNT = "amount"      # a measure in 万元, 亩, 万元/亩, … : 2 decimals with thousands separators
RATIO = "ratio"        # a fraction shown as a percentage (0.048143 → 4.81%)
SCORE = "score"        # points: 2 decimals
INTEGER = "integer"    # counts, ranks
NUMBER = "number"      # a number of no fixed unit (an audited value: 万元, a ratio, a count): as it is
DATE = "date"
KINDS = (TEXT, ID, AMOUNT, RATIO, SCORE, INTEGER, NUMBER, DATE)

NUMBER_FORMATS = {ID: "@", AMOUNT: "#,##0.00", RATIO: "0.00%", SCORE: "0.00", INTEGER: "0", NUMBER: "General",
                  DATE: "yyyy-mm-dd"}

# Kinds of value a recipient may enter in an `entry` column (Excel data validation).
ENTRY_DECIMAL, ENTRY_INTEGER, ENTRY_DATE, ENTRY_BOOL = "decimal", "integer", "date", "bool"
ENTRY_KINDS = (ENTRY_DECIMAL, ENTRY_INTEGER, ENTRY_DATE, ENTRY_BOOL)
ENTRY_DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))
ENTRY_BOOL_VALUES = ["是", "否"]           # both accepted by ingestion (feeds.md: booleans)

# 0-based rows of the layout; HEADER_ROW + 1 is the row number Excel shows for the headers.
TITLE_ROW, META_ROW, HEADER_ROW = 0, 1, 2
FIRST_DATA_ROW = HEADER_ROW + 1

HIGHLIGHT_FILL = "#FFC7CE"    # Excel's "light red fill" of conditional formatting: a failed check
MAX_WIDTH = 100               # widths beyond this wrap (a column wider than a landscape page is no use)
HEADER_WRAP_WIDTH = 8         # a long header wraps onto more lines rather than widening its column:
                              # the page is fit to width, so every unit saved enlarges the print
LINE_HEIGHT = 15              # points per line of an 11-point text
A4 = 9                        # xlsxwriter paper index


@dataclass(frozen=True)
class Column:
    """One table column: Chinese header, how its values are shown, and whether the recipient fills
    it in. `entry` is one of ENTRY_KINDS for the whole column, or one per row (None = no validation
    on that row), e.g. a verified value that is a number on one row and a date on the next."""
    header: str
    kind: str = TEXT
    entry: str | Sequence[str | None] | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.header!r}: unknown kind {self.kind!r} (one of {', '.join(KINDS)})")
        if isinstance(self.entry, str) and self.entry not in ENTRY_KINDS:
            raise ValueError(f"column {self.header!r}: unknown entry {self.entry!r} (one of {', '.join(ENTRY_KINDS)})")


@dataclass(frozen=True)
class Document:
    title: str
    office: str
    issued_on: dt.date
    columns: Sequence[Column]
    rows: Sequence[Sequence]
    note: str = ""                                  # after office and date, e.g. the 公示 period
    highlight: Sequence[bool] | None = None          # one per row: fill the row light red
    sheet_name: str = "名单"
    meta: dict[str, str] = field(default_factory=dict)   # workbook properties (subject, keywords)


class DocumentError(Exception):
    """The document cannot be written: the message names the path and what to do."""


def display_width(text: str) -> int:
    """Width of a text in Excel column units: a CJK (wide or full-width) character counts two."""
    if text.isascii():
        return len(text)
    return _wide_width(text)


@functools.lru_cache(maxsize=1 << 16)
def _wide_width(text: str) -> int:
    # cached: a province audit writes ~2,900 worklists whose names, labels and sources repeat
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def shown(value, kind: str) -> str:
    """The text Excel shows for a value of the kind (what the column must be wide enough for)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)) and kind in (AMOUNT, SCORE, RATIO, INTEGER):
        if kind == RATIO:
            return f"{value * 100:.2f}%"
        if kind == INTEGER:
            return f"{value:.0f}"
        return f"{value:,.2f}" if kind == AMOUNT else f"{value:.2f}"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    return str(value)


def publicity_note(issued_on: dt.date, days: int) -> str:
    """公示期：2026年12月2日至2026年12月8日（7天） — the period starts on the issue date."""
    end = issued_on + dt.timedelta(days=int(days) - 1)
    return f"公示期：{chinese_date(issued_on)}至{chinese_date(end)}（{int(days)}天）"


def chinese_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _entries(col: Column, n_rows: int) -> list[str | None]:
    if col.entry is None:
        return [None] * n_rows
    if isinstance(col.entry, str):
        return [col.entry] * n_rows
    entries = list(col.entry)
    if len(entries) != n_rows:
        raise ValueError(f"column {col.header!r}: {len(entries)} entry kinds for {n_rows} rows")
    return entries


def _validation(kind: str, header: str) -> dict:
    """xlsxwriter data_validation options for an entry kind, with a message a town can act on."""
    if kind == ENTRY_DATE:
        lo, hi = ENTRY_DATE_RANGE
        return {"validate": "date", "criteria": "between", "minimum": lo, "maximum": hi,
                "input_title": header, "input_message": "请填写日期，如 2026-12-02",
                "error_title": "日期格式不正确", "error_message": f"{header}须为{lo.year}—{hi.year}年间的日期，如 2026-12-02"}
    if kind == ENTRY_BOOL:
        return {"validate": "list", "source": ENTRY_BOOL_VALUES, "input_title": header,
                "input_message": "请选择 是 或 否", "error_title": "请选择 是 或 否",
                "error_message": f"{header}只能填写 是 或 否"}
    integer = kind == ENTRY_INTEGER
    return {"validate": "integer" if integer else "decimal", "criteria": "between",
            "minimum": -10**12 if integer else -1e15, "maximum": 10**12 if integer else 1e15,
            "input_title": header, "input_message": "请填写整数" if integer else "请填写数值（不带单位）",
            "error_title": "请填写数值", "error_message": f"{header}须为{'整数' if integer else '数值'}，不带单位、不带千位分隔符"}


class _Formats:
    """xlsxwriter formats by (kind, highlighted, quoted, entry kind), created once per workbook."""

    def __init__(self, wb):
        self.wb, self.cache = wb, {}

    def get(self, kind: str, highlighted: bool = False, quoted: bool = False, entry: str | None = None):
        key = (kind, highlighted, quoted, entry)
        if key not in self.cache:
            props = {"border": 1, "valign": "vcenter"}
            num = NUMBER_FORMATS.get(DATE if entry == ENTRY_DATE else kind)
            if num:
                props["num_format"] = num
            if kind == TEXT:
                props["text_wrap"] = True           # only reached past MAX_WIDTH
            if kind in (ID, INTEGER, DATE):
                props["align"] = "center"
            if highlighted:
                props.update({"bg_color": HIGHLIGHT_FILL, "pattern": 1})
            if quoted:
                props["quote_prefix"] = True
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def _write_cell(ws, r: int, c: int, value, fmt) -> None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, str):
        # a CR would be stored as _x000D_, which not every reader turns back: store LF
        ws.write_string(r, c, value.replace("\r\n", "\n").replace("\r", "\n"), fmt)
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def ensure_folder(folder: Path) -> None:
    """Create `folder` if missing; DocumentError (naming it) when it cannot be a folder we write to."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DocumentError(f"the output path {folder} is a file, not a folder; choose another folder (--out)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DocumentError(f"cannot create the output folder {folder}: {exc.strerror or exc}; "
                            f"choose another folder (--out) or fix its permissions") from None
    if not os.access(folder, os.W_OK):
        raise DocumentError(f"the output folder {folder} is not writable; choose another folder (--out) "
                            f"or fix its permissions")


def write_document(path: Path | str, doc: Document) -> Path:
    """Write `doc` as one worksheet at `path` (atomically: a .tmp file renamed into place)."""
    import xlsxwriter

    path = Path(path)
    ncols, nrows = len(doc.columns), len(doc.rows)
    if ncols == 0:
        raise ValueError(f"document {doc.title!r} has no columns")
    highlight = list(doc.highlight) if doc.highlight is not None else [False] * nrows
    if len(highlight) != nrows:
        raise ValueError(f"document {doc.title!r}: {len(highlight)} highlight flags for {nrows} rows")
    entries = [_entries(col, nrows) for col in doc.columns]
    ensure_folder(path.parent)
    tmp = path.with_name(path.name + ".tmp")

    wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "nan_inf_to_errors": True})
    wb.set_properties({"title": doc.title, "author": doc.office, "company": doc.office, **doc.meta})
    ws = wb.add_worksheet(_sheet_name(doc.sheet_name))
    formats = _Formats(wb)
    last_col = ncols - 1

    title_fmt = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    meta_fmt = wb.add_format({"font_size": 11, "align": "left", "valign": "vcenter"})
    header_fmt = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter",
                                "text_wrap": True, "bg_color": "#D9E1F2", "pattern": 1})
    meta = f"发布单位：{doc.office}　　发布日期：{chinese_date(doc.issued_on)}" + (f"　　{doc.note}" if doc.note else "")
    if ncols > 1:
        ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last_col, doc.title, title_fmt)
        ws.merge_range(META_ROW, 0, META_ROW, last_col, meta, meta_fmt)
    else:
        ws.write_string(TITLE_ROW, 0, doc.title, title_fmt)
        ws.write_string(META_ROW, 0, meta, meta_fmt)
    ws.set_row(TITLE_ROW, 30)
    ws.set_row(META_ROW, 20)

    widths = []
    for c, col in enumerate(doc.columns):
        ws.write_string(HEADER_ROW, c, col.header, header_fmt)
        widths.append(min(display_width(col.header), HEADER_WRAP_WIDTH))

    for i, row in enumerate(doc.rows):
        if len(row) != ncols:
            raise ValueError(f"document {doc.title!r}: row {i + 1} has {len(row)} cells for {ncols} columns")
        r = FIRST_DATA_ROW + i
        for c, (col, value) in enumerate(zip(doc.columns, row)):
            value = xlsx_value(value)
            fmt = formats.get(col.kind, highlight[i], is_formula_like(value), entries[c][i])
            _write_cell(ws, r, c, value, fmt)
            text = shown(value, col.kind)
            widths[c] = max(widths[c], display_width(text) if "\n" not in text else
                            max(display_width(line) for line in text.split("\n")))

    header_lines = 1
    for c, col in enumerate(doc.columns):
        ws.set_column(c, c, min(widths[c] + 2, MAX_WIDTH))
        _validate(ws, c, col, entries[c])
        header_lines = max(header_lines, -(-display_width(col.header) // max(widths[c], 1)))
    ws.set_row(HEADER_ROW, LINE_HEIGHT * header_lines + 4)   # Excel does not grow a row for wrapped text

    last_row = FIRST_DATA_ROW + nrows - 1 if nrows else HEADER_ROW
    ws.autofilter(HEADER_ROW, 0, last_row, last_col)
    ws.freeze_panes(FIRST_DATA_ROW, 0)
    ws.set_landscape()
    ws.set_paper(A4)
    ws.fit_to_pages(1, 0)                       # one page wide, as many pages tall as it takes
    ws.repeat_rows(HEADER_ROW)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页，共 &N 页")
    try:
        wb.close()
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DocumentError(f"cannot write {path}: {exc.strerror or exc}; "
                            f"choose another folder (--out) or fix its permissions") from None
    return path


def _validate(ws, c: int, col: Column, entries: list[str | None]) -> None:
    """One data validation per run of consecutive rows with the same entry kind."""
    start = 0
    for i in range(1, len(entries) + 1):
        if i == len(entries) or entries[i] != entries[start]:
            if entries[start] is not None:
                ws.data_validation(FIRST_DATA_ROW + start, c, FIRST_DATA_ROW + i - 1, c,
                                   _validation(entries[start], col.header))
            start = i


def _sheet_name(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    for ch in "[]:*?/\\":
        name = name.replace(ch, "、")
    return name[:31] or "Sheet1"
