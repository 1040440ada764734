"""The paper explorer's search language, parsed into what the full-text index looks up (pure: no index, no I/O).

Syntax: plain words, "quoted phrases", `author:word` and `author:"quoted phrase"`. Every term must match.

- A plain word matches as a case-insensitive substring of the title, the abstract or an author name, as a scan of
  the text would: "agent" also finds "agents" and "reagent". The index stores whole tokens (lower-cased runs of
  letters and digits, `tokenize`), so a word of letters and digits is looked up as every indexed token containing
  it.
- A word with punctuation ("GPT-4", "O'Brien", "100%") or a "quoted phrase" is looked up as consecutive indexed
  tokens (the first may end a longer token, the last may start one: "neural network" finds "neural networks"), then
  checked against the text with `literal_regex`, so it matches exactly as the substring scan did: a phrase's words
  separated by any whitespace, within the title, the abstract or the authors.
- `author:` restricts a word or phrase to the author names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SEARCH_TERMS = 6
TEXT_FIELD = "text"
AUTHORS_FIELD = "authors"
# Parts of a punctuated word shorter than this are left to the text check when a longer part narrows the search.
_MIN_NARROWING_PART = 3

_TERM = re.compile(r'(?i)(author:)?(?:"([^"]*)"?|(\S+))')
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class TokenPattern:
    """One token constraint: the index's tokens that equal, start with, end with or contain `token`."""

    token: str
    starts: bool  # the indexed token must start with `token`
    ends: bool  # the indexed token must end with `token`

    def regex(self) -> str | None:
        """A pattern over whole indexed tokens (tantivy's regex query), or None when `token` must equal one."""
        if self.starts and self.ends:
            return None
        return ("" if self.starts else ".*") + re.escape(self.token) + ("" if self.ends else ".*")


@dataclass(frozen=True)
class Term:
    """One term of the search box: a word, or a quoted phrase (its words kept together)."""

    text: str
    field: str  # TEXT_FIELD (title, abstract and authors) or AUTHORS_FIELD
    phrase: bool
    tokens: tuple[str, ...]

    @property
    def exact_in_index(self) -> bool:
        """The index alone decides this term (no text check needed): a single word of letters and digits."""
        return len(self.tokens) == 1 and self.tokens[0] == " ".join(self.text.lower().split())

    def patterns(self) -> list[TokenPattern]:
        """The term's tokens in order, each constrained as the text around it requires: a token followed by
        whitespace or punctuation ends an indexed token, one preceded by them starts one. Consecutive indexed
        tokens matching these find every paper the term matches (exactly so when `exact_in_index`)."""
        found = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(self.text.lower())]
        size = len(self.text)
        return [TokenPattern(token, starts=start > 0, ends=end < size) for token, start, end in found]

    def narrowing_patterns(self) -> list[TokenPattern]:
        """A cheaper superset lookup for `patterns` without their order: parts shorter than _MIN_NARROWING_PART
        are left to the text check when a longer part or a whole token narrows the search."""
        patterns = self.patterns()
        if len(patterns) > 1 and any(len(p.token) >= _MIN_NARROWING_PART for p in patterns):
            patterns = [p for p in patterns if len(p.token) >= _MIN_NARROWING_PART or (p.starts and p.ends)]
        return patterns


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...]

    @property
    def uses_index(self) -> bool:
        """Some term narrows the papers through the index (a word without letters or digits cannot)."""
        return any(t.tokens for t in self.terms)

    @property
    def text_checks(self) -> list[Term]:
        """Terms the index only narrows down; each is checked against the text with `literal_regex`."""
        return [t for t in self.terms if not t.exact_in_index]


def tokenize(text: str) -> list[str]:
    """The index's tokens of `text`: lower-cased runs of letters and digits (tantivy's simple tokenizer followed by
    its lower-caser)."""
    return _TOKEN.findall(text.lower())


def parse(text: str) -> SearchQuery:
    """The terms of the search box, at most MAX_SEARCH_TERMS; empty quotes are dropped."""
    terms: list[Term] = []
    for match in _TERM.finditer(text or ""):
        author, quoted, word = match.group(1), match.group(2), match.group(3)
        field = AUTHORS_FIELD if author else TEXT_FIELD
        if quoted is not None:
            body = " ".join(quoted.split())
            tokens = tuple(tokenize(body))
            if body:  # quotes around punctuation alone: matched as plain text, like a word
                terms.append(Term(body, field, phrase=bool(tokens), tokens=tokens))
        elif word:
            terms.append(Term(word, field, phrase=False, tokens=tuple(tokenize(word))))
    return SearchQuery(tuple(terms[:MAX_SEARCH_TERMS]))


def literal_regex(term: str) -> str:
    """A case-insensitive RE2 pattern matching `term` as plain text: ASCII punctuation is escaped, and a run of
    spaces matches any whitespace (abstracts keep the line breaks of the source)."""
    words = ["".join(_escape(ch) for ch in word) for word in term.split()]
    return "(?i)" + r"\s+".join(words)


def _escape(ch: str) -> str:
    return f"\\{ch}" if ch.isascii() and not ch.isalnum() and ch != "_" else ch
