"""The snapshot asset records its runs, failed ones included, in ingest_runs."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

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


@pytest.mark.slow
def test_a_file_with_many_rejected_lines_blocks_publishing_and_names_the_file(
    tmp_path: Path, corpus_slice: Path, monkeypatch
) -> None:
    import hashlib
    import json
    import shutil

    from tests.test_refresh import _env, _run_snapshot_job

    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    shutil.copyfile(corpus_slice / "arxiv-2025-06.jsonl.gz", snapshot / "arxiv-2025-06.jsonl.gz")
    env = _env(tmp_path, snapshot)
    assert _run_snapshot_job(monkeypatch, env).success
    published = Path(env["WAREHOUSE_PATH"])
    before = hashlib.sha256(published.read_bytes()).hexdigest()

    good = [
        json.dumps({"id": f"2507.{i:05d}", "title": f"T{i}", "authors": "A", "categories": "cs.AI"}) for i in range(18)
    ]
    (snapshot / "late.jsonl").write_text("\n".join([*good, "{broken", '{"id": 7}']) + "\n")  # 2 of 20 rejected
    result = _run_snapshot_job(monkeypatch, env)
    assert not result.success
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    failed = checks["snapshot_rejects_are_rare"]
    assert not failed.passed
    assert "late.jsonl: 2 of 20 lines rejected (10.0%)" in failed.description
    assert not [
        e
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key == dg.AssetKey("published_warehouse")
    ]
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before

    # Still blocked on the next run (the file is known, so it is not read again) ...
    assert not _run_snapshot_job(monkeypatch, env).success

    def late_papers() -> int:
        con = duckdb.connect(str(published), read_only=True)
        try:
            return con.execute("SELECT count(*) FROM papers WHERE arxiv_id LIKE '2507.%'").fetchone()[0]
        finally:
            con.close()

    # ... until the file is removed: then none of its records are published (none were loaded) ...
    (snapshot / "late.jsonl").unlink()
    assert _run_snapshot_job(monkeypatch, env).success
    assert late_papers() == 0
    # ... or fixed.
    (snapshot / "late.jsonl").write_text("\n".join(good) + "\n")
    assert _run_snapshot_job(monkeypatch, env).success
    assert late_papers() == 18
