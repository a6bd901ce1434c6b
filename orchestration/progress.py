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


def say(message: str, stream=None) -> None:
    """`stream`: the terminal, when sys.stdout is redirected meanwhile (dbt's node log, dbt.py)."""
    if os.environ.get("MUJUN_PROGRESS") == "1":
        line = f"[{time.monotonic() - _T0:7.1f}s] {message}"
        print(line, file=stream or sys.stdout, flush=True)
        log_lines([line])


def report(context, message: str) -> None:
    """A line for the terminal (say) that also lands in the Dagster event log."""
    context.log.info(message)
    say(message)


class Ticker:
    """Progress lines for a long step: one when another `share` of the work is done or `seconds`
    passed since the last line, whichever comes first ("dbt build: 220/547 nodes, 41 s")."""

    def __init__(self, label: str, share: float = 0.1, seconds: float = 15.0, stream=None):
        self.label, self.share, self.seconds, self.stream = label, share, seconds, stream
        self._t0 = self._last = time.monotonic()
        self._step = 0

    def update(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        step = int(done / total / self.share) if total else 0
        # a new tenth, unless a line came just now (the 15 s one); or 15 s without a line
        if done and ((total and step > self._step and done < total and now - self._last >= self.seconds / 3)
                     or now - self._last >= self.seconds):
            of = f"/{total}" if total else ""
            say(f"{self.label}: {done}{of} nodes, {now - self._t0:.0f} s", self.stream)
            self._last, self._step = now, step
