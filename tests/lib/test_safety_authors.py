"""The AI-safety researcher list from AI Watch positions, and matching a paper's authors against it."""

import polars as pl

from pipelines import inputs
from pipelines.lib.safety_authors import (
    common_names,
    researchers_sha256,
    safety_authors,
    safety_researchers,
)


def _positions(rows: list[tuple[str, str, str, str, str]]) -> pl.DataFrame:
    """(person, title, employment_type, cause_area, ai_safety_relation) rows in the AI Watch CSV's columns."""
    return pl.DataFrame(
        [
            {
                "person": person,
                "organization": "Some Org",
                "title": title,
                "start_date": "2020-01-01",
                "start_date_precision": "day",
                "end_date": "",
                "end_date_precision": "",
                "employment_type": employment,
                "cause_area": cause,
                "ai_safety_relation": relation,
                "subject": "",
            }
            for person, title, employment, cause, relation in rows
        ]
    )


def test_only_counted_ai_safety_positions_with_unambiguous_names():
    positions = _positions(
        [
            ("Jan Leike", "Researcher", "full-time", "AI safety", ""),
            ("Jan Leike", "Team lead", "full-time", "AI safety", ""),  # one name, one row
            ("Paul Christiano", "Researcher", "full-time", " AI safety ", ""),
            ("Amanda (Lipson) Kelley", "Operations", "full-time", "AI safety", ""),
            ("Ann Board", "Board member", "board member", "AI safety", ""),  # governance, not a researcher
            ("Gene Health", "Researcher", "full-time", "Global health and poverty", ""),
            ("Una Related", "Accountant", "full-time", "AI safety", "unrelated"),
            ("Madonna", "Researcher", "full-time", "AI safety", ""),  # one token: ambiguous
            ("Alex S.", "Researcher", "full-time", "AI safety", ""),  # an initial as last word: ambiguous
            ("J. Smith", "Researcher", "full-time", "AI safety", ""),  # an initial as first word: ambiguous
            ("Cullen O'Keefe", "Researcher", "full-time", "AI safety", ""),  # a letter inside the name stays
            ("Noah D. Goodman", "Researcher", "full-time", "AI safety", ""),
        ]
    )
    out = safety_researchers(positions)
    assert out.to_dicts() == [
        {"name_normalized": "amanda kelley", "person": "Amanda (Lipson) Kelley"},
        {"name_normalized": "cullen o keefe", "person": "Cullen O'Keefe"},
        {"name_normalized": "jan leike", "person": "Jan Leike"},
        {"name_normalized": "noah d goodman", "person": "Noah D. Goodman"},
        {"name_normalized": "paul christiano", "person": "Paul Christiano"},
    ]


def test_authors_are_matched_by_normalised_name_in_author_order():
    researchers = pl.DataFrame({"name_normalized": ["jan leike", "paul christiano"], "person": ["Jan Leike", "P. C."]})
    base = pl.DataFrame(
        {
            "_row": [0, 1, 2, 3],
            "authors": [["paul christiano", "someone else", "jan leike"], ["someone else"], [], None],
        },
        schema={"_row": pl.UInt32, "authors": pl.List(pl.String)},
    )
    assert safety_authors(base, researchers).to_list() == [["P. C.", "Jan Leike"], [], [], []]
    assert safety_authors(base, None).to_list() == [[], [], [], []]
    assert safety_authors(base.drop("authors"), researchers).to_list() == [[], [], [], []]


def test_the_fingerprint_follows_the_names_only():
    a = pl.DataFrame({"name_normalized": ["jan leike", "paul christiano"], "person": ["x", "y"]})
    assert researchers_sha256(a) == researchers_sha256(a.reverse())
    assert researchers_sha256(a) != researchers_sha256(a.head(1))


def test_a_missing_positions_file_means_no_researchers(tmp_path):
    assert inputs.safety_researchers(tmp_path / "absent.csv").is_empty()


def test_the_shared_positions_file_yields_researchers():
    researchers = inputs.safety_researchers()
    assert researchers.height > 1000
    assert researchers["name_normalized"].is_unique().all()


def test_names_that_many_people_carry_are_common():
    """10,000 rare names, and 2,000 more sharing 'yang' or 'liu': "yang liu" is expected ~57 times over."""
    names = [f"f{i} l{j}" for i in range(100) for j in range(100)]
    names += [f"yang x{k}" for k in range(1000)] + [f"y{k} liu" for k in range(1000)] + ["yang liu", "jan leike"]
    authors = pl.DataFrame({"name_normalized": names})
    researchers = pl.DataFrame({"name_normalized": ["yang liu", "jan leike", "grace hopper"], "person": ["", "", ""]})
    assert common_names(researchers, authors) == ["yang liu"]  # grace hopper: not among the authors, not common
    assert common_names(researchers, authors.head(500)) == []  # too few names to judge anybody
