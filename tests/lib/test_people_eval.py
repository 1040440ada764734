"""The author-level check of the conference records against AI Watch, on hand-made frames."""

import datetime as dt

import polars as pl

from pipelines.lib import people_eval
from pipelines.lib.organizations import parse_organizations
from pipelines.lib.people import PLACES_SCHEMA
from pipelines.lib.roster import OPEN_END, ROSTER_SCHEMA

# A non-profit that was an academic centre until the end of 2019 (the seed's former_type).
ORGANIZATIONS = parse_organizations(
    pl.DataFrame(
        {
            "name": ["Acme Safety Centre"],
            "aliases": [""],
            "type": ["nonprofit"],
            "country": ["GB"],
            "domains": [""],
            "former_type": ["academic until 2019-12-31"],
        }
    )
)
ROSTER = pl.DataFrame(
    [("fay gold", "Fay Gold", "Acme Safety Centre", "nonprofit", "nonprofit", dt.date(2018, 1, 1), OPEN_END,
      "Research Scientist", 2, False, False)],
    schema=ROSTER_SCHEMA,
    orient="row",
)  # fmt: skip
PLACES = pl.DataFrame(
    [("fay gold", "~Fay1", "Acme Safety Centre", None, "nonprofit", "seed name", None, 2022, "openreview", 1)],
    schema=PLACES_SCHEMA,
    orient="row",
)


def test_the_truth_is_the_class_the_organisation_had_that_year():
    gold = people_eval.person_years(ROSTER, PLACES, ORGANIZATIONS)
    truth = dict(gold.select(pl.col("published_date").dt.year(), "truth").iter_rows())
    assert truth[2018] == truth[2019] == "academic"
    assert truth[2020] == truth[2022] == "nonprofit"


def test_scored_person_years_carry_split_truth_and_the_records_answer():
    scored = people_eval.score(ROSTER, PLACES, ORGANIZATIONS, None, lambda name: "test")
    row = scored.filter(pl.col("published_date") == dt.date(2022, 7, 1)).row(0, named=True)
    assert (row["split"], row["truth"], row["predicted"], row["gap"]) == ("test", "nonprofit", "nonprofit", 0)
