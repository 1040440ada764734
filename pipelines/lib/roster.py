"""Author-to-organisation roster from position records in the AI Watch CSV format.

One roster row is a person at a seed organisation over a window of dates. Rules:
- only organisations in the seed count (matched by name and aliases); other rows are dropped;
- advisory and governance roles are dropped (employment type board member / advisor / volunteer, or such a title):
  they say nothing about where the person's papers were written;
- the window is bounded by the dates at their stated precision: a start given to the month counts from the first of
  that month, to the year from 1 January, 'multi-year' from 1 January of the year before; an end given to the month
  runs to the month's last day, to the year to 31 December, 'multi-year' to 31 December of the year after;
- PUBLICATION_LAG_DAYS are added after the end, since papers appear months after the work;
- a missing end date means current (open-ended); a missing or unreadable start date drops the row (no bound);
- role_tier: 0 for secondary ties (employment type affiliate/associate, or titles such as research associate,
  affiliate, member, contributor, visiting), 2 for research roles (researcher, scientist, fellow, PhD student,
  professor, engineer, member of technical staff, intern), 1 for other staff (director, operations...). On the
  TAI dev split secondary ties named the right class for half the items only, so origin.py ignores tier 0; it
  skips an author whose tier 1-2 roles at the date span classes, else keeps only the highest tier that matched;
- junior: a student or intern role (employment type intern / student, or a title such as intern, PhD student,
  graduate student, summer fellow, trainee). origin.py is less sure of such a role at a non-academic organisation:
  the student is enrolled at a university too, which typically co-authors the paper;
- senior: a research role (tier 2) that leads others (professor, faculty, head / director / lead of research, VP of
  research, principal or chief scientist), not a junior one. origin.py takes the unplaced co-authors of such a
  person's paper to be mostly their own group or team;
- names are normalised like paper_authors.name_normalized (names.normalize_name_expr) after dropping parenthesised
  parts ("Amanda (Lipson) Kelley"); names with one token or a one-letter token ("Alex S.") are dropped as ambiguous.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.lib.names import normalize_name_expr
from pipelines.lib.organizations import match_organizations

PUBLICATION_LAG_DAYS = 183
OPEN_END = dt.date(2100, 1, 1)
EXCLUDED_EMPLOYMENT = ("board member", "advisor", "adviser", "volunteer")
EXCLUDED_TITLE = r"(?i)\b(board|advis[eo]ry?|trustee|donor|volunteer)\b"
# Secondary ties: real, but seldom where a paper was written. Always secondary whatever else the title says:
SECONDARY_TIE = (
    r"(?i)(research associate|affiliate|associate member|contributor|collaborator|visiting|visitor|external|"
    r"non-?resident|on leave|alumn|spoke|mentor|mentee|coach|facilitator|ambassador|participant)"
)
# Secondary unless the title also names a research role ("Member of Technical Staff" is research):
SECONDARY_EMPLOYMENT = ("affiliate", "associate")
SECONDARY_TITLE = r"(?i)(\bmember\b|scholar|fellowship program)"
RESEARCH_TITLE = (
    r"(?i)(research|scientist|\bfellow\b|ph\.?\s?d|student|postdoc|professor|faculty|lecturer|engineer|"
    r"technical staff|\bintern\b)"
)
# Student and intern roles (junior), and research roles that lead others (senior; research roles only, not junior):
JUNIOR_EMPLOYMENT = ("intern", "student", "graduate student", "phd student")
JUNIOR_TITLE = r"(?i)(\bintern\b|\binternship|student|\bph\.?\s?d\b|\bdoctoral\b|\bsummer\b|\btrainee\b)"
SENIOR_TITLE = (  # "Faculty" or "Faculty (Computer Science)", not "Faculty Affairs Coordinator"
    r"(?i)(professor|\bfaculty\b(?:\s*\(|\s*$)|\bvp\b|vice president|\bhead\b|director|\blead\b|principal|"
    r"chief scientist|group leader)"
)
ROSTER_SCHEMA = {
    "name_normalized": pl.String,
    "person": pl.String,
    "organization": pl.String,
    "org_type": pl.String,
    "origin": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
    "title": pl.String,
    "role_tier": pl.Int8,
    "junior": pl.Boolean,
    "senior": pl.Boolean,
}


def _bound(date: pl.Expr, precision: pl.Expr, *, end: bool) -> pl.Expr:
    parsed = date.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    precision = precision.str.strip_chars().str.to_lowercase()
    if end:
        return (
            pl.when(precision == "month")
            .then(parsed.dt.month_end())
            .when(precision == "year")
            .then(pl.date(parsed.dt.year(), 12, 31))
            .when(precision == "multi-year")
            .then(pl.date(parsed.dt.year() + 1, 12, 31))
            .otherwise(parsed)
        )
    return (
        pl.when(precision == "month")
        .then(parsed.dt.month_start())
        .when(precision == "year")
        .then(pl.date(parsed.dt.year(), 1, 1))
        .when(precision == "multi-year")
        .then(pl.date(parsed.dt.year() - 1, 1, 1))
        .otherwise(parsed)
    )


def build_roster(positions: pl.DataFrame, organizations: pl.DataFrame) -> pl.DataFrame:
    """Roster rows (name_normalized, person, organization, org_type, origin, valid_from, valid_to, title,
    role_tier: 2 research role, 1 other staff role, 0 secondary tie such as affiliate or research associate;
    junior: a student or intern role; senior: a research role leading others)."""
    if positions.height == 0:
        return pl.DataFrame(schema=ROSTER_SCHEMA)
    rows = positions.with_columns(
        pl.col("employment_type").fill_null("").str.strip_chars().str.to_lowercase().alias("_employment"),
        pl.col("title").fill_null(""),
    ).filter(
        ~pl.col("_employment").is_in(EXCLUDED_EMPLOYMENT),
        ~pl.col("title").str.contains(EXCLUDED_TITLE),
        pl.col("organization").is_not_null(),
        pl.col("person").is_not_null(),
    )
    orgs = match_organizations(rows["organization"], organizations).select(
        pl.col("name").alias("_org_name"), "organization", "org_type", "origin"
    )
    end_given = pl.col("end_date").fill_null("").str.strip_chars() != ""
    roster = (
        rows.rename({"organization": "_org_name"})
        .join(orgs, on="_org_name")
        .with_columns(
            name_normalized=normalize_name_expr(pl.col("person").str.replace_all(r"\([^)]*\)", " ")),
            valid_from=_bound(pl.col("start_date"), pl.col("start_date_precision").fill_null(""), end=False),
            _end=_bound(pl.col("end_date"), pl.col("end_date_precision").fill_null(""), end=True),
        )
        .filter(
            pl.col("valid_from").is_not_null(),
            # An end date that is given but unreadable is not taken as "current".
            ~end_given | pl.col("_end").is_not_null(),
        )
        .with_columns(
            valid_to=pl.when(end_given)
            .then(pl.col("_end") + pl.duration(days=PUBLICATION_LAG_DAYS))
            .otherwise(pl.lit(OPEN_END)),
            role_tier=pl.when(
                pl.col("_employment").is_in(SECONDARY_EMPLOYMENT)
                | pl.col("title").str.contains(SECONDARY_TIE)
                | (pl.col("title").str.contains(SECONDARY_TITLE) & ~pl.col("title").str.contains(RESEARCH_TITLE))
            )
            .then(pl.lit(0))
            .when(pl.col("title").str.contains(RESEARCH_TITLE))
            .then(pl.lit(2))
            .otherwise(pl.lit(1)),
            junior=pl.col("_employment").is_in(JUNIOR_EMPLOYMENT) | pl.col("title").str.contains(JUNIOR_TITLE),
        )
        .with_columns(
            senior=(pl.col("role_tier") == 2) & ~pl.col("junior") & pl.col("title").str.contains(SENIOR_TITLE)
        )
        .filter(pl.col("valid_to") >= pl.col("valid_from"))
    )
    tokens = pl.col("name_normalized").str.split(" ")
    roster = roster.filter(tokens.list.len() >= 2, tokens.list.eval(pl.element().str.len_chars()).list.min() >= 2)
    return (
        roster.select(pl.col("person").str.strip_chars(), *[c for c in ROSTER_SCHEMA if c != "person"])
        .select(*ROSTER_SCHEMA)
        .unique(maintain_order=True)
        .cast(ROSTER_SCHEMA)  # type: ignore[arg-type]
    )
