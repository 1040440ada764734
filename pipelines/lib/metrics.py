"""The neglectedness marts, as pure functions of small aggregated inputs (definitions in docs/metrics.md).

Most marts are computed from `paper_cells`: papers counted by (month, in_ai, is_safety_broad, is_safety_narrow,
primary_topic, origin), a few thousand rows however large the corpus, aggregated in DuckDB by `paper_cells()`.
Author counts need every (paper, author) pair, so `workforce_authors_yearly()` runs as one DuckDB query.

Coverage: the corpus may be a sample with uneven months (a few old papers reappear in recent listings and land in
old months), so a month counts as covered when its ALL_AI denominator is at least MIN_MONTH_SHARE of the largest
denominator within COVERAGE_WINDOW_MONTHS either side, and at least MIN_GLOBAL_SHARE of the largest month overall.
A full corpus grows smoothly, so all its months pass (bar a current, partly counted month); a sample's stray months
fall far below their neighbours or the corpus' peak. The marts only use covered months. With no denominator at all,
every month with papers is covered.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from pipelines import contract

DEFINITIONS = ("broad", "narrow")
FLAG = {"broad": "is_safety_broad", "narrow": "is_safety_narrow"}
DENOMINATOR_PREFERENCE = {"arxiv_api": 0, "arxiv_snapshot": 1}
MIN_MONTH_SHARE = 0.25
COVERAGE_WINDOW_MONTHS = 12
MIN_GLOBAL_SHARE = 0.005
UNASSIGNED_TOPIC = "unassigned"
LAB_ORIGIN = "frontier_lab"
COMPANY_ORIGINS = ("frontier_lab", "industry")

# topic_growth thresholds
BOOMING_RATIO = 1.5
GROWING_RATIO = 1.1
SHRINKING_RATIO = 0.9
NEGLECTED_SHARE = 0.02
MIN_PAPERS_BOOMING = 20
MIN_COVERED_MONTHS = 3

CELLS_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "in_ai": pl.Boolean(),
    "is_safety_broad": pl.Boolean(),
    "is_safety_narrow": pl.Boolean(),
    "primary_topic": pl.String(),
    "origin": pl.String(),
    "n_papers": pl.Int64(),
}

PAPER_CELLS_SQL = """
SELECT date_trunc('month', p.published_date)::DATE AS month,
       coalesce(list_has_any(p.categories, $ai_categories::VARCHAR[]), false) AS in_ai,
       coalesce(c.is_safety_broad, false) AS is_safety_broad,
       coalesce(c.is_safety_narrow, false) AS is_safety_narrow,
       c.primary_topic AS primary_topic,
       coalesce(c.origin, 'unknown') AS origin,
       count(*)::BIGINT AS n_papers
FROM papers p
LEFT JOIN paper_classification c USING (arxiv_id)
WHERE p.published_date IS NOT NULL
GROUP BY ALL
"""


def paper_cells(con: duckdb.DuckDBPyConnection, ai_categories: list[str]) -> pl.DataFrame:
    """Papers counted per (month, in_ai, broad, narrow, primary_topic, origin) from `papers` and
    `paper_classification` (tables or registered frames on `con`). Unclassified papers count as not safety."""
    frame = con.sql(PAPER_CELLS_SQL, params={"ai_categories": list(ai_categories)}).pl()
    return frame.cast(CELLS_SCHEMA) if frame.height else pl.DataFrame(schema=CELLS_SCHEMA)


ORGANIZATION_CELLS_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.Date(),
    "is_safety_broad": pl.Boolean(),
    "is_safety_narrow": pl.Boolean(),
    "origin": pl.String(),
    "organization": pl.String(),
    "n_papers": pl.Int64(),
}

ORGANIZATION_CELLS_SQL = """
SELECT date_trunc('month', p.published_date)::DATE AS month, c.is_safety_broad, c.is_safety_narrow,
       coalesce(c.origin, 'unknown') AS origin, c.organization, count(*)::BIGINT AS n_papers
FROM (
    SELECT arxiv_id, coalesce(is_safety_broad, false) AS is_safety_broad,
           coalesce(is_safety_narrow, false) AS is_safety_narrow, origin,
           unnest(list_distinct(organizations)) AS organization
    FROM paper_classification
    WHERE (is_safety_broad OR is_safety_narrow) AND len(organizations) > 0
) c
JOIN papers p USING (arxiv_id)
WHERE p.published_date IS NOT NULL AND c.organization IS NOT NULL
GROUP BY ALL
"""


def organization_cells(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Safety papers counted per (month, broad, narrow, origin, organization named), from `papers` and
    `paper_classification`: one join of the safety papers to their dates, once per run, so that the dashboard's
    top organisations over any range read a mart instead of joining 2.7M papers."""
    frame = con.sql(ORGANIZATION_CELLS_SQL).pl()
    return frame.cast(ORGANIZATION_CELLS_SCHEMA) if frame.height else pl.DataFrame(schema=ORGANIZATION_CELLS_SCHEMA)


def safety_papers_by_organization_monthly(cells: pl.DataFrame) -> pl.DataFrame:
    """Safety papers per month naming each organisation, by origin class, for each definition."""
    parts = [
        cells.filter(pl.col(FLAG[definition]))
        .group_by("month", "organization", "origin")
        .agg(pl.col("n_papers").sum().cast(pl.Int64))
        .select("month", pl.lit(definition).alias("definition"), "organization", "origin", "n_papers")
        for definition in DEFINITIONS
    ]
    return pl.concat(parts).sort("month", "definition", "organization", "origin")


def ai_denominator(month_counts: pl.DataFrame) -> pl.DataFrame:
    """month, n_ai_papers, denominator_source: the 'ALL_AI' row per month, arxiv_api preferred over
    arxiv_snapshot, and the latest count when one source counted a month twice."""
    rank = pl.col("source").replace_strict(DENOMINATOR_PREFERENCE, default=9, return_dtype=pl.Int8)
    return (
        month_counts.filter(pl.col("category") == "ALL_AI")
        .sort([rank, "counted_at"], descending=[False, True])
        .unique("month", keep="first", maintain_order=True)
        .select(
            pl.col("month").cast(pl.Date),
            pl.col("n_papers").cast(pl.Int64).alias("n_ai_papers"),
            pl.col("source").alias("denominator_source"),
        )
        .sort("month")
    )


def covered_months(month_counts: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """The months the corpus covers (see module docstring): month, n_ai_papers (null without denominators)."""
    den = ai_denominator(month_counts)
    if den.is_empty():
        return cells.select("month").unique().sort("month").with_columns(pl.lit(None, pl.Int64).alias("n_ai_papers"))
    index = (pl.col("month").dt.year() * 12 + pl.col("month").dt.month()).cast(pl.Int32)
    den = den.select("month", "n_ai_papers", index.alias("i"))
    neighbours = (
        den.join(den.select(pl.col("i").alias("j"), pl.col("n_ai_papers").alias("n_j")), how="cross")
        .filter((pl.col("i") - pl.col("j")).abs() <= COVERAGE_WINDOW_MONTHS)
        .group_by("month")
        .agg(pl.col("n_ai_papers").first(), pl.col("n_j").max().alias("local_max"))
    )
    floor = MIN_GLOBAL_SHARE * den["n_ai_papers"].max()
    covered = (pl.col("n_ai_papers") >= MIN_MONTH_SHARE * pl.col("local_max")) & (pl.col("n_ai_papers") >= floor)
    return neighbours.filter(covered).select("month", "n_ai_papers").sort("month")


def restrict_to_months(cells: pl.DataFrame, months: pl.DataFrame) -> pl.DataFrame:
    return cells.join(months, on="month", how="semi")


def _sum_if(condition: pl.Expr, name: str) -> pl.Expr:
    return pl.col("n_papers").filter(condition).sum().cast(pl.Int64).alias(name)


def _share(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).otherwise(None)


def neglectedness_monthly(cells: pl.DataFrame, month_counts: pl.DataFrame) -> pl.DataFrame:
    """Safety share of AI papers per covered month. The numerator only counts papers in the AI categories (the
    denominator's set), so shares stay within 0..1."""
    months = covered_months(month_counts, cells)
    numerators = (
        restrict_to_months(cells, months)
        .filter(pl.col("in_ai"))
        .group_by("month")
        .agg(
            _sum_if(pl.col("is_safety_broad"), "n_safety_broad"), _sum_if(pl.col("is_safety_narrow"), "n_safety_narrow")
        )
    )
    return (
        months.join(ai_denominator(month_counts), on="month", how="left")
        .join(numerators, on="month", how="left")
        .with_columns(
            pl.col("denominator_source").fill_null("none"),
            pl.col("n_safety_broad", "n_safety_narrow").fill_null(0),
        )
        .with_columns(
            _share("n_safety_broad", "n_ai_papers").alias("share_broad"),
            _share("n_safety_narrow", "n_ai_papers").alias("share_narrow"),
        )
        .select(
            "month",
            "n_ai_papers",
            "denominator_source",
            "n_safety_broad",
            "n_safety_narrow",
            "share_broad",
            "share_narrow",
        )
        .sort("month")
    )


def _by_definition(cells: pl.DataFrame, key: pl.Expr, key_name: str) -> pl.DataFrame:
    parts = [
        cells.filter(pl.col(FLAG[definition]))
        .group_by("month", key.alias(key_name))
        .agg(pl.col("n_papers").sum().cast(pl.Int64))
        .select("month", pl.lit(definition).alias("definition"), key_name, "n_papers")
        for definition in DEFINITIONS
    ]
    return pl.concat(parts).sort("month", "definition", key_name)


def safety_papers_by_topic_monthly(cells: pl.DataFrame) -> pl.DataFrame:
    """Safety papers per month by primary topic ('unassigned' when none), for each definition."""
    return _by_definition(cells, pl.col("primary_topic").fill_null(UNASSIGNED_TOPIC), "topic")


def safety_papers_by_origin_monthly(cells: pl.DataFrame) -> pl.DataFrame:
    """Safety papers per month by origin class, for each definition."""
    return _by_definition(cells, pl.col("origin").fill_null("unknown"), "origin")


def lab_share_yearly(cells: pl.DataFrame) -> pl.DataFrame:
    """Frontier-lab share of known-origin safety papers against the same share for all AI papers, per year.

    Known origin = anything but 'unknown'. 'mixed' papers (several origin classes, e.g. a lab-university
    collaboration) count as known but not as lab, so the lab share is a lower bound.
    """
    known = pl.col("origin") != "unknown"
    lab = pl.col("origin") == LAB_ORIGIN
    yearly = cells.with_columns(pl.col("month").dt.year().cast(pl.Int32).alias("year"))
    ai = yearly.group_by("year").agg(
        _sum_if(pl.col("in_ai") & known, "n_ai_known"), _sum_if(pl.col("in_ai") & lab, "n_ai_lab")
    )
    parts = []
    for definition in DEFINITIONS:
        flag = pl.col(FLAG[definition])
        parts.append(
            yearly.group_by("year")
            .agg(
                _sum_if(flag, "n_safety"),
                _sum_if(flag & known, "n_safety_known"),
                _sum_if(flag & lab, "n_safety_lab"),
            )
            .with_columns(pl.lit(definition).alias("definition"))
        )
    return (
        pl.concat(parts)
        .join(ai, on="year", how="left")
        .with_columns(
            _share("n_safety_lab", "n_safety_known").alias("lab_share_safety"),
            _share("n_ai_lab", "n_ai_known").alias("lab_share_ai"),
            _share("n_safety_known", "n_safety").alias("known_origin_coverage_safety"),
        )
        .select(
            "year",
            "definition",
            "n_safety_known",
            "n_safety_lab",
            "lab_share_safety",
            "n_ai_known",
            "n_ai_lab",
            "lab_share_ai",
            "known_origin_coverage_safety",
        )
        .sort("year", "definition")
    )


def yearly_coverage(months: pl.DataFrame) -> pl.DataFrame:
    """year, months_covered."""
    return (
        months.group_by(pl.col("month").dt.year().cast(pl.Int32).alias("year"))
        .agg(pl.len().cast(pl.Int32).alias("months_covered"))
        .sort("year")
    )


def papers_per_fte_yearly(cells: pl.DataFrame, months: pl.DataFrame, fte_series: pl.DataFrame) -> pl.DataFrame:
    """Narrow safety papers per technical FTE, per year and estimate series.

    `cells` restricted to covered `months`; `fte_series` from estimates.interpolate_series (published years and
    linear interpolation between them, never beyond). The paper count is annualised by the months covered
    (n * 12 / months_covered) before dividing; the low ratio divides by the high FTE figure and vice versa.
    """
    papers = (
        cells.filter(pl.col("is_safety_narrow"))
        .group_by(pl.col("month").dt.year().cast(pl.Int32).alias("year"))
        .agg(pl.col("n_papers").sum().cast(pl.Int64).alias("n_safety_papers"))
    )
    yearly = (
        yearly_coverage(months).join(papers, on="year", how="left").with_columns(pl.col("n_safety_papers").fill_null(0))
    )
    annual = pl.col("n_safety_papers") * 12 / pl.col("months_covered")

    def ratio(fte: str) -> pl.Expr:
        return pl.when(pl.col(fte) > 0).then(annual / pl.col(fte)).otherwise(None)

    return (
        fte_series.select(
            "year",
            "estimate_source",
            pl.col("low").alias("fte_low"),
            pl.col("central").alias("fte_central"),
            pl.col("high").alias("fte_high"),
        )
        .join(yearly, on="year", how="inner")
        .with_columns(
            ratio("fte_central").alias("papers_per_fte"),
            ratio("fte_high").alias("papers_per_fte_low"),
            ratio("fte_low").alias("papers_per_fte_high"),
        )
        .select(
            "year",
            "estimate_source",
            "fte_low",
            "fte_central",
            "fte_high",
            "n_safety_papers",
            "papers_per_fte",
            "papers_per_fte_low",
            "papers_per_fte_high",
        )
        .sort("year", "estimate_source")
    )


def last_complete_month(months: pl.DataFrame, today: dt.date) -> dt.date | None:
    """The latest covered month that has ended by `today`."""
    this_month = today.replace(day=1)
    done = months.filter(pl.col("month") < this_month)
    return done["month"].max() if done.height else None


def _month_offset(month: dt.date, delta: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + delta
    return dt.date(index // 12, index % 12 + 1, 1)


def topic_growth(cells: pl.DataFrame, months: pl.DataFrame, today: dt.date) -> pl.DataFrame:
    """Per topic and definition: papers in the last 12 complete months against the 12 before.

    `months`: the covered months, with their AI-paper denominator `n_ai_papers` when known. growth_ratio compares
    the topic's papers per AI paper in the two windows (1.0 = keeping pace with AI research; a sample corpus' uneven
    density and a window the corpus only half covers cancel out); without denominators, papers per covered month.
    Null when either window has fewer than MIN_COVERED_MONTHS covered months or the earlier window has no papers.
    Status, first match: booming (ratio >= BOOMING_RATIO and at least MIN_PAPERS_BOOMING papers), neglected
    (under NEGLECTED_SHARE of the definition's papers in the last window), growing (ratio >= GROWING_RATIO),
    shrinking (ratio <= SHRINKING_RATIO), else stable.
    """
    schema = {
        "topic": pl.String(), "definition": pl.String(), "window_end": pl.Date(), "n_last_12m": pl.Int64(),
        "n_prev_12m": pl.Int64(), "growth_ratio": pl.Float64(), "status": pl.String(),
    }  # fmt: skip
    end = last_complete_month(months, today)
    if end is None:
        return pl.DataFrame(schema=schema)
    last_start, prev_start = _month_offset(end, -11), _month_offset(end, -23)
    window_end = _month_offset(end, 1) - dt.timedelta(days=1)
    in_last = pl.col("month").is_between(last_start, end)
    in_prev = pl.col("month").is_between(prev_start, _month_offset(end, -12))
    last, prev = months.filter(in_last), months.filter(in_prev)
    rate_ok = last.height >= MIN_COVERED_MONTHS and prev.height >= MIN_COVERED_MONTHS
    by_papers = "n_ai_papers" in months.columns and months["n_ai_papers"].null_count() == 0
    exposure_last = last["n_ai_papers"].sum() if by_papers else last.height
    exposure_prev = prev["n_ai_papers"].sum() if by_papers else prev.height
    rate_ok = rate_ok and exposure_last > 0 and exposure_prev > 0

    parts = []
    for definition in DEFINITIONS:
        rows = cells.filter(pl.col(FLAG[definition]) & (in_last | in_prev))
        total_last = rows.filter(in_last)["n_papers"].sum()
        parts.append(
            rows.group_by(pl.col("primary_topic").fill_null(UNASSIGNED_TOPIC).alias("topic"))
            .agg(_sum_if(in_last, "n_last_12m"), _sum_if(in_prev, "n_prev_12m"))
            .with_columns(
                pl.lit(definition).alias("definition"),
                (pl.col("n_last_12m") / total_last if total_last else pl.lit(0.0)).alias("_share"),
            )
        )
    frame = pl.concat(parts).filter(pl.col("topic") != UNASSIGNED_TOPIC)
    if rate_ok:
        rate_last, rate_prev = pl.col("n_last_12m") / exposure_last, pl.col("n_prev_12m") / exposure_prev
        ratio = pl.when(pl.col("n_prev_12m") > 0).then(rate_last / rate_prev).otherwise(None)
    else:
        ratio = pl.lit(None)
    frame = frame.with_columns(ratio.cast(pl.Float64).alias("growth_ratio"))
    growth = pl.col("growth_ratio")
    status = (
        pl.when((growth >= BOOMING_RATIO) & (pl.col("n_last_12m") >= MIN_PAPERS_BOOMING))
        .then(pl.lit("booming"))
        .when(pl.col("_share") < NEGLECTED_SHARE)
        .then(pl.lit("neglected"))
        .when(growth >= GROWING_RATIO)
        .then(pl.lit("growing"))
        .when(growth <= SHRINKING_RATIO)
        .then(pl.lit("shrinking"))
        .otherwise(pl.lit("stable"))
    )
    return (
        frame.with_columns(status.alias("status"), pl.lit(window_end).alias("window_end"))
        .select(list(schema))
        .cast(schema)
        .sort("definition", "topic")
    )


_PAPER_YEARS_SQL = """
    SELECT p.arxiv_id,
           year(p.published_date)::INTEGER AS yr,
           coalesce(c.is_safety_broad, false) AS broad,
           coalesce(c.is_safety_narrow, false) AS narrow,
           coalesce(list_has_any(p.categories, $ai_categories::VARCHAR[]), false)
               OR coalesce(c.is_safety_broad, false) AS is_ai
    FROM papers p LEFT JOIN paper_classification c USING (arxiv_id)
    WHERE p.published_date IS NOT NULL
"""

# Safety authors: (author, year) paper counts over safety papers only (a small share of all authorships), then
# each year's row is added to that year's and the next year's window: the 24 months ending at the end of `year`
# are the calendar years year-1 and year.
SAFETY_AUTHORS_SQL = f"""
WITH p AS ({_PAPER_YEARS_SQL}),
authorships AS (
    SELECT DISTINCT hash(a.name_normalized) AS author, p.arxiv_id, p.yr, p.broad, p.narrow
    FROM paper_authors a JOIN p USING (arxiv_id)
    WHERE (p.broad OR p.narrow) AND a.name_normalized <> ''
),
author_year AS (
    SELECT author, yr, count(*) FILTER (WHERE broad) AS nb, count(*) FILTER (WHERE narrow) AS nn
    FROM authorships GROUP BY author, yr
),
windows AS (
    SELECT author, yr + shift AS year, sum(nb) AS nb, sum(nn) AS nn
    FROM author_year, (VALUES (0), (1)) AS t(shift)
    GROUP BY author, yr + shift
)
SELECT year::INTEGER AS year,
       count(*) FILTER (WHERE nb >= 1) AS broad_active, count(*) FILTER (WHERE nb >= 2) AS broad_core,
       count(*) FILTER (WHERE nn >= 1) AS narrow_active, count(*) FILTER (WHERE nn >= 2) AS narrow_core
FROM windows GROUP BY year
"""


def _ai_authors_sql(years: list[int]) -> str:
    """AI authors active per year without materialising (author, year) rows: one 64-bit mask of active years per
    author (bit k = year base+k), then one filtered count per output year. Years are integers from our own code."""
    base = max(min(years) - 1, max(years) - 62)
    counts = ", ".join(
        f"count(*) FILTER (WHERE mask & {(3 << (y - 1 - base)) if y > base else 1}::UBIGINT <> 0) AS y{y}"
        for y in years
    )
    return f"""
    WITH p AS ({_PAPER_YEARS_SQL}),
    masks AS (
        SELECT hash(a.name_normalized) AS author, bit_or((1::UBIGINT) << (p.yr - {base})::UBIGINT) AS mask
        FROM paper_authors a JOIN p USING (arxiv_id)
        WHERE p.is_ai AND p.yr >= {base} AND a.name_normalized <> ''
        GROUP BY 1
    )
    SELECT {counts} FROM masks
    """


AUTHORS_SCHEMA = contract.table("workforce_authors_yearly").polars_schema()  # the table this module computes


def workforce_authors_yearly(
    con: duckdb.DuckDBPyConnection, ai_categories: list[str], years: list[int] | None = None
) -> pl.DataFrame:
    """Distinct authors (by normalised name) active in the 24 months ending each year-end: safety authors with
    >= 1 safety paper (active) or >= 2 (core), AI authors with >= 1 AI paper (an AI-category or safety paper).

    `years` defaults to every year with a dated paper. Names are compared by their 64-bit hash (a collision among
    millions of names has a probability around 1e-6), which keeps the query to a few seconds at arXiv scale.
    """
    params = {"ai_categories": list(ai_categories)}
    if years is None:
        span = con.sql(
            "SELECT min(year(published_date)), max(year(published_date)) FROM papers WHERE published_date IS NOT NULL"
        ).fetchall()[0]
        years = list(range(span[0], span[1] + 1)) if span[0] is not None else []
    if not years:
        return pl.DataFrame(schema=AUTHORS_SCHEMA)
    years = sorted(set(years))
    ai_row = con.sql(_ai_authors_sql(years), params=params).fetchall()[0]
    ai = pl.DataFrame(
        {"year": years, "n_ai_authors_active": list(ai_row)}, schema={"year": pl.Int32, "n_ai_authors_active": pl.Int64}
    )
    safety = con.sql(SAFETY_AUTHORS_SQL, params=params).pl().cast({"year": pl.Int32})
    parts = [
        safety.select(
            "year",
            pl.lit(definition).alias("definition"),
            pl.col(f"{definition}_active").alias("n_safety_authors_active"),
            pl.col(f"{definition}_core").alias("n_safety_authors_core"),
        )
        for definition in DEFINITIONS
    ]
    grid = ai.join(pl.DataFrame({"definition": list(DEFINITIONS)}), how="cross")
    return (
        grid.join(pl.concat(parts), on=["year", "definition"], how="left")
        .with_columns(pl.col("n_safety_authors_active", "n_safety_authors_core").fill_null(0))
        .with_columns(_share("n_safety_authors_active", "n_ai_authors_active").alias("safety_author_share"))
        .select(list(AUTHORS_SCHEMA))
        .cast(AUTHORS_SCHEMA)
        .sort("year", "definition")
    )
