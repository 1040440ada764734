"""Origin per paper on hand-made frames: one known answer per evidence kind, plus mixed, unknown and precedence."""

import datetime as dt

import polars as pl
import pytest

from pipelines.lib import origin
from pipelines.lib.names import normalize_name
from pipelines.lib.openalex import records_from_works
from pipelines.lib.origin import (
    AMBIGUOUS_PAPERS_PER_YEAR,
    KINDS,
    MIN_CONFIDENCE,
    MIXED_PENALTY,
    ORIGIN_SCHEMA,
    classify_origin,
    prior_author_evidence,
)
from pipelines.lib.roster import OPEN_END
from tests.fixtures.openalex_server import fixture_works

D = dt.date


def _papers(*rows: tuple) -> pl.DataFrame:
    """rows: (arxiv_id, published_date, title, abstract, comments)"""
    return pl.DataFrame(
        [dict(zip(["arxiv_id", "published_date", "title", "abstract", "comments"], r, strict=True)) for r in rows],
        schema=origin.PAPERS_SCHEMA,
    )


def _authors(*rows: tuple) -> pl.DataFrame:
    """rows: (arxiv_id, name, affiliation)"""
    return pl.DataFrame(
        [{"arxiv_id": a, "name": n, "name_normalized": normalize_name(n), "affiliation": f} for a, n, f in rows],
        schema={"arxiv_id": pl.String, "name": pl.String, "name_normalized": pl.String, "affiliation": pl.String},
    )


def _roster(*rows: tuple) -> pl.DataFrame:
    """rows: (person, organization, origin, valid_from, valid_to, role_tier)"""
    return pl.DataFrame(
        [
            {
                "name_normalized": normalize_name(p),
                "person": p,
                "organization": o,
                "org_type": t,
                "origin": t if t != "industry" else "industry",
                "valid_from": f,
                "valid_to": u,
                "title": "Researcher",
                "role_tier": r,
            }
            for p, o, t, f, u, r in rows
        ]
    )


def _by_id(result: pl.DataFrame) -> dict[str, dict]:
    return {r["arxiv_id"]: r for r in result.iter_rows(named=True)}


NO_ROSTER = _roster(("Nobody Here", "OpenAI", "frontier_lab", D(2000, 1, 1), D(2000, 1, 2), 2))


def test_affiliations_are_the_strongest_evidence_and_different_classes_make_mixed():
    papers = _papers(
        ("p1", D(2024, 3, 1), "A paper", "We study things.", None),
        ("p2", D(2024, 3, 1), "Another", "We study things.", "Work done at OpenAI."),
        ("p3", D(2024, 3, 1), "Third", "Abstract.", None),
    )
    authors = _authors(
        ("p1", "Ann Lee", "Department of Computer Science, Stanford University"),
        ("p1", "Bob Kim", "Google DeepMind, London"),
        ("p2", "Cat Wu", "Tsinghua University, Beijing"),
        ("p3", "Dan Ho", "Dept. of Physics, University of Nowhere"),
    )
    out = _by_id(classify_origin(papers, authors, None, NO_ROSTER))
    assert out["p1"]["origin"] == "mixed"
    assert out["p1"]["organizations"] == ["Google DeepMind", "Stanford University"]
    assert out["p1"]["origin_evidence_kind"] == "affiliation"
    assert out["p1"]["origin_confidence"] == pytest.approx(KINDS["affiliation"][1] - MIXED_PENALTY)
    assert out["p2"]["origin_confidence"] == KINDS["affiliation"][1]
    assert "Stanford University <- " in out["p1"]["origin_evidence"]
    # The affiliation wins over the comment that names OpenAI: weaker kinds are not mixed in.
    assert (out["p2"]["origin"], out["p2"]["organizations"]) == ("academic", ["Tsinghua University"])
    # A university outside the seed still counts by its wording.
    assert out["p3"]["origin"] == "academic"
    assert out["p3"]["organizations"] == ["Dept. of Physics, University of Nowhere"]


def test_openalex_institutions_by_seed_name_or_ror_type():
    works = pl.DataFrame(records_from_works(fixture_works(), ["2212.08073", "1706.03762", "2405.00001", "1712.01815"]))
    papers = _papers(
        ("2212.08073", D(2022, 12, 15), "Constitutional AI", "Abstract.", None),
        ("1706.03762", D(2017, 6, 12), "Attention Is All You Need", "Abstract.", None),
        ("2405.00001", D(2024, 5, 1), "Unlisted", "Abstract.", None),
        ("1712.01815", D(2017, 12, 5), "Chess and Shogi", "Abstract.", None),
    )
    authors = _authors(("2212.08073", "Yuntao Bai", None), ("1706.03762", "Ashish Vaswani", None))
    out = _by_id(classify_origin(papers, authors, None, NO_ROSTER, works))
    assert (out["2212.08073"]["origin"], out["2212.08073"]["organizations"]) == ("frontier_lab", ["Anthropic"])
    assert out["2212.08073"]["origin_evidence_kind"] == "openalex"
    assert out["1706.03762"]["origin"] == "mixed"
    assert out["1706.03762"]["organizations"] == ["Google", "University of Toronto"]
    # A company outside the seed counts by its ROR type, NIST by the seed; the hospital's ROR type says nothing.
    assert out["2405.00001"]["origin"] == "mixed"
    assert set(out["2405.00001"]["organizations"]) == {"Acme Robotics (United States)", "NIST"}
    # Journal DOI, arXiv only among the locations: still found.
    assert (out["1712.01815"]["origin"], out["1712.01815"]["organizations"]) == (
        "mixed",
        ["Google DeepMind", "University College London"],
    )


@pytest.mark.parametrize(
    ("comments", "abstract", "origin_class", "orgs"),
    [
        ("Work done during an internship at Microsoft Research Asia.", "Abstract.", "industry", ["Microsoft"]),
        ("Corresponding author: jane@cs.stanford.edu", "Abstract.", "academic", ["Stanford University"]),
        (None, "Code: https://github.com/facebookresearch/thing.", "frontier_lab", ["Meta AI"]),
        ("This work was done while at Anthropic; now at MIT.", "Abstract.", "frontier_lab", ["Anthropic"]),
        (None, "We evaluate Anthropic's Claude and OpenAI's GPT-4 on a benchmark.", "unknown", []),
        ("Accepted at NeurIPS 2024. This work was supported by Google.", "Abstract.", "unknown", []),
    ],
)
def test_mentions_count_only_in_affiliation_like_contexts(comments, abstract, origin_class, orgs):
    papers = _papers(("m1", D(2024, 1, 1), "Title", abstract, comments))
    out = _by_id(classify_origin(papers, _authors(("m1", "Eve Park", None)), None, NO_ROSTER))["m1"]
    assert (out["origin"], out["organizations"]) == (origin_class, orgs)
    if orgs:
        assert out["origin_evidence_kind"] == "mention"


def _roster_case(**kwargs) -> pl.DataFrame:
    roster = _roster(
        ("Fay Gold", "Anthropic", "frontier_lab", D(2021, 3, 1), OPEN_END, 2),
        ("Gus Hart", "Redwood Research", "nonprofit", D(2020, 1, 1), D(2022, 6, 30), 2),
        ("Gus Hart", "OpenAI", "frontier_lab", D(2019, 1, 1), OPEN_END, 1),
        ("Hal Ives", "OpenAI", "frontier_lab", D(2019, 1, 1), OPEN_END, 0),
        ("Ida Jones", "Stanford University", "academic", D(2015, 1, 1), OPEN_END, 2),
    )
    papers = _papers(
        ("r1", D(2023, 5, 1), "T", "A.", None),
        ("r2", D(2019, 5, 1), "T", "A.", None),
        ("r3", D(2021, 1, 1), "T", "A.", None),
        ("r4", D(2021, 1, 1), "T", "A.", None),
        ("r5", D(2023, 5, 1), "T", "A.", None),
    )
    authors = _authors(
        ("r1", "Fay Gold", None),
        ("r1", "Zed Unknown", None),
        ("r2", "Fay Gold", None),
        ("r3", "Gus Hart", None),
        ("r4", "Hal Ives", None),
        ("r5", "Fay Gold", None),
        ("r5", "Ida Jones", None),
    )
    return classify_origin(papers, authors, None, roster, **kwargs)


def test_roster_within_the_position_window():
    out = _by_id(_roster_case())
    assert (out["r1"]["origin"], out["r1"]["organizations"]) == ("frontier_lab", ["Anthropic"])
    assert out["r1"]["origin_evidence_kind"] == "roster"
    assert out["r1"]["origin_confidence"] == KINDS["roster"][1]
    assert out["r2"]["origin"] == "unknown"  # before Fay Gold joined
    # Research role beats the other staff role held at the same time.
    assert (out["r3"]["origin"], out["r3"]["organizations"]) == ("nonprofit", ["Redwood Research"])
    assert out["r4"]["origin"] == "unknown"  # secondary ties are ignored
    # Roster evidence of two classes is a mixed answer below MIN_CONFIDENCE: withheld, with the evidence kept.
    assert KINDS["roster"][1] - MIXED_PENALTY < MIN_CONFIDENCE
    assert (out["r5"]["origin"], out["r5"]["organizations"]) == ("unknown", [])
    assert (out["r5"]["origin_confidence"], out["r5"]["origin_evidence_kind"]) == (0.0, None)
    assert out["r5"]["origin_evidence"].startswith("withheld (mixed at confidence")
    assert "Stanford University <- AI Watch: Ida Jones" in out["r5"]["origin_evidence"]


def test_author_with_concurrent_roles_of_different_classes_is_skipped():
    roster = _roster(
        ("Jan Roe", "OpenAI", "frontier_lab", D(2018, 1, 1), OPEN_END, 2),
        ("Jan Roe", "Stanford University", "academic", D(2019, 1, 1), D(2020, 12, 31), 2),
        ("Kai Loy", "Stanford University", "academic", D(2015, 1, 1), OPEN_END, 2),
    )
    papers = _papers(("c1", D(2019, 6, 1), "T", "A.", None), ("c2", D(2022, 6, 1), "T", "A.", None))
    authors = _authors(("c1", "Jan Roe", None), ("c1", "Kai Loy", None), ("c2", "Jan Roe", None))
    out = _by_id(classify_origin(papers, authors, None, roster))
    # In 2019 Jan Roe held research roles at OpenAI and Stanford: which one wrote the paper is unknown.
    assert (out["c1"]["origin"], out["c1"]["organizations"]) == ("academic", ["Stanford University"])
    assert "Jan Roe" not in out["c1"]["origin_evidence"]
    assert (out["c2"]["origin"], out["c2"]["organizations"]) == ("frontier_lab", ["OpenAI"])


def test_ambiguous_names_are_skipped():
    counts = pl.DataFrame({"name_normalized": ["fay gold"], "max_papers_per_year": [AMBIGUOUS_PAPERS_PER_YEAR + 1]})
    out = _by_id(_roster_case(name_counts=counts))
    assert out["r1"]["origin"] == "unknown"
    assert (out["r5"]["origin"], out["r5"]["organizations"]) == ("academic", ["Stanford University"])


def test_propagation_from_strong_evidence_within_a_year():
    papers = _papers(
        ("s1", D(2024, 1, 10), "Strong", "A.", None),
        ("s2", D(2024, 9, 1), "Same author, same period", "A.", None),
        ("s3", D(2026, 1, 1), "Same author, two years on", "A.", None),
        ("s4", D(2024, 2, 1), "Single author, comment", "A.", "Work done during an internship at NVIDIA."),
        ("s5", D(2024, 6, 1), "Her next paper", "A.", None),
    )
    authors = _authors(
        ("s1", "Jo Klein", "ETH Zurich"),
        ("s1", "Kim Park", "ETH Zurich"),
        ("s2", "Jo Klein", None),
        ("s2", "Lu Mendez", None),
        ("s3", "Jo Klein", None),
        ("s4", "Mia Novak", None),
        ("s5", "Mia Novak", None),
    )
    out = _by_id(classify_origin(papers, authors, None, NO_ROSTER))
    assert (out["s2"]["origin"], out["s2"]["organizations"]) == ("academic", ["ETH Zurich"])
    assert out["s2"]["origin_evidence_kind"] == "propagation"
    assert "arXiv:s1" in out["s2"]["origin_evidence"]
    assert out["s3"]["origin"] == "unknown"
    assert (out["s5"]["origin"], out["s5"]["organizations"]) == ("industry", ["NVIDIA"])


def test_propagation_from_papers_outside_the_batch():
    history_papers = _papers(("h1", D(2025, 1, 1), "Old", "A.", None))
    history_authors = _authors(("h1", "Noa Ortiz", "Allen Institute for AI"))
    prior = prior_author_evidence(history_papers, history_authors)
    batch = _papers(("b1", D(2025, 3, 1), "New", "A.", None))
    out = classify_origin(batch, _authors(("b1", "Noa Ortiz", None)), None, NO_ROSTER, prior_author_evidence=prior)
    row = out.row(0, named=True)
    assert (row["origin"], row["organizations"], row["origin_evidence_kind"]) == (
        "nonprofit",
        ["Allen Institute for AI"],
        "propagation",
    )


def test_unknown_without_evidence_and_one_row_per_paper():
    papers = _papers(("u1", D(2024, 1, 1), "T", "A.", None), ("u2", None, "T", "A.", None))
    out = classify_origin(papers, _authors(("u1", "Quinn Rivera", None)), None, None)
    assert out.schema == pl.Schema(ORIGIN_SCHEMA)
    assert out["arxiv_id"].to_list() == ["u1", "u2"]
    assert out["origin"].to_list() == ["unknown", "unknown"]
    assert out["origin_evidence"].null_count() == 2
    assert out["organizations"].to_list() == [[], []]
    assert out["origin_confidence"].to_list() == [0.0, 0.0]


def test_former_type_applies_before_the_change():
    papers = _papers(("g1", D(2020, 5, 1), "T", "A.", None), ("g2", D(2023, 5, 1), "T", "A.", None))
    authors = _authors(("g1", "Ren Sato", "Centre for the Governance of AI"), ("g2", "Ren Sato", "GovAI"))
    out = _by_id(classify_origin(papers, authors, None, None))
    assert out["g1"]["origin"] == "academic"  # GovAI was part of Oxford's FHI until mid-2021
    assert out["g2"]["origin"] == "nonprofit"


def _population() -> tuple[pl.DataFrame, pl.DataFrame]:
    """12,000 distinct names: "wei" and "wang" are common tokens, every other token is unique."""
    names = [f"given{i} family{i}" for i in range(11_000)]
    names += [f"wei family{i}x" for i in range(500)] + [f"given{i}x wang" for i in range(500)] + ["wei wang"]
    names += ["rare person"]
    authors = pl.DataFrame({"arxiv_id": [f"x{i}" for i in range(len(names))], "name_normalized": names})
    papers = pl.DataFrame({"arxiv_id": authors["arxiv_id"], "published_date": [D(2025, 1, 1)] * len(names)})
    return authors, papers


def test_name_statistics_expect_namesakes_from_common_tokens():
    authors, papers = _population()
    stats = origin.name_statistics(authors, papers, pl.Series(["wei wang", "rare person"]))
    expected = dict(stats.select("name_normalized", "expected_namesakes").rows())
    n = authors.height
    assert expected["wei wang"] == pytest.approx(501 * 501 / n)
    assert expected["rare person"] == pytest.approx(1 / n)
    amb = origin.ambiguous_names(pl.Series(["wei wang", "rare person"]), papers, authors, None)
    assert amb["name_normalized"].to_list() == ["wei wang"]


def test_small_batches_are_not_judged_on_token_frequencies():
    authors = pl.DataFrame({"arxiv_id": ["a"], "name_normalized": ["solo author"]})
    papers = pl.DataFrame({"arxiv_id": ["a"], "published_date": [D(2025, 1, 1)]})
    stats = origin.name_statistics(authors, papers)
    assert stats["expected_namesakes"].to_list() == [0.0]
