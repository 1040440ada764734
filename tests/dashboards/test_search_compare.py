"""The indexed explorer search against the former regex scan, on real records (the 1,200-record corpus slice): plain
words (substrings of longer words included) match the same papers; phrases and punctuated words match their tokens
in sequence with any separator (a superset of the scan's); author: looks at author names only."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import duckdb
import pytest

from dashboards import queries
from pipelines import contract, search_index, search_lookup
from pipelines import warehouse as wh
from pipelines.ingest import RunRecord
from pipelines.lib import search_query
from pipelines.snapshot import load_snapshot
from tests.dashboards.regex_search import regex_search_ids

ALL_TIME = {"start": dt.date(1990, 1, 1), "end": dt.date(2100, 1, 1)}
# Whole words, words found inside longer ones, very common fragments, digits, non-ASCII, several words, and words
# without letters or digits (searched by a scan).
PLAIN_WORDS = [
    "agent", "safety", "model", "learn", "align", "robust", "reward", "ing", "a", "ai", "x", "2", "2024",
    "LLM", "Zhang", "wang", "über", "schrödinger", "network", "neural networks", "large language model",
    "agent safety reward", "ReLU", "zzzqqq", '"agent"', "%", "(", "% model",
]  # fmt: skip
# Phrases and punctuated words: consecutive tokens, any separator between them.
TOKEN_SEQUENCES = [
    '"language models"', '"reinforcement learning"', '"neural network"', '"of the"', '"state of the art"',
    '"al network"', '"learning rate"', '"ai safety"', "GPT-4", "state-of-the-art", "e.g.", "o'", "10^", "non-",
    "(x)", "i.e., the",
]  # fmt: skip
@pytest.fixture(scope="module")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory, corpus_slice: Path) -> Path:
    """The corpus slice loaded by the snapshot loader, published (no labels yet), with its index."""
    path = tmp_path_factory.mktemp("real") / "warehouse.duckdb"
    run = RunRecord(run_id=uuid.uuid4().hex, asset="test", source="arxiv_snapshot")
    with wh.transaction(path) as con:
        load_snapshot(con, corpus_slice, run, log=lambda _: None)
        run.write(con, "success")
        con.execute(contract.ddl("paper_classification"))
    search_index.update_search_index(path, log=lambda _: None)
    return path


def _papers(path: Path) -> list[tuple[str, str, str, list[str]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT arxiv_id, title, coalesce(abstract, ''), authors FROM papers").fetchall()
    finally:
        con.close()


def _search(path: Path, text: str, order: str = "relevance") -> list[str]:
    hits = queries.search_papers(path, text=text, safety="any", limit=queries.MAX_ROWS, order=order, **ALL_TIME)
    return hits["arxiv_id"].to_list()


@pytest.mark.parametrize("text", PLAIN_WORDS)
def test_plain_words_find_the_papers_the_regex_scan_found(real_warehouse: Path, text: str) -> None:
    expected = regex_search_ids(real_warehouse, text)
    newest = _search(real_warehouse, text, order="newest")
    assert newest == expected  # same papers, same order when sorted newest first
    assert sorted(_search(real_warehouse, text)) == sorted(expected)


def test_the_word_list_covers_substrings_and_empty_results(real_warehouse: Path) -> None:
    counts = {t: len(regex_search_ids(real_warehouse, t)) for t in ("agent", "ing", "zzzqqq", "%")}
    assert counts["ing"] > 1000 and counts["agent"] > 20 and counts["%"] > 10 and counts["zzzqqq"] == 0
    whole_word = [p for p in _papers(real_warehouse) if "agent" in search_query.tokenize(p[1] + " " + p[2])]
    assert counts["agent"] > len(whole_word)  # "agents", "agentic" ... are found too


def _token_sequence_regex(term: search_query.Term) -> re.Pattern:
    """The term's tokens with any run of non-alphanumerics between them; a token the term's own punctuation
    bounds must be bounded in the text too."""
    parts = term.patterns()
    head = "" if not parts[0].starts else r"(?<![^\W_])"
    tail = "" if not parts[-1].ends else r"(?![^\W_])"
    return re.compile(head + r"[\W_]+".join(re.escape(p.token) for p in parts) + tail, re.IGNORECASE)


def _reference(papers, text: str) -> set[str]:
    """Papers where every term's token sequence appears within one value: title, abstract or one author."""
    found = set()
    terms = search_query.parse(text).terms
    for arxiv_id, title, abstract, authors in papers:
        ok = True
        for term in terms:
            values = list(authors or []) if term.field == search_query.AUTHORS_FIELD else [title, abstract]
            values += [] if term.field == search_query.AUTHORS_FIELD else list(authors or [])
            if not any(_token_sequence_regex(term).search(v) for v in values):
                ok = False
                break
        if ok:
            found.add(arxiv_id)
    return found


@pytest.mark.parametrize("text", TOKEN_SEQUENCES)
def test_phrases_and_punctuated_words_match_token_sequences(real_warehouse: Path, text: str) -> None:
    papers = _papers(real_warehouse)
    expected = _reference(papers, text)
    got = _search(real_warehouse, text, order="newest")
    assert set(got) == expected and expected, text
    # The scan's whitespace-only phrases are a subset: the index adds papers with other separators only.
    scanned = set(regex_search_ids(real_warehouse, text))
    assert scanned <= expected


def test_phrases_past_the_expansion_cap_match_whole_tokens(real_warehouse: Path, monkeypatch) -> None:
    """tantivy refuses a phrase whose first or last pattern expands to too many indexed tokens: the phrase of
    whole tokens replaces it then."""
    build = search_lookup.build_query
    monkeypatch.setattr(search_lookup, "build_query", lambda *a, **k: build(*a[:3], False, *a[4:]))
    papers = _papers(real_warehouse)
    for text in ('"neural network"', "state-of-the-art"):
        term = search_query.parse(text).terms[0]
        whole = search_query.Term(f"({text.strip(chr(34))})", term.field, True, term.tokens)
        assert set(_search(real_warehouse, text)) == _reference_terms(papers, [whole]), text


def _reference_terms(papers, terms) -> set[str]:
    return {
        p[0]
        for p in papers
        if all(any(_token_sequence_regex(t).search(v) for v in [p[1], p[2], *(p[3] or [])]) for t in terms)
    }


def _phrase_reference(papers, tokens: list[str]) -> set[str]:
    """Papers where `tokens` appear consecutively within one author name."""
    n = len(tokens)
    found = set()
    for arxiv_id, _title, _abstract, authors in papers:
        for value in authors or []:
            words = search_query.tokenize(value)
            if any(words[i : i + n] == tokens for i in range(len(words) - n + 1)):
                found.add(arxiv_id)
                break
    return found


def test_author_search_looks_at_author_names_only(real_warehouse: Path) -> None:
    papers = _papers(real_warehouse)
    for name in ("wang", "zhang", "li", "müller"):
        expected = {p[0] for p in papers if any(name in a.lower() for a in p[3] or [])}
        assert set(_search(real_warehouse, f"author:{name}")) == expected, name
    full = next(a for p in papers for a in p[3] if len(search_query.tokenize(a)) == 2)
    expected = _phrase_reference(papers, search_query.tokenize(full))
    assert set(_search(real_warehouse, f'author:"{full}"')) == expected and expected


@pytest.mark.parametrize("text", ["model", "agent", ""])
@pytest.mark.parametrize("limit", [1, 10, 57])
def test_newest_first_under_a_row_limit_is_the_scans_order(real_warehouse: Path, text: str, limit: int) -> None:
    """Papers of one day tie on date: the cut of the row limit falls inside such a day, ordered by id."""
    expected = regex_search_ids(real_warehouse, text)[: limit + 1]
    hits = queries.search_papers(real_warehouse, text=text, safety="any", limit=limit, order="newest", **ALL_TIME)
    assert hits["arxiv_id"].to_list() == expected
    dates = hits["published_date"].to_list()
    assert len(set(dates)) < len(dates) or limit == 1  # the slice has many papers per day


@pytest.mark.parametrize("text", ["model", "learning", '"neural networks"', "author:wang"])
def test_one_term_ranked_from_whole_tokens_alone_is_the_full_ranking(real_warehouse: Path, text: str, monkeypatch):
    """With enough whole-token matches the best rows come without expanding the term; the same rows as expanded."""
    args = {"text": text, "safety": "any", "limit": 8, **ALL_TIME}
    shortcut = queries.search_papers(real_warehouse, **args)["arxiv_id"].to_list()
    monkeypatch.setattr(search_lookup, "_whole_token_hits", lambda *a: None)
    assert queries.search_papers(real_warehouse, **args)["arxiv_id"].to_list() == shortcut and len(shortcut) == 9
