"""Assets of the live arXiv API source: papers per submission month (the history, from ARXIV_HISTORY_START) and
per submission day (the daily schedule's recent days), and AI-category totals per month (from ARXIV_COUNTS_START).

All share the `arxiv_api` pool so backfills send one request stream to arXiv; the client's limiter enforces
the 3 s spacing across processes anyway. Each partition writes in one transaction (a killed run leaves the
warehouse as it was) and records its run in ingest_runs, which `make refresh` reads to resume a backfill.
"""

import time
import warnings
from datetime import date
from typing import TYPE_CHECKING

import dagster as dg
import polars as pl

from pipelines import settings
from pipelines.defs.arxiv.api_resource import ArxivApiResource
from pipelines.defs.arxiv.run_records import COUNTS_KIND, PAPERS_KIND, final_pulls, notify_progress, record_failure
from pipelines.ingest import RunRecord, UpsertCounts, record_rejects, upsert_papers
from pipelines.inputs import query_config
from pipelines.lib.arxiv_api import (
    SOURCE,
    QueryConfig,
    Window,
    convert_results,
    day_window,
    dedupe,
    month_window,
    results_frame,
    search_query,
    split_windows,
)
from pipelines.resources import WarehouseResource

if TYPE_CHECKING:  # the client imports arxiv and requests; the resource builds it when the API is called
    from pipelines.arxiv_client import ArxivClient

# BackfillPolicy is beta in Dagster 1.13; the warning would print at every start of `make refresh`.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

POOL = "arxiv_api"
START_DATE = settings.arxiv_api_start_date()
MONTHS_PER_RUN = 12  # a backfill of the monthly assets runs a year per Dagster run (each month its own transaction)

arxiv_api_daily = dg.DailyPartitionsDefinition(start_date=START_DATE, end_offset=0)
# end_offset=1: the current month is a partition too, pulled again daily until it is complete.
arxiv_api_monthly = dg.MonthlyPartitionsDefinition(start_date=settings.arxiv_counts_start(), end_offset=1)
arxiv_api_history = dg.MonthlyPartitionsDefinition(start_date=settings.arxiv_history_start(), end_offset=1)


class ArxivQueriesConfig(dg.Config):
    queries_path: str = ""  # a YAML like seeds/arxiv_queries.yaml; "" = that file


def fetch_day(
    client: "ArxivClient", queries: QueryConfig, day: date, cap: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """(papers, authors, rejects, n results read) for every configured query over one submission day."""
    return fetch_window(client, queries, day_window(day), cap)


def fetch_window(
    client: "ArxivClient", queries: QueryConfig, whole: Window, cap: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, int]:
    """(papers, authors, rejects, n results read) for every configured query over a submission window, split
    under arXiv's result cap."""
    raw_parts = []
    for spec in queries.queries:

        def query_for(window: Window, terms: tuple[str, ...] = spec.terms) -> str:
            return search_query(terms, queries.search_categories, window)

        for window, _ in split_windows(whole, query_for, client.total_results, cap):
            query = query_for(window)
            raw_parts.append(results_frame(client.fetch(query), spec.name, query))
    raw = pl.concat(raw_parts) if raw_parts else results_frame([], "", "")
    papers, authors, rejects = convert_results(raw)
    papers, authors = dedupe(papers, authors)
    return papers, authors, rejects, raw.height


def _source_detail(arxiv_api: ArxivApiResource, queries: QueryConfig) -> str:
    return f"{arxiv_api.base_url} queries: {', '.join(q.name for q in queries.queries)}"


def _pull_window(
    context: dg.AssetExecutionContext,
    asset: str,
    partition_key: str,
    window: Window,
    label: str,
    queries: QueryConfig,
    arxiv_api: ArxivApiResource,
    warehouse: WarehouseResource,
) -> dict[str, object]:
    """Pull every query over `window` and upsert the papers, in one transaction with its ingest_runs row.
    Returns what it did (the partition's metadata), with `duplicate_ids` left in papers."""
    run = RunRecord(
        run_id=context.run_id,
        asset=asset,
        source=SOURCE,
        source_detail=_source_detail(arxiv_api, queries),
        partition_key=partition_key,
    )
    started = time.monotonic()
    with record_failure(context, warehouse, run):
        client = arxiv_api.client(context.log)
        requests_before = client.n_requests
        papers, authors, rejects, run.n_read = fetch_window(client, queries, window, arxiv_api.result_cap)
        n_requests = client.n_requests - requests_before
        run.n_rejected = rejects.height
        with warehouse.transaction() as con:
            run.counts = UpsertCounts(**upsert_papers(con, papers, authors))
            record_rejects(con, run.run_id, SOURCE, rejects)
            duplicates = con.execute("SELECT count(*) - count(DISTINCT arxiv_id) FROM papers").fetchone()[0]
            summary = (
                f"{label}: read {run.n_read} results in {n_requests} requests, {papers.height} distinct papers: "
                f"{run.counts.inserted} new, {run.counts.updated} updated, "
                f"{run.counts.unchanged + run.counts.older} unchanged, {rejects.height} rejected"
            )
            run.write(con, "success", summary)
    seconds = time.monotonic() - started
    context.log.info(f"{summary} ({seconds:.1f} s)")
    return {
        "window": window.clause(),
        "n_read": run.n_read,
        "n_requests": n_requests,
        "seconds": round(seconds, 2),
        "n_papers": papers.height,
        "n_authors": authors.height,
        **{f"n_{k}": v for k, v in run.counts.as_dict().items()},
        "n_rejected": rejects.height,
        "duplicate_ids": duplicates,
    }


def _unique_ids_check(duplicates: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name="papers_unique_ids", passed=duplicates == 0, metadata={"duplicate_ids": duplicates}
    )


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
    done = _pull_window(
        context, "arxiv_api_papers", context.partition_key, day_window(day), str(day), queries, arxiv_api, warehouse
    )
    duplicates = done.pop("duplicate_ids")
    return dg.MaterializeResult(metadata={"day": str(day), **done}, check_results=[_unique_ids_check(duplicates)])


class ArxivHistoryConfig(ArxivQueriesConfig):
    # In a run over a range of months (a backfill), months already pulled for good (ingest_runs: a success that
    # started on or after the first of the month after next) are skipped, so a backfill launched again resumes
    # where the last one stopped; True pulls them again. A run of one partition always pulls it.
    repull_final_months: bool = False


def _months_to_do(
    context: dg.AssetExecutionContext, asset: str, warehouse: WarehouseResource, repull: bool
) -> list[date]:
    """The run's months (one, or a range), without those already pulled for good in a range unless `repull`."""
    months = [date.fromisoformat(key) for key in context.partition_keys]
    if repull or len(months) == 1:
        return months
    final = final_pulls(warehouse, asset, months)
    for month in months:
        if month in final:
            context.log.info(
                f"{month:%Y-%m}: pulled for good on {final[month]:%Y-%m-%d}, skipped (repull_final_months: true "
                "pulls it again)"
            )
    return [m for m in months if m not in final]


def _progress(context: dg.AssetExecutionContext, kind: str, month: date, i: int, n: int, started: float) -> None:
    """A line per month in the run's log: done/total of this run, time spent and left."""
    elapsed = time.monotonic() - started
    left = elapsed / i * (n - i)
    context.log.info(f"{kind} {month:%Y-%m}: {i}/{n} months of this run done, {elapsed:.0f} s, ~{left:.0f} s left")


@dg.asset(
    partitions_def=arxiv_api_history,
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=MONTHS_PER_RUN),
    pool=POOL,
    group_name="arxiv",
    kinds={"duckdb"},
    check_specs=[dg.AssetCheckSpec("papers_unique_ids", asset="arxiv_api_papers_monthly", blocking=True)],
    description="Papers submitted in each partition month that match the seeds/arxiv_queries.yaml searches (the "
    "history from ARXIV_HISTORY_START, backfilled by make refresh; a run takes a range of months, each in its own "
    "transaction), upserted into papers and paper_authors.",
)
def arxiv_api_papers_monthly(
    context: dg.AssetExecutionContext,
    config: ArxivHistoryConfig,
    arxiv_api: ArxivApiResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    asset = "arxiv_api_papers_monthly"
    queries = query_config(config.queries_path or None)
    months = _months_to_do(context, asset, warehouse, config.repull_final_months)
    started = time.monotonic()
    per_month: dict[str, dict[str, object]] = {}
    duplicates = 0
    for i, month in enumerate(months, 1):
        key = month.isoformat()
        done = _pull_window(context, asset, key, month_window(month), f"{month:%Y-%m}", queries, arxiv_api, warehouse)
        duplicates = int(done.pop("duplicate_ids"))
        per_month[key] = done
        notify_progress(PAPERS_KIND, month, done)
        _progress(context, PAPERS_KIND, month, i, len(months), started)
    totals = {k: sum(int(d[k]) for d in per_month.values()) for k in ("n_read", "n_requests", "n_papers")}
    return dg.MaterializeResult(
        metadata={
            "months": len(context.partition_keys),
            "months_pulled": len(per_month),
            **totals,
            "seconds": round(time.monotonic() - started, 2),
            "per_month": dg.MetadataValue.json(per_month),
        },
        check_results=[_unique_ids_check(duplicates)],
    )


def _count_month(
    context: dg.AssetExecutionContext,
    month: date,
    queries: QueryConfig,
    arxiv_api: ArxivApiResource,
    warehouse: WarehouseResource,
) -> tuple[pl.DataFrame, dict[str, object]]:
    run = RunRecord(
        run_id=context.run_id,
        asset="arxiv_api_category_counts",
        source=SOURCE,
        source_detail=f"{arxiv_api.base_url} ai_categories: {', '.join(queries.ai_categories)}",
        partition_key=month.isoformat(),
    )
    started = time.monotonic()
    with record_failure(context, warehouse, run):
        client = arxiv_api.client(context.log)
        requests_before = client.n_requests
        counts = client.category_counts(queries.ai_categories, month)
        n_requests = client.n_requests - requests_before
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
    seconds = time.monotonic() - started
    all_ai = counts.filter(pl.col("category") == "ALL_AI")["n_papers"].item()
    context.log.info(f"{month:%Y-%m}: ALL_AI = {all_ai} ({n_requests} requests, {seconds:.1f} s)")
    done = {"n_requests": n_requests, "seconds": round(seconds, 2), "n_totals": counts.height, "ALL_AI": all_ai}
    return counts, done


@dg.asset(
    partitions_def=arxiv_api_monthly,
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=MONTHS_PER_RUN),
    pool=POOL,
    group_name="arxiv",
    kinds={"duckdb"},
    check_specs=[dg.AssetCheckSpec("all_ai_is_union", asset="arxiv_api_category_counts")],
    description="All papers per AI category (seeds/arxiv_queries.yaml ai_categories) and ALL_AI per month, "
    "from the API's total-results counts: the denominator of the safety share (category_month_counts). From "
    "ARXIV_COUNTS_START; a run takes a range of months, each in its own transaction.",
)
def arxiv_api_category_counts(
    context: dg.AssetExecutionContext,
    config: ArxivHistoryConfig,
    arxiv_api: ArxivApiResource,
    warehouse: WarehouseResource,
) -> dg.MaterializeResult:
    queries = query_config(config.queries_path or None)
    months = _months_to_do(context, "arxiv_api_category_counts", warehouse, config.repull_final_months)
    started = time.monotonic()
    per_month: dict[str, dict[str, object]] = {}
    bad_unions: dict[str, dict[str, int]] = {}
    for i, month in enumerate(months, 1):
        counts, done = _count_month(context, month, queries, arxiv_api, warehouse)
        per_month[month.isoformat()] = {**done, **dict(counts.select("category", "n_papers").iter_rows())}
        per_category = counts.filter(pl.col("category") != "ALL_AI")["n_papers"]
        # The union is at least its largest member and at most the sum of members (cross-lists count once).
        if not per_category.max() <= done["ALL_AI"] <= per_category.sum():
            bad_unions[month.isoformat()] = {
                "all_ai": int(done["ALL_AI"]),
                "max_category": int(per_category.max()),
                "sum": int(per_category.sum()),
            }
        notify_progress(COUNTS_KIND, month, done)
        _progress(context, COUNTS_KIND, month, i, len(months), started)
    metadata: dict[str, object] = {
        "months": len(context.partition_keys),
        "months_pulled": len(per_month),
        "n_requests": sum(int(d["n_requests"]) for d in per_month.values()),
        "seconds": round(time.monotonic() - started, 2),
    }
    if len(per_month) == 1:  # one month: its totals as plain metadata, as before
        [(month_key, totals)] = per_month.items()
        metadata.update({"month": month_key, **{k: v for k, v in totals.items() if k not in metadata}})
    else:
        metadata["per_month"] = dg.MetadataValue.json(per_month)
    return dg.MaterializeResult(
        metadata=metadata,
        check_results=[
            dg.AssetCheckResult(
                check_name="all_ai_is_union",
                passed=not bad_unions,
                metadata={"months_checked": len(per_month), "months_failing": dg.MetadataValue.json(bad_unions)},
            )
        ],
    )
