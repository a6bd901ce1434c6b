"""Streaming CSV output for the generator.

Each feed file is written as: a header line (the contract's English names, in contract order),
then any number of chunks appended.  A chunk is a dict of numpy/pandas columns keyed by contract
column name; DuckDB formats it (fast, multi-threaded, order-preserving) into a part file that is
appended to the feed file and removed.  Formatting is fixed by the column's contract kind:

    date     numpy datetime64[D] (NaT = null)         → YYYY-MM-DD
    month    int month index  year*12 + month-1       → YYYY-MM
    bool     numpy bool / pandas "boolean" (NA = null) → true / false
    decimal  float64 (NaN = null)                     → shortest round-trip repr, or a fixed
                                                        number of decimals where asked (big feeds)
    integer  int64                                     → digits
    others   str objects (None = null) or int64       → as is, quoted only when needed
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from orchestration.feeds import contract as C


class FeedWriter:
    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, feed: C.Feed,
                 fixed: dict[str, int] | None = None):
        """``fixed``: decimal columns written with a fixed number of decimals (DECIMAL(18, k)),
        faster than shortest-repr doubles for the big feeds."""
        self.con = con
        self.path = Path(path)
        self.feed = feed
        self.rows = 0
        self._part = self.path.with_name(f".{self.path.name}.part")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(feed.column_names) + "\n")
        exprs = []
        for col in feed.columns:
            q = f'"{col.name}"'
            if col.kind == C.DATE:
                exprs.append(f"CAST({q} AS DATE) AS {q}")
            elif fixed and col.name in fixed:
                exprs.append(f"CAST({q} AS DECIMAL(18, {int(fixed[col.name])})) AS {q}")
            elif col.kind == C.MONTH:
                exprs.append(f"printf('%04d-%02d', {q} // 12, {q} % 12 + 1) AS {q}")
            else:
                exprs.append(q)
        self._select = ", ".join(exprs)

    def append(self, columns: dict) -> int:
        names = self.feed.column_names
        missing = set(names) - set(columns)
        if missing:
            raise KeyError(f"{self.feed.name}: chunk lacks columns {sorted(missing)}")
        lengths = {len(columns[n]) for n in names}
        if len(lengths) != 1:
            raise ValueError(f"{self.feed.name}: ragged chunk {lengths}")
        n = lengths.pop()
        if n == 0:
            return 0
        df = pd.DataFrame({name: columns[name] for name in names}, copy=False)
        self.con.register("_chunk", df)
        try:
            part = str(self._part).replace("'", "''")
            self.con.execute(f"COPY (SELECT {self._select} FROM _chunk) TO '{part}' "
                             f"(FORMAT csv, HEADER false, DELIMITER ',', QUOTE '\"', NULL '')")
        finally:
            self.con.unregister("_chunk")
        with open(self._part, "rb") as src, open(self.path, "ab") as dst:
            shutil.copyfileobj(src, dst, 16 << 20)
        os.remove(self._part)
        self.rows += n
        return n


def bool_col(values, null_mask=None) -> pd.arrays.BooleanArray:
    """A nullable boolean column (null where null_mask)."""
    v = np.asarray(values, dtype=bool)
    mask = np.zeros(len(v), dtype=bool) if null_mask is None else np.asarray(null_mask, dtype=bool)
    return pd.arrays.BooleanArray(v, mask)
