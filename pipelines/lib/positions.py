"""AI Watch position records -> people working on AI safety per year, by organisation type and role.

Rules (also in docs/metrics.md):
- Only rows with cause area "AI safety" count; rows whose `ai_safety_relation` is "unrelated" are left out, and so
  are board members, advisors, trustees and volunteers (by employment type or title): they are not working in the
  field.
- Dates are imprecise: "2024-9-01", "2017-01-01-" and precision day / month / year / multi-year all occur. The series
  is yearly, so only the year of each date is used, whatever its precision; a year-precision date counts the whole
  year. Rows without a start date cannot be placed in time and are dropped.
- An empty end date means "current or unknown". Such a position is treated as ongoing up to the data's as-of year
  (the latest year of any date in the file, never later than the current year), but for at most MAX_OPEN_YEARS
  after it started: AI Watch often never records that someone left, so an unbounded rule would keep every
  departed person forever.
- A position counts in every calendar year it overlaps, ends included. A person counts once per year: when they
  hold several positions that year, the one shown is the most technical (technical > non_technical > unknown),
  then one at a known organisation type, then the most recently started.
- Role is technical / non_technical / unknown from keywords, first match wins: the `subject` field; policy and
  governance words in the title, or an organisation whose name marks it as a policy, law or ethics body, mean
  non_technical (policy research is not technical AI safety research); research, science and engineering words
  mean technical; operations, management, communications and similar words mean non_technical.
- Organisation type comes from the organisations seed (pipelines.lib.organizations.match_organizations); unmatched
  organisations are "unknown".
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.lib.organizations import match_organizations

CAUSE_AREA = "AI safety"
MAX_OPEN_YEARS = 10
ROLES = ("technical", "non_technical", "unknown")

_NON_STAFF = r"\b(board|advis[oe]r|advisory|trustee|volunteer|donor|patron)\b"
_POLICY = (
    r"\b(polic(y|ies)|governance|law|legal|counsel|ethic(s|al)?|strateg(y|ic|ist)|forecast(er|ing)?|standards"
    r"|regulat\w*|public affairs|diplomac\w*)\b"
)
_POLICY_ORGS = (
    r"polic(y|ies)|governance|\blaw\b|legal|ethic|emerging technology|lovelace|future society|all tech is human"
    r"|responsible ai"
)
_TECHNICAL = (
    r"research|scien(ce|tist)|engineer|technical|machine learning|\bml\b|\bphd\b|dphil|postdoc|doctoral"
    r"|developer|software|programmer|interpretability|alignment|\bcto\b"
    r"|chief technology|computer science|graduate student|scholar|mathematic|data (scientist|analyst)"
)
_OTHER = (
    r"operations|\bops\b|manag(er|ement|ing)|director|\bceo\b|chief|\bcoo\b|president|founder|communication"
    r"|recruit|\bhr\b|people|talent|financ|account|admin|assistant|coordinator|event|fundrais|marketing|product"
    r"|partnership|writer|edit(or|orial)|design|community|outreach|office|teach|instructor|curriculum|program"
    r"|project|secretary|media|public relations|\bit\b|support|generalist|facilitator"
)
_SUBJECT_ROLE = {
    "technical research": "technical",
    "software engineering": "technical",
    "policy": "non_technical",
    "strategy": "non_technical",
    "popularization": "non_technical",
}


def date_year(col: str) -> pl.Expr:
    """The year of an imprecise date string ('2024-9-01', '2017-01-01-', '2019'); null when there is none."""
    return pl.col(col).str.extract(r"^\s*(\d{4})", 1).cast(pl.Int32, strict=False)


def _matches(text: pl.Expr, pattern: str) -> pl.Expr:
    return text.str.contains(pattern).fill_null(False)


def role_expr() -> pl.Expr:
    """technical / non_technical / unknown from subject, title and organisation (see module docstring)."""
    title = pl.col("title").fill_null("").str.to_lowercase()
    org = pl.col("organization").fill_null("").str.to_lowercase()
    subject = pl.col("subject").fill_null("").str.to_lowercase().str.strip_chars()
    subject_role = subject.replace_strict(_SUBJECT_ROLE, default=None, return_dtype=pl.String)
    return (
        pl.when(subject_role.is_not_null())
        .then(subject_role)
        .when(_matches(title, _POLICY))
        .then(pl.lit("non_technical"))
        .when(_matches(title, _TECHNICAL) & _matches(org, _POLICY_ORGS))
        .then(pl.lit("non_technical"))
        .when(_matches(title, _TECHNICAL))
        .then(pl.lit("technical"))
        .when(_matches(title, _OTHER))
        .then(pl.lit("non_technical"))
        .otherwise(pl.lit("unknown"))
    )


def is_non_staff_expr() -> pl.Expr:
    employment = pl.col("employment_type").fill_null("").str.to_lowercase()
    title = pl.col("title").fill_null("").str.to_lowercase()
    return _matches(employment, _NON_STAFF) | _matches(title, _NON_STAFF)


def as_of_year(positions: pl.DataFrame, today: dt.date | None = None) -> int:
    """The latest year of any start or end date in the file, capped at the current year."""
    current = (today or dt.date.today()).year
    latest = positions.select(pl.max_horizontal(date_year("start_date").max(), date_year("end_date").max())).item()
    return min(int(latest), current) if latest is not None else current


def organization_types(names: pl.Series, organizations: pl.DataFrame) -> pl.DataFrame:
    """organization -> org_type via the organisations seed; 'unknown' when unmatched."""
    unique = names.drop_nulls().unique()
    matched = match_organizations(unique, organizations).select(
        pl.col("name").alias("organization"), pl.col("org_type").cast(pl.String)
    )
    return (
        pl.DataFrame({"organization": unique})
        .join(matched.unique("organization", keep="first", maintain_order=True), on="organization", how="left")
        .with_columns(pl.col("org_type").fill_null("unknown"))
    )


def position_spans(
    positions: pl.DataFrame,
    org_types: pl.DataFrame,
    *,
    as_of: int | None = None,
    max_open_years: int = MAX_OPEN_YEARS,
) -> pl.DataFrame:
    """One row per counted position: person, organization, org_type, role, start_year, end_year, open_ended.
    org_types: organization_types of the positions' organisations."""
    as_of = as_of if as_of is not None else as_of_year(positions)
    relation = pl.col("ai_safety_relation").fill_null("").str.to_lowercase()
    rows = positions.filter(
        (pl.col("cause_area").str.strip_chars() == CAUSE_AREA) & (relation != "unrelated") & ~is_non_staff_expr()
    ).with_columns(
        date_year("start_date").alias("start_year"),
        date_year("end_date").alias("_end_year"),
        role_expr().alias("role"),
    )
    rows = rows.filter(pl.col("start_year").is_not_null() & pl.col("person").is_not_null())
    open_ended = pl.col("_end_year").is_null()
    open_end = pl.min_horizontal(pl.lit(as_of), pl.col("start_year") + max_open_years)
    return (
        rows.with_columns(
            open_ended.alias("open_ended"),
            # an end before the start (a typo) keeps the start year only
            pl.when(open_ended)
            .then(open_end)
            .otherwise(pl.max_horizontal("_end_year", "start_year"))
            .cast(pl.Int32)
            .alias("end_year"),
        )
        .filter(pl.col("start_year") <= pl.col("end_year"))
        .join(org_types, on="organization", how="left")
        .with_columns(pl.col("org_type").fill_null("unknown"))
        .select("person", "organization", "org_type", "role", "start_year", "end_year", "open_ended")
    )


def person_years(spans: pl.DataFrame) -> pl.DataFrame:
    """One row per (person, year) with the organisation type and role shown for that year."""
    role_rank = pl.col("role").replace_strict({"technical": 0, "non_technical": 1}, default=2, return_dtype=pl.Int8)
    return (
        spans.with_columns(pl.int_ranges("start_year", pl.col("end_year") + 1, dtype=pl.Int32).alias("year"))
        .explode("year")
        .sort(
            ["person", "year", role_rank, pl.col("org_type") == "unknown", "start_year"],
            descending=[False, False, False, False, True],
        )
        .unique(["person", "year"], keep="first", maintain_order=True)
        .select("person", "year", "organization", "org_type", "role")
    )


def people_per_year(spans: pl.DataFrame) -> pl.DataFrame:
    """workforce_positions_yearly: year, org_type, role, n_people (each person once per year)."""
    return (
        person_years(spans)
        .group_by("year", "org_type", "role")
        .agg(pl.len().cast(pl.Int64).alias("n_people"))
        .sort("year", "org_type", "role")
    )


def organizations_per_year(spans: pl.DataFrame) -> pl.DataFrame:
    """year, n_organizations: organisations with at least one counted position that year."""
    return (
        spans.with_columns(pl.int_ranges("start_year", pl.col("end_year") + 1, dtype=pl.Int32).alias("year"))
        .explode("year")
        .group_by("year")
        .agg(pl.col("organization").n_unique().cast(pl.Int64).alias("n_organizations"))
        .sort("year")
    )
