"""Block-by-block merging: the result and the counts do not depend on where blocks end, and a refused file that
spans blocks is taken back whole, the rows it replaced restored."""

from __future__ import annotations

import functools
import json
import random
import uuid
from pathlib import Path

import polars as pl
import pytest

from pipelines import snapshot
from pipelines import warehouse as wh
from pipelines.ingest import PAPER_COLUMNS, RunRecord, upsert_papers
from pipelines.snapshot_reader import iter_chunks

COMPARED = [c for c in PAPER_COLUMNS if c != "source_detail"]


def _load(db: Path, path: Path, force: bool = False) -> RunRecord:
    run = RunRecord(run_id=uuid.uuid4().hex, asset="test", source="arxiv_snapshot")
    with wh.transaction(db) as con:
        snapshot.load_snapshot(con, path, run, log=lambda _: None, force=force)
        run.write(con, "success")
    return run


def _rows(db: Path, sql: str) -> list[tuple]:
    con = wh.connect(db, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _papers(db: Path) -> list[tuple]:
    return _rows(db, f"SELECT {', '.join(PAPER_COLUMNS)} FROM papers ORDER BY arxiv_id")


def _authors(db: Path) -> list[tuple]:
    return _rows(db, "SELECT arxiv_id, position, name, affiliation FROM paper_authors ORDER BY ALL")


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of about 300 bytes: a few records each, so every file spans several blocks."""
    monkeypatch.setattr(snapshot, "BLOCK_BYTES", 300)
    monkeypatch.setattr(snapshot, "iter_chunks", functools.partial(iter_chunks, block_bytes=300))


def _record(arxiv_id: str, title: str, updated: str | None, version: int | None = None, authors: str = "A B") -> str:
    record: dict = {"id": arxiv_id + (f"v{version}" if version else ""), "title": title, "authors": authors}
    if updated:
        record["update_date"] = updated
    return json.dumps(record)


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def _random_corpus(folder: Path, seed: int) -> None:
    """Four files sharing 12 ids: repeats with every kind of tie and missing date or version, some identical."""
    rng = random.Random(seed)
    for f in range(4):
        lines = []
        for _ in range(30):
            i = rng.randrange(12)
            date = rng.choice([None, "2025-01-05", "2025-01-05", "2025-02-07"])
            version = rng.choice([None, 1, 2, 2])
            title = rng.choice(["Same", f"T{rng.randrange(3)}"])
            lines.append(_record(f"2501.{i:05d}", title, date, version, authors=rng.choice(["A B", "C (MIT), D"])))
        _write(folder / f"part-{f}.jsonl", lines)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_where_blocks_end_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    corpus = tmp_path / "corpus"
    _random_corpus(corpus, seed)
    whole = tmp_path / "whole.duckdb"
    run_whole = _load(whole, corpus)
    with monkeypatch.context() as m:
        m.setattr(snapshot, "BLOCK_BYTES", 300)
        m.setattr(snapshot, "iter_chunks", functools.partial(iter_chunks, block_bytes=300))
        blocks = tmp_path / "blocks.duckdb"
        run_blocks = _load(blocks, corpus)
    assert _papers(blocks) == _papers(whole)
    assert _authors(blocks) == _authors(whole)
    assert run_blocks.counts == run_whole.counts
    assert run_whole.counts.inserted == _rows(whole, "SELECT count(*) FROM papers")[0][0]


def test_latest_version_wins_across_blocks_and_files(tmp_path: Path, tiny_blocks: None) -> None:
    db = tmp_path / "w.duckdb"
    filler = [_record(f"2502.{i:05d}", "filler", "2025-02-01") for i in range(20)]
    _write(
        tmp_path / "in" / "a.jsonl",
        [_record("2501.00001", "newest", "2025-03-01", 2), *filler, _record("2501.00001", "older", "2025-01-01", 3)],
    )
    _write(
        tmp_path / "in" / "b.jsonl",
        [
            _record("2501.00002", "first", "2025-03-01", 2),
            *filler,
            _record("2501.00002", "tie, later", "2025-03-01", 2),
            _record("2501.00003", "v3", "2025-03-01", 3),
            *filler,
            _record("2501.00003", "v2, same date", "2025-03-01", 2),
            _record("2501.00004", "dated", "2025-03-01"),
            _record("2501.00004", "no date", None),
        ],
    )
    run = _load(db, tmp_path / "in")
    assert _rows(db, "SELECT arxiv_id, title FROM papers WHERE arxiv_id LIKE '2501.%' ORDER BY 1") == [
        ("2501.00001", "newest"),
        ("2501.00002", "tie, later"),
        ("2501.00003", "v3"),
        ("2501.00004", "dated"),
    ]
    assert (run.counts.inserted, run.counts.updated, run.counts.unchanged, run.counts.older) == (24, 0, 0, 0)


def test_a_paper_met_in_several_blocks_is_counted_once(tmp_path: Path, tiny_blocks: None) -> None:
    db = tmp_path / "w.duckdb"
    filler = [_record(f"2502.{i:05d}", "filler", "2025-02-01") for i in range(20)]
    _write(tmp_path / "first.jsonl", [_record("2501.00001", "stored", "2025-02-01"), *filler])
    _load(db, tmp_path / "first.jsonl")
    # The stored record again (unchanged), then a newer one later in the file: one paper, updated.
    _write(
        tmp_path / "second.jsonl",
        [_record("2501.00001", "stored", "2025-02-01"), *filler, _record("2501.00001", "newer", "2025-03-01")],
    )
    run = _load(db, tmp_path / "second.jsonl")
    assert (run.counts.inserted, run.counts.updated, run.counts.unchanged + run.counts.older) == (0, 1, 20)
    assert _rows(db, "SELECT title FROM papers WHERE arxiv_id = '2501.00001'") == [("newer",)]
    assert _rows(db, "SELECT count(*) FROM papers WHERE ingested_at = (SELECT max(ingested_at) FROM papers)") == [
        (1,)
    ]  # the 20 unchanged papers were not rewritten


def test_a_refused_file_spanning_blocks_is_taken_back_and_what_it_replaced_restored(
    tmp_path: Path, tiny_blocks: None
) -> None:
    db = tmp_path / "w.duckdb"
    _write(
        tmp_path / "base.jsonl",
        [
            _record("2501.00001", "x stored", "2025-01-01", authors="Old One, Old Two"),
            _record("2501.00002", "y stored", "2025-01-01", authors="Old Three (MIT)"),
        ],
    )
    _load(db, tmp_path / "base.jsonl")
    before_papers, before_authors = _papers(db), _authors(db)
    good = [_record("2501.00001", "x from a good file", "2025-02-01", authors="Good Author")]
    # The bad file updates both stored papers (early, in blocks merged before it is judged), repeats one of them
    # later, inserts a new paper, and has 10 % of its lines rejected.
    bad = [
        _record("2501.00001", "x from the bad file", "2025-03-01", authors="Bad Author"),
        _record("2501.00002", "y from the bad file", "2025-03-01", authors="Bad Author"),
        *[_record(f"2503.{i:05d}", "new from the bad file", "2025-03-01") for i in range(16)],
        _record("2501.00002", "y again from the bad file", "2025-04-01", authors="Bad Author"),
        "not json",
        "{broken",
    ]
    later = [_record("2504.00001", "from a later file", "2025-04-01")]
    _write(tmp_path / "load" / "a-good.jsonl", good)
    _write(tmp_path / "load" / "b-bad.jsonl", bad)
    _write(tmp_path / "load" / "c-later.jsonl", later)
    run = _load(db, tmp_path / "load")
    assert _rows(db, "SELECT file_name, refused FROM snapshot_files WHERE file_name LIKE '_-%' ORDER BY 1") == [
        ("a-good.jsonl", False),
        ("b-bad.jsonl", True),
        ("c-later.jsonl", False),
    ]
    assert _rows(db, "SELECT arxiv_id, title FROM papers ORDER BY 1") == [
        ("2501.00001", "x from a good file"),
        ("2501.00002", "y stored"),
        ("2504.00001", "from a later file"),
    ]
    restored = [r for r in _papers(db) if r[0] == "2501.00002"]
    assert restored == [r for r in before_papers if r[0] == "2501.00002"]
    assert [a for a in _authors(db) if a[0] == "2501.00002"] == [a for a in before_authors if a[0] == "2501.00002"]
    assert [a for a in _authors(db) if a[0] == "2501.00001"] == [("2501.00001", 1, "Good Author", None)]
    assert (run.counts.inserted, run.counts.updated, run.counts.unchanged + run.counts.older) == (1, 1, 0)
    assert run.n_rejected == 2


def test_a_refused_file_leaves_a_first_load_empty_however_it_is_cut(tmp_path: Path, tiny_blocks: None) -> None:
    db = tmp_path / "w.duckdb"
    lines = [_record(f"2503.{i:05d}", "t", "2025-03-01") for i in range(30)] + ["[1]", "[2]"]
    _write(tmp_path / "bad.jsonl", lines)
    _load(db, tmp_path / "bad.jsonl")
    assert _rows(db, "SELECT count(*) FROM papers") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM paper_authors") == [(0,)]


def test_a_stored_row_of_a_higher_version_on_the_same_date_is_kept_by_every_loader(tmp_path: Path) -> None:
    """The merge's `older` rule and the dedupe's order agree: updated_date, then latest_version."""
    db = tmp_path / "w.duckdb"
    _write(tmp_path / "v3.jsonl", [_record("2501.00001", "v3", "2025-03-01", 3)])
    _write(tmp_path / "v2.jsonl", [_record("2501.00001", "v2", "2025-03-01", 2)])
    _load(db, tmp_path / "v3.jsonl")
    run = _load(db, tmp_path / "v2.jsonl")
    assert run.counts.older == 1
    papers = pl.DataFrame(
        [
            {
                **{c: None for c in PAPER_COLUMNS},
                "arxiv_id": "2501.00001",
                "title": "v2 from the API",
                "latest_version": 2,
                "source": "arxiv_api",
            }
        ],
        schema_overrides={"updated_date": pl.Date, "latest_version": pl.Int32, "published_date": pl.Date},
    ).with_columns(updated_date=pl.date(2025, 3, 1), categories=pl.lit([], pl.List(pl.String)))
    authors = pl.DataFrame(
        schema={
            "arxiv_id": pl.String,
            "position": pl.Int32,
            "name": pl.String,
            "name_normalized": pl.String,
            "affiliation": pl.String,
        }
    )
    with wh.transaction(db) as con:
        counts = upsert_papers(con, papers.with_columns(authors=pl.lit([], pl.List(pl.String))), authors)
    assert counts["older"] == 1
    assert _rows(db, "SELECT title FROM papers") == [("v3",)]
