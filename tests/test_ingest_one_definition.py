"""One definition per fact, ingestion side: the boolean spellings and the industry divisions are
read from their seeds (not from a Python copy), and a USCC has ONE shape (idchecks.USCC_REGEX,
the one the GX suites check): digits at positions 3-8, the administrative division."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_feeds import valid_rows, write_feed

from orchestration.audit.suites import USCC_RE
from orchestration.feeds.idchecks import USCC_REGEX, uscc_check_char, uscc_valid
from orchestration.feeds.loader import ingest_feed
from orchestration.settings import SEEDS_DIR

YEAR = 2022
REFERENCE = SEEDS_DIR / "reference"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("MUJUN_INGEST_TMP", str(tmp_path / "tmp"))
    ref = tmp_path / "reference"
    shutil.copytree(REFERENCE, ref)
    return tmp_path, ref


def _ingest(folder: Path, feed: str, rows, ref: Path):
    root = folder / "feeds"
    write_feed(root / str(YEAR), feed, rows)
    con = duckdb.connect(str(folder / "w.duckdb"))
    res = ingest_feed(con, root, YEAR, feed, reference_dir=ref)
    assert res.rows_delivered == res.rows_loaded + res.rows_rejected
    return res, con


def _reasons(con) -> dict[int, str]:
    return dict(con.execute("select row_number, reason from quarantine.rejected_rows").fetchall())


def test_boolean_spellings_come_from_the_seed(env):
    tmp, ref = env
    rows = valid_rows("stats_enterprise_annual", 4, YEAR)
    for r, v in zip(rows, ["是", " N ", "yes", "t"]):
        r["above_scale"] = v
    res, con = _ingest(tmp / "a", "stats_enterprise_annual", rows, ref)
    assert _reasons(con) == {3: "bad_bool", 4: "bad_bool"}           # yes / t are not feeds.md spellings
    assert con.execute("select above_scale from raw.stats_enterprise_annual order by _row_number").fetchall() \
        == [(True,), (False,)]
    # a spelling added to the seed is accepted: ingestion has no vocabulary of its own
    with open(ref / "ref_boolean_values.csv", "a", encoding="utf-8") as f:
        f.write("yes,true\n")
    res, con = _ingest(tmp / "b", "stats_enterprise_annual", rows, ref)
    assert _reasons(con) == {4: "bad_bool"}


def test_a_seed_giving_one_spelling_two_meanings_stops_ingestion(env):
    tmp, ref = env
    with open(ref / "ref_boolean_values.csv", "a", encoding="utf-8") as f:
        f.write("Y,false\n")
    with pytest.raises(ValueError, match="ref_boolean_values.csv.*'y'"):
        _ingest(tmp, "stats_enterprise_annual", valid_rows("stats_enterprise_annual", 1, YEAR), ref)


def test_industry_divisions_come_from_the_seed(env):
    tmp, ref = env
    seed = ref / "ref_industry_divisions.csv"
    seed.write_text("".join(line for line in seed.read_text(encoding="utf-8").splitlines(keepends=True)
                            if not line.startswith("38,")), encoding="utf-8")
    rows = valid_rows("registry_enterprises", 2, YEAR)
    rows[1]["industry_code"] = "3011"
    _, con = _ingest(tmp, "registry_enterprises", rows, ref)
    assert _reasons(con) == {1: "unknown_code"}                       # 3841: division 38 removed from the seed
    seed.unlink()
    with pytest.raises(FileNotFoundError, match="ref_industry_divisions.csv"):
        _ingest(tmp / "b", "registry_enterprises", rows, ref)


def test_one_uscc_shape_division_digits(env):
    """A USCC with a letter in the administrative division (positions 3-8) but a right check code
    fails the GX shape; ingestion rejects it as bad_id_format instead of loading it."""
    tmp, ref = env
    body = "91A30106" + "MA2B3C4D5"
    letter_in_division = body + uscc_check_char(body)
    assert not uscc_valid(letter_in_division)
    assert USCC_RE == f"^{USCC_REGEX}$"
    rows = valid_rows("patents", 2, YEAR)
    rows[1]["uscc"] = letter_in_division
    _, con = _ingest(tmp, "patents", rows, ref)
    assert _reasons(con) == {2: "bad_id_format"}
