"""Data and pipeline status: freshness, sources, row counts, last runs, rejected records."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import data, queries
from dashboards.data import fmt_int, fmt_pct, fmt_time

DATES = {
    c: st.column_config.DateColumn(c.replace("_", " "))
    for c in ("first_date", "last_date", "first_month", "last_month")
}


def freshness() -> None:
    row = data.load(queries.freshness).row(0, named=True)
    cols = st.columns(4)
    cols[0].metric("Latest paper date", str(row["latest_published"] or "—"), border=True)
    cols[0].caption(f"Earliest: {row['earliest_published'] or '—'} · `papers.published_date`")
    cols[1].metric("Last successful run", fmt_time(row["last_success"])[:10], border=True)
    cols[1].caption(
        f"Finished {fmt_time(row['last_success'])}; last run started {fmt_time(row['last_run_started'])} · "
        "`ingest_runs`"
    )
    cols[2].metric("Last ingest", fmt_time(row["last_ingested"])[:10], border=True)
    cols[2].caption(f"{fmt_time(row['last_ingested'])} · `papers.ingested_at`")
    cols[3].metric("Failed runs recorded", fmt_int(row["n_failed_runs"]), border=True)
    cols[3].caption("Outcome other than success in `ingest_runs`")


def sources() -> None:
    st.subheader("Data sources")
    left, right = st.columns(2)
    with left, data.section():
        st.markdown("**Papers by source**")
        st.dataframe(data.load(queries.paper_sources), hide_index=True, column_config=DATES)
    with right, data.section():
        st.markdown("**Denominators** (`category_month_counts`)")
        st.dataframe(data.load(queries.denominator_sources), hide_index=True, column_config=DATES)
    data.sample_note()


def counts() -> None:
    st.subheader("Tables")
    table = data.load(queries.table_counts)
    missing = table.filter(pl.col("in_contract") & ~pl.col("present"))["table_name"].to_list()
    if missing:
        st.warning(
            f"Not built yet: {', '.join(missing)}. Run `make refresh` to compute them.", icon=":material/warning:"
        )
    st.dataframe(
        table,
        hide_index=True,
        height="content",
        column_config={
            "n_rows": st.column_config.NumberColumn("rows", format="localized"),
            "in_contract": st.column_config.CheckboxColumn("documented"),
            "present": st.column_config.CheckboxColumn("present"),
        },
    )


def runs() -> None:
    st.subheader("Last runs")
    last = data.load(queries.last_runs, 50)
    if last.is_empty():
        st.info("No runs recorded in `ingest_runs`.")
        return
    st.dataframe(last, hide_index=True)


def rejected() -> None:
    st.subheader("Rejected records")
    reasons = data.load(queries.rejected_reasons)
    if reasons.is_empty():
        st.success("No rejected records.", icon=":material/check:")
        return
    left, right = st.columns([2, 3])
    with left:
        st.markdown("**By reason**")
        st.dataframe(reasons, hide_index=True)
    with right:
        st.markdown("**Latest 100**")
        st.dataframe(data.load(queries.rejected_latest, 100), hide_index=True)


def accuracy() -> None:
    st.subheader("How accurate the safety labels are")
    st.caption(
        "The stored labels against 4,000 random corpus papers judged by reading (by LLM sessions against a written "
        "rubric; docs/labelling.md), AI papers only. Use the test rows: the dev half trained the classifier's "
        "second stage. A flagged share below the judged share means the safety counts on the other pages are low."
    )
    table = data.load(queries.classifier_accuracy)
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            c: st.column_config.NumberColumn(c.replace("_", " "), format="percent")
            for c in ("judged_share", "flagged_share", "precision", "recall")
        },
    )


def affiliations() -> None:
    st.subheader("Where authors work: how much of the affiliation records got a class")
    stats = dict(data.load(queries.affiliation_coverage).select("metric", "value").iter_rows())
    if not stats:
        st.info("No affiliation records were loaded (AFFILIATIONS_FILE).")
        return
    share = stats.get("classed_share")
    st.caption(
        f"{stats.get('slots', 0):,.0f} author slots of conference papers name a place; {fmt_pct(share)} got an "
        "organisation class (seed name or domain, a university's e-mail domain, or wording). "
        f"{stats.get('slots_naming_no_place', 0):,.0f} more name none (no text, a footnote mark, \"Independent\", "
        "a free-mail address). The organisations left without a class most often are below: add them to "
        "`seeds/organizations.csv`."
    )
    st.dataframe(data.load(queries.unclassified_organizations, 50), hide_index=True)


def body() -> None:
    st.title("Data & pipeline status")
    st.caption(f"Published warehouse `{data.warehouse_path()}`, opened read-only for each query.")
    for block in (freshness, sources, counts, accuracy, affiliations, runs, rejected):
        with data.section():
            block()


data.run_page(body)
