"""The taxonomy seed loads and validates; phrase syntax compiles to the literals the classifier matches."""

import pytest

from pipelines import inputs
from pipelines.lib.taxonomy import (
    GLOBAL,
    MAX_TOPICS,
    MIN_TOPICS,
    parse_taxonomy,
    phrase_literals,
)

MINIMAL = """
scoring:
  threshold: 2.0
topics:
TOPICS
"""


def _topics(n: int, scope: str = "narrow", extra: str = "") -> str:
    return "\n".join(
        f"  - {{id: t{i}, name: T{i}, definition: d, scope: {scope}, phrases: [word{i}]{extra}}}" for i in range(n)
    )


def test_seed_loads_with_required_fields():
    tax = inputs.taxonomy()
    assert MIN_TOPICS <= len(tax.topics) <= MAX_TOPICS
    scopes = {t.scope for t in tax.topics}
    assert scopes == {"narrow", "broad_only"}
    for topic in tax.topics:
        assert topic.name and topic.definition and topic.phrases
    broad_only = {t.id for t in tax.topics if not t.is_narrow}
    assert {"fairness", "privacy", "hallucination"} <= broad_only
    # the issue lists "red-teaming, jailbreaks and adversarial robustness" among the technical topics
    assert tax.topic("robustness").is_narrow
    assert len(tax.seed_sha256) == 64


def test_phrase_syntax():
    assert phrase_literals("red-teaming") == (" red teaming ",)
    assert phrase_literals("Jailbreak*") == (" jailbreak",)
    assert phrase_literals("rlhf|reinforcement learning from human feedback") == (
        " rlhf ",
        " reinforcement learning from human feedback ",
    )
    assert phrase_literals("{llm,ai} agent*") == (" llm agent", " ai agent")
    assert phrase_literals("{large ,}model") == (" large model ", " model ")


@pytest.mark.parametrize("bad", ["jail*break", "a|", "{a,b"])
def test_bad_phrases_rejected(bad):
    with pytest.raises(ValueError):
        phrase_literals(bad)


def test_topic_count_enforced():
    with pytest.raises(ValueError, match="topics"):
        parse_taxonomy(MINIMAL.replace("TOPICS", _topics(MIN_TOPICS - 1)))
    assert len(parse_taxonomy(MINIMAL.replace("TOPICS", _topics(MIN_TOPICS))).topics) == MIN_TOPICS


def test_invalid_scope_and_unknown_keys_rejected():
    with pytest.raises(ValueError, match="scope"):
        parse_taxonomy(MINIMAL.replace("TOPICS", _topics(MIN_TOPICS, scope="medium")))
    with pytest.raises(ValueError, match="unknown keys"):
        parse_taxonomy(MINIMAL.replace("TOPICS", _topics(MIN_TOPICS, extra=", colour: red")))


def test_version_hash_follows_seed_text():
    a = parse_taxonomy(MINIMAL.replace("TOPICS", _topics(MIN_TOPICS)))
    b = parse_taxonomy(MINIMAL.replace("TOPICS", _topics(MIN_TOPICS)) + "\n# edited\n")
    assert a.seed_sha256 != b.seed_sha256


def test_absorption_lists_minimal_containers():
    tax = inputs.taxonomy()
    table = tax.absorption_table()
    # "sequence alignment" (a global negative) absorbs the alignment topic's weak word "alignment".
    rows = table.filter(table["literal"] == " alignment ")
    assert " sequence alignment" in rows["container"].to_list()
    # Every container really contains its literal.
    assert all(lit.strip() in c for lit, c in zip(table["literal"], table["container"], strict=True))
    assert GLOBAL not in table["topic"].to_list()


def test_scoring_defaults_and_overrides():
    default = parse_taxonomy(MINIMAL.replace("TOPICS", _topics(MIN_TOPICS)))
    assert default.broad_threshold == default.threshold == 2.0
    assert default.fallback_margin == float("inf")
    text = MINIMAL.replace("threshold: 2.0", "threshold: 2.0\n  broad_threshold: 3.5\n  fallback_margin: 1.5")
    tuned = parse_taxonomy(text.replace("TOPICS", _topics(MIN_TOPICS)))
    assert (tuned.broad_threshold, tuned.fallback_margin, tuned.threshold) == (3.5, 1.5, 2.0)
