"""The explorer's former search, a scan of every paper with regexes: the reference the indexed search is held to."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from pipelines.lib.search_query import MAX_SEARCH_TERMS, literal_regex

_TERM = re.compile(r'"([^"]+)"|(\S+)')


def search_terms(text: str) -> list[str]:
    """Words of the search box; "quoted phrases" stay together."""
    terms = [(m.group(1) or m.group(2)).strip() for m in _TERM.finditer(text or "")]
    return [t for t in terms if t][:MAX_SEARCH_TERMS]


def regex_search_ids(path: Path, text: str) -> list[str]:
    """Ids of every paper matching each term as a case-insensitive substring of title, authors or abstract (a
    phrase with any whitespace between its words), newest first."""
    where, params = ["true"], []
    for term in search_terms(text):
        where.append(
            "(regexp_matches(title, ?) OR regexp_matches(array_to_string(authors, ' ; '), ?)"
            " OR regexp_matches(abstract, ?))"
        )
        params += [literal_regex(term)] * 3
    sql = f"SELECT arxiv_id FROM papers WHERE {' AND '.join(where)} ORDER BY published_date DESC, arxiv_id DESC"
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute(sql, params).fetchall()]
    finally:
        con.close()
