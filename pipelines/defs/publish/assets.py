"""The last step of every refresh: the working warehouse copied over the published file that users read."""

import dagster as dg
import duckdb

from pipelines.resources import WarehouseResource
from pipelines.search_index import update_search_index
from pipelines.warehouse import connect, storage_version, table_exists

# The tables at the ends of the graph; every other table of a refresh is upstream of one of them.
FINAL_TABLES = [
    "claims_check",
    "classifier_accuracy",
    "lab_share_yearly",
    "origin_shares_yearly",
    "papers_per_fte_yearly",
    "safety_papers_by_organization_monthly",
    "safety_papers_by_topic_monthly",
    "topic_growth",
]


def publish_blockers(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Why the working file must not be published (a run left it half-built, or a refused file is pending); the
    same conditions the blocking checks test, so materialising this asset alone cannot skip them."""
    blockers = []
    n_papers = con.execute("SELECT count(*) FROM papers").fetchall()[0][0]
    if n_papers and not table_exists(con, "paper_classification"):
        blockers.append(f"{n_papers:,} papers and no paper_classification")
    elif n_papers:
        unclassified = con.execute(
            "SELECT count(*) FROM papers ANTI JOIN paper_classification USING (arxiv_id)"
        ).fetchall()[0][0]
        if unclassified:
            blockers.append(f"{unclassified:,} papers are not classified yet")
    refused = con.execute(
        """SELECT list(file_name ORDER BY file_name) FROM snapshot_files
        WHERE refused AND seen_in_load = (SELECT max(seen_in_load) FROM snapshot_files)"""
    ).fetchall()[0][0]
    if refused:
        blockers.append(f"snapshot files refused (too many rejected lines): {', '.join(refused)}")
    return blockers


@dg.asset(
    group_name="publish",
    kinds={"duckdb"},
    deps=[dg.AssetDep(name) for name in FINAL_TABLES],
    description="data/warehouse.duckdb (WAREHOUSE_PATH): the working file, checkpointed and put in the published "
    "one's place atomically (renamed, or a compact copy when it has many free blocks). It runs only when every "
    "step upstream succeeded and no blocking check failed, so readers never see a failed or half-finished run. "
    "Then the explorer's full-text index beside it (data/warehouse.search/) takes in the papers published since "
    "its last update.",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.transaction() as con:
        blockers = publish_blockers(con)
    if blockers:
        raise dg.Failure(
            description="not published: " + "; ".join(blockers) + ". Run the whole refresh job (snapshot_refresh_job "
            "or downstream_refresh_job), not published_warehouse alone.",
            metadata={"blockers": blockers},
        )
    path = warehouse.publish(log=context.log.info)
    update_search_index(path, log=context.log.info)
    con = connect(path, read_only=True, memory_limit="1GB")
    try:
        version = storage_version(con)
        tables = con.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT temporary").fetchone()[0]
    finally:
        con.close()
    context.log.info(f"published {path}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "size_bytes": path.stat().st_size,
            "tables": tables,
            "storage_version": version,
        }
    )
