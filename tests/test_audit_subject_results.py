"""audit.check_results from the per-record results (gx_runner.subject_results): one row per
year x subject x check, the failed records shown (else all), at most five of them, each group's
records and only its own (the grouping slices the key-sorted records, issue #10)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from orchestration.audit.gx_runner import subject_results

AT = dt.datetime(2026, 12, 3, 9, 30, 15, 123456)


def _records(rows):
    cols = ["row_id", "year", "subject_key", "subject_id", "town_code", "check_name", "rule_id",
            "source_feed", "record_key", "observed_value", "expected", "passed"]
    return pd.DataFrame(rows, columns=cols)


def test_each_subject_check_shows_its_own_failed_records_and_all_records_when_none_failed():
    rec = _records([
        # S2 first in row order: the result is sorted, and each group keeps its own records
        (1, 2021, "S2#1", "S2", "330109001", "value_added_le_output", "R-AUDIT-3", "stats", "k9", 3.0, "≤ 2", False),
        (2, 2021, "S1#1", "S1", "330109001", "value_added_le_output", "R-AUDIT-3", "stats", "k1", 5.0, "≤ 9", True),
        (3, 2021, "S1#1", "S1", "330109001", "value_added_le_output", "R-AUDIT-3", "stats", "k2", 7.0, "≤ 6", False),
        (4, 2021, "S1#1", "S1", "330109001", "value_added_le_output", "R-AUDIT-3", "stats", "k3", 8.0, "≤ 6", False),
        (5, 2021, "S1#1", "S1", "330109001", "energy_ge_electricity", "R-AUDIT-3", "energy", "e1", 1.0, "≥ 0", True),
        (6, 2021, "S1#1", "S1", "330109001", "energy_ge_electricity", "R-AUDIT-3", "energy", "e2", 2.0, "≥ 0", True),
        (7, 2020, "S1#1", "S1", "330109001", "energy_ge_electricity", "R-AUDIT-3", "energy", "e0", 4.0, "≥ 1", True),
    ] + [(10 + i, 2021, "S3#1", "S3", "330109002", "employees_positive", "R-AUDIT-3", "stats", f"m{i}", float(i),
          f"> {i}", False) for i in range(7)])
    out = subject_results(rec, AT)
    got = {(r.year, r.subject_key, r.check_name): r for r in out.itertuples()}
    assert len(out) == 5

    va = got[(2021, "S1#1", "value_added_le_output")]
    assert (va.passed, va.records_checked, va.records_failed) == (False, 3, 2)
    assert va.record_keys == ["k2", "k3"]                     # the failed ones only
    assert va.observed_value == "k2: 7.0; k3: 8.0"
    assert va.expected == "≤ 6"                               # one expectation for both: said once

    energy = got[(2021, "S1#1", "energy_ge_electricity")]
    assert (energy.passed, energy.records_failed, energy.record_keys) == (True, 0, ["e1", "e2"])
    assert energy.observed_value == "e1: 1.0; e2: 2.0"

    single = got[(2020, "S1#1", "energy_ge_electricity")]      # one record: its value as it is
    assert (single.record_keys, single.observed_value, single.expected) == (["e0"], 4.0, "≥ 1")

    other = got[(2021, "S2#1", "value_added_le_output")]
    assert (other.subject_id, other.record_keys, other.observed_value) == ("S2", ["k9"], 3.0)

    many = got[(2021, "S3#1", "employees_positive")]
    assert many.records_failed == 7 and many.record_keys == [f"m{i}" for i in range(7)]
    assert many.observed_value == "; ".join(f"m{i}: {float(i)}" for i in range(5))   # at most five shown
    assert many.expected == "; ".join(f"m{i}: > {i}" for i in range(5))
    assert list(out["checked_at"].unique()) == [pd.Timestamp("2026-12-03 09:30:15")]
