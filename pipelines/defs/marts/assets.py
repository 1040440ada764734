"""Neglectedness marts and the claims check, recomputed in full from the warehouse on every run.

Each mart is a pure function in pipelines.lib.metrics of `paper_cells` (papers counted by month, AI-category flag,
safety flags, primary topic and origin), aggregated once per asset in DuckDB. Every asset also appends its row count
to `table_row_counts`, which the row-count checks compare with the previous run.
"""

import datetime as dt

import dagster as dg
import duckdb
import polars as pl

from pipelines.cells import paper_cells
from pipelines.inputs import ai_categories, claim_sources
from pipelines.judged_sample import judged_ai_papers
from pipelines.lib import claims, estimates, metrics, origin_shares
from pipelines.resources import WarehouseResource
from pipelines.warehouse import table_columns, write_table

UPSTREAM = [
    dg.AssetDep("paper_classification"),
    dg.AssetDep("arxiv_snapshot_category_counts"),
    dg.AssetDep("arxiv_api_category_counts"),
]
MONTH_COUNTS_SQL = "SELECT category, month, n_papers, source, counted_at FROM category_month_counts"
# Narrow safety papers with an OpenAlex citation count, for "the papers people read" (claims_check).
CITATIONS_SQL = f"""
SELECT o.cited_by_count, c.has_frontier_lab_author, c.has_academic_author,
       {origin_shares.ANY_PLACED_SQL} AS any_placed
FROM paper_classification c JOIN openalex_works o USING (arxiv_id)
WHERE c.is_safety_narrow AND o.status = 'ok' AND o.cited_by_count IS NOT NULL
"""

# Safety papers per day since 2020 (papers dated to the day, not only to their id's month), for "multiple safety
# papers every day"; claims_check keeps the covered months.
DAILY_SAFETY_SQL = f"""
SELECT p.published_date AS day, count(*) FILTER (WHERE c.is_safety_narrow) AS n_narrow,
       count(*) FILTER (WHERE c.is_safety_broad) AS n_broad
FROM papers p JOIN paper_classification c USING (arxiv_id)
WHERE (c.is_safety_broad OR c.is_safety_narrow) AND p.published_date >= DATE '{claims.SINCE_2020}'
    AND p.date_source <> 'id_month'
GROUP BY ALL
"""


def covered_cells(
    con: duckdb.DuckDBPyConnection, warehouse: WarehouseResource
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(cells restricted to covered months, covered months, category_month_counts)."""
    cells = paper_cells(con, warehouse)
    month_counts = con.sql(MONTH_COUNTS_SQL).pl()
    months = metrics.covered_months(month_counts, cells)
    return metrics.restrict_to_months(cells, months), months, month_counts


def _materialize(context: dg.AssetExecutionContext, warehouse: WarehouseResource, table: str, compute) -> dict:
    with warehouse.transaction() as con:
        cells, months, month_counts = covered_cells(con, warehouse)
        frame = compute(cells, months, month_counts)
        write_table(con, table, frame, context.run_id)
    first, last = (months["month"].min(), months["month"].max()) if months.height else (None, None)
    return {"rows": frame.height, "covered_months": months.height, "first_month": str(first), "last_month": str(last)}


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=UPSTREAM,
    description="Safety share of AI papers per covered month, broad and narrow; the denominator is the ALL_AI "
    "count of category_month_counts (arxiv_api preferred over arxiv_snapshot).",
)
def neglectedness_monthly(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    meta = _materialize(
        context, warehouse, "neglectedness_monthly", lambda c, m, counts: metrics.neglectedness_monthly(c, counts)
    )
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=UPSTREAM,
    description="Safety papers per month by primary topic, for the broad and narrow definitions.",
)
def safety_papers_by_topic_monthly(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    meta = _materialize(
        context,
        warehouse,
        "safety_papers_by_topic_monthly",
        lambda c, m, counts: metrics.safety_papers_by_topic_monthly(c),
    )
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=UPSTREAM,
    description="Safety papers per month by origin class, for the broad and narrow definitions.",
)
def safety_papers_by_origin_monthly(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    meta = _materialize(
        context,
        warehouse,
        "safety_papers_by_origin_monthly",
        lambda c, m, counts: metrics.safety_papers_by_origin_monthly(c),
    )
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=UPSTREAM,
    description="Safety papers per month naming each organisation, by origin class, for the broad and narrow "
    "definitions (the dashboard's top organisations over any range).",
)
def safety_papers_by_organization_monthly(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.transaction() as con:
        _, months, _ = covered_cells(con, warehouse)
        cells = metrics.restrict_to_months(metrics.organization_cells(con), months)
        frame = metrics.safety_papers_by_organization_monthly(cells)
        write_table(con, "safety_papers_by_organization_monthly", frame, context.run_id)
    return dg.MaterializeResult(metadata={"rows": frame.height, "covered_months": months.height})


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=UPSTREAM,
    description="Frontier-lab share of known-origin safety papers against that of all AI papers, per year "
    "('mixed' counts as known, not lab).",
)
def lab_share_yearly(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    meta = _materialize(context, warehouse, "lab_share_yearly", lambda c, m, counts: metrics.lab_share_yearly(c))
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=UPSTREAM,
    description="Labs vs academia three ways (any author of a class, the first author's class, single-class papers) "
    "for narrow and broad safety papers and all AI papers, per year and over all covered months, each share with "
    "its coverage and a 95% Wilson interval (pipelines/lib/origin_shares.py).",
)
def origin_shares_yearly(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.transaction() as con:
        _, months, _ = covered_cells(con, warehouse)
        involvement = metrics.restrict_to_months(origin_shares.involvement_cells(con, ai_categories()), months)
        frame = origin_shares.origin_shares_yearly(involvement)
        write_table(con, "origin_shares_yearly", frame, context.run_id)
    overall = frame.filter(pl.col("period") == origin_shares.ALL_PERIOD, pl.col("class") == "academic")
    coverage = {f"coverage:{r['population']}:{r['way']}": r["coverage"] for r in overall.iter_rows(named=True)}
    return dg.MaterializeResult(metadata={"rows": frame.height, "covered_months": months.height, **coverage})


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=[*UPSTREAM, dg.AssetDep("field_size_estimates")],
    description="Narrow safety papers per technical FTE, per year and estimate series (interpolated only between "
    "a series' published years; paper counts annualised over covered months).",
)
def papers_per_fte_yearly(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    fte = estimates.interpolate_series(estimates.pooled_series(warehouse.read("SELECT * FROM field_size_estimates")))
    meta = _materialize(
        context, warehouse, "papers_per_fte_yearly", lambda c, m, counts: metrics.papers_per_fte_yearly(c, m, fte)
    )
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=UPSTREAM,
    description="Per topic: safety papers in the last 12 complete months against the 12 before, with a status "
    "(booming, growing, stable, shrinking, neglected).",
)
def topic_growth(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    today = dt.date.today()
    meta = _materialize(context, warehouse, "topic_growth", lambda c, m, counts: metrics.topic_growth(c, m, today))
    return dg.MaterializeResult(metadata=meta)


CLAIM_TABLES = (
    "field_size_estimates",
    "workforce_positions_yearly",
    "workforce_growth_fit",
    "workforce_authors_yearly",
    "neglectedness_monthly",
    "safety_papers_by_origin_monthly",
)


@dg.asset(
    group_name="marts",
    kinds={"duckdb", "polars"},
    deps=[
        *UPSTREAM,
        neglectedness_monthly,
        safety_papers_by_origin_monthly,
        origin_shares_yearly,
        *[dg.AssetDep(t) for t in CLAIM_TABLES[:4]],
    ],
    description="Each quantitative claim of the source documents with what the data says, the numbers and a "
    "verdict (supported, contradicted, mixed, not_testable), computed on every run.",
)
def claims_check(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.transaction() as con:
        tables = {t: con.sql(f"SELECT * FROM {t}").pl() for t in CLAIM_TABLES}
        cells, _, _ = covered_cells(con, warehouse)
        inputs = claims.ClaimInputs(
            estimates=tables["field_size_estimates"],
            positions=tables["workforce_positions_yearly"],
            growth=tables["workforce_growth_fit"],
            authors=tables["workforce_authors_yearly"],
            neglectedness=tables["neglectedness_monthly"],
            origins=tables["safety_papers_by_origin_monthly"],
            cells=cells,
            shares=con.sql("SELECT * FROM origin_shares_yearly").pl(),
            citations=con.sql(CITATIONS_SQL).pl()
            if "cited_by_count" in table_columns(con, "openalex_works")
            else pl.DataFrame(schema=claims.CITATIONS_SCHEMA),
            judged=judged_ai_papers(con).select("narrow", "broad"),
            daily=con.sql(DAILY_SAFETY_SQL).pl().cast(claims.DAILY_SCHEMA),
        )
        frame = claims.claims_check(inputs, claim_sources())
        write_table(con, "claims_check", frame, context.run_id)
    verdicts = frame.group_by("verdict").len().sort("verdict")
    return dg.MaterializeResult(
        metadata={
            "rows": frame.height,
            **{f"verdict_{v}": n for v, n in verdicts.iter_rows()},
            "claims": dg.MetadataValue.md(_markdown(frame)),
        }
    )


def _markdown(frame: pl.DataFrame) -> str:
    lines = ["| claim | verdict |", "|---|---|"]
    lines += [f"| {r['claim']} | {r['verdict']} |" for r in frame.iter_rows(named=True)]
    return "\n".join(lines)
