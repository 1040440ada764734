"""How often the author records place an author where AI Watch says they were (held out by person).

The records: conference papers' author affiliations and the authors of Epoch's notable model reports (people.py).
Gold: AI Watch positions (roster.py rules: seed organisations, research and staff roles, dated windows) of people
whose name also appears in the records. For every such person and every year 2016-2026 in which their
AI Watch positions name exactly one class on 1 July, a one-author "paper" dated that day is placed the way the
pipeline places a paper's author (people.author_places_at, with the corpus name statistics for ambiguity).
Precision: the share of placed person-years whose class equals AI Watch's; coverage: the share placed at all.
Persons are split dev/test by MD5 of the normalised name (origin_eval.hash_split): nothing was tuned on test.
AI Watch is a list of AI-safety people, so this measures the records on the people the dashboard cares most about.
What a wrong answer looks like: a place seen years before or after the paper (people move: precision falls with the
gap, see the rows by years apart); a person with two roles at once, such as a professor or PhD student who also
works at a lab or a non-profit (the records show the university, AI Watch the lab: most of the confusion table's
academic answers); a Google Brain researcher whose records say only "Google" (industry, where the seed counts Brain
as a frontier lab); and namesakes that the ambiguity rules did not catch (names carried by several OpenReview
profiles, or common in the corpus, are skipped).
"""

from __future__ import annotations

import polars as pl

from pipelines.lib.evaluation import wilson_interval
from pipelines.lib.origin import _class_at, ambiguous_names
from pipelines.lib.people import author_places_at

YEARS = range(2016, 2027)


def person_years(roster: pl.DataFrame, places: pl.DataFrame, organizations: pl.DataFrame) -> pl.DataFrame:
    """arxiv_id (person@year), name_normalized, published_date, truth: AI Watch's single class on 1 July (the class
    the organisations seed gave the employer then)."""
    names = (
        roster.select("name_normalized")
        .unique()
        .join(places.filter(pl.col("org_class").is_not_null()).select("name_normalized").unique(), on="name_normalized")
    )
    grid = names.join(pl.DataFrame({"year": list(YEARS)}), how="cross").with_columns(
        published_date=pl.date(pl.col("year"), 7, 1),
        arxiv_id=pl.format("{}@{}", pl.col("name_normalized"), pl.col("year")),
    )
    active = grid.join(roster.filter(pl.col("role_tier") > 0), on="name_normalized").filter(
        pl.col("published_date").is_between(pl.col("valid_from"), pl.col("valid_to"))
    )
    truth = (
        _class_at(active, "published_date", organizations)
        .group_by("arxiv_id")
        .agg(pl.col("origin").unique().alias("classes"))
        .filter(pl.col("classes").list.len() == 1)
        .select("arxiv_id", pl.col("classes").list.first().alias("truth"))
    )
    return grid.join(truth, on="arxiv_id").select("arxiv_id", "name_normalized", "published_date", "truth")


def score(
    roster: pl.DataFrame,
    places: pl.DataFrame,
    organizations: pl.DataFrame,
    name_counts: pl.DataFrame | None,
    split_of_name,
) -> pl.DataFrame:
    """One row per gold person-year: split, truth, predicted (null when not placed), gap."""
    gold = person_years(roster, places, organizations)
    papers = gold.select("arxiv_id", "published_date")
    authors = gold.select("arxiv_id", "name_normalized")
    ambiguous = ambiguous_names(gold["name_normalized"], papers, authors, name_counts)
    placed = author_places_at(papers, authors, places, ambiguous).select(
        "arxiv_id", pl.col("origin").alias("predicted"), "gap"
    )
    return gold.join(placed, on="arxiv_id", how="left").with_columns(
        split=pl.col("name_normalized").map_elements(split_of_name, return_dtype=pl.String)
    )


def summary(scored: pl.DataFrame) -> pl.DataFrame:
    """Per split: person-years, placed, coverage, precision with its 95% interval; and per |gap| on test."""
    rows = []

    def add(label: str, split: str, frame: pl.DataFrame) -> None:
        placed = frame.filter(pl.col("predicted").is_not_null())
        correct = placed.filter(pl.col("predicted") == pl.col("truth")).height
        interval = wilson_interval(correct, placed.height)
        rows.append(
            {
                "split": split,
                "subset": label,
                "person_years": frame.height,
                "placed": placed.height,
                "coverage": placed.height / frame.height if frame.height and label == "all" else None,
                "precision": correct / placed.height if placed.height else None,
                "precision_low": interval[0] if interval else None,
                "precision_high": interval[1] if interval else None,
            }
        )

    for split in ("dev", "test"):
        part = scored.filter(pl.col("split") == split)
        add("all", split, part)
        for gap in range(4):
            add(f"{gap} years apart", split, part.filter(pl.col("gap").abs() == gap))
    return pl.DataFrame(rows)
