"""Checks on the ingested papers: one row per id, a title on every row, few rejected records."""

import dagster as dg

from pipelines.defs.arxiv.snapshot_assets import arxiv_snapshot_category_counts, arxiv_snapshot_papers
from pipelines.resources import WarehouseResource


@dg.asset_check(asset=arxiv_snapshot_papers, blocking=True, description="Every arxiv_id appears once in papers.")
def papers_have_unique_ids(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT arxiv_id) FROM papers").fetchone()
    return dg.AssetCheckResult(passed=n == distinct, metadata={"rows": n, "distinct_ids": distinct})


@dg.asset_check(asset=arxiv_snapshot_papers, description="Each author row belongs to a stored paper.")
def paper_authors_belong_to_papers(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        orphans = con.execute(
            "SELECT count(*) FROM paper_authors a ANTI JOIN papers p USING (arxiv_id)"
        ).fetchone()[0]
    return dg.AssetCheckResult(passed=orphans == 0, metadata={"orphan_author_rows": orphans})


@dg.asset_check(
    asset=arxiv_snapshot_papers,
    description="The last snapshot load rejected under 1% of the records it read (warns above).",
)
def snapshot_rejects_are_rare(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        row = con.execute(
            """SELECT n_read, n_rejected FROM ingest_runs
            WHERE asset = 'arxiv_snapshot_papers' AND outcome = 'success'
            ORDER BY finished_at DESC LIMIT 1"""
        ).fetchone()
    n_read, n_rejected = row if row else (0, 0)
    share = n_rejected / n_read if n_read else 0.0
    return dg.AssetCheckResult(
        passed=share < 0.01,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"read": n_read, "rejected": n_rejected, "rejected_share": share},
    )


@dg.asset_check(asset=arxiv_snapshot_category_counts, description="Every month with papers has an ALL_AI count.")
def every_month_has_a_denominator(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        missing = con.execute(
            """SELECT count(DISTINCT date_trunc('month', published_date)) FROM papers
            WHERE published_date IS NOT NULL AND date_trunc('month', published_date)::DATE NOT IN
                (SELECT month FROM category_month_counts WHERE category = 'ALL_AI')"""
        ).fetchone()[0]
    return dg.AssetCheckResult(passed=missing == 0, metadata={"months_without_denominator": missing})
