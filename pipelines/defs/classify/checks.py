"""Checks on paper_relevance and paper_classification: coverage, plausible safety share, unknown-origin share."""

import dagster as dg

from pipelines.defs.classify.assets import paper_classification, paper_relevance
from pipelines.inputs import classifier_bundle
from pipelines.lib.organizations import ORIGINS
from pipelines.resources import WarehouseResource

# Share of AI papers flagged as safety that is plausible: ETO counts about 2% broadly; a share outside this
# range means the classifier or its input broke (e.g. empty abstracts, or a phrase that matches everything).
SAFETY_SHARE_RANGE = (0.001, 0.30)
MIN_PAPERS_FOR_SHARE = 200  # below this a share says little (a demo or test warehouse)
# Only a near-total unknown share among all papers signals that the origin evidence stopped working; among narrow
# safety papers, labs-vs-academia figures need most origins known.
MAX_UNKNOWN_ORIGIN_SHARE = 0.995
MAX_UNKNOWN_ORIGIN_SHARE_NARROW = 0.8


@dg.asset_check(
    asset=paper_relevance,
    blocking=True,
    description="Every paper has exactly one paper_relevance row, classified by the current classifier version.",
)
def paper_relevance_covers_papers(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    version = classifier_bundle().relevance_version
    with warehouse.transaction() as con:
        papers, missing, duplicated, stale = con.execute(
            """SELECT
                (SELECT count(*) FROM papers),
                (SELECT count(*) FROM papers p ANTI JOIN paper_relevance r USING (arxiv_id)),
                (SELECT count(*) - count(DISTINCT arxiv_id) FROM paper_relevance),
                (SELECT count(*) FROM paper_relevance WHERE classifier_version <> ?)""",
            [version],
        ).fetchone()
    return dg.AssetCheckResult(
        passed=missing == 0 and duplicated == 0 and stale == 0,
        metadata={
            "papers": papers,
            "share_classified": (papers - missing) / papers if papers else 1.0,
            "unclassified": missing,
            "duplicate_rows": duplicated,
            "stale_version_rows": stale,
        },
    )


@dg.asset_check(
    asset=paper_relevance,
    description=f"Broad and narrow safety shares lie within {SAFETY_SHARE_RANGE[0]:.1%}..{SAFETY_SHARE_RANGE[1]:.0%} "
    f"(checked from {MIN_PAPERS_FOR_SHARE} papers on).",
)
def paper_relevance_safety_share_plausible(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        n, broad, narrow = con.execute(
            "SELECT count(*), avg(is_safety_broad::INT), avg(is_safety_narrow::INT) FROM paper_relevance"
        ).fetchone()
    low, high = SAFETY_SHARE_RANGE
    plausible = n < MIN_PAPERS_FOR_SHARE or all(low <= (s or 0.0) <= high for s in (broad, narrow))
    return dg.AssetCheckResult(
        passed=plausible,
        metadata={"papers": n, "share_broad": broad or 0.0, "share_narrow": narrow or 0.0},
    )


@dg.asset_check(
    asset=paper_classification,
    description="paper_classification has exactly one row per paper and valid origin classes.",
)
def paper_classification_covers_papers(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        papers, rows, distinct, bad_origin = con.execute(
            """SELECT (SELECT count(*) FROM papers), count(*), count(DISTINCT arxiv_id),
                      count(*) FILTER (WHERE NOT list_contains(?::VARCHAR[], origin))
               FROM paper_classification""",
            [list(ORIGINS)],
        ).fetchone()
    return dg.AssetCheckResult(
        passed=rows == papers and distinct == rows and bad_origin == 0,
        metadata={
            "papers": papers,
            "rows": rows,
            "share_classified": rows / papers if papers else 1.0,
            "invalid_origin": bad_origin,
        },
    )


@dg.asset_check(
    asset=paper_classification,
    description=f"Share of papers with unknown origin: warns when more than {MAX_UNKNOWN_ORIGIN_SHARE_NARROW:.0%} of "
    "narrow safety papers have none (labs-vs-academia figures rest on the rest), or more than "
    f"{MAX_UNKNOWN_ORIGIN_SHARE:.1%} of all papers (the origin evidence stopped working).",
)
def paper_classification_unknown_origin_share(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        n, unknown, unknown_broad, unknown_narrow = con.execute(
            """SELECT count(*), avg((origin = 'unknown')::INT),
                      avg((origin = 'unknown')::INT) FILTER (WHERE is_safety_broad),
                      avg((origin = 'unknown')::INT) FILTER (WHERE is_safety_narrow)
               FROM paper_classification"""
        ).fetchone()
    narrow_ok = (unknown_narrow or 0.0) <= MAX_UNKNOWN_ORIGIN_SHARE_NARROW
    return dg.AssetCheckResult(
        passed=n == 0 or ((unknown or 0.0) <= MAX_UNKNOWN_ORIGIN_SHARE and narrow_ok),
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "papers": n,
            "share_unknown": unknown or 0.0,
            "share_unknown_among_broad_safety": unknown_broad if unknown_broad is not None else 0.0,
            "share_unknown_among_narrow_safety": unknown_narrow if unknown_narrow is not None else 0.0,
        },
    )
