"""Streams a bulk JSON-lines snapshot (arXiv metadata field names) into the warehouse.

Files are read in blocks of lines (pipelines/snapshot_reader.py); each block is parsed by DuckDB
(pipelines/lib/snapshot_sql.py) and merged at once into papers and paper_authors (pipelines/snapshot_merge.py), so
every record is written once and memory stays at about a block. The caller owns the transaction: a failure anywhere
leaves the warehouse unchanged.

A file is known by its name inside the snapshot folder and the SHA-256 of its bytes (`snapshot_files`): the same
corpus at another path is not read again, and a file whose content changed (a completed download, a fix) is.
A damaged file loads every line before the damage; the rest is recorded in `rejected_records` at the line where
reading stopped, and the file is marked incomplete until its content changes. A file with more than
MAX_FILE_REJECT_SHARE of its lines rejected, or whose gzip checksum fails, is refused whole: a file is judged once
it has been read to its end, before its last block is merged, and blocks of it merged before then are taken back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipelines.ingest import RunRecord
from pipelines.lib.snapshot_sql import PARSE_CHUNK_SQL
from pipelines.snapshot_merge import end_merge, keep_file, load_counts, merge_block, start_merge, undo_file
from pipelines.snapshot_reader import BLOCK_BYTES, Chunk, ReadOutcome, file_sha256, iter_chunks, prefetch

SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
# arXiv's complete metadata snapshot is one JSON-lines file named `.json` (Kaggle: arxiv-metadata-oai-snapshot.json,
# ~4.5 GB, 2.7M records). In a folder, `.json` files are read only under that name (a `.json` file of another name,
# such as bench's manifest.json, is not a snapshot); a file named directly is read whatever its name.
FULL_SNAPSHOT_PREFIX = "arxiv-metadata-oai-snapshot"
FULL_SNAPSHOT_SUFFIXES = (".json", ".json.gz")
RAW_KEPT_CHARS = 10_000  # of a rejected line, as in PARSE_CHUNK_SQL
# A file with more of its lines rejected than this is refused whole: none of its records are loaded, and the
# blocking check snapshot_rejects_are_rare fails until the file is fixed or removed. Such a file is more likely
# of another format, or damaged, than a good file with a few bad lines.
MAX_FILE_REJECT_SHARE = 0.05


class SnapshotError(Exception):
    """The snapshot cannot be read at all (missing path, no files)."""


def is_snapshot_file(name: str) -> bool:
    """A file a snapshot folder is read for: .jsonl[.gz] / .ndjson[.gz], or arXiv's full snapshot file."""
    return name.endswith(SUFFIXES) or (name.startswith(FULL_SNAPSHOT_PREFIX) and name.endswith(FULL_SNAPSHOT_SUFFIXES))


def list_snapshot_files(path: Path) -> list[Path]:
    if not path.exists():
        raise SnapshotError(
            f"snapshot path {path} does not exist (set ARXIV_SNAPSHOT to a .jsonl[.gz] file or folder, or to arXiv's "
            f"{FULL_SNAPSHOT_PREFIX}.json)"
        )
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if is_snapshot_file(p.name))
    if not files:
        raise SnapshotError(f"no .jsonl, .jsonl.gz or {FULL_SNAPSHOT_PREFIX}.json files under {path}")
    return files


def file_name_in(snapshot: Path, file: Path) -> str:
    """A file's name as the warehouse records it: its path inside the snapshot folder."""
    return file.name if snapshot.is_file() else file.relative_to(snapshot).as_posix()


class Progress:
    """Records done, rate and time left, reported at most every `every_s` seconds and at the end."""

    def __init__(self, total_bytes: int, log: Callable[[str], None], every_s: float = 5.0) -> None:
        self.total_bytes = max(total_bytes, 1)
        self.log = log
        self.every_s = every_s
        self.started = time.monotonic()
        self.last = 0.0
        self.records = 0
        self.logged_records = -1
        self.done_bytes = 0

    def update(self, records: int, done_bytes: int, force: bool = False) -> None:
        self.records += records
        self.done_bytes = done_bytes
        now = time.monotonic()
        if self.records == self.logged_records or (not force and now - self.last < self.every_s):
            return
        self.last = now
        self.logged_records = self.records
        elapsed = now - self.started
        rate = self.records / elapsed if elapsed > 0 else 0.0
        fraction = min(self.done_bytes / self.total_bytes, 1.0)
        left = elapsed * (1 - fraction) / fraction if fraction > 0 else float("nan")
        self.log(
            f"snapshot: {self.records:,} records ({fraction:.0%} of input) at {rate:,.0f} records/s, "
            f"about {left:,.0f} s left"
        )


@dataclass
class SnapshotFile:
    """One file of the snapshot as found on disk now."""

    path: Path
    name: str  # inside the snapshot folder
    sha256: str
    size_bytes: int

    @classmethod
    def of(cls, snapshot: Path, file: Path) -> SnapshotFile:
        return cls(file, file_name_in(snapshot, file), file_sha256(file), file.stat().st_size)


@dataclass
class FileTally:
    n_lines: int = 0
    n_rejected: int = 0


def files_to_load(con: duckdb.DuckDBPyConnection, files: list[SnapshotFile], force: bool) -> list[SnapshotFile]:
    """Files whose name and content were not loaded before (all of them when force)."""
    if force:
        return files
    loaded = set(con.execute("SELECT file_name, content_sha256 FROM snapshot_files").fetchall())
    return [f for f in files if (f.name, f.sha256) not in loaded]


def _as_batches(chunks: list[Chunk]) -> pa.RecordBatchReader:
    """Lines with their file and number, as a stream of small batches (DuckDB parses them on every core).

    A stream, not a table: a table registered inside a transaction stays referenced until the commit, so every
    block of the load would stay in memory; a consumed stream is released at once."""
    n = sum(len(c.lines) for c in chunks)
    if any(c.encoding_errors for c in chunks):
        encoding_error = pa.array([c.encoding_errors.get(i) for c in chunks for i in range(len(c.lines))], pa.string())
    else:
        encoding_error = pa.nulls(n, pa.string())
    table = pa.table(
        {
            "source_file": pa.chunked_array([pa.repeat(c.file_name, len(c.lines)) for c in chunks], pa.string()),
            "line_no": pa.chunked_array(
                [pa.array(np.arange(c.first_line, c.first_line + len(c.lines), dtype=np.int64)) for c in chunks]
            ),
            "raw": pa.chunked_array([c.lines.cast(pa.large_string()) for c in chunks], pa.large_string()),
            "encoding_error": encoding_error,
        }
    )
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=4096))


def _parse_lines(
    con: duckdb.DuckDBPyConnection,
    chunks: list[Chunk],
    run: RunRecord,
    tallies: dict[str, FileTally],
    now: datetime,
) -> None:
    """Parse blocks of lines into TEMP table `_parsed`; rejected lines go to rejected_records."""
    con.register("_chunk", _as_batches(chunks))
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _parsed AS {PARSE_CHUNK_SQL}")
    finally:
        con.unregister("_chunk")
    per_file = con.execute("SELECT source_file, count(*), count(reject_reason) FROM _parsed GROUP BY ALL").fetchall()
    for name, n_read, n_rejected in per_file:
        tally = tallies.setdefault(name, FileTally())
        tally.n_lines += n_read
        tally.n_rejected += n_rejected
        run.n_read += n_read
        run.n_rejected += n_rejected
    if any(n_rejected for _, _, n_rejected in per_file):
        con.execute(
            """INSERT INTO rejected_records
            SELECT ?, 'arxiv_snapshot', source_file || ':' || line_no, reject_reason, raw, ?::TIMESTAMP
            FROM _parsed WHERE reject_reason IS NOT NULL""",
            [run.run_id, now],
        )


def _record_damage(
    con: duckdb.DuckDBPyConnection,
    file: SnapshotFile,
    outcome: ReadOutcome,
    run: RunRecord,
    tally: FileTally,
    now: datetime,
    log: Callable[[str], None],
) -> None:
    """A file that stopped early: its first unread line is a rejected record, with why reading stopped."""
    reason = f"file ends early: {outcome.error}; lines from here on were not read"
    con.execute(
        "INSERT INTO rejected_records VALUES (?, 'arxiv_snapshot', ?, ?, ?, ?::TIMESTAMP)",
        [run.run_id, f"{file.name}:{outcome.error_line}", reason, outcome.partial_line[:RAW_KEPT_CHARS] or None, now],
    )
    tally.n_rejected += 1
    run.n_rejected += 1
    log(
        f"snapshot: {file.name} ends early at line {outcome.error_line:,} ({outcome.error}); the "
        f"{outcome.error_line - 1:,} lines before it are loaded, and the file is read again once it changes"
    )


def _record_file(
    con: duckdb.DuckDBPyConnection,
    file: SnapshotFile,
    tally: FileTally,
    outcome: ReadOutcome,
    refused: bool,
    load_number: int,
    now: datetime,
) -> None:
    con.execute("DELETE FROM snapshot_files WHERE file_name = ? AND content_sha256 = ?", [file.name, file.sha256])
    con.execute(
        """INSERT INTO snapshot_files (file_name, content_sha256, size_bytes, n_lines, n_rejected, complete, refused,
            error, last_path, loaded_at, seen_in_load)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMP, ?)""",
        [
            file.name,
            file.sha256,
            file.size_bytes,
            tally.n_lines,
            tally.n_rejected,
            outcome.error is None,
            refused,
            None if outcome.error is None else f"line {outcome.error_line}: {outcome.error}",
            str(file.path.resolve()),
            now,
            load_number,
        ],
    )


def _mark_seen(con: duckdb.DuckDBPyConnection, files: list[SnapshotFile], load_number: int) -> None:
    """Stamp every file of the snapshot as it is now, loaded this time or before, so checks look at these."""
    con.execute(
        """UPDATE snapshot_files s SET seen_in_load = ?
        FROM (SELECT unnest(?::VARCHAR[]) AS file_name, unnest(?::VARCHAR[]) AS content_sha256) f
        WHERE s.file_name = f.file_name AND s.content_sha256 = f.content_sha256""",
        [load_number, [f.name for f in files], [f.sha256 for f in files]],
    )


class _Load:
    """One load's state: parsed blocks are merged as they come; each file is judged once it has been read whole."""

    def __init__(self, con: duckdb.DuckDBPyConnection, run: RunRecord, log: Callable[[str], None]) -> None:
        self.con, self.run, self.log = con, run, log
        self.now = datetime.now()
        self.load_number = con.execute("SELECT coalesce(max(seen_in_load), 0) + 1 FROM snapshot_files").fetchone()[0]
        self.tallies: dict[str, FileTally] = {}
        self.read: list[tuple[SnapshotFile, ReadOutcome]] = []  # files read to their end (or their damage)
        self.judged: dict[str, bool] = {}  # file name -> refused
        self.open_file: str | None = None  # merged in part, not judged yet

    def flush(self, chunks: list[Chunk]) -> None:
        """Parse and merge a block: files read whole are judged first, so a refused one is never merged."""
        if chunks:
            _parse_lines(self.con, chunks, self.run, self.tallies, self.now)
        for file, outcome in self.read:
            if file.name not in self.judged:
                self.judged[file.name] = self._judge(file, outcome)
        if self.open_file is not None and self.open_file in self.judged:
            if self.judged[self.open_file]:
                undo_file(self.con, self.open_file, self.now)
            else:
                keep_file(self.con)
            self.open_file = None
        names = list(dict.fromkeys(c.file_name for c in chunks))
        accepted = [n for n in names if self.judged.get(n) is False]
        if accepted:
            merge_block(self.con, accepted, self.now, keep_undo=False)
        if names and names[-1] not in self.judged:  # continues in the next block
            merge_block(self.con, [names[-1]], self.now, keep_undo=True)
            self.open_file = names[-1]
        if chunks:
            self.con.execute("DROP TABLE _parsed")

    def _judge(self, file: SnapshotFile, outcome: ReadOutcome) -> bool:
        """Record how the file ended; True when it is refused whole."""
        tally = self.tallies.setdefault(file.name, FileTally())
        if outcome.error is not None:
            _record_damage(self.con, file, outcome, self.run, tally, self.now, self.log)
        refuse = outcome.untrustworthy or tally.n_rejected > MAX_FILE_REJECT_SHARE * max(tally.n_lines, 1)
        if refuse:
            self.log(
                f"snapshot: {file.name} refused: {tally.n_rejected:,} of {tally.n_lines:,} lines rejected"
                + (f" ({outcome.error})" if outcome.untrustworthy else "")
                + "; none of its records are loaded until the file changes"
            )
        _record_file(self.con, file, tally, outcome, refuse, self.load_number, self.now)
        return refuse


def _read(files: list[SnapshotFile]) -> Iterator[tuple[SnapshotFile, Chunk | ReadOutcome]]:
    """Every file's blocks of lines, each file followed by how its reading ended."""
    for file in files:
        outcome = ReadOutcome()
        for chunk in iter_chunks(file.path, outcome, name=file.name):
            yield file, chunk
        yield file, outcome


def _weight(item: tuple[SnapshotFile, Chunk | ReadOutcome]) -> int:
    return item[1].n_bytes if isinstance(item[1], Chunk) else 0


def load_snapshot(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    run: RunRecord,
    log: Callable[[str], None] = print,
    force: bool = False,
) -> RunRecord:
    """Load every new file of the snapshot at `path` inside the caller's transaction."""
    files = [SnapshotFile.of(path, f) for f in list_snapshot_files(path)]
    todo = files_to_load(con, files, force)
    run.source_detail = f"{path} ({len(todo)} of {len(files)} files new)"
    log(f"snapshot: {path}: {len(files)} files, {len(todo)} not loaded before")
    total = sum(f.size_bytes for f in todo)
    progress = Progress(total, log)
    load = _Load(con, run, log)
    start_merge(con)
    done_before = 0
    pending: list[Chunk] = []
    pending_bytes = 0
    for file, item in prefetch(_read(todo), _weight, limit=BLOCK_BYTES):
        if isinstance(item, ReadOutcome):  # the file has been read to its end, or to its damage
            load.read.append((file, item))
            done_before += file.size_bytes
            continue
        pending.append(item)
        pending_bytes += item.n_bytes
        if pending_bytes >= BLOCK_BYTES:
            before = run.n_read
            load.flush(pending)
            progress.update(run.n_read - before, done_before + item.compressed_pos)
            pending, pending_bytes = [], 0
    before = run.n_read
    load.flush(pending)
    progress.update(run.n_read - before, total, force=True)
    _mark_seen(con, files, load.load_number)
    run.counts.add(load_counts(con, load.now))
    end_merge(con)
    c = run.counts
    log(
        f"snapshot done: read {run.n_read:,}, inserted {c.inserted:,}, updated {c.updated:,}, "
        f"unchanged {c.unchanged + c.older:,}, rejected {run.n_rejected:,}"
    )
    return run
