"""Filter state kept in the URL: every filter widget is bound to a query parameter, so a view is a shareable link.

Streamlit's `bind="query-params"` does the two-way sync: a widget starts from `?key=value` when present (invalid
values are dropped), writes its value back on change and leaves defaults out of the URL. The URL holds the option
as displayed, so bound widgets show ids (no format_func) to keep links short and stable. The keys below are the
public names of those parameters; keep them stable, links depend on them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence

import streamlit as st

DEFINITION = "def"
MONTHS = "months"
SEARCH = "q"
SAFETY = "safety"
TOPICS = "topic"
ORIGINS = "origin"
CATEGORIES = "cat"
LIMIT = "limit"
SORT = "sort"
ROLE = "role"
UNIT = "unit"
GRAIN = "grain"

DEFINITIONS = ["narrow", "broad"]


def month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def definition(default: str = "narrow", key: str = DEFINITION) -> str:
    """Narrow or broad definition of safety work."""
    value = st.segmented_control(
        "Definition of safety work",
        DEFINITIONS,
        default=default,
        required=True,
        key=key,
        bind="query-params",
        help="Narrow: technical alignment and catastrophic-risk work. Broad: also robustness, fairness, privacy "
        "and similar work, as ETO counts it.",
    )
    return value or default


def grain(default: str, key: str = GRAIN) -> str:
    """Monthly, quarterly or yearly periods for the trend charts."""
    from dashboards.trends import GRAINS

    value = st.segmented_control(
        "Grain",
        list(GRAINS),
        default=default,
        required=True,
        key=key,
        bind="query-params",
        help="Count papers per month, quarter or calendar year. Periods the warehouse only partly covers are drawn "
        "paler and named under the chart.",
    )
    return value or default


def month_range(
    months: Sequence[dt.date], default: tuple[dt.date, dt.date] | None = None, key: str = MONTHS
) -> tuple[dt.date, dt.date]:
    """A month range control; returns the first day of the first and of the last month chosen."""
    labels = [month_label(m) for m in months]
    if not labels:
        today = dt.date.today().replace(day=1)
        return today, today
    if len(labels) == 1:
        return months[0], months[0]
    lo, hi = default or (months[0], months[-1])
    chosen = st.select_slider(
        "Months",
        options=labels,
        value=(month_label(lo), month_label(hi)),
        key=key,
        bind="query-params",
        help="The range of months shown; shared links keep it.",
    )
    first, last = sorted(chosen)
    by_label = dict(zip(labels, months, strict=True))
    return by_label[first], by_label[last]


def share_hint() -> None:
    st.caption(":material/link: Filters live in the address bar: copy it to share exactly this view.")
