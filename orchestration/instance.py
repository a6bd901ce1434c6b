"""The Dagster instance used by `mujun run` and `mujun dev` (DAGSTER_HOME under the data dir).

The dagster.yaml limits the `duckdb_writer` pool (and every other pool) to one op at a time and
runs to one at a time: DuckDB allows a single writing process per file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from orchestration import settings

DAGSTER_YAML = """\
# Written by mujun (orchestration/instance.py). DuckDB has one writer: one op per pool, one run.
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 1
telemetry:
  enabled: false
# Dagster's SQLite event log in the same files, one SQLAlchemy engine per file (orchestration/event_log_storage.py)
event_log_storage:
  module: orchestration.event_log_storage
  class: ReusedEngineSqliteEventLogStorage
  config:
    base_dir: {event_log_dir}
"""


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME", settings.data_dir() / "dagster_home")).resolve()


def ensure_dagster_home() -> Path:
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    cfg = home / "dagster.yaml"
    # the event log's folder is written out: a moved data dir gets its yaml rewritten by the next run
    text = DAGSTER_YAML.format(event_log_dir=json.dumps(str(home / "history" / "runs")))
    if not cfg.exists() or cfg.read_text() != text:
        cfg.write_text(text)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
