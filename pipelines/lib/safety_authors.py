"""Authors who work in AI safety, from position records in the AI Watch CSV format: a signal for the second stage.

Why: the people who label safety work (the TAI bibliography's curators, a reader of a paper) weigh who wrote it as
well as what it says; a decision-theory paper by a MIRI researcher is part of a safety agenda even when its
abstract never names one. On the dev split, 40 of the 54 TechSafety works the text-only classifier missed have an
author with an AI-safety position in AI Watch.

A researcher is a person with a counted AI-safety position (positions.py: cause area "AI safety", not marked
unrelated, not a board / advisory / volunteer role), matched by normalised name (names.py) regardless of dates: a
name with fewer than two words of two letters, or with an initial as its first or last word, is dropped as
ambiguous. Same-name strangers would match too, so names that many different people carry
(common_names, fixed when the model is trained and stored in it) are left out; the second stage learns how much a
match is worth; it never makes a paper narrow by itself and is named in the paper's evidence.
Pure functions: Polars in, Polars out.
"""

from __future__ import annotations

import hashlib

import polars as pl

from pipelines.lib.names import normalize_name_expr
from pipelines.lib.origin import expected_namesakes
from pipelines.lib.positions import CAUSE_AREA, is_non_staff_expr

RESEARCHERS_SCHEMA = {"name_normalized": pl.String, "person": pl.String}
MAX_NAMESAKES = 0.1  # above this many expected namesakes a name is too common to count (dev split, see common_names)


def safety_researchers(positions: pl.DataFrame) -> pl.DataFrame:
    """(name_normalized, person): one row per distinct unambiguous name with a counted AI-safety position."""
    relation = pl.col("ai_safety_relation").fill_null("").str.to_lowercase()
    rows = positions.filter(
        pl.col("cause_area").fill_null("").str.strip_chars() == CAUSE_AREA,
        relation != "unrelated",
        ~is_non_staff_expr(),
        pl.col("person").is_not_null(),
    ).select(
        name_normalized=normalize_name_expr(pl.col("person").str.replace_all(r"\([^)]*\)", " ")),
        person=pl.col("person").str.strip_chars(),
    )
    tokens = pl.col("name_normalized").str.split(" ")
    lengths = tokens.list.eval(pl.element().str.len_chars())
    # ambiguous: fewer than two words of two letters, or an initial first or last ("Alex S."); a one-letter word
    # inside a name stays ("Noah D. Goodman", "Cullen O'Keefe" -> "cullen o keefe")
    unambiguous = (
        (lengths.list.eval(pl.element() >= 2).list.sum() >= 2)
        & (lengths.list.first() >= 2)
        & (lengths.list.last() >= 2)
    )
    return (
        rows.filter(unambiguous)
        .unique("name_normalized", keep="first", maintain_order=True)
        .sort("name_normalized")
        .cast(RESEARCHERS_SCHEMA)  # type: ignore[arg-type]
    )


def common_names(researchers: pl.DataFrame, authors: pl.DataFrame) -> list[str]:
    """The researcher names that many different people would carry among `authors` (column name_normalized, one
    row per authorship): more than MAX_NAMESAKES expected namesakes (origin.expected_namesakes, from how common
    the first and last name are). On the dev split a matched rare name marks a safety paper
    4-5x more often than the base rate, a common one no more often, so only rare names carry the signal."""
    stats = expected_namesakes(authors, researchers["name_normalized"])  # rows for researcher names only
    return sorted(stats.filter(pl.col("expected_namesakes") > MAX_NAMESAKES)["name_normalized"].to_list())


def without_common_names(researchers: pl.DataFrame, common: tuple[str, ...] | list[str]) -> pl.DataFrame:
    return researchers.filter(~pl.col("name_normalized").is_in(list(common)))


def researchers_sha256(researchers: pl.DataFrame) -> str:
    """Fingerprint of the researcher list: part of the classifier version, so a new roster reclassifies."""
    names = "\n".join(sorted(researchers["name_normalized"].to_list()))
    return hashlib.sha256(names.encode()).hexdigest()


def safety_authors(base: pl.DataFrame, researchers: pl.DataFrame | None) -> pl.Series:
    """Per row of `base` (columns _row and `authors`, a list of normalised names), the researchers among its
    authors as written in the roster, in author order (empty when none or no roster)."""
    if researchers is None or researchers.height == 0 or "authors" not in base.columns or base.height == 0:
        # Built in Polars: a Python list of n empty lists costs ~35 µs a row to convert.
        no_one = pl.repeat(pl.lit([], dtype=pl.List(pl.String)), base.height)
        return pl.select(no_one.alias("safety_authors")).to_series()
    matched = (
        base.select("_row", name_normalized=pl.col("authors"))
        .explode("name_normalized")
        .join(researchers, on="name_normalized", how="inner", maintain_order="left")
        .group_by("_row", maintain_order=True)
        .agg(pl.col("person").unique(maintain_order=True))
    )
    return (
        base.select("_row")
        .join(matched, on="_row", how="left", maintain_order="left")
        .select(pl.col("person").fill_null(pl.lit([], dtype=pl.List(pl.String))).alias("safety_authors"))
        .to_series()
    )
