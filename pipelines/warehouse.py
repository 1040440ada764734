"""The DuckDB warehouse: a private working file the pipeline writes, and a published copy everyone else reads.

Every asset writes inside one transaction, so a failed or killed step leaves the working file as it was.
A successful run ends by publishing: the working file is checkpointed and renamed over the published file (atomic
on POSIX), and the file it replaced becomes the next working file, which the next run first brings up to date
(pipelines/warehouse_sync.py). A file with many free blocks (a first full load) is published as a compact copy
instead. Readers (the dashboard, users' SQL) only ever open the published file, read-only, so they never hold the
pipeline's lock and never see a half-written run.

Both files are written in DuckDB's storage format of STORAGE_VERSION, so that clients older than the writer (the
DuckDB CLI on PyPI, a colleague's notebook) can open what is published.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines import contract
from pipelines.warehouse_sync import (
    catch_up,
    copy_atomically,
    copy_published,
    is_behind,
    is_lock_error,
    recover_next,
    sql_string,
    stamp_generation,
    swap_into_place,
)

# The oldest DuckDB release that opens the published file: 1.4 (the long-term-support line) and newer.
STORAGE_VERSION = "v1.4.0"
# A file whose free blocks are more than this share of its blocks, and more than COMPACT_MIN_FREE_BYTES, is published
# as a compact copy.
COMPACT_ABOVE_FREE_SHARE = 0.10
COMPACT_MIN_FREE_BYTES = 64 * 2**20
# Errors DuckDB raises for a file that is damaged, as opposed to busy or missing.
_CORRUPTION_MARKERS = (
    "not a valid DuckDB database file",
    "Corrupt database file",
    "Could not read enough bytes",
    "checksum",
)


class WarehouseCorrupt(RuntimeError):
    """The working file cannot be read and there is no published copy to rebuild it from."""


def connect(path: Path, *, read_only: bool = False, memory_limit: str = "4GB") -> duckdb.DuckDBPyConnection:
    config = {}
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        config["storage_compatibility_version"] = STORAGE_VERSION  # used when the file is created
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET preserve_insertion_order = false")
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    # snapshot_files keyed by absolute path (before files were known by name and content): each file is read once
    # more, and upserts leave its unchanged records as they are.
    drop_if_older(con, "snapshot_files", "seen_in_load")
    con.execute(contract.ddl(*contract.names("ingest")))


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """Column names of a table of the open database ({} when it does not exist)."""
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND database_name = current_database() "
        "AND schema_name = 'main'",
        [table],
    ).fetchall()
    return {r[0] for r in rows}


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the open database has `table` (in its main schema)."""
    return bool(table_columns(con, table))


def drop_if_older(con: duckdb.DuckDBPyConnection, table: str, newest_column: str) -> bool:
    """Drop `table` when it exists without `newest_column` (made by an older release); its step rebuilds it."""
    columns = table_columns(con, table)
    if columns and newest_column not in columns:
        con.execute(f'DROP TABLE "{table}"')
        return True
    return False


def storage_version(con: duckdb.DuckDBPyConnection) -> str:
    """The storage format a database file was created in, such as 'v1.4.0+'."""
    tags = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    return tags.get("storage_version", "")


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
    """Replace a table outside the contract (the private people file's) with a Polars frame, as it comes."""
    _run_with_frame(con, frame, f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _frame')
    return frame.height


def _run_with_frame(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, sql: str) -> None:
    """Run `sql`, which reads `frame` as `_frame`."""
    con.register("_frame", frame)
    try:
        con.execute(sql)
    finally:
        con.unregister("_frame")


def _tmp_glob(published_path: Path) -> str:
    return f".{published_path.name}.*.tmp"


def remove_stale_files(published_path: Path, work_path: Path) -> list[Path]:
    """Half-written copies left by a publish or a storage rewrite that was killed. Call only while holding the
    writer lock (no publish or rewrite is under way then)."""
    stale = sorted(published_path.parent.glob(_tmp_glob(published_path)))
    stale += sorted(work_path.parent.glob(f".{work_path.name}.*.migrate"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _is_corruption(exc: BaseException) -> bool:
    """DuckDB's error says the file is damaged (never a busy file; paths in the message are not read)."""
    if not isinstance(exc, duckdb.Error):
        return False
    message = re.sub(r'"[^"]*"', '""', str(exc))  # a path may contain any of the markers
    if "lock" in message.lower():
        return False
    return any(m in message for m in _CORRUPTION_MARKERS)


def _set_aside(path: Path) -> Path:
    aside = path.with_name(f"{path.name}.corrupt-{datetime.now():%Y%m%dT%H%M%S}")
    path.rename(aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.rename(aside.with_name(aside.name + ".wal"))
    return aside


def _rewrite_in_storage_version(path: Path, log: Callable[[str], None]) -> None:
    """Copy a file written in a newer storage format into STORAGE_VERSION's, and put it in its place."""
    _rewrite_compactly(path)
    log(f"warehouse: rewrote {path} in DuckDB's {STORAGE_VERSION} storage format, so older clients can open it")


def _rewrite_compactly(path: Path, memory_limit: str = "4GB") -> None:
    """Rewrite a file in STORAGE_VERSION's format without free blocks, and put it in its place (a half-written
    copy is a `.migrate` file, removed at the next start)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.migrate")
    copy_database(path, tmp, memory_limit)
    os.replace(tmp, path)


def copy_database(source: Path, target: Path, memory_limit: str = "4GB") -> None:
    """Write every object of `source` into the new file `target`, compactly, in STORAGE_VERSION's format (a
    half-written `target` is removed)."""
    con = duckdb.connect(config={"memory_limit": memory_limit})
    try:
        con.execute(f"ATTACH {sql_string(str(source))} AS old (READ_ONLY)")
        con.execute(f"ATTACH {sql_string(str(target))} AS new (STORAGE_VERSION '{STORAGE_VERSION}')")
        con.execute("COPY FROM DATABASE old TO new")
        con.execute("DETACH new")
        con.execute("DETACH old")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        con.close()


def prepare_work_file(work_path: Path, published_path: Path, log: Callable[[str], None] = print) -> None:
    """Make the working file ready for a run. Call only while holding the writer lock.

    Removes half-written copies of a killed publish or rewrite and finishes a killed swap; sets aside a working
    file DuckDB cannot read and rebuilds it from the published copy; rewrites a file created in a newer storage
    format than STORAGE_VERSION; brings a working file one publish behind up to date from the published file."""
    for stale in remove_stale_files(published_path, work_path):
        log(f"warehouse: removed {stale}, left half-written by an interrupted run")
    recover_next(work_path, log)
    if not work_path.exists():
        return
    try:
        version = _open_and_read_version(work_path)
    except duckdb.Error as exc:
        if is_lock_error(exc) and published_path.exists() and is_behind(work_path, published_path):
            copy_published(work_path, published_path)
            log(
                f"warehouse: the working file {work_path} (the previous published file) is still open in a reader "
                f"({exc}); copied the published file to it instead of bringing it up to date"
            )
            return
        if not _is_corruption(exc):
            raise
        aside = _set_aside(work_path)
        if not published_path.exists():
            raise WarehouseCorrupt(
                f"the working warehouse {work_path} cannot be read ({exc}); it was moved to {aside}. There is no "
                f"published copy at {published_path} to rebuild it from: run the refresh again to rebuild it "
                "from the sources."
            ) from exc
        shutil.copyfile(published_path, work_path)
        log(
            f"warehouse: the working file could not be read ({exc}); moved it to {aside} and rebuilt it from the "
            f"published {published_path}. Records loaded since that publish are read again by this run."
        )
        version = _open_and_read_version(work_path)
    if _version_tuple(version) > _version_tuple(STORAGE_VERSION):
        _rewrite_in_storage_version(work_path, log)
    catch_up(work_path, published_path, lambda path: connect(path, memory_limit="2GB"), log)


def _open_and_read_version(path: Path) -> str:
    con = connect(path, memory_limit="1GB")
    try:
        ensure_schema(con)
        return storage_version(con)
    finally:
        con.close()


def _version_tuple(version: str) -> tuple[int, ...]:
    """'v1.4.0+' -> (1, 4, 0); an unreadable tag sorts first, so it is never rewritten by mistake."""
    try:
        return tuple(int(part) for part in version.strip("v+").split("."))
    except ValueError:
        return ()


def publish(
    work_path: Path, published_path: Path, log: Callable[[str], None] = print, memory_limit: str = "4GB"
) -> Path:
    """Put the working file in the published one's place atomically. Readers keep the old file until they reopen.

    The working file is stamped with the next generation and checkpointed. With more than COMPACT_ABOVE_FREE_SHARE
    of its blocks free (and more than COMPACT_MIN_FREE_BYTES) it is first rewritten compactly (a first full load
    leaves gigabytes free). Then it is renamed over the published file, which becomes the next working file
    (warehouse_sync.swap_into_place), or copied where that is impossible (nothing published yet, another file
    system)."""
    con = connect(work_path, memory_limit=memory_limit)
    try:
        ensure_schema(con)
        con.execute("BEGIN TRANSACTION")
        generation = stamp_generation(con)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        total, free, block_size = con.execute(
            "SELECT total_blocks, free_blocks, block_size FROM pragma_database_size()"
        ).fetchall()[0]
    finally:
        con.close()
    how = ""
    if total and free / total > COMPACT_ABOVE_FREE_SHARE and free * block_size > COMPACT_MIN_FREE_BYTES:
        _rewrite_compactly(work_path, memory_limit)
        how = f"compacted ({free:,} of {total:,} blocks were free), then "
    published_path.parent.mkdir(parents=True, exist_ok=True)
    if swap_into_place(work_path, published_path):
        how += "renamed into place; the file it replaced is the next working file"
    else:
        copy_atomically(work_path, published_path, ".tmp")
        how += "copied"
    log(f"warehouse: published generation {generation} as {how}")
    return published_path


def input_fingerprint(con: duckdb.DuckDBPyConnection, columns: dict[str, str]) -> tuple:
    """Row count and latest change time of each table (name -> its change-time column; absent tables count as
    empty): equal fingerprints mean the pipeline has not written the tables in between."""
    parts = []
    for table, changed in sorted(columns.items()):
        if table_exists(con, table):
            parts.append((table, *con.execute(f'SELECT count(*), max("{changed}") FROM "{table}"').fetchall()[0]))
        else:
            parts.append((table, 0, None))
    return tuple(parts)


def record_row_count(con: duckdb.DuckDBPyConnection, table: str, run_id: str, n_rows: int) -> None:
    """Append a table's row count for this run to `table_row_counts` (the row-count checks compare runs)."""
    con.execute(contract.ddl("table_row_counts"))
    con.execute("INSERT INTO table_row_counts VALUES (?, ?, ?, ?)", [table, run_id, n_rows, datetime.now()])


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, run_id: str) -> int:
    """Replace the public `table` with `frame` cast to its contract, and log its row count, inside the caller's
    transaction. A frame whose columns differ from the contract's is refused (contract.ContractMismatch)."""
    frame = contract.conform(table, frame)
    con.execute(contract.table(table).ddl(replace=True))
    n_rows = append_rows(con, table, frame)
    record_row_count(con, table, run_id, n_rows)
    return n_rows


def append_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Insert `frame` cast to the public `table`'s contract (refused when its columns differ), inside the caller's
    transaction. Incremental tables delete the rows they replace first."""
    _run_with_frame(con, contract.conform(table, frame), f'INSERT INTO "{table}" SELECT * FROM _frame')
    return frame.height
