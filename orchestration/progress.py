"""Progress lines for people watching a long run, and the run's full log file.

Dagster's event log is the record; `mujun run` additionally wants one short line per step on the
terminal, without Dagster's debug chatter. MUJUN_PROGRESS=1 (set by the CLI) turns that on.
MUJUN_RUN_LOG (set by the CLI) names the file that receives everything: the progress lines, dbt's
node log and the Dagster event log (<data>/logs/run-<timestamp>.log).
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterable

_T0 = time.monotonic()
RUN_LOG_ENV = "MUJUN_RUN_LOG"


@contextlib.contextmanager
def log_stream():
    """The run's log file opened for appending (None when there is none, e.g. under dagster dev)."""
    path = os.environ.get(RUN_LOG_ENV)
    if not path:
        yield None
        return
    with open(path, "a", encoding="utf-8") as f:
        yield f


def log_lines(lines: Iterable[str]) -> None:
    path = os.environ.get(RUN_LOG_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        for line in lines:
            f.write(line.rstrip("\n") + "\n")


def say(message: str) -> None:
    if os.environ.get("MUJUN_PROGRESS") == "1":
        line = f"[{time.monotonic() - _T0:7.1f}s] {message}"
        print(line, file=sys.stdout, flush=True)
        log_lines([line])


def report(context, message: str) -> None:
    """A line for the terminal (say) that also lands in the Dagster event log."""
    context.log.info(message)
    say(message)
