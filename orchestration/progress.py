"""Progress lines for people watching a long run.

Dagster's event log is the record; `mujun run` additionally wants one short line per step on the
terminal, without Dagster's debug chatter. MUJUN_PROGRESS=1 (set by the CLI) turns that on.
"""
from __future__ import annotations

import os
import sys
import time

_T0 = time.monotonic()


def say(message: str) -> None:
    if os.environ.get("MUJUN_PROGRESS") == "1":
        print(f"[{time.monotonic() - _T0:7.1f}s] {message}", file=sys.stdout, flush=True)


def report(context, message: str) -> None:
    context.log.info(message)
    say(message)
