"""What the search index stores per paper for the explorer's result table (pure): its display row, so a search
answers from the index alone, without reading `papers` or `paper_classification` by id (a scan at 2.7M papers)."""

from __future__ import annotations

import datetime as dt

# The explorer's result columns, in order (the SQL listing returns the same).
COLUMNS = (
    "arxiv_id", "published_date", "title", "authors", "primary_category", "categories", "safety", "primary_topic",
    "topics", "origin", "organizations", "safety_evidence", "origin_evidence", "url",
)  # fmt: skip
SHOWN_AUTHORS = 6


def _joined(values: list[str] | None, sep: str) -> str | None:
    return None if values is None else sep.join(v for v in values if v is not None)


def safety_label(classified: bool, broad: bool | None, narrow: bool | None) -> str:
    if narrow:
        return "narrow"
    if broad:
        return "broad"
    return "no" if classified else "unclassified"


def display_row(paper: dict) -> dict:
    """The result-table row of one paper joined to its classification (columns of `papers` and
    `paper_classification`; `classified` says whether it has a classification row)."""
    authors = paper["authors"]
    shown = None
    if authors is not None:
        shown = ", ".join(authors[:SHOWN_AUTHORS]) + (" et al." if len(authors) > SHOWN_AUTHORS else "")
    date: dt.date | None = paper["published_date"]
    return {
        "arxiv_id": paper["arxiv_id"],
        "published_date": date.isoformat() if date else None,
        "title": paper["title"],
        "authors": shown,
        "primary_category": paper["primary_category"],
        "categories": _joined(paper["categories"], " "),
        "safety": safety_label(paper["classified"], paper["is_safety_broad"], paper["is_safety_narrow"]),
        "primary_topic": paper["primary_topic"],
        "topics": _joined(paper["topics"], ", "),
        "origin": paper["origin"],
        "organizations": _joined(paper["organizations"], ", "),
        "safety_evidence": paper["safety_evidence"],
        "origin_evidence": paper["origin_evidence"],
        "url": "https://arxiv.org/abs/" + paper["arxiv_id"],
    }


def display_row_json_sql(paper: str, label: str, classified: str) -> str:
    """A DuckDB expression giving `display_row` of each row as JSON text, computed by DuckDB for a whole batch:
    `paper` and `label` are the aliases of `papers` and `paper_classification`, `classified` a boolean expression
    saying whether the paper has a classification row."""
    p, c, shown = paper, label, SHOWN_AUTHORS
    fields = {
        "arxiv_id": f"{p}.arxiv_id",
        "published_date": f"strftime({p}.published_date, '%Y-%m-%d')",
        "title": f"{p}.title",
        "authors": f"CASE WHEN {p}.authors IS NULL THEN NULL ELSE array_to_string({p}.authors[1:{shown}], ', ')"
        f" || CASE WHEN len({p}.authors) > {shown} THEN ' et al.' ELSE '' END END",
        "primary_category": f"{p}.primary_category",
        "categories": f"array_to_string({p}.categories, ' ')",
        "safety": f"CASE WHEN {c}.is_safety_narrow THEN 'narrow' WHEN {c}.is_safety_broad THEN 'broad'"
        f" WHEN {classified} THEN 'no' ELSE 'unclassified' END",
        "primary_topic": f"{c}.primary_topic",
        "topics": f"array_to_string({c}.topics, ', ')",
        "origin": f"{c}.origin",
        "organizations": f"array_to_string({c}.organizations, ', ')",
        "safety_evidence": f"{c}.safety_evidence",
        "origin_evidence": f"{c}.origin_evidence",
        "url": f"'https://arxiv.org/abs/' || {p}.arxiv_id",
    }
    return "to_json(struct_pack(" + ", ".join(f"{name} := {sql}" for name, sql in fields.items()) + "))::VARCHAR"


def newest_first(rows: list[dict]) -> list[dict]:
    """Rows by date then id, both descending (the SQL listing's order); undated rows last."""
    return sorted(rows, key=lambda r: (r["published_date"] or "", r["arxiv_id"]), reverse=True)
