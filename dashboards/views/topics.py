"""Topics: growth of each safety topic (last 12 months against the 12 before), neglected and booming areas."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data, queries, state, trends
from dashboards.views.common import TrendFilters, coverage_notes, monthly_filters

GROWING = ("booming", "growing")
LAGGING = ("neglected", "shrinking")


def _status_list(frame: pl.DataFrame, statuses: tuple[str, ...], empty: str) -> None:
    rows = frame.filter(pl.col("status").is_in(list(statuses)))
    if rows.is_empty():
        st.caption(empty)
        return
    for r in rows.iter_rows(named=True):
        ratio = f"×{r['growth_ratio']:.2f}" if r["growth_ratio"] is not None else "new"
        st.markdown(
            f"- **{charts.topic_name(r['topic'])}** — {r['status']}, {ratio} "
            f"({r['n_last_12m']:,} papers vs {r['n_prev_12m']:,})"
        )


def over_time(filters: TrendFilters) -> None:
    """Each topic's safety papers per month, quarter or year over the chosen range."""
    grain = filters.grain
    st.subheader(f"Topics per {charts.PERIOD_TITLES[grain].lower()} ({filters.definition})")
    topics = data.load(queries.topic_monthly, filters.definition, filters.start, filters.end)
    if topics.is_empty():
        st.info("No topic counts in this range.")
        return
    rolled = trends.roll_up(topics, grain, ("n_papers",), by=("topic",))
    st.altair_chart(charts.stacked_by_period(rolled, "topic", grain, filters.bands, filters.seeds), width="stretch")
    st.caption("`safety_papers_by_topic_monthly`: a paper with several topics counts in each.")
    coverage_notes(filters, "safety_papers_by_topic_monthly", trends.partial_periods(rolled))


def body() -> None:
    st.title("Topics")
    filters = None
    with data.section():
        filters = monthly_filters(grain=True)
    definition = filters.definition if filters is not None else state.definition()
    growth = data.load(queries.topic_growth, definition)
    if growth.is_empty():
        st.info(f"`topic_growth` has no rows for the {definition} definition yet.")
        return
    window_end = growth["window_end"].max()
    st.caption(f"12-month windows ending {window_end:%Y-%m-%d} · source `topic_growth`")

    booming, neglected = st.columns(2)
    with booming:
        st.subheader(":material/trending_up: Booming and growing")
        _status_list(growth, GROWING, "No topic is growing fast.")
    with neglected:
        st.subheader(":material/trending_down: Neglected and shrinking")
        _status_list(growth, LAGGING, "No topic is flagged as neglected or shrinking.")

    st.subheader("Growth per topic")
    st.altair_chart(charts.topic_growth(growth.drop_nulls("growth_ratio")), width="stretch")
    st.caption("Dashed line: no change. Log scale, so halving and doubling are equally far from it.")

    st.subheader("Size against growth")
    st.altair_chart(charts.topic_size_vs_growth(growth.drop_nulls("growth_ratio")), width="stretch")

    taxonomy = charts.topic_table()
    table = growth.with_columns(name=charts.with_topic_names(growth))
    if taxonomy.height:
        table = table.join(taxonomy.select(topic="id", definition_text="definition"), on="topic", how="left")
    with st.expander("All topics", expanded=False):
        st.dataframe(
            table,
            hide_index=True,
            column_config={
                "growth_ratio": st.column_config.NumberColumn("growth ratio", format="%.2f"),
                "definition_text": st.column_config.TextColumn("definition", width="large"),
            },
        )
    if filters is not None:
        with data.section():
            over_time(filters)
    state.share_hint()


data.run_page(body)
