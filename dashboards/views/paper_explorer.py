"""Paper explorer: search title, abstract and authors; filter by date, safety, topic, origin and category."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from dashboards import charts, data, queries, state
from pipelines import inputs
from pipelines.lib import search_query

LIMITS = [100, 500, 2000]
SORTS = list(queries.SEARCH_ORDERS)  # URL values too
SEARCH_HELP = (
    "Every term must match (case-insensitive). A word matches anywhere in the title, abstract or an author name, "
    'also inside longer words (agent finds agents and reagent). "Quoted words" must follow each other (any spaces '
    'or punctuation between them). `author:hinton` or `author:"geoffrey hinton"` searches author names only. '
    "Results come best match first (BM25 relevance), or newest first."
)
SAFETY_OPTIONS = ["broad", "narrow", "all"]  # URL values too, so no format_func


def seed_categories() -> list[str]:
    """The categories the arXiv queries seed names (searched and counted as AI)."""
    config = inputs.query_config()
    return [*config.search_categories, *config.ai_categories]


def body() -> None:
    st.title("Paper explorer")
    bounds = data.load(queries.paper_date_bounds).row(0, named=True)
    if bounds["first_date"] is None:
        st.info("The `papers` table is empty. Run `make refresh`.")
        return
    options = pl.DataFrame(schema={"kind": pl.String, "value": pl.String})
    with data.section():
        options = data.load(queries.explorer_options)
    topics = sorted(set(charts.topic_ids()) | set(options.filter(pl.col("kind") == "topic")["value"]))
    categories = sorted(set(seed_categories()) | set(options.filter(pl.col("kind") == "category")["value"]))

    text = st.text_input(
        "Search title, abstract and authors",
        key=state.SEARCH,
        bind="query-params",
        placeholder='e.g. sparse autoencoder, "reward hacking", author:Lopez',
        help=SEARCH_HELP,
        max_chars=200,
    )
    top = st.columns([2, 3])
    with top[0]:
        safety = st.segmented_control(
            "Safety papers only", SAFETY_OPTIONS, default="broad", required=True, key=state.SAFETY,
            bind="query-params", help="broad or narrow definition of safety work, or all papers",
        )  # fmt: skip
    with top[1]:
        months = state.months_between(bounds["first_date"], bounds["last_date"])
        default_first = max(months[0], months[-1].replace(year=months[-1].year - 1))
        start, end = state.month_range(months, (default_first, months[-1]))
    cols = st.columns([3, 3, 3, 1, 1])
    # Options are ids, not display names: bound widgets put the option text in the URL, and ids stay stable.
    chosen_topics = cols[0].multiselect("Topics", topics, key=state.TOPICS, bind="query-params")
    chosen_origins = cols[1].multiselect("Origins", list(charts.ORIGINS), key=state.ORIGINS, bind="query-params")
    chosen_categories = cols[2].multiselect("arXiv categories", categories, key=state.CATEGORIES, bind="query-params")
    limit = cols[3].selectbox("Rows", LIMITS, index=1, key=state.LIMIT, bind="query-params")
    sort = cols[4].selectbox(
        "Order", SORTS, key=state.SORT, bind="query-params", disabled=not (text or "").strip(),
        help="Relevance (BM25) applies to searches; without search text papers come newest first.",
    )  # fmt: skip

    hits = data.load(
        queries.search_papers,
        text=text or "",
        start=start,
        end=state.month_end(end),
        safety="any" if safety == "all" else (safety or "broad"),
        topics=sorted(chosen_topics),
        origins=sorted(chosen_origins),
        categories=sorted(chosen_categories),
        limit=limit,
        order=sort or "relevance",
    )
    more = hits.height > limit
    query = search_query.parse(text or "")
    ranked = bool(query.terms) and not query.needs_scan and sort != "newest"
    shown = hits.head(limit)
    period = f"{start:%Y-%m} to {end:%Y-%m}"
    if shown.is_empty():
        st.info(f"No papers match these filters ({period}).")
    elif more:
        st.caption(
            f"Showing the {'best' if ranked else 'newest'} **{limit:,}** matching papers ({period}); more match. "
            "Narrow the search or raise the row limit."
        )
    else:
        st.caption(f"**{shown.height:,}** matching papers ({period}).")
    st.dataframe(
        shown,
        hide_index=True,
        column_order=["url", "published_date", "title", "authors", "safety", "primary_topic", "origin",
                      "organizations", "safety_evidence", "origin_evidence", "primary_category", "categories",
                      "topics"],
        column_config={
            "url": st.column_config.LinkColumn("arXiv", display_text=r"https://arxiv\.org/abs/(.*)", width="small"),
            "published_date": st.column_config.DateColumn("date"),
            "title": st.column_config.TextColumn("title", width="large"),
            "primary_topic": st.column_config.TextColumn("topic"),
            "safety_evidence": st.column_config.TextColumn(
                "why safety", help="Phrases matched, the second stage's probability and its strongest terms"
            ),
            "origin_evidence": st.column_config.TextColumn(
                "why this origin", help="Affiliation, OpenAlex institution, mention or roster record behind the origin"
            ),
        },
    )  # fmt: skip
    st.download_button(
        "Download these rows (CSV)",
        shown.write_csv(),
        file_name=f"papers_{dt.date.today():%Y%m%d}.csv",
        mime="text/csv",
        icon=":material/download:",
        disabled=shown.is_empty(),
    )
    state.share_hint()


data.run_page(body)
