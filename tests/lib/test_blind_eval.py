"""Scores on a stratified blind sample, and agreement between two readings."""

import polars as pl
import pytest

from pipelines.lib.blind_eval import agreement, confusion, stratified_scores


def _labels(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["arxiv_id", "stratum", "narrow"], orient="row")


def test_estimates_weigh_each_stratum_by_its_population() -> None:
    # flagged: 4 drawn of 40 (3 yes, 1 no); rest: 4 drawn of 400 (1 yes, 3 no, none flagged)
    flagged_rows = [(f"f{i}", "flagged", "yes") for i in (1, 2, 3)] + [("f4", "flagged", "no")]
    rest_rows = [("r1", "rest", "yes"), ("r2", "rest", "no"), ("r3", "rest", "no"), ("r4", "rest", "no")]
    labels = _labels([*flagged_rows, *rest_rows, ("b1", "rest", "borderline")])
    strata = pl.DataFrame({"stratum": ["flagged", "rest"], "population": [40, 400], "drawn": [4, 5]})
    flagged = labels.select("arxiv_id", is_safety_narrow=pl.col("stratum") == "flagged")
    s = stratified_scores(labels, flagged, strata)
    assert s["precision"] == pytest.approx(0.75)
    # borderline papers have no truth: within a stratum the judged ones stand for all, so the rest's 400 papers
    # hold 400 * 1/4 = 100 narrow (none flagged) and the flagged 40 * 3/4 = 30: recall 30 / 130
    assert s["recall"] == pytest.approx(30 / 130)
    assert s["share"] == pytest.approx(130 / (40 + 400))
    assert s["flagged_share"] == pytest.approx(40 / 440)  # over every drawn paper, borderline included
    assert s["n_judged"] == 8 and s["n_flagged"] == 4 and s["n_borderline"] == 1
    assert s["precision_low"] <= s["precision"] <= s["precision_high"]


def test_a_paper_the_classifier_did_not_answer_for_is_an_error() -> None:
    labels = _labels([("a", "flagged", "yes"), ("b", "flagged", "yes")])
    strata = pl.DataFrame({"stratum": ["flagged"], "population": [2], "drawn": [2]})
    with pytest.raises(ValueError, match="no answer for 1 blind papers"):
        stratified_scores(labels, pl.DataFrame({"arxiv_id": ["a"], "is_safety_narrow": [True]}), strata)


def test_a_stratum_without_narrow_papers_still_widens_the_recall_interval() -> None:
    # 50 flagged, all narrow; 100 of 100,000 others read, none narrow: recall 1.0, but 0 of 100 is compatible
    # with a few hundred narrow papers among the 100,000
    labels = _labels([(f"f{i}", "flagged", "yes") for i in range(50)] + [(f"r{i}", "rest", "no") for i in range(100)])
    strata = pl.DataFrame({"stratum": ["flagged", "rest"], "population": [500, 100_000], "drawn": [50, 100]})
    flagged = labels.select("arxiv_id", is_safety_narrow=pl.col("stratum") == "flagged")
    s = stratified_scores(labels, flagged, strata)
    assert s["recall"] == pytest.approx(1.0) and s["recall_low"] < 0.7
    assert s["flagged_share"] == pytest.approx(500 / 100_500)


def test_agreement_counts_borderline_apart_and_gives_kappa() -> None:
    a = pl.DataFrame({"arxiv_id": list("abcdef"), "narrow": ["yes", "yes", "no", "no", "borderline", "yes"]})
    b = pl.DataFrame({"arxiv_id": list("abcdef"), "narrow": ["yes", "no", "no", "no", "yes", "yes"]})
    got = agreement(a, b)
    assert got["n"] == 6 and got["n_decided"] == 5
    assert got["agreement"] == pytest.approx(4 / 6) and got["agreement_decided"] == pytest.approx(4 / 5)
    # observed 0.8; expected 0.6*0.4 + 0.4*0.6 = 0.48 -> kappa (0.8-0.48)/0.52
    assert got["kappa"] == pytest.approx(0.32 / 0.52)
    table = confusion(a, b, ("first", "second"))
    assert table.filter(pl.col("first") == "yes").row(0, named=True)["second: no"] == 1
