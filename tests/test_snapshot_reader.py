"""The reader's Arrow line splitter and its read-ahead."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from pipelines.snapshot_reader import decode_lines, lines_array, prefetch


@pytest.mark.parametrize(
    "block",
    [
        b'{"a": 1}\n\n{"b": "caf\xc3\xa9"}\n  \nlast',
        b"one\r\ntwo\r\n\xef\xbb\xbfthree",
        b"good\nbad \xff here\nok",
        b"",
        b"\n\n",
        "snowman \u2603 and emoji \U0001f600".encode(),
    ],
)
def test_lines_array_matches_the_line_by_line_decoding(block: bytes) -> None:
    lines, errors = lines_array(block)
    expected_lines, expected_errors = decode_lines(block)
    assert lines.to_pylist() == expected_lines
    assert errors == expected_errors


def test_prefetch_yields_everything_in_order_and_holds_at_most_its_limit() -> None:
    held: list[int] = []
    produced = [0]

    def items() -> Iterator[int]:
        for i in range(50):
            produced[0] = i + 1
            yield i

    seen = []
    for item in prefetch(items(), weight=lambda _: 10, limit=30):
        time.sleep(0.002)  # a slow consumer: the reader runs ahead as far as it may
        held.append(produced[0] - item)
        seen.append(item)
    assert seen == list(range(50))
    # at most: the one consumed, 3 queued (weight 30), and one drawn from the source, waiting for room
    assert 2 <= max(held) <= 5


def test_prefetch_always_lets_one_item_through_and_raises_the_readers_error() -> None:
    def items() -> Iterator[int]:
        yield 1
        raise OSError("disk gone")

    got = []
    with pytest.raises(OSError, match="disk gone"):
        for item in prefetch(items(), weight=lambda _: 10**12, limit=1):
            got.append(item)
    assert got == [1]


def test_prefetch_stops_its_reader_when_the_consumer_stops() -> None:
    def endless() -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1

    before = threading.active_count()
    for item in prefetch(endless(), weight=lambda _: 1, limit=5):
        if item == 3:
            break
    time.sleep(0.3)
    assert threading.active_count() == before
