"""Overview: the headline figures, each computed from the warehouse with its as-of date and source."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards import charts, data, queries
from dashboards.data import fmt_int, fmt_pct, fmt_range


def _delta(last: float | None, prev: float | None, prev_months: int, last_months: int, is_count: bool) -> str | None:
    """Change against the window before. A count is only compared with a window as fully covered as its own;
    a share is comparable across windows of different coverage, and says how many months it compares with."""
    if last is None or not prev or not prev_months:
        return None
    if is_count and prev_months != last_months:
        return None
    against = "the year before" if prev_months == 12 else f"the {prev_months} covered months before"
    return f"{100 * (last / prev - 1):+.0f}% on {against}"


def output_metrics() -> None:
    head = data.load(queries.headline_output)
    if head.is_empty():
        st.info("The neglectedness mart is empty: no months counted yet.")
        return
    rows = {r["period"]: r for r in head.iter_rows(named=True)}
    last, prev = rows.get("last"), rows.get("prev", {})
    window = f"{last['first_month']:%Y-%m} to {last['last_month']:%Y-%m} ({last['n_months']} months)"
    source = f"`neglectedness_monthly`; denominator: {last['denominator_source']}"
    cols = st.columns(4)
    for col, definition in zip(cols[:2], ("narrow", "broad"), strict=True):
        n = last[f"n_safety_{definition}"]
        col.metric(
            f"Safety papers, {definition}",
            fmt_int(n),
            _delta(n, prev.get(f"n_safety_{definition}"), prev.get("n_months", 0), last["n_months"], True),
            border=True,
            help=f"Papers classified as {definition} safety work, published {window}; change against the 12 "
            "months before.",
        )
        col.caption(f"12 months to {last['last_month']:%Y-%m} · {source}")
    for col, definition in zip(cols[2:], ("narrow", "broad"), strict=True):
        share = last[f"share_{definition}"]
        col.metric(
            f"Share of AI papers, {definition}",
            fmt_pct(share, 2),
            _delta(share, prev.get(f"share_{definition}"), prev.get("n_months", 0), last["n_months"], False),
            border=True,
            help=f"{definition.capitalize()} safety papers ÷ all AI papers, {window}; change against the 12 "
            "months before.",
        )
        col.caption(f"12 months to {last['last_month']:%Y-%m} · {source}")


def headcount_metric(col: st.delta_generator.DeltaGenerator) -> None:
    with col, data.section():
        est = data.load(queries.latest_headcount)
        if est.is_empty():
            st.metric("Technical AI-safety headcount", "—", border=True)
            st.caption("No technical estimate in `field_size_estimates`.")
            return
        e = est.row(0, named=True)
        st.metric(
            f"Technical safety FTE ({e['year']})",
            fmt_range(e["low"], e["central"], e["high"]),
            border=True,
            help=f"Full-time technical AI-safety researchers: the latest of {e['n_technical_estimates']} published "
            "technical estimates (all of them are on the Workforce page).",
        )
        st.caption(f"As of {e['year']} · {e['unit']} · {e['source_title']} ({e['author']})")


def lab_share_metric(col: st.delta_generator.DeltaGenerator) -> None:
    with col, data.section():
        lab = data.load(queries.lab_share_yearly, "narrow").filter(pl.col("n_safety_known") > 0)
        if lab.is_empty():
            st.metric("Frontier-lab share of safety papers", "—", border=True)
            return
        r = lab.row(-1, named=True)
        st.metric(
            f"Lab share of safety ({r['year']})",
            fmt_pct(r["lab_share_safety"]),
            f"{fmt_pct(r['lab_share_ai'])} of AI papers",
            delta_color="off",
            delta_arrow="off",
            border=True,
            help="Frontier-lab share of narrow safety papers, against the same share of all AI papers; among "
            "papers whose origin is known.",
        )
        st.caption(
            f"As of {r['year']} · `lab_share_yearly`; origin known for {fmt_pct(r['known_origin_coverage_safety'], 0)}"
            " of safety papers"
        )


def author_share_metric(col: st.delta_generator.DeltaGenerator) -> None:
    with col, data.section():
        authors = data.load(queries.authors_yearly).filter(pl.col("definition") == "narrow")
        if authors.is_empty():
            st.metric("Safety share of AI researchers", "—", border=True)
            return
        r = authors.row(-1, named=True)
        st.metric(
            f"Share of AI authors ({r['year']})",
            fmt_pct(r["safety_author_share"], 2),
            f"{fmt_int(r['n_safety_authors_active'])} of {fmt_int(r['n_ai_authors_active'])}",
            delta_color="off",
            delta_arrow="off",
            border=True,
            help="Distinct authors with a narrow safety paper in the trailing 24 months ÷ distinct authors of AI "
            "papers in the same window.",
        )
        st.caption(f"As of {r['year']} · `workforce_authors_yearly` (authors by normalised name)")


def per_fte_metric(col: st.delta_generator.DeltaGenerator) -> None:
    with col, data.section():
        fte = data.load(queries.papers_per_fte).drop_nulls("papers_per_fte")
        if fte.is_empty():
            st.metric("Safety papers per FTE", "—", border=True)
            return
        r = fte.row(-1, named=True)
        st.metric(
            f"Papers per safety FTE ({r['year']})",
            f"{r['papers_per_fte']:.2f}",
            f"range {r['papers_per_fte_low']:.2f}–{r['papers_per_fte_high']:.2f}"
            if r["papers_per_fte_low"] is not None and r["papers_per_fte_high"] is not None
            else None,
            delta_color="off",
            delta_arrow="off",
            border=True,
        )
        st.caption(f"As of {r['year']} · `papers_per_fte_yearly`, headcount: {r['estimate_source']}")


def body() -> None:
    st.title("AI safety field monitor")
    st.markdown(
        "How much technical AI-safety research is published, by whom, on what, and how that compares with AI "
        "research as a whole and with published headcount estimates. Every figure below is computed from the "
        "warehouse on each refresh."
    )
    with data.section():
        output_metrics()
    cols = st.columns(4)
    headcount_metric(cols[0])
    per_fte_metric(cols[1])
    lab_share_metric(cols[2])
    author_share_metric(cols[3])

    with data.section():
        months = data.load(queries.month_bounds)
        if months.height:
            last = months["month"].max()
            three_years = months.filter(pl.col("month") > pl.lit(last) - pl.duration(days=3 * 365))["month"].min()
            first = max(three_years, charts.default_start(months))
            recent = data.load(queries.neglectedness_monthly, first, last)
            st.subheader("Safety papers per month, up to the last three years (narrow)")
            st.altair_chart(charts.safety_papers_monthly(recent, "narrow"), width="stretch")
    data.sample_note()


data.run_page(body)
