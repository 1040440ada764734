"""Trend pages across years, as pure functions (no Streamlit, no I/O): months rolled up to a grain, the months the
warehouse lacks, year-over-year growth and its exponential fit.

The monthly marts hold covered months only (docs/metrics.md, "Covered month"), so a month absent from them is a
month without data: it is reported as a gap and never drawn as zero. A period counts as complete when every one of
its calendar months is covered; counts of partial periods are not comparable with full ones, so the growth fit and
year-over-year growth use complete years only.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.lib.growth import GrowthFit, fit_exponential

GRAINS = ("monthly", "quarterly", "yearly")
_TRUNCATE = {"monthly": "1mo", "quarterly": "1q", "yearly": "1y"}
MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "yearly": 12}
# The years the source documents (../shared/seeds) make claims about; pipelines/lib/claims.py tests them.
SEED_YEARS = (2017, 2018, 2022)
# The default window: the last DEFAULT_YEARS years when the warehouse has more history than that.
DEFAULT_YEARS = 10
# Above this many months of history the pages open at the yearly grain; below it, monthly.
YEARLY_DEFAULT_MONTHS = 60


def _check_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {list(GRAINS)}, not {grain!r}")
    return grain


def period_start(month: dt.date, grain: str) -> dt.date:
    """First day of the period (month, quarter or year) holding `month`."""
    _check_grain(grain)
    if grain == "yearly":
        return dt.date(month.year, 1, 1)
    if grain == "quarterly":
        return dt.date(month.year, 3 * ((month.month - 1) // 3) + 1, 1)
    return dt.date(month.year, month.month, 1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    first, last = first.replace(day=1), last.replace(day=1)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [add_months(first, k) for k in range(max(count, 0))]


def period_label(period: dt.date, grain: str) -> str:
    if grain == "yearly":
        return f"{period.year}"
    if grain == "quarterly":
        return f"{period.year}-Q{(period.month - 1) // 3 + 1}"
    return period.strftime("%Y-%m")


def default_grain(first: dt.date, last: dt.date) -> str:
    """Yearly when the warehouse holds more than YEARLY_DEFAULT_MONTHS months of history, else monthly."""
    return "yearly" if len(months_between(first, last)) > YEARLY_DEFAULT_MONTHS else "monthly"


def default_window(first: dt.date, last: dt.date, dense_start: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last DEFAULT_YEARS calendar years up to `last` when history reaches back that far, else all of it.

    `dense_start` (the first month of dense data, charts.default_start) moves the start later, never earlier.
    """
    start = max(first, dt.date(last.year - DEFAULT_YEARS + 1, 1, 1))
    if dense_start is not None:
        start = max(start, dense_start.replace(day=1))
    return start, last


# ---------------------------------------------------------------- gaps


def gaps(covered: Iterable[dt.date], start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Runs of months in [start, end] that are not covered: (first missing month, last missing month)."""
    have = {m.replace(day=1) for m in covered}
    runs: list[tuple[dt.date, dt.date]] = []
    for month in months_between(start, end):
        if month in have:
            continue
        if runs and add_months(runs[-1][1], 1) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def describe_gaps(runs: Sequence[tuple[dt.date, dt.date]]) -> str:
    """'2019-03 to 2020-12, 2021, 2023-05': whole calendar years as years, anything else as months."""
    parts = []
    for first, last in runs:
        if first.month == 1 and last.month == 12:
            parts.append(f"{first.year}" if first.year == last.year else f"{first.year}–{last.year}")
        elif first == last:
            parts.append(first.strftime("%Y-%m"))
        else:
            parts.append(f"{first:%Y-%m} to {last:%Y-%m}")
    return ", ".join(parts)


def gap_bands(runs: Sequence[tuple[dt.date, dt.date]]) -> pl.DataFrame:
    """Gaps as bands for a chart: from the first missing month's first day to the day after the last one."""
    return pl.DataFrame(
        {
            "gap_start": [a for a, _ in runs],
            "gap_end": [add_months(b, 1) for _, b in runs],
            "gap": [describe_gaps([(a, b)]) for a, b in runs],
        },
        schema={"gap_start": pl.Date, "gap_end": pl.Date, "gap": pl.String},
    )


# ---------------------------------------------------------------- roll-up to a grain


def roll_up(
    monthly: pl.DataFrame, grain: str, counts: Sequence[str], by: Sequence[str] = (), month: str = "month"
) -> pl.DataFrame:
    """Sum `counts` of a monthly frame per period (and per `by`), with the period's covered months.

    Columns: period, period_end (its last day), label, the `by` columns, the summed counts, n_months (covered months
    in the period: months present in the monthly frame, whatever the `by` value), months_in_period, complete,
    segment (a number that changes after every period without data, so a line never bridges a gap).
    """
    _check_grain(grain)
    size = MONTHS_PER_PERIOD[grain]
    schema = {"period": pl.Date, **{b: monthly.schema[b] for b in by}, **{c: pl.Int64 for c in counts}}
    if monthly.is_empty():
        empty = pl.DataFrame(schema=schema)
        return empty.with_columns(
            period_end=pl.lit(None, pl.Date),
            label=pl.lit(None, pl.String),
            n_months=pl.lit(None, pl.UInt32),
            months_in_period=pl.lit(size, pl.Int32),
            complete=pl.lit(None, pl.Boolean),
            segment=pl.lit(None, pl.Int32),
        )
    start_of = pl.col(month).dt.truncate(_TRUNCATE[grain]).alias("period")
    covered = monthly.select(pl.col(month).unique()).group_by(start_of).agg(n_months=pl.len()).sort("period")
    periods = covered["period"].to_list()
    segment, seg, previous = [], 0, None
    for p in periods:
        if previous is not None and add_months(previous, size) != p:
            seg += 1
        segment.append(seg)
        previous = p
    labels = [period_label(p, grain) for p in periods]
    ends = [add_months(p, size) - dt.timedelta(days=1) for p in periods]
    covered = covered.with_columns(
        segment=pl.Series(segment, dtype=pl.Int32),
        period_end=pl.Series(ends, dtype=pl.Date),
        label=pl.Series(labels, dtype=pl.String),
    )
    summed = monthly.group_by(start_of, *by).agg([pl.col(c).sum().cast(pl.Int64) for c in counts])
    return (
        summed.join(covered, on="period", how="left")
        .with_columns(months_in_period=pl.lit(size, pl.Int32), complete=pl.col("n_months") == size)
        .sort(["period", *by])
    )


def output_by_period(monthly: pl.DataFrame, grain: str) -> pl.DataFrame:
    """neglectedness_monthly rolled up: AI and safety papers per period with both safety shares."""
    frame = roll_up(monthly, grain, ("n_ai_papers", "n_safety_broad", "n_safety_narrow"))
    return frame.with_columns(
        share_broad=pl.col("n_safety_broad") / pl.col("n_ai_papers"),
        share_narrow=pl.col("n_safety_narrow") / pl.col("n_ai_papers"),
    )


def partial_periods(frame: pl.DataFrame) -> list[str]:
    """Labels of the periods only partly covered, in order."""
    if frame.is_empty():
        return []
    rows = frame.filter(~pl.col("complete")).unique("period").sort("period")
    return [f"{r['label']} ({r['n_months']} of {r['months_in_period']} months)" for r in rows.iter_rows(named=True)]


# ---------------------------------------------------------------- year over year and the growth fit


@dataclass(frozen=True)
class YearlyFit:
    """An exponential fit of a yearly series over its complete years, with what a chart needs to draw it."""

    fit: GrowthFit
    years: tuple[int, ...]  # the years fitted
    left_out: tuple[int, ...]  # years shown but not fitted (partial, or without a positive value)
    centre_year: float  # the OLS line passes through (centre_year, centre_log)
    centre_log: float

    @property
    def slope(self) -> float:
        return math.log1p(self.fit.annual_growth)

    def doubling_interval(self) -> tuple[float | None, float | None]:
        """Doubling time's 95% interval in years: (fastest, slowest); slowest None when growth may be <= 0."""
        low, high = math.log1p(self.fit.growth_low), math.log1p(self.fit.growth_high)
        fastest = math.log(2) / high if high > 0 else None
        slowest = math.log(2) / low if low > 0 else None
        return fastest, slowest

    def curve(self, years: Sequence[int]) -> pl.DataFrame:
        """The fitted value per year, with the band the growth interval spans (pivoting on the fit's centre)."""
        low, high = math.log1p(self.fit.growth_low), math.log1p(self.fit.growth_high)
        rows = []
        for year in years:
            dx = year - self.centre_year
            a, b = self.centre_log + low * dx, self.centre_log + high * dx
            rows.append(
                {"year": year, "fitted": math.exp(self.centre_log + self.slope * dx),
                 "fitted_low": math.exp(min(a, b)), "fitted_high": math.exp(max(a, b))}
            )  # fmt: skip
        return pl.DataFrame(rows, schema={"year": pl.Int32, "fitted": pl.Float64, "fitted_low": pl.Float64,
                                          "fitted_high": pl.Float64})  # fmt: skip


def fit_yearly(yearly: pl.DataFrame, column: str, confidence: float = 0.95) -> YearlyFit | None:
    """Fit column = A exp(b year) over the complete years of a yearly roll-up (output_by_period(..., 'yearly')).

    None when fewer than three complete years with a positive value remain (pipelines.lib.growth.MIN_POINTS).
    """
    if yearly.is_empty():
        return None
    frame = yearly.with_columns(year=pl.col("period").dt.year()).sort("year")
    usable = frame.filter(pl.col("complete") & (pl.col(column) > 0))
    fit = fit_exponential(usable["year"].to_numpy(), usable[column].to_numpy(), confidence)
    if fit is None:
        return None
    x = usable["year"].to_numpy().astype(float)
    log_y = np.log(usable[column].to_numpy().astype(float))
    return YearlyFit(
        fit=fit,
        years=tuple(int(y) for y in usable["year"]),
        left_out=tuple(int(y) for y in frame["year"] if y not in set(usable["year"].to_list())),
        centre_year=float(x.mean()),
        centre_log=float(log_y.mean()),
    )


def year_over_year(yearly: pl.DataFrame, column: str) -> pl.DataFrame:
    """year, value, growth on the year before: only between two consecutive complete years (else null)."""
    frame = yearly.with_columns(year=pl.col("period").dt.year().cast(pl.Int32)).sort("year")
    previous_ok = (pl.col("year").shift(1) == pl.col("year") - 1) & pl.col("complete").shift(1) & pl.col("complete")
    return frame.select(
        "year",
        "complete",
        value=pl.col(column),
        growth=pl.when(previous_ok & (pl.col(column).shift(1) > 0))
        .then(pl.col(column) / pl.col(column).shift(1) - 1)
        .otherwise(None),
    )


def seed_years_in(first: dt.date, last: dt.date) -> list[int]:
    return [y for y in SEED_YEARS if first.year <= y <= last.year]
