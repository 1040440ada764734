"""Data-quality checks on the marts, visible in the Dagster UI: freshness of the arXiv data, row counts against the
previous run, and the internal consistency of shares and verdicts."""

import datetime as dt
import json

import dagster as dg
import polars as pl

from pipelines import contract
from pipelines.lib.claims import VERDICTS
from pipelines.resources import WarehouseResource
from pipelines.row_count_checks import row_count_check

MAX_AGE_DAYS = 7  # the API refresh runs daily; a week allows for arXiv holidays and a failed day or two
MART_TABLES = contract.names("marts")


def freshness(latest: dt.date | None, sources: list[str], today: dt.date, max_age_days: int = MAX_AGE_DAYS) -> dict:
    """Whether the newest paper is recent enough, and a sentence explaining why not."""
    if latest is None:
        return {"passed": False, "age_days": None, "explanation": "The papers table has no dated paper."}
    age = (today - latest).days
    passed = age <= max_age_days
    explanation = f"The newest paper was published {latest:%Y-%m-%d}, {age} days before {today:%Y-%m-%d}."
    if not passed and "arxiv_api" not in sources:
        explanation += (
            " Every paper comes from the offline snapshot, which is frozen at the date it was made; run with the "
            "network (ARXIV_SOURCE=api or auto) or load a newer snapshot to catch up."
        )
    elif not passed:
        explanation += " The daily API pull has not added newer papers: check the arxiv_api_papers runs."
    return {"passed": passed, "age_days": age, "explanation": explanation}


@dg.asset_check(
    asset="neglectedness_monthly",
    description=f"arXiv data freshness: the newest published_date is at most {MAX_AGE_DAYS} days old (warns).",
)
def arxiv_data_freshness(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    row = warehouse.read("SELECT max(published_date) AS latest, list(DISTINCT source) AS sources FROM papers")
    latest = row["latest"][0]
    sources = [s for s in (row["sources"][0] if row["sources"][0] is not None else []) if s]
    result = freshness(latest, sources, dt.date.today())
    return dg.AssetCheckResult(
        passed=result["passed"],
        severity=dg.AssetCheckSeverity.WARN,
        description=result["explanation"],
        metadata={"latest_published_date": str(latest), "age_days": result["age_days"], "sources": list(sources)},
    )


row_count_checks = [row_count_check(table) for table in MART_TABLES]


@dg.asset_check(
    asset="neglectedness_monthly",
    blocking=True,
    description="Shares within 0..1 and narrow safety papers never more than broad ones.",
)
def neglectedness_shares_are_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = warehouse.read("SELECT * FROM neglectedness_monthly")
    bad = frame.filter(
        ~pl.col("share_broad").is_between(0, 1).fill_null(True)
        | ~pl.col("share_narrow").is_between(0, 1).fill_null(True)
        | (pl.col("n_safety_narrow") > pl.col("n_safety_broad"))
    )
    return dg.AssetCheckResult(passed=bad.is_empty(), metadata={"bad_months": bad.height, "months": frame.height})


@dg.asset_check(asset="lab_share_yearly", description="Lab shares and coverage within 0..1.")
def lab_shares_are_valid(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = warehouse.read("SELECT * FROM lab_share_yearly")
    cols = ("lab_share_safety", "lab_share_ai", "known_origin_coverage_safety")
    bad = frame.filter(pl.any_horizontal(~pl.col(c).is_between(0, 1).fill_null(True) for c in cols))
    return dg.AssetCheckResult(passed=bad.is_empty(), metadata={"bad_rows": bad.height})


@dg.asset_check(
    asset="claims_check",
    blocking=True,
    description="Every claim has a source, a sentence of evidence, a known verdict and numbers that parse as JSON.",
)
def claims_are_complete(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    frame = warehouse.read("SELECT * FROM claims_check")
    problems = []
    for row in frame.iter_rows(named=True):
        try:
            json.loads(row["numbers"])
        except (TypeError, ValueError):
            problems.append(f"{row['claim']}: numbers are not JSON")
        if row["verdict"] not in VERDICTS:
            problems.append(f"{row['claim']}: verdict {row['verdict']!r}")
        if not row["source"] or not row["data_says"]:
            problems.append(f"{row['claim']}: no source or evidence")
    return dg.AssetCheckResult(
        passed=frame.height > 0 and not problems,
        metadata={"claims": frame.height, "problems": problems[:20]},
    )
