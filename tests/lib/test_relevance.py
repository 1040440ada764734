"""Relevance and topics on hand-made papers with known answers, and on a slice of the real corpus."""

import polars as pl
import pytest

from pipelines import eval_inputs, inputs
from pipelines.lib.relevance import RELEVANCE_SCHEMA, classifier_version, classify_relevance
from pipelines.lib.taxonomy import Taxonomy, parse_taxonomy

PAPERS = {
    "jailbreak": (
        "Jailbreaking Aligned Language Models with Adversarial Suffixes",
        "We show that adversarial suffixes elicit harmful content from safety-aligned LLMs, with a high attack "
        "success rate against refusal training.",
        ["cs.CL", "cs.CR"],
    ),
    "seq_align": (
        "Fast Multiple Sequence Alignment of Protein Families",
        "We present a progressive algorithm for sequence alignment with improved alignment scores and safety "
        "margins for memory use.",
        ["q-bio.GN"],
    ),
    "fairness": (
        "Mitigating Gender Bias in Ranking under Demographic Parity",
        "Algorithmic fairness in machine learning: we reduce gender bias of learned rankers while keeping accuracy.",
        ["cs.LG"],
    ),
    "sae": (
        "Sparse Autoencoders Find Monosemantic Features in Language Models",
        "Using sparse autoencoders on the residual stream, we identify interpretable features and verify them "
        "with activation patching.",
        ["cs.LG"],
    ),
    "robot_safety": (
        "Safe Control of Legged Robots with Control Barrier Functions",
        "We guarantee safety of a legged robot using control barrier functions and a safe set formulation.",
        ["cs.RO"],
    ),
    "plain": (
        "Efficient Attention for Long Video Understanding",
        "We propose a sparse attention mechanism that scales to hour-long videos.",
        ["cs.CV"],
    ),
    "corrigibility_blog": (
        "Corrigibility and the Shutdown Problem",
        "We analyse corrigibility: an agent that does not resist shutdown. Utility indifference fails.",
        [],
    ),
    "empty": (None, None, None),
}


@pytest.fixture(scope="module")
def taxonomy():
    return inputs.taxonomy()


@pytest.fixture(scope="module")
def result(taxonomy) -> dict[str, dict]:
    frame = pl.DataFrame(
        {
            "arxiv_id": list(PAPERS),
            "title": [v[0] for v in PAPERS.values()],
            "abstract": [v[1] for v in PAPERS.values()],
            "categories": [v[2] for v in PAPERS.values()],
            "primary_category": [v[2][0] if v[2] else None for v in PAPERS.values()],
        },
        schema_overrides={"categories": pl.List(pl.String)},
    )
    out = classify_relevance(frame, taxonomy, details=True)
    return {row["arxiv_id"]: row for row in out.iter_rows(named=True)}


def test_output_schema_and_one_row_per_paper(taxonomy, result):
    frame = pl.DataFrame(
        {"arxiv_id": ["a", "b"], "title": ["x", "y"], "abstract": [None, "z"], "categories": [["cs.AI"], None]}
    )
    out = classify_relevance(frame, taxonomy)
    assert out.schema == pl.Schema(RELEVANCE_SCHEMA)
    assert out["arxiv_id"].to_list() == ["a", "b"]
    assert set(result) == set(PAPERS)


def test_jailbreak_paper_is_narrow_red_teaming(result):
    row = result["jailbreak"]
    assert row["is_safety_narrow"] and row["is_safety_broad"]
    assert row["primary_topic"] == "red_teaming"
    assert "'jailbreak*' (title" in row["safety_evidence"]


def test_sequence_alignment_is_not_safety(result):
    row = result["seq_align"]
    assert not row["is_safety_broad"] and not row["is_safety_narrow"]
    assert row["topics"] == [] and row["primary_topic"] is None and row["safety_evidence"] is None


def test_fairness_paper_is_broad_not_narrow(result):
    row = result["fairness"]
    assert row["is_safety_broad"] and not row["is_safety_narrow"]
    assert row["primary_topic"] == "fairness"


def test_interpretability_paper(result):
    row = result["sae"]
    assert row["is_safety_narrow"] and row["primary_topic"] == "interpretability"
    assert row["narrow_evidence"] > result["jailbreak"]["narrow_evidence"] / 10


def test_robot_control_safety_and_plain_papers_are_not_safety(result):
    for key in ("robot_safety", "plain", "empty"):
        assert not result[key]["is_safety_broad"], key
        assert result[key]["safety_score"] < 0.5


def test_self_evident_phrases_need_no_ai_context(result):
    row = result["corrigibility_blog"]
    assert row["is_safety_narrow"] and row["primary_topic"] == "agent_foundations"


def test_title_weighs_more_than_abstract(taxonomy):
    frame = pl.DataFrame(
        {
            "arxiv_id": ["title", "abstract"],
            "title": ["Reward hacking in language models", "A study of language models"],
            "abstract": ["We study language models.", "We study reward hacking in language models."],
            "categories": [["cs.CL"], ["cs.CL"]],
        }
    )
    out = classify_relevance(frame, taxonomy)
    scores = dict(zip(out["arxiv_id"], out["safety_score"], strict=True))
    assert scores["title"] > scores["abstract"] > 0


def test_contained_phrase_counts_once(taxonomy):
    # "harmful content" is a strong phrase containing the phrase "harmful": one mention is one phrase.
    frame = pl.DataFrame(
        {"arxiv_id": ["x"], "title": ["A note"], "abstract": ["Filtering harmful content."], "categories": [["cs.CL"]]}
    )
    evidence = classify_relevance(frame, taxonomy)["safety_evidence"][0]
    assert "'harmful content*'" in evidence and "'harmful*'" not in evidence


def test_version_depends_on_seed(taxonomy):
    from dataclasses import replace

    assert classifier_version(taxonomy) != classifier_version(replace(taxonomy, seed_sha256="0" * 64))


def test_real_corpus_slice_shares_are_plausible(taxonomy, corpus_slice):
    papers = eval_inputs.corpus(corpus_slice)
    out = classify_relevance(papers, taxonomy)
    assert out.height == papers.height
    broad, narrow = out["is_safety_broad"].mean(), out["is_safety_narrow"].mean()
    assert 0.001 < narrow <= broad < 0.5
    flagged = out.filter(pl.col("is_safety_broad"))
    assert flagged["primary_topic"].null_count() == 0
    assert flagged["safety_evidence"].null_count() == 0
    assert (flagged["topics"].list.len() > 0).all()


def _mini_taxonomy(scoring: str) -> Taxonomy:
    """A hand-made taxonomy: general safety (the fallback), one specific narrow topic, one broad-only topic."""
    fillers = "\n".join(
        f"  - {{id: filler{i}, name: F{i}, definition: d, scope: narrow, phrases: [zzfiller{i}]}}" for i in range(9)
    )
    return parse_taxonomy(
        f"""
scoring:
{scoring}
ai_context:
  categories: [cs.LG]
topics:
  - id: safety_general
    name: General
    definition: d
    scope: narrow
    strong: [ai alignment, alignment forum, ai safety]
    weak: [alignment]
  - id: oversight
    name: Oversight
    definition: d
    scope: narrow
    strong: [debate]
  - id: fair
    name: Fairness
    definition: d
    scope: broad_only
    strong: [demographic parity]
{fillers}
"""
    )


def _classify(taxonomy: Taxonomy, texts: dict[str, tuple[str, str]]) -> dict[str, dict]:
    frame = pl.DataFrame(
        {
            "arxiv_id": list(texts),
            "title": [t for t, _ in texts.values()],
            "abstract": [a for _, a in texts.values()],
            "categories": [["cs.LG"]] * len(texts),
        }
    )
    out = classify_relevance(frame, taxonomy, details=True)
    return {row["arxiv_id"]: row for row in out.iter_rows(named=True)}


def test_overlapping_containers_do_not_wrap_counts():
    # " alignment " sits inside both "ai alignment" and "alignment forum": absorbed twice, counted once.
    # Unsigned arithmetic once turned that into 2**32 - 1 occurrences.
    tax = _mini_taxonomy("  threshold: 2.0")
    row = _classify(tax, {"x": ("A note", "Posted on the AI Alignment Forum.")})["x"]
    assert "'alignment' (" not in row["safety_evidence"]
    assert "4294967295" not in row["safety_evidence"]
    assert row["broad_evidence"] == pytest.approx(4.0)  # two strong phrases once in the abstract


def test_general_topic_needs_a_margin_to_beat_a_specific_one():
    texts = {
        # general: 'ai safety' in title and abstract (2 x 3 = 6) vs oversight: 'debate' in the abstract (2)
        "general": ("AI safety", "AI safety via debate."),
        # general 2 vs oversight 2
        "tie": ("A note", "AI safety via debate."),
    }
    by_default = _classify(_mini_taxonomy("  threshold: 2.0"), texts)
    assert by_default["general"]["primary_topic"] == "oversight"
    with_margin = _classify(_mini_taxonomy("  threshold: 2.0\n  fallback_margin: 2.0"), texts)
    assert with_margin["general"]["primary_topic"] == "safety_general"
    assert with_margin["tie"]["primary_topic"] == "oversight"
    assert set(with_margin["general"]["topics"]) == {"safety_general", "oversight"}


def test_broad_threshold_applies_to_broad_only_evidence():
    texts = {"fair": ("A note", "We enforce demographic parity in machine learning.")}
    assert _classify(_mini_taxonomy("  threshold: 2.0"), texts)["fair"]["is_safety_broad"]
    strict = _classify(_mini_taxonomy("  threshold: 2.0\n  broad_threshold: 3.0"), texts)["fair"]
    assert not strict["is_safety_broad"] and not strict["is_safety_narrow"]


def test_evidence_lists_tied_phrases_in_a_fixed_order(taxonomy):
    """Equal scores are listed by phrase, so the same paper always gets the same evidence text."""
    frame = pl.DataFrame(
        {
            "arxiv_id": ["a"],
            "title": ["A study"],
            "abstract": ["Jailbreak attacks and prompt injection against LLM guardrails."],
            "categories": [["cs.CL"]],
        }
    )
    texts = {classify_relevance(frame, taxonomy)["safety_evidence"][0] for _ in range(5)}
    assert len(texts) == 1
    red_teaming = next(part for part in texts.pop().split("; ") if part.startswith("red_teaming:"))
    phrases = [p.split("'")[1] for p in red_teaming.removeprefix("red_teaming: ").split(", ") if "'" in p]
    assert phrases == sorted(phrases)  # all three are found once, in the abstract: a tie
