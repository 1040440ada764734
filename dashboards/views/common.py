"""Controls shared by the pages that chart months: the broad/narrow toggle and the date range."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboards import charts, data, queries, state


def monthly_filters() -> tuple[str, dt.date, dt.date] | None:
    """The definition and date range chosen (kept in the URL), or None after saying no month is counted yet."""
    months = data.load(queries.month_bounds)
    if months.is_empty():
        st.info("No months in `neglectedness_monthly` yet. Run `make refresh`.")
        return None
    definition = state.definition()
    start, end = charts.date_range_control(months)
    return definition, start, end
