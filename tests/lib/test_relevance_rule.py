"""The steps classify_relevance composes, each on a hand-made frame: the narrow / broad / veto rule, the topics a
paper gets, and the evidence text."""

import dataclasses

import polars as pl
import pytest

from pipelines import inputs
from pipelines.lib.relevance import assign_topics, decide, safety_evidence
from pipelines.lib.relevance_model import AUTHOR_FEATURE, RelevanceModel
from pipelines.lib.taxonomy import Taxonomy

MODEL = RelevanceModel(intercept=0.0, weights={}, threshold=0.5, veto=0.2, taxonomy_sha256="x")


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    # Distinct thresholds, so that a rule reading the wrong one fails.
    return dataclasses.replace(inputs.taxonomy(), threshold=2.0, narrow_threshold=3.0, broad_threshold=1.5)


def _signals(rows: dict[str, tuple[float, float, float | None, bool]]) -> pl.DataFrame:
    """name -> (narrow_evidence, broad_evidence, model_probability, ai_context)."""
    return pl.DataFrame(
        {
            "name": list(rows),
            "narrow_evidence": [r[0] for r in rows.values()],
            "broad_evidence": [r[1] for r in rows.values()],
            "model_probability": [r[2] for r in rows.values()],
            "ai_context": [r[3] for r in rows.values()],
        },
        schema_overrides={"model_probability": pl.Float64},
    )


def _decided(taxonomy: Taxonomy, model: RelevanceModel | None, rows: dict) -> dict[str, dict]:
    out = decide(_signals(rows), taxonomy, model)
    return {r["name"]: r for r in out.iter_rows(named=True)}


def test_without_a_model_the_phrases_decide_in_ai_context_only(taxonomy):
    out = _decided(
        taxonomy,
        None,
        {
            "narrow": (3.0, 3.0, None, True),
            "just_below": (2.9, 2.9, None, True),
            "broad_only": (0.0, 1.5, None, True),
            "nothing": (0.0, 1.0, None, True),
            "no_context": (3.0, 3.0, None, False),
        },
    )
    assert {k: (v["is_safety_narrow"], v["is_safety_broad"]) for k, v in out.items()} == {
        "narrow": (True, True),
        "just_below": (False, True),
        "broad_only": (False, True),
        "nothing": (False, False),
        "no_context": (False, False),
    }
    assert not any(v["by_model"] or v["vetoed"] for v in out.values())
    assert out["no_context"]["safety_score"] == 0.0
    assert out["broad_only"]["safety_score"] == pytest.approx(1 - 0.5 ** (1.5 / 2.0))  # scaled by `threshold`


def test_the_model_adds_papers_and_vetoes_the_rule_below_its_veto(taxonomy):
    out = _decided(
        taxonomy,
        MODEL,
        {
            "added": (0.0, 0.0, 0.5, True),
            "added_no_context": (0.0, 0.0, 0.9, False),
            "vetoed": (3.0, 3.0, 0.19, True),
            "at_the_veto": (3.0, 3.0, 0.2, True),
            "out_of_scope": (3.0, 3.0, None, True),
            "not_enough": (2.0, 2.0, 0.49, True),
        },
    )
    narrow = {k: v["is_safety_narrow"] for k, v in out.items()}
    assert narrow == {
        "added": True,
        "added_no_context": False,
        "vetoed": False,
        "at_the_veto": True,
        "out_of_scope": True,  # no probability: the rule stands
        "not_enough": False,
    }
    assert out["added"]["is_safety_broad"]  # narrow papers are broad whatever their broad evidence
    assert out["vetoed"]["is_safety_broad"] and out["vetoed"]["vetoed"] and out["vetoed"]["by_rule"]
    assert out["added"]["by_model"] and not out["added"]["by_rule"]


def test_only_broad_papers_get_topics_and_the_best_one_stands_in():
    frame = pl.DataFrame(
        {
            "is_safety_broad": [True, True, False],
            "qualified": [["a", "b"], [], ["a"]],
            "best": ["a", "c", "a"],
        }
    )
    out = assign_topics(frame)
    assert out["topics"].to_list() == [["a", "b"], ["c"], []]
    assert out["primary_topic"].to_list() == ["a", "c", None]


def test_evidence_says_what_the_second_stage_did():
    frame = pl.DataFrame(
        {
            "is_safety_broad": [True, True, True, False],
            "by_rule": [False, True, True, False],
            "by_model": [True, False, True, False],
            "vetoed": [False, True, False, False],
            "model_probability": [0.614, 0.123, 0.9, None],
            "model_terms": [f"{AUTHOR_FEATURE} +1.2, word:x +0.3", None, "word:y +2.0", None],
            "safety_authors": [["ann lee", "bo chen"], [], [], []],
            "evidence": ["t: 'a' (title)", "t: 'b' (abstract)", "t: 'c' (abstract x2)", "t: 'd' (title)"],
        }
    )
    text = safety_evidence(frame)["safety_evidence"].to_list()
    assert text[0] == f"second stage p=0.61 ({AUTHOR_FEATURE} (ann lee, bo chen) +1.2, word:x +0.3); t: 'a' (title)"
    assert text[1] == "not narrow: second stage p=0.12 overrules the phrases; t: 'b' (abstract)"
    assert text[2] == "t: 'c' (abstract x2)"  # the rule made it narrow: the phrases are the evidence
    assert text[3] is None  # not broad: no evidence text
