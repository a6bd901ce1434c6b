"""Public entry points of feed ingestion: locate, preflight, ingest (no Dagster here).

``ingest_feed`` turns one delivered file into raw.<feed> rows for its year, quarantine rows and one
delivery_ledger row (feeds.md "Bad input", "re-delivery"):

* loaded: the typed valid rows replace ALL earlier rows of that feed and year in raw.<feed>, and the
  rejected rows replace that feed+year's earlier quarantine rows, in ONE transaction with the ledger
  row. rows_delivered = rows_loaded + rows_rejected, always.
* unchanged: same sha256 as the last loaded delivery of that feed+year: a ledger row only.
* refused: the file cannot be read (encoding, no header, missing/duplicated column, not CSV/XLSX,
  csv+xlsx conflict): a ledger row (counts 0) and DeliveryRefused; raw is never touched.
* absent: an optional feed without a file: nothing written (absence is not a delivery).

The ``file`` recorded in the quarantine tables is the path relative to the feeds root
(``2020/tax_payments.csv``); exceptions name the full path.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration import progress
from orchestration.feeds import contract, ddl, idchecks
from orchestration.feeds.errors import DeliveryRefused, FileProblem, IngestOutOfMemory, MissingRequiredFeeds
from orchestration.feeds.reader import (FileInfo, check_inside_root, collect_rejects, framing_error, inspect_file,
                                        prepare_csv, scan_year, sha256_of, stage_csv)
from orchestration.feeds.validate import (REASONS, Validated, deferred_checks, install_parse_macros, load_references,
                                          map_headers, quarantine_select, qi, renumber, validate)

__all__ = ["DeliveryRefused", "IngestOutOfMemory", "MissingRequiredFeeds", "IngestResult", "REASONS", "find_deliveries",
           "preflight", "ingest_feed"]

log = logging.getLogger(__name__)

# A delivered file at least this large gets progress lines (progress.say; shown by `mujun run`):
# a province tax file takes minutes, a small file would only add noise.
PROGRESS_MIN_BYTES = 32 * 1024 * 1024


@dataclass
class IngestResult:
    feed: str
    year: int
    file: str | None              # relative to the feeds root, e.g. "2020/tax_payments.csv"
    status: str                   # loaded | unchanged | refused | absent
    sha256: str | None = None
    rows_delivered: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    message: str = ""
    delivery_id: str | None = None


def _default_reference_dir() -> Path:
    from orchestration.settings import SEEDS_DIR

    return SEEDS_DIR / "reference"


def _rel(feeds_root: Path, p: Path) -> str:
    try:
        return p.relative_to(feeds_root).as_posix()
    except ValueError:
        return str(p)


# ------------------------------------------------------------------------------ locating files
def find_deliveries(feeds_root: Path, year: int) -> dict[str, Path]:
    """Feed name -> delivered file of ``<feeds_root>/<year>/`` (names case-insensitive).

    Other files are ignored (logged; :func:`preflight` returns them). A feed delivered both as .csv
    and .xlsx raises DeliveryRefused naming both files (ingest_feed refuses and records it too).
    """
    scan = scan_year(Path(feeds_root), year)
    if scan.conflicts:
        files = " + ".join(str(p) for ps in scan.conflicts.values() for p in ps)
        raise DeliveryRefused(files, "feed delivered more than once (" + "; ".join(
            f"{feed}: {', '.join(p.name for p in ps)}" for feed, ps in scan.conflicts.items())
            + "): keep exactly one .csv or .xlsx per feed")
    return dict(scan.files)


def preflight(feeds_root: Path, year: int) -> list[str]:
    """Check a year folder before anything is written; returns the names of the ignored files.

    Raises MissingRequiredFeeds naming the year folder and each missing required feed file, and
    for ``parks`` delivered without ``park_members``. A feed delivered as both .csv and .xlsx counts
    as present here; ingest_feed refuses it.
    """
    scan = scan_year(Path(feeds_root), year)
    present = set(scan.files) | set(scan.conflicts)
    missing = [f"{name}.csv|.xlsx" for name in contract.REQUIRED_FEEDS if name not in present]
    notes = []
    for f in contract.FEEDS:
        if f.name in present:
            for req in f.requires:
                if req not in present:
                    missing.append(f"{req}.csv|.xlsx")
                    notes.append(f"{f.name} is delivered without {req}")
    if missing:
        if not scan.year_dir.is_dir():
            notes.append("the year folder does not exist")
        stems = {m.split(".")[0] for m in missing}
        for p in scan.ignored:
            if p.name.lower().split(".")[0] in stems:
                notes.append(f"{p.name} is not a .csv/.xlsx file")
        raise MissingRequiredFeeds(scan.year_dir, missing, notes)
    return [p.name for p in scan.ignored]


# ---------------------------------------------------------------------------------- ingestion
def _ledger(con, delivery_id, year, feed, file, sha, status, delivered, loaded, rejected, message):
    con.execute("""insert into quarantine.delivery_ledger
        (delivery_id, year, feed, file, sha256, status, rows_delivered, rows_loaded, rows_rejected, message, loaded_at)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)""",
                [delivery_id, year, feed, file, sha, status, delivered, loaded, rejected, message])


def _new_delivery_id(feed: str, year: int) -> str:
    return f"{year}-{feed}-{uuid.uuid4().hex[:12]}"


def _refuse(con, feed: str, year: int, file_rel: str, file_abs, sha: str | None, reason: str):
    did = _new_delivery_id(feed, year)
    _ledger(con, did, year, feed, file_rel, sha, "refused", 0, 0, 0, f"{file_rel}: {reason}")
    log.error("refused %s: %s", file_abs, reason)
    raise DeliveryRefused(file_abs, reason, feed=feed, year=year)


def _drop_temps(con, prefix: str) -> None:
    rows = con.execute("select table_name from duckdb_tables() where temporary and table_name like ?",
                       [prefix + "%"]).fetchall()
    for (t,) in rows:
        con.execute(f"drop table if exists temp.{qi(t)}")


@contextlib.contextmanager
def duckdb_memory(con: duckdb.DuckDBPyConnection, memory_limit: str | None, spill_dir: Path | None):
    """While ingesting: DuckDB's memory_limit and its spill folder (defaults: orchestration.settings),
    restored afterwards (they are settings of the whole database, shared with the caller)."""
    from orchestration import settings

    limit = memory_limit or settings.ingest_memory_limit()
    spill = Path(spill_dir) if spill_dir else settings.duckdb_temp_dir()
    old_limit, old_dir = con.execute(
        "select current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    try:
        con.execute(f"set memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error as e:
        raise ValueError(f"memory limit {limit!r} (MUJUN_INGEST_MEMORY_LIMIT) is not a DuckDB memory size such "
                         f"as 1GB or 512MB: {str(e).splitlines()[0]}") from None
    switched = False
    # DuckDB creates only the last folder of temp_directory (and only when it spills): a missing parent
    # (a fresh data dir, the library used outside `mujun run`) would surface as a misleading
    # "cannot be read as CSV"
    spill.parent.mkdir(parents=True, exist_ok=True)
    if str(spill) != old_dir:
        try:
            con.execute(f"set temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
            switched = True
        except duckdb.Error as e:   # DuckDB refuses to switch once its current folder holds spilled data
            log.warning("DuckDB spill folder stays %s (%s)", old_dir, str(e).splitlines()[0])
    try:
        yield limit
    finally:
        # the setting reads back rounded ('18.8 GiB'): reset when it was the default, so that
        # repeated ingestions do not shrink it
        con.execute("reset memory_limit")
        if con.execute("select current_setting('memory_limit')").fetchone()[0] != old_limit:
            con.execute(f"set memory_limit = '{old_limit}'")
        if switched:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"set temp_directory = '{old_dir.replace(chr(39), chr(39) * 2)}'")


def ingest_feed(con: duckdb.DuckDBPyConnection, feeds_root: Path, year: int, feed_name: str, *,
                reference_dir: Path | None = None, tmp_dir: Path | None = None,
                memory_limit: str | None = None, spill_dir: Path | None = None) -> IngestResult:
    """Ingest ``<feeds_root>/<year>/<feed_name>.csv|.xlsx`` into raw.<feed_name> (see module doc).

    ``reference_dir`` holds ref_counties.csv (and ref_industry_divisions.csv if present) and the
    seeds of the accepted official names (``Column.names_from``: ref_tax_codes.csv,
    ref_pollutants.csv), default seeds/reference. ``tmp_dir`` receives transcoded/converted copies (default: $MUJUN_INGEST_TMP or
    the system temp dir); they are deleted afterwards. ``memory_limit`` / ``spill_dir``: DuckDB's
    memory limit while this file is ingested and where it spills beyond it (duckdb_memory).
    """
    feeds_root = Path(feeds_root)
    feed = contract.feed(feed_name)
    if not isinstance(year, int) or year <= 0:
        # the first pass writes its rejected rows under -year (_load): a year must be positive
        raise ValueError(f"not a data year: {year!r}")
    ddl.ensure_schemas(con)
    idchecks.install_macros(con)
    install_parse_macros(con)

    scan = scan_year(feeds_root, year)
    if feed.name in scan.conflicts:
        paths = scan.conflicts[feed.name]
        _refuse(con, feed.name, year, " + ".join(_rel(feeds_root, p) for p in paths),
                " + ".join(str(p) for p in paths), None,
                f"feed delivered more than once ({', '.join(p.name for p in paths)}): keep exactly one .csv or .xlsx")
    path = scan.files.get(feed.name)
    if path is None:
        if feed.required:
            raise MissingRequiredFeeds(scan.year_dir, [f"{feed.name}.csv|.xlsx"])
        return IngestResult(feed.name, year, None, "absent", message="no file delivered (absence is not a delivery)")
    rel = _rel(feeds_root, path)
    try:
        check_inside_root(feeds_root, path)
    except FileProblem as e:
        _refuse(con, feed.name, year, rel, path, None, e.reason)   # the target is not read at all

    try:
        info: FileInfo = inspect_file(path)
    except FileProblem as e:
        _refuse(con, feed.name, year, rel, path, sha256_of(path), e.reason)

    last = con.execute("""select delivery_id, sha256, rows_delivered, rows_loaded, rows_rejected
        from quarantine.delivery_ledger where feed = ? and year = ? and status = 'loaded'
        order by loaded_at desc limit 1""", [feed.name, year]).fetchone()
    if last and last[1] == info.sha256:
        did = _new_delivery_id(feed.name, year)
        msg = f"{rel}: unchanged since delivery {last[0]}; nothing replaced"
        _ledger(con, did, year, feed.name, rel, info.sha256, "unchanged", last[2], last[3], last[4], msg)
        reasons = dict(con.execute("""select reason, count(*) from quarantine.rejected_rows
            where feed = ? and year = ? and delivery_id = ? group by reason""", [feed.name, year, last[0]]).fetchall())
        return IngestResult(feed.name, year, rel, "unchanged", info.sha256, last[2], last[3], last[4],
                            reasons, msg, did)

    with duckdb_memory(con, memory_limit, spill_dir) as limit:
        try:
            return _load(con, feeds_root, year, feed, path, rel, info, reference_dir, tmp_dir)
        except duckdb.OutOfMemoryException as e:
            raise IngestOutOfMemory(path, limit, str(e).splitlines()[0]) from None


def _load(con, feeds_root: Path, year: int, feed: contract.Feed, path: Path, rel: str, info: FileInfo,
          reference_dir: Path | None, tmp_dir: Path | None) -> IngestResult:
    """Frame, validate and (in one transaction) replace the feed+year's rows, quarantine and ledger."""
    prefix = f"_ingest_{uuid.uuid4().hex[:10]}"
    base_tmp = tmp_dir or os.environ.get("MUJUN_INGEST_TMP") or None
    if base_tmp:
        Path(base_tmp).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="mujun-ingest-", dir=base_tmp))
    pio, threads = con.execute(
        "select current_setting('preserve_insertion_order'), current_setting('threads')").fetchone()
    if not pio:
        con.execute("set preserve_insertion_order = true")   # file order = row numbers
    con.execute("set threads = 1")   # each pass reads the file: one thread keeps it in order (stage_csv)
    large = info.size >= PROGRESS_MIN_BYTES
    t0 = time.monotonic()
    if large:
        progress.say(f"ingest {rel}: reading {info.size / 1e6:,.0f} MB")
    try:
        refs = load_references(con, Path(reference_dir) if reference_dir else _default_reference_dir(), prefix,
                               feed)
        try:
            csv_path, header = prepare_csv(info, work)
            hm = map_headers(feed, header)
        except FileProblem as e:
            _refuse(con, feed.name, year, rel, path, info.sha256, e.reason)
        direct = csv_path == info.path   # the delivered file itself, not a converted copy
        staged = stage_csv(csv_path, header, prefix, trim=info.edge_blanks or not direct,
                           longest_record=info.longest_record if direct else None)
        did = _new_delivery_id(feed.name, year)
        cols = ", ".join(qi(c.name) for c in feed.columns)
        con.execute("begin transaction")
        try:
            con.execute(f"delete from raw.{feed.name} where year = ?", [year])
            # ONE pass over the file writes every non-empty framed row, typed, straight from the
            # validation query: the rows failing a cell check under year -Y (rolled back or deleted
            # below, never committed), so that the checks needing the whole delivery (ids, keys) read
            # the written columns instead of the file (measured on a 1.2 GB tax file: a separate
            # framing pass cost 8 of 37 CPU-s)
            first = validate(con, feed, year, staged, hm, refs, prefix)
            try:
                framed = con.execute(f"""insert into raw.{feed.name} (year, {cols}, _extra, _delivery_id, _row_number)
                    select case when _reason is null then {year} else {-year} end, {cols}, _extra, ?, _row_number
                    from {first.select}""", [did]).fetchone()[0]
            except duckdb.OutOfMemoryException:
                raise          # not the file's fault: ingest_feed reports the memory limit
            except duckdb.Error as e:
                raise framing_error(e) from None
            n_unframed = collect_rejects(con, staged)
            checks = deferred_checks(con, feed, year, prefix)
            rejected = checks.n_bad + n_unframed
            delivered = framed + n_unframed
            loaded = framed - checks.n_bad
            con.execute("delete from quarantine.rejected_rows where feed = ? and year = ?", [feed.name, year])
            reasons: dict[str, int] = {}
            if rejected:
                # a second pass, only for a delivery with rejected rows: every check, first failure
                # wins, for exactly the rows the first pass and the deferred checks rejected, with the
                # cells the quarantine shows as delivered
                full = validate(con, feed, year, staged, hm, refs, prefix, checks, keep_cells=True)
                which = f"_rid in (select _rid from {checks.bad})" if checks.bad else "false"
                con.execute(f"create temp table {prefix}_bad as select * from {full.select} where {which}")
                found = con.execute(f"select count(*) filter (where _reason is not null), count(*) from {prefix}_bad").fetchone()
                if found != (checks.n_bad, checks.n_bad):
                    raise RuntimeError(f"ingestion of {rel}: the second pass rejects {found[0]} of the {checks.n_bad} "
                                       "rows the first pass rejected (a bug: nothing was written)")
                if checks.bad:
                    con.execute(f"delete from raw.{feed.name} where year = {-year}")
                    con.execute(f"delete from raw.{feed.name} where year = {year} "
                                f"and _row_number - 1 in (select _rid from {checks.bad})")
                if n_unframed:
                    renumber(con, feed, year, prefix)
                bad = Validated(f"{prefix}_bad")
                q_sel = quarantine_select(feed, year, staged, hm, bad, prefix, con, refs)
                con.execute(f"""insert into quarantine.rejected_rows
                    (delivery_id, year, feed, file, row_number, reason, detail, raw) {q_sel}""",
                            [did, rel] * (2 if staged.n_rejects else 1))
                reasons = dict(con.execute("""select reason, count(*) from quarantine.rejected_rows
                    where delivery_id = ? group by 1""", [did]).fetchall())
            msg = (f"{rel}: {delivered} rows delivered, {loaded} loaded, {rejected} rejected"
                   + (f" ({', '.join(f'{k} {n}' for k, n in sorted(reasons.items()))})" if reasons else "")
                   + (f"; encoding {info.encoding}" if info.kind == "csv" else "; xlsx first sheet"))
            _ledger(con, did, year, feed.name, rel, info.sha256, "loaded", delivered, loaded, rejected, msg)
            con.execute("commit")
        except FileProblem as e:
            con.execute("rollback")
            _refuse(con, feed.name, year, rel, path, info.sha256, e.reason)
        except BaseException:
            con.execute("rollback")
            raise
        log.info("%s", msg)
        if large:
            secs = max(time.monotonic() - t0, 1e-6)
            progress.say(f"ingest {rel}: {delivered:,} rows ({loaded:,} loaded, {rejected:,} rejected), "
                         f"{info.size / 1e6:,.0f} MB in {secs:,.1f} s ({delivered / secs:,.0f} rows/s, "
                         f"{info.size / 1e6 / secs:,.1f} MB/s)")
        return IngestResult(feed.name, year, rel, "loaded", info.sha256, delivered, loaded, rejected,
                            reasons, msg, did)
    finally:
        if not pio:
            con.execute("set preserve_insertion_order = false")
        con.execute(f"set threads = {int(threads)}")
        _drop_temps(con, prefix)
        shutil.rmtree(work, ignore_errors=True)
