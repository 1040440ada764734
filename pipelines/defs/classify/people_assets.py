"""Where authors worked: conference author records classed by organisation (pipelines/lib/people.py).

The per-person table `author_places` is kept in a private DuckDB file beside the working warehouse
(WarehouseResource.people_path, never published): its source allows aggregate use only. The warehouse gets what is
safe to publish: how much of the input got a class (`affiliation_coverage`) and the organisations most often left
unclassified (`unclassified_organizations`), so the organisations seed can grow.
"""

from datetime import datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from pipelines import inputs, settings
from pipelines.lib.people import PLACES_SCHEMA, aggregate_places, classify_records, coverage
from pipelines.resources import WarehouseResource
from pipelines.warehouse import connect, replace_table, table_exists, write_table

PLACES_TABLE = "author_places"


def load_places(people_path: Path) -> pl.DataFrame:
    """author_places from the private file; empty when it was never built."""
    if not people_path.is_file():
        return pl.DataFrame(schema=PLACES_SCHEMA)
    con = duckdb.connect(str(people_path), read_only=True)
    try:
        if not table_exists(con, PLACES_TABLE):
            return pl.DataFrame(schema=PLACES_SCHEMA)
        return con.sql(f"SELECT * FROM {PLACES_TABLE}").pl()
    finally:
        con.close()


@dg.asset(
    group_name="classify",
    kinds={"duckdb", "polars"},
    description="Conference author records (AFFILIATIONS_FILE) and Epoch model-report authors (EPOCH_MODELS_FILE) "
    "as places classed by organisation: per person in "
    "the private file data/work/people.duckdb (author_places, never published); in the warehouse only "
    "affiliation_coverage and the 50 organisations most often left unclassified.",
)
def author_places(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    path, epoch = settings.affiliations_path(), settings.epoch_models_path()
    records = inputs.affiliation_records()
    if path.is_file() or epoch.is_file():
        classed = classify_records(records, inputs.organizations())
        places = aggregate_places(classed)
        stats, unclassified = coverage(classed)
    else:
        context.log.warning(f"no affiliation records: neither {path} nor {epoch} found; origin from people skipped")
        places = pl.DataFrame(schema=PLACES_SCHEMA)
        stats, unclassified = (
            {"slots": 0, "classed_slots": 0, "classed_share": 0.0},
            pl.DataFrame(schema={"organization": pl.String, "n_slots": pl.UInt32, "n_names": pl.UInt32}),
        )
    private = warehouse.people_path
    con = connect(private, memory_limit=warehouse.memory_limit)
    try:
        con.execute("BEGIN TRANSACTION")
        replace_table(con, PLACES_TABLE, places)
        con.execute("COMMIT")
    finally:
        con.close()
    now = datetime.now()
    with warehouse.transaction() as con:
        write_table(
            con,
            "affiliation_coverage",
            pl.DataFrame({"metric": list(stats), "value": [float(v) for v in stats.values()]}).with_columns(
                source=pl.lit(f"{path.name} + {epoch.name}"), computed_at=pl.lit(now)
            ),
            context.run_id,
        )
        write_table(
            con, "unclassified_organizations", unclassified.with_columns(computed_at=pl.lit(now)), context.run_id
        )
    context.log.info(
        f"author_places: {stats['slots']:,} author slots, {stats['classed_share']:.1%} with a class; "
        f"{places.select('name_normalized').n_unique():,} names"
    )
    return dg.MaterializeResult(
        metadata={
            "source": str(path),
            "places": places.height,
            **stats,
            "top_unclassified": dg.MetadataValue.md(
                "\n".join(
                    f"- {r['organization']} ({r['n_slots']})" for r in unclassified.head(15).iter_rows(named=True)
                )
            ),
        }
    )
