"""Output trends: safety papers per month, narrow or broad, in total, by topic, and as a share of AI papers."""

from __future__ import annotations

import streamlit as st

from dashboards import charts, data, queries, state
from dashboards.views.common import monthly_filters


def body() -> None:
    st.title("Output trends")
    filters = monthly_filters()
    if filters is None:
        return
    definition, start, end = filters

    monthly = data.load(queries.neglectedness_monthly, start, end)
    st.subheader(f"Safety papers per month ({definition})")
    st.altair_chart(charts.safety_papers_monthly(monthly, definition), width="stretch")
    st.caption(
        "Bars: papers classified as safety work (left axis). Line: their share of all AI papers that month "
        f"(right axis; denominator source: {', '.join(sorted(set(monthly['denominator_source'].drop_nulls())))})."
    )

    with data.section():
        topics = data.load(queries.topic_monthly, definition, start, end)
        st.subheader(f"By topic ({definition})")
        if topics.is_empty():
            st.info("No topic counts in this range.")
        else:
            st.altair_chart(charts.topics_stacked(topics), width="stretch")
            st.caption(
                "Stacked counts from `safety_papers_by_topic_monthly`: a paper with several topics counts in each, "
                "so a stack can exceed the total above. Colours are fixed per topic."
            )

    st.subheader("Safety share of AI papers, both definitions")
    st.altair_chart(
        charts.share_lines(
            monthly, "month", {"share_narrow": "Narrow", "share_broad": "Broad"}, "Share of AI papers", temporal=True
        ),
        width="stretch",
    )
    with st.expander("Monthly numbers"):
        st.dataframe(monthly, hide_index=True)
    state.share_hint()
    data.sample_note()


data.run_page(body)
