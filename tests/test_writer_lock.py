"""One writer at a time: the lock beside the working warehouse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from pipelines import settings
from pipelines.defs.workforce.assets import field_size_estimates
from pipelines.resources import WarehouseResource
from pipelines.writer_lock import WarehouseBusy, holds_lock, writer_lock

HOLDER = """
import sys, time
from pathlib import Path
from pipelines.writer_lock import writer_lock
with writer_lock(Path(sys.argv[1]), "a test holder"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", flush=True)
"""


def hold_in_another_process(work: Path, seconds: float) -> subprocess.Popen:
    """A process that holds the writer lock of `work` for `seconds` (it prints 'held' once it has it)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(work), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=settings.PROJECT_ROOT,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    work = tmp_path / "warehouse.duckdb"
    with writer_lock(work, "outer"):
        with writer_lock(work, "inner"):
            assert holds_lock(work)
        assert holds_lock(work)
    assert not holds_lock(work)


def test_a_second_process_is_told_who_holds_it(tmp_path: Path) -> None:
    work = tmp_path / "warehouse.duckdb"
    holder = hold_in_another_process(work, 30)
    try:
        with pytest.raises(WarehouseBusy) as caught, writer_lock(work, "me", wait_seconds=0.2):
            pass
        message = str(caught.value)
        assert f"another refresh (PID {holder.pid}, a test holder, started " in message
        assert str(work) in message
    finally:
        holder.kill()
        holder.wait()


def test_a_waiting_writer_gets_the_lock_when_the_holder_ends(tmp_path: Path) -> None:
    work = tmp_path / "warehouse.duckdb"
    holder = hold_in_another_process(work, 1.5)
    told: list[str] = []
    started = time.monotonic()
    with writer_lock(work, "me", wait_seconds=60, on_wait=told.append):
        waited = time.monotonic() - started
    holder.wait(timeout=30)
    assert waited > 0.5
    assert len(told) == 1 and told[0].startswith("waiting: another refresh (PID")


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    work = tmp_path / "warehouse.duckdb"
    holder = hold_in_another_process(work, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with writer_lock(work, "me", wait_seconds=0):
        assert holds_lock(work)


def test_a_dagster_run_waits_for_the_lock_and_fails_naming_the_holder(tmp_path: Path) -> None:
    work = tmp_path / "work" / "warehouse.duckdb"
    resource = WarehouseResource(
        work_path=str(work), published_path=str(tmp_path / "warehouse.duckdb"), lock_wait_seconds=0.5
    )
    holder = hold_in_another_process(work, 30)
    try:
        result = dg.materialize([field_size_estimates], resources={"warehouse": resource}, raise_on_error=False)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    assert not result.success
    failure = next(e for e in result.all_events if e.is_failure)
    assert f"another refresh (PID {holder.pid}, a test holder" in str(failure.event_specific_data)
    assert dg.materialize([field_size_estimates], resources={"warehouse": resource}).success


def test_another_thread_of_the_same_process_waits_its_turn(tmp_path: Path) -> None:
    work = tmp_path / "warehouse.duckdb"
    order: list[str] = []

    def second() -> None:
        with writer_lock(work, "thread", wait_seconds=30):
            order.append("second")

    with writer_lock(work, "main"):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        order.append("first done")
    thread.join(timeout=30)
    assert order == ["first done", "second"]
