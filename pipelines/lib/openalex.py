"""Pure parsing of OpenAlex /works responses into the `openalex_works` cache rows and an institutions frame.

A work's arXiv id comes from its DOI (10.48550/arXiv.<id>), or else from an arxiv.org landing page among its
locations (OpenAlex merges preprint and published versions into one work, whose main DOI may be the journal's).
Per authorship we keep the institutions OpenAlex resolved (display name, ROR id, ROR type, country) and the raw
affiliation strings. ROR types map to our organisation types; types that say nothing about the sector
(healthcare, archive, funder, other) stay unmapped, so such an institution only counts if the seed names it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import polars as pl

from pipelines.lib.names import normalize_name_expr

ARXIV_DOI_PREFIX = "10.48550/arxiv."
ROR_TYPE_TO_ORG_TYPE = {
    "education": "academic",
    "facility": "academic",
    "company": "other_industry",
    "nonprofit": "nonprofit",
    "government": "government",
}
INSTITUTION_DTYPE = pl.Struct({"name": pl.String, "ror": pl.String, "type": pl.String, "country": pl.String})
AUTHORSHIPS_DTYPE = pl.List(
    pl.Struct(
        {
            "author_position": pl.Int64,
            "author": pl.String,
            "raw_affiliations": pl.List(pl.String),
            "institutions": pl.List(INSTITUTION_DTYPE),
        }
    )
)
INSTITUTIONS_SCHEMA = {
    "arxiv_id": pl.String,
    "author_position": pl.Int64,
    "author": pl.String,
    "name_normalized": pl.String,
    "institution": pl.String,
    "ror": pl.String,
    "ror_type": pl.String,
    "country": pl.String,
}
_ABS_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(.+?)(?:v\d+)?(?:\.pdf)?/?$", re.IGNORECASE)


def arxiv_doi(arxiv_id: str) -> str:
    return f"10.48550/arXiv.{arxiv_id}"


def _strip_doi(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return value


def arxiv_ids_of_work(work: dict[str, Any]) -> list[str]:
    """Lower-cased arXiv ids this work stands for (from DOIs and arxiv.org locations), without versions."""
    found: list[str] = []
    dois = [work.get("doi"), (work.get("ids") or {}).get("doi")]
    for doi in map(_strip_doi, dois):
        if doi and doi.startswith(ARXIV_DOI_PREFIX):
            found.append(doi[len(ARXIV_DOI_PREFIX) :])
    locations = [*(work.get("locations") or []), work.get("primary_location") or {}]
    for location in locations:
        for url in ((location or {}).get("landing_page_url"), (location or {}).get("pdf_url")):
            match = _ABS_URL.search(url or "")
            if match:
                found.append(match.group(1).lower())
    return list(dict.fromkeys(found))


def compact_authorships(work: dict[str, Any]) -> list[dict[str, Any]]:
    """Per authorship: 1-based position, author display name, raw affiliation strings and institutions."""
    compact = []
    for position, authorship in enumerate(work.get("authorships") or [], start=1):
        author = authorship.get("author") or {}
        raw = authorship.get("raw_affiliation_strings")
        if raw is None and authorship.get("raw_affiliation_string"):
            raw = [authorship["raw_affiliation_string"]]
        compact.append(
            {
                "author_position": position,
                "author": author.get("display_name") or authorship.get("raw_author_name"),
                "raw_affiliations": [str(r) for r in raw or []],
                "institutions": [
                    {
                        "name": inst.get("display_name"),
                        "ror": inst.get("ror"),
                        "type": inst.get("type"),
                        "country": inst.get("country_code"),
                    }
                    for inst in authorship.get("institutions") or []
                    if inst.get("display_name")
                ],
            }
        )
    return compact


def records_from_works(works: Iterable[dict[str, Any]], requested: Iterable[str]) -> list[dict[str, Any]]:
    """Cache rows (arxiv_id, status, institutions JSON, cited_by_count) for each requested id: 'ok' if a work came
    back for it, else 'not_found'. Works that match no requested id are ignored."""
    wanted = {arxiv_id.lower(): arxiv_id for arxiv_id in requested}
    rows: dict[str, dict[str, Any]] = {}
    for work in works:
        for key in arxiv_ids_of_work(work):
            if key in wanted and wanted[key] not in rows:
                cited = work.get("cited_by_count")
                rows[wanted[key]] = {
                    "arxiv_id": wanted[key],
                    "status": "ok",
                    "openalex_id": work.get("id"),
                    "institutions": json.dumps(compact_authorships(work), ensure_ascii=False),
                    "cited_by_count": cited if isinstance(cited, int) and cited >= 0 else None,
                }
    for arxiv_id in wanted.values():
        rows.setdefault(
            arxiv_id,
            {
                "arxiv_id": arxiv_id,
                "status": "not_found",
                "openalex_id": None,
                "institutions": None,
                "cited_by_count": None,
            },
        )
    return list(rows.values())


def institutions_frame(openalex_works: pl.DataFrame) -> pl.DataFrame:
    """One row per (paper, authorship, institution) from cached `openalex_works` rows with status 'ok'.

    Authorships without a resolved institution keep a row with null institution (their raw strings are not used:
    arXiv affiliations, when present, arrive through paper_authors).
    """
    if openalex_works.height == 0:
        return pl.DataFrame(schema=INSTITUTIONS_SCHEMA)
    return (
        openalex_works.filter(pl.col("status") == "ok", pl.col("institutions").is_not_null())
        .select("arxiv_id", pl.col("institutions").str.json_decode(AUTHORSHIPS_DTYPE).alias("a"))
        .explode("a")
        .unnest("a")
        .drop_nulls("author_position")
        .explode("institutions")
        .with_columns(
            name_normalized=normalize_name_expr(pl.col("author").fill_null("")),
            institution=pl.col("institutions").struct.field("name"),
            ror=pl.col("institutions").struct.field("ror"),
            ror_type=pl.col("institutions").struct.field("type"),
            country=pl.col("institutions").struct.field("country"),
        )
        .select(*INSTITUTIONS_SCHEMA)
        .cast(INSTITUTIONS_SCHEMA)  # type: ignore[arg-type]
    )
