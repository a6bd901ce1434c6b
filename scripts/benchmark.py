"""Speed and memory of mujun at stated scales (a measurement, not a test).

    .venv/bin/python scripts/benchmark.py                      # county and province
    .venv/bin/python scripts/benchmark.py --scales county,city --years 2020,2021 --keep /tmp/bench

Each step runs in its own child process so its peak RSS (ru_maxrss of the process and its own
children, e.g. the dbt subprocess) is measured alone. Steps:
  generate   synthetic feeds (orchestration.synthetic)
  ingest     every feed of every year into raw.* through the ingestion library
  evaluate   dbt seed + dbt build (subjects, grades, leader lists, audit models)
  audit      random audit: sample + GX suites + town quality + Data Docs + worklists
Results are printed as a Markdown table and appended to <out>/benchmark.md.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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


# ----------------------------------------------------------------------------- steps (child side)
def step_generate(d: Path, scale: str, years: list[int]) -> dict:
    from orchestration.synthetic.generate import generate

    summary = generate(d / "feeds", scale=scale, years=years, seed=42, progress=lambda m: print(m, flush=True))
    size = sum(f.stat().st_size for f in (d / "feeds").rglob("*") if f.is_file())
    return {"note": f"{size / 1e6:,.0f} MB of CSV; subjects {summary.get('subjects', '?')}"}


def step_ingest(d: Path, scale: str, years: list[int]) -> dict:
    import duckdb

    from orchestration.feeds.contract import FEEDS
    from orchestration.feeds.loader import ingest_feed, preflight

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
           "DBT_PROFILES_DIR": str(REPO / "dbt_project")}
    cmd = [str(Path(sys.executable).parent / "dbt"), *args, "--target-path", str(d / "target"),
           "--log-path", str(d / "logs")]
    subprocess.run(cmd, cwd=REPO, env=env, check=True)


def step_evaluate(d: Path, scale: str, years: list[int]) -> dict:
    _dbt(d, "build", "--exclude", "test_type:unit")
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


STEPS = {"generate": step_generate, "ingest": step_ingest, "evaluate": step_evaluate, "audit": step_audit}


def child(step: str, d: Path, scale: str, years: list[int]) -> None:
    t0 = time.perf_counter()
    info = STEPS[step](d, scale, years)
    info.update(seconds=time.perf_counter() - t0, peak_mb=_peak_mb())
    print("BENCH " + json.dumps(info), flush=True)


# ----------------------------------------------------------------------------- driver
def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scales", default="county,province", help="comma-separated: county, city, province")
    p.add_argument("--years", default="2020,2021")
    p.add_argument("--steps", default="generate,ingest,evaluate,audit")
    p.add_argument("--keep", help="work folder to keep (default: a temp folder, deleted)")
    p.add_argument("--out", default=str(REPO / "data"), help="where benchmark.md is appended")
    p.add_argument("--child", nargs=4, metavar=("STEP", "DIR", "SCALE", "YEARS"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        step, d, scale, years = a.child
        child(step, Path(d), scale, [int(y) for y in years.split(",")])
        return 0

    results = []
    for scale in a.scales.split(","):
        work = Path(a.keep) / scale if a.keep else Path(tempfile.mkdtemp(prefix=f"mujun-bench-{scale}-"))
        work.mkdir(parents=True, exist_ok=True)
        for step in a.steps.split(","):
            print(f"== {scale}: {step}", flush=True)
            proc = subprocess.Popen([sys.executable, __file__, "--child", step, str(work), scale, a.years],
                                    stdout=subprocess.PIPE, text=True, cwd=REPO)
            info = None
            for line in proc.stdout:
                if line.startswith("BENCH "):
                    info = json.loads(line[6:])
                else:
                    print("   " + line.rstrip()[:160], flush=True)
            if proc.wait() != 0 or info is None:
                print(f"!! {scale} {step} failed (exit {proc.returncode})", flush=True)
                results.append((scale, step, None, None, "FAILED"))
                break
            results.append((scale, step, info["seconds"], info["peak_mb"], info.get("note", "")))
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)

    lines = [f"years {a.years}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}", "",
             "| scale | step | wall (s) | peak RSS (MB) | note |", "|---|---|---|---|---|"]
    for scale, step, sec, mb, note in results:
        lines.append(f"| {scale} | {step} | {'' if sec is None else f'{sec:,.1f}'} | "
                     f"{'' if mb is None else f'{mb:,.0f}'} | {note} |")
    text = "\n".join(lines)
    print("\n" + text)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "benchmark.md", "a") as fh:
        fh.write(text + "\n\n")
    return 0 if all(r[2] is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
