"""Evaluation of origin against the TAI Safety Bibliography's organisation tags.

Gold: each item's `org_tags` mapped to our origin classes (TAG_ORIGIN; FHI, GPI, CHAI, CSER, CFI, CSET are academic
centres; DeepMind, OpenAI, Anthropic frontier labs; MIRI, CLR, AI Impacts, GCRI, BERI, Ought, FLI... nonprofits). One
class -> that class; several -> 'mixed'. Items with no tag, or only tags that name no organisation we can class
('Other-org', 'Non-notable', 'AmbiguousSafety'), have no gold origin and are left out of precision and coverage.

Prediction: the items run through classify_origin exactly as papers do: title, abstract, authors ("Last, First;
..." -> "First Last", normalised), date as published_date, no comments or affiliations, no OpenAlex (offline), the
AI Watch roster, and optionally per-name paper counts from the arXiv corpus for the ambiguity rule.

Metrics per split: coverage = share of gold items with a known (not 'unknown') origin, withheld answers
(origin.MIN_CONFIDENCE) counting as unknown; n_withheld = gold items whose evidence was withheld. The split is B1's
evaluation.split_of over the normalised title (the same `item_key` every label set uses): MD5 of "eval-v1:<key>",
test if the first 8 hex digits mod 10,000 < 5,000. Tune on dev, report test.

What counts as correct. The headline is strict precision: the predicted class equals the gold class exactly
('mixed' only matches 'mixed'). It is the one we can defend without knowing more than the labels say. The tags
name "the organisation behind the item" among the ~20 the bibliography tracked, not every author's employer, so the
gold is incomplete in one direction: an untracked co-author's university makes a true 'mixed' look wrong, and a
gold 'mixed' may come from a funder or programme tag (BERI, Ought, FLI) rather than an author. precision_consistent
therefore also accepts a 'mixed' answer whose organisations include the gold class, and a single class that is
among a mixed gold's classes. It is an upper bound, not the headline: it cannot check the extra class of our
'mixed' (on dev, half of the roster 'mixed' answers it accepted were wrong on reading the papers), and it credits
half an answer for a gold 'mixed'.
"""

from __future__ import annotations

from functools import partial

import polars as pl

from pipelines.lib.evaluation import confusion_table, split_of, wilson_interval
from pipelines.lib.labels import parse_tai, tai_author_name
from pipelines.lib.markdown import cell_text, md_table
from pipelines.lib.names import normalize_name_expr
from pipelines.lib.origin import MIN_CONFIDENCE, classify_origin, name_statistics

TAG_ORIGIN = {
    "FHI": "academic",
    "GPI": "academic",
    "CHAI": "academic",
    "CHAI-Berkeley": "academic",
    "CSER": "academic",
    "CFI": "academic",
    "CSET": "academic",
    "DeepMind": "frontier_lab",
    "Open-AI": "frontier_lab",
    "Anthropic": "frontier_lab",
    "MIRI": "nonprofit",
    "CLR": "nonprofit",
    "AI-Impacts": "nonprofit",
    "AI-Impacts-NotFeatured": "nonprofit",
    "GCRI": "nonprofit",
    "BERI": "nonprofit",
    "Median-group": "nonprofit",
    "Ought": "nonprofit",
    "FLI": "nonprofit",
    "AI-Safety-Camp": "nonprofit",
    "AISRP2019": "nonprofit",
}
UNCLASSED_TAGS = ("Other-org", "Non-notable", "AmbiguousSafety")
NA_CELL = partial(cell_text, missing="n/a")


def hash_split(key: str) -> str:
    """'dev' or 'test' for one item key (the normalised title): evaluation.split_of's rule, one key at a time."""
    return split_of(pl.Series([key]))[0]


def tai_items(raw: pl.DataFrame) -> pl.DataFrame:
    """TAI items (the bibliography file as strings) as papers and authors for classify_origin, with gold origin and
    split."""
    items = (
        parse_tai(raw)
        .drop("authors")
        .join(raw.select("key", "date", "authors"), on="key", how="left")  # the raw "Last, First; ..." string
        .unique("key", keep="first", maintain_order=True)
        .with_columns(
            published_date=pl.coalesce(
                pl.col("date").str.to_date("%Y-%m-%d", strict=False),
                pl.date(pl.col("year"), 7, 1),
            ),
            gold_classes=pl.col("org_tags")
            .list.eval(pl.element().replace_strict(TAG_ORIGIN, default=None, return_dtype=pl.String))
            .list.drop_nulls()
            .list.unique(),
        )
        .with_columns(
            gold=pl.when(pl.col("gold_classes").list.len() == 1)
            .then(pl.col("gold_classes").list.first())
            .when(pl.col("gold_classes").list.len() > 1)
            .then(pl.lit("mixed")),
        )
    )
    return items.with_columns(split=split_of(items["item_key"].fill_null("")))


def tai_authors(items: pl.DataFrame) -> pl.DataFrame:
    """ "Last, First; Last, First" -> one row per author with name_normalized ("first last")."""
    parts = (
        items.select("key", pl.col("authors").str.split(";").alias("author"))
        .explode("author")
        .drop_nulls("author")
        .with_columns(pl.col("author").str.strip_chars())
        .filter(pl.col("author") != "")
        .with_columns(name=tai_author_name(pl.col("author")))
    )
    return parts.select(
        pl.col("key").alias("arxiv_id"),
        "name",
        normalize_name_expr(pl.col("name")).alias("name_normalized"),
        pl.lit(None, dtype=pl.String).alias("affiliation"),
    )


def corpus_name_counts(corpus: pl.DataFrame) -> pl.DataFrame:
    """origin.name_statistics over the arXiv snapshot's records (id, authors "A, B and C", update_date: the year
    comes from the listing date), one per id."""
    papers = corpus.select(
        pl.col("id").alias("arxiv_id"),
        pl.col("update_date").str.to_date("%Y-%m-%d", strict=False).alias("published_date"),
    )
    authors = (
        corpus.select(
            pl.col("id").alias("arxiv_id"),
            pl.col("authors").str.replace_all(r"\s+and\s+", ", ").str.split(", ").alias("name"),
        )
        .explode("name")
        .select("arxiv_id", normalize_name_expr(pl.col("name")).alias("name_normalized"))
    )
    return name_statistics(authors, papers)


def _metrics(frame: pl.DataFrame) -> dict[str, float | int | None]:
    gold = frame.filter(pl.col("gold").is_not_null())
    known = gold.filter(pl.col("origin") != "unknown")
    correct = known.filter(pl.col("origin") == pl.col("gold")).height
    consistent = known.filter(pl.col("consistent")).height
    return {
        "n_items": frame.height,
        "n_gold": gold.height,
        "n_known": known.height,
        "n_withheld": gold.filter(pl.col("origin_evidence").str.starts_with("withheld")).height,
        "n_correct": correct,
        "coverage": known.height / gold.height if gold.height else None,
        "precision": correct / known.height if known.height else None,
        "n_consistent": consistent,
        "precision_consistent": consistent / known.height if known.height else None,
    }


def _consistent(classes: pl.Expr) -> pl.Expr:
    """Predicted classes and gold tags overlap, and each side's single class is in the other's set: 'mixed' with
    the gold class among its organisations, or one class that is among a mixed gold's classes."""
    overlap = classes.list.set_intersection(pl.col("gold_classes")).list.len() > 0
    return (pl.col("origin") == pl.col("gold")) | (
        overlap & ((pl.col("origin") == "mixed") | (pl.col("gold") == "mixed"))
    )


def evaluate_origin(
    tai: pl.DataFrame,
    organizations: pl.DataFrame,
    roster: pl.DataFrame,
    *,
    name_counts: pl.DataFrame | None = None,
    places: pl.DataFrame | None = None,
) -> tuple[str, dict]:
    """Score origin on the TAI bibliography (`tai`: its file as strings): (markdown section, metrics dict with 'dev'
    and 'test'). `name_counts`: corpus_name_counts, for the ambiguity rule; `places`: people.people_places."""
    items = tai_items(tai)
    papers = items.select(
        pl.col("key").alias("arxiv_id"),
        "title",
        "abstract",
        pl.lit(None, dtype=pl.String).alias("comments"),
        "published_date",
    )
    predicted = classify_origin(
        papers, tai_authors(items), organizations, roster, name_counts=name_counts, places=places
    )
    org_class = dict(zip(organizations["name"].to_list(), organizations["origin"].to_list(), strict=True))
    scored = items.select("key", "item_key", "split", "gold", "gold_classes", "title", "published_date").join(
        predicted, left_on="key", right_on="arxiv_id", how="left", maintain_order="left"
    )
    # Classes of the predicted organisations (current seed class; former types are not needed for this check).
    classes = (
        pl.col("organizations")
        .list.eval(pl.element().replace_strict(org_class, default=None, return_dtype=pl.String))
        .list.drop_nulls()
    )
    scored = scored.with_columns(consistent=_consistent(classes))
    metrics: dict = {s: _metrics(scored.filter(pl.col("split") == s)) for s in ("dev", "test")}
    by_kind = (
        scored.filter(pl.col("gold").is_not_null(), pl.col("origin") != "unknown")
        .group_by("split", "origin_evidence_kind")
        .agg(pl.len().alias("n"), (pl.col("origin") == pl.col("gold")).sum().alias("correct"))
        .sort("split", "origin_evidence_kind")
    )
    intervals = [wilson_interval(c, n) for c, n in by_kind.select("correct", "n").iter_rows()]
    by_kind = by_kind.with_columns(
        precision=pl.col("correct") / pl.col("n"),
        precision_low=pl.Series([i[0] if i else None for i in intervals]),
        precision_high=pl.Series([i[1] if i else None for i in intervals]),
    ).drop("correct")
    metrics["by_kind"] = by_kind.rows(named=True)
    test = scored.filter(pl.col("split") == "test", pl.col("gold").is_not_null())
    dev_errors = scored.filter(
        pl.col("split") == "dev",
        pl.col("gold").is_not_null(),
        pl.col("origin") != "unknown",
        pl.col("origin") != pl.col("gold"),
    ).select(pl.col("title").str.slice(0, 60), "gold", "origin", pl.col("origin_evidence").str.slice(0, 140))
    summary = pl.DataFrame(
        [
            {
                "split": s,
                **{
                    k: metrics[s][k]
                    for k in ("n_gold", "n_known", "n_withheld", "coverage", "precision", "precision_consistent")
                },
            }
            for s in ("dev", "test")
        ]
    )
    markdown = "\n\n".join(
        [
            "Against the TAI Safety Bibliography's organisation tags. Gold: the items' organisation tags mapped "
            "to origin classes (see pipelines/lib/origin_eval.py); "
            "items without a classable tag are left out. Coverage: share of gold items given a known origin; "
            f"answers below origin_confidence {MIN_CONFIDENCE} are withheld as unknown (n_withheld: mixed answers "
            "from name matches, and roster answers in doubt, such as those placing a minority of the authors; see "
            "pipelines/lib/origin.py). **Precision (the headline) is strict**: the predicted class equals the gold "
            "class, 'mixed' only matching 'mixed'. precision_consistent, an upper bound, also accepts 'mixed' when the "
            "gold class is among our organisations' classes, and one class that is among a mixed gold's classes: "
            "the tags name only the organisation behind the item among those the bibliography tracked, so an "
            "untagged co-author's university makes a true 'mixed' look wrong; but it cannot check our extra class.",
            md_table(summary, NA_CELL),
            "Test split, gold (rows) by predicted origin (columns):",
            md_table(confusion_table(test["gold"], test["origin"]), NA_CELL),
            "Known-origin items by evidence kind:",
            md_table(by_kind.with_columns(pl.col("origin_evidence_kind").fill_null("-")), NA_CELL),
            f"Dev-split errors ({dev_errors.height}; tune on these, never on test):",
            md_table(dev_errors.head(25), NA_CELL) if dev_errors.height else "none",
        ]
    )
    people_md, people_metrics = evaluate_people_against_aiwatch(places, roster, organizations, name_counts)
    metrics["people_vs_aiwatch"] = people_metrics
    return markdown + "\n\n" + people_md, metrics


def evaluate_people_against_aiwatch(
    places: pl.DataFrame | None,
    roster: pl.DataFrame,
    organizations: pl.DataFrame,
    name_counts: pl.DataFrame | None,
) -> tuple[str, list[dict]]:
    """The author-level check of the conference records against AI Watch (people_eval.py), as markdown."""
    from pipelines.lib import people_eval

    if places is None or places.height == 0:
        return "No conference affiliation records: the people evidence was not evaluated.", []
    scored = people_eval.score(roster, places, organizations, name_counts, hash_split)
    table = people_eval.summary(scored)
    test = scored.filter(pl.col("split") == "test", pl.col("predicted").is_not_null())
    return (
        "\n\n".join(
            [
                "### People evidence against AI Watch, held out by person",
                (people_eval.__doc__ or "").strip(),
                md_table(table, NA_CELL),
                "Test split, AI Watch class (rows) by the records' class (columns):",
                md_table(confusion_table(test["truth"], test["predicted"]), NA_CELL) if test.height else "none",
            ]
        ),
        table.rows(named=True),
    )
