"""Origin of each paper (frontier lab, industry, academic, nonprofit, government, mixed, unknown), with evidence.

Evidence kinds, strongest first; a paper's origin comes only from the strongest kind present for it (weaker kinds
are not mixed in), so kinds 4-6 decide only when 1-3 found nothing:

1. affiliation  arXiv author affiliations (paper_authors.affiliation), matched to the seed; an affiliation that
                names no seed organisation still counts when it is plainly a university / company / government
                body by its wording ("University of ...", "... Inc.", "National Laboratory").
2. openalex     institutions OpenAlex resolved for the work's authorships (cached table `openalex_works`):
                matched to the seed by display name, else classed by the institution's ROR type.
3. mention      organisation mentions in comments, title and abstract, only in affiliation-like contexts:
                after a cue such as "work done at/during", "internship at", "while at", "affiliated with"; e-mail
                domains (x@cs.stanford.edu) and github.com/<org> links of seed organisations. Merely naming an
                organisation ("we evaluate Anthropic's Claude") is not evidence.
4. roster       the author-to-organisation roster (roster.py, AI Watch positions) joined on the normalised name,
                if the paper's published_date falls in the position's window. Secondary ties (affiliate, research
                associate...) are ignored; an author whose remaining roles at that date (research or other staff)
                are at organisations of different classes is skipped (which one the paper came from is unknown:
                a research fellowship at a university centre held beside a policy job at a lab); else, per author,
                research roles win over other staff roles, then the most recently started role (the current job).
                The class is the organisation's at the paper's date, or at the position's end when the position
                had ended before the paper (counted through the publication lag: the work was done there then).
5. people       the author's place in conference author records (people.py: the year seen nearest the paper's,
                earlier preferred; a student's place is their university), with doubts like the roster's: only a
                minority of the authors placed (MIXED_PENALTY), every place seen 2+ years from the paper (0.1).
6. propagation  an author's organisation on their nearest paper (within PROPAGATION_WINDOW_DAYS) that has strong
                author-level evidence (kinds 1-2, or kind 3 on a single-author paper); of several such papers on one
                day, the lowest arXiv id.

Besides the origin, every paper gets its involvement (involvement()): has_<class>_author for each class any
author-level kind placed an author in (or a mention named), the class of the first and of the last author, and
how many authors were placed. "Labs vs academia" can then be asked three ways: any involvement, lead author, or
single-class papers (origin).

Names are ambiguous (and skipped for kinds 4-6) when they likely belong to several people: more than
AMBIGUOUS_PAPERS_PER_YEAR papers in some year, or more than AMBIGUOUS_NAMESAKES expected namesakes given how common
their first and last tokens are (name_statistics): "yang liu" and "tony wang" are many people.

Origin class: the single class of all matched organisations, else 'mixed'
(any two different classes, e.g. academic + frontier_lab; the organisations list keeps them all), else 'unknown'
with no evidence and confidence 0. An organisation's class is the one it had at the paper's date (seed
former_type), for a roster position that had ended before the paper the one it had at the position's end.

Confidence: the kind's value in KINDS, minus MIXED_PENALTY for a 'mixed' answer (it claims every one of its
classes), minus the roster doubts below for a roster answer. Below MIN_CONFIDENCE the answer is withheld: origin
'unknown', no organisations, no kind, confidence 0, and origin_evidence "withheld (<class> at confidence <c> <
<threshold>): <evidence>" so nothing is guessed silently. With the values below, mixed answers from name matches
(roster, propagation) are withheld: on the TAI dev split 1 of 8 roster 'mixed' answers equalled the gold class.
People answers (0.7) are the exception, by choice: a 'mixed' answer, or one class placing only a minority of the
authors, stands at exactly 0.5 (most papers have some authors the records do not know); with both doubts, or with
a stale place besides, it is withheld. The strongest kind present decides even when its answer is withheld: a
roster answer in doubt is not replaced by a weaker kind's (on the TAI dev split, letting the next kind answer
raised coverage from 0.569 to 0.639 but lowered precision from 0.894 to 0.873).

Roster doubts (ROSTER_DOUBTS, quoted in origin_evidence as "[doubts, -<sum>: ...]"); the roster places people, not
papers, so an answer is weaker when what it rests on may not be where the paper was written:
- minority (MIXED_PENALTY, so withheld on its own): on a multi-author paper the roster placed fewer than
  MIN_ROSTER_SHARE of the authors. The unplaced co-authors are likely elsewhere and the truth 'mixed'. Not when
  a placed author leads research (roster `senior`: professor, faculty, head/director/lead of research, VP of
  research): their unplaced co-authors are mostly their own group or team. On the TAI dev split such minority
  answers were right for 20 of 25 items, the senior-led ones for 15 of 15, the other roster answers 0.94.
- ended (0.1): every placed author's positions had ended before the paper date (counted only through
  roster.PUBLICATION_LAG_DAYS): they may have moved on and written it at the next job.
- junior (0.1): every placed author is a student or intern (roster `junior`) at a non-academic organisation: they
  are enrolled at a university too, which typically co-authors the paper.
An author's doubt holds only if it holds for all their roles that count at that date (a current staff role beside
an internship that had ended removes both). ended and junior withhold only together or beside minority.
"""

from __future__ import annotations

import polars as pl

from pipelines.lib.openalex import ROR_TYPE_TO_ORG_TYPE, institutions_frame
from pipelines.lib.organizations import ORIGIN_OF_TYPE, domain_table, match_organizations
from pipelines.lib.roster import JUNIOR_TITLE, OPEN_END, PUBLICATION_LAG_DAYS, SENIOR_TITLE
from pipelines.lib.versions import frame_sha256, version_of

# Bump when the origin code changes meaning (this module, organisation matching, people evidence, OpenAlex parsing,
# name normalisation); with the hashes of the seed, roster and places it forms origin_version.
CODE_VERSION = "origin-2026.2"

KINDS: dict[str, tuple[int, float]] = {
    "affiliation": (1, 0.95),
    "openalex": (2, 0.9),
    "mention": (3, 0.8),
    "roster": (4, 0.65),
    "people": (5, 0.7),
    "propagation": (6, 0.55),
}
# Kinds that place one author (all but mention, which speaks for the paper); for the involvement flags.
AUTHOR_KINDS = ("affiliation", "openalex", "roster", "people", "propagation")
CLASSES = ("frontier_lab", "industry", "academic", "nonprofit", "government")
INVOLVEMENT_SCHEMA = {
    "arxiv_id": pl.String,
    **{f"has_{c}_author": pl.Boolean for c in CLASSES},
    "first_author_class": pl.String,
    "last_author_class": pl.String,
    "n_authors": pl.UInt32,
    "n_authors_placed": pl.UInt32,
}
# A 'mixed' answer claims every one of its classes, so it is less certain than a single class from the same kind.
MIXED_PENALTY = 0.2
# Below this confidence the origin is withheld: 'unknown', confidence 0, the evidence kept in origin_evidence.
MIN_CONFIDENCE = 0.5
# Doubts about a roster answer (module docstring) and what each takes off its confidence. A minority answer is as
# unsure as a mixed one (the authors the roster could not place are likely elsewhere): withheld on its own; the
# others withhold only together.
ROSTER_DOUBTS = {"minority": MIXED_PENALTY, "ended": 0.1, "junior": 0.1}
MIN_ROSTER_SHARE = 0.5  # a roster answer is a minority one when it places fewer than this share of the authors
PROPAGATION_WINDOW_DAYS = 365
AMBIGUOUS_PAPERS_PER_YEAR = 30
AMBIGUOUS_NAMESAKES = 0.5
MIN_NAMES_FOR_NAMESAKES = 10_000
MAX_DETAILS = 6

CUE = (
    r"(?i)\b(?:(?:work|research|project|paper|it)\s+(?:was\s+|were\s+|is\s+|has\s+been\s+)?"
    r"(?:partly\s+|partially\s+|mainly\s+|mostly\s+)?(?:done|performed|conducted|carried\s+out|completed)"
    r"|internships?|interned|intern|while\s+(?:at|with|visiting|employed\s+(?:at|by))"
    r"|affiliated\s+with|employed\s+(?:at|by))\b[^.;\n]{0,100}"
).replace(r"\b", r"(?-u:\b)")  # ASCII word boundaries keep the regex on its fast DFA path (3x faster)
EMAIL = r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
GITHUB = r"(?i)github\.com/[A-Za-z0-9_.-]+"
GENERIC_AFFILIATION = {
    "academic": r"(?i)\b(?:universit|univ\b|college\b|[ée]cole\b|polytechni|politecnico|hochschule|"
    r"institute of technology|school of|faculty of|academy of sciences?)",
    "industry": r"(?i)\b(?:inc|ltd|llc|corp|corporation|gmbh|co\.?,? ltd|limited|plc|s\.a\.s)\b",
    "government": r"(?i)\b(?:national laborator(?:y|ies)|ministry of|government of)\b",
}
PAPERS_SCHEMA = {
    "arxiv_id": pl.String,
    "title": pl.String,
    "abstract": pl.String,
    "comments": pl.String,
    "published_date": pl.Date,
}
EVIDENCE_SCHEMA = {
    "arxiv_id": pl.String,
    "name_normalized": pl.String,
    "kind": pl.String,
    "organization": pl.String,
    "origin": pl.String,
    "detail": pl.String,
}
AUTHOR_EVIDENCE_SCHEMA = {
    "name_normalized": pl.String,
    "published_date": pl.Date,
    "arxiv_id": pl.String,
    "organization": pl.String,
    "origin": pl.String,
}
ORIGIN_SCHEMA = {
    "arxiv_id": pl.String,
    "origin": pl.String,
    "organizations": pl.List(pl.String),
    "origin_evidence": pl.String,
    "origin_evidence_kind": pl.String,
    "origin_confidence": pl.Float64,
}


def _empty_evidence() -> pl.DataFrame:
    return pl.DataFrame(schema=EVIDENCE_SCHEMA)


def origin_version(organizations: pl.DataFrame, roster: pl.DataFrame, places: pl.DataFrame) -> str:
    """versions.version_of CODE_VERSION and the inputs classify_origin uses: the organisations seed, the roster and
    the places of the conference records (a change of any reclassifies every paper)."""
    return version_of(CODE_VERSION, frame_sha256(organizations), frame_sha256(roster), frame_sha256(places))


def _quote(col: str, limit: int = 120) -> pl.Expr:
    return pl.concat_str([pl.lit('"'), pl.col(col).str.slice(0, limit), pl.lit('"')])


def _match(names: pl.Series, organizations: pl.DataFrame) -> pl.DataFrame:
    return match_organizations(names, organizations)


def affiliation_evidence(authors: pl.DataFrame, organizations: pl.DataFrame) -> pl.DataFrame:
    """Kind 1, author-level: seed organisations named in paper_authors.affiliation, else a generic class."""
    if "affiliation" not in authors.columns:
        return _empty_evidence()
    rows = authors.select("arxiv_id", "name_normalized", "affiliation").filter(
        pl.col("affiliation").is_not_null(), pl.col("affiliation").str.strip_chars() != ""
    )
    if rows.height == 0:
        return _empty_evidence()
    distinct = rows.select(pl.col("affiliation").unique())
    matched = _match(distinct["affiliation"], organizations).select(
        pl.col("name").alias("affiliation"), "organization", "origin"
    )
    generic = (
        distinct.join(matched, on="affiliation", how="anti")
        .with_columns([pl.col("affiliation").str.contains(rx).alias(cls) for cls, rx in GENERIC_AFFILIATION.items()])
        .unpivot(index="affiliation", on=list(GENERIC_AFFILIATION), variable_name="origin", value_name="hit")
        .filter("hit")
        .select(
            "affiliation",
            pl.col("affiliation").str.strip_chars().str.slice(0, 80).alias("organization"),
            "origin",
        )
    )
    return (
        rows.join(pl.concat([matched, generic]), on="affiliation")
        .with_columns(
            kind=pl.lit("affiliation"),
            detail=pl.concat_str([pl.col("organization"), pl.lit(" <- "), _quote("affiliation")]),
        )
        .select(*EVIDENCE_SCHEMA)
    )


def openalex_evidence(institutions: pl.DataFrame, organizations: pl.DataFrame) -> pl.DataFrame:
    """Kind 2, author-level: OpenAlex institutions matched to the seed by name, else classed by ROR type."""
    rows = institutions.filter(pl.col("institution").is_not_null())
    if rows.height == 0:
        return _empty_evidence()
    matched = _match(rows["institution"].unique(), organizations).select(
        pl.col("name").alias("institution"), "organization", "origin"
    )
    ror_origin = {k: ORIGIN_OF_TYPE[v] for k, v in ROR_TYPE_TO_ORG_TYPE.items()}
    by_type = (
        rows.select("institution", "ror_type")
        .unique()
        .join(matched, on="institution", how="anti")
        .with_columns(origin=pl.col("ror_type").replace_strict(ror_origin, default=None, return_dtype=pl.String))
        .drop_nulls("origin")
        .select("institution", pl.col("institution").alias("organization"), "origin")
    )
    return (
        rows.join(pl.concat([matched, by_type]).unique(), on="institution")
        .with_columns(
            kind=pl.lit("openalex"),
            detail=pl.concat_str(
                [
                    pl.col("organization"),
                    pl.lit(" <- OpenAlex institution "),
                    _quote("institution"),
                    pl.lit(" ("),
                    pl.col("ror_type").fill_null("no type"),
                    pl.lit(")"),
                ]
            ),
        )
        .select(*EVIDENCE_SCHEMA)
    )


def _domain_hits(texts: pl.DataFrame, organizations: pl.DataFrame) -> pl.DataFrame:
    """(arxiv_id, field, text, organization, origin) for e-mail domains and github.com/<org> links."""
    domains = domain_table(organizations).select("domain", "organization", "origin")
    emails = (
        texts.filter(pl.col("text").str.contains("@", literal=True))
        .select("arxiv_id", "field", pl.col("text").str.extract_all(EMAIL).alias("hit"))
        .explode("hit")
        .drop_nulls("hit")
        .with_columns(labels=pl.col("hit").str.strip_prefix("@").str.to_lowercase().str.split("."))
    )
    # Match the registrable suffixes of the host: cs.stanford.edu -> stanford.edu, mails.tsinghua.edu.cn -> ...
    suffixes = emails.with_columns(
        domain=pl.concat_list([pl.col("labels").list.slice(-k, k).list.join(".") for k in range(2, 6)]).list.unique()
    ).explode("domain")
    github = (
        texts.filter(pl.col("text").str.contains("github.com/", literal=True))
        .select("arxiv_id", "field", pl.col("text").str.extract_all(GITHUB).alias("hit"))
        .explode("hit")
        .drop_nulls("hit")
        .with_columns(domain=pl.col("hit").str.to_lowercase().str.strip_chars_end("."))
    )
    return pl.concat(
        [
            suffixes.select("arxiv_id", "field", "hit", "domain"),
            github.select("arxiv_id", "field", "hit", "domain"),
        ]
    ).join(domains, on="domain")


def mention_evidence(papers: pl.DataFrame, organizations: pl.DataFrame) -> pl.DataFrame:
    """Kind 3, paper-level: organisations in affiliation-like contexts of comments, title and abstract."""
    fields = [f for f in ("comments", "title", "abstract") if f in papers.columns]
    texts = pl.concat(
        [
            papers.select("arxiv_id", pl.lit(f).alias("field"), pl.col(f).alias("text")).filter(
                pl.col("text").is_not_null()
            )
            for f in fields
        ]
    )
    windows = (
        texts.filter(pl.col("text").str.contains(CUE))
        .select("arxiv_id", "field", pl.col("text").str.extract_all(CUE).alias("hit"))
        .explode("hit")
        .drop_nulls("hit")
    )
    cue_hits = windows.join(
        _match(windows["hit"].unique(), organizations).select(pl.col("name").alias("hit"), "organization", "origin"),
        on="hit",
    )
    found = pl.concat(
        [
            cue_hits.select("arxiv_id", "field", "hit", "organization", "origin"),
            _domain_hits(texts.filter(pl.col("field") != "title"), organizations).select(
                "arxiv_id", "field", "hit", "organization", "origin"
            ),
        ]
    )
    return found.select(
        "arxiv_id",
        pl.lit(None, dtype=pl.String).alias("name_normalized"),
        pl.lit("mention").alias("kind"),
        "organization",
        "origin",
        pl.concat_str([pl.col("organization"), pl.lit(" <- "), pl.col("field"), pl.lit(" "), _quote("hit")]).alias(
            "detail"
        ),
    )


def author_evidence(
    papers: pl.DataFrame,
    authors: pl.DataFrame,
    direct: pl.DataFrame,
) -> pl.DataFrame:
    """Strong author-level evidence usable for propagation: (name_normalized, published_date, arxiv_id,
    organization, origin) from kinds 1-2, and from kind 3 on single-author papers."""
    per_author = direct.filter(pl.col("kind").is_in(["affiliation", "openalex"]))
    mentioned = direct.filter(pl.col("kind") == "mention").drop("name_normalized")
    single = (
        authors.join(mentioned.select("arxiv_id").unique(), on="arxiv_id", how="semi")
        .group_by("arxiv_id")
        .agg(pl.col("name_normalized").first(), pl.len().alias("n"))
        .filter(pl.col("n") == 1)
        .drop("n")
    )
    mentions = mentioned.join(single, on="arxiv_id").select(*EVIDENCE_SCHEMA)
    return (
        pl.concat([per_author, mentions])
        .filter(pl.col("name_normalized").is_not_null(), pl.col("name_normalized") != "")
        .join(papers.select("arxiv_id", "published_date"), on="arxiv_id")
        .drop_nulls("published_date")
        .select(*AUTHOR_EVIDENCE_SCHEMA)
        .unique()
    )


def _usable_names(names: pl.Expr) -> pl.Expr:
    tokens = names.str.split(" ")
    return (tokens.list.len() >= 2) & (tokens.list.eval(pl.element().str.len_chars()).list.min() >= 2)


def expected_namesakes(authors: pl.DataFrame, names: pl.Series | None = None) -> pl.DataFrame:
    """(name_normalized, expected_namesakes) for the names of `authors` (column name_normalized) with two or more
    tokens, limited to `names` if given: distinct names x P(first token) x P(last token) (see name_statistics)."""
    distinct = authors.select(pl.col("name_normalized").unique()).filter(pl.col("name_normalized").str.contains(" "))
    tokens = distinct.with_columns(
        first=pl.col("name_normalized").str.split(" ").list.first(),
        last=pl.col("name_normalized").str.split(" ").list.last(),
    )
    # Token frequencies mean nothing in a small batch: below MIN_NAMES_FOR_NAMESAKES names nobody is judged on them.
    n_names = distinct.height if distinct.height >= MIN_NAMES_FOR_NAMESAKES else float("inf")
    wanted = (
        tokens
        if names is None
        else tokens.join(pl.DataFrame({"name_normalized": names}).unique(), on="name_normalized", how="semi")
    )
    return (
        wanted.join(tokens.group_by("first").len("n_first"), on="first")
        .join(tokens.group_by("last").len("n_last"), on="last")
        .select("name_normalized", (pl.col("n_first") * pl.col("n_last") / n_names).alias("expected_namesakes"))
    )


def name_statistics(authors: pl.DataFrame, papers: pl.DataFrame, names: pl.Series | None = None) -> pl.DataFrame:
    """Per name: max_papers_per_year, and expected_namesakes = distinct names x P(first token) x P(last token).

    The second is how many different people would carry the name if first and last names combined at random:
    "tony wang" 2.1, "tao lin" 0.6, "percy liang" 0.01 on the 2025-26 corpus. Counted over `authors` (arxiv_id,
    name_normalized) and the papers' years; `names` limits the output rows (the statistics use every name).
    """
    namesakes = expected_namesakes(authors, names)
    wanted = namesakes.select("name_normalized")
    per_year = (
        authors.select("arxiv_id", "name_normalized")
        .join(wanted.select("name_normalized"), on="name_normalized", how="semi")
        .join(papers.select("arxiv_id", pl.col("published_date").dt.year().alias("year")), on="arxiv_id")
        .group_by("name_normalized", "year")
        .agg(pl.col("arxiv_id").n_unique().alias("n"))
        .group_by("name_normalized")
        .agg(pl.col("n").max().cast(pl.Int64).alias("max_papers_per_year"))
    )
    return namesakes.join(per_year, on="name_normalized", how="full", coalesce=True).select(
        "name_normalized",
        pl.col("max_papers_per_year").fill_null(0),
        pl.col("expected_namesakes").fill_null(0.0),
    )


def ambiguous_names(
    candidates: pl.Series, papers: pl.DataFrame, authors: pl.DataFrame, name_counts: pl.DataFrame | None
) -> pl.DataFrame:
    """Names (among candidates) that likely belong to several people: more than AMBIGUOUS_PAPERS_PER_YEAR papers
    in some year, or more than AMBIGUOUS_NAMESAKES expected namesakes (name_statistics).

    name_counts (name_normalized, max_papers_per_year, optionally expected_namesakes), when given, is used for the
    names it covers: the warehouse passes statistics over the whole corpus, so that a small incremental batch is
    judged like the full one. Other candidates are judged within `authors`.
    """
    wanted = pl.DataFrame({"name_normalized": candidates}).unique()
    schema = {"name_normalized": pl.String, "max_papers_per_year": pl.Int64, "expected_namesakes": pl.Float64}
    given = pl.DataFrame(schema=schema)
    if name_counts is not None:
        if "expected_namesakes" not in name_counts.columns:
            name_counts = name_counts.with_columns(expected_namesakes=pl.lit(0.0))
        given = (
            name_counts.select(*schema).cast(schema).join(wanted, on="name_normalized", how="semi")  # type: ignore[arg-type]
        )
    missing = wanted.join(given, on="name_normalized", how="anti")
    counted = name_statistics(authors, papers, missing["name_normalized"]) if missing.height else given.clear()
    return (
        pl.concat([given, counted.select(*schema).cast(schema)])  # type: ignore[arg-type]
        .filter(
            (pl.col("max_papers_per_year") > AMBIGUOUS_PAPERS_PER_YEAR)
            | (pl.col("expected_namesakes") > AMBIGUOUS_NAMESAKES)
        )
        .select("name_normalized")
    )


def _roles_at(roster: pl.DataFrame) -> pl.DataFrame:
    """Roster with role_tier, junior and senior filled in from the title if missing (frames built by hand may lack
    them) and `ended`, the date the position ended before PUBLICATION_LAG_DAYS were added (null while current)."""
    title = pl.col("title").fill_null("")
    if "role_tier" not in roster.columns:
        roster = roster.with_columns(role_tier=pl.lit(1, dtype=pl.Int8))
    if "junior" not in roster.columns:
        roster = roster.with_columns(junior=title.str.contains(JUNIOR_TITLE))
    if "senior" not in roster.columns:
        roster = roster.with_columns(
            senior=(pl.col("role_tier") == 2) & ~pl.col("junior") & title.str.contains(SENIOR_TITLE)
        )
    return roster.with_columns(
        ended=pl.when(pl.col("valid_to") < OPEN_END).then(pl.col("valid_to") - pl.duration(days=PUBLICATION_LAG_DAYS))
    )


def roster_evidence(
    papers: pl.DataFrame,
    authors: pl.DataFrame,
    roster: pl.DataFrame,
    ambiguous: pl.DataFrame,
    organizations: pl.DataFrame,
) -> pl.DataFrame:
    """Kind 4, author-level: roster positions whose window contains the paper's published_date.

    Returns the evidence columns plus the paper's roster doubts: `penalty` (the sum of ROSTER_DOUBTS that apply)
    and `doubt` (what they are, null without any), the same on each of the paper's rows.
    """
    if roster.height == 0:
        return _empty_evidence().with_columns(penalty=pl.lit(0.0), doubt=pl.lit(None, dtype=pl.String))
    n_authors = authors.group_by("arxiv_id").agg(pl.col("name_normalized").n_unique().alias("n_authors"))
    candidates = (
        authors.select("arxiv_id", "name_normalized")
        .join(roster.select(pl.col("name_normalized").unique()), on="name_normalized", how="semi")
        .join(ambiguous, on="name_normalized", how="anti")
        .join(papers.select("arxiv_id", "published_date"), on="arxiv_id")
        .drop_nulls("published_date")
    )
    active = (
        candidates.join(_roles_at(roster).filter(pl.col("role_tier") > 0), on="name_normalized")
        .filter(pl.col("published_date").is_between(pl.col("valid_from"), pl.col("valid_to")))
        # The class the organisation had while the author worked there: at the paper's date, or at the end of a
        # position that had ended before it (counted through the publication lag).
        .with_columns(lagging=pl.col("ended").is_not_null() & (pl.col("published_date") > pl.col("ended")))
        .with_columns(as_of=pl.min_horizontal("published_date", "ended"))
    )
    active = _class_at(active, "as_of", organizations)
    per_author = ("arxiv_id", "name_normalized")
    # Roles at that date (research or other staff) at organisations of different classes: the author is skipped.
    split = pl.col("origin").n_unique().over(*per_author) > 1
    placed = active.filter(~split)
    # Per author, research roles win over other staff roles, then the most recently started role wins.
    hits = placed.filter(pl.col("role_tier") == pl.col("role_tier").max().over(*per_author)).filter(
        pl.col("valid_from") == pl.col("valid_from").max().over(*per_author)
    )
    doubts = _roster_doubts(placed, n_authors)
    return (
        hits.select(
            "arxiv_id",
            "name_normalized",
            pl.lit("roster").alias("kind"),
            "organization",
            "origin",
            pl.concat_str(
                [
                    pl.col("organization"),
                    pl.lit(" <- AI Watch: "),
                    pl.col("person"),
                    pl.lit(", "),
                    pl.col("title").fill_null(""),
                    pl.lit(" ("),
                    pl.col("valid_from").cast(pl.String),
                    pl.lit(".."),
                    pl.col("valid_to").cast(pl.String),
                    pl.lit(")"),
                ]
            ).alias("detail"),
        )
        .join(doubts, on="arxiv_id", how="left")
        .with_columns(pl.col("penalty").fill_null(0.0))
    )


def _roster_doubts(placed: pl.DataFrame, n_authors: pl.DataFrame) -> pl.DataFrame:
    """Per paper with roster hits and ROSTER_DOUBTS: penalty (their sum) and doubt (a readable list).

    placed: every role that counts for the paper's placed authors (one class per author, tiers above 0), not only
    the one reported. n_authors: arxiv_id, n_authors.
    """
    # An author's doubt holds only if it holds for every role they had at that date: a current role beside one
    # that had ended, or a staff role beside an internship, removes it.
    author_level = placed.group_by("arxiv_id", "name_normalized").agg(
        pl.col("lagging").all().alias("ended"),
        (pl.col("junior") & (pl.col("origin") != "academic")).all().alias("junior"),
        pl.col("senior").any(),
    )
    flags = (
        author_level.group_by("arxiv_id")
        .agg(pl.len().alias("n_placed"), pl.col("ended").all(), pl.col("junior").all(), pl.col("senior").any())
        .join(n_authors, on="arxiv_id", how="left")
        .with_columns(
            # A research leader's unplaced co-authors are mostly their own group: no minority doubt.
            minority=(pl.col("n_authors") > 1)
            & (pl.col("n_placed") < MIN_ROSTER_SHARE * pl.col("n_authors"))
            & ~pl.col("senior")
        )
    )
    notes = {
        "minority": pl.format("only {} of {} authors placed", pl.col("n_placed"), pl.col("n_authors")),
        "ended": pl.lit("every position had ended before the paper"),
        "junior": pl.lit("student or intern at a non-academic organisation"),
    }
    return (
        flags.with_columns(
            penalty=pl.sum_horizontal([pl.when(d).then(pl.lit(w)).otherwise(0.0) for d, w in ROSTER_DOUBTS.items()]),
            doubt=pl.concat_list([pl.when(d).then(notes[d]) for d in ROSTER_DOUBTS]).list.drop_nulls().list.join("; "),
        )
        .filter(pl.col("penalty") > 0)
        .select("arxiv_id", "penalty", "doubt")
    )


def propagation_evidence(
    papers: pl.DataFrame, authors: pl.DataFrame, strong: pl.DataFrame, ambiguous: pl.DataFrame
) -> pl.DataFrame:
    """Kind 5, author-level: each author's organisations on their nearest strong-evidence paper within the window."""
    if strong.height == 0 or papers.height == 0:
        return _empty_evidence()
    sources = (
        strong.join(ambiguous, on="name_normalized", how="anti")
        .select("name_normalized", pl.col("published_date").alias("source_date"), pl.col("arxiv_id").alias("source"))
        # One source per author and day: of several papers that day, the lowest arXiv id (`strong` has no row order).
        .sort("name_normalized", "source_date", "source")
        .unique(["name_normalized", "source_date"], keep="first", maintain_order=True)
        .sort("source_date")
    )
    targets = (
        authors.select("arxiv_id", "name_normalized")
        .join(sources.select(pl.col("name_normalized").unique()), on="name_normalized", how="semi")
        .join(ambiguous, on="name_normalized", how="anti")
        .filter(_usable_names(pl.col("name_normalized")))
        .join(papers.select("arxiv_id", "published_date"), on="arxiv_id")
        .drop_nulls("published_date")
        .sort("published_date")
    )
    if targets.height == 0:
        return _empty_evidence()
    nearest = (
        targets.join_asof(
            sources,
            left_on="published_date",
            right_on="source_date",
            by="name_normalized",
            strategy="nearest",
            tolerance=f"{PROPAGATION_WINDOW_DAYS}d",
            check_sortedness=False,  # both sides are sorted by date just above
        )
        .drop_nulls("source")
        .filter(pl.col("source") != pl.col("arxiv_id"))
    )
    orgs = strong.select("name_normalized", pl.col("arxiv_id").alias("source"), "organization", "origin").unique()
    return (
        nearest.join(orgs, on=["name_normalized", "source"])
        .select(
            "arxiv_id",
            "name_normalized",
            pl.lit("propagation").alias("kind"),
            "organization",
            "origin",
            pl.concat_str(
                [
                    pl.col("organization"),
                    pl.lit(" <- "),
                    pl.col("name_normalized"),
                    pl.lit(" on arXiv:"),
                    pl.col("source"),
                    pl.lit(" ("),
                    pl.col("source_date").cast(pl.String),
                    pl.lit(")"),
                ]
            ).alias("detail"),
        )
        .select(*EVIDENCE_SCHEMA)
    )


def _class_at(frame: pl.DataFrame, date_col: str, organizations: pl.DataFrame) -> pl.DataFrame:
    """`origin` of each row's organisation as it was at `date_col`: organisations whose type changed (seed
    former_type) get their former class on dates up to former_until."""
    if "former_origin" not in organizations.columns:
        return frame
    former = organizations.filter(pl.col("former_origin").is_not_null()).select(
        pl.col("name").alias("organization"), "former_origin", "former_until"
    )
    if former.height == 0:
        return frame
    return (
        frame.join(former, on="organization", how="left")
        .with_columns(
            origin=pl.when(pl.col(date_col) <= pl.col("former_until"))
            .then(pl.col("former_origin"))
            .otherwise(pl.col("origin"))
        )
        .drop("former_origin", "former_until")
    )


def apply_former_types(evidence: pl.DataFrame, papers: pl.DataFrame, organizations: pl.DataFrame) -> pl.DataFrame:
    """Organisations whose type changed (seed former_type) get their former class for papers published before."""
    dated = evidence.join(papers.select("arxiv_id", "published_date"), on="arxiv_id", how="left")
    return _class_at(dated, "published_date", organizations).select(*EVIDENCE_SCHEMA)


def resolve(papers: pl.DataFrame, evidence: pl.DataFrame, doubts: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per paper: the strongest evidence kind present decides; no evidence means 'unknown'.

    doubts (arxiv_id, kind, penalty, doubt): lower the confidence of the paper's answer by `penalty` when that
    kind decided it, and are quoted in origin_evidence.
    """
    ranks = pl.DataFrame(
        {"kind": list(KINDS), "rank": [r for r, _ in KINDS.values()], "conf": [c for _, c in KINDS.values()]},
        schema={"kind": pl.String, "rank": pl.Int8, "conf": pl.Float64},
    )
    ranked = evidence.join(ranks, on="kind").filter(pl.col("rank") == pl.col("rank").min().over("arxiv_id"))
    decided = ranked.group_by("arxiv_id").agg(
        pl.col("organization").unique().sort().alias("organizations"),
        pl.col("origin").unique().alias("classes"),
        pl.col("kind").first().alias("origin_evidence_kind"),
        pl.col("conf").first().alias("origin_confidence"),
        pl.col("detail").unique().sort().head(MAX_DETAILS).alias("details"),
        pl.col("detail").n_unique().alias("n_details"),
    )
    if doubts is None or doubts.height == 0:
        doubts = pl.DataFrame(
            schema={"arxiv_id": pl.String, "kind": pl.String, "penalty": pl.Float64, "doubt": pl.String}
        )
    decided = decided.join(
        doubts.select("arxiv_id", pl.col("kind").alias("origin_evidence_kind"), "penalty", "doubt"),
        on=["arxiv_id", "origin_evidence_kind"],
        how="left",
    ).with_columns(pl.col("penalty").fill_null(0.0))
    more = pl.when(pl.col("n_details") > MAX_DETAILS).then(
        pl.format("; ... ({} more)", pl.col("n_details") - MAX_DETAILS)
    )
    doubted = pl.when(pl.col("doubt").is_not_null()).then(
        pl.format(" [doubts, -{}: {}]", pl.col("penalty").round(2), pl.col("doubt"))
    )
    single = pl.col("classes").list.len() == 1
    decided = decided.with_columns(
        origin=pl.when(single).then(pl.col("classes").list.first()).otherwise(pl.lit("mixed")),
        origin_confidence=pl.when(single)
        .then(pl.col("origin_confidence"))
        .otherwise(pl.col("origin_confidence") - MIXED_PENALTY)
        - pl.col("penalty"),
        origin_evidence=pl.concat_str(
            [
                pl.col("origin_evidence_kind"),
                pl.lit(": "),
                pl.col("details").list.join("; "),
                more.otherwise(pl.lit("")),
                doubted.otherwise(pl.lit("")),
            ]
        ),
    )
    withheld = pl.col("origin_confidence") < MIN_CONFIDENCE - 1e-9
    decided = decided.select(
        "arxiv_id",
        pl.when(withheld).then(pl.lit("unknown")).otherwise(pl.col("origin")).alias("origin"),
        pl.when(withheld)
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(pl.col("organizations"))
        .alias("organizations"),
        pl.when(withheld)
        .then(
            pl.format(
                "withheld ({} at confidence {} < {}): {}",
                pl.col("origin"),
                pl.col("origin_confidence").round(2),
                pl.lit(MIN_CONFIDENCE),
                pl.col("origin_evidence"),
            )
        )
        .otherwise(pl.col("origin_evidence"))
        .alias("origin_evidence"),
        pl.when(~withheld).then(pl.col("origin_evidence_kind")).alias("origin_evidence_kind"),
        pl.when(withheld).then(pl.lit(0.0)).otherwise(pl.col("origin_confidence")).alias("origin_confidence"),
    )
    return (
        papers.select("arxiv_id")
        .unique(maintain_order=True)
        .join(decided, on="arxiv_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("origin").fill_null("unknown"),
            pl.col("organizations").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("origin_confidence").fill_null(0.0),
        )
        .select(*ORIGIN_SCHEMA)
        .cast(ORIGIN_SCHEMA)  # type: ignore[arg-type]
    )


def direct_evidence(
    papers: pl.DataFrame,
    authors: pl.DataFrame,
    organizations: pl.DataFrame,
    openalex: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Evidence of kinds 1-3 for the given papers."""
    parts = [affiliation_evidence(authors, organizations)]
    if openalex is not None and openalex.height:
        ids = papers.select("arxiv_id")
        inst = institutions_frame(openalex.join(ids, on="arxiv_id", how="semi"))
        parts.append(openalex_evidence(inst, organizations))
    parts.append(mention_evidence(papers, organizations))
    return pl.concat([p.select(*EVIDENCE_SCHEMA).cast(EVIDENCE_SCHEMA) for p in parts])  # type: ignore[arg-type]


def prior_author_evidence(
    papers: pl.DataFrame,
    authors: pl.DataFrame,
    organizations: pl.DataFrame,
    openalex: pl.DataFrame | None = None,
    names: pl.Series | None = None,
) -> pl.DataFrame:
    """Strong author-level evidence (kinds 1-2) over any set of papers, for propagation into another batch.

    papers: arxiv_id, published_date; authors: arxiv_id, name_normalized, affiliation (rows without an
    affiliation may be left out); openalex: cached `openalex_works` rows. names, if given, limits the evidence to
    those authors (a batch uses only evidence on its own authors' names), before any organisation is matched.
    """
    wanted = None if names is None else pl.DataFrame({"name_normalized": names}, schema={"name_normalized": pl.String})
    if wanted is not None:
        authors = authors.join(wanted, on="name_normalized", how="semi")
    parts = [affiliation_evidence(authors, organizations)]
    if openalex is not None and openalex.height:
        institutions = institutions_frame(openalex)
        if wanted is not None:
            institutions = institutions.join(wanted, on="name_normalized", how="semi")
        parts.append(openalex_evidence(institutions, organizations))
    direct = pl.concat([p.select(*EVIDENCE_SCHEMA).cast(EVIDENCE_SCHEMA) for p in parts])  # type: ignore[arg-type]
    return author_evidence(papers.select("arxiv_id", "published_date"), authors, direct)


def involvement(papers: pl.DataFrame, authors: pl.DataFrame, evidence: pl.DataFrame) -> pl.DataFrame:
    """Per paper: which classes its authors belong to (has_<class>_author), the class of the first and the last
    author, and how many authors any evidence placed. An author's class comes from the strongest author-level kind
    that placed them; an organisation mentioned in the paper (kind 'mention') counts for involvement only.

    authors: arxiv_id, name_normalized, position (1-based; without it first and last stay 'unknown')."""
    ranks = {k: r for k, (r, _) in KINDS.items()}
    per_author = (
        evidence.filter(pl.col("kind").is_in(AUTHOR_KINDS), pl.col("name_normalized").is_not_null())
        .with_columns(rank=pl.col("kind").replace_strict(ranks, return_dtype=pl.Int8))
        .filter(pl.col("rank") == pl.col("rank").min().over("arxiv_id", "name_normalized"))
        .group_by("arxiv_id", "name_normalized")
        .agg(pl.col("origin").unique().sort().alias("classes"))
    )
    mentioned = (
        evidence.filter(pl.col("kind") == "mention")
        .group_by("arxiv_id")
        .agg(pl.col("origin").unique().alias("mentioned"))
    )
    involved = (
        per_author.explode("classes")
        .group_by("arxiv_id")
        .agg(pl.col("classes").unique().alias("involved"), pl.col("name_normalized").n_unique().alias("n_placed"))
    )
    ordered = authors.select("arxiv_id", "name_normalized", *(["position"] if "position" in authors.columns else []))
    if "position" not in ordered.columns:
        ordered = ordered.with_columns(position=pl.lit(None, dtype=pl.Int64))
    ends = (
        ordered.join(per_author, on=["arxiv_id", "name_normalized"], how="left")
        .with_columns(
            cls=pl.when(pl.col("classes").list.len() == 1)
            .then(pl.col("classes").list.first())
            .when(pl.col("classes").list.len() > 1)
            .then(pl.lit("mixed"))
            .otherwise(pl.lit("unknown"))
        )
        .group_by("arxiv_id")
        .agg(
            pl.col("cls").filter(pl.col("position") == pl.col("position").min()).first().alias("first_author_class"),
            pl.col("cls").filter(pl.col("position") == pl.col("position").max()).first().alias("last_author_class"),
            pl.col("name_normalized").n_unique().alias("n_authors"),
        )
    )
    out = (
        papers.select("arxiv_id")
        .unique(maintain_order=True)
        .join(involved, on="arxiv_id", how="left")
        .join(mentioned, on="arxiv_id", how="left")
        .join(ends, on="arxiv_id", how="left")
        .with_columns(
            involved=pl.concat_list(
                pl.col("involved").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                pl.col("mentioned").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            )
        )
    )
    return out.select(
        "arxiv_id",
        *[pl.col("involved").list.contains(c).alias(f"has_{c}_author") for c in CLASSES],
        pl.col("first_author_class").fill_null("unknown"),
        pl.col("last_author_class").fill_null("unknown"),
        pl.col("n_authors").fill_null(0),
        pl.col("n_placed").fill_null(0).alias("n_authors_placed"),
    ).cast(INVOLVEMENT_SCHEMA)  # type: ignore[arg-type]


def classify_origin(
    papers: pl.DataFrame,
    authors: pl.DataFrame,
    organizations: pl.DataFrame,
    roster: pl.DataFrame | None,
    openalex: pl.DataFrame | None = None,
    *,
    prior_author_evidence: pl.DataFrame | None = None,
    name_counts: pl.DataFrame | None = None,
    places: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Origin per paper: arxiv_id, origin, organizations, origin_evidence, origin_evidence_kind, origin_confidence,
    and the involvement columns (involvement()).

    papers: arxiv_id, title, abstract, comments, published_date. authors: arxiv_id, name_normalized and optionally
    affiliation and position. organizations: the seed (organizations.parse_organizations). roster:
    roster.build_roster() output. openalex: cached `openalex_works` rows. prior_author_evidence: strong
    author-level evidence from papers outside this batch (author_evidence() schema) for propagation. name_counts:
    see ambiguous_names(). places: people.people_places() rows (conference affiliation records).
    """
    from pipelines.lib.people import author_places_at, people_evidence

    papers = papers.select(*PAPERS_SCHEMA).cast(PAPERS_SCHEMA)  # type: ignore[arg-type]
    if "affiliation" not in authors.columns:
        authors = authors.with_columns(affiliation=pl.lit(None, dtype=pl.String))
    positions = authors.select("arxiv_id", "name_normalized", "position") if "position" in authors.columns else None
    authors = authors.select("arxiv_id", "name_normalized", "affiliation").filter(
        pl.col("name_normalized").is_not_null()
    )
    direct = direct_evidence(papers, authors, organizations, openalex)
    strong = author_evidence(papers, authors, direct)
    if prior_author_evidence is not None and prior_author_evidence.height:
        strong = pl.concat([strong, prior_author_evidence.select(*AUTHOR_EVIDENCE_SCHEMA)]).unique()

    # Roster and people place authors on every paper (for the involvement flags); they decide a paper's origin
    # only where kinds 1-3 found nothing (resolve() takes the strongest kind). Propagation runs only for the rest.
    dates = papers.select("arxiv_id", "published_date")
    name_ids = authors.select("arxiv_id", "name_normalized")
    roster = roster if roster is not None else pl.DataFrame(schema={"name_normalized": pl.String})
    places = (
        places if places is not None else pl.DataFrame(schema={"name_normalized": pl.String, "org_class": pl.String})
    )
    known_names = pl.concat(
        [roster.select("name_normalized"), strong.select("name_normalized"), places.select("name_normalized")]
    ).unique()
    candidates = name_ids.join(known_names, on="name_normalized", how="semi")["name_normalized"]
    ambiguous = ambiguous_names(candidates, papers, authors, name_counts)
    on_roster = roster_evidence(dates, name_ids, roster, ambiguous, organizations)
    if places.height:
        placed = author_places_at(dates, name_ids, places, ambiguous)
        by_people = people_evidence(placed, positions if positions is not None else name_ids)
    else:
        by_people = on_roster.clear()
    decided = pl.concat(
        [direct.select("arxiv_id"), on_roster.select("arxiv_id"), by_people.select("arxiv_id")]
    ).unique()
    propagated = propagation_evidence(
        dates.join(decided, on="arxiv_id", how="anti"),
        name_ids.join(decided, on="arxiv_id", how="anti"),
        strong,
        ambiguous,
    )
    evidence = apply_former_types(
        pl.concat([direct, on_roster.select(*EVIDENCE_SCHEMA), by_people.select(*EVIDENCE_SCHEMA), propagated]),
        papers,
        organizations,
    )
    doubts = pl.concat(
        [
            frame.filter(pl.col("penalty") > 0).select("arxiv_id", "kind", "penalty", "doubt").unique()
            for frame in (on_roster, by_people)
        ]
    )
    origins = resolve(papers, evidence, doubts)
    flags = involvement(papers, positions if positions is not None else name_ids, evidence)
    return origins.join(flags, on="arxiv_id", how="left", maintain_order="left")
