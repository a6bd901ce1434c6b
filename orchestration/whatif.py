"""`mujun whatif`: re-grade one year under replacement policy seeds, on a scratch copy, and diff.

    mujun whatif --policy my_rules/ --year 2021 [--out report/]

``my_rules/`` holds replacement files named like the shipped ones (``policy_indicator_weights.csv``
…); only the files given are replaced. Every file is checked first (known name, the shipped columns,
value types, not-null and accepted values from the seed yml, weights that sum as R-SCORE-4 needs):
a bad folder is refused naming file, row and problem before anything is copied or run.

Then the pipeline warehouse file is copied byte for byte into ``<data-dir>/whatif/<stamp>/`` (same
file name: dbt-duckdb names the catalog after it), the dbt project is copied beside it with the
replacement seeds, and ``dbt build`` (seeds and models only) runs against the copy for the replaced
seeds and everything downstream, with var ``evaluation_years = [Y-1, Y]`` (Y's benchmarks and leader
growth read Y-1). The pipeline warehouse and the published file are never opened for writing and the
run lock is not taken, so a running pipeline is never blocked: a copy taken while the pipeline writes
may be unreadable, which is reported (run again).

Writes ``transitions.csv`` / ``.xlsx`` (county × category × from-grade × to-grade counts),
``moved_subjects.csv`` (every subject whose grade or leader-list place changes, old and new total
score and what moved it) and prints a summary.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from orchestration import settings

POLICY_SUBDIR = Path("seeds") / "policy"
# Not grading rules: publication gates belong to `mujun run` (issue #8), never to a what-if.
NOT_REPLACEABLE_PREFIX = "publication"
WEIGHT_TOTAL = 100.0          # R-SCORE-4: a category's weights sum to 100 (seed description, DEFAULT)
YEAR_COLUMNS = ("valid_from_year", "valid_to_year")


class PolicyFolderError(ValueError):
    """The replacement policy folder is refused: every problem names file, row and what is wrong."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class WhatIfError(RuntimeError):
    """The what-if could not run (no warehouse, year missing, dbt failed): the message says what to do."""


# --------------------------------------------------------------------------- seed schemas
@dataclass
class SeedSchema:
    name: str
    columns: list[str]                       # shipped header, in order
    types: dict[str, str]                    # column -> varchar/double/integer/boolean
    not_null: set[str] = field(default_factory=set)
    accepted: dict[str, list[str]] = field(default_factory=dict)


def _policy_dir(repo: Path) -> Path:
    return repo / POLICY_SUBDIR


def seed_schemas(repo: Path = settings.REPO_ROOT) -> dict[str, SeedSchema]:
    """The replaceable policy seeds: shipped header from the CSV, types and tests from the yml."""
    pdir = _policy_dir(repo)
    docs: dict[str, dict] = {}
    for yml in sorted(pdir.glob("*.yml")):
        for seed in (yaml.safe_load(yml.read_text(encoding="utf-8")) or {}).get("seeds", []):
            docs[seed["name"]] = seed
    schemas = {}
    for path in sorted(pdir.glob("*.csv")):
        name = path.stem
        if name.startswith(NOT_REPLACEABLE_PREFIX):
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh))
        doc = docs.get(name, {})
        types = {c: "varchar" for c in header}
        types.update((doc.get("config") or {}).get("column_types") or {})
        schema = SeedSchema(name=name, columns=header, types=types)
        # The required columns and accepted values are listed once per seed (row_checks, issue #10).
        for test in doc.get("data_tests") or []:
            if isinstance(test, dict) and "row_checks" in test:
                spec = test["row_checks"]
                args = spec.get("arguments") or spec
                schema.not_null.update(args.get("not_null") or [])
                for column, values in (args.get("accepted_values") or {}).items():
                    schema.accepted[column] = [str(v) for v in values]
        for col in doc.get("columns") or []:
            for test in col.get("data_tests") or []:
                if test == "not_null":
                    schema.not_null.add(col["name"])
                elif isinstance(test, dict) and "accepted_values" in test:
                    spec = test["accepted_values"]
                    values = (spec.get("arguments") or spec).get("values")
                    if values:
                        schema.accepted[col["name"]] = [str(v) for v in values]
        schemas[name] = schema
    return schemas


# --------------------------------------------------------------------------- validation
def _parse(value: str, kind: str):
    """The typed value of a CSV cell, or raise ValueError naming what was expected."""
    if kind in ("double", "float", "decimal", "numeric"):
        try:
            number = float(value)
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(number):
            raise ValueError("is not a finite number")
        return number
    if kind in ("integer", "int", "bigint"):
        if not value.lstrip("-").isdigit():
            raise ValueError("is not a whole number")
        return int(value)
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise ValueError("is not true/false")
        return value.lower() == "true"
    return value


def _applies(row: dict, year: int) -> bool:
    lo, hi = row.get("valid_from_year"), row.get("valid_to_year")
    return (lo is None or lo <= year) and (hi is None or hi >= year)


def read_policy_file(path: Path, schema: SeedSchema, problems: list[str]) -> list[tuple[int, dict]]:
    """(row number, typed row) of one replacement file; problems are appended, never raised."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            problems.append(f"{path.name}: empty file (expected the header {','.join(schema.columns)})")
            return []
        header = [h.strip() for h in header]
        missing = [c for c in schema.columns if c not in header]
        extra = [c for c in header if c not in schema.columns]
        for c in missing:
            problems.append(f"{path.name}, header: missing column {c!r} (the shipped file has "
                            f"{','.join(schema.columns)})")
        for c in extra:
            problems.append(f"{path.name}, header: unknown column {c!r} (expected {','.join(schema.columns)})")
        if missing or extra:
            return []
        rows = []
        for number, cells in enumerate(reader, start=1):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                problems.append(f"{path.name}, row {number}: {len(cells)} fields, the header has {len(header)}")
                continue
            typed, ok = {}, True
            for col, raw in zip(header, cells):
                raw = raw.strip()
                if raw == "":
                    if col in schema.not_null:
                        problems.append(f"{path.name}, row {number}: column {col!r} is empty (a value is required)")
                        ok = False
                    typed[col] = None
                    continue
                try:
                    typed[col] = _parse(raw, schema.types.get(col, "varchar"))
                except ValueError as exc:
                    problems.append(f"{path.name}, row {number}: column {col!r}: {raw!r} {exc} "
                                    f"(expected {schema.types.get(col)})")
                    ok = False
                    continue
                if col in schema.accepted and raw not in schema.accepted[col]:
                    problems.append(f"{path.name}, row {number}: column {col!r}: {raw!r} is not one of "
                                    f"{', '.join(schema.accepted[col])}")
                    ok = False
            if ok and None not in (typed.get("valid_from_year"), typed.get("valid_to_year")) \
                    and typed["valid_from_year"] > typed["valid_to_year"]:
                problems.append(f"{path.name}, row {number}: valid_from_year {typed['valid_from_year']} is after "
                                f"valid_to_year {typed['valid_to_year']}")
                ok = False
            if ok:
                rows.append((number, typed))
        return rows


def _check_weights(name: str, rows: list[tuple[int, dict]], year: int, problems: list[str]) -> None:
    """R-SCORE-4: in the what-if year, each category's weights sum to 100 and every category has some."""
    by_category: dict[str, list[tuple[int, float]]] = {}
    for number, row in rows:
        if _applies(row, year):
            by_category.setdefault(row["category"], []).append((number, row["weight"]))
    for category in ("industrial_above", "industrial_below", "services"):
        entries = by_category.get(category)
        if not entries:
            problems.append(f"{name}.csv: no row of category {category!r} applies to {year} "
                            "(every category needs its weights)")
            continue
        total = sum(w for _, w in entries)
        if abs(total - WEIGHT_TOTAL) > 1e-9:
            numbers = ", ".join(str(n) for n, _ in entries)
            problems.append(f"{name}.csv, rows {numbers} (category {category}, year {year}): weights sum to "
                            f"{total:g}; R-SCORE-4 needs {WEIGHT_TOTAL:g}")


def _check_rules(name: str, rows: list[tuple[int, dict]], year: int, problems: list[str]) -> None:
    if name == "policy_indicator_weights":
        _check_weights(name, rows, year, problems)
    elif name == "policy_grade_cuts":
        shares = [(n, r["max_rank_share"]) for n, r in rows if _applies(r, year)]
        for n, s in shares:
            if not 0 < s <= 1:
                problems.append(f"{name}.csv, row {n}: max_rank_share {s:g} is outside (0, 1]")
        if shares and max(s for _, s in shares) != 1:
            problems.append(f"{name}.csv (year {year}): the last grade cut must be 1.0 (R-GRADE-1), "
                            f"got {max(s for _, s in shares):g}")
    elif name == "leader_indicators":
        for n, r in rows:
            if r["weight"] <= 0:
                problems.append(f"{name}.csv, row {n}: weight {r['weight']:g} must be > 0")
    elif name == "policy_near_cut_margins":
        for n, r in rows:
            if r["value"] < 0:
                problems.append(f"{name}.csv, row {n}: margin {r['value']:g} must be >= 0")


def validate_policy_folder(folder: Path, year: int, repo: Path = settings.REPO_ROOT) -> list[Path]:
    """The replacement files of `folder`, or PolicyFolderError listing every problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PolicyFolderError([f"{folder}: not a folder (give a folder of replacement policy CSV files)"])
    schemas = seed_schemas(repo)
    problems: list[str] = []
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    if not files:
        problems.append(f"{folder}: no policy files (put e.g. policy_indicator_weights.csv there)")
    for path in files:
        name = path.stem if path.suffix == ".csv" else None
        if name not in schemas:
            problems.append(f"{path.name}: unknown policy file; replaceable files are "
                            + ", ".join(f"{n}.csv" for n in schemas))
            continue
        rows = read_policy_file(path, schemas[name], problems)
        _check_rules(name, rows, year, problems)
    if problems:
        raise PolicyFolderError(problems)
    return files


# --------------------------------------------------------------------------- snapshots and diff
# The `#n` of an individual's subject_key (masked id + '#' + n) is ranked over every year the build
# evaluated; the scratch build evaluates only [Y-1, Y], so the same person can carry another n there.
# The diff pairs subjects by the key re-ranked within the year: the order of the n of one masked id
# within a year is the same in both builds (ranked by the unmasked id), whatever the other years hold.
YEAR_KEY_SQL = """
    case when subject_key like '%#%'
         then split_part(subject_key, '#', 1) || '#' || cast(dense_rank() over (
                  partition by split_part(subject_key, '#', 1)
                  order by try_cast(split_part(subject_key, '#', 2) as integer), subject_key) as varchar)
         else subject_key end"""


def _snapshot(con, year: int) -> dict:
    subjects = {}
    year_key: dict[str, str] = {}
    for r in con.execute(f"""
        select {YEAR_KEY_SQL} as year_key, subject_key, subject_id, subject_name, county_code, category, grade,
               total_score, rank_in_group, group_size, coalesce(grade_rules_text, ''), excluded_reason
        from marts.subject_evaluation where year = ?""", [year]).fetchall():
        year_key[r[1]] = r[0]
        subjects[r[0]] = dict(zip(("subject_key", "subject_id", "subject_name", "county_code", "category",
                                   "grade", "total_score", "rank", "group_size", "grade_rules",
                                   "excluded_reason"), r[1:]))
    scores: dict[str, dict[str, float]] = {}
    for key, indicator, score in con.execute(
            "select subject_key, indicator, score from marts.subject_indicator_detail where year = ?",
            [year]).fetchall():
        scores.setdefault(year_key.get(key, key), {})[indicator] = score
    places: dict[str, str] = {}
    for subject_id, lst, rank in con.execute(
            "select subject_id, list, rank from marts.leaderboard_enterprises where year = ? order by list",
            [year]).fetchall():
        places[subject_id] = (places.get(subject_id, "") + "; " if subject_id in places else "") + f"{lst} #{rank}"
    return {"subjects": subjects, "scores": scores, "places": places}


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= 1e-9
    return a == b


def _moved_by(key: str, old: dict, new: dict, before: dict, after: dict) -> str:
    parts = []
    s0, s1 = before["scores"].get(key, {}), after["scores"].get(key, {})
    for ind in sorted(set(s0) | set(s1)):
        if not _same(s0.get(ind), s1.get(ind)):
            parts.append(f"{ind} {_num(s0.get(ind))}→{_num(s1.get(ind))}")
    r0 = set(filter(None, (old or {}).get("grade_rules", "").split(",")))
    r1 = set(filter(None, (new or {}).get("grade_rules", "").split(",")))
    parts += [f"+{r}" for r in sorted(r1 - r0)] + [f"-{r}" for r in sorted(r0 - r1)]
    if old and new and old["rank"] != new["rank"]:
        parts.append(f"rank {old['rank']}→{new['rank']}/{new['group_size']}")
    if not parts:
        parts.append("others' scores moved the grade cut")
    return "; ".join(parts)


def _num(v) -> str:
    return "—" if v is None else f"{v:.4f}".rstrip("0").rstrip(".")


def diff(before: dict, after: dict, year: int) -> tuple[list[dict], list[dict]]:
    """(transitions, moved subjects) between two snapshots of one year."""
    counts: dict[tuple, int] = {}
    moved = []
    for key in sorted(set(before["subjects"]) | set(after["subjects"])):
        old, new = before["subjects"].get(key), after["subjects"].get(key)
        ref = new or old
        g0, g1 = (old or {}).get("grade") or "", (new or {}).get("grade") or ""
        if g0 or g1:
            k = (ref["county_code"], ref["category"], g0, g1)
            counts[k] = counts.get(k, 0) + 1
        p0 = before["places"].get(ref["subject_id"], "")
        p1 = after["places"].get(ref["subject_id"], "")
        if g0 != g1 or p0 != p1:
            moved.append({
                "year": year, "subject_id": ref["subject_id"], "subject_key": (old or new)["subject_key"],
                "subject_name": ref["subject_name"], "county_code": ref["county_code"],
                "category": ref["category"], "old_grade": g0, "new_grade": g1,
                "old_total_score": (old or {}).get("total_score"), "new_total_score": (new or {}).get("total_score"),
                "old_rank": (old or {}).get("rank"), "new_rank": (new or {}).get("rank"),
                "old_leader_place": p0, "new_leader_place": p1,
                "moved_by": _moved_by(key, old, new, before, after),
            })
    transitions = [{"county_code": c, "category": cat, "from_grade": g0, "to_grade": g1, "subjects": n}
                   for (c, cat, g0, g1), n in sorted(counts.items())]
    return transitions, moved


# --------------------------------------------------------------------------- files
TRANSITION_COLUMNS = ["county_code", "category", "from_grade", "to_grade", "subjects"]
MOVED_COLUMNS = ["year", "subject_id", "subject_key", "subject_name", "county_code", "category", "old_grade",
                 "new_grade", "old_total_score", "new_total_score", "old_rank", "new_rank", "old_leader_place",
                 "new_leader_place", "moved_by"]


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    from orchestration.spreadsheet import csv_cell

    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow([csv_cell(r[c]) for c in columns])


def _write_xlsx(path: Path, columns: list[str], rows: list[dict]) -> None:
    from openpyxl import Workbook

    from orchestration.spreadsheet import make_text_cells, xlsx_value

    wb = Workbook()
    ws = wb.active
    ws.title = "transitions"
    ws.append(columns)
    for r in rows:
        ws.append([xlsx_value(r[c]) for c in columns])
    make_text_cells(ws)
    wb.save(path)


# --------------------------------------------------------------------------- the run
@dataclass
class WhatIfResult:
    year: int
    out_dir: Path
    transitions: list[dict]
    moved: list[dict]
    graded_before: int
    graded_after: int
    seconds: dict[str, float]


def _copy_project(repo: Path, dest: Path, replacements: list[Path]) -> None:
    shutil.copy2(repo / "dbt_project.yml", dest / "dbt_project.yml")
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", "__pycache__")
    shutil.copytree(repo / "dbt_project", dest / "dbt_project", ignore=ignore)
    shutil.copytree(repo / "seeds", dest / "seeds", ignore=ignore)
    for f in replacements:
        shutil.copy2(f, dest / POLICY_SUBDIR / f.name)


def _copy_warehouse(source: Path, scratch: Path) -> Path:
    """Byte copy (plus WAL) under the same file name; opening the source would block its writer."""
    target = scratch / source.name
    shutil.copy2(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, target.with_name(target.name + ".wal"))
    return target


def _dbt_errors(output: str) -> str:
    keep = [ln for ln in output.splitlines()
            if "policy seed" in ln or "Error" in ln or "error" in ln.lower() and "0 errors" not in ln]
    return "\n".join(keep[-20:]) or output[-3000:]


def run_whatif(policy: Path, year: int, out_dir: Path | None = None, warehouse: Path | None = None,
               keep_scratch: bool = False, repo: Path = settings.REPO_ROOT) -> WhatIfResult:
    import duckdb

    t0 = time.perf_counter()
    files = validate_policy_folder(policy, year, repo)          # refused before anything runs
    warehouse = Path(warehouse or settings.warehouse_path())
    if not warehouse.is_file():
        raise WhatIfError(f"no pipeline warehouse at {warehouse}: run `mujun run` first (or give --warehouse)")
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    scratch = settings.data_dir() / "whatif" / stamp
    (scratch / "project").mkdir(parents=True)
    out_dir = Path(out_dir) if out_dir else scratch
    out_dir.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    try:
        copy = _copy_warehouse(warehouse, scratch)
        _copy_project(repo, scratch / "project", files)
        seconds["copy"] = time.perf_counter() - t0
        try:
            with duckdb.connect(str(copy)) as con:
                years = [r[0] for r in con.execute(
                    "select distinct year from marts.subject_evaluation order by year").fetchall()]
                if year not in years:
                    raise WhatIfError(f"year {year} is not evaluated in {warehouse} (years: "
                                      f"{', '.join(map(str, years)) or 'none'})")
                before = _snapshot(con, year)
        except duckdb.Error as exc:
            raise WhatIfError(f"the copy of {warehouse} cannot be read ({exc}); the pipeline was probably "
                              "writing it: run the what-if again when `mujun run` has finished") from exc
        eval_years = [y for y in (year - 1, year) if y in years]
        # int_evaluation_years carries the year restriction; the rest is what the replaced seeds feed
        selectors = ["int_evaluation_years"] + [f"{f.stem}+" for f in files]
        cmd = [str(Path(sys.executable).parent / "mujun-dbt"), "build", "--quiet",
               "--resource-type", "seed", "--resource-type", "model",
               "--select", *selectors,
               "--vars", json.dumps({"evaluation_years": eval_years}),
               "--project-dir", str(scratch / "project"),
               "--profiles-dir", str(scratch / "project" / "dbt_project"),
               "--target-path", str(scratch / "target"), "--log-path", str(scratch / "logs")]
        env = {**os.environ, "MUJUN_WAREHOUSE": str(copy)}
        t1 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=scratch / "project", env=env, capture_output=True, text=True)
        seconds["dbt"] = time.perf_counter() - t1
        if proc.returncode != 0:
            raise WhatIfError(f"dbt build on the scratch copy failed under the replacement policy:\n"
                              f"{_dbt_errors(proc.stdout + proc.stderr)}\n(scratch kept in {scratch})")
        with duckdb.connect(str(copy), read_only=True) as con:
            after = _snapshot(con, year)
        transitions, moved = diff(before, after, year)
        _write_csv(out_dir / "transitions.csv", TRANSITION_COLUMNS, transitions)
        _write_xlsx(out_dir / "transitions.xlsx", TRANSITION_COLUMNS, transitions)
        _write_csv(out_dir / "moved_subjects.csv", MOVED_COLUMNS, moved)
        seconds["total"] = time.perf_counter() - t0
        graded = lambda snap: sum(1 for s in snap["subjects"].values() if s["grade"])  # noqa: E731
        return WhatIfResult(year, out_dir, transitions, moved, graded(before), graded(after), seconds)
    except WhatIfError:
        keep_scratch = True
        raise
    finally:
        if not keep_scratch:
            for p in (scratch / "project", scratch / "target", scratch / "logs"):
                shutil.rmtree(p, ignore_errors=True)
            for p in scratch.glob(warehouse.name + "*"):
                p.unlink()
            if scratch != out_dir and not any(scratch.iterdir()):
                scratch.rmdir()


def summary(result: WhatIfResult, policy_files: list[str]) -> str:
    changed = [t for t in result.transitions if t["from_grade"] != t["to_grade"]]
    grade_moves = sum(1 for m in result.moved if m["old_grade"] != m["new_grade"])
    place_moves = sum(1 for m in result.moved if m["old_leader_place"] != m["new_leader_place"])
    lines = [
        f"what-if {result.year} under {', '.join(policy_files)} (scratch copy; pipeline warehouse untouched)",
        f"  graded subjects: {result.graded_before} before, {result.graded_after} after",
        f"  grade changed: {grade_moves};  leader-list place changed: {place_moves}",
    ]
    if changed:
        lines.append("  transitions (county, category: from → to = subjects):")
        for t in changed:
            lines.append(f"    {t['county_code']}, {t['category']}: {t['from_grade'] or '(not graded)'} → "
                         f"{t['to_grade'] or '(not graded)'} = {t['subjects']}")
    else:
        lines.append("  no subject changes grade")
    s = result.seconds
    lines += [f"  time: copy {s.get('copy', 0):.1f} s, dbt build {s.get('dbt', 0):.1f} s, "
              f"total {s.get('total', 0):.1f} s",
              f"  files: {result.out_dir / 'transitions.csv'} (.xlsx), {result.out_dir / 'moved_subjects.csv'}"]
    return "\n".join(lines)


# --------------------------------------------------------------------------- CLI
def add_parser(sub, paths) -> argparse.ArgumentParser:
    sp = sub.add_parser("whatif", help="re-grade one year under replacement policy seeds (scratch copy) and diff",
                        description="Re-evaluate year Y on a scratch copy of the warehouse with the policy "
                                    "files of --policy replacing the shipped ones (only the files given), and "
                                    "write the grade transitions and the subjects that move. Never writes the "
                                    "pipeline warehouse or the published file; does not take the run lock.")
    sp.add_argument("--policy", required=True, help="folder of replacement policy CSV files (e.g. "
                                                     "policy_indicator_weights.csv), same columns as seeds/policy")
    sp.add_argument("--year", type=int, required=True, help="data year to re-evaluate")
    sp.add_argument("--out", help="folder for transitions.csv/.xlsx and moved_subjects.csv "
                                  "(default <data-dir>/whatif/<stamp>)")
    sp.add_argument("--keep-scratch", action="store_true", help="keep the scratch warehouse and project")
    paths(sp, feeds=False)
    sp.set_defaults(func=run)
    return sp


def run(args: argparse.Namespace) -> int:
    from orchestration.cli import _apply_paths

    _apply_paths(args)
    policy = Path(args.policy)
    try:
        result = run_whatif(policy, args.year, Path(args.out) if args.out else None, keep_scratch=args.keep_scratch)
    except PolicyFolderError as exc:
        print(f"mujun whatif: the policy folder {policy} is refused (nothing was run):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except WhatIfError as exc:
        print(f"mujun whatif: {exc}", file=sys.stderr)
        return 1
    print(summary(result, sorted(p.name for p in policy.iterdir() if not p.name.startswith("."))))
    return 0
