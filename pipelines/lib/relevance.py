"""AI-safety relevance and topics of papers: vectorized phrase matching over title and abstract.

How a paper is scored (all Polars expressions, no per-row Python):
1. Titles and abstracts are padded and their punctuation turned into spaces; one Aho-Corasick automaton of
   every seed phrase's literal patterns (`str.extract_many`, ASCII case-insensitive, overlapping) finds all
   occurrences in one pass per column.
2. An occurrence inside a longer pattern of the same topic (or inside a negative phrase) is absorbed by it:
   "harmful content" counts once, not also as "harmful"; "sequence alignment" cancels "alignment".
3. A phrase found in a topic earns weight x (title_weight if in the title + 1 if in the abstract
   + repeat_bonus if repeated in the abstract).
4. Broad evidence sums strong, phrases and broad_phrases; narrow evidence sums the strong and phrases of
   narrow-scope topics; weak phrases never make a paper relevant by this rule, they help rank its topics and
   feed the second stage. By the rule a paper is narrow when narrow evidence reaches narrow_threshold.
   With a second-stage model (relevance_model.py; it scores the papers of its scope, see SCOPES), a paper is also
   narrow when the model's probability reaches its threshold, and a rule-narrow paper is not narrow when the
   probability is below the model's veto; safety_evidence then starts with "second stage p=..." or
   "not narrow: second stage p=...". A paper is broad when broad evidence reaches broad_threshold or it is
   narrow, and narrow or broad only in AI context (an AI category or AI terms in the text, or narrow evidence so
   strong that it is self-evident).
5. Topics are those whose own score reaches the threshold (else the best one), best first; the fallback
   topic (general safety) is primary only when no specific topic qualifies or it outscores the best
   specific one fallback_margin times over.

classify_relevance composes the steps, each a function of frames: prepare and phrase_scores (1-3), paper_signals
(evidence sums, second-stage probability, AI context), rank_topics and topic_candidates (5), decide (the rule of
4), assign_topics, and the evidence text (topic_evidence, safety_evidence).
"""

from __future__ import annotations

import polars as pl

from pipelines.lib.relevance_model import AUTHOR_FEATURE, RelevanceModel, model_scores
from pipelines.lib.safety_authors import RESEARCHERS_SCHEMA, researchers_sha256, safety_authors, without_common_names
from pipelines.lib.taxonomy import SEPARATORS, Taxonomy
from pipelines.lib.versions import version_of

# Bump when the scoring code changes meaning; with the taxonomy and model hashes it forms classifier_version.
CODE_VERSION = "relevance-2026.2"
FALLBACK_TOPIC = "safety_general"
# Kinds that count as evidence of relevance; `weak` phrases only help choose among topics.
NARROW_KINDS = ("strong", "phrases")
BROAD_KINDS = ("strong", "phrases", "broad_phrases")

RELEVANCE_SCHEMA = {
    "arxiv_id": pl.String,
    "is_safety_broad": pl.Boolean,
    "is_safety_narrow": pl.Boolean,
    "safety_score": pl.Float64,
    "topics": pl.List(pl.String),
    "primary_topic": pl.String,
    "safety_evidence": pl.String,
    "classifier_version": pl.String,
}
DETAIL_SCHEMA = {
    "broad_evidence": pl.Float64,
    "narrow_evidence": pl.Float64,
    "ai_context": pl.Boolean,
    "model_probability": pl.Float64,
}


def classifier_version(
    taxonomy: Taxonomy, model: RelevanceModel | None = None, researchers: pl.DataFrame | None = None
) -> str:
    """versions.version_of CODE_VERSION and the inputs the classifier uses: the taxonomy seed, the second-stage
    model, and the researcher list when the model weighs it."""
    hashes = [taxonomy.seed_sha256, model.sha256 if model is not None else "none"]
    if uses_authors(model):
        known = researchers if researchers is not None else pl.DataFrame(schema=RESEARCHERS_SCHEMA)
        hashes.append(researchers_sha256(known))
    return version_of(CODE_VERSION, *hashes)


def uses_authors(model: RelevanceModel | None) -> bool:
    """Whether the second stage weighs authorship (AUTHOR_FEATURE): only then does the researcher list matter."""
    return model is not None and AUTHOR_FEATURE in model.weights


def counted_researchers(model: RelevanceModel | None, researchers: pl.DataFrame | None) -> pl.DataFrame | None:
    """The researchers whose authorship the model weighs: none unless it uses authors, never its common names."""
    if researchers is None or model is None or not uses_authors(model):
        return None
    return without_common_names(researchers, model.common_author_names)


def usable_model(taxonomy: Taxonomy, model: RelevanceModel | None) -> tuple[RelevanceModel | None, str | None]:
    """The second-stage model and None, or None and why it is set aside: trained on another taxonomy, whose phrases
    its features would no longer name."""
    if model is not None and model.taxonomy_sha256 != taxonomy.seed_sha256:
        return None, "seeds/relevance_model.json was trained on another taxonomy: run `make train`"
    return model, None


# Typographic ligatures from PDF extraction ("classiﬁer") would hide phrases from the matcher.
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"}


def _normalized(col: pl.Expr) -> pl.Expr:
    """Text as the matcher sees it: ligatures resolved, separators as spaces, padded with spaces."""
    patterns = [*_LIGATURES, *SEPARATORS]
    replacements = [*_LIGATURES.values(), *[" "] * len(SEPARATORS)]
    return pl.lit(" ") + col.fill_null("").str.replace_many(patterns, replacements) + pl.lit(" ")


def _matches(base: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """Occurrence counts per (_row, loc, literal) in titles and abstracts."""
    literals = taxonomy.literals()
    found = base.lazy().select(
        "_row",
        *[
            pl.col(loc).str.extract_many(literals, ascii_case_insensitive=True, overlapping=True).alias(loc)
            for loc in ("title", "abstract")
        ],
    )
    parts = [
        found.select("_row", literal=pl.col(loc)).explode("literal").drop_nulls("literal").with_columns(loc=pl.lit(loc))
        for loc in ("title", "abstract")
    ]
    return (
        pl.concat(parts)
        .with_columns(pl.col("literal").str.to_lowercase())
        .group_by("_row", "loc", "literal")
        .agg(n=pl.len())
        .collect()
    )


def _phrase_hits(counts: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """Per (_row, loc, topic, phrase): occurrences that count, after absorption by containing patterns."""
    table = taxonomy.phrase_table().filter(pl.col("kind") != "negatives")
    absorbed = (
        counts.rename({"literal": "container", "n": "n_absorbed"})
        .join(taxonomy.absorption_table(), on="container")
        .group_by("_row", "loc", "topic", "literal")
        .agg(pl.sum("n_absorbed"))
    )
    return (
        counts.join(table, on="literal")
        .join(absorbed, on=["_row", "loc", "topic", "literal"], how="left")
        # Signed: overlapping containers can absorb more occurrences than were counted (unsigned would wrap).
        .with_columns(n=pl.col("n").cast(pl.Int64) - pl.col("n_absorbed").fill_null(0).cast(pl.Int64))
        .filter(pl.col("n") > 0)
        .group_by("_row", "loc", "topic", "phrase")
        .agg(pl.sum("n"), pl.first("scope", "kind", "weight", "topic_rank"))
    )


def _ai_context(taxonomy: Taxonomy) -> pl.Expr:
    cats = pl.col("categories").list.eval(pl.element().is_in(list(taxonomy.ai_categories))).list.any()
    expr = cats.fill_null(False)
    if taxonomy.ai_terms:
        terms = list(taxonomy.ai_terms)
        for loc in ("title", "abstract"):
            expr = expr | pl.col(loc).str.contains_any(terms, ascii_case_insensitive=True)
    return expr


def _evidence_text(phrase: pl.Expr, in_title: pl.Expr, n_abs: pl.Expr) -> pl.Expr:
    where = (
        pl.concat_list(
            pl.when(in_title).then(pl.lit("title")),
            pl.when(n_abs == 1)
            .then(pl.lit("abstract"))
            .when(n_abs > 1)
            .then(pl.lit("abstract x") + n_abs.cast(pl.String)),
        )
        .list.drop_nulls()
        .list.join(", ")
    )
    return pl.lit("'") + phrase + pl.lit("' (") + where + pl.lit(")")


def prepare(papers: pl.DataFrame, researchers: pl.DataFrame | None = None) -> pl.DataFrame:
    """Papers as the matcher reads them: _row, arxiv_id, normalised title and abstract, categories, and
    safety_authors (the authors in the AI-safety researcher list, safety_authors.py; read from an optional
    `authors` column of normalised names)."""
    no_names = pl.lit([], dtype=pl.List(pl.String))
    authors = pl.col("authors").fill_null(no_names) if "authors" in papers.columns else no_names
    base = papers.select(
        "arxiv_id",
        title=_normalized(pl.col("title")),
        abstract=_normalized(pl.col("abstract")),
        categories=pl.col("categories").fill_null(no_names),
        authors=authors,
    ).with_row_index("_row")
    return base.with_columns(safety_authors(base, researchers)).drop("authors")


def phrase_scores(base: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """One row per (_row, topic, phrase) found: scope, kind, weight, topic_rank, in_title, n_abs, score, and the
    score's share that counts as narrow and as broad evidence."""
    t = taxonomy
    return (
        _phrase_hits(_matches(base, t), t)
        .group_by("_row", "topic", "phrase")
        .agg(
            pl.first("scope", "kind", "weight", "topic_rank"),
            in_title=(pl.col("loc") == "title").any(),
            n_abs=pl.col("n").filter(pl.col("loc") == "abstract").sum(),
        )
        .with_columns(
            score=pl.col("weight")
            * (
                t.title_weight * pl.col("in_title").cast(pl.Float64)
                + (pl.col("n_abs") > 0).cast(pl.Float64)
                + t.repeat_bonus * (pl.col("n_abs") > 1).cast(pl.Float64)
            )
        )
        .with_columns(
            narrow=pl.when((pl.col("scope") == "narrow") & pl.col("kind").is_in(NARROW_KINDS))
            .then(pl.col("score"))
            .otherwise(0.0),
            broad=pl.when(pl.col("kind").is_in(BROAD_KINDS)).then(pl.col("score")).otherwise(0.0),
        )
    )


def paper_evidence(per_phrase: pl.DataFrame) -> pl.DataFrame:
    """(_row, broad_evidence, narrow_evidence): each phrase counts once even when several topics list it."""
    return (
        per_phrase.group_by("_row", "phrase")
        .agg(pl.max("broad"), pl.max("narrow"))
        .group_by("_row")
        .agg(broad_evidence=pl.sum("broad"), narrow_evidence=pl.sum("narrow"))
    )


def paper_signals(
    base: pl.DataFrame, per_phrase: pl.DataFrame, taxonomy: Taxonomy, model: RelevanceModel | None
) -> pl.DataFrame:
    """Per paper with a phrase match: broad_evidence, narrow_evidence, model_probability and model_terms (null
    without a model or out of its scope), ai_context, and safety_authors (for the evidence text)."""
    t = taxonomy
    paper = paper_evidence(per_phrase)
    if model is not None:
        paper = paper.join(model_scores(base, per_phrase, paper, model), on="_row", how="left")
    else:
        paper = paper.with_columns(model_probability=pl.lit(None, pl.Float64), model_terms=pl.lit(None, pl.String))
    return (
        paper.join(base, on="_row")
        .with_columns(ai_context=_ai_context(t) | (pl.col("narrow_evidence") >= t.self_evident))
        .select(
            "_row",
            "broad_evidence",
            "narrow_evidence",
            "model_probability",
            "model_terms",
            "ai_context",
            "safety_authors",
        )
    )


def rank_topics(per_phrase: pl.DataFrame, taxonomy: Taxonomy) -> pl.DataFrame:
    """One row per (_row, topic) found: topic_rank, score, qualifies (score reaches the threshold) and fallback
    (general safety yielding to a specific topic); sorted by _row, then best topic first."""
    t = taxonomy
    return (
        per_phrase.group_by("_row", "topic")
        .agg(pl.first("topic_rank"), score=pl.sum("score"))
        .with_columns(qualifies=pl.col("score") >= t.threshold)
        .with_columns(
            # General safety yields to a specific topic unless it outscores it by fallback_margin.
            fallback=(pl.col("topic") == FALLBACK_TOPIC)
            & (
                pl.col("score")
                < t.fallback_margin
                * pl.col("score").filter(pl.col("topic") != FALLBACK_TOPIC).max().over("_row").fill_null(0.0)
            )
        )
        .sort(
            ["_row", "qualifies", "fallback", "score", "topic_rank"],
            descending=[False, True, False, True, False],
        )
    )


def topic_candidates(ranked: pl.DataFrame) -> pl.DataFrame:
    """(_row, qualified, best) from rank_topics: the qualifying topics best first, and the best topic."""
    return ranked.group_by("_row", maintain_order=True).agg(
        qualified=pl.col("topic").filter(pl.col("qualifies")), best=pl.first("topic")
    )


def decide(signals: pl.DataFrame, taxonomy: Taxonomy, model: RelevanceModel | None) -> pl.DataFrame:
    """The narrow / broad rule on paper_signals' columns. Adds by_rule (narrow evidence reaches narrow_threshold),
    by_model (probability reaches the model's threshold), vetoed (by_rule, but the probability is below the
    model's veto), is_safety_narrow, is_safety_broad and safety_score. Nothing is relevant outside AI context."""
    t = taxonomy
    by_rule = pl.col("narrow_evidence") >= t.narrow_threshold
    if model is not None:
        p = pl.col("model_probability")
        by_model = (p >= model.threshold).fill_null(False)
        vetoed = by_rule & (p < model.veto).fill_null(False)
    else:
        by_model = vetoed = pl.lit(False)
    return (
        signals.with_columns(by_rule=by_rule, by_model=by_model, vetoed=vetoed)
        .with_columns(
            is_safety_narrow=pl.col("ai_context") & ((pl.col("by_rule") & ~pl.col("vetoed")) | pl.col("by_model"))
        )
        .with_columns(
            is_safety_broad=pl.col("ai_context")
            & ((pl.col("broad_evidence") >= t.broad_threshold) | pl.col("is_safety_narrow")),
            safety_score=pl.when(pl.col("ai_context"))
            .then(1.0 - pl.lit(0.5).pow(pl.col("broad_evidence") / t.threshold))
            .otherwise(0.0),
        )
    )


def assign_topics(decided: pl.DataFrame) -> pl.DataFrame:
    """topics and primary_topic: none unless broad, else the qualifying topics, or the best one if none qualify."""
    topic_list = (
        pl.when(~pl.col("is_safety_broad"))
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .when(pl.col("qualified").list.len() > 0)
        .then(pl.col("qualified"))
        .otherwise(pl.concat_list(pl.col("best")))
    )
    return decided.with_columns(topics=topic_list).with_columns(primary_topic=pl.col("topics").list.first())


def topic_evidence(per_phrase: pl.DataFrame, ranked: pl.DataFrame) -> pl.DataFrame:
    """(_row, evidence): "topic: 'phrase' (title, abstract), ...; ..." with topics in rank_topics' order and each
    topic's phrases by score (ties by phrase, so the text is stable)."""
    phrases = (
        per_phrase.sort(["score", "phrase"], descending=[True, False])
        .group_by("_row", "topic")
        .agg(evidence=_evidence_text(pl.col("phrase"), pl.col("in_title"), pl.col("n_abs")).str.join(", "))
    )
    return (
        ranked.select("_row", "topic")
        .join(phrases, on=["_row", "topic"], how="left", maintain_order="left")
        .group_by("_row", maintain_order=True)
        .agg(evidence=(pl.col("topic") + pl.lit(": ") + pl.col("evidence")).str.join("; "))
    )


def safety_evidence(decided: pl.DataFrame) -> pl.DataFrame:
    """safety_evidence for broad papers (null otherwise): the topic evidence, led by what the second stage did when
    it made the paper narrow without the rule or overruled the rule; its terms name the researchers it counted."""
    terms = pl.col("model_terms").str.replace(
        AUTHOR_FEATURE,
        pl.format("{} ({})", pl.lit(AUTHOR_FEATURE), pl.col("safety_authors").list.join(", ")),
        literal=True,
    )
    probability = pl.col("model_probability").round(2)
    return decided.with_columns(
        safety_evidence=pl.when(pl.col("is_safety_broad")).then(
            pl.when(pl.col("by_model") & ~pl.col("by_rule"))
            .then(pl.format("second stage p={} ({}); ", probability, terms.fill_null("")))
            .when(pl.col("vetoed"))
            .then(pl.format("not narrow: second stage p={} overrules the phrases; ", probability))
            .otherwise(pl.lit(""))
            + pl.col("evidence")
        )
    )


def classify_relevance(
    papers: pl.DataFrame,
    taxonomy: Taxonomy,
    *,
    model: RelevanceModel | None = None,
    researchers: pl.DataFrame | None = None,
    details: bool = False,
) -> pl.DataFrame:
    """One row per input paper with the paper_relevance columns (and scoring details if asked).

    With a second-stage `model`, a paper is also narrow when the model's probability reaches its threshold, and
    a paper the phrases make narrow is not when the probability is below the model's veto. `researchers`
    (pipelines.inputs.safety_researchers) and an `authors` column of normalised names give the model its
    authorship signal; without them no author counts.
    """
    base = prepare(papers, counted_researchers(model, researchers))
    per_phrase = phrase_scores(base, taxonomy)
    ranked = rank_topics(per_phrase, taxonomy)
    signals = (
        paper_signals(base, per_phrase, taxonomy, model)
        .join(topic_candidates(ranked), on="_row")
        .join(topic_evidence(per_phrase, ranked), on="_row")
    )
    scored = safety_evidence(assign_topics(decide(signals, taxonomy, model)))
    out = base.select("_row", "arxiv_id").join(scored, on="_row", how="left").sort("_row")
    columns = [
        "arxiv_id",
        pl.col("is_safety_broad").fill_null(False),
        pl.col("is_safety_narrow").fill_null(False),
        pl.col("safety_score").fill_null(0.0),
        pl.col("topics").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        "primary_topic",
        "safety_evidence",
        pl.lit(classifier_version(taxonomy, model, researchers)).alias("classifier_version"),
    ]
    if details:
        columns += [
            pl.col("broad_evidence").fill_null(0.0),
            pl.col("narrow_evidence").fill_null(0.0),
            pl.col("ai_context").fill_null(False),
            "model_probability",
        ]
    return out.select(columns).cast({**RELEVANCE_SCHEMA, **(DETAIL_SCHEMA if details else {})})
