"""Limits on hostile or absurd feed files: longest line, decompressed XLSX size, sheet rows and cells.

A file over a limit is refused as a whole (FileProblem naming the limit and its env var), so
nothing of it is loaded and the earlier good load of that feed and year stays in place. Each limit
is a setting with a default; raise it with the env var when a genuine delivery needs more.

Why a line limit at all: DuckDB's parallel CSV reader cannot frame a record longer than its
scan window (about 256 MiB on duckdb 1.5.6); with ``store_rejects`` the "full read not supported"
error is swallowed and the record vanishes without a reject (delivered = loaded + rejected would
silently lie). So every CSV is measured before DuckDB reads it, and DuckDB's own
``max_line_size`` is set above the limit so that what passes the check is read whole.

Why XLSX limits: openpyxl trusts the sheet's declared ``<dimension ref=...>`` and pads every row
to it (a 4.7 KB file declaring ``A1:XFD1048576`` means 17 billion empty cells), and a zip member
can inflate a thousandfold. The zip's declared sizes bound what Python's zipfile will inflate
(it stops at the declared size and fails the CRC), so checking them is enough.
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass

from orchestration.feeds.errors import FileProblem

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limit:
    env: str
    default: int
    what: str

    def value(self) -> int:
        raw = os.environ.get(self.env, "").strip().replace("_", "")
        if not raw:
            return self.default
        try:
            v = int(raw)
        except ValueError:
            raise FileProblem(f"{self.env}={raw!r} is not a whole number (the {self.what})") from None
        if v <= 0:
            raise FileProblem(f"{self.env}={raw!r} must be positive (the {self.what})")
        return v


MAX_LINE_BYTES = Limit("MUJUN_MAX_LINE_BYTES", 16 * MiB, "longest CSV line, in bytes")
MAX_XLSX_BYTES = Limit("MUJUN_MAX_XLSX_BYTES", 512 * MiB, "decompressed size of an .xlsx, in bytes")
# Excel's own sheet size: a longer sheet cannot come from Excel or WPS.
MAX_XLSX_ROWS = Limit("MUJUN_MAX_XLSX_ROWS", 1_048_576, "rows of the first sheet of an .xlsx")
MAX_XLSX_CELLS = Limit("MUJUN_MAX_XLSX_CELLS", 50_000_000, "cells (rows x columns) of the first sheet")
ALL = (MAX_LINE_BYTES, MAX_XLSX_BYTES, MAX_XLSX_ROWS, MAX_XLSX_CELLS)


def describe() -> str:
    """One line per limit (for --help)."""
    return "; ".join(f"{lim.env} ({lim.what}, default {lim.default:,})" for lim in ALL)


def _size(n: int) -> str:
    return f"{n / MiB:,.1f} MiB" if n >= MiB else f"{n:,} bytes"


# ---------------------------------------------------------------------------------- CSV lines
class LineMeter:
    """Streaming measure of the longest CSV record, fed the file's bytes chunk by chunk.

    A record ends at a newline outside double quotes (``"`` quoting with ``""`` escapes, as the
    reader configures DuckDB), so a quoted field spanning lines counts as one long record. numpy
    keeps this at a few ms per 8 MiB chunk.
    """

    def __init__(self) -> None:
        self.offset = 0            # bytes seen
        self.newlines = 0          # physical newlines seen
        self.in_quotes = False
        self.record_start = 0      # byte offset of the current record
        self.record_line = 1       # physical line number where the current record starts
        self.longest = 0
        self.longest_line = 0
        self.quoted_newline = False  # a newline inside a quoted field (a cell may start or end with it)
        self.chunk_newlines = None   # offsets of the newlines of the last chunk fed (numpy; reused by the reader)

    def feed(self, chunk: bytes) -> None:
        import numpy as np   # here, not at import: `mujun --help` lists the limits without numpy

        b = np.frombuffer(chunk, dtype=np.uint8)
        nl = np.flatnonzero(b == 10)
        self.chunk_newlines = nl
        # memchr first: most feeds hold no quote at all, and counting costs ~10x more (0.4 CPU-s of a
        # 1.2 GB tax file)
        n_quotes = chunk.count(b'"') if b'"' in chunk else 0
        if n_quotes:
            quotes = np.flatnonzero(b == 34)
            # quotes before each newline, plus the carried state: even = outside a quoted field
            before = np.searchsorted(quotes, nl) + int(self.in_quotes)
            ends_idx = np.flatnonzero((before & 1) == 0)
            self.in_quotes = bool((n_quotes + int(self.in_quotes)) & 1)
        else:
            ends_idx = np.arange(len(nl)) if not self.in_quotes else np.empty(0, dtype=np.int64)
        if len(ends_idx) < len(nl):
            self.quoted_newline = True
        if len(ends_idx):
            ends = nl[ends_idx] + self.offset                       # absolute offsets of record ends
            starts = np.concatenate(([self.record_start], ends[:-1] + 1))
            lengths = ends - starts
            i = int(np.argmax(lengths))
            if lengths[i] > self.longest:
                self.longest = int(lengths[i])
                self.longest_line = self.record_line if i == 0 else self.newlines + int(ends_idx[i - 1]) + 2
            self.record_start = int(ends[-1]) + 1
            self.record_line = self.newlines + int(ends_idx[-1]) + 2
        self.offset += len(chunk)
        self.newlines += len(nl)

    def finish(self) -> None:
        """The last record may lack its newline."""
        tail = self.offset - self.record_start
        if tail > self.longest:
            self.longest, self.longest_line = tail, self.record_line

    def check(self, limit: int | None = None) -> None:
        limit = MAX_LINE_BYTES.value() if limit is None else limit
        if self.longest > limit:
            raise FileProblem(
                f"line {self.longest_line:,} is {_size(self.longest)}, over the limit of {_size(limit)} "
                f"({MAX_LINE_BYTES.env}); a record that long is not a feed row — check the file "
                f"(an unclosed quote?) or raise {MAX_LINE_BYTES.env}")


def duckdb_max_line_size() -> int:
    """DuckDB's max_line_size: above our limit (UTF-8 rewriting of GB18030 can grow a line by half),
    so a line that passed the check is read whole."""
    return max(2 * MAX_LINE_BYTES.value(), 16 * MiB)


def duckdb_buffer_size() -> int:
    """DuckDB's CSV buffer_size: by default 16 x max_line_size (512 MiB per buffer here, one per
    reading thread), which alone would exceed the ingestion memory limit. Twice the line size is
    enough for the reader to frame a record of max_line_size across two buffers."""
    return 2 * duckdb_max_line_size()


def duckdb_csv_sizes(longest_record: int | None) -> tuple[int, int]:
    """(max_line_size, buffer_size) for reading a file whose longest record is known (LineMeter):
    each pass of ingestion reads the file while it writes, and two 64 MiB buffers were measured to
    exhaust a 128 MB limit. Twice the longest record, at least 1 MiB (a 4 MiB buffer); None (a
    converted or transcoded copy, whose records may have grown): the general limits."""
    if longest_record is None:
        return duckdb_max_line_size(), duckdb_buffer_size()
    line = max(2 * longest_record + 2, MiB)
    return line, 4 * line


# ---------------------------------------------------------------------------------------- XLSX
def check_xlsx_archive(path) -> None:
    """Refuse before opening: the declared decompressed size of the workbook's zip members."""
    limit = MAX_XLSX_BYTES.value()
    with zipfile.ZipFile(path) as z:
        total = sum(i.file_size for i in z.infolist())
        if total > limit:
            big = max(z.infolist(), key=lambda i: i.file_size)
            raise FileProblem(
                f"the workbook inflates to {_size(total)} ({big.filename}: {_size(big.file_size)}), over the "
                f"limit of {_size(limit)} ({MAX_XLSX_BYTES.env}); deliver large feeds as .csv or raise "
                f"{MAX_XLSX_BYTES.env}")


def check_declared_dimension(ws) -> None:
    """Refuse a first sheet whose declared size (openpyxl read-only: from <dimension ref>) is over
    the row or cell limit, then drop it so that openpyxl does not pad rows to a size it cannot trust
    (the converter pads records to the header width itself)."""
    rows, cols = ws.max_row, ws.max_column
    if rows and cols:
        ref = f"{ws.calculate_dimension()}"
        _check_rows(rows, f"the sheet declares {ref} ({rows:,} rows)")
        cells_limit = MAX_XLSX_CELLS.value()
        if rows * cols > cells_limit:
            raise FileProblem(
                f"the sheet declares {ref} ({rows:,} rows x {cols:,} columns = {rows * cols:,} cells), over "
                f"the limit of {cells_limit:,} cells ({MAX_XLSX_CELLS.env})")
    ws.reset_dimensions()


def _check_rows(rows: int, what: str) -> None:
    limit = MAX_XLSX_ROWS.value()
    if rows > limit:
        raise FileProblem(f"{what}, over the limit of {limit:,} rows ({MAX_XLSX_ROWS.env})")


class SheetMeter:
    """Counts rows and cells while the sheet streams; refuses as soon as one is over its limit."""

    def __init__(self) -> None:
        self.rows = 0
        self.cells = 0
        self.max_rows = MAX_XLSX_ROWS.value()
        self.max_cells = MAX_XLSX_CELLS.value()

    def add(self, row_width: int) -> None:
        self.rows += 1
        self.cells += row_width
        if self.rows > self.max_rows:
            _check_rows(self.rows, f"the sheet has more than {self.max_rows:,} rows")
        if self.cells > self.max_cells:
            raise FileProblem(
                f"the sheet has more than {self.max_cells:,} cells by row {self.rows:,} (rows are "
                f"{row_width:,} cells wide), over the limit ({MAX_XLSX_CELLS.env})")
