"""The claims check: each quantitative claim of the source documents, tested against the warehouse on every run.

A claim is code: `evaluate(inputs)` computes what the data says, the numbers, and a verdict with explicit thresholds.
Verdicts: supported (all evidence agrees), contradicted (none agrees), mixed (some agrees, or one part of the claim
holds while another cannot be tested), not_testable (no evidence in this data, e.g. years the corpus does not cover).
Headcount claims are judged against the published estimates of *other* authors (their own series, interpolated
only between published years); position records and author counts are shown beside them but do not decide the
verdict, because neither counts full-time equivalents.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from pipelines import contract
from pipelines.lib import estimates as est
from pipelines.lib.metrics import COMPANY_ORIGINS, LAB_ORIGIN
from pipelines.lib.origin_shares import ALL_PERIOD, COMPANY
from pipelines.lib.origin_shares import SCHEMA as ORIGIN_SHARES_SCHEMA

VERDICTS = ("supported", "contradicted", "mixed", "not_testable")
CLAIMS_SCHEMA = contract.table("claims_check").polars_schema()  # the table this module computes

# Thresholds (documented in docs/metrics.md).
RANGE_TOLERANCE = 0.25  # a figure agrees with a claimed range if within it widened by 25% either side
ABOUT_FACTOR = 1.5  # "about X" agrees with figures between X/1.5 and 1.5X
NEIGHBOUR_YEARS = 1  # a series without a figure for the year may use its published figure one year off
MULTIPLE_PER_DAY = 2.0  # "multiple papers every day": at least 2 per calendar day on average
THOUSANDS = 2000  # "thousands upon thousands": at least 2,000
FULL_COVERAGE = 0.8  # a period counts as covered when >= 80% of its months are
VAST_MAJORITY = 0.75
MIN_KNOWN_ORIGIN_SHARE = 0.10
MIN_KNOWN_ORIGIN_PAPERS = 30
SHARE_FACTOR = 2.0  # "about 2% of AI research" agrees with shares within a factor of 2
MAJORITY_MARGIN = 0.05  # "the majority": share > 0.55 supported, < 0.45 contradicted, mixed between
MIN_CLASSIFIED_ROLES = 0.3  # role shares need >= 30% of people with a known role

# Source documents without front matter: their titles (first line) and where they were published.
KNOWN_URLS = {
    "(Even) More Early-Career EAs Should Try AI Safety Technical Research": (
        "https://forum.effectivealtruism.org/posts/ycCBeG5SfApC3mcPQ/even-more-early-career-eas-should-try-ai-safety-technical"
    ),
}


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None

    def label(self) -> str:
        return f"{self.title} — {self.url}" if self.url else f"{self.title} (no URL given)"


@dataclass(frozen=True)
class Finding:
    data_says: str
    verdict: str
    numbers: dict


CITATIONS_SCHEMA = {
    "cited_by_count": pl.Int64,
    "has_frontier_lab_author": pl.Boolean,
    "has_academic_author": pl.Boolean,
    "any_placed": pl.Boolean,
}
DAILY_SCHEMA = {"day": pl.Date, "n_narrow": pl.Int64, "n_broad": pl.Int64}
SINCE_2020 = dt.date(2020, 1, 1)
MIN_CITED_PAPERS = 200  # narrow safety papers with a citation count and a placed author, for the reading half
MOST_READ_SHARE = 0.10  # "the papers people read": the most-cited tenth


@dataclass(frozen=True)
class ClaimInputs:
    """Warehouse tables the claims read (all may be empty)."""

    estimates: pl.DataFrame  # field_size_estimates
    positions: pl.DataFrame  # workforce_positions_yearly
    growth: pl.DataFrame  # workforce_growth_fit
    authors: pl.DataFrame  # workforce_authors_yearly
    neglectedness: pl.DataFrame  # neglectedness_monthly (covered months)
    origins: pl.DataFrame  # safety_papers_by_origin_monthly
    cells: pl.DataFrame  # metrics.paper_cells restricted to covered months
    # origin_shares_yearly (labs vs academia three ways); empty when that mart has not been built
    shares: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=ORIGIN_SHARES_SCHEMA))
    # narrow safety papers with an OpenAlex citation count (online only): cited_by_count and the involvement flags
    citations: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CITATIONS_SCHEMA))
    # the judged corpus sample's AI papers (seeds/eval/corpus_sample_labels.csv: narrow, broad = yes|no|borderline):
    # the share of safety work found by reading random AI papers, independent of the classifier
    judged: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema={"narrow": pl.String, "broad": pl.String}))
    # safety papers per day since 2020 (papers dated to the day; all categories, as safety_papers_by_origin_monthly):
    # day, n_narrow, n_broad; days without one are absent
    daily: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DAILY_SCHEMA))
    today: dt.date = field(default_factory=dt.date.today)


@dataclass(frozen=True)
class Claim:
    claim: str
    evaluate: Callable[[ClaimInputs], Finding]
    document: str | None = None  # seed document key (file-name prefix), when the claim is quoted from one
    quote: str | None = None  # verbatim text of the seed document the claim restates
    estimate_unit: str | None = None  # or: the claim is a published estimate with this unit (source from its row)


# ---------------------------------------------------------------- sources


def parse_source(text: str, stem: str) -> Source:
    """Title and URL from a document's front matter, else its first line (and a known URL for that title); the
    file name's `stem` when there is neither."""
    front = re.match(r"^---\n(.*?)\n---\n", text, flags=re.DOTALL)
    if front:
        meta = dict(re.findall(r'^(\w+):\s*"?(.*?)"?\s*$', front.group(1), flags=re.MULTILINE))
        title = meta.get("title") or stem
        return Source(title=title, url=meta.get("source") or KNOWN_URLS.get(title))
    title = next((line.strip() for line in text.splitlines() if line.strip()), stem)
    return Source(title=title, url=KNOWN_URLS.get(title))


def document_key(file_name: str) -> str:
    """A seed document's key: its file-name prefix ('004' for 004_2a22....txt)."""
    return file_name.split("_", 1)[0]


def estimate_source(estimates: pl.DataFrame, unit: str) -> Source | None:
    rows = estimates.filter(pl.col("unit") == unit).sort("year", descending=True)
    if rows.is_empty():
        return None
    return Source(title=f"{rows['source_title'][0]} ({rows['author'][0]})", url=rows["url"][0])


# ---------------------------------------------------------------- evidence helpers


def combine(agreements: list[bool]) -> str:
    if not agreements:
        return "not_testable"
    if all(agreements):
        return "supported"
    return "contradicted" if not any(agreements) else "mixed"


def within_range(value: float, low: float, high: float, tolerance: float = RANGE_TOLERANCE) -> bool:
    return low * (1 - tolerance) <= value <= high * (1 + tolerance)


def about(value: float, target: float, factor: float = ABOUT_FACTOR) -> bool:
    return target / factor <= value <= target * factor


def below(value: float, bound: float, tolerance: float = RANGE_TOLERANCE) -> bool:
    return value < bound * (1 + tolerance)


def _num(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _round(value):
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.4g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def technical_fte_at(estimates: pl.DataFrame, year: int, exclude_author: str | None) -> list[dict]:
    """Each other author's technical FTE figure for `year`: published, interpolated within the series, or the
    series' published figure at most NEIGHBOUR_YEARS away (nearest first)."""
    rows = estimates.filter(pl.col("author") != exclude_author) if exclude_author else estimates
    points = est.pooled_series(rows)
    filled = est.interpolate_series(points).filter(pl.col("central").is_not_null())
    found = []
    for _, group in filled.group_by("series", maintain_order=True):
        exact = group.filter(pl.col("year") == year)
        if exact.is_empty():
            near = group.filter(~pl.col("interpolated") & ((pl.col("year") - year).abs() <= NEIGHBOUR_YEARS))
            exact = near.sort((pl.col("year") - year).abs()).head(1)
        if exact.height:
            row = exact.row(0, named=True)
            found.append(
                {
                    "source": row["estimate_source"],
                    "year": row["year"],
                    "central": row["central"],
                    "interpolated": row["interpolated"],
                }
            )
    return sorted(found, key=lambda r: r["source"])


def positions_by_role(positions: pl.DataFrame, year: int) -> dict[str, int]:
    rows = positions.filter(pl.col("year") == year).group_by("role").agg(pl.col("n_people").sum())
    return {role: int(n) for role, n in rows.iter_rows()}


def author_counts(authors: pl.DataFrame, year: int, definition: str = "narrow") -> dict | None:
    rows = authors.filter((pl.col("year") == year) & (pl.col("definition") == definition))
    return rows.row(0, named=True) if rows.height else None


def covered_month_list(neglectedness: pl.DataFrame) -> list[dt.date]:
    return sorted(neglectedness["month"].to_list()) if neglectedness.height else []


def coverage_share(months: list[dt.date], start: dt.date, end: dt.date) -> float:
    """Share of the calendar months from start to end (inclusive) that the corpus covers."""
    total = (end.year - start.year) * 12 + end.month - start.month + 1
    if total <= 0:
        return 0.0
    return sum(start <= m <= end for m in months) / total


def _month_before(month: dt.date) -> dt.date:
    return dt.date(month.year - 1, 12, 1) if month.month == 1 else dt.date(month.year, month.month - 1, 1)


def year_coverage(months: list[dt.date], year: int, last: dt.date) -> float:
    """Share of the months of `year` up to `last` (a month, inclusive) that the warehouse covers."""
    end = min(dt.date(year, 12, 1), last)
    return coverage_share(months, dt.date(year, 1, 1), end) if end >= dt.date(year, 1, 1) else 0.0


def years_text(years: list[int]) -> str:
    """'2017-2019, 2022' for [2017, 2018, 2019, 2022]."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def coverage_phrase(span: str, share: float) -> str:
    """Says plainly how much of a period the warehouse covers: 'the warehouse does not cover 2017'."""
    if share <= 0:
        return f"the warehouse does not cover {span}"
    return f"the warehouse covers only {share:.0%} of the months of {span}"


def _context(inputs: ClaimInputs, year: int) -> tuple[str, dict]:
    """AI Watch people and, when the warehouse covers the 24 months to the end of `year` (>= FULL_COVERAGE of them),
    distinct safety authors active in them (workforce_authors_yearly); both beside the estimates, never deciding."""
    roles = positions_by_role(inputs.positions, year)
    window = coverage_share(covered_month_list(inputs.neglectedness), dt.date(year - 1, 1, 1), dt.date(year, 12, 1))
    narrow = author_counts(inputs.authors, year) if window >= FULL_COVERAGE else None
    broad = author_counts(inputs.authors, year, "broad") if narrow else None
    parts = []
    if roles:
        parts.append(
            f"AI Watch lists {_num(roles.get('technical', 0))} people in technical roles in {year} (people, not FTE)"
        )
    if narrow:
        broad_text = f", {_num(broad['n_safety_authors_active'])} a broad one" if broad else ""
        parts.append(
            f"in the papers, {_num(narrow['n_safety_authors_active'])} authors had a narrow safety paper"
            f"{broad_text} and {_num(narrow['n_safety_authors_core'])} had 2+ narrow ones in the 24 months to the "
            f"end of {year} (authors, not FTE: students and co-authors from other fields count too)"
        )
    elif window <= 0:
        parts.append(f"{coverage_phrase(str(year), 0)} ({year - 1}-{year}), so no author count")
    else:
        parts.append(
            f"{coverage_phrase(f'{year - 1}-{year}', window)}, fewer than the {FULL_COVERAGE:.0%} an author count needs"
        )
    numbers = {
        "aiwatch_people_technical": roles.get("technical"),
        "authors_window_coverage": window,
        "narrow_authors_core": narrow["n_safety_authors_core"] if narrow else None,
        "narrow_authors_active": narrow["n_safety_authors_active"] if narrow else None,
        "broad_authors_active": broad["n_safety_authors_active"] if broad else None,
    }
    text = "; ".join(parts)
    return text[:1].upper() + text[1:], numbers


def _describe(evidence: list[dict]) -> str:
    return ", ".join(
        f"{e['source']} {_num(e['central'])} ({e['year']}{', interpolated' if e['interpolated'] else ''})"
        for e in evidence
    )


# ---------------------------------------------------------------- claims


def _headcount_range_2022(inputs: ClaimInputs) -> Finding:
    year, low, high = 2022, 100.0, 200.0
    evidence = technical_fte_at(inputs.estimates, year, exclude_author="Trevor Levin")
    agree = [within_range(e["central"], low, high) for e in evidence]
    context, extra = _context(inputs, year)
    says = (
        f"Other published technical FTE estimates near {year}: {_describe(evidence) or 'none'}; "
        f"{sum(agree)} of {len(agree)} fall within 100-200 widened by {RANGE_TOLERANCE:.0%}. {context}."
    )
    return Finding(says, combine(agree), {"claimed_low": low, "claimed_high": high, "estimates": evidence, **extra})


def _headcount_2017_2018(inputs: ClaimInputs) -> Finding:
    e17 = technical_fte_at(inputs.estimates, 2017, exclude_author="Trevor Levin")
    e18 = technical_fte_at(inputs.estimates, 2018, exclude_author="Trevor Levin")
    agree = [below(e["central"], 100) for e in e17] + [about(e["central"], 50) for e in e18]
    ctx17, n17 = _context(inputs, 2017)
    ctx18, n18 = _context(inputs, 2018)
    says = (
        f"2017 (claimed < 100): {_describe(e17) or 'no other estimate'}; "
        f"2018 (claimed about 50, i.e. {50 / ABOUT_FACTOR:.0f}-{50 * ABOUT_FACTOR:.0f}): "
        f"{_describe(e18) or 'no other estimate'}; "
        f"{sum(agree)} of {len(agree)} agree. {ctx17}. {ctx18}."
    )
    return Finding(says, combine(agree), {"estimates_2017": e17, "estimates_2018": e18, "2017": n17, "2018": n18})


def _forecast_under_1000(inputs: ClaimInputs) -> Finding:
    forecast = inputs.estimates.filter((pl.col("unit") == "FTE_forecast") & (pl.col("author") == "Trevor Levin"))
    year = int(forecast["year"].max()) if forecast.height else 2025
    evidence = technical_fte_at(inputs.estimates, year, exclude_author="Trevor Levin")
    agree = [e["central"] < 1000 for e in evidence]
    context, extra = _context(inputs, year)
    says = (
        f"Technical FTE estimates for {year} (the forecast's horizon): {_describe(evidence) or 'none'}; "
        f"{sum(agree)} of {len(agree)} are below 1,000. {context}."
    )
    return Finding(says, combine(agree), {"year": year, "bound": 1000, "estimates": evidence, **extra})


def _safety_monthly_totals(inputs: ClaimInputs, definition: str) -> pl.DataFrame:
    rows = inputs.origins.filter(pl.col("definition") == definition)
    return rows.group_by("month").agg(pl.col("n_papers").sum()).sort("month")


def _period_end(inputs: ClaimInputs) -> dt.date:
    return inputs.today.replace(day=1)


def _daily_shares(inputs: ClaimInputs, months: list[dt.date], days: int) -> dict[str, float | None]:
    """Share of the calendar days of `months` with >= MULTIPLE_PER_DAY safety papers, per definition (None without
    day-dated papers in those months)."""
    rows = inputs.daily.filter(pl.col("day").dt.truncate("1mo").is_in(months))
    if rows.is_empty():
        return {"narrow": None, "broad": None}
    return {d: rows.filter(pl.col(f"n_{d}") >= MULTIPLE_PER_DAY).height / days for d in ("narrow", "broad")}


def _papers_per_day(inputs: ClaimInputs) -> Finding:
    start, end = SINCE_2020, _period_end(inputs)
    last = _month_before(end)
    months = [m for m in covered_month_list(inputs.neglectedness) if start <= m <= last]
    coverage = coverage_share(months, start, last)
    years = list(range(start.year, last.year + 1))
    year_cov = {y: year_coverage(months, y, last) for y in years}
    uncovered = [y for y in years if year_cov[y] == 0]
    if not months:
        return Finding(
            f"{coverage_phrase(years_text(years), 0).capitalize()} (no month since January 2020), so papers per day "
            "cannot be computed.",
            "not_testable",
            {"coverage_2020_to_now": coverage, "not_covered_years": uncovered},
        )
    totals = {d: dict(_safety_monthly_totals(inputs, d).iter_rows()) for d in ("narrow", "broad")}
    per_year: dict[str, dict] = {k: {} for k in ("narrow", "broad", "days_2plus_narrow", "days_2plus_broad")}
    parts = []
    for y in years:
        ym = [m for m in months if m.year == y]
        if not ym:
            continue
        days = sum(calendar.monthrange(m.year, m.month)[1] for m in ym)
        for d in ("narrow", "broad"):
            per_year[d][y] = sum(totals[d].get(m, 0) for m in ym) / days
        shares = _daily_shares(inputs, ym, days)
        per_year["days_2plus_narrow"][y], per_year["days_2plus_broad"][y] = shares["narrow"], shares["broad"]
        daily = (
            f", 2+ on {shares['narrow']:.0%} of days (broad {per_year['broad'][y]:.1f}, 2+ on {shares['broad']:.0%})"
            if shares["narrow"] is not None
            else f" (broad {per_year['broad'][y]:.1f}; no papers dated to the day)"
        )
        partial = "" if year_cov[y] >= FULL_COVERAGE else f", only {len(ym)} of its months covered"
        parts.append(f"{y}: {per_year['narrow'][y]:.1f} a day{daily}{partial}")
    passing = [rate >= MULTIPLE_PER_DAY for rate in per_year["narrow"].values()]
    if all(passing):
        verdict = "supported" if coverage >= FULL_COVERAGE else "mixed"
    else:
        verdict = "contradicted" if not any(passing) else "mixed"
    says = (
        "Narrow safety papers per calendar day since 2020, by year (mean, and the share of days with "
        f"{MULTIPLE_PER_DAY:g} or more): " + "; ".join(parts) + f". 'Multiple' means a mean of at least "
        f"{MULTIPLE_PER_DAY:g} narrow papers a day. The warehouse covers {coverage:.0%} of the months since "
        "January 2020"
        + (
            f"; {coverage_phrase(years_text(uncovered), 0)}, so those years are not testable with this data."
            if uncovered
            else "."
        )
        + " Counts from a sample are lower bounds; papers dated by their daily listing (the shipped corpus) leave "
        "weekends empty."
    )
    return Finding(
        says,
        verdict,
        {
            "per_day_narrow": per_year["narrow"],
            "per_day_broad": per_year["broad"],
            "share_days_2plus_narrow": per_year["days_2plus_narrow"],
            "share_days_2plus_broad": per_year["days_2plus_broad"],
            "year_coverage": year_cov,
            "not_covered_years": uncovered,
            "coverage_2020_to_now": coverage,
        },
    )


def _thousands_since_2020(inputs: ClaimInputs) -> Finding:
    last = _month_before(_period_end(inputs))
    months = [m for m in covered_month_list(inputs.neglectedness) if m >= SINCE_2020]
    coverage = coverage_share(months, SINCE_2020, last)
    years = list(range(SINCE_2020.year, last.year + 1))
    uncovered = [y for y in years if year_coverage(months, y, last) == 0]
    per_month = {
        d: _safety_monthly_totals(inputs, d).filter(pl.col("month").is_in(months)) for d in ("narrow", "broad")
    }
    counts = {d: int(per_month[d]["n_papers"].sum()) for d in ("narrow", "broad")}
    per_year = {
        y: int(n)
        for y, n in per_month["narrow"].group_by(pl.col("month").dt.year()).agg(pl.col("n_papers").sum()).iter_rows()
    }
    if counts["narrow"] >= THOUSANDS:
        verdict = "supported"
    else:
        verdict = "contradicted" if coverage >= FULL_COVERAGE else "not_testable"
    by_year = ", ".join(f"{y}: {_num(per_year[y])}" for y in sorted(per_year))
    says = (
        f"The warehouse holds {_num(counts['narrow'])} narrow and {_num(counts['broad'])} broad safety papers from the "
        f"{len(months)} months it covers since 2020 ({coverage:.0%} of the period)"
        + (f"; narrow by year {by_year}" if by_year else "")
        + (f"; {coverage_phrase(years_text(uncovered), 0)}" if uncovered else "")
        + f". The threshold is {THOUSANDS:,}. A sample's count is a lower bound."
    )
    numbers = {
        "n_narrow": counts["narrow"],
        "n_broad": counts["broad"],
        "narrow_by_year": dict(sorted(per_year.items())),
        "not_covered_years": uncovered,
        "coverage": coverage,
    }
    return Finding(says, verdict, numbers)


def _origin_shares(frame: pl.DataFrame) -> dict:
    totals = dict(frame.group_by("origin").agg(pl.col("n_papers").sum()).iter_rows())
    total = sum(totals.values())
    known = total - totals.get("unknown", 0)

    def share(*origins: str) -> float | None:
        return sum(totals.get(o, 0) for o in origins) / known if known else None

    return {
        "n_papers": total,
        "n_known": known,
        "known_share": known / total if total else None,
        "academic": share("academic"),
        "academic_or_mixed": share("academic", "mixed"),
        "frontier_lab": share(LAB_ORIGIN),
        "company": share(*COMPANY_ORIGINS),
    }


def _enough_known(shares: dict) -> bool:
    return bool(
        shares["n_known"] >= MIN_KNOWN_ORIGIN_PAPERS
        and shares["known_share"] is not None
        and shares["known_share"] >= MIN_KNOWN_ORIGIN_SHARE
    )


def _most_read(citations: pl.DataFrame) -> dict | None:
    """Frontier-lab and academic involvement among the most-cited tenth of narrow safety papers with a placed
    author, against all of them; None when fewer than MIN_CITED_PAPERS such papers have a citation count."""
    placed = citations.filter(pl.col("any_placed"), pl.col("cited_by_count").is_not_null())
    if placed.height < MIN_CITED_PAPERS:
        return None
    n_top = max(1, math.ceil(MOST_READ_SHARE * placed.height))
    top = placed.sort("cited_by_count", descending=True).head(n_top)
    return {
        "n_cited": placed.height,
        "n_top": n_top,
        "min_citations_top": int(top["cited_by_count"].min()),
        "lab_top": top["has_frontier_lab_author"].mean(),
        "lab_all": placed["has_frontier_lab_author"].mean(),
        "academic_top": top["has_academic_author"].mean(),
    }


def _academia_vs_labs(inputs: ClaimInputs) -> Finding:
    shares = _origin_shares(inputs.origins.filter(pl.col("definition") == "narrow"))
    if not _enough_known(shares):
        return Finding(
            f"Only {_num(shares['n_known'])} narrow safety papers have a known origin "
            f"({_num((shares['known_share'] or 0) * 100)}%); at least {MIN_KNOWN_ORIGIN_PAPERS} papers and "
            f"{MIN_KNOWN_ORIGIN_SHARE:.0%} are needed. What people read is not in the data either.",
            "not_testable",
            shares,
        )
    if shares["academic"] >= VAST_MAJORITY:
        output_part = "supported"
    elif shares["academic_or_mixed"] < 0.5:
        output_part = "contradicted"
    else:
        output_part = "mixed"
    says = (
        f"Of narrow safety papers with a known origin ({_num(shares['known_share'] * 100)}% of "
        f"{_num(shares['n_papers'])}), {shares['academic']:.0%} are academic ({shares['academic_or_mixed']:.0%} "
        f"counting mixed collaborations) and {shares['frontier_lab']:.0%} come from frontier labs; 'vast majority' "
        f"means >= {VAST_MAJORITY:.0%}, so the output half is {output_part.replace('_', ' ')}."
    )
    read = _most_read(inputs.citations)
    if read is None:
        says += (
            " Which papers people read is not testable: it needs OpenAlex citation counts (fetched when OpenAlex "
            f"answers) for at least {MIN_CITED_PAPERS} narrow safety papers with a placed author."
        )
        reading_part = "not_testable"
        verdict = {"supported": "mixed", "contradicted": "contradicted", "mixed": "mixed"}[output_part]
    else:
        # Read = the most-cited tenth. Supported when most of them have a frontier-lab author; contradicted when
        # labs are no more common among them than among all safety papers.
        if read["lab_top"] >= 0.5:
            reading_part = "supported"
        elif read["lab_top"] <= read["lab_all"]:
            reading_part = "contradicted"
        else:
            reading_part = "mixed"
        says += (
            f" Of the {read['n_top']:,} most-cited narrow safety papers ({read['min_citations_top']:,}+ citations in "
            f"OpenAlex, the top tenth of {read['n_cited']:,} with a placed author), {read['lab_top']:.0%} have a "
            f"frontier-lab author (against {read['lab_all']:.0%} of all of them) and {read['academic_top']:.0%} an "
            f"academic one, so the reading half is {reading_part}."
        )
        # The claim is "A and B": contradicted when either half is, supported only when both are.
        if "contradicted" in (output_part, reading_part):
            verdict = "contradicted"
        elif output_part == reading_part == "supported":
            verdict = "supported"
        else:
            verdict = "mixed"
    return Finding(says, verdict, {**shares, "output_part": output_part, "reading_part": reading_part, "read": read})


def _growth_claim(unit: str, series: list[str], what: str) -> Callable[[ClaimInputs], Finding]:
    def evaluate(inputs: ClaimInputs) -> Finding:
        row = inputs.estimates.filter(pl.col("unit") == unit)
        if row.is_empty():
            return Finding(f"No published {what} growth rate in field_size_estimates.", "not_testable", {})
        claimed = float(row["central"][0]) / 100
        fits = inputs.growth.filter(pl.col("series").is_in(series)).sort("series")
        agree = [low <= claimed <= high for low, high in zip(fits["growth_low"], fits["growth_high"], strict=True)]
        described = "; ".join(
            f"{r['series']} {r['annual_growth']:.0%}/yr (95% CI {r['growth_low']:.0%} to {r['growth_high']:.0%}, "
            f"{r['year_from']}-{r['year_to']})"
            for r in fits.iter_rows(named=True)
        )
        says = (
            f"Claimed {claimed:.0%}/yr. Exponential fits to the AI Watch position records: {described or 'none'}; "
            f"{sum(agree)} of {len(agree)} intervals contain the claim. AI Watch is curated by hand, so its coverage "
            "varies over the years, and it counts people and organisations in its records, not FTE."
        )
        return Finding(says, combine(agree), {"claimed": claimed, "fits": fits.to_dicts()})

    return evaluate


def _ai_share(inputs: ClaimInputs) -> Finding:
    rows = inputs.estimates.filter(pl.col("unit") == "percent of AI papers").sort("year", descending=True)
    if rows.is_empty():
        return Finding("No published share of AI papers in field_size_estimates.", "not_testable", {})
    claimed = float(rows["central"][0]) / 100
    usable = inputs.neglectedness.filter(pl.col("n_ai_papers") > 0)
    if usable.is_empty():
        return Finding("No month with an AI-paper denominator.", "not_testable", {"claimed": claimed})
    n_ai = int(usable["n_ai_papers"].sum())
    broad = int(usable["n_safety_broad"].sum()) / n_ai
    narrow = int(usable["n_safety_narrow"].sum()) / n_ai
    agree = claimed / SHARE_FACTOR <= broad <= claimed * SHARE_FACTOR
    first, last = usable["month"].min(), usable["month"].max()
    says = (
        f"Across {usable.height} covered months ({first:%Y-%m} to {last:%Y-%m}) safety papers are {broad:.1%} of "
        f"{n_ai:,} AI papers under the broad definition (the one comparable to ETO's) and {narrow:.1%} under the "
        f"narrow one; the claim ({claimed:.0%}) agrees if the broad share is within a factor of {SHARE_FACTOR:g}. "
        "ETO counts journal and conference articles of all AI research; this is arXiv's AI categories only, and "
        "a sample corpus may over-represent some categories."
    )
    numbers = {"claimed": claimed, "share_broad": broad, "share_narrow": narrow, "n_ai_papers": n_ai}
    if inputs.judged.height:
        judged_broad = float((inputs.judged["broad"] == "yes").mean())
        judged_narrow = float((inputs.judged["narrow"] == "yes").mean())
        says += (
            f" Judged one by one against the rubric (by LLM sessions; docs/labelling.md), {inputs.judged.height:,} "
            f"random AI papers of the shipped corpus are {judged_broad:.1%} broad and {judged_narrow:.1%} narrow "
            "safety work (borderline papers counted as not)."
        )
        numbers |= {"judged_papers": inputs.judged.height, "judged_broad": judged_broad, "judged_narrow": judged_narrow}
    return Finding(says, "supported" if agree else "contradicted", numbers)


def _company_share(shares: pl.DataFrame, population: str) -> dict | None:
    rows = shares.filter(
        pl.col("period") == ALL_PERIOD,
        pl.col("population") == population,
        pl.col("way") == "involvement",
        pl.col("class") == COMPANY,
    )
    return rows.row(0, named=True) if rows.height else None


def _company_authorship(inputs: ClaimInputs) -> Finding:
    """Papers with at least one company author (frontier lab or other industry), safety (broad) against all AI.

    With OpenAlex reachable, every safety paper is looked up but only a fixed sample of the others, so safety
    papers get more of their authors placed; the comparison then leans towards more company authors on safety."""
    rows = inputs.estimates.filter(pl.col("unit").str.starts_with("percent company-authored"))
    claimed = {r["unit"]: r["central"] / 100 for r in rows.iter_rows(named=True)}
    safety, ai = _company_share(inputs.shares, "broad"), _company_share(inputs.shares, "all_ai")
    numbers = {"claimed": claimed, "safety": safety, "ai": ai}
    enough = all(
        s is not None and s["n_known"] >= MIN_KNOWN_ORIGIN_PAPERS and (s["coverage"] or 0) >= MIN_KNOWN_ORIGIN_SHARE
        for s in (safety, ai)
    )
    if not enough:
        return Finding(
            "Too few papers with a placed author to compare company authorship (origin_shares_yearly).",
            "not_testable",
            numbers,
        )
    assert safety is not None and ai is not None
    higher = safety["share_low"] > ai["share_high"]
    lower = safety["share_high"] < ai["share_low"]
    says = (
        f"{safety['share']:.1%} (95% interval {safety['share_low']:.1%}-{safety['share_high']:.1%}) of broad safety "
        f"papers with a placed author have a company author (frontier lab or other industry), against "
        f"{ai['share']:.1%} ({ai['share_low']:.1%}-{ai['share_high']:.1%}) of all AI papers; placed authors cover "
        f"{safety['coverage']:.0%} and {ai['coverage']:.0%} of the papers. The claim says 11% against 6%, at least one "
        "company author."
    )
    verdict = "supported" if higher else "contradicted" if lower else "mixed"
    return Finding(says, verdict, numbers)


def _period_growth(inputs: ClaimInputs) -> Finding:
    rows = inputs.estimates.filter(pl.col("unit") == "percent growth over period").sort("year", descending=True)
    if rows.is_empty():
        return Finding("No published growth figure in field_size_estimates.", "not_testable", {})
    row = rows.row(0, named=True)
    match = re.search(r"(\d{4})\D+(\d{4})", row["method_note"] or "")
    y0, y1 = (int(match.group(1)), int(match.group(2))) if match else (row["year"] - 5, row["year"])
    months = covered_month_list(inputs.neglectedness)
    cov0 = coverage_share(months, dt.date(y0, 1, 1), dt.date(y0, 12, 1))
    cov1 = coverage_share(months, dt.date(y1, 1, 1), dt.date(y1, 12, 1))
    numbers = {"claimed_growth": row["central"] / 100, "year_from": y0, "year_to": y1, "coverage": [cov0, cov1]}
    if min(cov0, cov1) < FULL_COVERAGE:
        gaps = "; ".join(coverage_phrase(str(y), c) for y, c in ((y0, cov0), (y1, cov1)) if c < FULL_COVERAGE)
        return Finding(
            f"{gaps[0].upper()}{gaps[1:]}: both {y0} and {y1} must be at least {FULL_COVERAGE:.0%} covered to measure "
            "growth between them.",
            "not_testable",
            numbers,
        )
    share = inputs.neglectedness.with_columns(pl.col("month").dt.year().alias("y"))
    n0 = share.filter(pl.col("y") == y0)["n_safety_broad"].sum()
    n1 = share.filter(pl.col("y") == y1)["n_safety_broad"].sum()
    growth = n1 / n0 - 1 if n0 else None
    claimed = 1 + row["central"] / 100
    agree = growth is not None and about(1 + growth, claimed)
    numbers.update({"n_from": n0, "n_to": n1, "growth": growth})
    says = f"Broad safety papers: {n0:,} in {y0}, {n1:,} in {y1} ({_num((growth or 0) * 100)}% growth)."
    return Finding(says, "supported" if agree else "contradicted", numbers)


def _non_technical_majority(inputs: ClaimInputs) -> Finding:
    years = inputs.positions.filter(pl.col("year") < inputs.today.year)["year"]
    if years.is_empty():
        return Finding("No position records.", "not_testable", {})
    year = int(years.max())
    roles = positions_by_role(inputs.positions, year)
    technical, other = roles.get("technical", 0), roles.get("non_technical", 0)
    total = sum(roles.values())
    classified = technical + other
    numbers = {"year": year, "people": roles, "classified_share": classified / total if total else None}
    mc = inputs.estimates.filter(
        (pl.col("year") == year) & (pl.col("unit") == "FTE") & pl.col("scope").is_in(["technical", "non_technical"])
    )
    published = ""
    if mc.height:
        by_scope = mc.group_by("scope").agg(pl.col("central").median())
        published_shares = dict(by_scope.iter_rows())
        if {"technical", "non_technical"} <= published_shares.keys():
            nt = published_shares["non_technical"] / (published_shares["technical"] + published_shares["non_technical"])
            numbers["published_non_technical_share"] = nt
            published = f" Published FTE estimates for {year} put the non-technical share at {nt:.0%}."
    if not total or classified / total < MIN_CLASSIFIED_ROLES:
        return Finding(f"Too few {year} position records with a known role.{published}", "not_testable", numbers)
    share = other / classified
    numbers["non_technical_share"] = share
    if share > 0.5 + MAJORITY_MARGIN:
        verdict = "supported"
    elif share < 0.5 - MAJORITY_MARGIN:
        verdict = "contradicted"
    else:
        verdict = "mixed"
    says = (
        f"In {year} AI Watch lists {_num(other)} people in non-technical and {_num(technical)} in technical roles at "
        f"AI-safety organisations ({share:.0%} non-technical among the {classified / total:.0%} with a known role)."
        f"{published}"
    )
    return Finding(says, verdict, numbers)


CLAIMS: tuple[Claim, ...] = (
    Claim(
        "Only 100-200 people do full-time technical AI safety research (2022).",
        _headcount_range_2022,
        document="004",
        quote="only 100-200 people doing full-time AISTR",
    ),
    Claim(
        "Fewer than 100 full-time technical AI safety researchers in 2017, about 50 in 2018.",
        _headcount_2017_2018,
        document="004",
        quote="as of 2017, “around 50” as of 2018",
    ),
    Claim(
        "Technical AI safety researchers will still number less than 1,000 in a few years (forecast made in 2022).",
        _forecast_under_1000,
        document="004",
        quote="as an upper bound, less than 1,000",
    ),
    Claim(
        "Since 2020, multiple new AI safety papers appear on arXiv every day.",
        _papers_per_day,
        document="003",
        quote="in expectation every day multiple new AI Safety papers are published",
    ),
    Claim(
        "Since 2020 there have been thousands upon thousands of AI safety papers.",
        _thousands_since_2020,
        document="003",
        quote="since 2020 there have been thousands upon thousands",
    ),
    Claim(
        "The vast majority of AI safety papers come from academia, while the papers people read come from major labs.",
        _academia_vs_labs,
        document="003",
        quote="the vast majority of papers published are written by people playing the university/academic game",
    ),
    Claim(
        "Most AI safety roles are not technical AI safety research roles.",
        _non_technical_majority,
        document="003",
        quote="lots of safety roles (seemingly the majority) are not what I had imagined",
    ),
    Claim(
        "The number of technical AI safety FTEs grows about 21% a year (exponential fit, 2010-2025).",
        _growth_claim("FTE growth %/yr", ["aiwatch_positions_technical"], "FTE"),
        estimate_unit="FTE growth %/yr",
    ),
    Claim(
        "The number of technical AI safety organisations grows about 24% a year (exponential fit, 2010-2025).",
        _growth_claim("organizations growth %/yr", ["aiwatch_organizations"], "organisation"),
        estimate_unit="organizations growth %/yr",
    ),
    Claim("AI safety research is about 2% of all AI research.", _ai_share, estimate_unit="percent of AI papers"),
    Claim(
        "AI safety papers have company authors more often than AI papers in general (11% vs 6%).",
        _company_authorship,
        estimate_unit="percent company-authored (safety)",
    ),
    Claim(
        "AI safety research grew about 312% from 2018 to 2023.",
        _period_growth,
        estimate_unit="percent growth over period",
    ),
)


def _claim_source(claim: Claim, sources: dict[str, Source], estimates: pl.DataFrame) -> str:
    if claim.document is not None:
        source = sources.get(claim.document)
        return source.label() if source else f"seed document {claim.document}"
    source = estimate_source(estimates, claim.estimate_unit or "")
    return source.label() if source else "field_size_estimates"


def claims_check(
    inputs: ClaimInputs,
    sources: dict[str, Source],
    claims: tuple[Claim, ...] = CLAIMS,
    computed_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """One row per claim: claim, source, data_says, verdict, numbers (JSON), computed_at. `sources`: the seed
    documents by document_key (pipelines.inputs.claim_sources)."""
    stamp = computed_at or dt.datetime.now().replace(microsecond=0)
    rows = []
    for claim in claims:
        finding = claim.evaluate(inputs)
        if finding.verdict not in VERDICTS:
            raise ValueError(f"{claim.claim!r}: unknown verdict {finding.verdict!r}")
        rows.append(
            {
                "claim": claim.claim,
                "source": _claim_source(claim, sources, inputs.estimates),
                "data_says": finding.data_says,
                "verdict": finding.verdict,
                "numbers": json.dumps(_round(finding.numbers), sort_keys=True, default=str),
                "computed_at": stamp,
            }
        )
    return pl.DataFrame(rows, schema=CLAIMS_SCHEMA)
