"""The AI-safety topic taxonomy (seeds/taxonomy.yaml, read by pipelines.inputs): parsing, validation, and
compilation of phrases into the literal patterns the classifier matches.

Phrase syntax (case-insensitive; matched at a word start in text whose punctuation and hyphens are spaces):
- words are separated by spaces or hyphens ("red-teaming" = "red teaming");
- a trailing `*` lets the last word continue ("jailbreak*" matches jailbreaks, jailbreaking); without it the
  phrase must end at a word boundary; a `*` anywhere else is an error;
- `a|b` lists synonyms that count as one phrase ("rlhf|reinforcement learning from human feedback");
- `{x,y}` expands in place ("{llm,ai} agent*" = "llm agent*|ai agent*"; "{large ,}model" = "large model|model").
Each alternative compiles to a padded literal: " red teaming " (whole words) or " jailbreak" (prefix).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import polars as pl
import yaml

SCOPES = ("narrow", "broad_only")
# Phrase kinds and what they count for. `strong`, `phrases` and `weak` signal the topic (and narrow safety if
# the topic is narrow) with decreasing weight; `broad_phrases` signal the topic but count only for the broad
# definition; `negatives` cancel any positive phrase of the same topic found inside the same matched span.
KINDS = ("strong", "phrases", "weak", "broad_phrases", "negatives")
MIN_TOPICS, MAX_TOPICS = 12, 16
GLOBAL = "*"
# Characters treated as word separators, in text and in phrases alike.
SEPARATORS = (
    "\n",
    "\r",
    "\t",
    "-",
    "\u2010",
    "\u2011",
    "\u2013",
    "\u2014",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    ";",
    ":",
    "!",
    "?",
    '"',
    "'",
    "\u2018",
    "\u2019",
    "\u201c",
    "\u201d",
    "/",
    "\\",
    "$",
    "`",
    "_",
    "~",
    "|",
    "+",
    "=",
    "<",
    ">",
    "*",
    "&",
    "#",
    "%",
    "^",
    "@",
)
PHRASE_TABLE_SCHEMA = {
    "topic": pl.String,
    "scope": pl.String,
    "topic_rank": pl.Int32,
    "phrase": pl.String,
    "kind": pl.String,
    "weight": pl.Float64,
    "literal": pl.String,
}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Phrase:
    text: str  # as written in the seed (shown in evidence)
    kind: str
    weight: float
    literals: tuple[str, ...]  # padded, lower-case patterns (see module docstring)


@dataclass(frozen=True)
class Topic:
    id: str
    name: str
    definition: str
    scope: str
    phrases: tuple[Phrase, ...]

    @property
    def is_narrow(self) -> bool:
        return self.scope == "narrow"


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[Topic, ...]
    title_weight: float
    repeat_bonus: float
    threshold: float
    narrow_threshold: float
    broad_threshold: float  # broad evidence that makes a paper broad-only safety
    self_evident: float  # narrow evidence at which AI context is not required
    ai_categories: tuple[str, ...]
    ai_terms: tuple[str, ...]  # literal patterns
    global_negatives: tuple[Phrase, ...]  # cancel every topic inside the matched span
    seed_sha256: str
    weights: dict[str, float] = field(default_factory=dict)
    # The general-safety topic is primary over a qualifying specific topic only when its score is at least
    # this many times the specific topic's; infinity means never.
    fallback_margin: float = float("inf")

    @property
    def topic_ids(self) -> list[str]:
        return [t.id for t in self.topics]

    def topic(self, topic_id: str) -> Topic:
        return next(t for t in self.topics if t.id == topic_id)

    def phrase_table(self) -> pl.DataFrame:
        """One row per (topic, phrase, literal): topic, scope, topic_rank (seed order), phrase, kind, weight,
        literal. Global negatives have topic GLOBAL."""
        rows = [
            {
                "topic": t.id,
                "scope": t.scope,
                "topic_rank": i,
                "phrase": p.text,
                "kind": p.kind,
                "weight": p.weight,
                "literal": lit,
            }
            for i, t in enumerate(self.topics)
            for p in t.phrases
            for lit in p.literals
        ] + [
            {
                "topic": GLOBAL,
                "scope": None,
                "topic_rank": len(self.topics),
                "phrase": p.text,
                "kind": p.kind,
                "weight": p.weight,
                "literal": lit,
            }
            for p in self.global_negatives
            for lit in p.literals
        ]
        return pl.DataFrame(rows, schema=PHRASE_TABLE_SCHEMA)

    def literals(self) -> list[str]:
        """Every distinct pattern the classifier searches for, longest first."""
        return sorted(set(self.phrase_table()["literal"].to_list()), key=lambda x: (-len(x), x))

    def absorption_table(self) -> pl.DataFrame:
        """(topic, literal, container): an occurrence of `container` (a longer pattern of the same topic, or a
        negative of the topic or a global negative) contains an occurrence of `literal`, which therefore must
        not count again. Only minimal containers are listed, so nested ones are not subtracted twice."""
        table = self.phrase_table()
        rows = []
        for topic in self.topic_ids:
            own = table.filter(pl.col("topic") == topic)
            positives = set(own.filter(pl.col("kind") != "negatives")["literal"].to_list())
            candidates = set(own["literal"].to_list()) | set(
                table.filter(pl.col("topic") == GLOBAL)["literal"].to_list()
            )
            for lit in positives:
                containers = {c for c in candidates if c != lit and _contains(c, lit)}
                minimal = {c for c in containers if not any(o != c and _contains(c, o) for o in containers)}
                rows += [{"topic": topic, "literal": lit, "container": c} for c in sorted(minimal)]
        return pl.DataFrame(rows, schema={"topic": pl.String, "literal": pl.String, "container": pl.String})


def _contains(container: str, literal: str) -> bool:
    """Whether every occurrence of `container` holds an occurrence of `literal`. A whole-word literal at the
    end of a prefix container (" alignment " in " sequence alignment") is taken as held: the prefix almost
    always ends a word where it was written to."""
    if literal in container:
        return True
    return literal.endswith(" ") and not container.endswith(" ") and container.endswith(literal.rstrip())


def _expand_braces(text: str) -> list[str]:
    match = re.search(r"\{([^{}]*)\}", text)
    if not match:
        return [text]
    head, tail = text[: match.start()], text[match.end() :]
    return [x for option in match.group(1).split(",") for x in _expand_braces(head + option + tail)]


def _normalize_words(text: str) -> str:
    for sep in SEPARATORS:
        if sep != "*":
            text = text.replace(sep, " ")
    return " ".join(text.lower().split())


def phrase_literals(text: str) -> tuple[str, ...]:
    """The padded literal patterns of one seed phrase; see the module docstring for the syntax."""
    if text.count("{") != text.count("}"):
        raise ValueError(f"unbalanced braces in phrase {text!r}")
    out: list[str] = []
    for alternative in text.split("|"):
        for expanded in _expand_braces(alternative):
            words = _normalize_words(expanded)
            if not words:
                raise ValueError(f"empty alternative in phrase {text!r}")
            prefix = words.endswith("*")
            core = words.rstrip("*").strip()
            if "*" in core or not core:
                raise ValueError(f"phrase {text!r}: '*' is allowed only at the end")
            literal = f" {core}" if prefix else f" {core} "
            if literal not in out:
                out.append(literal)
    return tuple(out)


def parse_taxonomy(text: str) -> Taxonomy:
    """Parse and validate the seed's YAML text."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "topics" not in data:
        raise ValueError("taxonomy: expected a mapping with 'topics'")
    scoring = data.get("scoring", {})
    weights = {"strong": 2.0, "phrases": 1.0, "weak": 0.5, "broad_phrases": 1.0, "negatives": 0.0}
    weights.update({k: float(v) for k, v in scoring.get("weights", {}).items()})
    topics: list[Topic] = []
    seen: set[str] = set()
    for raw in data["topics"]:
        tid = str(raw.get("id", ""))
        if not _ID.match(tid):
            raise ValueError(f"taxonomy: bad topic id {tid!r} (snake_case expected)")
        if tid in seen:
            raise ValueError(f"taxonomy: duplicate topic id {tid!r}")
        seen.add(tid)
        for key in ("name", "definition", "scope"):
            if not str(raw.get(key, "")).strip():
                raise ValueError(f"taxonomy: topic {tid!r} lacks {key!r}")
        if raw["scope"] not in SCOPES:
            raise ValueError(f"taxonomy: topic {tid!r} scope must be one of {SCOPES}, not {raw['scope']!r}")
        unknown = set(raw) - {"id", "name", "definition", "scope", *KINDS}
        if unknown:
            raise ValueError(f"taxonomy: topic {tid!r} has unknown keys {sorted(unknown)}")
        phrases = []
        for kind in KINDS:
            for p in raw.get(kind) or []:
                phrases.append(Phrase(text=str(p), kind=kind, weight=weights[kind], literals=phrase_literals(str(p))))
        if not any(p.kind in ("strong", "phrases", "weak") for p in phrases):
            raise ValueError(f"taxonomy: topic {tid!r} has no signal phrases")
        dupes = {p.text for p in phrases if sum(q.text == p.text for q in phrases) > 1}
        if dupes:
            raise ValueError(f"taxonomy: topic {tid!r} lists phrases twice: {sorted(dupes)}")
        literals = [lit for p in phrases for lit in p.literals]
        repeated = {lit for lit in literals if literals.count(lit) > 1}
        if repeated:
            raise ValueError(f"taxonomy: topic {tid!r} matches the same text in two phrases: {sorted(repeated)}")
        topics.append(
            Topic(tid, str(raw["name"]).strip(), " ".join(str(raw["definition"]).split()), raw["scope"], tuple(phrases))
        )
    if not MIN_TOPICS <= len(topics) <= MAX_TOPICS:
        raise ValueError(f"taxonomy: {len(topics)} topics; expected {MIN_TOPICS}-{MAX_TOPICS}")
    context = data.get("ai_context", {})
    ai_terms = tuple(lit for p in context.get("terms", []) for lit in phrase_literals(str(p)))
    global_negatives = tuple(
        Phrase(text=str(p), kind="negatives", weight=0.0, literals=phrase_literals(str(p)))
        for p in data.get("negatives") or []
    )
    threshold = float(scoring.get("threshold", 2.0))
    return Taxonomy(
        topics=tuple(topics),
        title_weight=float(scoring.get("title_weight", 2.0)),
        repeat_bonus=float(scoring.get("repeat_bonus", 0.5)),
        threshold=threshold,
        narrow_threshold=float(scoring.get("narrow_threshold", threshold)),
        broad_threshold=float(scoring.get("broad_threshold", threshold)),
        self_evident=float(scoring.get("self_evident", 2 * threshold)),
        ai_categories=tuple(str(c) for c in context.get("categories", [])),
        ai_terms=ai_terms,
        global_negatives=global_negatives,
        seed_sha256=hashlib.sha256(text.encode()).hexdigest(),
        weights=weights,
        fallback_margin=float(scoring.get("fallback_margin", "inf")),
    )
