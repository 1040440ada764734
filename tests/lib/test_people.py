"""People and places: conference author records classed by organisation, and an author's place at a paper's date."""

import datetime as dt

import polars as pl

from pipelines import inputs
from pipelines.lib import origin
from pipelines.lib.names import normalize_name
from pipelines.lib.origin import classify_origin, involvement
from pipelines.lib.people import (
    author_places_at,
    class_places,
    classify_records,
    coverage,
    people_evidence,
    people_places,
    split_places,
)

D = dt.date
ACADEMIC_DOMAINS = {"ox.ac.uk", "robots.ox.ac.uk", "cs.uni-nowhere.de", "ethz.ch"}
FREE_MAIL = {"gmail.com", "163.com"}
CLASSIFIERS = {
    "organizations": inputs.organizations(),
    "is_academic": ACADEMIC_DOMAINS.__contains__,
    "is_free_mail": FREE_MAIL.__contains__,
}


def _records(*rows: tuple) -> pl.DataFrame:
    """rows: (year, name, openreview_id, affiliation, domain, position)"""
    columns = ["year", "name", "openreview_id", "affiliation", "affiliation_domain", "position"]
    return pl.DataFrame(
        [{"source": "openreview", **dict(zip(columns, r, strict=True))} for r in rows],
        schema={"source": pl.String, **dict.fromkeys(columns, pl.String)},
    )


def _places(*rows: tuple) -> pl.DataFrame:
    return people_places(_records(*rows), **CLASSIFIERS)


def test_joined_places_are_split_in_step_and_a_lone_domain_names_no_place_of_several() -> None:
    split = split_places(
        _records(
            (
                "2024",
                "Ada Lovelace",
                "~Ada1",
                "University of Oxford+Google",
                "ox.ac.uk+google.com",
                "PhD student+Intern",
            ),
            ("2023", "Bo Chen", None, "ETH Zurich+Google", "ethz.ch", "Professor"),
        )
    )
    rows = split.select("name_normalized", "affiliation", "domain", "career_stage").rows()
    assert rows == [
        ("ada lovelace", "University of Oxford", "ox.ac.uk", "PhD student"),
        ("ada lovelace", "Google", "google.com", "Intern"),
        ("bo chen", "ETH Zurich", None, "Professor"),  # which of the two places is ethz.ch's is not said
        ("bo chen", "Google", None, "Professor"),
    ]


def test_e_mail_addresses_are_dropped_from_places() -> None:
    split = split_places(
        _records(("2024", "Cy Dee", None, "IoTSC, University of Macau, cd123@um.edu.mo", "cd123@um.edu.mo", None))
    )
    assert split.select("affiliation", "domain").rows() == [("IoTSC, University of Macau", "um.edu.mo")]


def test_classes_come_from_seed_name_then_seed_domain_then_academic_domain_then_wording() -> None:
    places = split_places(
        _records(
            ("2024", "A One", None, "Google DeepMind", "google.com", None),  # seed name beats the google.com domain
            ("2024", "B Two", None, "Research Lab", "openai.com", None),  # seed domain
            ("2024", "C Three", None, "Dept. of CS", "cs.uni-nowhere.de", None),  # academic domain
            ("2024", "D Four", None, "Acme Widgets Inc.", "gmail.com", None),  # wording; free mail counts for nothing
            ("2024", "E Five", None, "Somewhere", "gmail.com", None),  # nothing
        )
    )
    classed = class_places(places, **CLASSIFIERS)
    got = {r["name_normalized"]: (r["org_class"], r["class_rule"]) for r in classed.iter_rows(named=True)}
    assert got == {
        "a one": ("frontier_lab", "seed name"),
        "b two": ("frontier_lab", "seed domain"),
        "c three": ("academic", "academic domain"),
        "d four": ("industry", "wording"),
        "e five": (None, None),
    }


def test_the_real_swot_list_knows_universities_and_free_mail() -> None:
    classed = class_places(
        split_places(
            _records(
                ("2024", "A One", None, None, "cs.stanford.edu", None), ("2024", "B Two", None, None, "gmail.com", None)
            )
        ),
        inputs.organizations(),
    )
    assert classed.sort("name_normalized")["org_class"].to_list() == ["academic", None]


def test_texts_naming_no_place_neither_class_nor_block_an_author() -> None:
    records = _records(
        ("2024", "Ann Bee", None, "1", None, None),  # a footnote mark
        ("2024", "Ann Bee", None, "Independent Researcher", "gmail.com", None),
        ("2024", "Ann Bee", None, "Dept. of Physics, Nowhere", "ethz.ch", None),
        ("2024", "Cal Dow", None, "Department of Computer Science", None, None),  # wording: a university department
        ("2024", "Cal Dow", None, "State Key Laboratory of Cognitive Intelligence", None, None),
    )
    classed = classify_records(records, **CLASSIFIERS)
    stats, _ = coverage(classed, min_names=1)
    assert stats["slots"] == 3 and stats["classed_slots"] == 3 and stats["slots_naming_no_place"] == 2
    places = people_places(records, **CLASSIFIERS)
    assert places.filter(pl.col("org_class").is_null()).is_empty()
    # Without the rule "1" and "Independent Researcher" would be unclassed places of 2024 and place nobody.
    assert _placed(places, 2024, "Ann Bee") == {"ann bee": ("academic", "ETH Zurich", 2024)}
    assert _placed(places, 2024, "Cal Dow")["cal dow"][0] == "academic"


def _paper(arxiv_id: str, year: int) -> pl.DataFrame:
    return pl.DataFrame({"arxiv_id": [arxiv_id], "published_date": [D(year, 6, 1)]})


def _authors(arxiv_id: str, *names: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "arxiv_id": [arxiv_id] * len(names),
            "name_normalized": [normalize_name(n) for n in names],
            "position": list(range(1, len(names) + 1)),
        },
        schema={"arxiv_id": pl.String, "name_normalized": pl.String, "position": pl.Int64},
    )


NOBODY = pl.DataFrame(schema={"name_normalized": pl.String})


def _placed(places: pl.DataFrame, year: int, *names: str, ambiguous: pl.DataFrame = NOBODY) -> dict[str, tuple]:
    out = author_places_at(_paper("p", year), _authors("p", *names), places, ambiguous)
    return {r["name_normalized"]: (r["origin"], r["organization"], r["year_seen"]) for r in out.iter_rows(named=True)}


def test_the_nearest_year_counts_earlier_preferred_and_stale_places_do_not() -> None:
    places = _places(
        ("2021", "Ada Lovelace", "~Ada1", "University of Oxford", "ox.ac.uk", "PhD student"),
        ("2025", "Ada Lovelace", "~Ada1", "Anthropic", "anthropic.com", "Researcher"),
    )
    assert _placed(places, 2023, "Ada Lovelace") == {"ada lovelace": ("academic", "University of Oxford", 2021)}
    assert _placed(places, 2024, "Ada Lovelace") == {"ada lovelace": ("frontier_lab", "Anthropic", 2025)}
    assert _placed(places, 2028, "Ada Lovelace") == {"ada lovelace": ("frontier_lab", "Anthropic", 2025)}
    assert _placed(places, 2029, "Ada Lovelace") == {}  # four years after the last record
    assert _placed(places, 2016, "Ada Lovelace") == {}  # five years before the first record


def test_a_student_interning_elsewhere_is_placed_at_the_university() -> None:
    places = _places(
        (
            "2024",
            "Ada Lovelace",
            "~Ada1",
            "University of Oxford+Google DeepMind",
            "ox.ac.uk+google.com",
            "PhD student+Intern",
        ),
    )
    assert _placed(places, 2024, "Ada Lovelace") == {"ada lovelace": ("academic", "University of Oxford", 2024)}


def test_conflicting_places_and_ambiguous_names_place_nobody() -> None:
    places = _places(
        ("2024", "Bo Chen", "~Bo1", "ETH Zurich+OpenAI", "ethz.ch+openai.com", "Professor+Researcher"),
        ("2024", "Cy Dee", "~Cy1", "University of Oxford", "ox.ac.uk", None),
        ("2023", "Cy Dee", "~Cy2", "University of Oxford", "ox.ac.uk", None),  # two profiles: two people
        ("2024", "Di Eve", "~Di1", "University of Oxford", "ox.ac.uk", None),
    )
    ambiguous = pl.DataFrame({"name_normalized": ["di eve"]})
    assert _placed(places, 2024, "Bo Chen", "Cy Dee", "Di Eve", ambiguous=ambiguous) == {}


def test_people_evidence_names_no_person_and_doubts_minority_and_stale_answers() -> None:
    places = _places(("2021", "Ada Lovelace", "~Ada1", "University of Oxford", "ox.ac.uk", "PhD student"))
    authors = _authors("p", "Ada Lovelace", "Bo Chen", "Cy Dee")
    placed = author_places_at(_paper("p", 2023), authors, places, NOBODY)
    evidence = people_evidence(placed, authors)
    row = evidence.row(0, named=True)
    assert row["detail"] == "University of Oxford <- 1 of 3 authors, author records"  # no position, name or year
    assert row["penalty"] == 0.2 + 0.1
    assert row["doubt"] == "only 1 of 3 authors placed; every place seen 2+ years from the paper"


def test_a_paper_placed_by_people_and_its_involvement() -> None:
    places = _places(
        ("2024", "Ada Lovelace", "~Ada1", "University of Oxford", "ox.ac.uk", "Professor"),
        ("2024", "Bo Chen", "~Bo1", "Anthropic", "anthropic.com", "Researcher"),
    )
    papers = pl.DataFrame(
        {"arxiv_id": ["p"], "published_date": [D(2024, 9, 1)], "title": ["T"], "abstract": ["A."], "comments": [None]},
        schema=origin.PAPERS_SCHEMA,
    )
    authors = _authors("p", "Bo Chen", "Quinn Rivera", "Ada Lovelace").with_columns(
        affiliation=pl.lit(None, dtype=pl.String)
    )
    out = classify_origin(papers, authors, CLASSIFIERS["organizations"], None, places=places).row(0, named=True)
    assert out["origin"] == "mixed" and out["origin_evidence_kind"] == "people"
    assert out["organizations"] == ["Anthropic", "University of Oxford"]
    assert (out["has_frontier_lab_author"], out["has_academic_author"], out["has_industry_author"]) == (
        True,
        True,
        False,
    )
    assert (out["first_author_class"], out["last_author_class"]) == ("frontier_lab", "academic")
    assert (out["n_authors"], out["n_authors_placed"]) == (3, 2)


def test_involvement_counts_mentions_but_not_for_first_and_last() -> None:
    papers = pl.DataFrame({"arxiv_id": ["p"]})
    authors = _authors("p", "Ada Lovelace", "Bo Chen")
    evidence = pl.DataFrame(
        {
            "arxiv_id": ["p", "p"],
            "name_normalized": ["bo chen", None],
            "kind": ["roster", "mention"],
            "organization": ["MIRI", "OpenAI"],
            "origin": ["nonprofit", "frontier_lab"],
            "detail": ["", ""],
        }
    )
    row = involvement(papers, authors, evidence).row(0, named=True)
    assert row["has_nonprofit_author"] and row["has_frontier_lab_author"] and not row["has_academic_author"]
    assert (row["first_author_class"], row["last_author_class"], row["n_authors_placed"]) == (
        "unknown",
        "nonprofit",
        1,
    )


def test_coverage_counts_slots_and_lists_the_most_frequent_unclassified_organisations() -> None:
    classed = classify_records(
        _records(
            ("2024", "A One", None, "University of Oxford+Nameless Lab", "ox.ac.uk", None),  # one slot, two places
            ("2024", "B Two", None, "Nameless Lab", None, None),
            ("2023", "C Three", None, "Nameless Lab", None, None),
            ("2024", "D Four", None, "Quiet Place", None, None),
        ),
        **CLASSIFIERS,
    )
    stats, unclassified = coverage(classed, min_names=1)
    assert stats["slots"] == 4 and stats["classed_slots"] == 1 and stats["classed_share"] == 0.25
    assert unclassified.rows() == [("Nameless Lab", 3, 3), ("Quiet Place", 1, 1)]
    assert coverage(classed)[1].is_empty()  # by default an organisation needs five people before it is listed
