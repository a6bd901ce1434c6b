"""Publication gates (orchestration/gates.py): a broken delivery is stopped before publication.

End to end through `mujun run` (real Dagster, dbt, GX, DuckDB): starting from the good county run
(conftest `county_run`, copied), 2021 is re-delivered with one broken feed per gate —
  tax_payments with 5 % broken amounts        -> reject_share.tax_payments
  energy_monthly with only its header         -> feed_loaded.energy_monthly
  registry_enterprises without a column       -> feed_delivered.registry_enterprises (refused)
  land_parcels with the areas scaled to 30 %  -> totals_change.counted_area
The run exits non-zero, names each gate with its numbers, and the published file stays byte for
byte; re-delivering the empty feed and accepting the three others publishes and shows the acceptances. The gate logic that needs no
pipeline (a missing feed, carry-over of an acceptance) is tested on small real DuckDB files.
"""
from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import duckdb
import pytest

from orchestration import gates as G
from orchestration.feeds import ddl
from orchestration.publish import PublicationBlocked, publish

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

BROKEN = {
    "reject_share.tax_payments:2021": "% of",
    "feed_loaded.energy_monthly:2021": "energy_monthly",
    "feed_delivered.registry_enterprises:2021": "REFUSED",
    "totals_change.counted_area:2021": "counted area",
}


ACCEPTED = [g for g in BROKEN if not g.startswith("feed_loaded.")]


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _rewrite(path: Path, fn) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    header, body = fn(header, body)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *body])


def _break_2021(feeds: Path) -> None:
    y = feeds / "2021"

    def amounts(h, body):               # every 20th row: 5 % of the rows carry an unreadable amount
        i = h.index("amount_yuan")
        for n, r in enumerate(body):
            if n % 20 == 0:
                r[i] = "12,3x"
        return h, body

    def areas(h, body):
        i = h.index("area_m2")
        for r in body:
            r[i] = f"{float(r[i]) * 0.3:.2f}"
        return h, body

    _rewrite(y / "tax_payments.csv", amounts)
    _rewrite(y / "energy_monthly.csv", lambda h, body: (h, []))
    _rewrite(y / "registry_enterprises.csv", lambda h, body: (h[:-1], [r[:-1] for r in body]))
    _rewrite(y / "land_parcels.csv", areas)


def _mujun_run(data: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MUJUN_DATA_DIR": str(data), "DAGSTER_HOME": str(data / "dagster_home")}
    for k in ("MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    proc = subprocess.run([str(BIN / "mujun"), "run", "--years", "2021", *extra], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1200)
    n = len(list(data.glob("run-*.log")))
    (data / f"run-{n}.log").write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)   # for a failed assert
    return proc


def _gates(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {f"{g}:{y}": (s, r, o) for y, g, s, r, o in con.execute(
            "select year, gate, status, accepted_reason, observed from audit.publication_gates").fetchall()}


@pytest.fixture(scope="module")
def broken(county_run, tmp_path_factory):
    """The good county run copied, then one run on the broken 2021 delivery, then one accepting it."""
    assert county_run["returncode"] == 0, county_run["stderr"][-4000:]
    data = tmp_path_factory.mktemp("gates")
    for name in ("warehouse.duckdb", "feeds", "published"):
        src = county_run["data_dir"] / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, data / name)
    published = data / "published" / "mujun.duckdb"
    good = {"sha": _sha(published), "gates": _gates(published)}
    _break_2021(data / "feeds")
    blocked = _mujun_run(data)
    blocked_sha = _sha(published)
    # The energy bureau re-delivers its file (an empty feed also fails the critical structural suite,
    # which no acceptance overrides); the three other gates are accepted.
    shutil.copy2(county_run["feeds"] / "2021" / "energy_monthly.csv", data / "feeds" / "2021" / "energy_monthly.csv")
    args = [a for name in ACCEPTED for a in ("--accept-gate", name)]
    accepted = _mujun_run(data, *args, "--reason", "Bureau confirmed; corrected file follows in June")
    return {"data": data, "published": published, "good": good, "blocked": blocked, "blocked_sha": blocked_sha,
            "accepted": accepted}


def test_good_run_publishes_a_gate_table_with_every_gate_passed(broken):
    gates = broken["good"]["gates"]
    assert {s for s, _, _ in gates.values()} <= {"passed", "not_applicable"}
    for name in (*BROKEN, "audit_suites:2021", "totals_change.counted_tax:2021"):
        assert gates[name][0] == "passed", name
    assert gates["totals_change.counted_area:2020"][0] == "not_applicable"   # no 2019 in the warehouse


def test_broken_delivery_is_not_published_and_each_gate_says_why(broken):
    run = broken["blocked"]
    assert run.returncode != 0
    assert broken["blocked_sha"] == broken["good"]["sha"]          # last good file, byte for byte
    out = run.stdout
    assert "NOT published by this run" in out
    for name, words in BROKEN.items():
        line = next((ln for ln in out.splitlines() if f"FAILED   {name}:" in ln), None)
        assert line, f"{name} not reported as failed:\n{out[-5000:]}"
        assert words in line and f"--accept-gate {name}" in line, line
    share = next(ln for ln in out.splitlines() if "FAILED   reject_share.tax_payments:2021" in ln)
    assert "5.0 % of" in share and "(threshold 1.0 %" in share and "amount_yuan" in share, share
    assert "FAILED steps" in run.stderr


def test_accepting_the_gates_publishes_and_records_them(broken):
    run = broken["accepted"]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert _sha(broken["published"]) != broken["good"]["sha"]
    gates = _gates(broken["published"])
    for name in ACCEPTED:
        status, reason, _ = gates[name]
        assert (status, reason) == ("accepted", "Bureau confirmed; corrected file follows in June"), name
    assert gates["feed_loaded.energy_monthly:2021"][0] == "passed"   # re-delivered, judged again
    with duckdb.connect(str(broken["published"]), read_only=True) as con:
        rows = con.execute("select gate || ':' || year, reason, accepted_at from audit.gate_acceptances").fetchall()
        share = con.execute("""select rows_rejected from quarantine.delivery_ledger where year = 2021
                               and feed = 'tax_payments' order by loaded_at desc limit 1""").fetchone()[0]
    assert {r[0] for r in rows} == set(ACCEPTED) and all(r[2] for r in rows)
    assert share > 0                                                # what was accepted is what is published


def test_a_later_run_in_the_same_data_dir_parses_dbt_partially(broken):
    """dbt's target folder is kept in the data dir (settings.dbt_target_dir): the accepting run, the
    second on this copied warehouse, finds the blocked run's parse state there and does not parse the
    project whole. (The blocked run's own parse depends on what state the repo's target/ holds: after
    `mujun prepare` it is partial too, so nothing is asserted about it.)"""
    logs = sorted((broken["data"] / "logs").glob("run-*.log"))
    assert len(logs) == 2, logs
    assert (broken["data"] / "dbt" / "target" / "partial_parse.msgpack").is_file()
    second = logs[1].read_text(encoding="utf-8", errors="replace")
    assert "dbt command:" in second                                  # the build ran and logged here
    assert "Unable to do partial parsing" not in second, [ln for ln in second.splitlines() if "partial" in ln]


# ------------------------------------------------------------------ gate logic on small real files
def _small_warehouse(path: Path, tax_rejected: int = 0) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    ddl.ensure_schemas(con)
    con.execute("create schema if not exists reference")
    con.execute(f"""create or replace table reference.publication_gates as
        select * from read_csv('{REPO / "seeds/policy/publication_gates.csv"}')""")
    con.execute("create schema if not exists audit")
    con.execute("""create or replace table audit.publication_gate_measures as
        select 2021 as year, 100 as graded_subjects, 50.0 as counted_area_mu, 10.0 as counted_tax_wan""")
    for feed in G.REQUIRED_FEEDS:
        rejected = tax_rejected if feed == "tax_payments" else 0
        con.execute("insert into quarantine.delivery_ledger values (?, 2021, ?, ?, ?, 'loaded', 100, ?, ?, '', now())",
                    [f"d-{feed}-{uuid.uuid4().hex[:8]}", feed, f"2021/{feed}.csv", f"sha-{feed}-{rejected}", 100 - rejected, rejected])
    for n in range(tax_rejected):
        con.execute("insert into quarantine.rejected_rows values ('d', 2021, 'tax_payments', '2021/tax_payments.csv', "
                    "?, 'unknown_code', 'tax_code = \"增值税\": not a 5-digit collection item code', '{}')", [n + 1])
    return con


def test_a_missing_required_feed_fails_feed_delivered(tmp_path):
    con = _small_warehouse(tmp_path / "wh.duckdb")
    (tmp_path / "feeds" / "2021").mkdir(parents=True)
    for feed in G.REQUIRED_FEEDS:
        if feed != "land_parcels":
            (tmp_path / "feeds" / "2021" / f"{feed}.csv").write_text("x\n")
    judged = {g.name: g for g in G.evaluate(con, tmp_path / "feeds")}
    bad = judged["feed_delivered.land_parcels:2021"]
    assert bad.status == "failed" and "required feed missing" in bad.message and "still holds" in bad.message
    assert G.failed(list(judged.values())) == [bad]


def test_an_acceptance_holds_for_the_same_evidence_only(tmp_path):
    con = _small_warehouse(tmp_path / "wh.duckdb", tax_rejected=40)
    gates = G.evaluate(con)
    share = next(g for g in gates if g.name == "reject_share.tax_payments:2021")
    assert share.status == "failed" and "40.0 % of 100 rows rejected (threshold 1.0 %" in share.message
    assert 'unknown_code 40 (tax_code = "增值税"' in share.message
    req = G.parse_acceptance("reject_share.tax_payments:2021", "known: bureau exports names")
    accepted, _ = G.apply_acceptances(con, gates, [req])
    assert not G.failed(accepted)
    again, _ = G.apply_acceptances(con, G.evaluate(con), [])              # same data, no flag: still accepted
    assert not G.failed(again)
    con.close()
    con = _small_warehouse(tmp_path / "wh.duckdb", tax_rejected=30)      # a new delivery is judged again
    renewed, _ = G.apply_acceptances(con, G.evaluate(con), [])
    assert [g.name for g in G.failed(renewed)] == ["reject_share.tax_payments:2021"]


def test_a_failed_gate_alone_blocks_publish(tmp_path):
    con = _small_warehouse(tmp_path / "wh.duckdb", tax_rejected=2)
    con.execute("create or replace table audit.suite_results as select 's' as suite, true as critical, true as success")
    G.write(con, G.evaluate(con))
    pub = tmp_path / "pub.duckdb"
    with pytest.raises(PublicationBlocked, match="reject_share.tax_payments:2021"):
        publish(con, pub)
    assert not pub.exists()


@pytest.mark.parametrize("text, words", [
    ("reject_share.tax_paymnts:2021", "no gate 'reject_share.tax_paymnts'"),
    ("reject_share.tax_payments", "GATE:YEAR"),
    ("audit_suites:2021", "cannot be accepted"),
])
def test_the_cli_refuses_an_acceptance_that_names_no_gate(text, words, tmp_path):
    proc = subprocess.run([str(BIN / "mujun"), "run", "--data-dir", str(tmp_path), "--accept-gate", text,
                           "--reason", "x"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and words in proc.stderr, proc.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()
