"""Origin per paper on hand-made frames: one known answer per evidence kind, plus mixed, unknown and precedence."""

import datetime as dt

import polars as pl
import pytest

from pipelines import inputs
from pipelines.lib import origin
from pipelines.lib.names import normalize_name
from pipelines.lib.openalex import records_from_works
from pipelines.lib.origin import (
    AMBIGUOUS_PAPERS_PER_YEAR,
    INVOLVEMENT_SCHEMA,
    KINDS,
    MIN_CONFIDENCE,
    MIN_ROSTER_SHARE,
    MIXED_PENALTY,
    ORIGIN_SCHEMA,
    ROSTER_DOUBTS,
    classify_origin,
    prior_author_evidence,
)
from pipelines.lib.roster import OPEN_END, PUBLICATION_LAG_DAYS
from tests.fixtures.openalex_server import fixture_works

D = dt.date
LAG = dt.timedelta(days=PUBLICATION_LAG_DAYS)
ROSTER = KINDS["roster"][1]
ORGS = inputs.organizations()


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
    """rows: (person, organization, origin, valid_from, valid_to, role_tier[, title]); the title is "Researcher"
    unless given, and origin.py derives the junior and senior flags from it."""
    return pl.DataFrame(
        [
            {
                "name_normalized": normalize_name(p),
                "person": p,
                "organization": o,
                "org_type": t,
                "origin": t,
                "valid_from": f,
                "valid_to": u,
                "title": title[0] if title else "Researcher",
                "role_tier": r,
            }
            for p, o, t, f, u, r, *title in rows
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
    out = _by_id(classify_origin(papers, authors, ORGS, NO_ROSTER))
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
    out = _by_id(classify_origin(papers, authors, ORGS, NO_ROSTER, works))
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
    out = _by_id(classify_origin(papers, _authors(("m1", "Eve Park", None)), ORGS, NO_ROSTER))["m1"]
    assert (out["origin"], out["organizations"]) == (origin_class, orgs)
    if orgs:
        assert out["origin_evidence_kind"] == "mention"


def _roster_case(**kwargs) -> pl.DataFrame:
    roster = _roster(
        ("Fay Gold", "Anthropic", "frontier_lab", D(2021, 3, 1), OPEN_END, 2),
        ("Gus Hart", "Redwood Research", "nonprofit", D(2020, 1, 1), D(2022, 6, 30), 2),
        ("Gus Hart", "METR", "nonprofit", D(2019, 1, 1), OPEN_END, 1),
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
    return classify_origin(papers, authors, ORGS, roster, **kwargs)


def test_roster_within_the_position_window():
    out = _by_id(_roster_case())
    assert (out["r1"]["origin"], out["r1"]["organizations"]) == ("frontier_lab", ["Anthropic"])
    assert out["r1"]["origin_evidence_kind"] == "roster"
    assert out["r1"]["origin_confidence"] == KINDS["roster"][1]
    assert out["r2"]["origin"] == "unknown"  # before Fay Gold joined
    # Research role beats the other staff role held at the same time (in the same class).
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
    out = _by_id(classify_origin(papers, authors, ORGS, roster))
    # In 2019 Jan Roe held research roles at OpenAI and Stanford: which one wrote the paper is unknown.
    assert (out["c1"]["origin"], out["c1"]["organizations"]) == ("academic", ["Stanford University"])
    assert "Jan Roe" not in out["c1"]["origin_evidence"]
    assert (out["c2"]["origin"], out["c2"]["organizations"]) == ("frontier_lab", ["OpenAI"])


def test_roles_of_different_classes_skip_the_author_whatever_their_tiers():
    # A research fellowship at a university centre beside a policy job at a lab: the research role does not win.
    roster = _roster(
        ("Jo Policy", "OpenAI", "frontier_lab", D(2018, 10, 1), OPEN_END, 1, "Policy Director"),
        ("Jo Policy", "Center for Security and Emerging Technology", "academic", D(2019, 6, 1), D(2020, 1, 31), 2),
    )
    papers = _papers(("k1", D(2019, 7, 1), "T", "A.", None), ("k2", D(2020, 6, 1), "T", "A.", None))
    authors = _authors(("k1", "Jo Policy", None), ("k2", "Jo Policy", None))
    out = _by_id(classify_origin(papers, authors, ORGS, roster))
    assert (out["k1"]["origin"], out["k1"]["origin_evidence"]) == ("unknown", None)
    assert (out["k2"]["origin"], out["k2"]["organizations"]) == ("frontier_lab", ["OpenAI"])


def test_roster_class_is_the_one_the_organisation_had_while_the_author_was_there():
    # GovAI was part of Oxford's FHI (academic) until 2021-06-30 (seed former_type), a non-profit after.
    govai, fhi = "Centre for the Governance of AI", "Future of Humanity Institute"
    roster = _roster(
        ("Nia Left", govai, "nonprofit", D(2018, 1, 1), D(2021, 3, 31) + LAG, 1, "Director"),
        ("Ola Stay", govai, "nonprofit", D(2018, 1, 1), OPEN_END, 2),
        ("Pat Two", govai, "nonprofit", D(2018, 1, 1), OPEN_END, 2),
        ("Pat Two", fhi, "academic", D(2018, 1, 1), OPEN_END, 2),
    )
    papers = _papers(
        ("g1", D(2021, 8, 5), "T", "A.", None),
        ("g2", D(2021, 8, 5), "T", "A.", None),
        ("g3", D(2019, 5, 1), "T", "A.", None),
        ("g4", D(2023, 5, 1), "T", "A.", None),
    )
    authors = _authors(
        ("g1", "Nia Left", None), ("g2", "Ola Stay", None), ("g3", "Pat Two", None), ("g4", "Pat Two", None)
    )
    out = _by_id(classify_origin(papers, authors, ORGS, roster))
    # Nia's position ended in March 2021, the paper came out in the publication lag: GovAI was academic then.
    assert (out["g1"]["origin"], out["g1"]["organizations"]) == ("academic", [govai])
    assert out["g2"]["origin"] == "nonprofit"
    # In 2019 GovAI and FHI were both academic, so Pat's two roles agree; in 2023 they do not and Pat is skipped.
    assert out["g3"]["origin"] == "academic"
    assert out["g4"]["origin"] == "unknown"


def test_minority_roster_answers_are_withheld_unless_a_research_leader_is_placed():
    assert ROSTER - ROSTER_DOUBTS["minority"] < MIN_CONFIDENCE
    roster = _roster(
        ("Ann Placed", "Anthropic", "frontier_lab", D(2020, 1, 1), OPEN_END, 2, "Member of Technical Staff"),
        ("Cal Second", "Anthropic", "frontier_lab", D(2020, 1, 1), OPEN_END, 2, "Research Scientist"),
        ("Bea Prof", "Stanford University", "academic", D(2010, 1, 1), OPEN_END, 2, "Professor of Computer Science"),
    )
    papers = _papers(*[(f"m{i}", D(2024, 1, 1), "T", "A.", None) for i in range(1, 5)])
    authors = _authors(
        ("m1", "Ann Placed", None),
        ("m1", "Uma Else", None),
        ("m1", "Vic Else", None),
        ("m2", "Ann Placed", None),
        ("m2", "Cal Second", None),
        ("m2", "Uma Else", None),
        ("m3", "Bea Prof", None),
        ("m3", "Uma Else", None),
        ("m3", "Vic Else", None),
        ("m3", "Wes Else", None),
        ("m4", "Ann Placed", None),
    )
    out = _by_id(classify_origin(papers, authors, ORGS, roster))
    # 1 of 3 authors placed (< MIN_ROSTER_SHARE): the other two are likely elsewhere, the truth likely mixed.
    assert 1 / 3 < MIN_ROSTER_SHARE <= 2 / 3
    assert (out["m1"]["origin"], out["m1"]["origin_confidence"]) == ("unknown", 0.0)
    assert out["m1"]["origin_evidence"].startswith("withheld (frontier_lab at confidence 0.45 < 0.5): roster:")
    assert "only 1 of 3 authors placed" in out["m1"]["origin_evidence"]
    assert (out["m2"]["origin"], out["m2"]["origin_confidence"]) == ("frontier_lab", ROSTER)
    # A professor's unplaced co-authors are mostly their own group.
    assert (out["m3"]["origin"], out["m3"]["origin_confidence"]) == ("academic", ROSTER)
    assert (out["m4"]["origin"], out["m4"]["origin_confidence"]) == ("frontier_lab", ROSTER)


def test_roster_doubts_for_positions_that_had_ended_and_for_interns():
    roster = _roster(
        ("Dee Left", "OpenAI", "frontier_lab", D(2018, 1, 1), D(2020, 6, 30) + LAG, 2),
        ("Eli Intern", "Google DeepMind", "frontier_lab", D(2023, 6, 1), OPEN_END, 2, "Research Intern"),
        ("Fin Student", "Stanford University", "academic", D(2022, 1, 1), OPEN_END, 2, "PhD Student"),
        ("Hal Summer", "OpenAI", "frontier_lab", D(2022, 6, 1), D(2022, 8, 31) + LAG, 2, "Summer Intern"),
        ("Ivy Stay", "OpenAI", "frontier_lab", D(2021, 1, 1), D(2021, 6, 30) + LAG, 2, "Intern"),
        ("Ivy Stay", "OpenAI", "frontier_lab", D(2021, 7, 1), OPEN_END, 1, "Policy Analyst"),
    )
    papers = _papers(
        ("e1", D(2020, 9, 1), "T", "A.", None),
        ("e2", D(2020, 3, 1), "T", "A.", None),
        ("e3", D(2023, 9, 1), "T", "A.", None),
        ("e4", D(2023, 9, 1), "T", "A.", None),
        ("e5", D(2022, 12, 1), "T", "A.", None),
        ("e6", D(2021, 9, 1), "T", "A.", None),
    )
    authors = _authors(
        ("e1", "Dee Left", None),
        ("e2", "Dee Left", None),
        ("e3", "Eli Intern", None),
        ("e4", "Fin Student", None),
        ("e5", "Hal Summer", None),
        ("e6", "Ivy Stay", None),
    )
    out = _by_id(classify_origin(papers, authors, ORGS, roster))
    ended, junior = ROSTER - ROSTER_DOUBTS["ended"], ROSTER - ROSTER_DOUBTS["junior"]
    # Published after the position ended (within the publication lag): still shown, less sure.
    assert (out["e1"]["origin"], out["e1"]["origin_confidence"]) == ("frontier_lab", pytest.approx(ended))
    assert "every position had ended before the paper" in out["e1"]["origin_evidence"]
    assert (out["e2"]["origin"], out["e2"]["origin_confidence"]) == ("frontier_lab", ROSTER)
    # An intern at a lab is enrolled at a university too; a PhD student at a university is not in doubt.
    assert (out["e3"]["origin"], out["e3"]["origin_confidence"]) == ("frontier_lab", pytest.approx(junior))
    assert "student or intern at a non-academic organisation" in out["e3"]["origin_evidence"]
    assert (out["e4"]["origin"], out["e4"]["origin_confidence"]) == ("academic", ROSTER)
    # Both doubts: an internship that had ended is withheld.
    assert ROSTER - ROSTER_DOUBTS["ended"] - ROSTER_DOUBTS["junior"] < MIN_CONFIDENCE
    assert out["e5"]["origin"] == "unknown"
    assert out["e5"]["origin_evidence"].startswith("withheld (frontier_lab")
    # A current staff role at the same organisation beside the internship that had ended removes both doubts.
    assert (out["e6"]["origin"], out["e6"]["origin_confidence"]) == ("frontier_lab", ROSTER)


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
    out = _by_id(classify_origin(papers, authors, ORGS, NO_ROSTER))
    assert (out["s2"]["origin"], out["s2"]["organizations"]) == ("academic", ["ETH Zurich"])
    assert out["s2"]["origin_evidence_kind"] == "propagation"
    assert "arXiv:s1" in out["s2"]["origin_evidence"]
    assert out["s3"]["origin"] == "unknown"
    assert (out["s5"]["origin"], out["s5"]["organizations"]) == ("industry", ["NVIDIA"])


def test_propagation_from_papers_outside_the_batch():
    history_papers = _papers(("h1", D(2025, 1, 1), "Old", "A.", None))
    history_authors = _authors(("h1", "Noa Ortiz", "Allen Institute for AI"))
    prior = prior_author_evidence(history_papers, history_authors, ORGS)
    batch = _papers(("b1", D(2025, 3, 1), "New", "A.", None))
    out = classify_origin(batch, _authors(("b1", "Noa Ortiz", None)), ORGS, NO_ROSTER, prior_author_evidence=prior)
    row = out.row(0, named=True)
    assert (row["origin"], row["organizations"], row["origin_evidence_kind"]) == (
        "nonprofit",
        ["Allen Institute for AI"],
        "propagation",
    )


def test_unknown_without_evidence_and_one_row_per_paper():
    papers = _papers(("u1", D(2024, 1, 1), "T", "A.", None), ("u2", None, "T", "A.", None))
    out = classify_origin(papers, _authors(("u1", "Quinn Rivera", None)), ORGS, None)
    assert out.schema == pl.Schema(ORIGIN_SCHEMA | {k: v for k, v in INVOLVEMENT_SCHEMA.items() if k != "arxiv_id"})
    assert out["arxiv_id"].to_list() == ["u1", "u2"]
    assert out["origin"].to_list() == ["unknown", "unknown"]
    assert out["origin_evidence"].null_count() == 2
    assert out["organizations"].to_list() == [[], []]
    assert out["origin_confidence"].to_list() == [0.0, 0.0]


def test_former_type_applies_before_the_change():
    papers = _papers(("g1", D(2020, 5, 1), "T", "A.", None), ("g2", D(2023, 5, 1), "T", "A.", None))
    authors = _authors(("g1", "Ren Sato", "Centre for the Governance of AI"), ("g2", "Ren Sato", "GovAI"))
    out = _by_id(classify_origin(papers, authors, ORGS, None))
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
