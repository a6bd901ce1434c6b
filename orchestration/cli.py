"""`mujun` — the command line of the 亩均 warehouse.

    mujun run        generate (if needed), ingest, evaluate, audit and publish through Dagster
    mujun generate   write the synthetic departmental feeds
    mujun explain    one subject's evaluation, as a person would read it
    mujun export     leader lists for publication (公示), XLSX documents + CSV
    mujun report     the yearly HTML report (charts, leader lists, gates), opens offline
    mujun profile    one subject's profile (企业画像) over all years, text or HTML
    mujun status     what the warehouse holds: deliveries, rejects, grades
    mujun prepare    build the dbt manifest Dagster needs (CI, tests)
    mujun dev        the Dagster UI on the same asset graph
    mujun docs       dbt docs (model and column descriptions) as static HTML

Paths default to ./data (override with --data-dir or MUJUN_DATA_DIR); the pipeline writes
data/warehouse.duckdb, analysts read data/published/mujun.duckdb.
"""
from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_YEARS = "2020,2021"
DEFAULT_SEED = 42


def _years(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return sorted({int(t) for t in text.replace(" ", "").split(",") if t})
    except ValueError:
        raise SystemExit(f"mujun: --years takes comma-separated years such as 2020,2021 (got {text!r})") from None


DERIVED_PATH_VARS = ("MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS")


def _apply_paths(args: argparse.Namespace) -> None:
    """Set the env vars settings.py reads, before anything imports the Dagster definitions.
    Precedence: a flag, then the environment, then the default under the data dir. An explicit
    --data-dir therefore drops the paths inherited from the environment (a shell or test process
    that ran mujun before exports MUJUN_WAREHOUSE) unless their own flag is given too."""
    if getattr(args, "data_dir", None):
        os.environ["MUJUN_DATA_DIR"] = str(Path(args.data_dir).resolve())
        for var in DERIVED_PATH_VARS:
            os.environ.pop(var, None)
    if getattr(args, "warehouse", None):
        os.environ["MUJUN_WAREHOUSE"] = str(Path(args.warehouse).resolve())
    if getattr(args, "feeds", None):
        os.environ["MUJUN_FEEDS"] = str(Path(args.feeds).resolve())
    if getattr(args, "published", None):
        os.environ["MUJUN_PUBLISHED"] = str(Path(args.published).resolve())
    from orchestration import settings

    settings.export_env()


# --------------------------------------------------------------------------- prepare
def _dbt_sources_fingerprint() -> str:
    """sha256 over every file dbt parses (models, macros, tests, seeds, project and profiles)."""
    import hashlib

    from orchestration import settings

    h = hashlib.sha256()
    roots = [settings.REPO_ROOT / "dbt_project", settings.SEEDS_DIR]
    files = [settings.REPO_ROOT / "dbt_project.yml"]
    for root in roots:
        files += [p for p in root.rglob("*") if p.is_file() and "dbt_packages" not in p.parts]
    for f in sorted(files):
        h.update(str(f.relative_to(settings.REPO_ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def prepare_manifest(quiet: bool = False, force: bool = False) -> Path:
    """`dbt parse` into target/ — the manifest dagster-dbt loads (never parsed at import). Skipped
    when the manifest was parsed from exactly the current dbt files (a parse costs 5–35 s a run)."""
    from orchestration import settings

    settings.export_env()
    manifest = settings.REPO_ROOT / "target" / "manifest.json"
    stamp = manifest.with_name(".mujun-manifest.sha256")
    fingerprint = _dbt_sources_fingerprint()
    if not force and manifest.is_file() and stamp.is_file() and stamp.read_text().strip() == fingerprint:
        if not quiet:
            print(f"dbt manifest current: {manifest}")
        return manifest
    cmd = [str(Path(sys.executable).parent / "mujun-dbt"), "parse", "--quiet",
           "--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROFILES_DIR)]
    proc = subprocess.run(cmd, cwd=settings.REPO_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"mujun: dbt parse failed (exit {proc.returncode}); see the messages above")
    stamp.write_text(fingerprint + "\n")
    if not quiet:
        print(f"dbt manifest ready: {manifest}")
    return manifest


def cmd_prepare(args: argparse.Namespace) -> int:
    _apply_paths(args)
    prepare_manifest(force=True)
    return 0


# --------------------------------------------------------------------------- generate
def cmd_generate(args: argparse.Namespace) -> int:
    from orchestration.synthetic.generate import generate

    years = _years(args.years) or _years(DEFAULT_YEARS)
    t0 = time.monotonic()
    summary = generate(Path(args.out), scale=args.scale, years=years, seed=args.seed,
                       progress=lambda m: print(f"[{time.monotonic() - t0:7.1f}s] {m}", flush=True))
    print(f"wrote {args.scale}-scale feeds for {', '.join(map(str, years))} to {Path(args.out).resolve()}")
    if isinstance(summary, dict) and summary.get("subjects"):
        print(f"  subjects: {summary['subjects']:,}")
    return 0


# --------------------------------------------------------------------------- run
_YEAR_FOLDER = re.compile(r"[0-9]{4}", re.ASCII)   # not str.isdigit: '²⁰²¹' and '２０２１' are digits too


def _is_year_folder(p: Path) -> bool:
    from orchestration import settings

    return (p.is_dir() and _YEAR_FOLDER.fullmatch(p.name) is not None
            and settings.FIRST_YEAR <= int(p.name) <= settings.LAST_YEAR)


def _feed_years(root: Path) -> list[int]:
    """Year folders (four ASCII digits, a supported year) under the feeds root."""
    return sorted(int(p.name) for p in root.iterdir() if _is_year_folder(p)) if root.is_dir() else []


def _not_year_folders(root: Path) -> list[str]:
    """Other folders under the feeds root: ignored, and listed once so nobody wonders why."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not _is_year_folder(p)
                  and not p.name.startswith("."))


def _check_supported(years: list[int]) -> None:
    from orchestration import settings

    outside = [y for y in years if not settings.FIRST_YEAR <= y <= settings.LAST_YEAR]
    if outside:
        raise SystemExit(f"mujun: year(s) {', '.join(map(str, outside))} outside the supported range "
                         f"{settings.FIRST_YEAR}–{settings.LAST_YEAR} (settings.FIRST_YEAR..LAST_YEAR)")


def cmd_run(args: argparse.Namespace) -> int:
    """One run per data dir (runlock), started only after the wreckage of killed runs is cleared."""
    _apply_paths(args)
    _validate_acceptances(args)     # a mistyped --accept-gate is refused before anything is touched
    _validate_selection(args)
    from orchestration import runlock, settings
    from orchestration.warehouse_guard import GUARD, WarehouseInUse

    try:
        lock = runlock.acquire(settings.data_dir(), wait=args.wait, say=lambda m: print(f"mujun: {m}", flush=True))
    except runlock.RunInProgress as exc:
        raise SystemExit(f"mujun: {exc}") from None
    try:
        # Held from here to the end of the run (lent to dbt while it builds): fail fast if an
        # analyst holds the file, and no analyst can open a half-built warehouse between steps.
        settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)
        try:
            GUARD.hold(settings.warehouse_path())
        except WarehouseInUse as exc:
            raise SystemExit(f"mujun: {exc}") from None
        return _run_locked(args)
    finally:
        GUARD.release()
        lock.release()


def _recover(instance) -> None:
    """With the run lock held: fail dead runs, free their slots, clear their leftovers."""
    import tempfile

    from orchestration import recovery, settings
    from orchestration.progress import say

    done = recovery.recover(instance, settings.data_dir(), settings.published_path(), settings.reports_dir())
    if done.summary():
        say(done.summary())
    # Every temp file of this run (ingestion copies, GX work folders, dbt) goes under the data dir,
    # where the next run can clear it if this one is killed.
    tmp = recovery.run_tmp_dir(settings.data_dir())
    tmp.mkdir(parents=True, exist_ok=True)
    os.environ["TMPDIR"] = str(tmp)
    tempfile.tempdir = str(tmp)


ONLY_STEPS = ("ingest", "evaluate", "audit", "publish")
_ONLY_HELP = {
    "ingest": "load the delivered feeds into raw.* (with quarantine and ledger); no dbt, audit or publication",
    "evaluate": "dbt build (seeds, staging, subjects, land, measures, scores, grades, leader lists) and its tests",
    "audit": "publication gates and the GX random audit (sample, suites, Data Docs, worklists)",
    "publish": "copy the evaluated and audited warehouse into the analysts' file (if no gate or critical suite failed)",
}


def _open_run_log() -> Path:
    """<data>/logs/run-<timestamp>.log: progress lines, dbt's node log, the Dagster event log."""
    from orchestration import settings
    from orchestration.progress import RUN_LOG_ENV

    logs = settings.data_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    path = logs / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    n = 1
    while path.exists():
        n += 1
        path = logs / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{n}.log"
    path.touch()
    os.environ[RUN_LOG_ENV] = str(path)
    return path


def _log_events(result, label: str) -> None:
    """The Dagster event log of one execution, with the full error of every failed step."""
    from orchestration.progress import log_lines

    lines = [f"---- Dagster event log: {label} (run {result.run_id})"]
    for e in result.all_events:
        lines.append(f"{e.event_type_value} {e.step_key or ''}: {e.message or ''}")
        if e.is_step_failure and e.step_failure_data and e.step_failure_data.error:
            lines.append(e.step_failure_data.error.to_string())
    log_lines(lines)


def _ingest_summary(result, year: int, seconds: float) -> tuple[str, int]:
    """One line per year of ingestion, and how many feeds loaded a new delivery."""
    counts: dict[str, int] = {}
    loaded_rows = rejected_rows = 0
    for e in result.get_asset_materialization_events():
        meta = e.event_specific_data.materialization.metadata
        status = str(meta["status"].value) if "status" in meta else "?"
        counts[status] = counts.get(status, 0) + 1
        if status == "loaded":
            loaded_rows += int(meta["rows_loaded"].value)
            rejected_rows += int(meta["rows_rejected"].value)
    failed = sum(1 for e in result.all_events if e.is_step_failure)
    if failed:
        counts["FAILED"] = failed
    text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "nothing"
    rows = f"; {loaded_rows:,} rows loaded, {rejected_rows:,} quarantined" if counts.get("loaded") else ""
    return f"ingest {year}: {text}{rows} in {seconds:.1f}s", counts.get("loaded", 0)


def _loaded_feed_years(result, year: int) -> set[tuple[int, str]]:
    """(year, feed) of every feed this ingestion loaded a new delivery of."""
    out = set()
    for e in result.get_asset_materialization_events():
        meta = e.event_specific_data.materialization.metadata
        if "status" in meta and str(meta["status"].value) == "loaded":
            out.add((year, e.asset_key.path[-1]))
    return out


def _step_keys(only: str | None) -> "list | None":
    """Asset keys of one step of the evaluate job (None: the whole job)."""
    if only is None:
        return None
    from orchestration.assets.audit import AUDIT_KEYS, PUBLICATION_GATES_KEY
    from orchestration.assets.dbt import mujun_dbt_assets
    from orchestration.run_inputs import PUBLISH_KEY

    if only == "evaluate":
        return sorted(mujun_dbt_assets.keys, key=lambda k: k.to_user_string())
    if only == "audit":
        return [*AUDIT_KEYS.values(), PUBLICATION_GATES_KEY]
    return [PUBLISH_KEY]


def _ingest_and_evaluate(args: argparse.Namespace, instance, feeds_root: Path, years: list[int]):
    """The Dagster jobs of a run (or of its --only step): (ingest failures, failures, published)."""
    import dagster as dg

    from orchestration import definitions, fingerprints, run_inputs, settings
    from orchestration.feeds.loader import MissingRequiredFeeds, preflight
    from orchestration.progress import say

    # Dagster, dagster-dbt's 566 nodes and GX are loaded for the whole run: frozen, they are no
    # longer walked by each full garbage collection (9 of them in a county run, 1.9 CPU-s).
    gc.freeze()

    only = args.only
    ingesting = only in (None, "ingest")
    # Dagster's execution-plan notes ("blocking asset check … emitted no result", one per seed test
    # left out of the build) go to the run log, not to the terminal.
    import logging

    from orchestration.progress import RUN_LOG_ENV

    plan_log = logging.getLogger("dagster._core.execution.plan.active")
    plan_log.propagate = False
    plan_log.addHandler(logging.FileHandler(os.environ[RUN_LOG_ENV], encoding="utf-8"))
    # The terminal gets our progress lines and the summary; Dagster's own log (with the stack
    # traces of failed steps) goes to the run log file only.
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    ingest_failures: list[tuple[int, str]] = []
    new_deliveries = 0
    loaded_feed_years: set[tuple[int, str]] = set()
    if ingesting:
        selection = [dg.AssetKey(["raw", f]) for f in sorted(set(args.feed))] if args.feed else None
        for year in years:
            try:
                # Once per year, before any feed: a missing required feed stops the whole year.
                preflight(feeds_root, year)
            except MissingRequiredFeeds as exc:
                say(f"ingest {year}: NOT ingested — {exc}")
                ingest_failures.append((year, f"ingest {year}: {exc}"))
                continue
            t1 = time.monotonic()
            result = definitions.defs.resolve_job_def("ingest_feeds").execute_in_process(
                instance=instance, partition_key=str(year), run_config=quiet, raise_on_error=False,
                asset_selection=selection)
            _log_events(result, f"ingest {year}")
            line, loaded = _ingest_summary(result, year, time.monotonic() - t1)
            say(line)
            new_deliveries += loaded
            loaded_feed_years |= _loaded_feed_years(result, year)
            ingest_failures += [(year, f) for f in _step_failures(result, f"ingest {year}")]

    failures: list[str] = []
    published = False
    if only != "ingest":
        accept = list(args.accept_gate or [])
        fingerprint = run_inputs.inputs_fingerprint(instance, args.audit_seed, accept, args.reason or "")
        seeds = fingerprints.seeds_fingerprint()
        last = run_inputs.last_publication(instance)
        skipped = None
        if only is None and not new_deliveries and not ingest_failures and not args.feed:
            # e.g. a re-delivery identical to the loaded file, next to a changed one elsewhere
            skipped = run_inputs.publication_is_current(instance, fingerprint, settings.published_path())
        if skipped is not None:
            say(f"nothing changed since the publication of run {skipped.run_id[:8]}: no dbt build, audit "
                f"or publication; {settings.published_path()} is unchanged")
        else:
            skip_seed_tests = last is not None and last.seeds_fingerprint == seeds
            if args.unit_tests:
                from orchestration.assets.dbt import UNIT_TESTS_ENV

                os.environ[UNIT_TESTS_ENV] = "1"
            if args.contract_tests:
                from orchestration.assets.dbt import CONTRACT_TESTS_ENV

                os.environ[CONTRACT_TESTS_ENV] = "1"
            if skip_seed_tests:
                from orchestration.assets.dbt import SKIP_SEED_TESTS_ENV

                os.environ[SKIP_SEED_TESTS_ENV] = "1"
            selection = _step_keys(only)
            if only is None:
                # Only what the changed feeds reach, when the warehouse is known to hold the rest
                # as the last publication computed it (orchestration/partial_evaluation.py).
                from orchestration import partial_evaluation

                plan = partial_evaluation.plan(instance, definitions.defs, loaded_feed_years,
                                               bool(ingest_failures), settings.warehouse_path(), skip_seed_tests)
                selection = plan.selection
                say(plan.reason if selection is not None else
                    f"evaluating: dbt build, publication gates, random audit, publication (whole job: {plan.reason})")
            else:
                say(f"{only}: {_ONLY_HELP.get(only, '')}")
            publish_config = {"inputs_fingerprint": fingerprint if only is None else "",
                              "seeds_fingerprint": seeds if only is None else ""}
            if only is None:
                publish_config |= {"code_fingerprint": fingerprints.code_fingerprint(),
                                   "feed_versions": run_inputs.feed_versions(instance)}
            ops = {GATES_OP: {"config": {"accept": accept, "reason": args.reason or ""}},
                   PUBLISH_OP: {"config": publish_config}}
            if only is not None:
                names = {"audit": [GATES_OP], "publish": [PUBLISH_OP]}.get(only, [])
                ops = {k: v for k, v in ops.items() if k in names}
            result = definitions.defs.resolve_job_def("evaluate").execute_in_process(
                instance=instance, run_config={**quiet, "ops": ops}, raise_on_error=False,
                asset_selection=selection)
            _log_events(result, only or "evaluate")
            failures = _step_failures(result, only or "evaluate")
            published = _published_now(result)
            # A step that raised inside DuckDBResource.get_connection() leaves its connection open
            # until the error is collected; this process cannot open the file read-only while it is.
            del result
            gc.collect()
    return ingest_failures, failures, published


def _run_locked(args: argparse.Namespace) -> int:
    os.environ["MUJUN_PROGRESS"] = "1"
    os.environ["MUJUN_AUDIT_SEED"] = str(args.audit_seed)
    only = args.only
    run_years = _years(args.years)
    if run_years and only == "audit":
        os.environ["MUJUN_AUDIT_YEARS"] = ",".join(map(str, run_years))
    from orchestration import settings
    from orchestration.progress import say

    run_log = _open_run_log()
    feeds_root = settings.feeds_root()
    if not args.feeds and not _feed_years(feeds_root) and only in (None, "ingest"):
        from orchestration.synthetic.generate import generate

        say(f"no feeds given: generating the built-in county sample (萧山区, {DEFAULT_YEARS}, seed {DEFAULT_SEED}) "
            f"into {feeds_root}")
        generate(feeds_root, scale="county", years=_years(DEFAULT_YEARS), seed=DEFAULT_SEED, progress=say)
    years = run_years or _feed_years(feeds_root)
    _check_supported(years)
    ingesting = only in (None, "ingest")
    if ingesting:
        stray = _not_year_folders(feeds_root)
        if stray:
            say(f"ignored, not a year folder: {', '.join(stray)} "
                f"(supported {settings.FIRST_YEAR}–{settings.LAST_YEAR})")
        if not years:
            raise SystemExit(f"mujun: no year folders (e.g. 2021/) under {feeds_root}")
        missing = [y for y in years if not (feeds_root / str(y)).is_dir()]
        if missing:
            raise SystemExit(f"mujun: no folder for year(s) {missing} under {feeds_root}")

    t0 = time.monotonic()
    prepare_manifest(quiet=True)
    say(f"dbt manifest current ({time.monotonic() - t0:.1f}s); full log: {run_log}")
    from orchestration.instance import ensure_dagster_home

    home = ensure_dagster_home()
    settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)

    from orchestration import unchanged_run

    accept = list(args.accept_gate or [])
    # A whole run asks first whether the last publication is current. Dagster's records answer
    # (run_inputs); an earlier run's answer on the same storage state and inputs is reused without
    # importing Dagster (orchestration/unchanged_run.py).
    question = (unchanged_run.RunQuestion(home, feeds_root, years, args.audit_seed, accept, args.reason or "")
                if only is None and not args.feed else None)
    skipped = question.recorded_answer() if question else None
    shortcut = skipped is not None
    if skipped is None:
        import dagster as dg

        instance = dg.DagsterInstance.get()
        _recover(instance)
        if question:
            # Before the definitions are even loaded (dagster-dbt's 566 nodes take seconds)
            skipped = question.ask_dagster(instance)
    ingest_failures: list[tuple[int, str]] = []
    failures: list[str] = []
    published = False
    if skipped is not None:
        say(f"nothing changed since the publication of run {skipped[:8]} (same deliveries, code, "
            f"policy and audit seed{unchanged_run.SHORTCUT_WORDS if shortcut else ''}): no ingestion, dbt build, "
            f"audit or publication; {settings.published_path()} is unchanged")
    else:
        ingest_failures, failures, published = _ingest_and_evaluate(args, instance, feeds_root, years)
        if question and published and not failures and not ingest_failures:
            question.ask_dagster(instance)   # leaves the next run's note, on the storage this run leaves
    from orchestration.warehouse_guard import GUARD

    GUARD.release()   # the run's writing is over: status below reads the file like anyone else

    import duckdb

    from orchestration.status import print_status

    judged = []
    try:
        print_status(settings.warehouse_path(), years or None)
        judged = _print_gates(settings.warehouse_path())
    except duckdb.Error as exc:
        print(f"\n(summary not available: {exc}; see `mujun status`)")
    # An ingest failure is expected when the operator accepted that year's feed_delivered gate
    # (the refused/missing delivery is then published knowingly); any other failure fails the run.
    accepted_years = {g.year for g in judged if g.status == "accepted" and g.gate.startswith("feed_delivered.")}
    excused = [f for y, f in ingest_failures if published and y in accepted_years]
    failures = [f for y, f in ingest_failures if f not in excused] + failures
    print()
    print(f"warehouse (pipeline):  {settings.warehouse_path()}")
    pub = settings.published_path()
    if published:
        print(f"published (analysts):  {pub}")
    elif skipped is not None:
        print(f"published (analysts):  {pub} — current, nothing changed since it was published")
    else:
        print("published (analysts):  NOT published by this run — "
              + (f"{pub} is the last good publication, unchanged" if pub.exists() else f"{pub} does not exist"))
    print(f"reports (auditors):    {settings.reports_dir()}")
    print(f"full log (dbt, Dagster): {run_log}")
    print(f"Dagster UI:            DAGSTER_HOME={home} .venv/bin/mujun dev")
    if published:     # the yearly HTML report of what was just published (orchestration/report)
        from orchestration.report.yearly import report_after_run
        report_after_run(pub, settings.reports_dir() / "report", years)
    if excused:
        print(f"\nIngest failures covered by an accepted feed_delivered gate ({len(excused)}):")
        for f in excused[:5]:
            print(f"  - {f}")
    if failures:
        print("\nFAILED steps:", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
        return 1
    return 0


GATES_OP = "audit__publication_gates"   # op of the asset audit/publication_gates (its run config)
PUBLISH_OP = "publish"                   # op of the asset publish (its run config)


def _validate_selection(args: argparse.Namespace) -> None:
    from orchestration.feeds.contract import FEEDS

    feed_names = {f.name for f in FEEDS}
    unknown = sorted(set(args.feed or []) - feed_names)
    if unknown:
        raise SystemExit(f"mujun: unknown feed(s) {', '.join(unknown)}; the feeds are: {', '.join(sorted(feed_names))}")
    if args.feed and args.only not in (None, "ingest"):
        raise SystemExit("mujun: --feed selects feeds to ingest; it goes with --only ingest or a whole run")
    _years(args.years)


def _validate_acceptances(args: argparse.Namespace) -> None:
    from orchestration.gates import GateError, parse_acceptance

    if args.reason and not args.accept_gate:
        raise SystemExit("mujun: --reason goes with --accept-gate GATE:YEAR")
    try:
        for text in args.accept_gate or []:
            parse_acceptance(text, args.reason or "")
    except GateError as exc:
        raise SystemExit(f"mujun: {exc}") from None


def _published_now(result) -> bool:
    return any(e.is_step_success and e.step_key == "publish" for e in result.all_events)


def _print_gates(warehouse: Path) -> list:
    """Failed and accepted gates with their messages (audit.publication_gates), for the operator."""
    import duckdb

    from orchestration import gates

    if not warehouse.exists():
        return []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        judged = gates.read(con)
    if not judged:
        return judged
    counts = {s: sum(g.status == s for g in judged) for s in ("passed", "failed", "accepted", "not_applicable")}
    print("\nPublication gates (audit.publication_gates): "
          + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    for g in judged:
        if g.status == "failed":
            print(f"  FAILED   {g.name}: {g.message}")
    for g in judged:
        if g.status == "accepted":
            print(f"  ACCEPTED {g.name} ({g.accepted_at}: {g.accepted_reason}): {g.message}")
    return judged


def _step_failures(result, label: str) -> list[str]:
    out = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            message = _error_reason(data.error) if data and data.error else "failed"
            if data and data.user_failure_data and data.user_failure_data.description:
                message = data.user_failure_data.description
            out.append(f"{label}: {event.step_key}: {message}")
    return out


def _error_reason(error) -> str:
    """First line of the error that says why: Dagster's wrappers ("Error occurred while executing
    op …") hide the user error (e.g. DuckDB's lock message) in their cause."""
    while error.cause is not None and error.cls_name and error.cls_name.startswith("Dagster"):
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[0] if lines else error.cls_name or "failed"


# --------------------------------------------------------------------------- explain / status / export
def _read_connection(args: argparse.Namespace):
    """Analysts' copy when it exists, else the pipeline warehouse — always read-only."""
    import duckdb

    from orchestration import settings

    path = Path(args.db) if getattr(args, "db", None) else (
        settings.published_path() if settings.published_path().exists() else settings.warehouse_path())
    if not path.exists():
        raise SystemExit(f"mujun: no warehouse at {path}; run `mujun run` first or pass --db")
    return duckdb.connect(str(path), read_only=True)


def cmd_explain(args: argparse.Namespace) -> int:
    _apply_paths(args)
    from orchestration.explain import explain

    with _read_connection(args) as con:
        try:
            print(explain(con, args.subject_id, args.year))
        except (KeyError, LookupError, ValueError) as exc:
            print(f"mujun explain: {exc}", file=sys.stderr)
            return 2
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    _apply_paths(args)
    from orchestration import settings
    from orchestration.status import print_status

    path = Path(args.db) if args.db else settings.warehouse_path()
    print_status(path, _years(args.years))
    return 0


# --------------------------------------------------------------------------- dev / docs
def cmd_dev(args: argparse.Namespace) -> int:
    _apply_paths(args)
    prepare_manifest(quiet=True)
    from orchestration.instance import ensure_dagster_home

    ensure_dagster_home()
    dagster = str(Path(sys.executable).parent / "dagster")
    os.execv(dagster, [dagster, "dev", "-m", "orchestration.definitions", "-h", args.host, "-p", str(args.port)])
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    _apply_paths(args)
    from orchestration import settings

    dbt = str(Path(sys.executable).parent / "mujun-dbt")
    base = ["--project-dir", str(settings.DBT_PROJECT_DIR), "--profiles-dir", str(settings.DBT_PROFILES_DIR)]
    rc = subprocess.call([dbt, "docs", "generate", *base], cwd=settings.REPO_ROOT)
    if rc == 0:
        print(f"dbt docs written to {settings.REPO_ROOT / 'target' / 'index.html'}; "
              f"serve with: .venv/bin/dbt docs serve --profiles-dir dbt_project")
    return rc


# --------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mujun",
        description="亩均论英雄 open data warehouse: departmental feeds → DuckDB → grades, leader lists, audits.",
        epilog="Start with `mujun run` (built-in county sample). Docs: README.md.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def paths(sp, feeds=True):
        sp.add_argument("--data-dir", help="base folder for warehouse, reports, Dagster home (default ./data)")
        sp.add_argument("--warehouse", help="pipeline DuckDB file (default <data-dir>/warehouse.duckdb)")
        sp.add_argument("--published", help="analysts' DuckDB file (default <data-dir>/published/mujun.duckdb)")
        if feeds:
            sp.add_argument("--feeds", help="feeds root holding <year>/<feed>.csv|.xlsx "
                                            "(default <data-dir>/feeds; generated if empty)")

    sp = sub.add_parser("run", help="ingest, evaluate, audit and publish (Dagster jobs)",
                        description="Materialize every asset through Dagster: ingest each year's feeds, "
                                    "dbt build, GX random audit, publish the analysts' file. Without --feeds "
                                    "the built-in synthetic county sample is generated on first run. "
                                    "Only what changed is redone: an unchanged delivery is not reloaded, a "
                                    "re-delivered feed re-evaluates only the dbt nodes that read it (then audit "
                                    "and publication), and when no delivery, code or policy changed since the "
                                    "last publication the run stops after ingestion and says so. The full log (dbt node log, "
                                    "Dagster event log) is written to <data-dir>/logs/run-<timestamp>.log.")
    paths(sp)
    sp.add_argument("--years", help="data years, e.g. 2020,2021 (default: every year folder): the years "
                                    "ingested, and with --only audit the years audited; dbt, the gates and "
                                    "the publication always cover every year in the warehouse (Y is judged "
                                    "against Y-1, and the published file holds all years)")
    sp.add_argument("--only", choices=ONLY_STEPS,
                    help="run one step and nothing else: " + "; ".join(f"{k}: {v}" for k, v in _ONLY_HELP.items())
                         + ". Without it every step runs, and a run with no new delivery, code or policy "
                           "change since the last publication does no dbt build, audit or publication")
    sp.add_argument("--feed", action="append", metavar="NAME",
                    help="ingest only this feed (repeatable), e.g. --feed tax_payments; with --only ingest "
                         "or a whole run")
    sp.add_argument("--audit-seed", type=int, default=20211, help="seed of the random audit sample (R-AUDIT-1)")
    sp.add_argument("--accept-gate", action="append", metavar="GATE:YEAR",
                    help="publish although this failed publication gate, e.g. reject_share.tax_payments:2021 "
                         "(repeatable; recorded in audit.gate_acceptances and shown in audit.publication_gates)")
    sp.add_argument("--reason", help="why the accepted gate(s) may be published (required with --accept-gate)")
    sp.add_argument("--wait", action="store_true",
                    help="if another run is in progress on the data dir, wait for it to finish instead of refusing")
    sp.add_argument("--unit-tests", action="store_true",
                    help="also run the dbt unit tests (the models' SQL on fixed fixture rows, independent of "
                         "any delivery; `make test` runs them, a production run leaves them out)")
    sp.add_argument("--contract-tests", action="store_true",
                    help="also run the staging tests that re-check the feed contract ingestion enforces "
                         "(required columns, enums, bounds, keys; tag ingestion_contract): only a change of "
                         "the loader can fail them, so `make test` runs them and a production run leaves them out")
    from orchestration.feeds import limits

    sp.epilog = ("Limits on delivered files (a file over one is refused, naming the limit; set the env var "
                 "to raise it): " + limits.describe() + ".")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("generate", help="write synthetic departmental feeds",
                        description="Write every feed of the contract for the given years, deterministic per seed.")
    sp.add_argument("--out", required=True, help="output folder (feeds root)")
    sp.add_argument("--scale", choices=["county", "city", "province"], default="county",
                    help="county ≈ 2,000 subjects, city ≈ 20,000, province ≈ 200,000")
    sp.add_argument("--years", default=DEFAULT_YEARS, help=f"comma-separated data years (default {DEFAULT_YEARS})")
    sp.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    sp.set_defaults(func=cmd_generate)

    sp = sub.add_parser("explain", help="explain one subject's grade",
                        description="Values, benchmarks, weights, scores, bonuses and the rules that moved "
                                    "the grade, for one subject (masked id for individuals).")
    sp.add_argument("subject_id")
    sp.add_argument("--year", type=int, help="data year (default: latest)")
    sp.add_argument("--db", help="DuckDB file to read (default: published file, else warehouse)")
    paths(sp, feeds=False)
    sp.set_defaults(func=cmd_explain)

    sp = sub.add_parser("status", help="deliveries, rejects and grade shares in the warehouse")
    sp.add_argument("--years")
    sp.add_argument("--db")
    paths(sp, feeds=False)
    sp.set_defaults(func=cmd_status)

    from orchestration import export

    export.add_parser(sub, paths)

    from orchestration import stage_command, whatif
    from orchestration.report import commands as report_commands

    report_commands.add_parser(sub, paths)      # report, profile
    whatif.add_parser(sub, paths)
    stage_command.add_parser(sub, paths)        # publish --initial/--final

    sp = sub.add_parser("prepare", help="build the dbt manifest (run before tests or dagster)")
    paths(sp, feeds=False)
    sp.set_defaults(func=cmd_prepare)

    sp = sub.add_parser("dev", help="start the Dagster UI (dagster dev)")
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=3000)
    paths(sp)
    sp.set_defaults(func=cmd_dev)

    sp = sub.add_parser("docs", help="generate dbt docs from the model descriptions")
    paths(sp, feeds=False)
    sp.set_defaults(func=cmd_docs)

    from orchestration.spark import cli as spark_cli

    spark_cli.add_parser(sub, paths)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


def entry() -> int:
    """The `mujun` command."""
    try:
        return main()
    finally:
        from orchestration.process_exit import freeze_heap_before_exit

        freeze_heap_before_exit()


if __name__ == "__main__":
    sys.exit(entry())
