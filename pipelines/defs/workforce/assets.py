"""Who works on AI safety: published headcount estimates, AI Watch position records, growth fits, author counts."""

import dagster as dg
import polars as pl

from pipelines import inputs, settings
from pipelines.cells import paper_cells
from pipelines.lib import estimates, growth, metrics, positions
from pipelines.resources import WarehouseResource
from pipelines.warehouse import write_table

FIT_FIRST_YEAR = 2010
POSITIONS_SCHEMA = {"year": pl.Int32, "org_type": pl.String, "role": pl.String, "n_people": pl.Int64}


@dg.asset(
    group_name="workforce",
    kinds={"duckdb", "csv"},
    description="Published field-size estimates from seeds/field_size_estimates.csv: year, scope, low/central/high, "
    "unit and source of every figure.",
)
def field_size_estimates(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    frame = inputs.estimates()
    with warehouse.transaction() as con:
        write_table(con, "field_size_estimates", frame, context.run_id)
    return dg.MaterializeResult(
        metadata={
            "rows": frame.height,
            "sources": frame["source_title"].n_unique(),
            "path": str(inputs.estimates_path()),
        }
    )


def _position_spans() -> tuple[pl.DataFrame | None, int | None]:
    raw = inputs.positions()
    if raw is None:
        return None, None
    as_of = positions.as_of_year(raw)
    org_types = positions.organization_types(raw["organization"], inputs.organizations())
    return positions.position_spans(raw, org_types, as_of=as_of), as_of


@dg.asset(
    group_name="workforce",
    kinds={"duckdb", "csv"},
    description="People in AI-safety positions per year (AI Watch records; AIWATCH_POSITIONS overrides the path), "
    "by organisation type and technical / non-technical role; each person once per year.",
)
def workforce_positions_yearly(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    spans, as_of = _position_spans()
    if spans is None:
        context.log.warning(f"no position records at {settings.positions_path()}; writing an empty table")
        frame = pl.DataFrame(schema=POSITIONS_SCHEMA)
    else:
        frame = positions.people_per_year(spans)
    with warehouse.transaction() as con:
        write_table(con, "workforce_positions_yearly", frame, context.run_id)
    meta = {"rows": frame.height, "path": str(settings.positions_path()), "as_of_year": as_of}
    if spans is not None:
        meta |= {"positions_counted": spans.height, "open_ended_share": float(spans["open_ended"].mean() or 0.0)}
    return dg.MaterializeResult(metadata=meta)


def growth_points(
    people: pl.DataFrame, organizations: pl.DataFrame | None, estimate_rows: pl.DataFrame, last_year: int | None
) -> pl.DataFrame:
    """series, year, value for every fitted series: AI Watch totals (FIT_FIRST_YEAR to the last complete year) and
    each published estimate series (pooled central per year; forecasts and percentages excluded)."""
    window = pl.col("year").is_between(FIT_FIRST_YEAR, last_year if last_year is not None else 9999)
    parts = [
        people.filter(window).group_by("year").agg(pl.col("n_people").sum().cast(pl.Float64).alias("value"))
        .with_columns(pl.lit("aiwatch_positions_total").alias("series")),
        people.filter(window & (pl.col("role") == "technical")).group_by("year")
        .agg(pl.col("n_people").sum().cast(pl.Float64).alias("value"))
        .with_columns(pl.lit("aiwatch_positions_technical").alias("series")),
    ]  # fmt: skip
    if organizations is not None:
        parts.append(
            organizations.filter(window).select(
                pl.lit("aiwatch_organizations").alias("series"),
                "year",
                pl.col("n_organizations").cast(pl.Float64).alias("value"),
            )
        )
    countable = estimate_rows.filter(
        ~pl.col("unit").str.contains("(?i)forecast|percent|%") & pl.col("scope").is_not_null()
    )
    for scope in estimates.SCOPES:
        units = tuple(countable.filter(pl.col("scope") == scope)["unit"].unique().to_list())
        if units:
            pooled = estimates.pooled_series(countable, scope=scope, units=units)
            parts.append(pooled.select("series", "year", pl.col("central").alias("value")))
    frames = [p.select("series", pl.col("year").cast(pl.Int32), "value") for p in parts]
    return pl.concat(frames).drop_nulls().sort("series", "year")


@dg.asset(
    group_name="workforce",
    kinds={"duckdb", "numpy"},
    deps=[field_size_estimates, workforce_positions_yearly],
    description="Exponential growth fits (OLS on log counts, 95% interval) for AI Watch people, technical people "
    "and organisations per year, and for each published estimate series with at least 3 years.",
)
def workforce_growth_fit(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    people = warehouse.read("SELECT * FROM workforce_positions_yearly")
    estimate_rows = warehouse.read("SELECT * FROM field_size_estimates")
    spans, as_of = _position_spans()
    organizations = positions.organizations_per_year(spans) if spans is not None else None
    points = growth_points(people, organizations, estimate_rows, as_of - 1 if as_of else None)
    frame = growth.fit_series(points)
    with warehouse.transaction() as con:
        write_table(con, "workforce_growth_fit", frame, context.run_id)
    return dg.MaterializeResult(metadata={"rows": frame.height, "series": ", ".join(frame["series"].to_list())})


@dg.asset(
    group_name="workforce",
    kinds={"duckdb"},
    deps=[
        dg.AssetDep("paper_classification"),
        dg.AssetDep("arxiv_snapshot_category_counts"),
        dg.AssetDep("arxiv_api_category_counts"),
    ],
    description="Distinct authors (normalised names) active in the 24 months to each year-end: safety authors "
    "(>= 1 paper active, >= 2 core), AI authors, and the safety share, for covered years.",
)
def workforce_authors_yearly(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.transaction() as con:
        cells = paper_cells(con, warehouse)
        month_counts = con.sql("SELECT category, month, n_papers, source, counted_at FROM category_month_counts").pl()
        years = sorted(set(metrics.covered_months(month_counts, cells)["month"].dt.year().to_list()))
        frame = metrics.workforce_authors_yearly(con, inputs.ai_categories(), years)
        write_table(con, "workforce_authors_yearly", frame, context.run_id)
    return dg.MaterializeResult(metadata={"rows": frame.height, "years": ", ".join(map(str, years))})
