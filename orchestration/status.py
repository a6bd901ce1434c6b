"""A terminal summary of what the warehouse holds: deliveries, rejects, grade shares.

Reads with a short read-only connection and tolerates missing tables (a warehouse before its
first evaluation), so it can be used after a failed run too.
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.catalog import table_exists


def _print_table(rows, headers) -> None:
    widths = [max(len(str(h)), *(len(f"{r[i]:,}") if isinstance(r[i], int) else len(str(r[i])) for r in rows))
              if rows else len(str(h))
              for i, h in enumerate(headers)]
    print("  " + "  ".join(str(h).ljust(w) for h, w in zip(headers, widths)))
    for r in rows:
        print("  " + "  ".join((f"{v:,}" if isinstance(v, int) and h != "year" else str(v)).ljust(w)
                               for v, w, h in zip(r, widths, headers)))


def print_status(path: Path, years: list[int] | None = None) -> None:
    if not Path(path).exists():
        print(f"no warehouse at {path}")
        return
    con = duckdb.connect(str(path), read_only=True)
    try:
        year_filter = f"where year in ({','.join(map(str, years))})" if years else ""
        if table_exists(con, "quarantine", "delivery_ledger"):
            print("\nDeliveries (latest per year and feed; quarantine.delivery_ledger):")
            rows = con.execute(f"""
                select year, feed, status, rows_delivered, rows_loaded, rows_rejected, coalesce(message, '')
                from (select *, row_number() over (partition by year, feed order by loaded_at desc) as rn
                      from quarantine.delivery_ledger {year_filter})
                where rn = 1 order by year, feed""").fetchall()
            _print_table([tuple(r[:6]) for r in rows], ["year", "feed", "status", "delivered", "loaded", "rejected"])
            refused = [r for r in rows if r[2] == "refused"]
            for r in refused:
                print(f"  REFUSED {r[0]} {r[1]}: {r[6]}")
        if table_exists(con, "quarantine", "rejected_rows"):
            rows = con.execute(f"""
                select year, feed, reason, count(*) from quarantine.rejected_rows {year_filter}
                group by all order by year, feed, count(*) desc""").fetchall()
            if rows:
                print("\nQuarantined rows by reason (quarantine.rejected_rows):")
                _print_table(rows, ["year", "feed", "reason", "rows"])
        if table_exists(con, "marts", "subject_evaluation"):
            rows = con.execute(f"""
                select year, category,
                       count(*) filter (where excluded_reason is null) as graded,
                       count(*) filter (where excluded_reason is not null) as excluded,
                       count(*) filter (where grade = 'A') as a, count(*) filter (where grade = 'B') as b,
                       count(*) filter (where grade = 'C') as c, count(*) filter (where grade = 'D') as d
                from marts.subject_evaluation {year_filter} group by all order by year, category""").fetchall()
            print("\nFinal grades (marts.subject_evaluation):")
            _print_table(rows, ["year", "category", "graded", "excluded", "A", "B", "C", "D"])
    finally:
        con.close()
