"""Workforce and neglectedness: headcount estimates, position records, author counts, papers per FTE, shares."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data, queries, state, trends

LINK = st.column_config.LinkColumn("link", display_text="source")


def estimates() -> None:
    st.subheader("Published headcount estimates")
    est = data.load(queries.field_size_estimates)
    if est.is_empty():
        st.info("`field_size_estimates` is empty.")
        return
    units = est.group_by("unit").len().sort(["len", "unit"], descending=[True, False])["unit"].drop_nulls().to_list()
    default = "FTE" if "FTE" in units else units[0]
    unit = st.columns([1, 3])[0].selectbox(
        "Unit", units, index=units.index(default), key=state.UNIT, bind="query-params"
    )
    st.altair_chart(charts.headcount_estimates(est.filter(pl.col("unit") == unit)), width="stretch")
    st.caption(
        "Estimates in `field_size_estimates` measured in the chosen unit, each with its range (vertical line). "
        "Point shapes say what is plotted when a source gives only a range or a bound; the table lists them all."
    )
    with st.expander(f"All {est.height} estimates with sources"):
        st.dataframe(est, hide_index=True, column_config={"url": LINK})


def positions() -> None:
    st.subheader("People in AI-safety positions (position records)")
    pos = data.load(queries.positions_yearly)
    if pos.is_empty():
        st.info("`workforce_positions_yearly` is empty.")
        return
    roles = ["all", *sorted(pos["role"].drop_nulls().unique().to_list())]
    role = st.segmented_control("Role", roles, default="all", required=True, key=state.ROLE, bind="query-params")
    shown = pos if role in (None, "all") else pos.filter(pl.col("role") == role)
    st.altair_chart(charts.positions(shown), width="stretch")
    with data.section():
        fits = data.load(queries.growth_fits)
        if fits.height:
            st.dataframe(
                fits,
                hide_index=True,
                column_config={
                    c: st.column_config.NumberColumn(c.replace("_", " "), format="percent")
                    for c in ("annual_growth", "growth_low", "growth_high")
                },
            )
            st.caption("Exponential fits with their interval (`workforce_growth_fit`).")


def authors() -> None:
    st.subheader("Safety authors (bibliometric workforce)")
    auth = data.load(queries.authors_yearly)
    if auth.is_empty():
        st.info("`workforce_authors_yearly` is empty.")
        return
    st.altair_chart(charts.authors(auth), width="stretch")
    st.caption("Distinct authors by normalised name: namesakes merge and name variants split.")


def per_fte() -> None:
    st.subheader("Safety papers per FTE")
    fte = data.load(queries.papers_per_fte)
    if fte.is_empty():
        st.info("`papers_per_fte_yearly` is empty.")
        return
    st.altair_chart(charts.papers_per_fte(fte), width="stretch")
    st.caption("Narrow safety papers that year ÷ headcount of each estimate; lines span the estimate's range.")


def yearly_note(yearly: pl.DataFrame) -> str:
    """Which years are partial and which lack data altogether (not drawn), under a yearly share chart."""
    text = "Per year from `neglectedness_monthly`; dashed lines: the seed documents' years."
    if yearly.is_empty():
        return text
    years = yearly["year"].to_list()
    missing = sorted(set(range(min(years), max(years) + 1)) - set(years))
    partial = [f"{y} ({n} months)" for y, n in yearly.select("year", "n_months").iter_rows() if n < 12]
    if missing:
        text += f" No data for {', '.join(map(str, missing))} (not drawn)."
    if partial:
        text += f" Partly covered: {', '.join(partial)}."
    return text


def shares() -> None:
    st.subheader("Neglectedness: safety share of AI papers and of AI researchers")
    left, right = st.columns(2)
    with left, data.section():
        yearly = data.load(queries.neglectedness_yearly)
        chart = charts.share_lines(
            yearly, "year", {"share_narrow": "Narrow", "share_broad": "Broad"}, "Share of AI papers", False
        )
        st.altair_chart(charts.with_seed_rules(chart, yearly["year"].to_list(), trends.SEED_YEARS), width="stretch")
        st.caption(yearly_note(yearly))
    with right, data.section():
        auth = data.load(queries.authors_yearly)
        wide = auth.pivot(on="definition", index="year", values="safety_author_share")
        columns = {d: d.capitalize() for d in ("narrow", "broad") if d in wide.columns}
        if columns:
            st.altair_chart(charts.share_lines(wide, "year", columns, "Share of AI authors", False), width="stretch")
            st.caption("Active safety authors ÷ active AI authors (`workforce_authors_yearly`).")


def body() -> None:
    st.title("Workforce & neglectedness")
    for block in (estimates, positions, authors, per_fte, shares):
        with data.section():
            block()
    state.share_hint()


data.run_page(body)
