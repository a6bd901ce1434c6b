"""Crash safety with real processes: SIGKILLed runs, two runs at once, an analyst holding the warehouse.

Every run here is a real `mujun run` subprocess (Dagster, dbt, GX, DuckDB) on the county sample
(2021 only), started in its own process group so that SIGKILL takes Dagster's and dbt's children
too, exactly like `kill -9` of a terminal's job. A run that hangs fails the test by its timeout.

Cost (2 cores, idle): a whole run ≈ 2.5 min. CI runs one kill stage (ingest); the other stages
(dbt, audit, publish) are marked slow.
"""
from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# A whole run takes ~150 s on an idle machine, ~400 s on a loaded one; a wedged run never ends.
RUN_TIMEOUT = float(os.environ.get("MUJUN_TEST_RUN_TIMEOUT", "900"))


def _env() -> dict:
    env = dict(os.environ)
    for k in ("MUJUN_DATA_DIR", "MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS",
              "MUJUN_INGEST_TMP", "DAGSTER_HOME", "TMPDIR"):
        env.pop(k, None)
    return env


class Run:
    """A `mujun run` subprocess in its own process group, its output collected line by line."""

    def __init__(self, data_dir: Path, feeds: Path, *extra: str):
        self.data_dir = data_dir
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [str(BIN / "mujun"), "run", "--data-dir", str(data_dir), "--feeds", str(feeds), "--years", "2021", *extra],
            cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def saw(self, pattern: str) -> bool:
        return any(re.search(pattern, line) for line in list(self.lines))

    def kill(self) -> None:
        """SIGKILL the whole process group (mujun, dbt and anything else it started)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)

    def wait(self, timeout: float) -> int:
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"`mujun run` did not finish within {timeout:.0f}s (wedged?); output tail:\n"
                        + "\n".join(self.lines[-30:]))
        self._reader.join(timeout=10)
        return rc

    def wait_until(self, condition, timeout: float, what: str) -> None:
        t0 = time.monotonic()
        while not condition():
            if self.proc.poll() is not None:
                self._reader.join(timeout=10)
                pytest.fail(f"the run ended (exit {self.proc.returncode}) before {what}:\n" + "\n".join(self.lines[-30:]))
            if time.monotonic() - t0 > timeout:
                self.kill()
                pytest.fail(f"no {what} within {timeout:.0f}s:\n" + "\n".join(self.lines[-30:]))
            time.sleep(0.01)


def _marts(published: Path) -> dict[str, list[tuple]]:
    """Row sets of the two headline marts: (non-float values, float values), sorted."""
    def split(row):
        floats = tuple(v for v in row if isinstance(v, float))
        rest = tuple(tuple(v) if isinstance(v, list) else v for v in row if not isinstance(v, float))
        return rest, floats

    with duckdb.connect(str(published), read_only=True) as con:
        return {t: sorted((split(row) for row in con.execute(f"select * from marts.{t}").fetchall()), key=repr)
                for t in ("subject_evaluation", "grade_summary")}


def _assert_same_marts(got: dict, want: dict) -> None:
    """Equal rows; floats equal to 1e-9 relative (summation order is another engineer's issue)."""
    for table in want:
        assert len(got[table]) == len(want[table]), table
        for (g_rest, g_floats), (w_rest, w_floats) in zip(got[table], want[table]):
            assert g_rest == w_rest, (table, g_rest, w_rest)
            assert all((math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
                       for a, b in zip(g_floats, w_floats)), (table, g_rest, g_floats, w_floats)


@pytest.fixture(scope="module")
def feeds(tmp_path_factory, dbt_manifest) -> Path:
    out = tmp_path_factory.mktemp("crash_feeds") / "feeds"
    subprocess.run([str(BIN / "mujun"), "generate", "--out", str(out), "--years", "2021"], cwd=REPO, env=_env(),
                   check=True, capture_output=True, timeout=300)
    return out


@pytest.fixture(scope="module")
def clean_marts(tmp_path_factory, feeds) -> dict:
    data = tmp_path_factory.mktemp("crash_clean")
    run = Run(data, feeds)
    assert run.wait(RUN_TIMEOUT) == 0, run.output[-4000:]
    return _marts(data / "published" / "mujun.duckdb")


def _leftovers(data: Path) -> list[Path]:
    tmp = sorted((data / "tmp").glob("*")) if (data / "tmp").is_dir() else []
    pub = sorted((data / "published").glob(".mujun.duckdb.*.tmp*")) if (data / "published").is_dir() else []
    return tmp + pub + sorted((data / "reports").rglob("*.xlsx.tmp"))


def _tmp_has(data: Path, prefix: str) -> bool:
    return (data / "tmp").is_dir() and any(p.name.startswith(prefix) for p in (data / "tmp").iterdir())


# Where to kill, read from what the run prints and writes while it works.
STAGES = {
    # the first feed of the year is loaded, seventeen are still to come
    "ingest": lambda run: run.saw(r"\] 2021 \w+: (loaded|unchanged)"),
    # dbt has built part of the marts and is still going
    "dbt": lambda run: run.saw(r"dbt: built marts\."),
    # GX validates in its work folder
    "audit": lambda run: _tmp_has(run.data_dir, "mujun-gx-"),
    # the new publication file is being written next to the published one
    "publish": lambda run: any((run.data_dir / "published").glob(".mujun.duckdb.*.tmp"))
    if (run.data_dir / "published").is_dir() else False,
}


# Each stage costs three county runs (killed, recovering, clean reference): `make test-slow`.
@pytest.mark.parametrize("stage", [
    pytest.param("ingest", marks=pytest.mark.slow),
    pytest.param("dbt", marks=pytest.mark.slow),
    pytest.param("audit", marks=pytest.mark.slow),
    pytest.param("publish", marks=pytest.mark.slow),
])
def test_a_run_killed_at_any_stage_is_recovered_by_the_next_plain_run(stage, tmp_path, feeds, request):
    data = tmp_path / "data"
    killed = Run(data, feeds)
    killed.wait_until(lambda: STAGES[stage](killed), timeout=600, what=f"{stage} stage")
    killed.kill()
    left = _leftovers(data)
    if stage in ("audit", "publish"):
        assert left, f"the {stage} kill should leave a temp file or folder behind (test premise)"

    again = Run(data, feeds)
    rc = again.wait(RUN_TIMEOUT)
    assert rc == 0, again.output[-4000:]
    assert again.saw(r"recovered from an interrupted run: marked 1 run\(s\) of a dead process failed"), \
        again.output[:3000]
    assert not [p for p in left if p.exists()], f"leftovers of the killed run remain: {left}"
    # the clean reference run only now, so that a wedged recovery fails without paying for it first
    _assert_same_marts(_marts(data / "published" / "mujun.duckdb"), request.getfixturevalue("clean_marts"))


def test_a_second_run_on_the_same_data_dir_refuses_at_once_naming_the_first(tmp_path, feeds):
    data = tmp_path / "data"
    first = Run(data, feeds)
    try:
        first.wait_until(lambda: first.saw(r"dbt manifest current"), timeout=120, what="start of the first run")
        t0 = time.monotonic()
        second = subprocess.run(
            [str(BIN / "mujun"), "run", "--data-dir", str(data), "--feeds", str(feeds), "--years", "2021"],
            cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60)
        took = time.monotonic() - t0
        assert second.returncode != 0
        assert f"another `mujun run` is in progress on {data}" in second.stderr
        assert f"PID {first.proc.pid}" in second.stderr, second.stderr
        assert "--wait" in second.stderr
        assert took < 30, f"refusal took {took:.0f}s"

        waiting = Run(data, feeds, "--wait")
        try:
            waiting.wait_until(lambda: waiting.saw(rf"waiting for the run in progress on .*PID {first.proc.pid}"),
                               timeout=60, what="the waiting message")
            time.sleep(3)
            assert waiting.proc.poll() is None, "--wait must wait, not refuse"
            assert not waiting.saw(r"ingesting"), "--wait started while the first run holds the data dir"
        finally:
            waiting.kill()
    finally:
        first.kill()


def _hold_read_only(path: Path) -> subprocess.Popen:
    """An analyst's Python session with the pipeline warehouse open read-only."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
                               f"con = duckdb.connect({str(path)!r}, read_only=True)\n"
                               "print('open', flush=True)\ntime.sleep(600)"],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "open"
    return holder


def _empty_warehouse(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    duckdb.connect(str(path)).close()


def test_an_analyst_holding_the_warehouse_makes_the_run_fail_fast_naming_pid_and_published_copy(tmp_path, feeds):
    data = tmp_path / "data"
    _empty_warehouse(data / "warehouse.duckdb")
    holder = _hold_read_only(data / "warehouse.duckdb")
    try:
        t0 = time.monotonic()
        proc = subprocess.run(
            [str(BIN / "mujun"), "run", "--data-dir", str(data), "--feeds", str(feeds), "--years", "2021"],
            cwd=REPO, env=_env(), capture_output=True, text=True, timeout=120)
        took = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode != 0
    assert f"is in use by PID {holder.pid}" in proc.stderr, proc.stderr[-3000:]
    assert f"analysts should open {data / 'published' / 'mujun.duckdb'}" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert took < 20, f"failing took {took:.0f}s"


def test_the_pipeline_holds_the_warehouse_between_steps(tmp_path, feeds):
    """While a run works, an analyst's read-only open is refused (no half-built warehouse to read)."""
    data = tmp_path / "data"
    _empty_warehouse(data / "warehouse.duckdb")   # an earlier run's warehouse, which analysts could open
    run = Run(data, feeds)
    try:
        run.wait_until(lambda: run.saw(r"dbt manifest current"), timeout=120, what="start of the run")
        probe = subprocess.run([sys.executable, "-c", "import duckdb, sys\n"
                                f"duckdb.connect({str(data / 'warehouse.duckdb')!r}, read_only=True)"],
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode != 0
        assert f"(PID {run.proc.pid})" in probe.stderr, probe.stderr
    finally:
        run.kill()


INGEST_UNDER_LOCK = """
import sys, time
import dagster as dg
from orchestration import definitions
from orchestration.cli import _step_failures
t0 = time.monotonic()
result = definitions.defs.resolve_job_def("ingest_feeds").execute_in_process(
    instance=dg.DagsterInstance.ephemeral(), partition_key="2021", raise_on_error=False,
    run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
for line in _step_failures(result, "ingest 2021"):
    print(line)
print(f"seconds={time.monotonic() - t0:.1f}")
"""


def test_a_writing_step_under_a_foreign_lock_fails_at_once_and_its_failed_line_keeps_the_reason(tmp_path, feeds):
    """Without `mujun run`'s guard (e.g. under `mujun dev`) every writer still connects once and says why."""
    wh = tmp_path / "warehouse.duckdb"
    _empty_warehouse(wh)
    holder = _hold_read_only(wh)
    try:
        env = {**_env(), "MUJUN_DATA_DIR": str(tmp_path), "MUJUN_FEEDS": str(feeds),
               "MUJUN_WAREHOUSE": str(wh), "DAGSTER_HOME": str(tmp_path / "dagster_home")}
        proc = subprocess.run([sys.executable, "-c", INGEST_UNDER_LOCK], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=240)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 0, proc.stderr[-3000:]
    failed = [line for line in proc.stdout.splitlines() if line.startswith("ingest 2021: ")]
    assert len(failed) >= 17, proc.stdout        # every feed's step (one per feed) fails
    for line in failed:
        assert f"is in use by PID {holder.pid}" in line, line
        assert f"analysts should open {tmp_path / 'published' / 'mujun.duckdb'}" in line, line
    seconds = float(re.search(r"seconds=([\d.]+)", proc.stdout)[1])
    assert seconds < 60, f"{len(failed)} steps took {seconds:.0f}s: retries?"


def test_the_empty_spill_folders_of_a_finished_run_are_not_reported_as_a_killed_runs_leftovers(tmp_path):
    """Every run creates DuckDB's spill folders under <data>/tmp in case a step spills: a finished
    run leaves them empty, and the next run must not say it recovered from an interrupted run."""
    from orchestration.recovery import remove_leftovers

    data = tmp_path / "data"
    (data / "tmp" / "duckdb" / "dbt").mkdir(parents=True)            # a finished run's
    killed = data / "tmp" / "mujun-ingest-abc"                       # a killed ingestion's copy
    killed.mkdir(parents=True)
    (killed / "tax_payments.utf8.csv").write_text("record_id\n1\n", encoding="utf-8")
    removed = remove_leftovers(data, data / "published" / "mujun.duckdb", data / "reports", [])
    assert removed == [killed]
    assert list((data / "tmp").iterdir()) == []
