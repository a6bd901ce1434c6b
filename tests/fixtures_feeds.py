"""Helpers that write small, valid feed files (CSV in several encodings, or real .xlsx).

Valid ids are built with the reference check-code functions of orchestration.feeds.idchecks.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path

from orchestration.feeds import contract as K
from orchestration.feeds.idchecks import person_check_char, uscc_check_char
from orchestration.settings import SEEDS_DIR


def _counties() -> list[str]:
    with open(SEEDS_DIR / "reference" / "ref_counties.csv", encoding="utf-8") as f:
        return [r["county_code"] for r in csv.DictReader(f)]


COUNTIES = _counties()
COUNTY = COUNTIES[0]
TOWN = COUNTY + "001"


def uscc(n: int, county: str = "330106") -> str:
    body = f"91{county}{n:09d}"[:17]
    return body + uscc_check_char(body)


def bad_uscc(n: int) -> str:
    good = uscc(n)
    wrong = "0" if good[-1] != "0" else "1"
    return good[:-1] + wrong


def person_id(n: int) -> str:
    body = f"330106{19800101 + n % 28:08d}{n % 1000:03d}"
    return body + person_check_char(body)


def bad_person_id(n: int) -> str:
    good = person_id(n)
    return good[:-1] + ("0" if good[-1] != "0" else "1")


def valid_value(feed: K.Feed, col: K.Column, i: int, year: int) -> str:
    k = col.kind
    if feed.name == "parks" and col.name in ("park_type", "park_class"):
        pt = K.PARK_TYPES[i % len(K.PARK_TYPES)]
        return pt if col.name == "park_type" else K.PARK_CLASSES_BY_TYPE[pt][i % 2]
    if feed.name == "tax_payments":
        if col.name == "belongs_to":
            return f"{year}-{i % 12 + 1:02d}"
        if col.name == "paid_on":
            return f"{year}-{i % 12 + 1:02d}-15"
        if col.name == "deferred":
            return "0"
    if feed.name == "energy_monthly" and col.name == "month":
        return f"{year}-{i % 12 + 1:02d}"
    if k == K.TEXT:
        return f"{col.name}-{i}"
    if k == K.USCC:
        return uscc(i)
    if k == K.PERSON:
        return person_id(i)
    if k == K.SUBJECT:
        return uscc(i) if i % 2 == 0 else person_id(i)
    if k == K.COUNTY:
        return COUNTIES[i % len(COUNTIES)]
    if k == K.TOWN:   # a town of the row's county where the feed has one (Column.in_county)
        return COUNTIES[i % len(COUNTIES)] + "001" if col.in_county else TOWN
    if k == K.INDUSTRY:
        return "3841"
    if k == K.TAX_CODE:
        return "10101"
    if k == K.DATE:
        return f"{year}-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
    if k == K.MONTH:
        return f"{year}-{i % 12 + 1:02d}"
    if k == K.BOOL:
        return ("1", "否", "TRUE", "n")[i % 4]
    if k == K.DECIMAL:
        return f"{100 + i}.5"
    if k == K.INTEGER:
        return str(10 + i)
    if k == K.ENUM:
        return col.enum[i % len(col.enum)]
    raise ValueError(k)


def valid_rows(feed_name: str, n: int, year: int, start: int = 0) -> list[dict[str, str]]:
    f = K.feed(feed_name)
    return [{c.name: valid_value(f, c, i, year) for c in f.columns} for i in range(start, start + n)]


def header_names(feed_name: str, lang: str = "en", full_width: bool = True) -> dict[str, str]:
    f = K.feed(feed_name)
    if lang == "en":
        return {c.name: c.name.upper() if i % 2 else c.name for i, c in enumerate(f.columns)}
    out = {}
    for c in f.columns:
        zh = c.zh
        if full_width:
            zh = zh.replace("(", "（").replace(")", "）")
        out[c.name] = zh
    return out


def write_feed(folder: Path, feed_name: str, rows: list[dict[str, object]], *, fmt: str = "csv",
               encoding: str = "utf-8", lang: str = "en", shuffle: int | None = None,
               extra: dict[str, list[str]] | None = None, columns: list[str] | None = None,
               headers: list[str] | None = None, file_name: str | None = None) -> Path:
    """Write ``rows`` (contract column -> value) as ``folder/<feed>.<fmt>``.

    ``columns``: the contract columns to write (default all, in contract order, shuffled with the
    ``shuffle`` seed); ``headers``: explicit header cells (then rows are lists); ``extra``: extra
    header -> values appended. For xlsx, values that are date/int/float objects become real cells.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = header_names(feed_name, lang)
    cols = list(columns or K.feed(feed_name).column_names)
    if shuffle is not None:
        random.Random(shuffle).shuffle(cols)
    if headers is None:
        headers = [names[c] for c in cols] + list((extra or {}).keys())
        body = [[r.get(c, "") for c in cols] + [vals[i] for vals in (extra or {}).values()]
                for i, r in enumerate(rows)]
    else:
        body = [list(r) for r in rows]
    path = folder / (file_name or f"{feed_name}.{fmt}")
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(headers)
        for r in body:
            ws.append([None if v == "" else v for v in r])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
        wb.save(path)
    else:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n" if encoding == "gb18030" else "\n")
        w.writerow(headers)
        w.writerows(body)
        text = buf.getvalue()
        path.write_bytes(text.encode("utf-8-sig" if encoding == "utf-8-sig" else encoding))
    return path


def write_required(root: Path, year: int, n: int = 3, skip: tuple[str, ...] = ()) -> dict[str, Path]:
    out = {}
    for name in K.REQUIRED_FEEDS:
        if name not in skip:
            out[name] = write_feed(root / str(year), name, valid_rows(name, n, year))
    return out


def to_xlsx_values(feed_name: str, rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """Real cell types for xlsx: dates as date cells, decimals as floats, integers as ints."""
    f = K.feed(feed_name)
    out = []
    for r in rows:
        o: dict[str, object] = {}
        for c in f.columns:
            v = r[c.name]
            if c.kind == K.DATE and v:
                o[c.name] = dt.date.fromisoformat(v)
            elif c.kind == K.DECIMAL and v:
                o[c.name] = float(v)
            elif c.kind == K.INTEGER and v:
                o[c.name] = float(v)          # 12.0 must come back as 12
            else:
                o[c.name] = v
        out.append(o)
    return out


def redeliver_tax_payments(feeds: Path, year: int, uscc: str | None = None) -> str:
    """Multiply one enterprise's payments of <year> by 10 in the delivered file (the first payer when
    no uscc is given); returns its uscc."""
    path = feeds / str(year) / "tax_payments.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    target = uscc or rows[0]["uscc"]
    assert any(r["uscc"] == target for r in rows)
    for r in rows:
        if r["uscc"] == target:
            r["amount_yuan"] = f"{float(r['amount_yuan']) * 10:.2f}"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return target
