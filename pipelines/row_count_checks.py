"""The check every written table gets: its row count against the previous run's (table_row_counts, which
warehouse.write_table appends to). Shared by the marts and workforce definitions."""

import dagster as dg
import polars as pl

from pipelines.resources import WarehouseResource
from pipelines.warehouse import table_exists

MAX_ROW_DROP = 0.5  # a table losing more than half its rows since the previous run warns


def row_count_change(history: pl.DataFrame, max_drop: float = MAX_ROW_DROP) -> dict:
    """Compare the latest two counts of one table (history: n_rows, counted_at)."""
    ordered = history.sort("counted_at", descending=True)["n_rows"].to_list()
    if not ordered:
        return {"passed": False, "current": None, "previous": None, "explanation": "never counted"}
    current = ordered[0]
    previous = ordered[1] if len(ordered) > 1 else None
    if previous is None:
        return {"passed": current > 0, "current": current, "previous": None, "explanation": "first run"}
    passed = current >= previous * (1 - max_drop) and not (previous > 0 and current == 0)
    return {
        "passed": passed,
        "current": current,
        "previous": previous,
        "explanation": f"{current} rows now, {previous} in the previous run",
    }


def row_count_check(table: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=table,
        name=f"{table}_row_count_vs_previous_run",
        description=f"Rows now against the previous run (table_row_counts): warns when empty or down more than "
        f"{MAX_ROW_DROP:.0%}.",
    )
    def check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.transaction() as con:
            exists = table_exists(con, "table_row_counts")
            history = (
                con.sql(
                    "SELECT n_rows, counted_at FROM table_row_counts WHERE table_name = ? "
                    "ORDER BY counted_at DESC LIMIT 2",
                    params=[table],
                ).pl()
                if exists
                else pl.DataFrame(schema={"n_rows": pl.Int64, "counted_at": pl.Datetime})
            )
        result = row_count_change(history)
        return dg.AssetCheckResult(
            passed=result["passed"],
            severity=dg.AssetCheckSeverity.WARN,
            description=result["explanation"],
            metadata={"rows": result["current"], "previous_rows": result["previous"]},
        )

    return check
