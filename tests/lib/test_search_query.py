"""The explorer's search language: terms, token patterns and the text check (pure)."""

from __future__ import annotations

import pytest
import tantivy

from pipelines import search_index
from pipelines.lib import search_query as sq


def test_terms_words_phrases_and_author_prefixes() -> None:
    terms = sq.parse('reward  "Sparse   Autoencoders" author:Lopez AUTHOR:"ana lopez" "" GPT-4').terms
    assert [(t.text, t.field, t.phrase) for t in terms] == [
        ("reward", sq.TEXT_FIELD, False),
        ("Sparse Autoencoders", sq.TEXT_FIELD, True),
        ("Lopez", sq.AUTHORS_FIELD, False),
        ("ana lopez", sq.AUTHORS_FIELD, True),
        ("GPT-4", sq.TEXT_FIELD, False),
    ]
    assert terms[1].tokens == ("sparse", "autoencoders") and terms[4].tokens == ("gpt", "4")
    assert len(sq.parse(" ".join("abcdefghij")).terms) == sq.MAX_SEARCH_TERMS
    assert sq.parse('"unclosed phrase').terms[0].text == "unclosed phrase"
    assert sq.parse("   ").terms == ()


def test_only_terms_without_letters_or_digits_need_a_scan() -> None:
    assert not sq.parse('agent Müller "agent" GPT-4 "reward model" 100%').needs_scan
    assert sq.parse("safety %").needs_scan and sq.parse('"&"').needs_scan
    assert not sq.parse("").needs_scan


@pytest.mark.parametrize(
    ("text", "regexes"),
    [
        ("agent", [".*agent.*"]),
        ("GPT-4", [".*gpt", "4.*"]),
        ("reward model", [".*reward", "model.*"]),
        ("state-of-the-art", [".*state", None, None, "art.*"]),
        ("100%", [".*100"]),
        ("(x)", [None]),
        ("a.b", [".*a", "b.*"]),
        ("o'brien", [".*o", "brien.*"]),
    ],
)
def test_token_patterns_follow_the_text_around_each_token(text: str, regexes: list[str | None]) -> None:
    term = sq.Term(text, sq.TEXT_FIELD, phrase=" " in text, tokens=tuple(sq.tokenize(text)))
    assert [p.regex() for p in term.patterns()] == regexes


@pytest.mark.parametrize(
    "text",
    ["Sparse AUTOENCODERS, e.g. GPT-4's 100% état-de-l'art", "Kai Müller ; Ines O'Brien", "x_y z\nw\tv", "ΑΒΓ δ"],
)
def test_tokenize_agrees_with_the_index_analyzer(text: str) -> None:
    index = tantivy.Index(search_index.schema())
    index.register_tokenizer(search_index.ANALYZER, search_index.analyzer())
    writer = index.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(arxiv_id="1", text=[text]))
    writer.commit()
    index.reload()
    searcher = index.searcher()
    for token in sq.tokenize(text):
        query = tantivy.Query.term_query(index.schema, sq.TEXT_FIELD, token)
        assert searcher.search(query, 1).count == 1, token
    indexed = {t for t, _ in searcher.terms_with_prefix(sq.TEXT_FIELD, "")}
    assert indexed == set(sq.tokenize(text))


@pytest.mark.parametrize(
    ("term", "text", "matches"),
    [("reward hacking", "REWARD\n hacking", True), ("a.c", "abc", False), ("100%", "at 100% utility", True)],
)
def test_literal_regex_is_plain_text(term: str, text: str, matches: bool) -> None:
    import re

    pattern = sq.literal_regex(term)
    assert bool(re.search(pattern, text)) is matches


VOCABULARY = "\n" + "\n".join(sorted(["agent", "agents", "reagent", "agenda", "magenta", "age", "gent"])) + "\n"


@pytest.mark.parametrize(
    ("starts", "ends", "token", "expected"),
    [
        (False, False, "agent", ["agent", "agents", "magenta", "reagent"]),
        (True, False, "agent", ["agent", "agents"]),
        (False, True, "agent", ["agent", "reagent"]),
        (True, True, "agent", ["agent"]),
        (False, False, "gen", ["agenda", "agent", "agents", "gent", "magenta", "reagent"]),
        (True, False, "age", ["age", "agenda", "agent", "agents"]),
        (False, False, "zzz", []),
    ],
)
def test_expand_lists_the_tokens_a_pattern_matches(starts: bool, ends: bool, token: str, expected: list[str]) -> None:
    assert sorted(sq.expand(VOCABULARY, sq.TokenPattern(token, starts, ends))) == expected


def test_add_to_vocabulary_lists_only_new_tokens_sorted() -> None:
    listed = "\nagent\nreagents\nreward\n"
    assert sq.add_to_vocabulary(listed, ["reward", "agent"]) is None  # nothing new: no rewrite
    merged = sq.add_to_vocabulary(listed, ["zeta", "oversight", "agent", "abacus", "oversight"])
    assert merged == "\nabacus\nagent\noversight\nreagents\nreward\nzeta\n"
    assert sq.expand(merged, sq.TokenPattern("sigh", False, False)) == ["oversight"]
    assert sq.add_to_vocabulary("\n\n", ["one"]) == "\none\n"  # an empty list
