"""Runs a command and measures it from outside: wall clock and peak resident memory of its whole process tree."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_S = 0.1


@dataclass
class Measured:
    command: list[str]
    returncode: int
    wall_s: float
    peak_rss_bytes: int  # max over time of the summed RSS of the process and its descendants (polled)
    max_rss_single_bytes: int  # the kernel's exact peak RSS of the largest single process (wait4 ru_maxrss)
    log: str
    timeline: list[tuple[float, int]]  # (epoch seconds, tree RSS bytes) at every poll
    other_cpu_cores: float  # CPU used meanwhile by everything else on the machine (incl. steal), in cores

    @property
    def peak_bytes(self) -> int:
        return max(self.peak_rss_bytes, self.max_rss_single_bytes)


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def _busy_seconds() -> float:
    """CPU seconds the whole machine has spent not idle (steal included: a shared VM's lost time)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "guest", 0.0) - getattr(t, "guest_nice", 0.0)


def run_measured(
    command: list[str],
    env: dict[str, str] | None = None,
    log: Path | None = None,
    cwd: Path | None = None,
    echo: bool = False,
) -> Measured:
    """Run `command` to completion, stdout and stderr to `log`; poll the process tree's RSS every 0.1 s."""
    log_file = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    started = time.monotonic()
    busy_before = _busy_seconds()
    try:
        child = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT if log else subprocess.DEVNULL
        )
        proc = psutil.Process(child.pid)
        timeline: list[tuple[float, int]] = []
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            timeline.append((time.time(), _tree_rss(proc)))
            time.sleep(POLL_S)
        wall = time.monotonic() - started
        busy = _busy_seconds() - busy_before
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if log:
            log_file.close()
    peak = max((rss for _, rss in timeline), default=0)
    other = max(0.0, busy - usage.ru_utime - usage.ru_stime) / wall if wall > 0 else 0.0
    measured = Measured(command, child.returncode, wall, peak, usage.ru_maxrss * 1024, str(log or ""), timeline, other)
    if echo and log:
        sys.stdout.write(Path(log).read_text())
    return measured
