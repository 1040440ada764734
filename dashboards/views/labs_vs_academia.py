"""Labs vs academia: who writes safety papers, how that changes, and how much of it we can attribute at all."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data, queries, state, trends
from dashboards.data import fmt_pct
from dashboards.views.common import coverage_notes, monthly_filters


def three_ways(definition: str) -> None:
    """Shares by class three ways, safety against all AI, each with its coverage and a 95% interval."""
    st.subheader(f"Who writes {definition} safety papers, three ways")
    periods = data.load(queries.origin_share_periods)["period"].to_list()
    if not periods:
        st.info("`origin_shares_yearly` is empty.")
        return
    period = st.selectbox("Period", periods[::-1], index=0, help="'all': every covered month")
    frame = data.load(queries.origin_shares_three_ways, definition, period)
    columns = st.columns(3)
    for column, way in zip(columns, charts.WAY_TITLES, strict=True):
        part = frame.filter(pl.col("way") == way)
        with column:
            st.markdown(f"**{charts.WAY_TITLES[way]}**")
            st.altair_chart(charts.shares_with_intervals(frame, way), width="stretch")
            safety = part.filter(pl.col("population") != "all_ai")
            ai = part.filter(pl.col("population") == "all_ai")
            if safety.height and ai.height:
                st.caption(
                    f"Rests on {safety['n_known'][0]:,} of {safety['n_papers'][0]:,} safety papers "
                    f"(coverage {fmt_pct(safety['coverage'][0])}) and {ai['n_known'][0]:,} of "
                    f"{ai['n_papers'][0]:,} AI papers ({fmt_pct(ai['coverage'][0])}). Bars: share; lines: 95% interval."
                )
    st.caption(
        "Any author: papers with at least one placed author of the class (a lab-university paper counts for both). "
        "First author: the lead author's class. One class: papers whose placed authors are all of one class. "
        "Authors are placed by arXiv affiliations, OpenAlex, organisation mentions, AI Watch positions and "
        "conference affiliation records (`origin_shares_yearly`; accuracy in docs/evaluation.md)."
    )


def body() -> None:
    st.title("Labs vs academia")
    filters = monthly_filters(grain=True)
    if filters is None:
        return
    definition, start, end, grain = filters.definition, filters.start, filters.end, filters.grain

    with data.section():
        origins = data.load(queries.origin_monthly, definition, start, end)
        st.subheader(f"Origin of safety papers per {charts.PERIOD_TITLES[grain].lower()} ({definition})")
        if origins.is_empty():
            st.info("No origin counts in this range.")
        else:
            rolled = trends.roll_up(origins, grain, ("n_papers",), by=("origin",))
            st.altair_chart(
                charts.stacked_by_period(rolled, "origin", grain, filters.bands, filters.seeds, normalize=True),
                width="stretch",
            )
            totals = origins.group_by("origin").agg(pl.col("n_papers").sum())
            total = totals["n_papers"].sum()
            unknown = totals.filter(pl.col("origin") == "unknown")["n_papers"].sum()
            st.caption(
                f"{total:,} safety papers in range; origin unknown for {fmt_pct(unknown / total if total else None)}"
                " (no author placed by an affiliation, an organisation mention, AI Watch or conference records, or "
                "the answer was too unsure). Unknown is shown, never guessed."
            )
            coverage_notes(filters, "safety_papers_by_origin_monthly", trends.partial_periods(rolled))

    with data.section():
        three_ways(definition)

    lab = None
    with data.section():
        lab = data.load(queries.lab_share_yearly, definition)
    if lab is not None and lab.height:
        left, right = st.columns([3, 2])
        with left:
            st.subheader("Frontier-lab share: safety vs all AI")
            st.altair_chart(charts.lab_share(lab, trends.SEED_YEARS), width="stretch")
            st.caption(
                "Among papers with a known origin, per year (`lab_share_yearly`); all years the warehouse holds, "
                "whatever the range above. Dashed lines: the seed documents' years, where the data has them."
            )
        with right:
            st.subheader("Coverage of known origin")
            st.altair_chart(charts.coverage(lab), width="stretch")
            st.caption("Share of safety papers whose origin could be attributed: read the shares with this in mind.")
    elif lab is not None:
        st.info("`lab_share_yearly` is empty.")

    with data.section():
        st.subheader("Top organisations")
        orgs = data.load(queries.top_organizations, definition, start, state.month_end(end), 25)
        if orgs.is_empty():
            st.info("No organisations attributed to safety papers in this range.")
        else:
            st.altair_chart(charts.top_organizations(orgs), width="stretch")
            st.caption(
                "Safety papers naming each organisation in the range (a paper with several organisations counts "
                "for each); colour: the origin of its single-origin papers."
            )
    state.share_hint()


data.run_page(body)
