"""The DuckDB warehouse: a private working file the pipeline writes, and a published copy everyone else reads.

Every asset writes inside one transaction, so a failed or killed step leaves the working file as it was.
A successful run ends by publishing: the working file is checkpointed, copied beside the published file
and renamed over it (atomic on POSIX). Readers (the dashboard, users' SQL) only ever open the published file,
read-only, so they never hold the pipeline's lock and never see a half-written run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.schema import INGEST_TABLES_DDL


def connect(path: Path, *, read_only: bool = False, memory_limit: str = "4GB") -> duckdb.DuckDBPyConnection:
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(INGEST_TABLES_DDL)


@contextmanager
def transaction(path: Path, *, memory_limit: str = "4GB") -> Iterator[duckdb.DuckDBPyConnection]:
    """One write transaction on the working file: committed on success, rolled back on any error."""
    con = connect(path, memory_limit=memory_limit)
    try:
        ensure_schema(con)
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Replace a whole derived table with a Polars frame (inside the caller's transaction)."""
    con.register("_replacement", frame)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _replacement')
    finally:
        con.unregister("_replacement")
    return frame.height


def publish(work_path: Path, published_path: Path) -> Path:
    """Copy the working file over the published one atomically. Readers keep the old file until they reopen."""
    con = connect(work_path)
    try:
        ensure_schema(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    published_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = published_path.with_name(f".{published_path.name}.{uuid.uuid4().hex}.tmp")
    try:
        shutil.copyfile(work_path, tmp)
        os.replace(tmp, published_path)
    finally:
        tmp.unlink(missing_ok=True)
    return published_path
