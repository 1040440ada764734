"""Assets that load the bulk JSON-lines snapshot: papers and authors, and the per-category denominators."""

from datetime import datetime
from pathlib import Path

import dagster as dg

from pipelines.defs.arxiv.run_records import record_failure
from pipelines.ingest import RunRecord
from pipelines.inputs import ai_categories
from pipelines.lib.category_counts import snapshot_category_counts_sql
from pipelines.resources import SnapshotResource, WarehouseResource
from pipelines.snapshot import load_snapshot


class SnapshotLoadConfig(dg.Config):
    # reread files already loaded (same name and content); unchanged records stay as they are
    force_reload: bool = False


@dg.asset(
    group_name="arxiv",
    kinds={"duckdb", "json"},
    description="Every record of the bulk snapshot, upserted into `papers` and `paper_authors` by arxiv_id. "
    "Files already loaded (same name inside the snapshot folder, same SHA-256) are skipped: a daily file costs its "
    "own load and a hash of each file.",
)
def arxiv_snapshot_papers(
    context: dg.AssetExecutionContext,
    config: SnapshotLoadConfig,
    warehouse: WarehouseResource,
    snapshot: SnapshotResource,
) -> dg.MaterializeResult:
    run = RunRecord(run_id=context.run_id, asset="arxiv_snapshot_papers", source="arxiv_snapshot")
    with record_failure(context, warehouse, run), warehouse.transaction() as con:
        load_snapshot(con, Path(snapshot.path), run, log=context.log.info, force=config.force_reload)
        run.write(con, "success")
        n_papers = con.execute("SELECT count(*) FROM papers").fetchone()[0]
    c = run.counts
    return dg.MaterializeResult(
        metadata={
            "source": snapshot.path,
            "read": run.n_read,
            "inserted": c.inserted,
            "updated": c.updated,
            "unchanged": c.unchanged + c.older,
            "rejected": run.n_rejected,
            "papers_total": n_papers,
        }
    )


@dg.asset(
    group_name="arxiv",
    kinds={"duckdb"},
    deps=[arxiv_snapshot_papers],
    description="category_month_counts rows counted from snapshot papers: per category and month, and 'ALL_AI', "
    "the distinct papers in any AI category of seeds/arxiv_queries.yaml (the safety-share denominator).",
)
def arxiv_snapshot_category_counts(warehouse: WarehouseResource) -> dg.MaterializeResult:
    sql, params = snapshot_category_counts_sql(ai_categories())
    with warehouse.transaction() as con:
        con.execute("DELETE FROM category_month_counts WHERE source = 'arxiv_snapshot'")
        con.execute(
            f"""INSERT INTO category_month_counts
            SELECT category, month, n_papers, n_primary, 'arxiv_snapshot', ?::TIMESTAMP FROM ({sql})""",
            [datetime.now(), *params],
        )
        n_rows, n_months = con.execute(
            "SELECT count(*), count(DISTINCT month) FROM category_month_counts WHERE source = 'arxiv_snapshot'"
        ).fetchone()
    return dg.MaterializeResult(metadata={"rows": n_rows, "months": n_months})
