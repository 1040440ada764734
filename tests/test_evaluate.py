"""make eval's narrow scores: against the bibliography's labels, and with the TechSafety works a reading of their
text confirms."""

import polars as pl
import pytest

from pipelines.evaluate import (
    authorship_effect,
    most_matched_researcher,
    narrow_metrics,
    papers_with_researchers,
    rubric_reading,
)
from pipelines.evaluation_report import rubric_reading_note


def _rel() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "split": ["test"] * 6,
            "source": ["tai", "tai", "tai", "corpus", "corpus", "tai"],
            "truth_narrow": [True, True, True, True, False, False],
            "rubric_narrow": ["yes", "no", "borderline", None, None, "yes"],
            "is_safety_narrow": [True, False, False, True, False, False],
        }
    )


def test_the_rubric_rows_leave_out_only_unconfirmed_positives():
    m = narrow_metrics(_rel(), "test")
    assert m["all"]["recall"] == pytest.approx(2 / 4)
    assert m["all_rubric"]["recall"] == pytest.approx(1.0)  # the 'no' and 'borderline' TechSafety works left out
    assert m["tai_rubric"]["recall"] == pytest.approx(1.0)
    assert m["all_rubric"]["precision"] == m["all"]["precision"] == pytest.approx(1.0)


def test_the_reading_note_counts_from_the_items():
    note = rubric_reading_note(rubric_reading(_rel()))
    assert "of 3 TechSafety works, 1 (33%) read as narrow, 1 as borderline and 1 as not narrow" in note


def test_authorship_effect_counts_added_and_removed_papers():
    with_authors = pl.DataFrame({"arxiv_id": ["a", "b", "c", "d"], "is_safety_narrow": [True, True, False, True]})
    without = pl.DataFrame({"arxiv_id": ["d", "c", "b", "a"], "is_safety_narrow": [True, True, False, True]})
    assert authorship_effect(with_authors, without) == {"narrow": 3, "added": 1, "removed": 1, "added_share": 1 / 3}


def test_researcher_matches_count_papers_and_the_most_matched_name():
    corpus = pl.DataFrame(
        {"arxiv_id": ["1", "2", "3"], "authors": [["yang liu", "ann lee"], ["yang liu"], ["bo chen"]]}
    )
    researchers = pl.DataFrame({"name_normalized": ["yang liu", "ann lee"], "person": ["Yang Liu", "Ann Lee"]})
    assert papers_with_researchers(corpus, researchers) == 2
    assert most_matched_researcher(corpus, researchers) == ("Yang Liu", 2)
    assert most_matched_researcher(corpus, researchers.head(0)) == ("-", 0)
