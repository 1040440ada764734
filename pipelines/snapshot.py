"""Streams a bulk JSON-lines snapshot (arXiv metadata field names) into the warehouse.

Files are read in blocks of lines, never whole; each block is parsed by DuckDB (pipelines/lib/snapshot_sql.py) and
merged (pipelines/ingest.py). The caller owns the transaction: a failure anywhere leaves the warehouse unchanged.
"""

from __future__ import annotations

import gzip
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.ingest import RunRecord, apply_upsert, dedupe_staged, drop_dedup
from pipelines.lib.snapshot_sql import AUTHORS_FROM_STAGED_SQL, PAPERS_FROM_PARSED_SQL, PARSE_CHUNK_SQL

BLOCK_BYTES = 64 * 1024 * 1024
SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


class SnapshotError(Exception):
    """The snapshot cannot be read at all (missing path, no files, unreadable gzip)."""


def list_snapshot_files(path: Path) -> list[Path]:
    if not path.exists():
        raise SnapshotError(f"snapshot path {path} does not exist (set ARXIV_SNAPSHOT to a .jsonl[.gz] file or folder)")
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.name.endswith(SUFFIXES))
    if not files:
        raise SnapshotError(f"no .jsonl or .jsonl.gz files under {path}")
    return files


@dataclass
class Chunk:
    file: Path
    first_line: int
    lines: list[str]
    compressed_pos: int  # bytes of the file consumed so far, for progress


def _decode(block: bytes) -> list[str]:
    try:
        return block.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        # Keep the line: the parser rejects it as malformed JSON, with its number, instead of failing the load.
        return [line.decode("utf-8", errors="replace") for line in block.split(b"\n")]


def iter_chunks(file: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[Chunk]:
    """Blocks of whole lines with their 1-based line numbers; memory stays at about two blocks."""
    with open(file, "rb") as raw:
        stream = gzip.GzipFile(fileobj=raw) if file.name.endswith(".gz") else raw
        line_no = 1
        carry = b""
        try:
            while True:
                block = stream.read(block_bytes)
                if not block:
                    break
                block = carry + block
                cut = block.rfind(b"\n")
                if cut < 0:
                    carry = block
                    continue
                carry = block[cut + 1 :]
                lines = _decode(block[:cut])
                yield Chunk(file, line_no, lines, raw.tell())
                line_no += len(lines)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise SnapshotError(f"{file}: unreadable after line {line_no - 1}: {exc}") from exc
        if carry.strip():
            yield Chunk(file, line_no, _decode(carry), raw.tell())


def prefetch(items: Iterator[Chunk], depth: int = 2) -> Iterator[Chunk]:
    """Reads ahead in a thread: decompression (which releases the GIL) overlaps DuckDB's parsing."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(item)
            buffer.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            buffer.put(exc)

    thread = threading.Thread(target=produce, name="snapshot-reader", daemon=True)
    thread.start()
    try:
        while (item := buffer.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full buffer
            try:
                buffer.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.1)


class Progress:
    """Records done, rate and time left, reported at most every `every_s` seconds and at the end."""

    def __init__(self, total_bytes: int, log: Callable[[str], None], every_s: float = 5.0) -> None:
        self.total_bytes = max(total_bytes, 1)
        self.log = log
        self.every_s = every_s
        self.started = time.monotonic()
        self.last = 0.0
        self.records = 0
        self.done_bytes = 0

    def update(self, records: int, done_bytes: int, force: bool = False) -> None:
        self.records += records
        self.done_bytes = done_bytes
        now = time.monotonic()
        if not force and now - self.last < self.every_s:
            return
        self.last = now
        elapsed = now - self.started
        rate = self.records / elapsed if elapsed > 0 else 0.0
        fraction = min(self.done_bytes / self.total_bytes, 1.0)
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else float("nan")
        self.log(
            f"snapshot: {self.records:,} records ({fraction:.0%} of input) at {rate:,.0f} records/s, "
            f"about {left:,.0f} s left"
        )


@dataclass
class FileFingerprint:
    path: str
    size_bytes: int
    mtime: float

    @classmethod
    def of(cls, file: Path) -> FileFingerprint:
        stat = file.stat()
        return cls(str(file.resolve()), stat.st_size, stat.st_mtime)


def files_to_load(con: duckdb.DuckDBPyConnection, files: list[Path], force: bool) -> list[Path]:
    """Files not loaded before with the same size and mtime (all of them when force)."""
    if force:
        return files
    loaded = {(p, s, m) for p, s, m in con.execute("SELECT path, size_bytes, mtime FROM snapshot_files").fetchall()}
    out = []
    for file in files:
        fp = FileFingerprint.of(file)
        if (fp.path, fp.size_bytes, fp.mtime) not in loaded:
            out.append(file)
    return out


def _as_batches(chunks: list[Chunk]) -> pa.RecordBatchReader:
    """Lines with their file and number, as a stream of small batches (DuckDB parses them on every core).

    A stream, not a table: a table registered inside a transaction stays referenced until the commit, so every
    block of the load would stay in memory; a consumed stream is released at once."""
    table = pa.table(
        {
            "source_file": pa.array([c.file.name for c in chunks for _ in c.lines], pa.string()),
            "line_no": pa.array(
                [n for c in chunks for n in range(c.first_line, c.first_line + len(c.lines))], pa.int64()
            ),
            "raw": pa.array([line for c in chunks for line in c.lines], pa.string()),
        }
    )
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=4096))


def _stage_lines(
    con: duckdb.DuckDBPyConnection, chunks: list[Chunk], run: RunRecord, now: datetime, first: bool
) -> None:
    """Parse blocks of lines: accepted rows go to `_staged`, the others to rejected_records.

    `_staged` is a table of the warehouse itself, not a TEMP table: inside the load's transaction its rows are
    written to the database file as they accumulate, so memory stays bounded at any snapshot size, and a
    rollback (failure, kill) removes it with everything else."""
    con.register("_chunk", _as_batches(chunks))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _parsed AS {PARSE_CHUNK_SQL}")
    finally:
        con.unregister("_chunk")
    n_read, n_rejected = con.execute("SELECT count(*), count(reject_reason) FROM _parsed").fetchone()
    run.n_read += n_read
    run.n_rejected += n_rejected
    if n_rejected:
        con.execute(
            """INSERT INTO rejected_records
            SELECT ?, 'arxiv_snapshot', source_file || ':' || line_no, reject_reason, raw, ?::TIMESTAMP
            FROM _parsed WHERE reject_reason IS NOT NULL""",
            [run.run_id, now],
        )
    accepted = f"{PAPERS_FROM_PARSED_SQL} WHERE reject_reason IS NULL"
    if first:
        con.execute(f"CREATE OR REPLACE TABLE _staged AS {accepted}")  # not TEMP: spills to the file
    else:
        con.execute(f"INSERT INTO _staged {accepted}")


def load_snapshot(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    run: RunRecord,
    log: Callable[[str], None] = print,
    force: bool = False,
) -> RunRecord:
    """Load every new file of the snapshot at `path` inside the caller's transaction."""
    files = list_snapshot_files(path)
    todo = files_to_load(con, files, force)
    run.source_detail = f"{path} ({len(todo)} of {len(files)} files new)"
    log(f"snapshot: {path}: {len(files)} files, {len(todo)} not loaded before")
    total = sum(f.stat().st_size for f in todo)
    progress = Progress(total, log)
    done_before = 0
    now = datetime.now()
    staged = False
    pending: list[Chunk] = []
    pending_bytes = 0

    def flush() -> None:
        nonlocal staged, pending, pending_bytes
        if pending:
            before = run.n_read
            _stage_lines(con, pending, run, now, first=not staged)
            staged = True
            progress.update(run.n_read - before, done_before + pending[-1].compressed_pos)
            pending, pending_bytes = [], 0

    for file in todo:
        file_start = run.n_read + sum(len(c.lines) for c in pending)
        for chunk in prefetch(iter_chunks(file)):
            pending.append(chunk)
            pending_bytes += sum(len(line) for line in chunk.lines)
            if pending_bytes >= BLOCK_BYTES:
                flush()
        fp = FileFingerprint.of(file)
        n_file = run.n_read + sum(len(c.lines) for c in pending) - file_start
        con.execute("DELETE FROM snapshot_files WHERE path = ?", [fp.path])
        con.execute(
            "INSERT INTO snapshot_files VALUES (?, ?, ?, ?, ?)", [fp.path, fp.size_bytes, fp.mtime, n_file, now]
        )
        done_before += fp.size_bytes
    flush()
    if staged:
        progress.update(0, total, force=True)
        dedupe_staged(con)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _dedup_authors AS {AUTHORS_FROM_STAGED_SQL}")
        run.counts.add(apply_upsert(con, now))
        drop_dedup(con)
        con.execute("DROP TABLE _dedup_authors; DROP TABLE _staged")
    c = run.counts
    log(
        f"snapshot done: read {run.n_read:,}, inserted {c.inserted:,}, updated {c.updated:,}, "
        f"unchanged {c.unchanged + c.older:,}, rejected {run.n_rejected:,}"
    )
    return run

