"""Dagster resources: the warehouse, and the arXiv sources (live API client, or the bulk snapshot)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines import settings, warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The working DuckDB file the pipeline writes, and where successful runs publish it."""

    work_path: str
    published_path: str
    memory_limit: str = "4GB"

    @classmethod
    def from_settings(cls) -> WarehouseResource:
        return cls(
            work_path=str(settings.work_warehouse_path()),
            published_path=str(settings.warehouse_path()),
            memory_limit=settings.duckdb_memory_limit(),
        )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.transaction(Path(self.work_path), memory_limit=self.memory_limit) as con:
            yield con

    def read(self, sql: str, params: list | None = None) -> pl.DataFrame:
        with self.transaction() as con:
            return con.sql(sql, params=params).pl() if params else con.sql(sql).pl()

    def publish(self) -> Path:
        return warehouse.publish(Path(self.work_path), Path(self.published_path))


class SnapshotResource(dg.ConfigurableResource):
    """A bulk JSON-lines snapshot in the field names of arXiv's metadata snapshot: a file or a folder."""

    path: str

    @classmethod
    def from_settings(cls) -> SnapshotResource:
        return cls(path=str(settings.snapshot_path()))
