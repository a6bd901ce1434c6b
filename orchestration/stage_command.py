"""`mujun publish`: record the publication stage of a data year (issue #13, R-STAGE-1/2).

    mujun publish --year 2021 --initial [--on 2022-04-01]   the 公示 of 2021 started on that date
    mujun publish --year 2021 --final                       end the 公示 of 2021 now

Every `mujun run` records the first publication of a year as `initial` itself, dated the day of the
run; `--initial --on` corrects that date to the 公示 notice's (the window of
seeds/policy/policy_publication_stages.csv counts from it). A year becomes `final` at the next
`mujun run` once its window has passed with no appeal pending; `--final` ends the window early (the
next run then applies the accepted appeals and publishes the year as final). `--final` is refused while
an appeal of that year is pending or before the year's 公示 was recorded. The log is
publication.stages in the warehouse (copied to the published file).
"""
from __future__ import annotations

import argparse
import datetime as dt


def add_parser(sub, paths) -> None:
    sp = sub.add_parser("publish", help="record the stage (公示 initial / final) of a data year",
                        description="Record that a data year's results entered 公示 (--initial, dated --on) or "
                                    "are final (--final). Takes effect at the next `mujun run`.")
    sp.add_argument("--year", type=int, required=True, help="data year, e.g. 2021")
    what = sp.add_mutually_exclusive_group(required=True)
    what.add_argument("--initial", action="store_true", help="the year's 公示 started (on --on, default today)")
    what.add_argument("--final", action="store_true", help="end the 公示 now: the year becomes final at the next run")
    sp.add_argument("--on", type=dt.date.fromisoformat, help="date of the stage, YYYY-MM-DD (default today)")
    sp.add_argument("--note", help="free text kept with the record (e.g. the notice's document number)")
    paths(sp, feeds=False)
    sp.set_defaults(func=run)


def _pending(con, year: int) -> int:
    try:
        return con.execute("select appeals_pending from marts.publication_stages where year = ?",
                           [year]).fetchone()[0] or 0
    except Exception:  # noqa: BLE001 - no evaluation yet: nothing can be pending
        return 0


def run(args: argparse.Namespace) -> int:
    from orchestration import publish as P
    from orchestration import runlock, settings
    from orchestration.cli import _apply_paths, _check_supported
    from orchestration.warehouse_guard import WarehouseInUse, connect_writer

    _apply_paths(args)
    _check_supported([args.year])
    try:
        lock = runlock.acquire(settings.data_dir(), say=print)
    except runlock.RunInProgress as exc:
        raise SystemExit(f"mujun: {exc}") from None
    try:
        try:
            con = connect_writer(settings.warehouse_path())
        except WarehouseInUse as exc:
            raise SystemExit(f"mujun: {exc}") from None
        with con:
            last = P.logged_stage(con, args.year)
            if args.final:
                if last is None:
                    raise SystemExit(f"mujun: {args.year} has no 公示 recorded; publish it first "
                                     f"(`mujun run`, or `mujun publish --year {args.year} --initial --on DATE`)")
                pending = _pending(con, args.year)
                if pending:
                    raise SystemExit(f"mujun: {args.year} has {pending} pending appeal(s) (marts.appeals, "
                                     "status pending); decide them before the year can be final")
            stage = "final" if args.final else "initial"
            on = args.on or dt.date.today()
            P.record_stage(con, args.year, stage, on, args.note or "mujun publish")
            if stage == "initial" and _has_evaluation(con, args.year) and not _has_snapshot(con, args.year):
                P.snapshot_grades(con, args.year, "initial")
    finally:
        lock.release()
    print(f"{args.year}: {stage} recorded on {on} in publication.stages; it takes effect at the next `mujun run`")
    return 0


def _has_evaluation(con, year: int) -> bool:
    try:
        return bool(con.execute("select count(*) from marts.subject_evaluation where year = ?", [year]).fetchone()[0])
    except Exception:  # noqa: BLE001
        return False


def _has_snapshot(con, year: int) -> bool:
    return bool(con.execute("select count(*) from publication.stage_grades where year = ? and stage = 'initial'",
                            [year]).fetchone()[0])
