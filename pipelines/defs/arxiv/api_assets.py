"""Assets of the live arXiv API source: papers per submission day, and AI-category totals per month.

Both share the `arxiv_api` pool so backfills send one request stream to arXiv; the client's limiter enforces
the 3 s spacing across processes anyway.
"""

from datetime import date

import dagster as dg
import polars as pl

from pipelines import settings
from pipelines.arxiv_client import ArxivClient
from pipelines.defs.arxiv.api_resource import ArxivApiResource
from pipelines.defs.arxiv.run_records import record_failure
from pipelines.ingest import RunRecord, UpsertCounts, record_rejects, upsert_papers
from pipelines.inputs import query_config
from pipelines.lib.arxiv_api import (
    SOURCE,
    QueryConfig,
    Window,
    convert_results,
    day_window,
    dedupe,
    results_frame,
    search_query,
    split_windows,
)
from pipelines.resources import WarehouseResource

POOL = "arxiv_api"
START_DATE = settings.arxiv_api_start_date()

arxiv_api_daily = dg.DailyPartitionsDefinition(start_date=START_DATE, end_offset=0)
# end_offset=1: the current month is a partition too, recounted daily until it is complete.
arxiv_api_monthly = dg.MonthlyPartitionsDefinition(start_date=START_DATE[:7] + "-01", end_offset=1)


class ArxivQueriesConfig(dg.Config):
    queries_path: str = ""  # a YAML like seeds/arxiv_queries.yaml; "" = that file


def fetch_day(
    client: ArxivClient, queries: QueryConfig, day: date, cap: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """(papers, authors, rejects, n results read) for every configured query over one submission day."""
    raw_parts = []
    for spec in queries.queries:

        def query_for(window: Window, terms: tuple[str, ...] = spec.terms) -> str:
            return search_query(terms, queries.search_categories, window)

        for window, _ in split_windows(day_window(day), query_for, client.total_results, cap):
            query = query_for(window)
            raw_parts.append(results_frame(client.fetch(query), spec.name, query))
    raw = pl.concat(raw_parts) if raw_parts else results_frame([], "", "")
    papers, authors, rejects = convert_results(raw)
    papers, authors = dedupe(papers, authors)
    return papers, authors, rejects, raw.height


def _source_detail(arxiv_api: ArxivApiResource, queries: QueryConfig) -> str:
    return f"{arxiv_api.base_url} queries: {', '.join(q.name for q in queries.queries)}"


@dg.asset(
    partitions_def=arxiv_api_daily,
    pool=POOL,
    group_name="arxiv",
    kinds={"duckdb"},
    check_specs=[dg.AssetCheckSpec("papers_unique_ids", asset="arxiv_api_papers", blocking=True)],
    description="Papers submitted on the partition day that match the seeds/arxiv_queries.yaml searches, "
    "upserted into papers and paper_authors (source 'arxiv_api').",
)
def arxiv_api_papers(
    context: dg.AssetExecutionContext,
    config: ArxivQueriesConfig,
    arxiv_api: ArxivApiResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    queries = query_config(config.queries_path or None)
    run = RunRecord(
        run_id=context.run_id,
        asset="arxiv_api_papers",
        source=SOURCE,
        source_detail=_source_detail(arxiv_api, queries),
        partition_key=context.partition_key,
    )
    with record_failure(context, warehouse, run):
        client = arxiv_api.client(context.log)
        papers, authors, rejects, run.n_read = fetch_day(client, queries, day, arxiv_api.result_cap)
        run.n_rejected = rejects.height
        with warehouse.transaction() as con:
            run.counts = UpsertCounts(**upsert_papers(con, papers, authors))
            record_rejects(con, run.run_id, SOURCE, rejects)
            duplicates = con.execute("SELECT count(*) - count(DISTINCT arxiv_id) FROM papers").fetchone()[0]
            summary = (
                f"{day}: read {run.n_read} results, {papers.height} distinct papers: "
                f"{run.counts.inserted} new, {run.counts.updated} updated, "
                f"{run.counts.unchanged + run.counts.older} unchanged, {rejects.height} rejected"
            )
            run.write(con, "success", summary)
    context.log.info(summary)
    return dg.MaterializeResult(
        metadata={
            "day": str(day),
            "n_read": run.n_read,
            "n_papers": papers.height,
            "n_authors": authors.height,
            **{f"n_{k}": v for k, v in run.counts.as_dict().items()},
            "n_rejected": rejects.height,
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="papers_unique_ids", passed=duplicates == 0, metadata={"duplicate_ids": duplicates}
            )
        ],
    )


@dg.asset(
    partitions_def=arxiv_api_monthly,
    pool=POOL,
    group_name="arxiv",
    kinds={"duckdb"},
    check_specs=[dg.AssetCheckSpec("all_ai_is_union", asset="arxiv_api_category_counts")],
    description="All papers per AI category (seeds/arxiv_queries.yaml ai_categories) and ALL_AI per month, "
    "from the API's total-results counts: the denominator of the safety share (category_month_counts).",
)
def arxiv_api_category_counts(
    context: dg.AssetExecutionContext,
    config: ArxivQueriesConfig,
    arxiv_api: ArxivApiResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    month = date.fromisoformat(context.partition_key)
    queries = query_config(config.queries_path or None)
    run = RunRecord(
        run_id=context.run_id,
        asset="arxiv_api_category_counts",
        source=SOURCE,
        source_detail=f"{arxiv_api.base_url} ai_categories: {', '.join(queries.ai_categories)}",
        partition_key=context.partition_key,
    )
    with record_failure(context, warehouse, run):
        counts = arxiv_api.client(context.log).category_counts(queries.ai_categories, month)
        run.n_read = counts.height
        with warehouse.transaction() as con:
            con.execute(
                "DELETE FROM category_month_counts WHERE month = ? AND source = ?",
                [counts["month"][0], SOURCE],
            )
            con.register("_counts", counts)
            try:
                con.execute(
                    """INSERT INTO category_month_counts
                    (category, month, n_papers, n_primary, source, counted_at)
                    SELECT category, month, n_papers, n_primary, source, counted_at FROM _counts"""
                )
            finally:
                con.unregister("_counts")
            run.counts = UpsertCounts(inserted=counts.height)
            run.write(con, "success", f"{month:%Y-%m}: {counts.height} category totals")
    per_category = counts.filter(pl.col("category") != "ALL_AI")["n_papers"]
    all_ai = counts.filter(pl.col("category") == "ALL_AI")["n_papers"].item()
    # The union is at least its largest member and at most the sum of members (cross-lists count once).
    union_ok = per_category.max() <= all_ai <= per_category.sum()
    context.log.info(f"{month:%Y-%m}: ALL_AI = {all_ai}")
    return dg.MaterializeResult(
        metadata={"month": str(month), **dict(counts.select("category", "n_papers").iter_rows())},
        check_results=[
            dg.AssetCheckResult(
                check_name="all_ai_is_union",
                passed=bool(union_ok),
                metadata={"all_ai": all_ai, "max_category": per_category.max(), "sum": per_category.sum()},
            )
        ],
    )
