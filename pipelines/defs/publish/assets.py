"""The last step of every refresh: the working warehouse copied over the published file that users read."""

import dagster as dg

from pipelines.resources import WarehouseResource
from pipelines.warehouse import connect, storage_version

# The tables at the ends of the graph; every other table of a refresh is upstream of one of them.
FINAL_TABLES = [
    "claims_check",
    "classifier_accuracy",
    "lab_share_yearly",
    "papers_per_fte_yearly",
    "safety_papers_by_topic_monthly",
    "topic_growth",
]


@dg.asset(
    group_name="publish",
    kinds={"duckdb"},
    deps=[dg.AssetDep(name) for name in FINAL_TABLES],
    description="data/warehouse.duckdb (WAREHOUSE_PATH): the working file, checkpointed and copied over the "
    "published one atomically. It runs only when every step upstream succeeded and no blocking check failed, "
    "so readers never see a failed or half-finished run.",
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    path = warehouse.publish()
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
