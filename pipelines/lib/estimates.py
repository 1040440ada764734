"""Published field-size estimates (seeds/field_size_estimates.csv, read by pipelines.inputs): tidy, validate, and
turn into series.

One row per published figure: the year it describes, its scope, low/central/high where the source gives them,
the unit, and where it comes from. A "series" is every figure one author published for one scope and unit
(e.g. Stephen McAleese's technical FTE counts for 2015, 2022 and 2025); interpolation and growth fits only ever
connect points of the same series.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

SCOPES = ("technical", "non_technical", "total", "other")
SCHEMA: dict[str, pl.DataType] = {
    "year": pl.Int32(),
    "scope": pl.String(),
    "low": pl.Float64(),
    "central": pl.Float64(),
    "high": pl.Float64(),
    "unit": pl.String(),
    "source_title": pl.String(),
    "author": pl.String(),
    "url": pl.String(),
    "method_note": pl.String(),
}
MIN_YEAR = 2010
# Headcount units that mean "people working on it (full-time equivalent)"; forecasts and counts of
# organisations, papers or growth rates are kept out of headcount series.
HEADCOUNT_UNITS = ("FTE",)


def parse_estimates(frame: pl.DataFrame) -> pl.DataFrame:
    """The seed as read with SCHEMA (the table's exact column types), blank cells as nulls."""
    return frame.with_columns(pl.col(pl.String).str.strip_chars().replace("", None))


def range_violations(estimates: pl.DataFrame) -> pl.DataFrame:
    """Rows where low <= central <= high fails for the values that are present."""
    low, central, high = pl.col("low"), pl.col("central"), pl.col("high")
    bad = (low > central).fill_null(False) | (central > high).fill_null(False) | (low > high).fill_null(False)
    return estimates.filter(bad)


def implausible_years(estimates: pl.DataFrame, current_year: int | None = None) -> pl.DataFrame:
    """Rows whose year is missing or outside MIN_YEAR..current year."""
    last = current_year or dt.date.today().year
    return estimates.filter(pl.col("year").is_null() | ~pl.col("year").is_between(MIN_YEAR, last))


def missing_sources(estimates: pl.DataFrame) -> pl.DataFrame:
    """Rows with no source title or author, or with no value at all."""
    no_value = pl.col("low").is_null() & pl.col("central").is_null() & pl.col("high").is_null()
    return estimates.filter(pl.col("source_title").is_null() | pl.col("author").is_null() | no_value)


def invalid_scopes(estimates: pl.DataFrame) -> pl.DataFrame:
    return estimates.filter(pl.col("scope").is_null() | ~pl.col("scope").is_in(SCOPES))


def series_name_expr() -> pl.Expr:
    return pl.concat_str([pl.lit("estimate"), pl.col("author"), pl.col("scope"), pl.col("unit")], separator=":")


def pooled_series(estimates: pl.DataFrame, scope: str = "technical", units: tuple[str, ...] = HEADCOUNT_UNITS):
    """One point per (series, year): several figures from one author for one year are pooled.

    central = median of the given centrals, or the midpoint of low and high when no central is given;
    low = the smallest low or central given, high = the largest high or central given (so disagreeing copies of
    a figure widen the range; a bare upper bound such as "fewer than 100" stays a high with no low or central).
    Returns series, estimate_source (author), source_title, year, low, central, high.
    """
    rows = estimates.filter((pl.col("scope") == scope) & pl.col("unit").is_in(units))
    return (
        rows.group_by(series_name_expr().alias("series"), "year")
        .agg(
            pl.col("author").first().alias("estimate_source"),
            pl.col("source_title").unique().sort().str.join("; ").alias("source_title"),
            pl.col("central").median().alias("_central"),
            ((pl.col("low") + pl.col("high")) / 2).median().alias("_mid"),
            pl.min_horizontal(pl.col("low").min(), pl.col("central").min()).alias("low"),
            pl.max_horizontal(pl.col("high").max(), pl.col("central").max()).alias("high"),
        )
        .with_columns(pl.coalesce("_central", "_mid").alias("central"))
        .drop("_central", "_mid")
        .sort("series", "year")
    )


def interpolate_series(points: pl.DataFrame) -> pl.DataFrame:
    """Fill the years between published years of each series linearly (low, central and high separately).

    Never extrapolates: years before a series' first or after its last published year get no value. Input columns
    as from pooled_series; output adds `interpolated` (False for published years).
    """
    if points.is_empty():
        return points.with_columns(pl.lit(False).alias("interpolated"))
    spans = points.group_by("series").agg(pl.col("year").min().alias("y0"), pl.col("year").max().alias("y1"))
    grid = spans.select("series", pl.int_ranges("y0", pl.col("y1") + 1, dtype=pl.Int32).alias("year")).explode("year")
    published = points.with_columns(pl.lit(True).alias("_published"))
    filled = grid.join(published, on=["series", "year"], how="left").sort("series", "year")
    return filled.with_columns(
        (~pl.col("_published").fill_null(False)).alias("interpolated"),
        *[pl.col(c).interpolate_by("year").over("series") for c in ("low", "central", "high")],
        pl.col("estimate_source", "source_title").fill_null(strategy="forward").over("series"),
    ).drop("_published")
