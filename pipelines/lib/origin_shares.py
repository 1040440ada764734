"""Labs vs academia, three ways, with coverage and 95% intervals (the mart `origin_shares_yearly`).

A paper's origin can be read three ways, each answering a slightly different question:
- involvement: the share of papers with at least one author of the class (has_<class>_author), among papers with
  at least one author placed; shares add up to more than 1 (a lab-university paper counts for both). The extra
  class 'company' counts papers with a frontier-lab or other industry author, once;
- lead_author: the class of the first author, among papers whose first author was placed (a first author with
  places of several classes is 'mixed');
- single_class: the paper's `origin`: the one class the strongest evidence kind found for it (or 'mixed' when that
  kind found several), among papers with a known origin.

Each share comes with the number of papers it rests on (n_known), the papers in the population (n_papers),
coverage = n_known / n_papers, and a 95% Wilson interval for the share. Populations: narrow and broad safety
papers, and all AI papers (in the AI categories), over the covered months, per year and for the whole period.
Computed from `involvement_cells` (a few thousand rows, aggregated in DuckDB).
"""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines import contract
from pipelines.lib.evaluation import wilson_interval
from pipelines.lib.origin import CLASSES

WAYS = ("involvement", "lead_author", "single_class")
POPULATIONS = {"narrow": "is_safety_narrow", "broad": "is_safety_broad", "all_ai": "in_ai"}
ALL_PERIOD = "all"
COMPANY = "company"  # involvement only: a frontier-lab or other industry author (each paper counted once)

# Whether any author of a paper (paper_classification c) was placed, or an organisation it names counted.
ANY_PLACED_SQL = (
    "(coalesce(c.n_authors_placed, 0) > 0 OR coalesce(c.has_frontier_lab_author OR c.has_industry_author "
    "OR c.has_academic_author OR c.has_nonprofit_author OR c.has_government_author, false))"
)

INVOLVEMENT_CELLS_SQL = f"""
SELECT date_trunc('month', p.published_date)::DATE AS month,
       coalesce(list_has_any(p.categories, $ai_categories::VARCHAR[]), false) AS in_ai,
       coalesce(c.is_safety_broad, false) AS is_safety_broad,
       coalesce(c.is_safety_narrow, false) AS is_safety_narrow,
       coalesce(c.origin, 'unknown') AS origin,
       coalesce(c.first_author_class, 'unknown') AS first_author_class,
       {ANY_PLACED_SQL} AS any_placed,
       coalesce(c.has_frontier_lab_author, false) AS has_frontier_lab_author,
       coalesce(c.has_industry_author, false) AS has_industry_author,
       coalesce(c.has_academic_author, false) AS has_academic_author,
       coalesce(c.has_nonprofit_author, false) AS has_nonprofit_author,
       coalesce(c.has_government_author, false) AS has_government_author,
       count(*)::BIGINT AS n_papers
FROM papers p
LEFT JOIN paper_classification c USING (arxiv_id)
WHERE p.published_date IS NOT NULL
GROUP BY ALL
"""

SCHEMA = contract.table("origin_shares_yearly").polars_schema()  # the table this module computes


def involvement_cells(con: duckdb.DuckDBPyConnection, ai_categories: list[str]) -> pl.DataFrame:
    """Papers counted per month, population flags, origin, first-author class and involvement flags."""
    return con.sql(INVOLVEMENT_CELLS_SQL, params={"ai_categories": list(ai_categories)}).pl()


def _ways() -> dict[str, tuple[pl.Expr, dict[str, pl.Expr]]]:
    """way -> (which papers are known, class -> which known papers count for it)."""
    known_classes = (*CLASSES, "mixed")
    return {
        "involvement": (
            pl.col("any_placed"),
            {
                **{c: pl.col(f"has_{c}_author") for c in CLASSES},
                COMPANY: pl.col("has_frontier_lab_author") | pl.col("has_industry_author"),
            },
        ),
        "lead_author": (
            pl.col("first_author_class") != "unknown",
            {c: pl.col("first_author_class") == c for c in known_classes},
        ),
        "single_class": (pl.col("origin") != "unknown", {c: pl.col("origin") == c for c in known_classes}),
    }


def origin_shares_yearly(cells: pl.DataFrame) -> pl.DataFrame:
    """The mart: one row per period (a year, or 'all'), population, way and class (see the module docstring)."""
    if cells.is_empty():
        return pl.DataFrame(schema=SCHEMA)
    framed = cells.with_columns(period=pl.col("month").dt.year().cast(pl.String))
    framed = pl.concat([framed, framed.with_columns(period=pl.lit(ALL_PERIOD))])
    rows = []
    for population, flag in POPULATIONS.items():
        members = framed.filter(pl.col(flag))
        for way, (known, classes) in _ways().items():
            aggs = [
                pl.col("n_papers").sum().alias("n_papers"),
                pl.col("n_papers").filter(known).sum().alias("n_known"),
                *[pl.col("n_papers").filter(known & hit).sum().alias(c) for c, hit in classes.items()],
            ]
            per_period = members.group_by("period").agg(aggs)
            for r in per_period.iter_rows(named=True):
                for cls in classes:
                    interval = wilson_interval(int(r[cls]), int(r["n_known"]))
                    rows.append(
                        {
                            "period": r["period"],
                            "population": population,
                            "way": way,
                            "class": cls,
                            "n_class": int(r[cls]),
                            "n_known": int(r["n_known"]),
                            "n_papers": int(r["n_papers"]),
                            "coverage": r["n_known"] / r["n_papers"] if r["n_papers"] else None,
                            "share": r[cls] / r["n_known"] if r["n_known"] else None,
                            "share_low": interval[0] if interval else None,
                            "share_high": interval[1] if interval else None,
                        }
                    )
    return pl.DataFrame(rows, schema=SCHEMA).sort("period", "population", "way", "class")
