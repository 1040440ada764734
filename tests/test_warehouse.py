"""The working and published files: what a run finds at its start, and what older DuckDB clients can open."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines import settings
from pipelines.defs.workforce.assets import field_size_estimates
from pipelines.resources import WarehouseResource
from pipelines.warehouse import (
    STORAGE_VERSION,
    WarehouseCorrupt,
    connect,
    ensure_schema,
    prepare_work_file,
    storage_version,
)

README = settings.PROJECT_ROOT / "README.md"
DUCKDB_CLI = settings.PROJECT_ROOT / ".venv" / "bin" / "duckdb"


def _materialize(warehouse: WarehouseResource) -> dg.ExecuteInProcessResult:
    return dg.materialize([field_size_estimates], resources={"warehouse": warehouse}, raise_on_error=False)


def _estimates(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM field_size_estimates").fetchone()[0]
    finally:
        con.close()


def test_a_new_working_file_is_written_in_the_published_storage_version(warehouse: WarehouseResource) -> None:
    assert _materialize(warehouse).success
    con = duckdb.connect(warehouse.work_path, read_only=True)
    try:
        assert storage_version(con) == f"{STORAGE_VERSION}+"
    finally:
        con.close()


def test_a_working_file_in_a_newer_storage_format_is_rewritten_with_its_data(tmp_path: Path) -> None:
    work = tmp_path / "work.duckdb"
    con = duckdb.connect(str(work))  # DuckDB's default: the writer's own, newest format
    con.execute("CREATE TABLE kept AS SELECT range AS i FROM range(1000)")
    assert storage_version(con) != f"{STORAGE_VERSION}+"
    con.close()
    logs: list[str] = []
    prepare_work_file(work, tmp_path / "published.duckdb", log=logs.append)
    con = duckdb.connect(str(work), read_only=True)
    try:
        assert storage_version(con) == f"{STORAGE_VERSION}+"
        assert con.execute("SELECT count(*), sum(i) FROM kept").fetchone() == (1000, 499500)
    finally:
        con.close()
    assert any("rewrote" in line for line in logs)


def test_half_copied_files_of_an_interrupted_publish_are_removed_at_the_next_start(
    warehouse: WarehouseResource,
) -> None:
    published = Path(warehouse.published_path)
    published.parent.mkdir(parents=True, exist_ok=True)
    stale = published.with_name(f".{published.name}.0123456789abcdef.tmp")
    stale.write_bytes(b"x" * 4096)
    unrelated = published.with_name("notes.tmp")
    unrelated.write_text("mine")
    assert _materialize(warehouse).success
    assert not stale.exists()
    assert unrelated.exists()


def test_a_corrupt_working_file_is_set_aside_and_rebuilt_from_the_published_one(
    warehouse: WarehouseResource, capfd: pytest.CaptureFixture[str]
) -> None:
    assert _materialize(warehouse).success
    warehouse.publish()
    work = Path(warehouse.work_path)
    work.write_bytes(os.urandom(64 * 1024))
    result = _materialize(warehouse)
    assert result.success
    aside = list(work.parent.glob("warehouse.duckdb.corrupt-*"))
    assert len(aside) == 1
    assert _estimates(work) == _estimates(Path(warehouse.published_path)) > 0
    logged = capfd.readouterr().err
    assert "the working file could not be read" in logged and "rebuilt it from the published" in logged


def test_a_corrupt_working_file_with_nothing_published_says_what_to_do(tmp_path: Path) -> None:
    work = tmp_path / "work" / "warehouse.duckdb"
    work.parent.mkdir()
    work.write_bytes(b"not a database")
    with pytest.raises(WarehouseCorrupt, match="run the refresh again to rebuild it from the sources"):
        prepare_work_file(work, tmp_path / "warehouse.duckdb", log=print)
    assert not work.exists()
    # the next run starts from an empty file
    prepare_work_file(work, tmp_path / "warehouse.duckdb", log=print)


def _readme_query_command() -> str:
    block = re.search(r"## Query the warehouse\s+```sh\n(.+?)\n```", README.read_text(), flags=re.S)
    assert block, "README has no query example"
    return block.group(1).strip()


def test_the_readmes_query_command_runs_as_written(tmp_path: Path, warehouse: WarehouseResource) -> None:
    """The DuckDB CLI the project installs (older than the writer) opens the published file."""
    command = _readme_query_command()
    assert command.startswith(".venv/bin/duckdb -readonly data/warehouse.duckdb ")
    con = connect(Path(warehouse.work_path))
    try:
        con.execute("CREATE TABLE neglectedness_monthly AS SELECT DATE '2025-06-01' AS month, 0.021 AS share_narrow")
    finally:
        con.close()
    warehouse.publish()
    project = tmp_path / "checkout"
    (project / "data").mkdir(parents=True)
    (project / ".venv").symlink_to(settings.PROJECT_ROOT / ".venv")
    os.replace(warehouse.published_path, project / "data" / "warehouse.duckdb")
    done = subprocess.run(["bash", "-c", command], cwd=project, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "2025-06-01" in done.stdout and "0.021" in done.stdout
    version = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True, timeout=30).stdout
    assert version.startswith("v1."), version  # an older client than the writer's DuckDB 2


def test_a_busy_working_file_is_never_taken_for_a_corrupt_one(tmp_path: Path) -> None:
    """A lock error names the file's path, and a path may contain a corruption marker ('checksum')."""
    folder = tmp_path / "checksums"
    folder.mkdir()
    work, published = folder / "warehouse.duckdb", folder / "published.duckdb"
    con = duckdb.connect(str(work))
    con.execute("CREATE TABLE kept AS SELECT 1 AS i")
    con.close()
    shutil.copyfile(work, published)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(work)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException, match="lock"):
            prepare_work_file(work, published, log=print)
    finally:
        holder.kill()
        holder.wait()
    assert not list(folder.glob("*.corrupt-*"))
    assert work.exists()


def test_published_warehouse_alone_refuses_a_half_built_working_file(warehouse: WarehouseResource) -> None:
    from pipelines.defs.publish.assets import published_warehouse

    con = connect(Path(warehouse.work_path))
    try:
        ensure_schema(con)
        con.execute(
            "INSERT INTO papers (arxiv_id, title, source, source_detail, ingested_at) "
            "VALUES ('2501.00001', 'T', 'arxiv_snapshot', 'f:1', now())"
        )
    finally:
        con.close()
    result = dg.materialize([published_warehouse], resources={"warehouse": warehouse}, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "1 papers and no paper_classification" in str(failure.event_specific_data)
    assert not Path(warehouse.published_path).exists()


def test_write_table_replaces_the_table_and_logs_its_row_count() -> None:
    from pipelines.warehouse import table_exists, write_table

    con = duckdb.connect()
    table = "workforce_positions_yearly"
    assert not table_exists(con, table) and not table_exists(con, "table_row_counts")
    rows = {"year": [2020, 2021], "org_type": ["academic"] * 2, "role": ["technical"] * 2, "n_people": [3, 4]}
    assert write_table(con, table, pl.DataFrame(rows), "run-1") == 2
    assert write_table(con, table, pl.DataFrame(rows).tail(1), "run-2") == 1
    assert con.sql(f"SELECT year FROM {table}").fetchall() == [(2021,)]
    counts = con.sql(f"SELECT run_id, n_rows FROM table_row_counts WHERE table_name = '{table}' ORDER BY counted_at")
    assert counts.fetchall() == [("run-1", 2), ("run-2", 1)]
    assert table_exists(con, table)
