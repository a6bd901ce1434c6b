"""Speed and memory of mujun at stated scales, next to the floor of each step (a measurement, not a test).

    .venv/bin/python scripts/benchmark.py                      # county and province
    .venv/bin/python scripts/benchmark.py --scales county,city --years 2020,2021 --keep /tmp/bench
    .venv/bin/python scripts/benchmark.py --scales county --steps run,rerun

Each step runs in its own child process so that its CPU seconds (user + system of the process and
its children, e.g. the dbt subprocess), wall time and peak RSS (ru_maxrss) are its own. Steps:
  generate   synthetic feeds (orchestration.synthetic)
  ingest     every feed of every year into raw.* through the ingestion library
  evaluate   dbt seed + dbt build (subjects, grades, leader lists, audit models) as a first `mujun run`
             builds: the tests a run leaves out (source, unit, ingestion-contract) left out
  audit      random audit: sample + GX suites + town quality + Data Docs + worklists
  run        a whole `mujun run` on a fresh data dir (<work>/run) with these feeds
  rerun      a second `mujun run` on the same data dir, nothing changed
  spark      the same seeds and models on a local Spark (`mujun spark-build`; `make setup-spark` first),
             from the raw layer of the ingest step: compare with the evaluate floor (models only)
Floors, measured in the same run right after their step:
  ingest     the same files loaded by ONE DuckDB process with typed read_csv (types sniffed),
             one table per file, nothing checked: the cost of reading the bytes into DuckDB;
             and on its own row, the same at the contract's column types (ids and codes as the
             VARCHAR raw.<feed> stores, months as dates): the same table content mujun writes
  evaluate   the compiled SQL of the same dbt models (manifest.json compiled_code), in dependency
             order, each run once as CREATE TABLE / VIEW in one DuckDB connection on a copy of the
             warehouse; seeds and tests excluded
  run        the sum of the ingest and evaluate floors (a run is ingest + evaluate + audit + publish)
  whole      the sum of the floors of the steps measured
The rerun row says what share of the cold run's wall time it took.
The table (scale | step | mujun CPU-s / wall / RSS | floor | ratio) is printed and appended to
<out>/benchmark.md, ready to paste into the README.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def _cpu_s() -> float:
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


# ----------------------------------------------------------------------------- steps (child side)
def step_generate(d: Path, scale: str, years: list[int]) -> dict:
    from orchestration.synthetic.generate import generate

    summary = generate(d / "feeds", scale=scale, years=years, seed=42, progress=lambda m: print(m, flush=True))
    size = sum(f.stat().st_size for f in (d / "feeds").rglob("*") if f.is_file())
    return {"note": f"{size / 1e6:,.0f} MB of CSV; subjects {summary.get('subjects', '?')}"}


def step_ingest(d: Path, scale: str, years: list[int]) -> dict:
    os.environ["MUJUN_DATA_DIR"] = str(d)   # DuckDB spills under <work>/tmp/duckdb, as a run's would
    import duckdb

    from orchestration.feeds.contract import FEEDS
    from orchestration.feeds.loader import ingest_feed, preflight

    # a fresh warehouse: on a kept work folder every file would be "unchanged" and nothing measured
    for stale in (d / "warehouse.duckdb", d / "warehouse.duckdb.wal"):
        stale.unlink(missing_ok=True)
    con = duckdb.connect(str(d / "warehouse.duckdb"))
    rows = 0
    for y in years:
        preflight(d / "feeds", y)
        for f in FEEDS:
            r = ingest_feed(con, d / "feeds", y, f.name)
            rows += r.rows_delivered
            print(f"{y} {f.name}: {r.status} {r.rows_loaded:,}/{r.rows_delivered:,}", flush=True)
    con.close()
    return {"note": f"{rows:,} rows delivered"}


def _dbt(d: Path, *args: str) -> None:
    env = {**os.environ, "MUJUN_WAREHOUSE": str(d / "warehouse.duckdb"),
           "MUJUN_DBT_TEMP_DIR": str(d / "tmp" / "duckdb" / "dbt"), "DBT_PROFILES_DIR": str(REPO / "dbt_project")}
    (d / "tmp" / "duckdb").mkdir(parents=True, exist_ok=True)
    # as dagster-dbt does for a run's fresh target folder: start from the parse `mujun prepare` saved
    # (without it the first of --repeat N builds parsed the whole project: ~7 CPU-s more than a run)
    prepared, target = REPO / "target" / "partial_parse.msgpack", d / "target" / "partial_parse.msgpack"
    if prepared.is_file() and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(prepared, target)
    cmd = [str(Path(sys.executable).parent / "mujun-dbt"), *args, "--target-path", str(d / "target"),
           "--log-path", str(d / "logs")]
    subprocess.run(cmd, cwd=REPO, env=env, check=True)


def step_evaluate(d: Path, scale: str, years: list[int]) -> dict:
    # the build of a first `mujun run` (orchestration/assets/dbt.py): seeds, models and their tests,
    # without the source, unit and ingestion-contract tests, which a run leaves out
    from orchestration.assets.dbt import build_args

    _dbt(d, *build_args({}, skip_seed_tests=False))
    import duckdb

    con = duckdb.connect(str(d / "warehouse.duckdb"), read_only=True)
    n = con.execute("select count(*) from marts.subject_evaluation").fetchone()[0]
    con.close()
    return {"note": f"{n:,} subject-years evaluated"}


def step_audit(d: Path, scale: str, years: list[int]) -> dict:
    import contextlib

    import duckdb

    from orchestration.audit.run import run_audit

    @contextlib.contextmanager
    def connect():
        con = duckdb.connect(str(d / "warehouse.duckdb"))
        try:
            yield con
        finally:
            con.close()

    outcome = run_audit(connect, seed=20211, reports_dir=d / "reports", years=years,
                        progress=lambda line: print(line, flush=True))
    failed = outcome.critical_failures
    t = outcome.timings
    phases = ", ".join(f"{k[:-2]} {v:.1f}" for k, v in t.items())
    return {"note": f"{len(outcome.sample):,} sampled; {phases} s; "
                     f"critical failures: {', '.join(failed) if failed else 'none'}"}


def _feed_files(d: Path, years: list[int]) -> list[Path]:
    from orchestration.feeds.reader import scan_year

    return [p for y in years for _, p in sorted(scan_year(d / "feeds", y).files.items())]


def _bulk_load(d: Path, years: list[int], db_name: str, create_sql) -> int:
    """Every delivered CSV into its own table of a throwaway database (``create_sql(table, path)``);
    returns the rows loaded."""
    import duckdb

    db = d / db_name
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    rows = 0
    for i, p in enumerate(_feed_files(d, years)):
        if p.suffix.lower() != ".csv":
            continue   # the floor of an .xlsx would be openpyxl's; synthetic feeds are CSV
        con.execute(create_sql(f"t{i}", p))
        rows += con.execute(f"select count(*) from t{i}").fetchone()[0]
    con.close()
    db.unlink(missing_ok=True)
    return rows


def floor_ingest(d: Path, scale: str, years: list[int]) -> dict:
    """The bulk-load floor: every delivered CSV into its own table, typed by DuckDB's sniffer."""
    rows = _bulk_load(d, years, "floor-ingest.duckdb", lambda t, p: (
        f"create table {t} as select * from read_csv('{p}', header = true, store_rejects = true)"))
    return {"note": f"{rows:,} rows read"}


def floor_ingest_typed(d: Path, scale: str, years: list[int]) -> dict:
    """The bulk-load floor at the contract's column types: every delivered CSV into its own table
    whose columns have the types raw.<feed> stores (ids, codes and text as VARCHAR, dates, numbers
    and booleans parsed by read_csv, a month cast from its text), nothing checked, no bookkeeping
    columns. The sniffed floor (floor_ingest) stores a record id of digits as BIGINT, cheaper to
    write than the text the contract (and a leading zero) needs."""
    from orchestration.feeds import contract as K
    from orchestration.feeds.reader import read_header
    from orchestration.feeds.validate import map_headers

    read_as = {K.DATE: "DATE", K.DECIMAL: "DOUBLE", K.INTEGER: "BIGINT", K.BOOL: "BOOLEAN"}

    def create_sql(t: str, p: Path) -> str:
        feed = K.feed(p.stem.lower())
        header = read_header(p, "utf-8")
        kinds = {c.name: c.kind for c in feed.columns}
        kind_at = {idx: kinds[name] for name, idx in map_headers(feed, header).source.items()}
        cols = ", ".join(f"'c{j}': '{read_as.get(kind_at.get(j), 'VARCHAR')}'" for j in range(len(header)))
        sel = ", ".join(f"strptime(c{j}, '%Y-%m')::date as c{j}" if kind_at.get(j) == K.MONTH else f"c{j}"
                        for j in range(len(header)))
        return f"""create table {t} as select {sel} from read_csv('{p}', header = true, auto_detect = false,
            columns = {{{cols}}}, dateformat = '%Y-%m-%d', store_rejects = true)"""

    rows = _bulk_load(d, years, "floor-ingest-typed.duckdb", create_sql)
    return {"note": f"{rows:,} rows read at the contract's types"}


def _models_in_order(manifest: dict) -> list[dict]:
    models = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model"
              and n["config"].get("materialized") != "ephemeral" and n.get("compiled_code")}
    done: set[str] = set()
    order: list[dict] = []

    def visit(key: str) -> None:
        if key in done or key not in models:
            return
        done.add(key)
        for dep in models[key]["depends_on"]["nodes"]:
            visit(dep)
        order.append(models[key])

    for key in sorted(models):
        visit(key)
    return order


def floor_evaluate(d: Path, scale: str, years: list[int]) -> dict:
    """The dbt floor: the compiled SQL of every model, once, in one connection (no dbt, no tests)."""
    import duckdb

    manifest = json.loads((d / "target" / "manifest.json").read_text())
    con = duckdb.connect(str(d / "floor" / "warehouse.duckdb"))   # same file name: same catalog name
    models = _models_in_order(manifest)
    for m in models:
        kind = "view" if m["config"].get("materialized") == "view" else "table"
        name = m.get("alias") or m["name"]
        existing = con.execute("""select 'view' from duckdb_views() where schema_name = ? and view_name = ?
            union all select 'table' from duckdb_tables() where schema_name = ? and table_name = ?""",
                               [m["schema"], name, m["schema"], name]).fetchone()
        if existing and existing[0] != kind:
            con.execute(f"drop {existing[0]} {m['relation_name']}")
        con.execute(f"create or replace {kind} {m['relation_name']} as {m['compiled_code']}")
    con.close()
    return {"note": f"{len(models)} models"}


def _mujun_run(d: Path, years: list[int]) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for k in ("MUJUN_DATA_DIR", "MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    cmd = [str(Path(sys.executable).parent / "mujun"), "run", "--data-dir", str(d / "run"),
           "--feeds", str(d / "feeds"), "--years", ",".join(map(str, years))]
    subprocess.run(cmd, cwd=REPO, env=env, check=True)


def step_run(d: Path, scale: str, years: list[int]) -> dict:
    shutil.rmtree(d / "run", ignore_errors=True)
    _mujun_run(d, years)
    return {"note": "first `mujun run` on a fresh data dir"}


def step_rerun(d: Path, scale: str, years: list[int]) -> dict:
    _mujun_run(d, years)
    return {"note": "second `mujun run`, nothing changed"}


def step_spark(d: Path, scale: str, years: list[int]) -> dict:
    """The same seeds and models on a local Spark (`mujun spark-build`, `make setup-spark` first), from
    the raw layer the ingest step wrote: compare with the evaluate step's floor (models only)."""
    spark_dir = d / "spark"
    shutil.rmtree(spark_dir, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([str(Path(sys.executable).parent / "mujun"), "spark-build", "--data-dir", str(d),
                    "--warehouse", str(d / "warehouse.duckdb"), "--spark-dir", str(spark_dir), "--quiet"],
                   cwd=REPO, env=env, check=True)
    return {"note": f"seeds + models on Spark local[2], {os.cpu_count()} cores"}


STEPS = {"generate": step_generate, "ingest": step_ingest, "evaluate": step_evaluate, "audit": step_audit,
         "run": step_run, "rerun": step_rerun, "spark": step_spark,
         "floor:ingest": floor_ingest, "floor:ingest-typed": floor_ingest_typed,
         "floor:evaluate": floor_evaluate}
FLOORS = {"ingest": "floor:ingest", "evaluate": "floor:evaluate"}
# a second floor shown on its own row (not summed into the run's floor): the ingest floor at the
# contract's column types, the same table content mujun writes minus its bookkeeping columns
EXTRA_FLOORS = {"ingest": ("floor:ingest-typed", "ingest, contract-typed floor")}


def child(step: str, d: Path, scale: str, years: list[int]) -> None:
    t0, c0 = time.perf_counter(), _cpu_s()
    info = STEPS[step](d, scale, years)
    info.update(seconds=time.perf_counter() - t0, cpu=_cpu_s() - c0, peak_mb=_peak_mb())
    print("BENCH " + json.dumps(info), flush=True)


# ----------------------------------------------------------------------------- driver
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", default="county,province", help="comma-separated: county, city, province")
    p.add_argument("--years", default="2020,2021")
    p.add_argument("--steps", default="generate,ingest,evaluate,audit")
    p.add_argument("--keep", help="work folder to keep (default: a temp folder, deleted)")
    p.add_argument("--out", default=str(REPO / "data"), help="where benchmark.md is appended")
    p.add_argument("--no-floors", action="store_true", help="measure the steps only")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="measure each step that has a floor N times, alternating with its floor, and "
                        "report the medians (the machine's noise moves one run by 10-20 %%)")
    p.add_argument("--child", nargs=4, metavar=("STEP", "DIR", "SCALE", "YEARS"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        step, d, scale, years = a.child
        child(step, Path(d), scale, [int(y) for y in years.split(",")])
        return 0

    results = []   # (scale, step, measured info or None, floor info or None)
    for scale in a.scales.split(","):
        work = Path(a.keep) / scale if a.keep else Path(tempfile.mkdtemp(prefix=f"mujun-bench-{scale}-"))
        work.mkdir(parents=True, exist_ok=True)
        for step in a.steps.split(","):
            floored = step in FLOORS and not a.no_floors
            runs = []   # (step, floor, extra floor) measured alternately, a.repeat times
            for _ in range(a.repeat if floored else 1):
                info = _measure(step, work, scale, a.years)
                if info is None:
                    break
                floor = extra = None
                if floored:
                    if step == "evaluate":   # the floor works on its own copy of the warehouse
                        (work / "floor").mkdir(exist_ok=True)
                        shutil.copyfile(work / "warehouse.duckdb", work / "floor" / "warehouse.duckdb")
                    floor = _measure(FLOORS[step], work, scale, a.years)
                    shutil.rmtree(work / "floor", ignore_errors=True)
                    if step in EXTRA_FLOORS:
                        extra = _measure(EXTRA_FLOORS[step][0], work, scale, a.years)
                runs.append((info, floor, extra))
            if len(runs) < (a.repeat if floored else 1):
                results.append((scale, step, None, None))
                break
            info = _median([r[0] for r in runs])
            floor, extra = (_median([r[k] for r in runs], against=[r[0] for r in runs]) for k in (1, 2))
            results.append((scale, step, info, floor))
            if step in EXTRA_FLOORS and floored:
                results.append((scale, EXTRA_FLOORS[step][1], info, extra))
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)

    text = _table(results, a.years)
    print("\n" + text)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "benchmark.md", "a") as fh:
        fh.write(text + "\n\n")
    return 0 if all(r[2] is not None for r in results) else 1


def _median(infos: list[dict | None], against: list[dict] | None = None) -> dict | None:
    """The median of repeated measurements (each of CPU-s, wall and peak RSS on its own), noting
    every run's CPU-s: on a shared machine one run can be 20 % off, and alternating a step with its
    floor several times gives a ratio that one noisy minute does not decide. For a floor, ``against``
    are the step's runs it alternated with: each pair's CPU ratio is noted too."""
    if not infos or any(i is None for i in infos):
        return None
    if len(infos) == 1:
        return infos[0]
    out = {k: statistics.median(i[k] for i in infos) for k in ("cpu", "seconds", "peak_mb")}
    steal = max(i.get("steal_percent", 0.0) for i in infos)
    note = infos[0].get("note", "").split("; ")
    note = [n for n in note if "stolen by the hypervisor" not in n]
    cpus = ", ".join(f"{i['cpu']:.1f}" for i in infos)
    note.append(f"median of {len(infos)} alternating runs (CPU-s {cpus})")
    if steal >= 1.0:
        note.append(f"up to {steal:.0f} % of the machine's CPU time stolen by the hypervisor")
    if against:
        pairs = sorted(s["cpu"] / f["cpu"] for s, f in zip(against, infos) if f["cpu"] > 0)
        note.append(f"CPU ratio of each pair {', '.join(f'{x:.2f}x' for x in pairs)} "
                    f"(median {statistics.median(pairs):.2f}x)")
    out["note"] = "; ".join(n for n in note if n)
    return out


def _cpu_ticks() -> tuple[int, int] | None:
    """(steal, all) jiffies of the machine from /proc/stat (None off Linux). On a shared VM the
    hypervisor's steal time slows every step and its floor alike, but not evenly: a step measured
    while the host took a noticeable share of the CPU is flagged in its note."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def _measure(step: str, work: Path, scale: str, years: str) -> dict | None:
    print(f"== {scale}: {step}", flush=True)
    ticks = _cpu_ticks()
    proc = subprocess.Popen([sys.executable, __file__, "--child", step, str(work), scale, years],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    info = None
    for line in proc.stdout:
        if line.startswith("BENCH "):
            info = json.loads(line[6:])
        else:
            print("   " + line.rstrip()[:160], flush=True)
    if proc.wait() != 0 or info is None:
        print(f"!! {scale} {step} failed (exit {proc.returncode})", flush=True)
        return None
    after = _cpu_ticks()
    if ticks and after and after[1] > ticks[1]:
        steal = 100.0 * (after[0] - ticks[0]) / (after[1] - ticks[1])
        info["steal_percent"] = round(steal, 1)
        if steal >= 1.0:
            info["note"] = (info.get("note", "") + f"; {steal:.0f} % of the machine's CPU time was stolen "
                            "by the hypervisor during this step").lstrip("; ")
    return info


def _cell(i: dict | None) -> str:
    return "" if i is None else f"{i['cpu']:,.1f} / {i['seconds']:,.1f} / {i['peak_mb']:,.0f}"


def _ratio(i: dict | None, f: dict | None) -> str:
    if i is None or f is None:
        return ""
    def r(k):
        return f"{i[k] / f[k]:.1f}x" if f[k] > 0 else "-"
    return f"{r('cpu')} / {r('seconds')} / {r('peak_mb')}"


def _sum_floors(cells: list[dict]) -> dict:
    """CPU and wall summed, peak RSS the largest (the steps run one after the other)."""
    total = {k: sum(c[k] for c in cells) for k in ("cpu", "seconds")}
    total["peak_mb"] = max(c["peak_mb"] for c in cells)
    return total


def _table(results: list, years: str) -> str:
    lines = [f"years {years}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}; "
             "cells are CPU-s / wall s / peak RSS MB", "",
             "| scale | step | mujun | floor | ratio | note |", "|---|---|---|---|---|---|"]
    for scale in dict.fromkeys(r[0] for r in results):
        rows = [r for r in results if r[0] == scale]
        extra = {label for _, label in EXTRA_FLOORS.values()}
        pairs = [(i, f) for _, s, i, f in rows if i and f and s not in extra]
        floor_sum = _sum_floors([f for _, f in pairs]) if len(pairs) > 1 else None
        cold = next((i for _, s, i, _ in rows if s == "run" and i), None)
        for _, step, info, floor in rows:
            note = "FAILED" if info is None else info.get("note", "")
            if step == "run" and floor is None and floor_sum:
                # a whole run does ingest + evaluate + audit + publish: its floor is the sum of the
                # floors of the steps measured (issue #10's target is stated against that sum)
                floor = {**floor_sum, "note": "sum of the ingest and evaluate floors"}
            if step == "rerun" and floor is None and cold and info:
                note += f"; {100 * info['seconds'] / cold['seconds']:.0f} % of the cold run's wall time"
            if floor:
                note += f"; floor: {floor.get('note', '')}"
            lines.append(f"| {scale} | {step} | {_cell(info)} | {_cell(floor)} | {_ratio(info, floor)} | {note} |")
        if floor_sum:
            tot = _sum_floors([i for i, _ in pairs])
            ftot = floor_sum
            lines.append(f"| {scale} | whole ({' + '.join(s for _, s, i, f in rows if i and f and s not in extra)}) | {_cell(tot)} | "
                         f"{_cell(ftot)} | {_ratio(tot, ftot)} | sum of the steps and of their floors; RSS: the largest |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
