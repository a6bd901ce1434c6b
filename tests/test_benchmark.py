"""scripts/benchmark.py on the county sample: the floors load what was delivered, and --repeat
reports medians of alternating runs (the README's ratios come from this table)."""
from __future__ import annotations

import importlib.util
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
    assert "median of 2 alternating runs" in sniffed[5] and sniffed[2] == typed[2]
    assert re.search(r"CPU ratio of each pair [\d.]+x, [\d.]+x", sniffed[5])


def _benchmark_module():
    spec = importlib.util.spec_from_file_location("benchmark", REPO / "scripts" / "benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_repeated_runs_report_the_median_and_each_pairs_ratio():
    median = _benchmark_module()._median
    steps = [{"cpu": 30.0, "seconds": 31.0, "peak_mb": 900.0, "note": "9 rows delivered"},
             {"cpu": 20.0, "seconds": 50.0, "peak_mb": 700.0, "note": "9 rows delivered", "steal_percent": 4.0},
             {"cpu": 25.0, "seconds": 26.0, "peak_mb": 800.0, "note": "9 rows delivered"}]
    floors = [{"cpu": 10.0, "seconds": 5.0, "peak_mb": 100.0, "note": "9 rows read"},
              {"cpu": 10.0, "seconds": 6.0, "peak_mb": 100.0, "note": "9 rows read"},
              {"cpu": 5.0, "seconds": 7.0, "peak_mb": 100.0, "note": "9 rows read"}]

    step = median(steps)
    # each measure its own median (not the values of one run), the note keeps the first run's words
    assert (step["cpu"], step["seconds"], step["peak_mb"]) == (25.0, 31.0, 800.0)
    assert step["note"] == ("9 rows delivered; median of 3 alternating runs (CPU-s 30.0, 20.0, 25.0); "
                            "up to 4 % of the machine's CPU time stolen by the hypervisor")
    floor = median(floors, against=steps)
    # 30/10, 20/10, 25/5: each run over its own floor run; the ratio of the medians would be 2.5x
    assert floor["cpu"] == 10.0
    assert floor["note"].endswith("CPU ratio of each pair 2.00x, 3.00x, 5.00x (median 3.00x)")
    assert median([steps[0]]) is steps[0] and median([steps[0], None]) is None
