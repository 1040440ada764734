"""Checks on the workforce tables: sane estimates, consistent counts, fits whose interval contains the estimate."""

import datetime as dt

import dagster as dg
import polars as pl

from pipelines import contract
from pipelines.lib import estimates
from pipelines.lib.positions import ROLES
from pipelines.resources import WarehouseResource
from pipelines.row_count_checks import row_count_check

row_count_checks = [row_count_check(table) for table in contract.names("workforce")]


def _rows(frame: pl.DataFrame, limit: int = 10) -> list[dict]:
    return frame.head(limit).to_dicts()


@dg.asset_check(asset="field_size_estimates", blocking=True, description="low <= central <= high on every row.")
def estimates_ranges_are_ordered(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    bad = estimates.range_violations(warehouse.read("SELECT * FROM field_size_estimates"))
    return dg.AssetCheckResult(passed=bad.is_empty(), metadata={"violations": bad.height, "rows": _rows(bad)})


@dg.asset_check(
    asset="field_size_estimates",
    blocking=True,
    description=f"Every estimate's year is between {estimates.MIN_YEAR} and the current year.",
)
def estimates_years_are_plausible(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    bad = estimates.implausible_years(warehouse.read("SELECT * FROM field_size_estimates"), dt.date.today().year)
    return dg.AssetCheckResult(passed=bad.is_empty(), metadata={"violations": bad.height, "rows": _rows(bad)})


@dg.asset_check(
    asset="field_size_estimates",
    blocking=True,
    description="Every row names its source and author, has a valid scope, and gives at least one value.",
)
def estimates_have_sources(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = warehouse.read("SELECT * FROM field_size_estimates")
    bad = pl.concat([estimates.missing_sources(frame), estimates.invalid_scopes(frame)]).unique()
    return dg.AssetCheckResult(
        passed=bad.is_empty(),
        metadata={"violations": bad.height, "rows": _rows(bad), "without_url": frame["url"].null_count()},
    )


@dg.asset_check(
    asset="workforce_positions_yearly",
    description="Roles are technical/non_technical/unknown, counts positive; warns when no role is known for most.",
)
def positions_are_consistent(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = warehouse.read("SELECT * FROM workforce_positions_yearly")
    bad_roles = frame.filter(~pl.col("role").is_in(ROLES)).height
    non_positive = frame.filter(pl.col("n_people") <= 0).height
    total = frame["n_people"].sum()
    unknown_share = frame.filter(pl.col("role") == "unknown")["n_people"].sum() / total if total else 0.0
    return dg.AssetCheckResult(
        passed=bad_roles == 0 and non_positive == 0 and unknown_share < 0.5,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"bad_roles": bad_roles, "non_positive_counts": non_positive, "unknown_role_share": unknown_share},
    )


@dg.asset_check(asset="workforce_growth_fit", description="growth_low <= annual_growth <= growth_high; n >= 3.")
def growth_intervals_contain_estimates(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = warehouse.read("SELECT * FROM workforce_growth_fit")
    bad = frame.filter(
        (pl.col("growth_low") > pl.col("annual_growth"))
        | (pl.col("annual_growth") > pl.col("growth_high"))
        | (pl.col("n_points") < 3)
    )
    return dg.AssetCheckResult(passed=bad.is_empty(), metadata={"violations": bad.height, "series": frame.height})


@dg.asset_check(
    asset="workforce_authors_yearly",
    description="core <= active <= AI authors, narrow <= broad, and the safety share within 0..1.",
)
def author_counts_are_nested(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = warehouse.read("SELECT * FROM workforce_authors_yearly")
    bad = frame.filter(
        (pl.col("n_safety_authors_core") > pl.col("n_safety_authors_active"))
        | (pl.col("n_safety_authors_active") > pl.col("n_ai_authors_active"))
        | ~pl.col("safety_author_share").is_between(0, 1).fill_null(True)
    )
    wide = frame.pivot(on="definition", index="year", values="n_safety_authors_active")
    narrow_over_broad = (
        wide.filter(pl.col("narrow") > pl.col("broad")).height if {"narrow", "broad"} <= set(wide.columns) else 0
    )
    return dg.AssetCheckResult(
        passed=bad.is_empty() and narrow_over_broad == 0,
        metadata={"violations": bad.height, "years_narrow_over_broad": narrow_over_broad, "rows": frame.height},
    )
