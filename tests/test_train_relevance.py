"""Training helpers of the second stage: features as the pipeline computes them, the candidate mask, the source
feature, and the report's added / overruled counts."""

import numpy as np
import polars as pl
import pytest

from pipelines import inputs
from pipelines import train_relevance as tr
from pipelines.evaluate import second_stage_counts
from pipelines.evaluation_report import second_stage_section
from pipelines.lib import relevance_model as rm


def _items() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "item_key": ["a", "b", "c", "d"],
            "title": [
                "Jailbreaking aligned language models",
                "Learning what humans want",
                "Faster convolutions",
                "Learning what users want",
            ],
            "abstract": [
                "Adversarial suffixes elicit harmful content.",
                "We infer human intent.",
                "GPU kernels.",
                "We infer human intent from clicks.",
            ],
            "source": ["corpus", "tai", "corpus", "pool"],
        }
    )


def test_item_features_mark_the_papers_the_pipeline_scores():
    feats, scored = tr.item_features(_items(), inputs.taxonomy(), "candidates")
    assert scored.tolist() == [True, False, False, False]  # b and d have weak phrases only, c none
    assert set(feats.filter(pl.col("_row") != 0)["feature"]) == {tr.SOURCE_FEATURE}
    # only bibliography works carry the source feature: pool papers are arXiv abstracts like the corpus sample
    assert feats.filter(pl.col("feature") == tr.SOURCE_FEATURE)["_row"].to_list() == [1]


def test_any_match_scope_scores_papers_with_weak_phrases_too():
    feats, scored = tr.item_features(_items(), inputs.taxonomy(), "any_match")
    assert scored.tolist() == [True, True, False, True]
    assert feats.filter(pl.col("_row") == 3, pl.col("feature").str.starts_with("phrase:")).height > 0


def test_fit_uses_the_source_feature_but_predicts_without_it():
    rows = [(i, tr.SOURCE_FEATURE, 1.0) for i in range(0, 40, 2)] + [(i, "word:x", 1.0) for i in range(0, 40, 4)]
    feats = pl.DataFrame(rows, schema=rm.FEATURE_SCHEMA, orient="row")
    truth = np.array([i % 2 == 0 for i in range(40)])  # every labelled-set row is positive
    vocab, w, _, x = tr._fit(feats, 40, np.arange(40), truth, (0.1,))[-1]
    assert w[vocab.index(tr.SOURCE_FEATURE)] > 1.0  # it took up the difference between the sources
    assert not x[:, vocab.index(tr.SOURCE_FEATURE)].any()  # and is absent when predicting


def test_added_and_overruled_are_counted_per_paper_not_per_position():
    rel = pl.DataFrame(
        {
            "_i": [0, 1, 2, 3],
            "split": ["test"] * 4,
            "source": ["corpus"] * 4,
            "truth_narrow": [True, False, True, False],
            "is_safety_narrow": [True, False, False, True],
            "model_probability": [0.9, 0.1, None, 0.8],
        }
    )
    first = rel.with_columns(is_safety_narrow=pl.Series([False, True, True, True])).reverse()
    model = rm.RelevanceModel(intercept=0.0, weights={}, threshold=0.5, veto=0.2, taxonomy_sha256="x")
    counts = second_stage_counts(rel, first)
    # 2 safety items, 1 of them scored (and found); 1 added (truly safety); 2 overruled, 1 truly not safety
    assert counts.rows() == [("test", "corpus", 2, 1, 1, 1, 1, 2, 1)]
    assert "| test | corpus | 2 | 1 | 1 | 1 | 1 | 2 | 1 |" in second_stage_section(counts, model)


@pytest.mark.parametrize("grid_point", [{"corpus": {"f1": None}, "all": {"f1": 0.5}, "threshold": 0.5}])
def test_operating_point_handles_undefined_f1(grid_point):
    assert tr.choose_operating_point([grid_point]) is grid_point


def test_operating_point_counts_right_before_it_classifies_well():
    def point(threshold, precision, recall):
        f1 = 2 * precision * recall / (precision + recall)
        return {
            "threshold": threshold,
            "corpus": {"precision": precision, "recall": recall, "f1": f1},
            "all": {"f1": f1},
        }

    undercounts = point(0.7, 0.95, 0.75)  # best F1, but flags 21% too few papers
    counts_right = point(0.5, 0.82, 0.80)
    overcounts = point(0.3, 0.70, 0.90)
    assert tr.count_ratio(counts_right["corpus"]) == pytest.approx(0.80 / 0.82)
    assert tr.choose_operating_point([undercounts, counts_right, overcounts]) is counts_right
    assert tr.choose_operating_point([undercounts, overcounts]) is undercounts  # none counts right: best F1


def test_cross_validation_never_scores_the_pool():
    """Pool papers train; the operating point is chosen on the bibliography and the corpus sample only."""
    n = 60
    source = ["corpus"] * 40 + ["pool"] * 20
    truth = [i % 4 == 0 for i in range(40)] + [True] * 20
    items = pl.DataFrame(
        {
            "item_key": [f"k{i}" for i in range(n)],
            "source": source,
            "truth_narrow": truth,
            "is_safety_narrow": [i % 4 == 0 for i in range(40)] + [False] * 20,  # the pool: every positive missed
            "ai_context": [True] * n,
        }
    )
    rows = [(i, "word:x", 1.0) for i in range(40) if truth[i]] + [(i, "word:y", 1.0) for i in range(40)]
    feats = pl.DataFrame(rows, schema=rm.FEATURE_SCHEMA, orient="row")
    scored = np.array([True] * 40 + [False] * 20)  # pool papers unscored: they keep the first stage's miss
    grid = tr.cross_validate(items, feats, scored, "candidates")
    assert {g["scope"] for g in grid} == {"candidates"}
    # with the pool's 20 missed positives counted, 'all' would be lower than the corpus sample's score
    assert all(g["all"] == g["corpus"] for g in grid)
    assert max(g["corpus"]["recall"] for g in grid) == 1.0


def test_cross_validation_never_proposes_a_veto_above_the_threshold():
    """load_model refuses veto > threshold; such a veto decides as one at the threshold, so the grid clamps it."""
    n = 40
    truth = [i % 4 == 0 for i in range(n)]
    items = pl.DataFrame(
        {
            "item_key": [f"k{i}" for i in range(n)],
            "source": ["corpus"] * n,
            "truth_narrow": truth,
            "is_safety_narrow": truth,
            "ai_context": [True] * n,
        }
    )
    rows = [(i, "word:x", 1.0) for i in range(n) if truth[i]] + [(i, "word:y", 1.0) for i in range(n)]
    feats = pl.DataFrame(rows, schema=rm.FEATURE_SCHEMA, orient="row")
    grid = tr.cross_validate(items, feats, np.ones(n, dtype=bool), "candidates")
    assert all(g["veto"] <= g["threshold"] for g in grid)
    low = min(tr.THRESHOLD_GRID)
    assert sorted(g["veto"] for g in grid if g["threshold"] == low and g["l2"] == tr.L2_GRID[0]) == sorted(
        {min(v, low) for v in tr.VETO_GRID}
    )
