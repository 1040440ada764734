"""Publishing by renaming, the working file one publish behind, and how the next run brings it up to date."""

from __future__ import annotations

import shutil
import subprocess
import sys
from contextlib import nullcontext
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines import contract, warehouse
from pipelines.warehouse import STORAGE_VERSION, connect, prepare_work_file, publish, storage_version
from pipelines.warehouse_sync import GENERATION_TABLE

T0 = datetime(2026, 1, 1)
SMALL = "category_month_counts"


def _files(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "work" / "warehouse.duckdb", tmp_path / "warehouse.duckdb"


def _write(work: Path, *statements: str, at: datetime | None = None) -> None:
    """Run statements on the working file; `?` in them is `at`."""
    con = connect(work, memory_limit="1GB")
    try:
        con.execute(contract.ddl("papers", "paper_authors", "paper_relevance", SMALL))
        for sql in statements:
            con.execute(sql, [at] * sql.count("?"))
    finally:
        con.close()


def _add_papers(work: Path, first: int, n: int, at: datetime, title: str = "t") -> None:
    """Papers 2601.<first>.. (replacing those there), three authors and a relevance row each, written at `at`."""
    ids = f"SELECT printf('2601.%05d', range) AS arxiv_id FROM range({first}, {first + n})"
    _write(
        work,
        *(f"DELETE FROM {t} WHERE arxiv_id IN ({ids})" for t in ("papers", "paper_authors", "paper_relevance")),
        f"""INSERT INTO papers (arxiv_id, title, source, ingested_at)
        SELECT arxiv_id, '{title}', 'arxiv_snapshot', ?::TIMESTAMP FROM ({ids})""",
        f"INSERT INTO paper_authors SELECT arxiv_id, p, 'A' || p, 'a' || p, NULL FROM ({ids}), range(1, 4) t(p)",
        f"""INSERT INTO paper_relevance
        SELECT arxiv_id, true, false, 0.1, [], NULL, NULL, 'v1', ?::TIMESTAMP FROM ({ids})""",
        at=at,
    )


def _tables(path: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {n: sorted(con.execute(f"FROM {n}").fetchall(), key=repr) for n in names}
    finally:
        con.close()


def _publish_and_catch_up(work: Path, published: Path) -> None:
    """A publish, then the next run's start: the working file (the replaced one) brought up to date."""
    publish(work, published, log=print)
    prepare_work_file(work, published, log=print)


def _published_day(work: Path, published: Path, logs: list[str], day: int) -> None:
    """One run: bring the working file up to date, add a day of papers, update an old one, publish."""
    prepare_work_file(work, published, log=logs.append)
    at = T0 + timedelta(days=day)
    _add_papers(work, 10_000 + 100 * day, 100, at)
    _add_papers(work, day, 1, at, title=f"revised on day {day}")
    _write(
        work,
        f"DELETE FROM {SMALL}",
        f"INSERT INTO {SMALL} VALUES ('cs.AI', DATE '2026-01-01', {day}, NULL, 'x', ?)",
        at=at,
    )
    publish(work, published, log=logs.append)


def test_a_publish_renames_and_the_next_run_brings_the_previous_file_up_to_date(tmp_path: Path) -> None:
    work, published = _files(tmp_path)
    _add_papers(work, 0, 5000, T0)
    logs: list[str] = []
    publish(work, published, log=logs.append)  # first publish: a copy
    for day in (1, 2, 3):
        _published_day(work, published, logs, day)
    assert any("renamed into place" in line for line in logs)
    work_inode = work.stat().st_ino
    prepare_work_file(work, published, log=logs.append)
    assert work.stat().st_ino == work_inode  # brought up to date in place, not copied
    assert "brought the working file from generation 3 to 4" in logs[-1]
    assert "papers 101" in logs[-1] and "paper_authors 303" in logs[-1]  # a day and the revised paper
    assert _tables(work) == _tables(published)
    revised = dict((r[0], r[1]) for r in _tables(published)["papers"])
    assert revised["2601.00003"] == "revised on day 3"


def test_rows_deleted_and_tables_dropped_since_are_gone_after_catching_up(tmp_path: Path) -> None:
    work, published = _files(tmp_path)
    _add_papers(work, 0, 1000, T0)
    _write(work, "CREATE TABLE scratch AS SELECT 1 AS i")
    _publish_and_catch_up(work, published)
    _write(
        work,
        "DELETE FROM papers WHERE arxiv_id < '2601.00010'",
        "DELETE FROM paper_authors WHERE arxiv_id < '2601.00010'",
        "DROP TABLE scratch",
    )
    _publish_and_catch_up(work, published)
    assert _tables(work) == _tables(published)
    assert len(_tables(work)["papers"]) == 990


def test_a_row_changed_without_a_later_change_time_makes_it_copy_instead(tmp_path: Path) -> None:
    work, published = _files(tmp_path)
    _add_papers(work, 0, 1000, T0)
    _publish_and_catch_up(work, published)
    _add_papers(work, 5, 1, T0 - timedelta(days=1), title="backdated")
    publish(work, published, log=print)
    logs: list[str] = []
    prepare_work_file(work, published, log=logs.append)
    assert "copied the published file" in logs[-1] and "differ in papers" in logs[-1]
    assert _tables(work) == _tables(published)


def test_a_reader_holding_the_previous_file_makes_it_copy_and_keeps_its_view(tmp_path: Path) -> None:
    work, published = _files(tmp_path)
    _add_papers(work, 0, 1000, T0)
    _publish_and_catch_up(work, published)
    _add_papers(work, 5000, 10, T0 + timedelta(days=1))
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('SELECT count(*) FROM papers').fetchone()[0], flush=True); sys.stdin.readline(); "
            "print(c.execute('SELECT count(*) FROM papers').fetchone()[0], flush=True)",
            str(published),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "1000"
        publish(work, published, log=print)  # the reader's file becomes the working file
        logs: list[str] = []
        prepare_work_file(work, published, log=logs.append)
        assert "still open in a reader" in logs[-1]
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "1000"  # the reader still sees what it opened
    finally:
        reader.kill()
        reader.wait()
    assert _tables(work) == _tables(published)
    assert len(_tables(published)["papers"]) == 1010


def test_a_swap_killed_between_its_renames_is_finished_at_the_next_start(tmp_path: Path) -> None:
    work, published = _files(tmp_path)
    _add_papers(work, 0, 100, T0)
    _publish_and_catch_up(work, published)
    _add_papers(work, 500, 10, T0 + timedelta(days=1))
    publish(work, published, log=print)
    left = work.with_name(f".{work.name}.0123456789abcdef.next")
    work.rename(left)  # as if killed after the publish's rename and before the working file's
    logs: list[str] = []
    prepare_work_file(work, published, log=logs.append)
    assert not left.exists()
    assert any("previous published file in place" in line for line in logs)
    assert _tables(work) == _tables(published)


def test_a_file_with_many_free_blocks_is_published_compact_in_the_storage_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(warehouse, "COMPACT_MIN_FREE_BYTES", 0)  # a small file stands for a large one
    work, published = _files(tmp_path)
    filler = "SELECT range AS i, md5(range::VARCHAR) || md5((-range)::VARCHAR) AS s FROM range(300000)"
    _write(work, f"CREATE TABLE filler AS {filler}", "CHECKPOINT")
    _add_papers(work, 0, 50_000, T0)  # after the filler: its blocks are free in the middle of the file
    _write(work, "CHECKPOINT", "DROP TABLE filler", "CHECKPOINT")
    con = duckdb.connect(str(work), read_only=True)
    total, free = con.execute("SELECT total_blocks, free_blocks FROM pragma_database_size()").fetchone()
    con.close()
    assert free / total > 0.5
    logs: list[str] = []
    size_before = work.stat().st_size
    publish(work, published, log=logs.append)
    assert "compacted" in logs[-1]
    con = duckdb.connect(str(published), read_only=True)
    try:
        total, free = con.execute("SELECT total_blocks, free_blocks FROM pragma_database_size()").fetchone()
        assert free <= 0.1 * total
        assert storage_version(con) == f"{STORAGE_VERSION}+"
        assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == 50_000
        assert con.execute(f"SELECT max(generation) FROM {GENERATION_TABLE}").fetchone()[0] == 1
        not_null = con.execute(
            "SELECT is_nullable FROM duckdb_columns() WHERE table_name = 'papers' AND column_name = 'arxiv_id'"
        ).fetchone()[0]
        assert not not_null  # the contract's constraints come along
    finally:
        con.close()
    assert published.stat().st_size < size_before / 2
    _add_papers(work, 90_000, 10, T0 + timedelta(days=1))
    publish(work, published, log=logs.append)  # the working file was compacted too: no second rewrite
    assert "compacted" not in logs[-1] and "renamed into place" in logs[-1]


@pytest.mark.parametrize("step", ["link", "rename"])
def test_a_failed_publish_leaves_the_published_file_as_it_was(
    tmp_path: Path, step: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, published = _files(tmp_path)
    _add_papers(work, 0, 100, T0)
    _publish_and_catch_up(work, published)
    before = _tables(published)
    _add_papers(work, 500, 10, T0 + timedelta(days=1))
    import pipelines.warehouse_sync as sync

    def broken(*args: object) -> None:
        raise OSError(f"{step} failed")

    monkeypatch.setattr(sync.os, "link" if step == "link" else "replace", broken)
    with pytest.raises(OSError) if step == "rename" else nullcontext():
        publish(work, published, log=print)
    monkeypatch.undo()
    if step == "rename":
        assert _tables(published) == before
        assert not list(work.parent.glob(".*.next"))
        prepare_work_file(work, published, log=print)
        assert len(_tables(work)["papers"]) == 110  # the run's work is kept for the next publish
    else:  # no hard link possible: published by copying
        assert len(_tables(published)["papers"]) == 110


def test_a_file_published_before_generations_is_brought_up_to_date_after_the_first_rename(tmp_path: Path) -> None:
    work, published = _files(tmp_path)
    _add_papers(work, 0, 100, T0)
    shutil.copyfile(work, published)  # as publishing by copying left them: no generation in either
    _add_papers(work, 500, 10, T0 + timedelta(days=1))
    logs: list[str] = []
    publish(work, published, log=logs.append)
    assert "renamed into place" in logs[-1]
    prepare_work_file(work, published, log=logs.append)
    assert "brought the working file from generation None to 1" in logs[-1]
    assert _tables(work) == _tables(published)


def test_a_catch_up_that_fails_copies_the_published_file_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work, published = _files(tmp_path)
    _add_papers(work, 0, 100, T0)
    _publish_and_catch_up(work, published)
    _add_papers(work, 500, 10, T0 + timedelta(days=1))
    publish(work, published, log=print)
    import pipelines.warehouse_sync as sync

    def broken(con: duckdb.DuckDBPyConnection, work: str, name: str) -> int:
        con.execute("SELECT * FROM no_such_table")
        return 0

    monkeypatch.setattr(sync, "_sync_keyed", broken)
    logs: list[str] = []
    prepare_work_file(work, published, log=logs.append)
    assert "bringing it up to date failed" in logs[-1] and "copied the published file" in logs[-1]
    assert _tables(work) == _tables(published)
