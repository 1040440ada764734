"""AI Watch position records -> people per year: dates, open-ended spans, roles, one count per person-year."""

import datetime as dt

import polars as pl
import pytest

from pipelines import inputs, settings
from pipelines.lib import positions

COLUMNS = (
    "person", "organization", "title", "start_date", "start_date_precision", "end_date", "end_date_precision",
    "employment_type", "cause_area", "ai_safety_relation", "subject",
)  # fmt: skip


def records(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], schema=dict.fromkeys(COLUMNS, pl.String))


def row(person, org, title, start, end=None, **extra) -> dict:
    return {"person": person, "organization": org, "title": title, "start_date": start, "end_date": end,
            "cause_area": "AI safety", **extra}  # fmt: skip


ORG_TYPES = pl.DataFrame(
    {"organization": ["Lab", "Uni", "Policy Institute"], "org_type": ["frontier_lab", "academic", "nonprofit"]}
)


@pytest.mark.parametrize(
    ("text", "year"),
    [("2024-9-01", 2024), ("2017-01-01-", 2017), ("2019", 2019), ("2023-09-1", 2023), (None, None), ("", None)],
)
def test_imprecise_dates_give_their_year(text, year):
    frame = pl.DataFrame({"d": [text]}, schema={"d": pl.String})
    assert frame.select(positions.date_year("d")).item() == year


@pytest.mark.parametrize(
    ("title", "subject", "org", "role"),
    [
        ("Research Engineer", None, "Lab", "technical"),
        ("Member of Technical Staff", None, "Lab", "technical"),
        ("PhD Student", None, "Uni", "technical"),
        ("Policy Researcher", None, "Lab", "non_technical"),
        ("Research Fellow", None, "Centre for the Governance of AI", "non_technical"),
        ("Operations Manager", None, "Lab", "non_technical"),
        ("Team member", "technical research", "Lab", "technical"),
        ("Researcher", "popularization", "Lab", "non_technical"),
        ("Team member", None, "Lab", "unknown"),
        (None, None, "Lab", "unknown"),
    ],
)
def test_role_keywords(title, subject, org, role):
    frame = records([{"title": title, "subject": subject, "organization": org}])
    assert frame.select(positions.role_expr()).item() == role


def test_spans_handle_open_ended_bounded_and_excluded_rows():
    raw = records(
        [
            row("Ann", "Lab", "Research Scientist", "2020-03-01", "2021-6-01"),
            row("Ben", "Uni", "Operations Manager", "2024-9-01"),  # open-ended -> as_of
            row("Cat", "Uni", "Researcher", "2005-01-01"),  # open-ended, capped at start + MAX_OPEN_YEARS
            row("Dan", "Lab", "Researcher", None, "2022-01-01"),  # no start: dropped
            row("Eve", "Lab", "Advisor", "2020-01-01", employment_type="advisor"),  # not staff
            row("Fay", "Lab", "Board Member", "2020-01-01"),  # not staff (title)
            row("Gus", "Lab", "Researcher", "2020-01-01", ai_safety_relation="unrelated"),
            {**row("Hal", "Lab", "Researcher", "2020-01-01"), "cause_area": "Animal welfare"},
            row("Ivy", "Unknown Org", "Engineer", "2021-05-01", "2019-01-01"),  # end before start: start year only
        ]
    )
    spans = positions.position_spans(raw, ORG_TYPES, as_of=2026).sort("person")
    assert spans["person"].to_list() == ["Ann", "Ben", "Cat", "Ivy"]
    got = {r["person"]: (r["start_year"], r["end_year"], r["open_ended"], r["org_type"]) for r in spans.to_dicts()}
    assert got["Ann"] == (2020, 2021, False, "frontier_lab")
    assert got["Ben"] == (2024, 2026, True, "academic")
    assert got["Cat"] == (2005, 2005 + positions.MAX_OPEN_YEARS, True, "academic")
    assert got["Ivy"] == (2021, 2021, False, "unknown")


def test_people_per_year_counts_each_person_once_preferring_technical():
    raw = records(
        [
            row("Ann", "Lab", "Research Scientist", "2020-01-01", "2021-12-31"),
            row("Ann", "Policy Institute", "Operations Director", "2021-01-01", "2022-12-31"),
            row("Ben", "Uni", "Communications Lead", "2021", "2021", start_date_precision="year"),
            row("Cat", "Uni", "Team member", "2022-02-01", "2022-03-01"),
        ]
    )
    spans = positions.position_spans(raw, ORG_TYPES, as_of=2026)
    people = positions.people_per_year(spans)
    assert people.schema == pl.Schema(
        {"year": pl.Int32, "org_type": pl.String, "role": pl.String, "n_people": pl.Int64}
    )
    got = {(r["year"], r["org_type"], r["role"]): r["n_people"] for r in people.to_dicts()}
    assert got == {
        (2020, "frontier_lab", "technical"): 1,
        (2021, "frontier_lab", "technical"): 1,  # Ann's technical job wins over her operations job in 2021
        (2021, "academic", "non_technical"): 1,
        (2022, "nonprofit", "non_technical"): 1,
        (2022, "academic", "unknown"): 1,
    }
    orgs = positions.organizations_per_year(spans)
    assert dict(orgs.iter_rows()) == {2020: 1, 2021: 3, 2022: 2}


def test_as_of_year_is_latest_date_capped_at_today():
    raw = records([row("Ann", "Lab", "Researcher", "2019-01-01", "2023-04-01"), row("Ben", "Lab", "x", "2030-01-01")])
    assert positions.as_of_year(raw, today=dt.date(2026, 5, 1)) == 2026
    assert positions.as_of_year(raw.head(1), today=dt.date(2026, 5, 1)) == 2023


def test_organization_types_match_the_seed_and_default_to_unknown():
    types = positions.organization_types(
        pl.Series(["OpenAI", "Surely Not An Organisation Xyz", "OpenAI"]), inputs.organizations()
    )
    got = dict(types.iter_rows())
    assert got == {"OpenAI": "frontier_lab", "Surely Not An Organisation Xyz": "unknown"}


@pytest.mark.skipif(not settings.positions_path().exists(), reason="AI Watch file not available")
def test_real_file_gives_one_row_per_person_year():
    raw = inputs.positions()
    spans = positions.position_spans(raw, positions.organization_types(raw["organization"], inputs.organizations()))
    years = positions.person_years(spans)
    assert years.select(pl.struct("person", "year").is_unique().all()).item()
    people = positions.people_per_year(spans)
    assert set(people["role"].unique()) <= set(positions.ROLES)
    assert people.group_by("year").agg(pl.col("n_people").sum())["n_people"].max() < spans["person"].n_unique()
