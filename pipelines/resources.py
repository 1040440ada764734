"""Dagster resources: the warehouse, and the arXiv sources (live API client, or the bulk snapshot)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import duckdb
import polars as pl
from pydantic import PrivateAttr

from pipelines import settings, warehouse
from pipelines.writer_lock import writer_lock

T = TypeVar("T")
# A run launched while another process writes the warehouse waits this long for its turn, then fails saying who.
LOCK_WAIT_SECONDS = 6 * 3600.0


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB file the pipeline writes, and where successful runs publish it.

    A run holds the warehouse's writer lock from its start to its end (pipelines/writer_lock.py), so runs launched
    by the webserver, the daemon's schedules and `make refresh` take turns instead of colliding on DuckDB's lock."""

    work_path: str
    published_path: str
    memory_limit: str = "4GB"
    lock_wait_seconds: float = LOCK_WAIT_SECONDS

    _run_lock: ExitStack | None = PrivateAttr(default=None)
    _memo: dict[tuple, Any] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_settings(cls) -> WarehouseResource:
        return cls(
            work_path=str(settings.work_warehouse_path()),
            published_path=str(settings.warehouse_path()),
            memory_limit=settings.duckdb_memory_limit(),
        )

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.dagster_run
        what = f"Dagster run {run.run_id[:8]} of {run.job_name}" if run else "a Dagster run"
        log = context.log.info if context.log else print
        stack = ExitStack()
        stack.enter_context(self.lock(what, on_wait=log))
        try:
            warehouse.prepare_work_file(Path(self.work_path), Path(self.published_path), log=log)
        except BaseException:
            stack.close()
            raise
        self._run_lock = stack

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._memo.clear()
        if self._run_lock is not None:
            self._run_lock.close()
            self._run_lock = None

    def lock(self, what: str, on_wait: Callable[[str], None] | None = None) -> AbstractContextManager[None]:
        """The writer lock; re-entrant in this process, waits up to lock_wait_seconds for another process."""
        return writer_lock(Path(self.work_path), what, wait_seconds=self.lock_wait_seconds, on_wait=on_wait)

    def memo(self, key: tuple, compute: Callable[[], T]) -> T:
        """`compute()`, or what it returned earlier in this run for the same key. The key must name the state of
        the tables it reads (see warehouse.input_fingerprint): steps of one run in one process then share a result
        (the marts' paper cells) instead of each aggregating the papers again."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.lock("pipelines"), warehouse.transaction(Path(self.work_path), memory_limit=self.memory_limit) as con:
            yield con

    def read(self, sql: str, params: list | None = None) -> pl.DataFrame:
        with self.transaction() as con:
            return con.sql(sql, params=params).pl() if params else con.sql(sql).pl()

    @property
    def people_path(self) -> Path:
        """The private file of per-person places beside the working file; never published (people_assets.py)."""
        return Path(self.work_path).with_name("people.duckdb")

    def publish(self, log: Callable[[str], None] = print) -> Path:
        with self.lock("publishing"):
            return warehouse.publish(
                Path(self.work_path), Path(self.published_path), log=log, memory_limit=self.memory_limit
            )


class SnapshotResource(dg.ConfigurableResource):
    """A bulk JSON-lines snapshot in the field names of arXiv's metadata snapshot: a file or a folder."""

    path: str

    @classmethod
    def from_settings(cls) -> SnapshotResource:
        return cls(path=str(settings.snapshot_path()))
