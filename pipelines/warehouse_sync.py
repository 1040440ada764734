"""Two full warehouse files that alternate, so that publishing a run never copies the whole warehouse.

Publishing renames the working file over the published one (atomic; a reader holding the old file keeps it) and
the file it replaced becomes the next working file, one publish behind. At its start the next run brings that file
up to date from the published one (`catch_up`): small tables are copied whole, the large per-paper tables only in
the rows written since (KEYED_TABLES), in one transaction, then checked against the published file row for row
(count and a checksum of key and change time). Anything it cannot bring up to date that way (a reader still holds
the file, an object it does not copy, a check that differs) is copied whole from the published file instead, as
the log then says.

Every publish stamps the file with the next generation (table warehouse_generation): a working file of a lower
generation than the published one, or of none, is behind; one of the same or a higher generation (a run failed after
it was brought up to date, or its publish was killed) is current, and is used as it is.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines import contract

GENERATION_TABLE = "warehouse_generation"

# The large per-paper tables brought up to date by key: their key, and the column every writer sets to the time it
# (re)wrote a row. paper_authors has no such column: its rows are written with their paper's (`follows`).
KEYED_TABLES: dict[str, tuple[str, str | None]] = {
    "papers": ("arxiv_id", "ingested_at"),
    "paper_authors": ("arxiv_id", None),
    "paper_relevance": ("arxiv_id", "classified_at"),
    "paper_origins": ("arxiv_id", "classified_at"),
    "paper_classification": ("arxiv_id", "classified_at"),
}
FOLLOWS = {"paper_authors": "papers"}
# What identifies a row of a table without a change column, for the row-for-row check.
ROW_IDENTITY = {"paper_authors": "arxiv_id, position, name_normalized"}


@dataclass(frozen=True)
class CatchUp:
    """What catch_up did: 'current', 'synced' or 'copied', and why or how much."""

    outcome: str
    detail: str = ""


def stamp_generation(con: duckdb.DuckDBPyConnection) -> int:
    """Record the next generation in the open (working) file, inside the caller's transaction; returns it."""
    con.execute(contract.ddl(GENERATION_TABLE))
    generation = con.execute(f"SELECT coalesce(max(generation), 0) + 1 FROM {GENERATION_TABLE}").fetchall()[0][0]
    con.execute(f"INSERT INTO {GENERATION_TABLE} VALUES (?, ?)", [generation, datetime.now()])
    return int(generation)


def generation_of(con: duckdb.DuckDBPyConnection, database: str) -> int | None:
    """The latest generation stamped in an attached database (None: never published by this scheme)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' AND table_name = ?",
        [database, GENERATION_TABLE],
    ).fetchall()[0][0]
    if not exists:
        return None
    return con.execute(f'SELECT max(generation) FROM "{database}".main.{GENERATION_TABLE}').fetchall()[0][0]


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def is_lock_error(exc: BaseException) -> bool:
    """DuckDB could not open a file because another process holds its lock (a reader of the old published file)."""
    return isinstance(exc, duckdb.Error) and "lock" in str(exc).lower()


def is_behind(work_path: Path, published_path: Path) -> bool:
    """Whether the working file is of an older generation than the published one, read without writing (so it
    answers while a reader holds the working file, the previous published file); False when unknown."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {sql_string(str(work_path))} AS _work (READ_ONLY)")
        con.execute(f"ATTACH {sql_string(str(published_path))} AS _published (READ_ONLY)")
        behind, ahead = generation_of(con, "_work"), generation_of(con, "_published")
    except duckdb.Error:
        return False
    finally:
        con.close()
    return _older(behind, ahead)


def _older(mine: int | None, published: int | None) -> bool:
    """Whether a working file of generation `mine` is behind the published file. A working file without a
    generation under a published file with one is the file published before generations were stamped, renamed
    into place by the first publish that stamped one."""
    if published is None:
        return False
    return mine is None or mine < published


def swap_into_place(work_path: Path, published_path: Path) -> bool:
    """Rename the working file over the published one and keep the replaced file as the next working file.

    False (nothing moved) when there is no published file or it cannot be hard-linked beside the working file
    (another file system): the caller copies instead. Killed between the two renames, the replaced file is left
    as `.<work name>.<hex>.next`, which `recover_next` puts in place."""
    if not published_path.exists():
        return False
    link = work_path.with_name(f".{work_path.name}.{uuid.uuid4().hex}.next")
    try:
        os.link(published_path, link)
    except OSError:
        return False
    try:
        os.replace(work_path, published_path)
    except BaseException:
        link.unlink(missing_ok=True)
        raise
    os.replace(link, work_path)
    return True


def recover_next(work_path: Path, log: Callable[[str], None]) -> None:
    """Finish or undo a swap that was killed: `.next` files are the previous published file."""
    left = sorted(work_path.parent.glob(f".{work_path.name}.*.next"))
    if not left:
        return
    if not work_path.exists():
        os.replace(left.pop(), work_path)
        log(f"warehouse: put the previous published file in place as the working file {work_path}")
    for path in left:
        path.unlink(missing_ok=True)


def copy_atomically(source: Path, target: Path, suffix: str, before_replace: Callable[[], None] | None = None) -> None:
    """Copy `source` beside `target` (a hidden name ending in `suffix`) and rename it over `target`: readers see
    the old file or the whole new one. A half-written copy is removed here, or by the next start if killed."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}{suffix}")
    try:
        shutil.copyfile(source, tmp)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def copy_published(work_path: Path, published_path: Path) -> None:
    """Replace the working file with a copy of the published one (a half-written copy is removed at the next start
    with the other `.migrate` files)."""
    wal = work_path.with_name(work_path.name + ".wal")
    copy_atomically(published_path, work_path, ".migrate", before_replace=lambda: wal.unlink(missing_ok=True))


def catch_up(
    work_path: Path,
    published_path: Path,
    connect: Callable[[Path], duckdb.DuckDBPyConnection],
    log: Callable[[str], None],
) -> CatchUp:
    """Bring a working file that is behind the published one up to date. Call only while holding the writer lock."""
    if not (work_path.exists() and published_path.exists()):
        return CatchUp("current", "no file to compare")
    try:
        con = connect(work_path)
    except duckdb.Error as exc:
        if not (is_lock_error(exc) and is_behind(work_path, published_path)):
            raise
        return _copy_instead(work_path, published_path, f"a reader still holds it ({exc})", log)
    try:
        con.execute(f"ATTACH {sql_string(str(published_path))} AS _published (READ_ONLY)")
        work = con.execute("SELECT current_database()").fetchall()[0][0]
        behind, ahead = generation_of(con, work), generation_of(con, "_published")
        if not _older(behind, ahead):
            return CatchUp("current", f"generation {behind}, published {ahead}")
        reason = _cannot_sync(con)
        if not reason:
            con.execute("BEGIN TRANSACTION")
            try:
                keyed, counts = _sync(con, work)
                reason = _differences(con, work, keyed)
            except duckdb.Error as exc:  # a copy does not depend on what failed here
                reason = f"bringing it up to date failed ({exc})"
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("ROLLBACK" if reason else "COMMIT")
    finally:
        con.close()
    if reason:
        return _copy_instead(work_path, published_path, reason, log)
    detail = ", ".join(f"{table} {n:,}" for table, n in counts.items())
    log(f"warehouse: brought the working file from generation {behind} to {ahead} (rows copied: {detail})")
    return CatchUp("synced", detail)


def _copy_instead(work_path: Path, published_path: Path, reason: str, log: Callable[[str], None]) -> CatchUp:
    copy_published(work_path, published_path)
    log(f"warehouse: copied the published file to the working file {work_path} because {reason}")
    return CatchUp("copied", reason)


def _cannot_sync(con: duckdb.DuckDBPyConnection) -> str:
    """Why the published file has objects catch_up does not copy (views, macros, sequences, indexes), or ''."""
    found = con.execute(
        """SELECT 'view ' || view_name FROM duckdb_views() WHERE database_name = '_published' AND NOT internal
        UNION ALL SELECT 'macro ' || function_name FROM duckdb_functions()
            WHERE database_name = '_published' AND NOT internal AND function_type IN ('macro', 'table_macro')
        UNION ALL SELECT 'sequence ' || sequence_name FROM duckdb_sequences() WHERE database_name = '_published'
        UNION ALL SELECT 'index ' || index_name FROM duckdb_indexes() WHERE database_name = '_published'"""
    ).fetchall()
    return f"the published file has objects only a copy carries ({', '.join(r[0] for r in found)})" if found else ""


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> dict[tuple[str, str], str]:
    rows = con.execute(
        "SELECT schema_name, table_name, sql FROM duckdb_tables() WHERE database_name = ? AND NOT temporary",
        [database],
    ).fetchall()
    return {(schema, name): sql for schema, name, sql in rows}


def _sync(con: duckdb.DuckDBPyConnection, work: str) -> tuple[list[str], dict[str, int]]:
    """Make every table of the working database equal to the published one's: (tables synced by key, rows copied
    per table)."""
    mine, theirs = _tables(con, work), _tables(con, "_published")
    for schema, name in mine.keys() - theirs.keys():
        con.execute(f'DROP TABLE "{work}"."{schema}"."{name}"')
    keyed: list[str] = []
    for name in KEYED_TABLES:  # papers before paper_authors, which follows it
        same = mine.get(("main", name)) is not None and mine[("main", name)] == theirs.get(("main", name))
        if same and FOLLOWS.get(name, name) in [*keyed, name]:
            keyed.append(name)
    counts = {name: _sync_keyed(con, work, name) for name in keyed}
    for (schema, name), ddl in theirs.items():
        if schema == "main" and name in keyed:
            continue
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{work}"."{schema}"')
        con.execute(f'DROP TABLE IF EXISTS "{work}"."{schema}"."{name}"')
        con.execute(ddl)
        counts[name] = con.execute(
            f'INSERT INTO "{work}"."{schema}"."{name}" SELECT * FROM _published."{schema}"."{name}"'
        ).fetchall()[0][0]
    return keyed, counts


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]


def _sync_keyed(con: duckdb.DuckDBPyConnection, work: str, name: str) -> int:
    """Replace the rows of `name` written since the working file's copy was made; drop rows no longer published."""
    key, changed = KEYED_TABLES[name]
    mine, theirs = f'"{work}".main.{name}', f"_published.main.{name}"
    if changed is None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _changed_{name} AS FROM _changed_{FOLLOWS[name]}")
    else:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _changed_{name} AS
            SELECT {key} AS key FROM {theirs}
            WHERE {changed} > (SELECT coalesce(max({changed}), '-infinity'::TIMESTAMP) FROM {mine})"""
        )
    con.execute(f"DELETE FROM {mine} WHERE {key} IN (SELECT key FROM _changed_{name})")
    n_rows = con.execute(
        f"INSERT INTO {mine} SELECT * FROM {theirs} WHERE {key} IN (SELECT key FROM _changed_{name})"
    ).fetchall()[0][0]
    if _count(con, mine) != _count(con, theirs):  # rows deleted since (papers no longer in the sources)
        con.execute(f"DELETE FROM {mine} WHERE {key} NOT IN (SELECT {key} FROM {theirs})")
    return n_rows


def _differences(con: duckdb.DuckDBPyConnection, work: str, keyed: list[str]) -> str:
    """The tables synced by key whose rows differ from the published file's (count and checksum), or ''."""
    differ = []
    for name in keyed:
        key, changed = KEYED_TABLES[name]
        identity = ROW_IDENTITY.get(name, f"{key}, {changed}")
        sums = [
            con.execute(f"SELECT count(*), sum(hash({identity})) FROM {db}.main.{name}").fetchall()[0]
            for db in (f'"{work}"', "_published")
        ]
        if sums[0] != sums[1]:
            differ.append(name)
    return f"rows written without a later change time differ in {', '.join(differ)}" if differ else ""
