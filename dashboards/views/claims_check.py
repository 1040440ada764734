"""Claims check: each quantitative claim of the source documents, what the data says, and the verdict."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from dashboards import charts, data, queries

VERDICT_ICONS = {
    "supported": ":material/check_circle:",
    "contradicted": ":material/cancel:",
    "mixed": ":material/contrast:",
    "not_testable": ":material/help:",
}


def _numbers(raw: str | None) -> object:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def body() -> None:
    st.title("Claims check")
    table = data.load(queries.claims)
    if table.is_empty():
        st.info("`claims_check` is empty: the claims step has not produced rows yet.")
        return
    computed = table["computed_at"].max()
    st.caption(f"{table.height} claims · computed {data.fmt_time(computed)} on every refresh · source `claims_check`")

    counts = table.group_by("verdict").len()
    cols = st.columns(len(VERDICT_ICONS))
    for col, verdict in zip(cols, VERDICT_ICONS, strict=True):
        n = counts.filter(pl.col("verdict") == verdict)["len"].sum()
        col.metric(verdict.replace("_", " ").capitalize(), n, border=True)

    verdicts = st.pills(
        "Show verdicts", list(VERDICT_ICONS), selection_mode="multi", default=list(VERDICT_ICONS), key="verdict",
        bind="query-params",
    )  # fmt: skip
    for claim in table.filter(pl.col("verdict").is_in(verdicts or list(VERDICT_ICONS))).iter_rows(named=True):
        with st.container(border=True):
            verdict = claim["verdict"] or "not_testable"
            st.badge(
                verdict.replace("_", " "),
                icon=VERDICT_ICONS.get(verdict),
                color=charts.VERDICT_COLORS.get(verdict, "gray"),
            )
            st.markdown(f"**{claim['claim']}**")
            st.caption(f"Source: {claim['source']}")
            st.markdown(f"**The data:** {claim['data_says']}")
            numbers = _numbers(claim["numbers"])
            if numbers:
                with st.expander("Numbers"):
                    st.json(numbers)

    st.download_button(
        "Download the claims (CSV)", table.write_csv(), file_name="claims_check.csv", mime="text/csv",
        icon=":material/download:",
    )  # fmt: skip


data.run_page(body)
