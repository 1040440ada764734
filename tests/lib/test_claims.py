"""The claims check: each claim's verdict computed from hand-made tables, every verdict value exercised."""

import calendar
import datetime as dt
import json
import re

import polars as pl
import pytest

from pipelines import inputs as pipeline_inputs
from pipelines.lib import claims, estimates, growth, metrics

D = dt.date
TODAY = D(2026, 1, 15)


def estimate_rows(rows: list[tuple]) -> pl.DataFrame:
    """(year, scope, low, central, high, unit, author[, method_note])."""
    out = []
    for r in rows:
        year, scope, low, central, high, unit, author = r[:7]
        out.append({"year": year, "scope": scope, "low": low, "central": central, "high": high, "unit": unit,
                    "source_title": f"{author} post", "author": author, "url": f"https://example.org/{author[0]}",
                    "method_note": r[7] if len(r) > 7 else None})  # fmt: skip
    return pl.DataFrame(out, schema=estimates.SCHEMA)


def positions(rows: list[tuple]) -> pl.DataFrame:
    """(year, role, n_people)."""
    return pl.DataFrame(
        [(y, "nonprofit", role, n) for y, role, n in rows],
        schema={"year": pl.Int32, "org_type": pl.String, "role": pl.String, "n_people": pl.Int64},
        orient="row",
    )


def fits(rows: list[tuple]) -> pl.DataFrame:
    """(series, growth, low, high)."""
    return pl.DataFrame(
        [(s, 2010, 2025, g, lo, hi, 3.0, 16) for s, g, lo, hi in rows], schema=growth.FIT_SCHEMA, orient="row"
    )


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    out, m = [], start
    while m <= end:
        out.append(m)
        m = D(m.year + m.month // 12, m.month % 12 + 1, 1)
    return out


def neglectedness(months: list[dt.date], n_ai: int = 1000, broad: int = 20, narrow: int = 5) -> pl.DataFrame:
    return pl.DataFrame(
        [(m, n_ai, "arxiv_api", broad, narrow, broad / n_ai, narrow / n_ai) for m in months],
        schema={"month": pl.Date, "n_ai_papers": pl.Int64, "denominator_source": pl.String,
                "n_safety_broad": pl.Int64, "n_safety_narrow": pl.Int64, "share_broad": pl.Float64,
                "share_narrow": pl.Float64},
        orient="row",
    )  # fmt: skip


def origins(months: list[dt.date], per_month: dict[str, int], definition: str = "narrow") -> pl.DataFrame:
    return pl.DataFrame(
        [(m, definition, o, n) for m in months for o, n in per_month.items()],
        schema={"month": pl.Date, "definition": pl.String, "origin": pl.String, "n_papers": pl.Int64},
        orient="row",
    )


def cells(rows: list[tuple]) -> pl.DataFrame:
    """(in_ai, broad, origin, n) in one month."""
    return pl.DataFrame(
        [(D(2025, 5, 1), a, b, False, None, o, n) for a, b, o, n in rows], schema=metrics.CELLS_SCHEMA, orient="row"
    )


def inputs(**tables) -> claims.ClaimInputs:
    empty = {
        "estimates": pl.DataFrame(schema=estimates.SCHEMA),
        "positions": positions([]),
        "growth": fits([]),
        "authors": pl.DataFrame(schema=metrics.AUTHORS_SCHEMA),
        "neglectedness": neglectedness([]),
        "origins": origins([], {}),
        "cells": pl.DataFrame(schema=metrics.CELLS_SCHEMA),
    }
    return claims.ClaimInputs(**{**empty, **tables}, today=TODAY)


def verdict(fragment: str, data: claims.ClaimInputs) -> claims.Finding:
    (claim,) = [c for c in claims.CLAIMS if fragment in c.claim]
    finding = claim.evaluate(data)
    assert finding.verdict in claims.VERDICTS and finding.data_says
    json.dumps(finding.numbers, default=str)
    return finding


def test_evidence_helpers():
    assert claims.combine([]) == "not_testable"
    assert claims.combine([True, True]) == "supported"
    assert claims.combine([False]) == "contradicted"
    assert claims.combine([True, False]) == "mixed"
    assert claims.within_range(250, 100, 200) and not claims.within_range(251, 100, 200)
    assert claims.within_range(75, 100, 200) and not claims.within_range(74, 100, 200)
    assert claims.about(75, 50) and not claims.about(76, 50) and not claims.about(33, 50)
    assert claims.below(124, 100) and not claims.below(125, 100)
    assert claims.coverage_share([D(2025, 1, 1), D(2025, 3, 1)], D(2025, 1, 1), D(2025, 4, 1)) == 0.5


MCALEESE = [
    (2015, "technical", None, 50.0, None, "FTE", "McAleese"),
    (2022, "technical", None, 300.0, None, "FTE", "McAleese"),
]
HILTON = [(2023, "technical", 76.0, 196.0, 536.0, "FTE", "Hilton")]
LEVIN = [
    (2022, "technical", 100.0, None, 200.0, "FTE", "Trevor Levin"),
    (2025, "technical", None, None, 1000.0, "FTE_forecast", "Trevor Levin"),
]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [(MCALEESE + LEVIN, "contradicted"), (MCALEESE + HILTON + LEVIN, "mixed"), (HILTON + LEVIN, "supported"),
     (LEVIN, "not_testable")],
)  # fmt: skip
def test_100_to_200_in_2022_against_other_authors(rows, expected):
    finding = verdict("100-200", inputs(estimates=estimate_rows(rows), positions=positions([(2022, "technical", 491)])))
    assert finding.verdict == expected
    assert finding.numbers["aiwatch_people_technical"] == 491
    assert all(e["source"] != "Trevor Levin" for e in finding.numbers["estimates"])


def test_2017_and_2018_use_interpolated_series():
    mixed = verdict("in 2017", inputs(estimates=estimate_rows(MCALEESE)))
    assert mixed.verdict == "mixed"  # 2017: 121 < 125 agrees; 2018: 157 is not about 50
    assert mixed.numbers["estimates_2017"][0]["central"] == pytest.approx(50 + 250 * 2 / 7)
    low = [
        (2015, "technical", None, 30.0, None, "FTE", "Filan"),
        (2022, "technical", None, 100.0, None, "FTE", "Filan"),
    ]
    assert verdict("in 2017", inputs(estimates=estimate_rows(low))).verdict == "supported"
    high = [(2016, "technical", None, 300.0, None, "FTE", "X"), (2019, "technical", None, 400.0, None, "FTE", "X")]
    assert verdict("in 2017", inputs(estimates=estimate_rows(high))).verdict == "contradicted"


def test_forecast_under_1000_uses_the_forecast_year():
    rows = [*LEVIN, (2025, "technical", None, 629.0, None, "FTE", "McAleese")]
    finding = verdict("less than 1,000", inputs(estimates=estimate_rows(rows)))
    assert (finding.verdict, finding.numbers["year"]) == ("supported", 2025)
    rows = [*LEVIN, (2025, "technical", None, 1200.0, None, "FTE", "McAleese")]
    assert verdict("less than 1,000", inputs(estimates=estimate_rows(rows))).verdict == "contradicted"


def test_papers_per_day_needs_coverage_of_the_period():
    recent = months_between(D(2025, 1, 1), D(2025, 12, 1))
    per_day = origins(recent, {"academic": 70, "unknown": 50})  # 120 a month, about 4 a day
    partial = verdict("every day", inputs(neglectedness=neglectedness(recent), origins=per_day))
    assert partial.verdict == "mixed"
    assert partial.numbers["per_day_narrow"][2025] == pytest.approx(120 * 12 / 365)
    everything = months_between(D(2020, 1, 1), D(2025, 12, 1))
    full = inputs(neglectedness=neglectedness(everything), origins=origins(everything, {"academic": 120}))
    assert verdict("every day", full).verdict == "supported"
    sparse = inputs(neglectedness=neglectedness(everything), origins=origins(everything, {"academic": 30}))
    assert verdict("every day", sparse).verdict == "contradicted"
    assert verdict("every day", inputs()).verdict == "not_testable"


def authors(rows: list[tuple]) -> pl.DataFrame:
    """(year, definition, active, core)."""
    return pl.DataFrame([(y, d, a, c, 10 * a, 0.1) for y, d, a, c in rows], schema=metrics.AUTHORS_SCHEMA, orient="row")


def daily(months: list[dt.date], per_day: dict[int, tuple[int, int]]) -> pl.DataFrame:
    """Every day of `months`, with (narrow, broad) papers by day of the month (days not given have none)."""
    rows = [
        (D(m.year, m.month, day), *per_day[day])
        for m in months
        for day in range(1, 32)
        if day in per_day and day <= calendar.monthrange(m.year, m.month)[1]
    ]
    return pl.DataFrame(rows, schema=claims.DAILY_SCHEMA, orient="row")


HISTORY = months_between(D(2007, 4, 1), D(2025, 12, 1))  # a multi-year warehouse, as from arXiv's full snapshot


def test_papers_per_day_reports_each_year_from_daily_counts_when_covered():
    since = [m for m in HISTORY if m >= D(2020, 1, 1)]
    # 2 narrow (4 broad) papers on days 1-20 of each month, 1 (1) on days 21-25: 45 narrow papers a month
    per_day = {**{d: (2, 4) for d in range(1, 21)}, **{d: (1, 1) for d in range(21, 26)}}
    data = inputs(
        neglectedness=neglectedness(HISTORY),
        origins=pl.concat([origins(since, {"academic": 45}), origins(since, {"academic": 90}, "broad")]),
        daily=daily(since, per_day),
    )
    finding = verdict("every day", data)
    assert finding.verdict == "contradicted"  # 45 a month is about 1.5 a day on average
    assert finding.numbers["per_day_narrow"][2021] == pytest.approx(45 * 12 / 365)
    assert finding.numbers["share_days_2plus_narrow"][2021] == pytest.approx(20 * 12 / 365)
    assert finding.numbers["share_days_2plus_broad"][2020] == pytest.approx(20 * 12 / 366)
    assert finding.numbers["not_covered_years"] == []
    assert "2021: 1.5 a day, 2+ on 66% of days (broad 3.0, 2+ on 66%)" in finding.data_says
    assert "does not cover" not in finding.data_says
    json.loads(claims.claims_check(data, {}).filter(pl.col("claim").str.contains("every day"))["numbers"][0])


def test_papers_per_day_says_plainly_which_years_are_not_covered():
    recent = months_between(D(2024, 1, 1), D(2025, 12, 1))
    finding = verdict(
        "every day", inputs(neglectedness=neglectedness(recent), origins=origins(recent, {"academic": 120}))
    )
    assert finding.verdict == "mixed"  # every covered year passes, but 2020-2023 are not covered
    assert finding.numbers["not_covered_years"] == [2020, 2021, 2022, 2023]
    assert "2024: 3.9 a day" in finding.data_says and "2020:" not in finding.data_says
    assert "the warehouse does not cover 2020-2023, so those years are not testable" in finding.data_says
    assert "no papers dated to the day" in finding.data_says  # no daily counts given
    nothing = verdict("every day", inputs())
    assert nothing.verdict == "not_testable"
    assert nothing.data_says.startswith("The warehouse does not cover 2020-2025")


def test_headcount_claims_report_safety_authors_when_the_years_are_covered():
    counts = authors(
        [(2017, "narrow", 85, 30), (2017, "broad", 400, 120), (2018, "narrow", 110, 40), (2018, "broad", 480, 150),
         (2022, "narrow", 900, 300), (2022, "broad", 3000, 900)]
    )  # fmt: skip
    data = inputs(estimates=estimate_rows(MCALEESE + LEVIN), neglectedness=neglectedness(HISTORY), authors=counts)
    early = verdict("in 2017", data)
    assert early.verdict == "mixed"  # decided by the estimates, as without papers
    assert early.numbers["2017"]["narrow_authors_active"] == 85
    assert early.numbers["2017"]["broad_authors_active"] == 400
    assert early.numbers["2018"]["narrow_authors_core"] == 40
    assert early.numbers["2017"]["authors_window_coverage"] == 1.0
    assert (
        "In the papers, 85 authors had a narrow safety paper, 400 a broad one and 30 had 2+ narrow ones in the 24 "
        "months to the end of 2017"
    ) in early.data_says
    later = verdict("100-200", data)
    assert later.numbers["narrow_authors_active"] == 900
    assert "900 authors had a narrow safety paper" in later.data_says


def test_headcount_claims_say_plainly_when_the_years_are_not_covered():
    counts = authors([(2017, "narrow", 5, 1), (2022, "narrow", 50, 10)])  # rows exist, but months are too few
    recent = months_between(D(2022, 7, 1), D(2025, 12, 1))  # half of 2021-2022, nothing of 2016-2018
    data = inputs(estimates=estimate_rows(MCALEESE + LEVIN), neglectedness=neglectedness(recent), authors=counts)
    early = verdict("in 2017", data)
    assert "The warehouse does not cover 2017 (2016-2017), so no author count" in early.data_says
    assert "The warehouse does not cover 2018 (2017-2018), so no author count" in early.data_says
    assert early.numbers["2017"]["narrow_authors_active"] is None
    later = verdict("100-200", data)
    assert "The warehouse covers only 25% of the months of 2021-2022, fewer than the 80% an author count needs" in (
        later.data_says
    )
    assert later.numbers["narrow_authors_active"] is None


def test_thousands_since_2020_by_year_and_the_years_not_covered():
    recent = months_between(D(2023, 1, 1), D(2025, 12, 1))
    finding = verdict(
        "thousands upon thousands", inputs(neglectedness=neglectedness(recent), origins=origins(recent, {"x": 100}))
    )
    assert finding.verdict == "supported"  # 3,600
    assert finding.numbers["narrow_by_year"] == {2023: 1200, 2024: 1200, 2025: 1200}
    assert "the warehouse does not cover 2020-2022" in finding.data_says


def test_thousands_since_2020():
    everything = months_between(D(2020, 1, 1), D(2025, 12, 1))
    many = inputs(neglectedness=neglectedness(everything), origins=origins(everything, {"academic": 40}))
    assert verdict("thousands upon thousands", many).verdict == "supported"  # 72 x 40 = 2,880
    few = inputs(neglectedness=neglectedness(everything), origins=origins(everything, {"academic": 20}))
    assert verdict("thousands upon thousands", few).verdict == "contradicted"
    recent = everything[-12:]
    partial = inputs(neglectedness=neglectedness(recent), origins=origins(recent, {"academic": 20}))
    assert verdict("thousands upon thousands", partial).verdict == "not_testable"


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ({"academic": 80, "frontier_lab": 20}, "mixed"),  # output half supported, reading half not testable
        ({"academic": 30, "mixed": 10, "frontier_lab": 60}, "contradicted"),
        ({"academic": 60, "frontier_lab": 40}, "mixed"),
        ({"academic": 4, "unknown": 96}, "not_testable"),
    ],
)
def test_academia_versus_labs(shares, expected):
    months = [D(2025, 5, 1)]
    finding = verdict("vast majority", inputs(origins=origins(months, shares)))
    assert finding.verdict == expected
    if expected != "not_testable":
        assert finding.numbers["reading_part"] == "not_testable"


def _citations(top_lab: int, rest_lab: int, n: int = 300) -> pl.DataFrame:
    """n narrow papers with citations n..1: the top tenth has top_lab lab papers, the rest rest_lab."""
    n_top = n // 10
    lab = [i < top_lab for i in range(n_top)] + [i < rest_lab for i in range(n - n_top)]
    return pl.DataFrame(
        {
            "cited_by_count": list(range(n, 0, -1)),
            "has_frontier_lab_author": lab,
            "has_academic_author": [not x for x in lab],
            "any_placed": [True] * n,
        },
        schema=claims.CITATIONS_SCHEMA,
    )


@pytest.mark.parametrize(
    ("top_lab", "rest_lab", "reading", "overall"),
    [
        (20, 30, "supported", "supported"),  # 20 of the 30 most cited have a lab author
        (2, 60, "contradicted", "contradicted"),  # labs rarer among the most cited: "A and B" fails
        (10, 30, "mixed", "mixed"),  # over-represented, not a majority
    ],
)
def test_the_reading_half_uses_the_most_cited_tenth(top_lab, rest_lab, reading, overall):
    months = [D(2025, 5, 1)]
    data = inputs(
        origins=origins(months, {"academic": 80, "frontier_lab": 20}), citations=_citations(top_lab, rest_lab)
    )
    finding = verdict("vast majority", data)
    assert finding.numbers["reading_part"] == reading and finding.verdict == overall
    assert "Of the 30 most-cited narrow safety papers (271+ citations" in finding.data_says
    few = inputs(origins=origins(months, {"academic": 80, "frontier_lab": 20}), citations=_citations(20, 30, n=100))
    assert verdict("vast majority", few).numbers["reading_part"] == "not_testable"


@pytest.mark.parametrize(("low", "high", "expected"), [(0.15, 0.25, "supported"), (0.25, 0.31, "contradicted")])
def test_fte_growth_claim_against_the_fitted_interval(low, high, expected):
    data = inputs(
        estimates=estimate_rows([(2025, "technical", None, 21.0, None, "FTE growth %/yr", "McAleese")]),
        growth=fits([("aiwatch_positions_technical", (low + high) / 2, low, high)]),
    )
    assert verdict("FTEs grows", data).verdict == expected
    assert verdict("FTEs grows", inputs()).verdict == "not_testable"


def test_organisation_growth_against_aiwatch_organisations():
    rows = estimate_rows([(2025, "technical", None, 24.0, None, "organizations growth %/yr", "McAleese")])
    data = inputs(estimates=rows, growth=fits([("aiwatch_organizations", 0.16, 0.14, 0.17)]))
    assert verdict("organisations grows", data).verdict == "contradicted"


@pytest.mark.parametrize(("broad", "expected"), [(25, "supported"), (180, "contradicted")])
def test_two_percent_of_ai_research(broad, expected):
    rows = estimate_rows([(2023, "other", None, 2.0, None, "percent of AI papers", "ETO")])
    data = inputs(estimates=rows, neglectedness=neglectedness([D(2025, 5, 1)], broad=broad))
    assert verdict("2% of all AI", data).verdict == expected
    assert verdict("2% of all AI", inputs(estimates=rows)).verdict == "not_testable"


def test_two_percent_quotes_the_judged_sample():
    rows = estimate_rows([(2023, "other", None, 2.0, None, "percent of AI papers", "ETO")])
    judged = pl.DataFrame({"narrow": ["yes", "no", "no", "borderline"], "broad": ["yes", "yes", "no", "yes"]})
    data = inputs(estimates=rows, neglectedness=neglectedness([D(2025, 5, 1)], broad=25), judged=judged)
    finding = verdict("2% of all AI", data)
    assert "4 random AI papers of the shipped corpus are 75.0% broad and 25.0% narrow" in finding.data_says
    assert "LLM sessions" in finding.data_says
    assert finding.numbers["judged_broad"] == 0.75 and finding.numbers["judged_narrow"] == 0.25


def _company_shares(safety: tuple[int, int], ai: tuple[int, int], placed: float = 0.6) -> pl.DataFrame:
    """origin_shares_yearly from involvement cells: (company papers, other placed papers) for safety and AI."""
    from pipelines.lib.origin_shares import origin_shares_yearly

    def cell(safe: bool, company: bool, n: int) -> dict:
        return {
            "month": D(2025, 5, 1), "in_ai": True, "is_safety_broad": safe, "is_safety_narrow": safe,
            "origin": "industry" if company else "academic", "first_author_class": "unknown", "any_placed": True,
            "has_frontier_lab_author": False, "has_industry_author": company, "has_academic_author": not company,
            "has_nonprofit_author": False, "has_government_author": False, "n_papers": n,
        }  # fmt: skip

    rows = [
        cell(True, True, safety[0]),
        cell(True, False, safety[1]),
        cell(False, True, ai[0]),
        cell(False, False, ai[1]),
    ]
    unplaced = int((sum(safety) + sum(ai)) * (1 - placed) / placed)
    rows.append({**cell(False, False, unplaced), "any_placed": False, "has_academic_author": False})
    return origin_shares_yearly(pl.DataFrame(rows))


def test_company_authorship_compares_papers_with_a_company_author_with_intervals():
    more = inputs(shares=_company_shares(safety=(110, 890), ai=(600, 9400)))  # 11% against 6%
    finding = verdict("company authors", more)
    assert finding.verdict == "supported"
    assert "11.0% (95% interval" in finding.data_says and "against 6.5%" in finding.data_says  # AI includes safety
    less = inputs(shares=_company_shares(safety=(20, 980), ai=(600, 9400)))
    assert verdict("company authors", less).verdict == "contradicted"
    close = inputs(shares=_company_shares(safety=(6, 94), ai=(600, 9400)))  # 6% of 100 papers: inside the noise
    assert verdict("company authors", close).verdict == "mixed"
    sparse = inputs(shares=_company_shares(safety=(110, 890), ai=(600, 9400), placed=0.05))
    assert verdict("company authors", sparse).verdict == "not_testable"
    assert verdict("company authors", inputs()).verdict == "not_testable"


def test_period_growth_needs_both_years_covered():
    rows = estimate_rows([(2023, "other", None, 312.0, None, "percent growth over period", "ETO", "from 2018 to 2023")])
    uncovered = verdict("312%", inputs(estimates=rows))
    assert uncovered.verdict == "not_testable"
    assert uncovered.data_says.startswith("The warehouse does not cover 2018; the warehouse does not cover 2023")
    both = months_between(D(2018, 1, 1), D(2018, 12, 1)) + months_between(D(2023, 1, 1), D(2023, 12, 1))
    grown = pl.concat([neglectedness(both[:12], broad=10), neglectedness(both[12:], broad=41)])
    assert verdict("312%", inputs(estimates=rows, neglectedness=grown)).verdict == "supported"  # 120 -> 492
    flat = neglectedness(both, broad=10)
    assert verdict("312%", inputs(estimates=rows, neglectedness=flat)).verdict == "contradicted"


@pytest.mark.parametrize(
    ("technical", "other", "unknown", "expected"),
    [(40, 60, 10, "supported"), (60, 40, 10, "contradicted"), (50, 50, 0, "mixed"), (10, 10, 100, "not_testable")],
)
def test_majority_of_roles_non_technical(technical, other, unknown, expected):
    table = positions([(2025, "technical", technical), (2025, "non_technical", other), (2025, "unknown", unknown),
                       (2026, "technical", 1)])  # fmt: skip
    finding = verdict("Most AI safety roles", inputs(positions=table))
    assert finding.verdict == expected
    assert finding.numbers["year"] == 2025  # the current, incomplete year is skipped


def test_sources_from_front_matter_or_first_line(tmp_path):
    (tmp_path / "000_a.txt").write_text('---\ntitle: "A post"\nsource: "https://example.org/a"\nauthor:\n---\nBody')
    (tmp_path / "001_b.txt").write_text(
        "\n(Even) More Early-Career EAs Should Try AI Safety Technical Research\n\nText"
    )
    (tmp_path / "002_c.txt").write_text("Untitled thoughts\nmore")
    sources = pipeline_inputs.claim_sources(tmp_path)
    assert sources["000"] == claims.Source("A post", "https://example.org/a")
    assert sources["001"].url.startswith("https://forum.effectivealtruism.org/")
    assert sources["002"].label() == "Untitled thoughts (no URL given)"
    assert pipeline_inputs.claim_sources(tmp_path / "missing") == {}


@pytest.mark.skipif(not pipeline_inputs.claim_documents_dir().is_dir(), reason="seed documents not available")
def test_every_quoted_claim_is_in_its_seed_document():
    documents = pipeline_inputs.claim_documents_dir().glob("*.txt")
    texts = {p.name.split("_", 1)[0]: " ".join(p.read_text().split()) for p in documents}
    for claim in claims.CLAIMS:
        if claim.document is not None:
            assert " ".join(claim.quote.split()) in texts[claim.document], claim.claim
        else:
            assert claim.estimate_unit in set(pipeline_inputs.estimates()["unit"])


def test_claims_check_table():
    rows = estimate_rows(MCALEESE + HILTON + LEVIN + [(2023, "other", None, 2.0, None, "percent of AI papers", "ETO")])
    sources = {"004": claims.Source("Doc four", "https://example.org/4"), "003": claims.Source("Doc three")}
    stamp = dt.datetime(2026, 1, 15, 12)
    table = claims.claims_check(inputs(estimates=rows), sources=sources, computed_at=stamp)
    assert table.schema == pl.Schema(claims.CLAIMS_SCHEMA)
    assert table.height == len(claims.CLAIMS)
    assert set(table["verdict"]) <= set(claims.VERDICTS)
    assert (table["computed_at"] == stamp).all()
    by_claim = {r["claim"]: r for r in table.to_dicts()}
    assert by_claim[claims.CLAIMS[0].claim]["source"] == "Doc four — https://example.org/4"
    two_percent = next(r for c, r in by_claim.items() if "2% of all AI" in c)
    assert two_percent["source"] == "ETO post (ETO) — https://example.org/E"
    for r in table.to_dicts():
        json.loads(r["numbers"])
        assert not re.search(r"\bnan\b", r["numbers"], flags=re.IGNORECASE)


def test_an_unknown_verdict_is_refused():
    bad = claims.Claim("x", lambda _: claims.Finding("says", "probably", {}))
    with pytest.raises(ValueError, match="probably"):
        claims.claims_check(inputs(), sources={}, claims=(bad,))
