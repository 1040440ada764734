"""The second stage: features, the logistic fit, scoring, the model file, and its use in classify_relevance."""

import dataclasses
import json

import numpy as np
import polars as pl
import pytest

from pipelines import inputs
from pipelines.lib import relevance_model as rm
from pipelines.lib.relevance import (
    classifier_version,
    classify_relevance,
    paper_evidence,
    phrase_scores,
    prepare,
    usable_model,
)


@pytest.fixture(scope="module")
def taxonomy():
    return inputs.taxonomy()


def _papers(rows: dict[str, tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "arxiv_id": list(rows),
            "title": [t for t, _ in rows.values()],
            "abstract": [a for _, a in rows.values()],
            "categories": [["cs.LG"]] * len(rows),
            "primary_category": ["cs.LG"] * len(rows),
        }
    )


def _model(
    weights: dict[str, float],
    intercept: float = -5.0,
    threshold: float = 0.5,
    veto: float = 0.0,
    scope: str = "candidates",
):
    return rm.RelevanceModel(
        intercept=intercept,
        weights=weights,
        threshold=threshold,
        veto=veto,
        scope=scope,
        taxonomy_sha256="x",
        sha256="m1",
    )


# ---------------------------------------------------------------- fitting


def test_newton_step_in_item_space_equals_the_feature_space_solution():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(30, 80))  # more features than items: the Woodbury branch
    curvature = rng.uniform(0.05, 0.25, size=30)
    grad = rng.normal(size=80)
    direct = np.linalg.solve((x * curvature[:, None]).T @ x + 0.7 * np.eye(80), grad)
    assert np.allclose(rm._newton_step(x, curvature, grad, 0.7), direct)


@pytest.mark.parametrize("shape", [(300, 20), (60, 200)])
def test_fit_reaches_the_penalised_optimum(shape):
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape)
    truth = rng.normal(size=shape[1]) * 0.5
    y = (rng.random(shape[0]) < 1 / (1 + np.exp(-(x @ truth - 1.0)))).astype(float)
    w, b = rm.fit_logistic(x, y, l2=1.0)
    p = rm.predict(x, w, b)
    # gradient of sum(log-loss) + l2/2 |w|^2 + (l2 / INTERCEPT_SCALE^2)/2 b^2 vanishes
    assert np.abs(x.T @ (p - y) + 1.0 * w).max() < 1e-6
    assert abs(np.sum(p - y) + b / rm.INTERCEPT_SCALE**2) < 1e-6


def test_fit_learns_the_informative_feature():
    x = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]] * 10)
    y = np.array([1.0, 1.0, 0.0, 0.0] * 10)
    w, _ = rm.fit_logistic(x, y, l2=0.1)
    assert w[0] > 2.0 and abs(w[1]) < 0.5


def test_fit_says_when_it_does_not_converge():
    x = np.array([[1.0], [2.0], [-1.0], [-2.0]])
    with pytest.raises(RuntimeError, match="did not converge in 2 Newton steps"):
        rm.fit_logistic(x, np.array([1.0, 1.0, 0.0, 0.0]), l2=1e-9, iterations=2)


def test_folds_are_fixed_by_key():
    keys = [f"paper {i}" for i in range(200)]
    folds = rm.fold_of(keys, 5)
    assert (folds == rm.fold_of(keys, 5)).all()
    assert set(folds.tolist()) == {0, 1, 2, 3, 4}


# ---------------------------------------------------------------- features and scoring


def test_phrase_topic_and_evidence_features():
    per_phrase = pl.DataFrame(
        {
            "_row": [0, 0, 1],
            "topic": ["red_teaming", "red_teaming", "alignment_training"],
            "phrase": ["jailbreak*", "harmful*", "alignment"],
            "kind": ["strong", "weak", "weak"],
            "weight": [2.0, 0.5, 0.5],
            "score": [6.0, 0.5, 0.75],  # strong in title + abstract (2 x 3), weak once, weak repeated
        },
        schema_overrides={"_row": pl.UInt32},
    )
    evidence = pl.DataFrame(
        {"_row": [0, 1], "narrow_evidence": [6.0, 0.0], "broad_evidence": [6.0, 0.0]},
        schema_overrides={"_row": pl.UInt32},
    )
    feats = {(r, f): v for r, f, v in rm.features(per_phrase, evidence).iter_rows()}
    assert feats[(0, "phrase:jailbreak*")] == 3.0
    assert feats[(0, "topic:red_teaming:weak")] == 1.0
    assert feats[(1, "topic:alignment_training:weak")] == 1.5
    assert feats[(0, "evidence:narrow")] == pytest.approx(np.log1p(6.0))
    assert (1, "evidence:narrow") not in feats  # zero values are not stored


def test_word_features_mark_whole_words_only():
    base = prepare(_papers({"a": ("Reward models", "A reward, rewards and a Reward-model; unrewarded.")}))
    feats = {f: v for _, f, v in rm.word_features(base, ["reward", "model", "rewards"]).iter_rows()}
    assert feats == {"word:reward": 1.0, "word:model": 1.0, "word:rewards": 1.0}
    assert rm.word_features(base, ["unreward", "mode"]).is_empty()


def test_context_features_say_what_is_aligned_or_attacked():
    base = prepare(
        _papers(
            {
                "values": ("Aligning tutors with pedagogy", "We align language models with human values."),
                "malware": ("Attacks on anti-malware telemetry", "An adversarial attack evades the detector."),
            }
        )
    )
    feats = rm.context_features(base)
    got = {(r["_row"], r["feature"]) for r in feats.iter_rows(named=True)}
    assert (0, "near:align:pedagogy") in got and (0, "near:align:tutors") in got
    assert (0, "near:align:language") in got and (1, "near:attack:malware") in got
    # the head itself, its own inflections and stop words are not context
    assert not any(f.startswith("near:align:align") or f == "near:align:with" for _, f in got)
    assert feats.filter(pl.col("feature") == "near:align:pedagogy").height == 1  # once per paper


def test_category_features_and_their_minimum_in_the_vocabulary():
    base = prepare(_papers({"a": ("A", "x"), "b": ("B", "y")}))
    assert set(rm.category_features(base)["feature"]) == {"category:cs.LG"}
    rare = pl.DataFrame(
        {"_row": [0, 1, 2], "feature": ["near:align:rare"] * 3, "value": [1.0] * 3}, schema=rm.FEATURE_SCHEMA
    )
    assert rm.vocabulary_of(rare, np.array([0, 1, 2]), 3) == []  # context pairs need MIN_CONTEXT_ITEMS
    assert rm.vocabulary_of(rare.with_columns(feature=pl.lit("word:rare")), np.array([0, 1, 2]), 3) == ["word:rare"]


RESEARCHERS = pl.DataFrame({"name_normalized": ["ada lovelace"], "person": ["Ada Lovelace"]})


def _authored(papers: pl.DataFrame, by_ada: set[str]) -> pl.DataFrame:
    """The papers with an `authors` column: Ada Lovelace (a listed researcher) on the ids in `by_ada`."""
    return papers.with_columns(
        authors=pl.col("arxiv_id").map_elements(
            lambda i: ["ada lovelace", "bob"] if i in by_ada else ["bob"], return_dtype=pl.List(pl.String)
        )
    )


@pytest.mark.parametrize("scope", rm.SCOPES)
def test_fast_scores_equal_the_long_feature_table(taxonomy, scope):
    """classify_relevance weighs words inside each paper's list; training builds the long table. Same answer."""
    papers = _authored(_papers(PAPERS), {"agents", "weak_only", "nothing"})
    base = prepare(papers, RESEARCHERS)
    per_phrase = phrase_scores(base, taxonomy)
    evidence = paper_evidence(per_phrase)
    model = _model(
        {
            "word:agents": 1.5,
            "word:faster": -2.0,
            "topic:red_teaming:strong": 0.7,
            "evidence:narrow": 0.4,
            rm.AUTHOR_FEATURE: 0.9,
            "category:cs.LG": -0.3,
            "near:adversar:suffixes": 0.8,
            "near:safe:actions": 0.6,
        },
        intercept=-1.0,
        threshold=0.3,
        scope=scope,
    )
    slow = rm.probabilities(rm.model_features(base, per_phrase, evidence, model.words, scope), model).sort("_row")
    fast = rm.model_scores(base, per_phrase, evidence, model).sort("_row")
    assert fast["_row"].to_list() == slow["_row"].to_list()
    assert np.allclose(fast["model_probability"].to_numpy(), slow["model_probability"].to_numpy())
    likely = slow.filter(pl.col("model_probability") >= model.threshold)
    assert fast.join(likely, on="_row")["model_terms"].to_list() == likely["model_terms"].to_list()


def test_candidate_words_bound_by_document_frequency_and_stopwords():
    rows = {
        str(i): ("Oversight of agents", "We study agents without oversight" + (" rare" if i == 0 else ""))
        for i in range(10)
    }
    rows.update({str(i): ("Image models", "We study images") for i in range(10, 40)})
    words = rm.candidate_words(prepare(_papers(rows)), min_items=5, max_share=0.5)
    assert "oversight" in words and "agents" in words
    assert "rare" not in words  # in one paper only
    assert "study" not in words  # in every paper: above max_share
    assert "without" not in words and "of" not in words  # stopwords and short words


def test_probabilities_and_the_terms_that_raised_them():
    feats = pl.DataFrame(
        {"_row": [0, 0, 0, 1], "feature": ["word:a", "word:b", "word:c", "word:zzz"], "value": [1.0, 2.0, 1.0, 1.0]},
        schema_overrides={"_row": pl.UInt32},
    )
    model = _model({"word:a": 1.0, "word:b": 2.0, "word:c": -1.0}, intercept=-1.0)
    out = {r["_row"]: r for r in rm.probabilities(feats, model).iter_rows(named=True)}
    assert out[0]["model_probability"] == pytest.approx(1 / (1 + np.exp(-(1.0 + 4.0 - 1.0 - 1.0))))
    assert out[0]["model_terms"] == "word:b, word:a"
    assert out[1]["model_probability"] == pytest.approx(1 / (1 + np.exp(1.0)))  # unknown feature weighs 0


# ---------------------------------------------------------------- the model file


def test_model_file_round_trip_and_errors(tmp_path):
    assert inputs.relevance_model(tmp_path / "absent.json") is None
    path = tmp_path / "model.json"
    path.write_text(rm.model_json(_model({"word:a": 0.5}, threshold=0.3, veto=0.1, scope="any_match")))
    loaded = inputs.relevance_model(path)
    assert (loaded.weights, loaded.threshold, loaded.veto, loaded.intercept) == ({"word:a": 0.5}, 0.3, 0.1, -5.0)
    assert loaded.scope == "any_match"
    assert len(loaded.sha256) == 64 and loaded.words == ["a"]
    path.write_text(json.dumps({"weights": {}}))
    with pytest.raises(ValueError, match=r"model\.json: not a relevance model file"):
        inputs.relevance_model(path)
    path.write_text(json.dumps({"intercept": 0, "weights": [], "threshold": 0.5, "taxonomy_sha256": "x"}))
    with pytest.raises(ValueError, match="not a relevance model file"):
        inputs.relevance_model(path)
    with pytest.raises(ValueError, match=r"0 <= veto <= threshold < 1 \(veto 0.4, threshold 0.3\)"):
        rm.parse_model(rm.model_json(_model({"word:a": 0.5}, threshold=0.3, veto=0.4)))
    with pytest.raises(ValueError, match=r"model\.json: scope 'everything' is not one of"):
        rm.parse_model(rm.model_json(_model({"word:a": 0.5}, scope="everything")), "model.json")


def test_committed_model_was_trained_on_the_committed_taxonomy():
    """Editing seeds/taxonomy.yaml without `make train` would silently switch the second stage off."""
    bundle = inputs.classifier_bundle()
    taxonomy, model = bundle.taxonomy, bundle.model
    assert bundle.set_aside is None and model is not None
    assert model.taxonomy_sha256 == taxonomy.seed_sha256
    assert model.training["split"] == "dev" and 0 < model.threshold < 1 and 0 <= model.veto <= model.threshold


def test_a_stale_model_is_set_aside(taxonomy):
    model, why = usable_model(taxonomy, _model({}))
    assert model is None and "make train" in why
    fresh = dataclasses.replace(_model({}), taxonomy_sha256=taxonomy.seed_sha256)
    assert usable_model(taxonomy, fresh) == (fresh, None)


# ---------------------------------------------------------------- inside classify_relevance


PAPERS = {
    "weak_only": ("Learning what humans want", "We infer human intent and norms for agents from behaviour."),
    "one_phrase": ("Learning what people want", "We learn from human feedback about the agents' behaviour."),
    "agents": ("Safety of LLM agents", "Unsafe actions of autonomous agents with tool use."),
    "strong": ("Jailbreaking aligned LLMs", "Adversarial suffixes elicit harmful content; jailbreak attacks."),
    "nothing": ("Faster convolutions", "We make convolutions faster on GPUs."),
}


def test_second_stage_adds_vetoes_and_explains(taxonomy):
    papers = _papers(PAPERS)
    first = {r["arxiv_id"]: r for r in classify_relevance(papers, taxonomy).iter_rows(named=True)}
    assert not first["one_phrase"]["is_safety_narrow"] and first["strong"]["is_safety_narrow"]

    model = _model(
        {"topic:alignment_training:phrases": 5.0, "topic:alignment_training:weak": 5.0, "phrase:jailbreak*": -10.0},
        intercept=-2.0,
        threshold=0.5,
        veto=0.2,
    )
    out = classify_relevance(papers, taxonomy, model=model, details=True)
    out = {r["arxiv_id"]: r for r in out.iter_rows(named=True)}
    assert out["one_phrase"]["is_safety_narrow"] and out["one_phrase"]["is_safety_broad"]
    assert out["one_phrase"]["safety_evidence"].startswith("second stage p=")
    assert "topic:alignment_training:phrases" in out["one_phrase"]["safety_evidence"]
    assert not out["strong"]["is_safety_narrow"]
    assert out["strong"]["is_safety_broad"]  # still broad on its phrases, and the evidence says why not narrow
    assert out["strong"]["safety_evidence"].startswith("not narrow: second stage p=0.0 overrules the phrases")
    # weak phrases alone do not make a paper a candidate, whatever their weight
    assert out["weak_only"]["model_probability"] is None and not out["weak_only"]["is_safety_narrow"]
    # a paper without any phrase match is never scored, whatever the intercept
    generous = _model({}, intercept=10.0, threshold=0.5)
    nothing = classify_relevance(_papers({"n": PAPERS["nothing"]}), taxonomy, model=generous, details=True)
    assert not nothing["is_safety_narrow"][0] and nothing["model_probability"][0] is None


def test_any_match_scope_scores_weak_phrases_but_never_papers_without_a_match(taxonomy):
    model = _model({"topic:alignment_training:weak": 5.0}, intercept=-2.0, threshold=0.5, scope="any_match")
    out = classify_relevance(_papers(PAPERS), taxonomy, model=model, details=True)
    out = {r["arxiv_id"]: r for r in out.iter_rows(named=True)}
    assert out["weak_only"]["model_probability"] > 0.5 and out["weak_only"]["is_safety_narrow"]
    assert out["weak_only"]["safety_evidence"].startswith("second stage p=")
    assert out["nothing"]["model_probability"] is None and not out["nothing"]["is_safety_narrow"]


def test_authorship_is_a_feature_of_papers_in_scope_only(taxonomy):
    papers = _authored(_papers(PAPERS), {"agents", "nothing"})
    base = prepare(papers, RESEARCHERS)
    assert base.filter(pl.col("safety_authors").list.len() > 0)["arxiv_id"].to_list() == ["agents", "nothing"]
    per_phrase = phrase_scores(base, taxonomy)
    feats = rm.model_features(base, per_phrase, paper_evidence(per_phrase), [], "any_match")
    authored = feats.filter(pl.col("feature") == rm.AUTHOR_FEATURE).join(base, on="_row")
    assert authored["arxiv_id"].to_list() == ["agents"]  # "nothing" has no phrase match: never scored
    assert prepare(papers)["safety_authors"].list.len().sum() == 0  # no researcher list: no author counts


def test_a_listed_author_raises_the_probability_and_is_named(taxonomy):
    model = _model({"topic:alignment_training:phrases": 1.0, rm.AUTHOR_FEATURE: 4.0}, intercept=-3.0, threshold=0.5)
    papers = _authored(_papers({"a": PAPERS["one_phrase"], "b": PAPERS["one_phrase"]}), {"a"})
    out = classify_relevance(papers, taxonomy, model=model, researchers=RESEARCHERS, details=True)
    by_id = {r["arxiv_id"]: r for r in out.iter_rows(named=True)}
    assert by_id["a"]["model_probability"] > 0.5 > by_id["b"]["model_probability"]
    assert "author:ai_safety (Ada Lovelace)" in by_id["a"]["safety_evidence"]
    # the same model without the researcher list: no author matches
    alone = classify_relevance(papers, taxonomy, model=model, details=True)
    assert alone["model_probability"][0] == pytest.approx(by_id["b"]["model_probability"])


def test_names_the_model_calls_common_never_count(taxonomy):
    weights = {"topic:alignment_training:phrases": 1.0, rm.AUTHOR_FEATURE: 4.0}
    model = dataclasses.replace(_model(weights, intercept=-3.0), common_author_names=("ada lovelace",))
    papers = _authored(_papers({"a": PAPERS["one_phrase"]}), {"a"})
    out = classify_relevance(papers, taxonomy, model=model, researchers=RESEARCHERS, details=True)
    assert out["model_probability"][0] < 0.5 and "author:ai_safety" not in (out["safety_evidence"][0] or "")


def test_common_author_names_survive_the_model_file(tmp_path):
    path = tmp_path / "model.json"
    model = dataclasses.replace(_model({"word:a": 0.5}), common_author_names=("yang liu", "lei zhang"))
    path.write_text(rm.model_json(model))
    assert inputs.relevance_model(path).common_author_names == ("lei zhang", "yang liu")
    data = json.loads(path.read_text()) | {"common_author_names": "yang liu"}
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"model\.json: not a relevance model file.*common_author_names"):
        inputs.relevance_model(path)


def test_the_researcher_list_is_part_of_the_version_only_when_the_model_weighs_authors(taxonomy):
    text_only, authored = _model({"word:agents": 1.0}), _model({rm.AUTHOR_FEATURE: 1.0})
    other = RESEARCHERS.with_columns(name_normalized=pl.lit("grace hopper"))
    assert classifier_version(taxonomy, text_only, RESEARCHERS) == classifier_version(taxonomy, text_only, other)
    assert classifier_version(taxonomy, authored, RESEARCHERS) != classifier_version(taxonomy, authored, other)


def test_classifier_version_follows_the_model(taxonomy):
    assert classifier_version(taxonomy) != classifier_version(taxonomy, _model({}))
    other = rm.RelevanceModel(intercept=0, weights={}, threshold=0.5, taxonomy_sha256="x", sha256="m2")
    assert classifier_version(taxonomy, _model({})) != classifier_version(taxonomy, other)


def test_a_warm_start_and_a_given_gram_reach_the_same_optimum():
    rng = np.random.default_rng(3)
    x = (rng.random((50, 120)) < 0.1).astype(float)  # more features than items, sparse like word presence
    y = (rng.random(50) < 0.3).astype(float)
    cold = rm.fit_logistic(x, y, 3.0)
    strong = rm.fit_logistic(x, y, 30.0)
    warm = rm.fit_logistic(x, y, 3.0, start=rm.fit_start(*strong), gram=rm.items_gram(x))
    assert np.allclose(cold[0], warm[0], atol=1e-6) and cold[1] == pytest.approx(warm[1], abs=1e-6)
