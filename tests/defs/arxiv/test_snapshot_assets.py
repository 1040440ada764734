"""The snapshot asset records its runs, failed ones included, in ingest_runs."""

from pathlib import Path

import dagster as dg
import duckdb

from pipelines.defs.arxiv.snapshot_assets import arxiv_snapshot_papers
from pipelines.resources import SnapshotResource, WarehouseResource


def test_a_failed_snapshot_load_leaves_a_failed_run_row(tmp_path: Path, warehouse: WarehouseResource) -> None:
    result = dg.materialize(
        [arxiv_snapshot_papers],
        resources={"warehouse": warehouse, "snapshot": SnapshotResource(path=str(tmp_path / "missing"))},
        raise_on_error=False,
    )
    assert not result.success
    con = duckdb.connect(warehouse.work_path, read_only=True)
    try:
        rows = con.execute("SELECT outcome, message FROM ingest_runs").fetchall()
        papers = con.execute("SELECT count(*) FROM papers").fetchall()
    finally:
        con.close()
    assert len(rows) == 1 and rows[0][0] == "failed"
    assert "does not exist" in rows[0][1]
    assert papers == [(0,)]
