"""Controls shared by the pages that chart months: the broad/narrow toggle, the date range and the grain, and the
notes on periods without data and on the seed documents' years."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import streamlit as st

from dashboards import charts, data, queries, state, trends


@dataclass(frozen=True)
class TrendFilters:
    definition: str
    start: dt.date  # first day of the first month chosen
    end: dt.date  # first day of the last month chosen
    grain: str
    covered: tuple[dt.date, ...]  # the months in [start, end] the warehouse has data for

    @property
    def gaps(self) -> list[tuple[dt.date, dt.date]]:
        return trends.gaps(self.covered, self.start, self.end)

    @property
    def bands(self) -> pl.DataFrame:
        return trends.gap_bands(self.gaps)

    @property
    def seeds(self) -> list[int]:
        return trends.seed_years_in(self.start, self.end)


def monthly_filters(grain: bool = False) -> TrendFilters | None:
    """The definition, date range and (with `grain`) the grain chosen, all kept in the URL; None after saying that
    no month is counted yet. The range opens on the last ten years when there is more history than that."""
    months = data.load(queries.month_bounds)
    if months.is_empty():
        st.info("No months in `neglectedness_monthly` yet. Run `make refresh`.")
        return None
    left, right = st.columns([2, 3])
    with left:
        definition = state.definition()
    chosen = "monthly"
    if grain:
        with right:
            chosen = state.grain(trends.default_grain(months["month"].min(), months["month"].max()))
    start, end = charts.date_range_control(months)
    covered = tuple(m for m in months["month"].to_list() if start <= m <= end)
    return TrendFilters(definition, start, end, chosen, covered)


def coverage_notes(filters: TrendFilters, table: str = "neglectedness_monthly", partial: list[str] = ()) -> None:
    """Say which months have no data (drawn as grey bands, never as zeros), which periods are partial, and where the
    seed documents' years lie."""
    runs = filters.gaps
    if runs:
        st.warning(
            f"**No data for {trends.describe_gaps(runs)}** (grey bands): `{table}` has no covered month there "
            "(docs/metrics.md, covered month), so nothing is drawn rather than zeros.",
            icon=":material/block:",
        )
    notes = []
    if partial:
        notes.append(f"Partly covered, drawn paler: {', '.join(partial)}.")
    outside = [y for y in trends.SEED_YEARS if y not in filters.seeds]
    if filters.seeds:
        notes.append(
            f"Dashed lines: {', '.join(map(str, filters.seeds))}, the years the source documents' claims are about "
            "(Claims check page)."
        )
    if outside:
        notes.append(f"Seed-document years outside this range: {', '.join(map(str, outside))}.")
    if notes:
        st.caption(" ".join(notes))
