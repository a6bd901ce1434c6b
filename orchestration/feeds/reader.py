"""Locate a delivered feed file and read it into DuckDB as all-VARCHAR, with its row numbers.

Steps (feeds.md "Parsing rules"):

1. :func:`scan_year` finds ``<feeds_root>/<year>/<feed>.csv|.xlsx`` (case-insensitive) and lists
   every other file as ignored; a feed delivered as both .csv and .xlsx is a conflict.
2. :func:`inspect_file` streams the bytes once: sha256, strict UTF-8 decoding (BOM allowed), else
   strict GB18030; binary content (NUL bytes, a zip in a .csv) is refused, and so is a file whose
   longest record is over MUJUN_MAX_LINE_BYTES or an .xlsx over its size limits (feeds/limits.py).
   A feed file that is a symbolic link leading outside the feeds root is refused before reading.
   The same pass proves (EdgeScan) whether any cell can start or end with a blank.
3. ``.xlsx`` is converted to a UTF-8 CSV (openpyxl read_only, first sheet, header on the first
   non-empty row; date cells as YYYY-MM-DD, integral floats without ``.0``). This is the only
   per-row Python loop.
4. A CSV that is not UTF-8, or that contains blank lines, is rewritten in chunks to a temporary
   UTF-8 file: GB18030 is transcoded, and every blank line outside a quoted field becomes an empty
   record (``,,,``) so that it keeps its place in the row numbering (DuckDB drops blank lines but
   counts them in its reject line numbers). Blank lines before the header are dropped.
5. :func:`stage_csv` describes the file as a subquery over DuckDB ``read_csv`` (explicit all-VARCHAR
   columns, ``"`` quoting, strict framing, ``store_rejects``: records that cannot be framed land in
   the rejects table with their line number, :func:`collect_rejects`): trimmed cells ``v0..vN`` in
   file order, no trim test at all when EdgeScan proved there is nothing to trim. Each pass of the
   loader reads the file again through it (once for a clean delivery); nothing of the file is
   copied into DuckDB.
   Row numbers: 1 = the first record after the header; blank and all-empty records keep a number
   (they are skipped later, not counted). For ``.xlsx`` the row number is the sheet row minus the
   header's sheet row.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import logging
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.feeds import limits
from orchestration.feeds.contract import FEEDS_BY_NAME
from orchestration.feeds.errors import FileProblem

log = logging.getLogger(__name__)

CHUNK = 8 * 1024 * 1024
FEED_SUFFIXES = (".csv", ".xlsx")
# Trimmed around every header and cell: ASCII whitespace, no-break space, ideographic space.
TRIM_CHARS = " \t\r\n\f\v\u00a0\u3000"

_BLANK_LINE_BYTES = re.compile(rb"\n[ \t]*\r?\n")


# the bytes that can follow the newline that starts a blank line (_BLANK_LINE_BYTES)
_AFTER_NEWLINE_OF_BLANK = bytes(1 if ch in b"\n\r \t" else 0 for ch in range(256))


def _may_hold_blank_line(chunk: bytes, newlines) -> bool:
    """Can _BLANK_LINE_BYTES match inside the chunk? Only if some newline (``newlines``: their
    offsets, LineMeter.chunk_newlines) is followed by a newline, CR, space or tab: one gather of the
    bytes after the newlines, ~20x cheaper than the four substring scans it replaces (measured on a
    1.2 GB tax file: 1.9 CPU-s); the regex runs only when it is true."""
    import numpy as np

    after = newlines + 1
    after = after[after < len(chunk)]
    table = np.frombuffer(_AFTER_NEWLINE_OF_BLANK, dtype=np.uint8)
    return bool(table[np.frombuffer(chunk, dtype=np.uint8)[after]].any())
_LEADING_BLANK_BYTES = re.compile(rb"^(?:\xef\xbb\xbf)?[ \t,\"]*\r?\n")


# ------------------------------------------------------------------------------- locating files
@dataclass
class YearScan:
    year_dir: Path
    files: dict[str, Path] = field(default_factory=dict)          # feed -> the one delivered file
    conflicts: dict[str, list[Path]] = field(default_factory=dict)  # feed -> several files (refused)
    ignored: list[Path] = field(default_factory=list)             # other files (notes, ~$ lock files)


def scan_year(feeds_root: Path, year: int) -> YearScan:
    year_dir = Path(feeds_root) / str(year)
    scan = YearScan(year_dir)
    if not year_dir.is_dir():
        return scan
    found: dict[str, list[Path]] = {}
    for p in sorted(year_dir.iterdir()):
        name = p.name.lower()
        stem, dot, suffix = name.rpartition(".")
        if p.is_file() and dot and f".{suffix}" in FEED_SUFFIXES and stem in FEEDS_BY_NAME:
            found.setdefault(stem, []).append(p)
        else:
            scan.ignored.append(p)
    for feed, paths in found.items():
        if len(paths) == 1:
            scan.files[feed] = paths[0]
        else:
            scan.conflicts[feed] = paths
    for p in scan.ignored:
        log.info("ignored file in feed folder: %s", p)
    return scan


def check_inside_root(feeds_root: Path, path: Path) -> None:
    """Refuse a feed file that is (or lies in a folder that is) a symbolic link leading outside
    the feeds root: the feeds root is what was delivered, and a link elsewhere would load a file
    nobody delivered (or a system file) without saying so."""
    root = Path(feeds_root).resolve()
    target = Path(path).resolve()
    if not target.is_relative_to(root):
        raise FileProblem(f"symbolic link to {target}, outside the feeds root {root}: "
                          "copy the file into the feeds folder instead of linking it")


# -------------------------------------------------------------------------------- inspecting
@dataclass
class FileInfo:
    path: Path
    kind: str            # "csv" | "xlsx"
    sha256: str
    size: int
    encoding: str | None = None   # "utf-8" | "gb18030" for csv
    blank_lines: bool = False     # a blank line somewhere (or before the header): rewrite needed
    edge_blanks: bool = True      # a cell may start or end with one of TRIM_CHARS (False: proven none)
    longest_record: int | None = None   # bytes of the longest CSV record (limits.LineMeter)


# EdgeScan: the bytes that can start or end a cell (unquoted: comma, newline; quoted: the quote)
# and the one-byte TRIM_CHARS that can sit next to them; CR and the multi-byte ones are not paired.
_EDGE_TABLE = bytes((ord("b") if ch in b',"\n' else ord("s") if ch in b" \t\x0b\x0c" else ord("."))
                    for ch in range(256))
_BLANK_BYTES = (b" ", b"\t", b"\x0b", b"\x0c")
# searched for their lead byte first (memchr): a two- or three-byte search costs ~10x more per chunk
_WIDE_SPACES = ("\u00a0".encode(), "\u3000".encode())


class EdgeScan:
    """Streaming proof that no cell of a UTF-8 CSV starts or ends with one of TRIM_CHARS, so that
    staging can skip the per-cell trim test (measured: half of the staging CPU of a tax file).

    Conservative: a blank byte next to a comma, quote or newline anywhere (also inside a quoted
    field), any CR (CRLF files), any no-break or ideographic space, or a newline inside a quoted
    field (LineMeter.quoted_newline) means "maybe" and the cells are tested one by one."""

    def __init__(self) -> None:
        self.maybe = False
        self._last = b"."        # class of the previous chunk's last byte
        self._tail = b""         # its last two bytes (a multi-byte space split across chunks)

    def feed(self, chunk: bytes) -> None:
        if self.maybe or not chunk:
            return
        if (b"\r" in chunk or any(w in self._tail + chunk[:2] or (w[:1] in chunk and w in chunk) for w in _WIDE_SPACES)
                or self._last + chunk[:1].translate(_EDGE_TABLE) in (b"sb", b"bs")):
            self.maybe = True
            return
        if any(c in chunk for c in _BLANK_BYTES):   # memchr scans; translate only when needed
            classes = chunk.translate(_EDGE_TABLE)
            if b"sb" in classes or b"bs" in classes:
                self.maybe = True
                return
        self._last = chunk[-1:].translate(_EDGE_TABLE)
        self._tail = chunk[-2:]

    def finish(self, lines: limits.LineMeter) -> bool:
        """True when a cell may need trimming (a blank last byte ends the last cell too)."""
        return self.maybe or self._last == b"s" or lines.quoted_newline


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _decodes(path: Path, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                dec.decode(chunk, final=False)
        dec.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False


def inspect_file(path: Path) -> FileInfo:
    """One streaming pass: sha256, UTF-8 validity, NUL bytes, blank lines. Raises FileProblem."""
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    h = hashlib.sha256()
    size = 0
    if kind == "xlsx":
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
                size += len(chunk)
        if size == 0:
            raise FileProblem("empty file (no header)")
        if not zipfile.is_zipfile(path):
            raise FileProblem("not an .xlsx workbook (not a zip/OOXML file)")
        limits.check_xlsx_archive(path)
        return FileInfo(path, "xlsx", h.hexdigest(), size)

    utf8 = codecs.getincrementaldecoder("utf-8")(errors="strict")
    utf8_ok = True
    has_nul = False
    blank = False
    tail = b""
    first = True
    lines = limits.LineMeter()
    edges = EdgeScan()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
            lines.feed(chunk)
            edges.feed(chunk)
            if first:
                first = False
                if chunk.startswith(b"PK\x03\x04"):
                    raise FileProblem("not a CSV file: the content is a zip archive (an .xlsx saved as .csv?)")
                if _LEADING_BLANK_BYTES.match(chunk):
                    blank = True
            if not has_nul and b"\x00" in chunk:
                has_nul = True
            if not blank and (_BLANK_LINE_BYTES.search(tail + chunk[:64])
                              or _may_hold_blank_line(chunk, lines.chunk_newlines)
                              and _BLANK_LINE_BYTES.search(chunk)):
                blank = True
            tail = chunk[-64:]
            # an ASCII chunk is valid UTF-8 when no multi-byte sequence is pending from the last one:
            # isascii is ~50x cheaper than decoding (the tax files are ASCII)
            if utf8_ok and not (chunk.isascii() and not utf8.getstate()[0]):
                try:
                    utf8.decode(chunk, final=False)
                except UnicodeDecodeError:
                    utf8_ok = False
    if size == 0:
        raise FileProblem("empty file (no header)")
    if has_nul:
        raise FileProblem("not a CSV file: binary content (NUL bytes)")
    lines.finish()
    lines.check()
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        encoding = "utf-8"
    elif _decodes(path, "gb18030"):
        encoding = "gb18030"
    else:
        raise FileProblem("cannot decode as UTF-8 or GB18030")
    return FileInfo(path, "csv", h.hexdigest(), size, encoding, blank, edges.finish(lines), lines.longest)


# ------------------------------------------------------------------------------------ xlsx
def _xlsx_cell_text(cell) -> str:
    v = cell.value
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        fmt = (getattr(cell, "number_format", "") or "").lower()
        if v.time() == dt.time(0):
            if "d" not in fmt.replace("[red]", "") and "y" in fmt and "m" in fmt:
                return f"{v.year:04d}-{v.month:02d}"          # a month-formatted cell
            return v.date().isoformat()
        return v.isoformat(sep=" ")                           # has a time part: not a date value
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    return str(v)


def xlsx_to_csv(src: Path, dst: Path) -> None:
    """First sheet -> UTF-8 CSV; header = first non-empty row; later empty rows kept as empty records."""
    try:
        import openpyxl

        wb = openpyxl.load_workbook(src, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any failure means: not a readable workbook
        raise FileProblem(f"not a readable .xlsx workbook ({type(e).__name__}: {e})") from None
    try:
        if not wb.worksheets:
            raise FileProblem("the workbook has no sheet")
        ws = wb.worksheets[0]
        limits.check_declared_dimension(ws)
        sheet = limits.SheetMeter()
        width = None
        with open(dst, "w", encoding="utf-8", newline="") as out:
            w = csv.writer(out, lineterminator="\n")
            for row in ws.iter_rows():
                sheet.add(len(row))
                vals = [_xlsx_cell_text(c) for c in row]
                while vals and vals[-1].strip(TRIM_CHARS) == "":
                    vals.pop()
                if width is None:
                    if not vals:
                        continue                                  # before the header
                    width = len(vals)
                    w.writerow(vals)
                    continue
                if len(vals) < width:
                    vals += [""] * (width - len(vals))
                w.writerow(vals)   # csv writes a single empty field as "" (not a blank line)
            if width is None:
                raise FileProblem("empty sheet (no header row)")
    finally:
        wb.close()


# ------------------------------------------------------------------------------ csv rewriting
def read_header(path: Path, encoding: str) -> list[str]:
    """The first record that is not all-empty, as delivered (csv module framing)."""
    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as f:
        for rec in csv.reader(f):
            if any(c.strip(TRIM_CHARS) for c in rec):
                if rec:
                    rec[0] = rec[0].lstrip("\ufeff")
                return rec
    raise FileProblem("empty file (no header)")


_BLANK_LINE_TEXT = re.compile(r"(?:(?<=\n)|^)[ \t]*(\r?\n)")
_LEADING_JUNK_TEXT = re.compile(r"^(?:\ufeff)?(?:[ \t,\"]*\r?\n)+")


def rewrite_csv(src: Path, dst: Path, encoding: str, n_cols: int, fill_blank_lines: bool) -> None:
    """Stream ``src`` to a UTF-8 ``dst``: drop lines before the header that hold no value, and
    replace blank lines outside quoted fields by an empty record of ``n_cols`` fields."""
    dec = codecs.getincrementaldecoder("utf-8-sig" if encoding == "utf-8" else encoding)(errors="strict")
    empty_record = "," * (n_cols - 1) if n_cols > 1 else '""'
    in_quotes = False
    carry = ""
    started = False
    with open(src, "rb") as fin, open(dst, "w", encoding="utf-8", newline="") as fout:
        while True:
            chunk = fin.read(CHUNK)
            final = not chunk
            text = carry + dec.decode(chunk, final=final)
            if not final:
                cut = text.rfind("\n") + 1
                text, carry = text[:cut], text[cut:]
                if not text:
                    continue
            if not started:
                m = _LEADING_JUNK_TEXT.match(text)
                if m:
                    text = text[m.end():]
                if not text and not final:
                    continue
                started = True
            if fill_blank_lines:
                parts = []
                pos = 0
                for m in _BLANK_LINE_TEXT.finditer(text):
                    if m.start() < pos:
                        continue
                    if text.count('"', pos, m.start()) % 2:
                        in_quotes = not in_quotes
                    parts.append(text[pos:m.start()])
                    parts.append(m.group(0) if in_quotes else empty_record + m.group(1))
                    pos = m.end()
                if text.count('"', pos) % 2:
                    in_quotes = not in_quotes
                parts.append(text[pos:])
                text = "".join(parts)
            fout.write(text)
            if final:
                break


# ------------------------------------------------------------------------------ DuckDB staging
@dataclass
class Staged:
    table: str                # SQL subquery over the file: _pos, v0..vN (trimmed, NULL when empty), _cells
    framing: str              # the same subquery, recording the unframeable records (collect_rejects)
    rejects: str              # temp table, after collect_rejects: line (1 = header), error_type, csv_line, error_message
    header: list[str]         # header cells as delivered
    n_rejects: int = 0        # records that could not be framed (set by collect_rejects)
    all_empty: str = "false"  # SQL: every cell of the row is empty (such rows keep a number, count as nothing)
    _raw_rejects: tuple[str, str] = ("", "")

    def raw_cell(self, i: int, alias: str = "s") -> str:
        """SQL of cell ``i`` exactly as delivered (see stage_csv: ``_cells`` or the trimmed value)."""
        return f"coalesce({alias}._cells[{i + 1}], coalesce({alias}.v{i}, ''))"


def prepare_csv(info: FileInfo, tmp_dir: Path) -> tuple[Path, list[str]]:
    """The UTF-8 CSV DuckDB will read (the delivered file itself when possible) and its header.
    Only the delivered file itself can skip the trim tests (FileInfo.edge_blanks); a rewritten or
    converted copy is always tested."""
    if info.kind == "xlsx":
        dst = tmp_dir / f"{info.path.stem}.{uuid.uuid4().hex[:8]}.csv"
        xlsx_to_csv(info.path, dst)
        check_line_lengths(dst)   # a huge cell (shared string) makes a huge CSV line
        return dst, read_header(dst, "utf-8")
    header = read_header(info.path, info.encoding or "utf-8")
    if info.encoding == "utf-8" and not info.blank_lines:
        return info.path, header
    dst = tmp_dir / f"{info.path.stem}.{uuid.uuid4().hex[:8]}.utf8.csv"
    rewrite_csv(info.path, dst, info.encoding or "utf-8", len(header), fill_blank_lines=True)
    return dst, header


def check_line_lengths(path: Path) -> None:
    meter = limits.LineMeter()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            meter.feed(chunk)
    meter.finish()
    meter.check()


def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _needs_trim_sql(cell: str) -> str:
    """Does the cell start or end with one of TRIM_CHARS? Two code-point tests: measured 3x cheaper
    per cell than DuckDB's trim with a UTF-8 character set, which only runs when this is true."""
    codes = ", ".join(str(ord(ch)) for ch in TRIM_CHARS)
    return f"(ord({cell}) in ({codes}) or ord({cell}[-1]) in ({codes}))"


def stage_csv(csv_path: Path, header: list[str], prefix: str, trim: bool = True,
              longest_record: int | None = None) -> Staged:
    """Describe the file's trimmed cells as subqueries over the file, read again by each pass in
    file order; nothing is run here. The first pass reads ``framing``, which records the records that
    cannot be framed; :func:`collect_rejects` then turns them into the ``rejects`` table that later
    passes (reading ``table``, which skips the same records) use to number the rows.

    Not a table: a staged copy of a 1.2 GB tax file outgrew the ingestion memory limit and spilled,
    and every pass read it back (measured: reading the CSV again costs less than writing and reading
    the copy). Columns ``_pos`` (0-based record number among the framed records), ``v0..vN``: the
    trimmed cell, NULL when empty (the only NULL: feeds.md). ``_cells``: the row's cells as
    delivered, ONLY for the rare row where trimming changed a cell; for every other row the
    delivered cell is ``coalesce(v_i, '')`` (Staged.raw_cell), so the quarantine's raw JSON is exact.
    ``trim=False`` (the file was proven to have no cell to trim, EdgeScan) skips the per-cell test.
    ``longest_record``: the file's longest record in bytes when known, to size DuckDB's CSV buffers
    (limits.duckdb_csv_sizes).

    Every query reading the file must run with ``threads = 1`` (the loader sets it for the whole
    ingestion): ``_pos`` is the row number only when one thread reads the file in order, and DuckDB
    1.5.6 was measured to read a file of several CSV buffers out of order under a memory limit with
    two threads (a row of line 245,766 numbered 904,553), even with preserve_insertion_order.
    """
    n = len(header)
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n))
    fnn = ", ".join(f"'c{i}'" for i in range(n))
    guards = [_needs_trim_sql(f"c{i}") for i in range(n)]
    if trim:
        trimmed = ", ".join(
            f"case when g{i} then nullif(trim(c{i}, {_sql_str(TRIM_CHARS)}), '') else nullif(c{i}, '') end as v{i}"
            for i in range(n))
        any_trim = " or ".join(f"g{i}" for i in range(n))
        kept = f"case when {any_trim} then [{', '.join(f'c{i}' for i in range(n))}] end"
    else:
        trimmed = ", ".join(f"nullif(c{i}, '') as v{i}" for i in range(n))
        kept, guards = "null::varchar[]", []

    max_line, buffer = limits.duckdb_csv_sizes(longest_record)

    def source(rejects_table: str, rejects_scan: str) -> str:
        # every pass skips the same unframeable records (store_rejects, into a throwaway table for the
        # later passes: ignore_errors was seen to drop a good last line after a stray quote)
        return f"""(select (row_number() over ()) - 1 as _pos, {trimmed}, {kept} as _cells
            from (select *{"".join(f", {g} as g{i}" for i, g in enumerate(guards))}
                  from read_csv({_sql_str(str(csv_path))},
                      header = true, auto_detect = false, columns = {{{cols}}},
                      delim = ',', quote = '"', escape = '"', strict_mode = true,
                      force_not_null = [{fnn}], max_line_size = {max_line}, buffer_size = {buffer},
                      store_rejects = true, rejects_table = '{rejects_table}', rejects_scan = '{rejects_scan}')))"""

    all_empty = " and ".join(f"v{i} is null" for i in range(n))
    rej, scan = f"{prefix}_rej", f"{prefix}_rejscan"
    return Staged(source(f"{prefix}_rejx", f"{prefix}_rejxscan"), source(rej, scan), f"{rej}_lines", header,
                  all_empty=all_empty, _raw_rejects=(rej, scan))


def framing_error(e: duckdb.Error) -> FileProblem:
    """What a failed first pass over the file says to the department (not a memory problem)."""
    return FileProblem(f"cannot be read as CSV: {str(e).splitlines()[0]}")


def collect_rejects(con: duckdb.DuckDBPyConnection, staged: Staged) -> int:
    """After the pass that read ``staged.framing``: one row per unframeable record (its first error
    type, its line, every message) in ``staged.rejects``; returns and sets ``staged.n_rejects``."""
    rej, scan = staged._raw_rejects
    con.execute(f"""create or replace temp table {staged.rejects} as
        select line, min(error_type)::varchar as error_type, first(csv_line order by byte_position) as csv_line,
               string_agg(distinct error_message, '; ' order by error_message) as error_message
        from {rej} group by line""")
    con.execute(f"drop table if exists {rej}; drop table if exists {scan}")
    staged.n_rejects = con.execute(f"select count(*) from {staged.rejects}").fetchone()[0]
    return staged.n_rejects
