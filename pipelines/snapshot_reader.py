"""Reads snapshot files as blocks of numbered lines, never whole, and says how each file ended.

A damaged file (a truncated download, corrupt gzip data) is read up to the damage: every whole line before it is
yielded, and `ReadOutcome` says where and why reading stopped, so the loader keeps those lines and records the rest
as rejected instead of failing the whole load. A UTF-8 byte-order mark at the start of a file is dropped; a line
that is not valid UTF-8 is passed on with the reason, for the loader to reject with its number.

A block's lines become one Arrow string array straight from the decompressed bytes (no Python string per line):
the newlines are found and dropped with numpy, and the block is checked for UTF-8 once. Only a block that fails the
check, or holds a carriage return or a byte-order mark, is split line by line in Python.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa

BLOCK_BYTES = 64 * 1024 * 1024
READ_BYTES = 1024 * 1024  # compressed bytes per read: damage costs at most the lines after it
BOM = b"\xef\xbb\xbf"
GZIP_WBITS = 31  # zlib's window bits for the gzip container
T = TypeVar("T")


@dataclass
class Chunk:
    file_name: str
    first_line: int
    lines: pa.Array  # the block's lines, without line ends
    compressed_pos: int  # bytes of the file consumed so far, for progress
    encoding_errors: dict[int, str] = field(default_factory=dict)  # index in `lines` -> why it is not UTF-8
    n_bytes: int = 0  # decompressed bytes of the block


@dataclass
class ReadOutcome:
    """How reading a file ended: `error` is None when it was read to its end."""

    error: str | None = None
    error_line: int | None = None  # the first line not read whole
    partial_line: str = ""  # the text of that line up to the damage

    @property
    def untrustworthy(self) -> bool:
        """The data failed its checksum: even the lines read before the failure may be wrong."""
        return self.error is not None and self.error.startswith(CHECKSUM_FAILED)


def file_sha256(file: Path) -> str:
    with open(file, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _clean(line: str) -> str:
    """A line without a Windows line end or a byte-order mark at its start (a later gzip member's)."""
    return line.removesuffix("\r").removeprefix("\ufeff")


def decode_lines(block: bytes) -> tuple[list[str], dict[int, str]]:
    """Lines of a block of whole lines, and the reason for each line that is not valid UTF-8."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        lines = text.split("\n")
        if "\r" in text or "\ufeff" in text:
            lines = [_clean(line) for line in lines]
        return lines, {}
    lines = []
    errors: dict[int, str] = {}
    for i, raw in enumerate(block.split(b"\n")):
        try:
            lines.append(_clean(raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            lines.append(_clean(raw.decode("utf-8", errors="replace")))
            errors[i] = f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
    return lines, errors


def lines_array(block: bytes) -> tuple[pa.Array, dict[int, str]]:
    """decode_lines as one Arrow array, built from the block's bytes without a Python string per line."""
    if b"\r" in block or BOM in block:
        return _array_of(*decode_lines(block))
    buffer = np.frombuffer(block, np.uint8)
    newlines = np.flatnonzero(buffer == ord("\n"))
    offsets = np.empty(len(newlines) + 2, np.int64 if len(block) >= 2**31 else np.int32)
    offsets[0] = 0
    offsets[1:-1] = newlines - np.arange(len(newlines))  # each line ends where its newline was, minus the earlier ones
    offsets[-1] = len(block) - len(newlines)
    data = np.delete(buffer, newlines)
    kind = pa.LargeStringArray if offsets.dtype == np.int64 else pa.StringArray
    lines = kind.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data))
    try:
        lines.validate(full=True)  # UTF-8 of every line
    except pa.ArrowInvalid:
        return _array_of(*decode_lines(block))
    return lines, {}


def _array_of(lines: list[str], errors: dict[int, str]) -> tuple[pa.Array, dict[int, str]]:
    return pa.array(lines, pa.large_string()), errors


class _GzipInflater:
    """zlib over a gzip file's bytes, across concatenated members, keeping the output up to any damage."""

    PIECE = 64 * 1024  # fed at a time: on damage, only this piece is fed again, byte by byte

    def __init__(self) -> None:
        self.inflater = zlib.decompressobj(GZIP_WBITS)
        self.fed = False
        self.between = False  # after a member's end: only zero padding or another member may follow

    def _inflate(self, data: bytes) -> bytes:
        out = []
        while data:
            if self.between:
                data = data.lstrip(b"\0")  # zero padding after a member is allowed, as gzip allows it
                if not data:
                    break
                self.inflater = zlib.decompressobj(GZIP_WBITS)
                self.between = False
            self.fed = True
            out.append(self.inflater.decompress(data))
            data = b""
            if self.inflater.eof:
                self.between = True
                data = self.inflater.unused_data
        return b"".join(out)

    def feed(self, data: bytes) -> tuple[bytes, str | None]:
        """(output, None), or (the output before the damage, why) when the data is corrupt."""
        parts = []
        for start in range(0, len(data), self.PIECE):
            piece = data[start : start + self.PIECE]
            saved = (self.inflater.copy(), self.between, self.fed)
            try:
                parts.append(self._inflate(piece))
            except zlib.error as exc:
                self.inflater, self.between, self.fed = saved
                for i in range(len(piece)):
                    try:
                        parts.append(self._inflate(piece[i : i + 1]))
                    except zlib.error:
                        break
                return b"".join(parts), _damage(exc)
        return b"".join(parts), None

    def finish(self) -> tuple[bytes, str | None]:
        if self.fed and not self.between:
            return self.inflater.flush(), "truncated: the gzip stream ends before its end marker"
        return b"", None


CHECKSUM_FAILED = "checksum mismatch"


def _damage(exc: zlib.error) -> str:
    if "incorrect data check" in str(exc) or "incorrect length check" in str(exc):
        # The data decompressed but is not what was compressed: no line of this member can be trusted.
        return f"{CHECKSUM_FAILED}: the decompressed data differs from what was compressed ({exc})"
    return f"corrupt gzip data: {exc}"


def _decompressed(file: Path, outcome: ReadOutcome) -> Iterator[tuple[bytes, int]]:
    """(bytes, compressed position) of the file's content; on damage, stops and sets outcome.error."""
    with open(file, "rb") as raw:
        gzipped = file.name.endswith(".gz")
        inflater = _GzipInflater()
        while True:
            try:
                data = raw.read(READ_BYTES)
            except OSError as exc:
                outcome.error = f"unreadable: {exc}"
                return
            if not gzipped:
                if not data:
                    return
                yield data, raw.tell()
                continue
            out, error = inflater.feed(data) if data else inflater.finish()
            if out:
                yield out, raw.tell()
            if error:
                outcome.error = error
                return
            if not data:
                return


def iter_chunks(
    file: Path, outcome: ReadOutcome | None = None, block_bytes: int = BLOCK_BYTES, name: str | None = None
) -> Iterator[Chunk]:
    """Blocks of whole lines with their 1-based line numbers; memory stays at about two blocks.

    A damaged file yields every whole line before the damage; `outcome` then names the line where it stops."""
    outcome = outcome if outcome is not None else ReadOutcome()
    name = name or file.name
    line_no = 1
    parts: list[bytes] = []  # joined once per block: appending to one bytes object would copy it every read
    size = 0
    pos = 0
    at_start = True
    for data, pos in _decompressed(file, outcome):
        if at_start:
            head = b"".join([*parts, data])
            if len(head) < len(BOM) and BOM.startswith(head):
                parts, size = [head], len(head)
                continue
            data, parts, size, at_start = head.removeprefix(BOM), [], 0, False
        parts.append(data)
        size += len(data)
        if size < block_bytes:
            continue
        pending = b"".join(parts)
        cut = pending.rfind(b"\n")
        if cut < 0:
            parts = [pending]
            continue
        lines, errors = lines_array(pending[:cut])
        parts = [pending[cut + 1 :]]
        size = len(parts[0])
        yield Chunk(name, line_no, lines, pos, errors, cut)
        line_no += len(lines)
    pending = b"".join(parts)
    if at_start:
        pending = pending.removeprefix(BOM)
    if outcome.error is not None:
        cut = pending.rfind(b"\n")
        if cut >= 0:
            lines, errors = lines_array(pending[:cut])
            yield Chunk(name, line_no, lines, pos, errors, cut)
            line_no += len(lines)
            pending = pending[cut + 1 :]
        outcome.error_line = line_no
        outcome.partial_line = pending.decode("utf-8", errors="replace")
        return
    if pending.strip():
        block = pending.removesuffix(b"\n")
        lines, errors = lines_array(block)
        yield Chunk(name, line_no, lines, pos, errors, len(block))


def prefetch(items: Iterator[T], weight: Callable[[T], int], limit: int) -> Iterator[T]:
    """Reads ahead in a thread: decompression (which releases the GIL) overlaps DuckDB's parsing.

    Holds items of at most `limit` total weight (and always at least one), so reading goes on across small files
    while a block is parsed, and memory stays bounded."""
    buffer: queue.Queue = queue.Queue()
    done = object()
    stop = threading.Event()
    room = threading.Condition()
    held = [0]

    def produce() -> None:
        try:
            for item in items:
                w = weight(item)
                with room:
                    while held[0] > 0 and held[0] + w > limit and not stop.is_set():
                        room.wait(0.1)
                    if stop.is_set():
                        return
                    held[0] += w
                buffer.put((item, w))
            buffer.put((done, 0))
        except BaseException as exc:  # handed to the consumer, which raises it
            buffer.put((exc, 0))

    thread = threading.Thread(target=produce, name="snapshot-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, w = buffer.get()
            with room:
                held[0] -= w
                room.notify()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        with room:
            room.notify()
        thread.join()
