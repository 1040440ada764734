"""Checks on the ingested papers: one row per id, a title on every row, few rejected records."""

import dagster as dg

from pipelines.defs.arxiv.snapshot_assets import arxiv_snapshot_category_counts, arxiv_snapshot_papers
from pipelines.resources import WarehouseResource
from pipelines.snapshot import MAX_FILE_REJECT_SHARE


@dg.asset_check(asset=arxiv_snapshot_papers, blocking=True, description="Every arxiv_id appears once in papers.")
def papers_have_unique_ids(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        n, distinct = con.execute("SELECT count(*), count(DISTINCT arxiv_id) FROM papers").fetchone()
    return dg.AssetCheckResult(passed=n == distinct, metadata={"rows": n, "distinct_ids": distinct})


@dg.asset_check(asset=arxiv_snapshot_papers, description="Each author row belongs to a stored paper.")
def paper_authors_belong_to_papers(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        orphans = con.execute("SELECT count(*) FROM paper_authors a ANTI JOIN papers p USING (arxiv_id)").fetchone()[0]
    return dg.AssetCheckResult(passed=orphans == 0, metadata={"orphan_author_rows": orphans})


WARN_REJECT_SHARE = 0.01

_CURRENT_FILES_SQL = """
    SELECT file_name, n_lines, n_rejected, complete, refused, error FROM snapshot_files
    WHERE seen_in_load = (SELECT max(seen_in_load) FROM snapshot_files)
    ORDER BY file_name
"""


@dg.asset_check(
    asset=arxiv_snapshot_papers,
    blocking=True,
    description=f"No file of the snapshot was refused (more than {MAX_FILE_REJECT_SHARE:.0%} of its lines rejected, "
    "or a failed gzip checksum): that blocks publishing until the file is fixed or removed. Warns when over 1% of "
    "all lines are rejected.",
)
def snapshot_rejects_are_rare(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    files = warehouse.read(_CURRENT_FILES_SQL)
    if files.is_empty():
        return dg.AssetCheckResult(passed=True, metadata={"files": 0})
    lines, rejected = int(files["n_lines"].sum()), int(files["n_rejected"].sum())
    share = rejected / lines if lines else 0.0
    refused = [
        f"{row['file_name']}: {row['n_rejected']:,} of {row['n_lines']:,} lines rejected "
        f"({row['n_rejected'] / max(row['n_lines'], 1):.1%})" + (f", {row['error']}" if row["error"] else "")
        for row in files.iter_rows(named=True)
        if row["refused"]
    ]
    metadata = {"files": files.height, "lines": lines, "rejected": rejected, "rejected_share": share}
    if refused:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description="not published: refused (none of its records loaded) "
            + "; ".join(refused)
            + ". See rejected_records for the lines and reasons; fix or remove the file, then refresh.",
            metadata={**metadata, "refused_files": refused},
        )
    return dg.AssetCheckResult(passed=share < WARN_REJECT_SHARE, severity=dg.AssetCheckSeverity.WARN, metadata=metadata)


@dg.asset_check(
    asset=arxiv_snapshot_papers,
    description="Every file of the snapshot was read to its end (a truncated or corrupt file loads the lines before "
    "the damage and is read again once its content changes).",
)
def snapshot_files_are_complete(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    files = warehouse.read(_CURRENT_FILES_SQL)
    damaged = [f"{row['file_name']} ({row['error']})" for row in files.iter_rows(named=True) if not row["complete"]]
    return dg.AssetCheckResult(
        passed=not damaged,
        description=("incomplete: " + "; ".join(damaged)) if damaged else None,
        metadata={"files": files.height, "incomplete": damaged},
    )


@dg.asset_check(
    asset=arxiv_snapshot_category_counts,
    description="Every month with papers has an ALL_AI count (0 when none of its papers is in an AI category, as in "
    "the years before AI categories existed).",
)
def every_month_has_a_denominator(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        missing = [
            str(m)
            for (m,) in con.execute(
                """SELECT DISTINCT date_trunc('month', published_date)::DATE AS m FROM papers
                WHERE published_date IS NOT NULL AND date_trunc('month', published_date)::DATE NOT IN
                    (SELECT month FROM category_month_counts WHERE category = 'ALL_AI')
                ORDER BY m"""
            ).fetchall()
        ]
    return dg.AssetCheckResult(
        passed=not missing,
        metadata={"months_without_denominator": len(missing), "first_months_without": missing[:12]},
    )
