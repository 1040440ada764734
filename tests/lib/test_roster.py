"""The author-to-organisation roster from AI Watch position records."""

import datetime as dt

import polars as pl
import pytest

from pipelines import inputs, settings
from pipelines.lib.roster import OPEN_END, PUBLICATION_LAG_DAYS, build_roster

COLUMNS = [
    "person",
    "organization",
    "title",
    "start_date",
    "start_date_precision",
    "end_date",
    "end_date_precision",
    "employment_type",
    "cause_area",
]


def _positions(*rows: tuple) -> pl.DataFrame:
    return pl.DataFrame([dict(zip(COLUMNS, r, strict=True)) for r in rows], schema=dict.fromkeys(COLUMNS, pl.String))


LAG = dt.timedelta(days=PUBLICATION_LAG_DAYS)


def roster_of(positions: pl.DataFrame) -> pl.DataFrame:
    return build_roster(positions, inputs.organizations())


def _one(frame: pl.DataFrame, person: str) -> dict:
    rows = frame.filter(pl.col("person") == person)
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_dates_are_bounded_at_their_precision():
    roster = roster_of(
        _positions(
            ("Ada Month", "OpenAI", "Researcher", "2019-03-15", "month", "2020-02-10", "month", "", "AI safety"),
            ("Bo Year", "Anthropic", "Researcher", "2021-06-01", "year", "2022-03-01", "year", "", "AI safety"),
            ("Cy Multi", "MIRI", "Research Fellow", "2015-01-01", "multi-year", "2017-01-01", "multi-year", "", ""),
            ("Di Day", "Redwood Research", "Engineer", "2022-05-17", "day", "", "", "full-time", "AI safety"),
        )
    )
    ada, bo, cy, di = (_one(roster, p) for p in ("Ada Month", "Bo Year", "Cy Multi", "Di Day"))
    assert (ada["valid_from"], ada["valid_to"]) == (dt.date(2019, 3, 1), dt.date(2020, 2, 29) + LAG)
    assert (bo["valid_from"], bo["valid_to"]) == (dt.date(2021, 1, 1), dt.date(2022, 12, 31) + LAG)
    assert (cy["valid_from"], cy["valid_to"]) == (dt.date(2014, 1, 1), dt.date(2018, 12, 31) + LAG)
    assert (di["valid_from"], di["valid_to"]) == (dt.date(2022, 5, 17), OPEN_END)
    assert (ada["organization"], ada["origin"]) == ("OpenAI", "frontier_lab")
    assert (cy["organization"], cy["origin"]) == ("Machine Intelligence Research Institute", "nonprofit")


def test_rows_that_cannot_be_bounded_or_placed_are_dropped():
    roster = roster_of(
        _positions(
            ("No Start", "OpenAI", "Researcher", "", "", "2020-01-01", "month", "", ""),
            ("Bad End", "OpenAI", "Researcher", "2019-01-01", "month", "2020-13-45", "month", "", ""),
            ("Not Seeded", "Fish Welfare Initiative", "Researcher", "2019-01-01", "month", "", "", "", ""),
            ("Board Person", "OpenAI", "Board Member", "2019-01-01", "month", "", "", "", ""),
            ("Advising Person", "Anthropic", "Researcher", "2019-01-01", "month", "", "", "Advisor", ""),
            ("Mononym", "OpenAI", "Researcher", "2019-01-01", "month", "", "", "", ""),
            ("Alex S.", "OpenAI", "Researcher", "2019-01-01", "month", "", "", "", ""),
            ("Kept Here", "OpenAI", "Researcher", "2019-01-01", "month", "", "", "", ""),
        )
    )
    assert roster["person"].to_list() == ["Kept Here"]


def test_names_are_normalised_like_paper_authors():
    roster = roster_of(
        _positions(("Amanda (Lipson) Kelley", "Anthropic", "Engineer", "2023-01-01", "month", "", "", "", "")).vstack(
            _positions(("José Hernández-Orallo", "CSER", "Researcher", "2018-01-01", "year", "", "", "", ""))
        )
    )
    assert sorted(roster["name_normalized"].to_list()) == ["amanda kelley", "jose hernandez orallo"]


@pytest.mark.parametrize(
    ("title", "employment", "tier"),
    [
        ("Research Scientist", "", 2),
        ("Member of Technical Staff", "full-time", 2),
        ("PhD Student", "", 2),
        ("Chief Operating Officer", "full-time", 1),
        ("Research Associate", "", 0),
        ("Research Affiliate", "", 0),
        ("Team member", "", 0),
        ("Research Fellow (on leave)", "", 0),
        ("Researcher", "affiliate", 0),
    ],
)
def test_role_tiers(title, employment, tier):
    roster = roster_of(_positions(("Sam Role", "OpenAI", title, "2020-01-01", "month", "", "", employment, "")))
    assert roster["role_tier"].to_list() == [tier]


@pytest.mark.parametrize(
    ("title", "employment", "junior", "senior"),
    [
        ("Research Intern", "", True, False),
        ("Software Engineer", "intern", True, False),
        ("PhD Student, Computer Science", "", True, False),
        ("Student Researcher and Team Lead", "", True, False),
        ("Research Scientist", "", False, False),
        ("Postdoctoral Research Scientist", "", False, False),
        ("Professor of Computer Science", "", False, True),
        ("Faculty (Computer Science)", "", False, True),
        ("VP of Research", "", False, True),
        ("Research Lead (Reasoning Team)", "", False, True),
        ("Faculty Affairs Coordinator", "", False, False),
        ("Head of Operations", "full-time", False, False),  # leads, but not research (tier 1)
    ],
)
def test_junior_and_senior_roles(title, employment, junior, senior):
    roster = roster_of(_positions(("Sam Role", "OpenAI", title, "2020-01-01", "month", "", "", employment, "")))
    assert roster.select("junior", "senior").row(0) == (junior, senior)


def test_real_roster_only_names_seed_organisations():
    path = settings.positions_path()
    if not path.is_file():
        pytest.skip(f"AI Watch positions not found at {path}")
    roster = inputs.roster(path)
    assert roster.height > 1000
    assert roster["origin"].is_in(["frontier_lab", "industry", "academic", "nonprofit", "government"]).all()
    assert (roster["valid_from"] <= roster["valid_to"]).all()
    assert roster["name_normalized"].str.contains(" ").all()
