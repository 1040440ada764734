"""Checks on paper_origins: every paper has an origin, every known origin shows its evidence, unknown share."""

import dagster as dg

from pipelines.defs.classify.origin_assets import paper_origins
from pipelines.lib.organizations import ORIGINS
from pipelines.resources import WarehouseResource
from pipelines.warehouse import table_exists

# Without affiliations or OpenAlex (the offline snapshot) most papers are honestly unknown: about 99% of the real
# corpus. The check warns beyond this share, which would mean the evidence sources stopped working.
MAX_UNKNOWN_SHARE = 0.995


@dg.asset_check(
    asset=paper_origins,
    blocking=True,
    description="Every known origin names its organisations and evidence; origins are valid classes; unknown rows "
    "carry confidence 0.",
)
def paper_origins_have_evidence(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    classes = ", ".join(f"'{c}'" for c in ORIGINS)
    with warehouse.transaction() as con:
        no_evidence, bad_class, bad_unknown = con.execute(
            f"""SELECT
                count(*) FILTER (WHERE origin <> 'unknown' AND (coalesce(trim(origin_evidence), '') = ''
                                 OR coalesce(len(organizations), 0) = 0 OR origin_evidence_kind IS NULL)),
                count(*) FILTER (WHERE origin NOT IN ({classes})),
                count(*) FILTER (WHERE origin = 'unknown' AND origin_confidence <> 0)
            FROM paper_origins"""
        ).fetchall()[0]
    return dg.AssetCheckResult(
        passed=no_evidence == 0 and bad_class == 0 and bad_unknown == 0,
        metadata={
            "known_without_evidence": no_evidence,
            "invalid_origin": bad_class,
            "unknown_with_confidence": bad_unknown,
        },
    )


@dg.asset_check(asset=paper_origins, description="Every paper in `papers` has exactly one paper_origins row.")
def paper_origins_cover_papers(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        missing, duplicated = con.execute(
            """SELECT
                (SELECT count(*) FROM papers p ANTI JOIN paper_origins o USING (arxiv_id)),
                (SELECT count(*) - count(DISTINCT arxiv_id) FROM paper_origins)"""
        ).fetchall()[0]
    return dg.AssetCheckResult(
        passed=missing == 0 and duplicated == 0,
        metadata={"papers_without_origin": missing, "duplicate_rows": duplicated},
    )


@dg.asset_check(
    asset=paper_origins,
    description=f"Share of papers with unknown origin (warns above {MAX_UNKNOWN_SHARE:.1%}); also the share among "
    "broad-safety papers when paper_relevance exists.",
)
def paper_origins_unknown_share(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.transaction() as con:
        total, unknown = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE origin = 'unknown') FROM paper_origins"
        ).fetchall()[0]
        by_kind = dict(
            con.execute(
                "SELECT coalesce(origin_evidence_kind, 'none'), count(*) FROM paper_origins GROUP BY 1"
            ).fetchall()
        )
        has_relevance = table_exists(con, "paper_relevance")
        safety_unknown = None
        if has_relevance:
            n_safety, n_safety_unknown = con.execute(
                """SELECT count(*), count(*) FILTER (WHERE o.origin = 'unknown')
                FROM paper_origins o JOIN paper_relevance r USING (arxiv_id) WHERE r.is_safety_broad"""
            ).fetchall()[0]
            safety_unknown = n_safety_unknown / n_safety if n_safety else None
    share = unknown / total if total else 0.0
    return dg.AssetCheckResult(
        passed=share <= MAX_UNKNOWN_SHARE,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "papers": total,
            "unknown": unknown,
            "unknown_share": share,
            "unknown_share_safety_broad": safety_unknown,
            "by_evidence_kind": dg.MetadataValue.json(by_kind),
        },
    )
