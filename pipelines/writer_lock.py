"""One writer at a time: a lock file beside the working warehouse, held for a whole run.

DuckDB lets one process open a file for writing; a second one fails with "Conflicting lock is held". Every writer
of the working warehouse (a Dagster run, `make refresh`) takes this lock first, so a second writer waits its turn
or is told plainly who holds it, instead of failing halfway through a run with DuckDB's error.

The lock is `flock` on `<working file>.writer.lock`: the kernel releases it when the holder exits or is killed, so a
crashed run never leaves a stale lock. Who holds it (PID, what, since when) is written into the file for the
message. Within one thread the lock is re-entrant, so a run that holds it can open as many transactions as it
likes.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

POLL_SECONDS = 0.5
WAIT_MESSAGE_EVERY_SECONDS = 60.0


class WarehouseBusy(RuntimeError):
    """Another process is writing the warehouse and did not finish within the wait allowed."""


@dataclass(frozen=True)
class Holder:
    pid: int
    what: str
    started: str

    def describe(self) -> str:
        return f"PID {self.pid}, {self.what}, started {self.started}"


def lock_path_for(work_path: Path) -> Path:
    return work_path.with_name(work_path.name + ".writer.lock")


def read_holder(lock_path: Path) -> Holder | None:
    try:
        data = json.loads(lock_path.read_text() or "{}")
        return Holder(int(data["pid"]), str(data["what"]), str(data["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def busy_message(work_path: Path, holder: Holder | None) -> str:
    who = holder.describe() if holder else "holder unknown"
    return f"another refresh ({who}) is writing the warehouse {work_path}"


# (lock path, thread id) -> [fd, depth] for the locks this process's threads hold. Re-entry is per thread: another
# thread opens its own descriptor, and flock makes it wait like another process would.
_held: dict[tuple[Path, int], list[int]] = {}
_guard = threading.Lock()


def _forget_inherited_locks() -> None:
    """A forked child shares its parent's descriptors: it must never unlock them, so it forgets them."""
    _held.clear()


os.register_at_fork(after_in_child=_forget_inherited_locks)


@contextmanager
def writer_lock(
    work_path: Path,
    what: str,
    *,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the writer lock of `work_path` for the block; wait up to `wait_seconds` for another holder.

    Raises WarehouseBusy (naming the holder) when the wait runs out. `on_wait` is told once when waiting starts
    and then about once a minute."""
    key = (lock_path_for(work_path), threading.get_ident())
    with _guard:
        reentered = key in _held
        if reentered:
            _held[key][1] += 1
    if not reentered:
        fd = _acquire(work_path, key[0], what, wait_seconds, on_wait)
        with _guard:
            _held[key] = [fd, 1]
    try:
        yield
    finally:
        _release(key)


def _acquire(
    work_path: Path, lock_path: Path, what: str, wait_seconds: float, on_wait: Callable[[str], None] | None
) -> int:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    next_message = 0.0
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            message = busy_message(work_path, read_holder(lock_path))
            now = time.monotonic()
            if now >= deadline:
                os.close(fd)
                raise WarehouseBusy(message) from None
            if on_wait is not None and now >= next_message:
                on_wait(f"waiting: {message}; this one starts when it ends")
                next_message = now + WAIT_MESSAGE_EVERY_SECONDS
            time.sleep(min(POLL_SECONDS, max(deadline - now, 0.0)))
    record = {"pid": os.getpid(), "what": what, "started": datetime.now().isoformat(sep=" ", timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)
    return fd


def _release(key: tuple[Path, int]) -> None:
    with _guard:
        entry = _held[key]
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _held[key]
    fd = entry[0]
    try:
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def holds_lock(work_path: Path) -> bool:
    """Whether this thread holds the writer lock of `work_path`."""
    with _guard:
        return (lock_path_for(work_path), threading.get_ident()) in _held
