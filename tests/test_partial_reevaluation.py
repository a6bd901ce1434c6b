"""A re-delivered feed re-evaluates only what depends on it (orchestration/partial_evaluation.py).

All real: a copy of the session's county run (tests/conftest.py `county_run`), one enterprise's 2021
tax payments re-delivered ×10, `mujun run` again. The tests read that one partial run: its progress
line, the dbt command and node log in its run log, the published marts before and after; the slow
one compares the partial publication with a whole `dbt build` on the same warehouse.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from fixtures_feeds import redeliver_tax_payments  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MUJUN = str(Path(sys.executable).parent / "mujun")
LINE = re.compile(r"tax_payments 2021 re-delivered: re-evaluating (\d+) of (\d+) dbt nodes, audit, publication")
# A staging model of another feed (energy_monthly): nothing of it reads tax_payments.
UNRELATED = "staging.stg_power__electricity_monthly"
TAX_STAGING = "staging.stg_tax__payments"


def mujun(data: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(data / "dagster_home")}
    for k in ("MUJUN_DATA_DIR", "MUJUN_WAREHOUSE", "MUJUN_FEEDS", "MUJUN_PUBLISHED", "MUJUN_REPORTS"):
        env.pop(k, None)
    return subprocess.run([MUJUN, "run", "--data-dir", str(data), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=1500)


def table(path: Path, name: str, drop: tuple[str, ...] = ("publication_stage",)):
    """A marts table as a DataFrame sorted on every column (compare with .equals: NaN == NaN);
    list columns as text, the publication's stage column left out."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns = [(c, t) for c, t, *_ in con.execute(f"describe {name}").fetchall() if c not in drop]
        select = ", ".join(f'cast("{c}" as varchar) as "{c}"' if t.endswith("]") else f'"{c}"' for c, t in columns)
        return con.execute(f"select {select} from {name} order by all").fetchdf()


def _low_graded_taxpayer(published: Path) -> str:
    """A 2021 enterprise graded D that pays tax: ×10 its tax moves its score and grade."""
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("select subject_id from marts.subject_evaluation where year = 2021 and grade = 'D' "
                           "and tax_wan > 0 and subject_kind = 'enterprise' order by tax_wan desc, subject_id "
                           "limit 1").fetchone()[0]




@pytest.fixture(scope="module")
def partial(county_run, tmp_path_factory) -> dict:
    assert county_run["returncode"] == 0, county_run["stdout"][-3000:] + county_run["stderr"][-3000:]
    data = tmp_path_factory.mktemp("partial") / "data"
    shutil.copytree(county_run["data_dir"], data, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    published = data / "published" / "mujun.duckdb"
    before = tmp_path_factory.mktemp("before") / "mujun.duckdb"
    shutil.copy(published, before)
    target = _low_graded_taxpayer(published)
    redeliver_tax_payments(data / "feeds", 2021, target)
    logs = set((data / "logs").glob("run-*.log"))
    proc = mujun(data)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (log,) = set((data / "logs").glob("run-*.log")) - logs
    return {"data": data, "published": published, "before": before, "target": target, "stdout": proc.stdout,
            "log": log.read_text(encoding="utf-8")}


def _started(log: str) -> list[str]:
    """Relations dbt built or tested in the run ('N of M START sql view model staging.x …')."""
    return re.findall(r"^\d+ of \d+ START (.+?)\s+(?:\.+\s+)?\[RUN\]", log, re.M)


def test_one_line_says_what_is_re_evaluated_and_dbt_runs_exactly_that_many_nodes(partial):
    m = LINE.search(partial["stdout"])
    assert m, partial["stdout"][-3000:]
    nodes, total = int(m[1]), int(m[2])
    assert 0 < nodes < total
    log = partial["log"]
    # dagster-dbt turned the asset selection into a --select of the dbt nodes
    (command,) = re.findall(r"^dbt command: (.*)$", log, re.M)
    assert " build " in command and "--select" in command
    # dbt's own count of the nodes it ran is the one announced
    assert set(re.findall(r"^\d+ of (\d+) START (?!hook)", log, re.M)) == {str(nodes)}
    assert "publish:" in partial["stdout"] and "audit: seed" in partial["stdout"]
    # a progress line while dbt builds, counted against dbt's total
    assert re.search(rf"dbt build: \d+/{nodes} nodes, \d+ s", partial["stdout"]), partial["stdout"][-3000:]


def test_only_what_reads_the_feed_is_rebuilt(partial):
    started = " ".join(_started(partial["log"]))
    assert f"model {TAX_STAGING}" in started
    assert f"model {UNRELATED}" not in started, "another feed's staging model was rebuilt"
    assert "seed file" not in started, "seeds were reloaded"
    assert "model marts.subject_evaluation" in started


def test_the_partial_publication_changes_exactly_the_re_delivered_subject_tax(partial):
    old = table(partial["before"], "marts.subject_evaluation").set_index(["year", "subject_id"]).sort_index()
    new = table(partial["published"], "marts.subject_evaluation").set_index(["year", "subject_id"]).sort_index()
    assert old.index.equals(new.index)
    assert old.loc[2020].equals(new.loc[2020]), "2020 was not re-delivered"
    a, b = old.loc[2021, "tax_wan"], new.loc[2021, "tax_wan"]
    assert set(a.index[a.fillna(-1) != b.fillna(-1)]) == {partial["target"]}
    target = partial["target"]
    assert new.loc[(2021, target), "total_score"] > old.loc[(2021, target), "total_score"]
    assert old.loc[(2021, target), "grade"] == "D" and new.loc[(2021, target), "grade"] != "D"


@pytest.mark.slow   # one more --only audit run (~20 s) to keep make test under 10 minutes
def test_a_later_step_run_makes_the_next_run_evaluate_everything(partial, tmp_path):
    """After the partial publication a subset is allowed; after an --only audit run it is not."""
    from orchestration import definitions, partial_evaluation

    data = tmp_path / "data"
    shutil.copytree(partial["data"], data, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    changed = {(2021, "tax_payments")}

    def plan():
        with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
            return partial_evaluation.plan(instance, definitions.defs, changed, False,
                                           data / "warehouse.duckdb", skip_seed_tests=True)

    assert plan().selection is not None
    proc = mujun(data, "--only", "audit")       # a run of the evaluate job that did not publish
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    whole = plan()
    assert whole.selection is None and "evaluated after the last publication" in whole.reason


@pytest.mark.slow   # one more --only ingest run, for the 10-minute budget of make test
def test_an_only_ingest_delivery_since_the_publication_is_re_evaluated(partial, tmp_path):
    """The feed versions recorded at the publication, not this run's loads, say what changed."""
    from orchestration import definitions, partial_evaluation

    data = tmp_path / "data"
    shutil.copytree(partial["data"], data, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    path = data / "feeds" / "2020" / "energy_monthly.csv"
    header, first, *rest = path.read_text(encoding="utf-8").splitlines()
    uscc, month, kwh = first.split(",")
    path.write_text("\n".join([header, f"{uscc},{month},{int(kwh) + 1}", *rest]) + "\n", encoding="utf-8")
    proc = mujun(data, "--only", "ingest", "--feed", "energy_monthly", "--years", "2020")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with dg.DagsterInstance.from_config(str(data / "dagster_home")) as instance:
        p = partial_evaluation.plan(instance, definitions.defs, set(), False, data / "warehouse.duckdb",
                                    skip_seed_tests=True)
    assert p.changed == [(2020, "energy_monthly")]
    assert p.selection is not None and dg.AssetKey(["staging", "stg_power__electricity_monthly"]) in p.selection
    assert dg.AssetKey(["staging", "stg_tax__payments"]) not in p.selection


@pytest.mark.slow
def test_the_partial_publication_equals_a_whole_evaluation_of_the_same_inputs(partial, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(partial["data"], data, ignore=shutil.ignore_patterns("*.lock", "tmp"))
    proc = mujun(data, "--only", "evaluate")     # every dbt node, on the same raw tables
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with duckdb.connect(str(partial["published"]), read_only=True) as con:
        marts = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'marts' order by 1").fetchall()]
    assert "subject_evaluation" in marts and "leaderboard_enterprises" in marts
    for name in marts:
        assert table(partial["published"], f"marts.{name}").equals(table(data / "warehouse.duckdb", f"marts.{name}")), name
