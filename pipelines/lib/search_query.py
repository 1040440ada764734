"""The paper explorer's search language, parsed into what the full-text index looks up (pure: no index, no I/O).

Syntax: plain words, "quoted phrases", `author:word` and `author:"quoted phrase"`. Every term must match.

- A plain word matches as a case-insensitive substring of the title, the abstract or an author name, as a scan of
  the text would: "agent" also finds "agents" and "reagent". The index stores whole tokens (lower-cased runs of
  letters and digits, `tokenize`), so a word of letters and digits is looked up as every indexed token containing
  it: the same papers as the scan.
- A "quoted phrase" or a word with punctuation ("GPT-4", "O'Brien") is looked up as consecutive indexed tokens; the
  first may end a longer token and the last may start one ("neural network" finds "neural networks"), as in the
  scan. Unlike the scan, any punctuation or whitespace between the words counts as a separator ("GPT-4" also finds
  "GPT 4", "reward model" also "reward-model"), and a phrase stays within one title, abstract or author name.
- A word without letters or digits ("%") cannot be looked up in the index: such a search scans the text instead.
- `author:` restricts a word or phrase to the author names.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

MAX_SEARCH_TERMS = 6
TEXT_FIELD = "text"
AUTHORS_FIELD = "authors"

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

    def patterns(self) -> list[TokenPattern]:
        """The term's tokens in order, each constrained as the text around it requires: a token followed by
        whitespace or punctuation ends an indexed token, one preceded by them starts one. For a word of letters and
        digits that is one pattern, "contains"; consecutive indexed tokens matching them all match a phrase."""
        found = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(self.text.lower())]
        size = len(self.text)
        return [TokenPattern(token, starts=start > 0, ends=end < size) for token, start, end in found]


@dataclass(frozen=True)
class SearchFilters:
    """The explorer's filters besides the text: all of them must hold."""

    start: dt.date
    end: dt.date
    safety: str = "any"  # 'broad' | 'narrow' | 'any'
    topics: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchQuery:
    terms: tuple[Term, ...]

    @property
    def needs_scan(self) -> bool:
        """Some term has no letters or digits ("%", "&"): the index cannot find it, a scan of the text must."""
        return any(not t.tokens for t in self.terms)


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


def expand(vocabulary: str, pattern: TokenPattern) -> list[str]:
    """The tokens of `vocabulary` (one a line, the text starting and ending with a line break) that `pattern`
    matches: equal to, starting with, ending with or containing its token. A substring search, no regex."""
    needle = ("\n" if pattern.starts else "") + pattern.token + ("\n" if pattern.ends else "")
    found = []
    at = vocabulary.find(needle)
    while at != -1:
        start = at + 1 if pattern.starts else vocabulary.rfind("\n", 0, at) + 1
        end = at + len(needle) - 1 if pattern.ends else vocabulary.find("\n", at + len(needle))
        found.append(vocabulary[start:end])
        at = vocabulary.find(needle, end)
    return found


def add_to_vocabulary(vocabulary: str, tokens: Iterable[str]) -> str | None:
    """`vocabulary` (sorted tokens one a line, starting and ending with a line break, as `expand` reads) with the
    `tokens` it lacks, still sorted; None when it lists them all already."""
    body = vocabulary.strip("\n")
    lines = body.split("\n") if body else []
    new = []
    for token in sorted(set(tokens)):
        at = bisect.bisect_left(lines, token)
        if token and (at == len(lines) or lines[at] != token):
            new.append((at, token))
    if not new:
        return None
    merged: list[str] = []
    done = 0
    for at, token in new:  # ascending positions
        merged.extend(lines[done:at])
        merged.append(token)
        done = at
    merged.extend(lines[done:])
    return "\n" + "\n".join(merged) + "\n"


def literal_regex(term: str) -> str:
    """A case-insensitive RE2 pattern matching `term` as plain text: ASCII punctuation is escaped, and a run of
    spaces matches any whitespace (abstracts keep the line breaks of the source)."""
    words = ["".join(_escape(ch) for ch in word) for word in term.split()]
    return "(?i)" + r"\s+".join(words)


def _escape(ch: str) -> str:
    return f"\\{ch}" if ch.isascii() and not ch.isalnum() and ch != "_" else ch
