"""Hostile input (issue #9 items 6 and 7): limits on absurd files, paths with quotes, stray folders,
symlinks, a failed publication write — each with real files, real DuckDB and real `mujun` processes.

Every refused file must name itself and the limit, load nothing and leave the earlier good load of
the feed in place; a file that is read must account for every record it contains.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_feeds import to_xlsx_values, valid_rows, write_feed  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
YEAR = 2021
FEED = "energy_monthly"
MiB = 1024 * 1024
LIMIT_VARS = ("MUJUN_MAX_LINE_BYTES", "MUJUN_MAX_XLSX_BYTES", "MUJUN_MAX_XLSX_ROWS", "MUJUN_MAX_XLSX_CELLS")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for k in LIMIT_VARS:
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("MUJUN_INGEST_TMP", str(tmp_path / "ingest-tmp"))


# ------------------------------------------------------------------------------ helpers
INGEST_SCRIPT = textwrap.dedent("""
    import json, sys
    import duckdb
    from orchestration.feeds.loader import DeliveryRefused, ingest_feed
    con = duckdb.connect(sys.argv[1])
    try:
        r = ingest_feed(con, sys.argv[2], int(sys.argv[3]), sys.argv[4])
        out = {"status": r.status, "delivered": r.rows_delivered, "loaded": r.rows_loaded,
               "rejected": r.rows_rejected, "message": r.message}
    except DeliveryRefused as e:
        out = {"status": "refused", "message": str(e)}
    print(json.dumps(out))
""")


def ingest(db: Path, root: Path, env: dict | None = None) -> dict:
    """ingest_feed on a real warehouse file (env: the limit settings for this call)."""
    from orchestration.feeds.loader import DeliveryRefused, ingest_feed

    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with duckdb.connect(str(db)) as con:
            r = ingest_feed(con, root, YEAR, FEED)
        return {"status": r.status, "delivered": r.rows_delivered, "loaded": r.rows_loaded,
                "rejected": r.rows_rejected, "message": r.message}
    except DeliveryRefused as e:
        return {"status": "refused", "message": str(e)}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def ingest_isolated(db: Path, root: Path, env: dict | None = None, timeout: float = 60) -> dict:
    """ingest_feed in its own process: a conversion that never ends fails the test instead of hanging it."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    try:
        proc = subprocess.run([sys.executable, "-c", INGEST_SCRIPT, str(db), str(root), str(YEAR), FEED],
                              env=full_env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"ingestion still running after {timeout:.0f}s (no limit on this file)")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def raw_rows(db: Path) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select count(*) from raw.{FEED} where year = ?", [YEAR]).fetchone()[0]


def last_ledger(db: Path) -> tuple:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("""select status, rows_delivered, rows_loaded, rows_rejected, message
            from quarantine.delivery_ledger order by loaded_at desc limit 1""").fetchone()


def _write_good(root: Path, fmt: str) -> Path:
    rows = valid_rows(FEED, 6, YEAR)
    return write_feed(root / str(YEAR), FEED, to_xlsx_values(FEED, rows) if fmt == "xlsx" else rows, fmt=fmt)


@pytest.fixture(scope="module")
def good_warehouses(tmp_path_factory) -> dict[str, Path]:
    """A warehouse holding a good delivery of FEED (6 rows), per format; tests work on copies."""
    out = {}
    for fmt in ("csv", "xlsx"):
        base = tmp_path_factory.mktemp(f"good_{fmt}")
        _write_good(base / "feeds", fmt)
        res = ingest(base / "w.duckdb", base / "feeds")
        assert (res["status"], res["delivered"], res["loaded"]) == ("loaded", 6, 6), res
        out[fmt] = base / "w.duckdb"
    return out


@pytest.fixture
def good_load(tmp_path, good_warehouses):
    """good_load(fmt) -> (db, feeds root, delivered file): a copy of the good warehouse and its file."""
    def make(fmt: str = "csv") -> tuple[Path, Path, Path]:
        db = tmp_path / "w.duckdb"
        shutil.copy(good_warehouses[fmt], db)
        path = _write_good(tmp_path / "feeds", fmt)
        return db, tmp_path / "feeds", path
    return make


def assert_refused_and_intact(db: Path, res: dict, *needles: str, earlier: int = 6) -> None:
    assert res["status"] == "refused", res
    for needle in needles:
        assert needle in res["message"], (needle, res["message"])
    assert raw_rows(db) == earlier                       # the earlier good load is untouched
    status, delivered, loaded, rejected, message = last_ledger(db)
    assert (status, delivered, loaded, rejected) == ("refused", 0, 0, 0)
    assert needles[1] in message and f"{YEAR}/" in message   # the ledger names the file relative to the root


def csv_with_long_record(path: Path, n_before: int, n_after: int, long_bytes: int, quoted_lines: bool = False):
    """A real feed CSV whose record n_before+1 carries a value of long_bytes bytes."""
    rows = valid_rows(FEED, n_before + 1 + n_after, YEAR)
    write_feed(path.parent, FEED, rows)
    lines = path.read_bytes().split(b"\n")
    head, body = lines[0], [ln for ln in lines[1:] if ln]
    with open(path, "wb") as f:
        f.write(head + b"\n" + b"\n".join(body[:n_before]) + b"\n")
        if quoted_lines:      # one quoted field of many short physical lines
            piece = b"y" * 99 + b"\n"
            f.write(body[n_before] + b',"')
            for _ in range(long_bytes // len(piece)):
                f.write(piece)
            f.write(b'"\n')
        else:
            f.write(body[n_before] + b"," + b"y" * long_bytes + b"\n")
        f.write(b"\n".join(body[n_before + 1:]) + b"\n")


# ------------------------------------------------------------------------- 6. line length
def test_a_300_mib_line_is_refused_not_silently_dropped(good_load):
    """DuckDB's parallel reader drops a >=256 MiB record without a reject; the file must be refused."""
    db, root, path = good_load()
    csv_with_long_record(path, 50, 50, 300 * MiB)
    try:
        res = ingest(db, root)
    finally:
        path.unlink()
    assert_refused_and_intact(db, res, str(path), "line 52 is 300.0 MiB", "over the limit of 16.0 MiB",
                              "MUJUN_MAX_LINE_BYTES")


@pytest.mark.parametrize("quoted_lines", [False, True], ids=["one_line", "quoted_multiline_field"])
def test_line_limit_is_a_setting_and_counts_quoted_records(good_load, quoted_lines):
    db, root, path = good_load()
    csv_with_long_record(path, 3, 3, 2 * MiB, quoted_lines=quoted_lines)
    res = ingest(db, root, env={"MUJUN_MAX_LINE_BYTES": str(MiB)})
    assert_refused_and_intact(db, res, str(path), "line 5 is 2.0 MiB", "over the limit of 1.0 MiB",
                              "MUJUN_MAX_LINE_BYTES")


def test_a_long_line_under_the_limit_is_counted(good_load):
    """Under the limit the long record is read whole: delivered counts every record in the file."""
    db, root, path = good_load()
    csv_with_long_record(path, 3, 3, 20 * MiB)
    res = ingest(db, root, env={"MUJUN_MAX_LINE_BYTES": str(32 * MiB)})
    assert res["status"] == "loaded", res
    assert res["delivered"] == 7 and res["delivered"] == res["loaded"] + res["rejected"], res


# ------------------------------------------------------------------------------- 6. xlsx
def rezip(path: Path, edit) -> None:
    """Rewrite the workbook with edit(name, data) -> data applied to every member."""
    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info.filename, edit(info.filename, data))
    path.write_bytes(buf.getvalue())


SHEET = "xl/worksheets/sheet1.xml"


def test_xlsx_declaring_the_whole_sheet_is_refused_quickly(good_load):
    """A few KB declaring A1:XFD1048576 with its last cell filled: openpyxl pads every row in
    between to 16,384 cells (17 billion cells, ~35 min at 100 % CPU)."""
    db, root, path = good_load("xlsx")

    def bomb(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
        return data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
    rezip(path, bomb)
    assert path.stat().st_size < 20_000
    res = ingest_isolated(db, root, timeout=30)
    assert_refused_and_intact(db, res, str(path), "A1:XFD1048576", "17,179,869,184 cells",
                              "MUJUN_MAX_XLSX_CELLS")


def test_xlsx_member_declaring_a_huge_size_is_refused_before_opening(good_load):
    db, root, path = good_load("xlsx")
    data = bytearray(path.read_bytes())
    cd = data.find(b"PK\x01\x02")                                     # central directory entries
    while cd != -1:
        name_len = struct.unpack_from("<H", data, cd + 28)[0]
        if bytes(data[cd + 46:cd + 46 + name_len]) == SHEET.encode():
            struct.pack_into("<I", data, cd + 24, 0xF000_0000)         # uncompressed size: 3.75 GiB
            break
        cd = data.find(b"PK\x01\x02", cd + 4)
    assert cd != -1
    path.write_bytes(bytes(data))
    res = ingest(db, root)
    assert_refused_and_intact(db, res, str(path), "inflates to", "xl/worksheets/sheet1.xml: 3,840.0 MiB",
                              "MUJUN_MAX_XLSX_BYTES")


def test_xlsx_that_really_inflates_over_the_limit_is_refused(good_load):
    db, root, path = good_load("xlsx")
    rows = to_xlsx_values(FEED, valid_rows(FEED, 300, YEAR))
    write_feed(path.parent, FEED, rows, fmt="xlsx", extra={"备注": [f"{i}" + "x" * 8000 for i in range(300)]})
    assert path.stat().st_size < 200_000            # ~2.4 MB of XML in a small zip
    res = ingest(db, root, env={"MUJUN_MAX_XLSX_BYTES": str(MiB)})
    assert_refused_and_intact(db, res, str(path), "inflates to", "over the limit of 1.0 MiB",
                              "MUJUN_MAX_XLSX_BYTES")


@pytest.mark.parametrize("declared", [True, False], ids=["declared_dimension", "no_dimension_streamed"])
@pytest.mark.parametrize("limit,env,needle", [
    ("rows", "MUJUN_MAX_XLSX_ROWS", "over the limit of 10 rows"),
    ("cells", "MUJUN_MAX_XLSX_CELLS", "50 cells"),
])
def test_xlsx_rows_and_cells_limits(good_load, declared, limit, env, needle):
    db, root, path = good_load("xlsx")
    write_feed(path.parent, FEED, to_xlsx_values(FEED, valid_rows(FEED, 30, YEAR)), fmt="xlsx")
    if not declared:
        rezip(path, lambda n, d: re.sub(rb"<dimension [^>]*/>", b"", d) if n == SHEET else d)
    res = ingest(db, root, env={env: "10" if limit == "rows" else "50"})
    assert_refused_and_intact(db, res, str(path), needle, env)
    if declared:
        assert "the sheet declares A1:" in res["message"]


# ----------------------------------------------------------------------------- 7. symlinks
def test_symlink_outside_the_feeds_root_is_refused_and_named(good_load, tmp_path):
    db, root, path = good_load()
    outside = tmp_path / "elsewhere" / "energy.csv"
    outside.parent.mkdir()
    write_feed(outside.parent, FEED, valid_rows(FEED, 9, YEAR), file_name=outside.name)
    path.unlink()
    path.symlink_to(outside)
    res = ingest(db, root)
    assert_refused_and_intact(db, res, str(path), f"symbolic link to {outside}", "outside the feeds root")

    # a link that stays inside the feeds root is an ordinary delivery
    inside = root / "incoming" / "energy.csv"
    inside.parent.mkdir()
    shutil.move(outside, inside)
    path.unlink()
    path.symlink_to(inside)
    res = ingest(db, root)
    assert (res["status"], res["loaded"]) == ("loaded", 9), res


# ---------------------------------------------------------------- 7. year folders (mujun run)
def mujun(*args: str, data_dir: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(data_dir / "dagster_home")}
    for k in ("MUJUN_DATA_DIR", "MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    return subprocess.run([str(BIN / "mujun"), *args, "--data-dir", str(data_dir)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_stray_year_folders_are_listed_not_a_crash(tmp_path):
    data = tmp_path / "data"
    for name in ("²⁰²¹", "２０２１", "2040", "notes"):
        (data / "feeds" / name).mkdir(parents=True)
    proc = mujun("run", "--feeds", str(data / "feeds"), data_dir=data, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out, out
    assert "ignored, not a year folder: 2040, notes, ²⁰²¹, ２０２１ (supported 2015–2035)" in out, out
    assert "no year folders" in out

    proc = mujun("run", "--feeds", str(data / "feeds"), "--years", "2040", data_dir=data, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out, out
    assert "year(s) 2040 outside the supported range 2015–2035" in out, out


# --------------------------------------------- 7. a quote in --data-dir, end to end, and disk errors
@pytest.fixture(scope="module")
def quoted_run(tmp_path_factory, dbt_manifest):
    """One real `mujun run` (county sample, 2021) in a data dir whose path holds a ' and a space,
    with stray folders beside the year folder."""
    data = tmp_path_factory.mktemp("hostile") / "o'brien data"
    feeds = data / "feeds"
    gen = subprocess.run([str(BIN / "mujun"), "generate", "--out", str(feeds), "--years", str(YEAR)],
                         cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
                         timeout=300)
    assert gen.returncode == 0, gen.stderr[-3000:]
    (feeds / "²⁰²¹").mkdir()
    (feeds / "2040").mkdir()
    proc = mujun("run", "--years", str(YEAR), data_dir=data, timeout=900)
    return data, proc


@pytest.mark.slow   # a whole county run: `make test-slow`
def test_quote_in_data_dir_publishes(quoted_run):
    data, proc = quoted_run
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert "ignored, not a year folder: 2040, ²⁰²¹" in out
    published = data / "published" / "mujun.duckdb"
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from marts.subject_evaluation").fetchone()[0] > 0


PUBLISH_SCRIPT = textwrap.dedent("""
    import resource, signal, sys
    import dagster as dg
    from orchestration.assets.audit import publish_warehouse
    from orchestration.cli import _step_failures
    from orchestration.resources import build_resources
    # The disk fills up: writes past 1 MB fail (EFBIG, like ENOSPC) instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))
    result = dg.materialize([publish_warehouse], resources=build_resources(), raise_on_error=False,
                            instance=dg.DagsterInstance.ephemeral())
    print("\\n".join(_step_failures(result, "evaluate")))
""")


@pytest.mark.slow
def test_write_failure_during_publication_keeps_its_reason(quoted_run):
    data, proc = quoted_run
    assert proc.returncode == 0
    target = data / "published2" / "mujun.duckdb"
    env = {**os.environ, "PYTHONPATH": str(REPO), "MUJUN_DATA_DIR": str(data), "MUJUN_PUBLISHED": str(target)}
    for k in ("MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_REPORTS"):
        env.pop(k, None)
    run = subprocess.run([sys.executable, "-c", PUBLISH_SCRIPT], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    summary = run.stdout
    assert "evaluate: publish:" in summary, summary
    assert "File too large" in summary, summary            # the OS's reason, not "Error occurred ..."
    assert not target.exists() and not list(target.parent.glob(".*tmp*"))   # no half-written file left
