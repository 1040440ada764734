"""Searching the full-text index beside a published warehouse (pipelines/search_index.py builds it): one tantivy
query of the terms (pipelines/lib/search_query.py) and every filter, answered with the result rows the index stores.
Readers take no lock and reopen the index when a commit or a rebuild replaced what they had open."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import tantivy

from pipelines.lib import search_query, search_rows
from pipelines.lib.search_query import SearchFilters, SearchQuery, Term, TokenPattern
from pipelines.search_index import (
    EPOCH,
    SearchIndexError,
    SearchIndexMissing,
    index_root,
    open_index,
    read_state,
    vocabulary_path,
)

__all__ = ["Hits", "SearchIndexError", "SearchIndexMissing", "build_query", "search"]


@dataclass(frozen=True)
class Hits:
    rows: list[dict]  # search_rows.display_row of each paper, best first

    @property
    def arxiv_ids(self) -> list[str]:
        return [r["arxiv_id"] for r in self.rows]


_OPEN: dict[str, tuple[int, tantivy.Index]] = {}
_VOCABULARIES: dict[str, tuple[int, str]] = {}
# A word's listed expansions past this become tantivy's regex (a word of one or two common letters).
_MAX_EXPANSIONS = 50_000
# A phrase position's expansions longer than this (characters) stay a pattern regex: tantivy compiles a phrase
# position's regex into at most 1,000 states.
_MAX_PHRASE_ALTERNATION = 800


def _reader(root: Path) -> tuple[Path, tantivy.Index]:
    """The live generation and its index, opened once per process and reloaded when a commit changed it."""
    generation, _ = read_state(root)
    key = str(generation)
    try:
        mtime = (generation / "meta.json").stat().st_mtime_ns
        cached = _OPEN.get(key)
        if cached is None:
            _OPEN.clear()  # a new generation replaced the one opened before
            index = open_index(generation)
        else:
            index = cached[1]
            if cached[0] != mtime:
                index.reload()
    except (ValueError, OSError) as exc:
        raise SearchIndexMissing(root, f"cannot open {generation.name}: {exc}") from exc
    _OPEN[key] = (mtime, index)
    return generation, index


def _vocabulary(generation: Path, field: str) -> str | None:
    """The generation's token list of `field` (search_index.write_vocabularies), read once per version; None
    when absent (the slower regex over the term dictionary then stands in)."""
    path = vocabulary_path(generation, field)
    try:
        version = path.stat().st_mtime_ns
        cached = _VOCABULARIES.get(str(path))
        if cached is not None and cached[0] == version:
            return cached[1]
        text = path.read_text()
    except OSError:
        return None
    if len(_VOCABULARIES) >= 4:
        _VOCABULARIES.clear()
    _VOCABULARIES[str(path)] = (version, text)
    return text


def _expanded(
    sch: tantivy.Schema, field: str, pattern: TokenPattern, vocabulary: str | None, whole: bool = False
) -> tantivy.Query:
    """The papers with an indexed token matching `pattern`, all scoring 0; `whole`: or equal to its token."""
    regex = pattern.regex() or re.escape(pattern.token)
    tokens = search_query.expand(vocabulary, pattern) if vocabulary is not None else None
    if tokens is None or len(tokens) > _MAX_EXPANSIONS:
        query = tantivy.Query.regex_query(sch, field, regex)  # a pattern's regex matches its own token too
        return tantivy.Query.const_score_query(query, 0.0)
    if whole and pattern.token not in tokens:
        tokens = [*tokens, pattern.token]
    return tantivy.Query.const_score_query(tantivy.Query.term_set_query(sch, field, tokens), 0.0)


def _token_query(sch: tantivy.Schema, field: str, pattern: TokenPattern, vocabulary: str | None) -> tantivy.Query:
    """Papers with an indexed token matching `pattern`; those where the token itself is whole rank by BM25."""
    exact = tantivy.Query.term_query(sch, field, pattern.token)
    if pattern.regex() is None:
        return exact
    expanded = _expanded(sch, field, pattern, vocabulary)
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, exact), (tantivy.Occur.Should, expanded)])


def _phrase_word(pattern: TokenPattern, vocabulary: str | None) -> str:
    """One position of a phrase as a regex over indexed tokens: the listed matches when few, written as the token
    with the alternation of what precedes or follows it (tantivy compiles a phrase's regex into at most 1,000
    states); else the pattern itself (a scan of the term dictionary)."""
    regex = pattern.regex()
    if regex is None:
        return re.escape(pattern.token)
    tokens = search_query.expand(vocabulary, pattern) if vocabulary is not None else None
    if tokens is None or not (pattern.starts or pattern.ends):
        return regex
    size = len(pattern.token)
    rests = sorted({t[size:] if pattern.starts else t[: len(t) - size] for t in tokens} | {""})
    if sum(len(r) + 1 for r in rests) > _MAX_PHRASE_ALTERNATION:
        return regex
    alternation = "(?:" + "|".join(re.escape(r) for r in rests) + ")"
    token = re.escape(pattern.token)
    return token + alternation if pattern.starts else alternation + token


def _term_query(sch: tantivy.Schema, term: Term, ordered: bool, vocabulary: str | None) -> tantivy.Query:
    """One term: a single token pattern, or its tokens' patterns at consecutive positions (`ordered`). tantivy caps
    how many indexed tokens a pattern of a phrase may expand to; past that (`ordered` False) the whole tokens."""
    patterns = term.patterns()
    if len(patterns) == 1:
        return _token_query(sch, term.field, patterns[0], vocabulary)
    exact = tantivy.Query.phrase_query(sch, term.field, [p.token for p in patterns])
    if not ordered:
        return exact
    words = [_phrase_word(p, vocabulary) for p in patterns]
    in_order = tantivy.Query.const_score_query(tantivy.Query.regex_phrase_query(sch, term.field, words), 0.0)
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, in_order), (tantivy.Occur.Should, exact)])


def _all_of(clauses: list[tantivy.Query]) -> tantivy.Query:
    if len(clauses) == 1:
        return clauses[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, c) for c in clauses])


def _day(date: dt.date) -> int:
    return (date - EPOCH).days


def build_query(
    sch: tantivy.Schema,
    query: SearchQuery,
    filters: SearchFilters,
    ordered: bool = True,
    vocabularies: dict[str, str | None] | None = None,
) -> tantivy.Query:
    """Every term and every filter (dates, categories, safety, topics, origins). `vocabularies` (field -> token
    list) turn a word's expansion into a set of tokens; without them tantivy's regex scans its term dictionary."""
    vocabularies = vocabularies or {}
    required: list[tantivy.Query] = []
    scored: list[tantivy.Query] = []
    for term in query.terms:
        patterns = term.patterns()
        if len(patterns) == 1 and patterns[0].regex() is not None:
            # A word: every paper must hold a token containing it (the expansion holds the word itself), and
            # its whole-token matches add their BM25 score: the scores of `_term_query`'s (exact OR expansion)
            # per word, without building each word's union before intersecting the words.
            vocabulary = vocabularies.get(term.field)
            required.append(_expanded(sch, term.field, patterns[0], vocabulary, whole=True))
            scored.append(tantivy.Query.term_query(sch, term.field, patterns[0].token))
        else:
            required.append(_term_query(sch, term, ordered, vocabularies.get(term.field)))
    required += _filter_clauses(sch, filters)
    if not scored:
        return _all_of(required)
    occurs = [(tantivy.Occur.Must, c) for c in required] + [(tantivy.Occur.Should, c) for c in scored]
    return tantivy.Query.boolean_query(occurs)


def _filter_clauses(sch: tantivy.Schema, filters: SearchFilters) -> list[tantivy.Query]:
    days = (_day(filters.start), _day(filters.end))
    clauses = [tantivy.Query.range_query(sch, "day", tantivy.FieldType.Integer, *days)]
    if filters.safety in ("broad", "narrow"):
        clauses.append(tantivy.Query.term_query(sch, filters.safety, True))
    for field, values in (("categories", filters.categories), ("topics", filters.topics), ("origin", filters.origins)):
        if values:
            clauses.append(tantivy.Query.term_set_query(sch, field, sorted(values)))
    return clauses


def _whole_token_hits(
    searcher: tantivy.Searcher, sch: tantivy.Schema, term: Term, filters: SearchFilters, limit: int
) -> list | None:
    """The best `limit` papers of a one-term search when that many match the term's whole tokens: only those score
    above 0 (matches inside longer tokens add nothing), so they are the full query's best too, found without
    expanding the term (the expansion's cost grows with every paper it matches). None when fewer match."""
    tokens = [p.token for p in term.patterns()]
    whole = (
        tantivy.Query.term_query(sch, term.field, tokens[0])
        if len(tokens) == 1
        else tantivy.Query.phrase_query(sch, term.field, tokens)
    )
    result = searcher.search(_all_of([whole, *_filter_clauses(sch, filters)]), limit=limit, count=False)
    return [a for _, a in result.hits] if len(result.hits) >= limit else None


def _rows(searcher: tantivy.Searcher, addresses: list) -> list[dict]:
    return [json.loads(searcher.doc(address)["row"][0]) for address in addresses]


def _newest(searcher: tantivy.Searcher, sch: tantivy.Schema, tq: tantivy.Query, limit: int) -> list[dict]:
    """The newest `limit` papers by date then id (descending): the day at the cut is read whole, so papers of
    that day are ordered by id exactly."""
    result = searcher.search(tq, limit=limit, count=False, order_by_field="day", order=tantivy.Order.Desc)
    if len(result.hits) < limit:
        return search_rows.newest_first(_rows(searcher, [a for _, a in result.hits]))
    cut = result.hits[-1][0]
    before = [a for day, a in result.hits if day != cut]
    at_cut = _all_of([tq, tantivy.Query.range_query(sch, "day", tantivy.FieldType.Integer, cut, cut)])
    same_day = searcher.search(at_cut, limit=max(1, searcher.search(at_cut, limit=1, count=True).count))
    rows = _rows(searcher, before) + _rows(searcher, [a for _, a in same_day.hits])
    return search_rows.newest_first(rows)[:limit]


def search(
    warehouse: Path, query: SearchQuery, filters: SearchFilters, *, limit: int, newest_first: bool = False
) -> Hits:
    """The result rows of the best `limit` papers for `query` within `filters` (BM25, or newest first). Without
    terms: the newest papers within the filters."""
    root = index_root(warehouse)
    generation, index = _reader(root)
    searcher, sch = index.searcher(), index.schema
    vocabularies = {field: _vocabulary(generation, field) for field in {t.field for t in query.terms}}
    limit = max(1, limit)

    if not newest_first and len(query.terms) == 1:
        best = _whole_token_hits(searcher, sch, query.terms[0], filters, limit)
        if best is not None:
            return Hits(_rows(searcher, best))

    def run(ordered: bool) -> Hits:
        tq = build_query(sch, query, filters, ordered, vocabularies)
        if newest_first or not query.terms:
            return Hits(_newest(searcher, sch, tq, limit))
        result = searcher.search(tq, limit=limit, count=False)
        return Hits(_rows(searcher, [a for _, a in result.hits]))

    try:
        return run(ordered=True)
    except ValueError as exc:  # a phrase pattern expanded to more indexed tokens than tantivy allows
        if "expansion" not in str(exc).lower():
            raise SearchIndexError(f"search failed: {exc}") from exc
    return run(ordered=False)
