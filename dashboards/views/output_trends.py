"""Output trends: safety papers per month, quarter or year, narrow or broad, in total, by topic, as a share of AI
papers, and their growth from year to year with an exponential fit."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data, queries, state, trends
from dashboards.views.common import TrendFilters, coverage_notes, monthly_filters


def growth_section(monthly: pl.DataFrame, filters: TrendFilters) -> None:
    """Yearly counts and share, growth on the year before, and an exponential fit over the complete years."""
    definition = filters.definition
    yearly = trends.output_by_period(monthly, "yearly")
    st.subheader(f"Year over year ({definition})")
    if yearly.is_empty():
        st.info("No year with data in this range.")
        return
    count = f"n_safety_{definition}"
    fit = trends.fit_yearly(yearly, count)
    share_fit = trends.fit_yearly(yearly, f"share_{definition}")
    years = yearly["period"].dt.year().to_list()
    curve = fit.curve(list(range(min(years), max(years) + 1))) if fit else None

    cols = st.columns(3)
    if fit is None:
        complete = yearly.filter(pl.col("complete")).height
        cols[0].metric("Annual growth of safety papers", "—", border=True)
        st.info(
            f"No growth fit: it needs at least 3 fully covered calendar years with papers, and this range has "
            f"{complete}. Widen the range, or load more history."
        )
    else:
        g = fit.fit
        fastest, slowest = fit.doubling_interval()
        cols[0].metric(
            "Annual growth of safety papers",
            f"{100 * g.annual_growth:+.0f}%",
            f"95% interval {100 * g.growth_low:+.0f}% to {100 * g.growth_high:+.0f}%",
            delta_color="off",
            delta_arrow="off",
            border=True,
            help="exp(b) - 1 where b is the least-squares slope of log(papers) on year over the complete years; "
            "the interval is Student's t on b (pipelines/lib/growth.py, as for the workforce fits).",
        )
        doubling = "—" if g.doubling_years is None else f"{g.doubling_years:.1f} years"
        if fastest is None:
            band = "growth may be zero or negative: no doubling time"
        elif slowest is None:
            band = f"95% interval: {fastest:.1f} years or never"
        else:
            band = f"95% interval {fastest:.1f} to {slowest:.1f} years"
        cols[1].metric("Doubling time", doubling, band, delta_color="off", delta_arrow="off", border=True)
        left_out = f"; not fitted: {', '.join(map(str, fit.left_out))} (partly covered)" if fit.left_out else ""
        cols[2].metric(
            "Years fitted",
            f"{g.year_from}–{g.year_to}",
            f"{g.n_points} complete years",
            delta_color="off",
            delta_arrow="off",
            border=True,
        )
        st.caption(f"Fitted years: {', '.join(map(str, fit.years))}{left_out}.")
    left, right = st.columns([3, 2])
    with left:
        st.altair_chart(
            charts.yearly_fit(yearly, count, curve, filters.seeds, "Safety papers per year"), width="stretch"
        )
        st.caption(
            "Log scale: an exponential trend is a straight line. Red: the fitted curve and the band its 95% "
            "growth interval spans. Hollow points: partly covered years, shown but not fitted."
        )
    with right:
        yoy = trends.year_over_year(yearly, count)
        if yoy["growth"].drop_nulls().is_empty():
            st.info("No two consecutive complete years: no year-over-year growth to show.")
        else:
            st.altair_chart(charts.year_over_year(yoy, filters.seeds), width="stretch")
            st.caption("Growth on the year before, between consecutive fully covered years only.")
    if share_fit is not None:
        s = share_fit.fit
        if s.growth_low > 0:
            reading = "safety work outgrows AI research as a whole"
        elif s.growth_high < 0:
            reading = "safety work grows more slowly than AI research as a whole"
        else:
            reading = "the interval includes zero: no clear change against AI research as a whole"
        st.caption(
            f"The safety share of AI papers changed {100 * s.annual_growth:+.1f}% a year "
            f"(95% interval {100 * s.growth_low:+.1f}% to {100 * s.growth_high:+.1f}%) over "
            f"{s.year_from}–{s.year_to}: {reading}."
        )
    with st.expander("Yearly numbers"):
        st.dataframe(
            yearly.select(
                "label", "n_months", "complete", "n_ai_papers", "n_safety_narrow", "n_safety_broad", "share_narrow",
                "share_broad",
            ),
            hide_index=True,
        )  # fmt: skip


def body() -> None:
    st.title("Output trends")
    filters = monthly_filters(grain=True)
    if filters is None:
        return
    definition, start, end, grain = filters.definition, filters.start, filters.end, filters.grain
    unit = charts.PERIOD_TITLES[grain].lower()

    monthly = data.load(queries.neglectedness_monthly, start, end)
    by_period = trends.output_by_period(monthly, grain)
    st.subheader(f"Safety papers per {unit} ({definition})")
    st.altair_chart(
        charts.safety_papers_by_period(by_period, definition, grain, filters.bands, filters.seeds), width="stretch"
    )
    st.caption(
        f"Bars: papers classified as safety work (left axis). Line: their share of all AI papers that {unit} "
        f"(right axis; denominator source: {', '.join(sorted(set(monthly['denominator_source'].drop_nulls())))})."
    )
    coverage_notes(filters, partial=trends.partial_periods(by_period))

    with data.section():
        growth_section(monthly, filters)

    with data.section():
        topics = data.load(queries.topic_monthly, definition, start, end)
        st.subheader(f"By topic ({definition})")
        if topics.is_empty():
            st.info("No topic counts in this range.")
        else:
            rolled = trends.roll_up(topics, grain, ("n_papers",), by=("topic",))
            st.altair_chart(
                charts.stacked_by_period(rolled, "topic", grain, filters.bands, filters.seeds), width="stretch"
            )
            st.caption(
                "Stacked counts from `safety_papers_by_topic_monthly`: a paper with several topics counts in each, "
                "so a stack can exceed the total above. Colours are fixed per topic."
            )

    st.subheader("Safety share of AI papers, both definitions")
    st.altair_chart(charts.shares_by_period(by_period, grain, filters.bands, filters.seeds), width="stretch")
    with st.expander(f"Numbers per {unit}"):
        st.dataframe(by_period.drop("segment", "period_end"), hide_index=True)
    state.share_hint()
    data.sample_note()


data.run_page(body)
