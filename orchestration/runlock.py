"""One `mujun run` at a time per data dir: an flock on <data_dir>/.mujun-run.lock.

The kernel releases an flock when its holder dies (SIGKILL included), so a lock that can be taken
is never stale and a lock that cannot be taken belongs to a live run: there is no PID guessing.
The file also records who holds it (PID, start time, command) so that a refused run can say
which run is in its way. The file is never deleted: unlinking a lock file lets a third process
lock a fresh inode while a second still waits on the old one.

The descriptor is opened close-on-exec (Python's default), so dbt and other children do not
inherit the lock and cannot keep a dead run's data dir locked.
"""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

LOCK_NAME = ".mujun-run.lock"


class RunInProgress(RuntimeError):
    """Another live `mujun run` holds the data dir."""


@dataclass
class RunLock:
    path: Path
    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = -1


def lock_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOCK_NAME


def holder(data_dir: Path) -> str:
    """Who holds (or last held) the lock, as a person reads it."""
    try:
        fields = dict(line.split("=", 1) for line in lock_path(data_dir).read_text().splitlines() if "=" in line)
    except OSError:
        fields = {}
    if not fields.get("pid"):
        return "a run whose details are not written yet"
    return f"PID {fields['pid']}, started {fields.get('started', '?')}: {fields.get('command', '?')}"


def acquire(data_dir: Path, *, wait: bool = False, say=print) -> RunLock:
    """Take the data dir's run lock; refuse at once (RunInProgress) or, with wait, queue for it."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = lock_path(data_dir)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise RunInProgress(
                    f"another `mujun run` is in progress on {data_dir} ({holder(data_dir)}). "
                    f"Wait for it to finish, or pass --wait to start when it does.") from None
            say(f"waiting for the run in progress on {data_dir} ({holder(data_dir)})")
            t0 = time.monotonic()
            fcntl.flock(fd, fcntl.LOCK_EX)
            say(f"the previous run finished after {time.monotonic() - t0:.0f}s of waiting; starting")
        os.ftruncate(fd, 0)
        command = shlex.join(["mujun", *sys.argv[1:]])
        started = dt.datetime.now().isoformat(timespec="seconds")
        os.pwrite(fd, f"pid={os.getpid()}\nstarted={started}\ncommand={command}\n".encode(), 0)
        return RunLock(path, fd)
    except BaseException:
        os.close(fd)
        raise
