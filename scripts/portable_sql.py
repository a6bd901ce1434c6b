"""Rewrite DuckDB's `varchar` type name into forms every dbt adapter accepts (issue #14).

    python scripts/portable_sql.py          # rewrite in place, print what changed
    python scripts/portable_sql.py --check  # exit 1 if anything is left to rewrite (CI, after a merge)

Spark SQL has no length-less VARCHAR (`cast(x as varchar)` fails with DATATYPE_MISSING_SIZE), so:
  * SQL (models, macros, tests): `as varchar)` and `::varchar` become `as {{ dbt.type_string() }})`
    (VARCHAR on DuckDB, STRING on Spark: the DuckDB build is unchanged);
  * YAML (contracts `data_type:`, seed `column_types:`): `varchar` becomes `string`, which DuckDB
    reads as VARCHAR and Spark as STRING (YAML is rendered without macros, so no dbt.type_string()).
Mechanical and idempotent: re-run it after merging branches that add new casts.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQL_DIRS = [ROOT / "dbt_project" / "models", ROOT / "dbt_project" / "macros", ROOT / "dbt_project" / "tests"]
YML_DIRS = SQL_DIRS + [ROOT / "seeds"]

TYPE_STRING = "{{ dbt.type_string() }}"
# `as varchar` closing a cast (not `varchar[]`, a DuckDB list type handled by macros/portable).
SQL_AS = re.compile(r"\bas\s+varchar\b(?!\s*\[)", re.IGNORECASE)
# `<simple operand>::varchar`: a column, a qualified column or a literal.
SQL_COLON = re.compile(r"([A-Za-z_][\w.]*|'[^']*'|\d+(?:\.\d+)?)::varchar\b(?!\s*\[)", re.IGNORECASE)
SQL_COLON_LEFT = re.compile(r"::varchar\b(?!\s*\[)", re.IGNORECASE)
# `data_type: varchar` and `name: varchar` inside column_types maps.
# (a `key: varchar` line of a block-style column_types map ends right after the type name.)
YML_TYPE = re.compile(r"(?P<key>data_type:\s*|column_types:\s*\{[^}]*?:\s*|^\s*\w+:\s*)varchar(?=\s*[,}]|\s*$)",
                      re.IGNORECASE | re.MULTILINE)


def rewrite_sql(text: str) -> str:
    text = SQL_AS.sub(f"as {TYPE_STRING}", text)
    return SQL_COLON.sub(lambda m: f"cast({m.group(1)} as {TYPE_STRING})", text)


def rewrite_yml(text: str) -> str:
    # column_types maps can hold several varchar values on one line: repeat until stable.
    while True:
        new = YML_TYPE.sub(lambda m: m.group("key") + "string", text)
        if new == text:
            return new
        text = new


def files(dirs: list[Path], suffixes: tuple[str, ...]) -> list[Path]:
    return sorted(p for d in dirs if d.is_dir() for p in d.rglob("*") if p.suffix in suffixes and p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report, do not write; exit 1 if a rewrite is due")
    args = parser.parse_args(argv)
    changed, left = [], []
    for path, rewrite in [(p, rewrite_sql) for p in files(SQL_DIRS, (".sql",))] + \
                         [(p, rewrite_yml) for p in files(YML_DIRS, (".yml", ".yaml"))]:
        old = path.read_text(encoding="utf-8")
        new = rewrite(old)
        if rewrite is rewrite_sql:
            left += [f"{path.relative_to(ROOT)}: `{m.group(0)}` (operand too complex: rewrite by hand)"
                     for m in SQL_COLON_LEFT.finditer(new)]
        if new != old:
            changed.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "to rewrite" if args.check else "rewritten"
    for p in changed:
        print(f"{verb}: {p}")
    for msg in left:
        print(f"left: {msg}", file=sys.stderr)
    return 1 if (args.check and changed) or left else 0


if __name__ == "__main__":
    sys.exit(main())
