"""scripts/benchmark.py on the county sample: the floors load what was delivered, and --repeat
reports medians of alternating runs (the README's ratios come from this table)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _rows(table: str) -> dict[str, list[str]]:
    out = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] == "county":
            out[cells[1]] = cells
    return out


def _count(pattern: str, note: str) -> int:
    m = re.search(pattern, note)
    assert m, f"{pattern!r} not in {note!r}"
    return int(m.group(1).replace(",", ""))


def test_both_ingest_floors_load_every_delivered_row_and_repeats_report_medians(tmp_path):
    subprocess.run([sys.executable, "scripts/benchmark.py", "--scales", "county", "--years", "2020",
                    "--steps", "generate,ingest", "--repeat", "2", "--keep", str(tmp_path / "work"),
                    "--out", str(tmp_path)], cwd=REPO, check=True, capture_output=True, text=True)
    rows = _rows((tmp_path / "benchmark.md").read_text())

    sniffed, typed = rows["ingest"], rows["ingest, contract-typed floor"]
    delivered = _count(r"([\d,]+) rows delivered", sniffed[5])
    assert delivered > 100_000
    # a floor that dropped or rejected rows would be the cost of loading less than mujun loads
    assert _count(r"floor: ([\d,]+) rows read;", sniffed[5]) == delivered
    assert _count(r"([\d,]+) rows read at the contract's types", typed[5]) == delivered
    # the same two measured runs of the step on both rows, each floor its own pair of runs
    assert "median of 2 alternating runs" in sniffed[5]
    assert sniffed[2] == typed[2]
    runs = [float(x) for x in re.search(r"median of 2 alternating runs \(CPU-s ([\d.]+), ([\d.]+)\)",
                                        sniffed[5]).groups()]
    assert abs(float(sniffed[2].split(" / ")[0]) - sum(runs) / 2) <= 0.1
    floor_runs = [float(x) for x in re.search(r"floor: .*?median of 2 alternating runs \(CPU-s ([\d.]+), "
                                              r"([\d.]+)\)", sniffed[5]).groups()]
    pairs = re.search(r"CPU ratio of each pair ([\d.]+)x, ([\d.]+)x", sniffed[5]).groups()
    # each pair's ratio is that run over its own floor run (sorted), not a ratio of the medians
    assert len(pairs) == 2 and all(float(x) > 1 for x in pairs) and max(floor_runs) > 0
