"""The 'Fresh blind set' section of the evaluation, on the committed label files."""

import polars as pl
import pytest

from pipelines import eval_inputs, evaluate_blind


def test_the_classifier_of_the_draw_scores_as_its_strata_say() -> None:
    blind = eval_inputs.blind_labels()
    at_draw = blind.select("arxiv_id", is_safety_narrow=pl.col("stratum") == "flagged")
    result = evaluate_blind.score(at_draw, 226_851)
    md = evaluate_blind.render(result)
    flagged = blind.filter(pl.col("stratum") == "flagged", pl.col("narrow").is_in(["yes", "no"]))
    # the flagged stratum is a simple random sample of what that classifier flagged: plain precision
    assert result.scores["current_reader1"]["precision"] == pytest.approx((flagged["narrow"] == "yes").mean())
    assert result.scores["current_reader1"] == result.scores["at_draw_reader1"]
    assert result.lost == 0.0 and result.met_lost
    assert "## " not in md and "| flagged | 6737 | 480 |" in md
    assert "Where they disagree" in md and "second reading, same rubric" in md


def test_a_classifier_that_drops_flagged_papers_loses_safety_work() -> None:
    blind = eval_inputs.blind_labels()
    keep = blind.filter(pl.col("stratum") == "flagged").head(240)
    classified = blind.select("arxiv_id", is_safety_narrow=pl.col("arxiv_id").is_in(keep["arxiv_id"].implode()))
    result = evaluate_blind.score(classified, 226_851)
    assert 0.3 < result.lost < 0.7 and not result.met_lost
    assert result.scores["current_reader1"]["recall"] < result.scores["at_draw_reader1"]["recall"]
