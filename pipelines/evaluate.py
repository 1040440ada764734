"""`make eval`: score the classifier against ../shared/data/labels and write docs/evaluation.md.

    .venv/bin/python -m pipelines.evaluate [--out docs/evaluation.md]

Label sets and how they are used (pipelines/lib/eval_sets.py; decisions documented in the written report):
- TAI Safety Bibliography: TechSafety = narrow positive; NotSafety = negative; MetaSafety (strategy,
  governance, forecasting) is left out of the narrow score and reported separately; Ambiguous and Unsorted
  items are left out. Items are deduplicated by normalised title.
- The judged corpus sample (seeds/eval/corpus_sample_labels.csv): 4,000 random corpus papers judged narrow /
  broad / borderline against docs/labelling.md; borderline papers are left out.
- Alignment Newsletter: the editor's category mapped to our topics (seeds/an_category_map.yaml) for topic
  scores; the newsletter has no abstracts, so abstracts come from the TAI entry of the same work.
- alignment-graph: a peer pipeline's picks, joined to the corpus by arXiv id, for agreement rates.
Every item is assigned to dev or test by a hash of its normalised title; phrases, thresholds and the second stage
were tuned and trained on dev only.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipelines import eval_inputs, evaluate_blind, inputs, settings
from pipelines.evaluation_report import render
from pipelines.evaluation_results import (
    MIN_CLASS_SUPPORT,
    SPLITS,
    AlignmentGraph,
    Authorship,
    Evaluation,
    JudgedSample,
    RubricReading,
    SplitScores,
)
from pipelines.lib import eval_sets as es
from pipelines.lib.eval_sets import classify_items, has_abstract
from pipelines.lib.evaluation import (
    NONE_LABEL,
    binary_confusion,
    binary_metrics,
    confusion_table,
    macro_f1,
    per_class_metrics,
    split_of,
)
from pipelines.lib.origin_eval import evaluate_origin
from pipelines.lib.relevance import (
    classifier_version,
    classify_relevance,
    counted_researchers,
    uses_authors,
)
from pipelines.lib.relevance_model import RelevanceModel
from pipelines.lib.safety_authors import safety_authors
from pipelines.lib.taxonomy import Taxonomy

TARGETS = {"narrow_precision": 0.85, "narrow_recall": 0.80, "topic_macro_f1": 0.60}


# ---------------------------------------------------------------- metrics


def narrow_metrics(rel: pl.DataFrame, split: str) -> dict:
    """Narrow P/R/F1 on the items with a narrow truth (TechSafety + judged-yes corpus papers vs NotSafety +
    judged-no corpus papers; items with abstracts), overall (`all`) and per source (`tai`, `corpus`); and with
    the TechSafety works the rubric reading does not call narrow left out, overall (`all_rubric`) and on the
    bibliography (`tai_rubric`)."""
    scored = rel.filter(pl.col("split") == split, pl.col("truth_narrow").is_not_null())
    out = {
        "all": binary_metrics(scored["truth_narrow"], scored["is_safety_narrow"]),
        "confusion": binary_confusion(scored["truth_narrow"], scored["is_safety_narrow"], ("safety", "not safety")),
    }
    for source in ("tai", "corpus"):
        part = scored.filter(pl.col("source") == source)
        out[source] = binary_metrics(part["truth_narrow"], part["is_safety_narrow"])
    # TechSafety works a reading of their title and abstract against the rubric does not call narrow: left out
    unread = (pl.col("source") == "tai") & pl.col("truth_narrow") & (pl.col("rubric_narrow").fill_null("") != "yes")
    part = scored.filter(~unread)
    out["all_rubric"] = binary_metrics(part["truth_narrow"], part["is_safety_narrow"])
    part = scored.filter(pl.col("source") == "tai", ~unread)
    out["tai_rubric"] = binary_metrics(part["truth_narrow"], part["is_safety_narrow"])
    return out


def broad_metrics(rel: pl.DataFrame, split: str) -> dict:
    """Broad P/R/F1 on the judged corpus sample (judged broad yes vs no; borderline left out)."""
    scored = rel.filter(
        pl.col("split") == split, pl.col("source") == "corpus", pl.col("judged_broad").is_in(["yes", "no"])
    )
    return binary_metrics(scored["judged_broad"] == "yes", scored["is_safety_broad"])


def flag_rates(frame: pl.DataFrame, by: str) -> pl.DataFrame:
    return (
        frame.group_by(by)
        .agg(
            n=pl.len(),
            narrow=pl.col("is_safety_narrow").mean(),
            broad=pl.col("is_safety_broad").mean(),
        )
        .sort(by)
    )


def topic_metrics(topics: pl.DataFrame, split: str, taxonomy: Taxonomy, *, with_abstract: bool) -> dict:
    scored = topics.filter(pl.col("split") == split)
    scored = scored.filter(has_abstract() if with_abstract else ~has_abstract())
    pred = scored["primary_topic"].fill_null(NONE_LABEL)
    classes = [t for t in taxonomy.topic_ids if t in set(scored["gold_topic"].to_list())]
    per_class = per_class_metrics(scored["gold_topic"], pred, classes)
    hit_any = (
        scored.select(hit=pl.col("topics").list.contains(pl.col("gold_topic")))["hit"].mean() if scored.height else None
    )
    flagged = scored.filter(pl.col("is_safety_broad"))
    cond = per_class_metrics(flagged["gold_topic"], flagged["primary_topic"].fill_null(NONE_LABEL), classes)
    return {
        "n": scored.height,
        "per_class": per_class,
        "macro_f1": macro_f1(per_class, MIN_CLASS_SUPPORT),
        "macro_f1_all_classes": macro_f1(per_class),
        "accuracy": float((pred == scored["gold_topic"]).mean()) if scored.height else None,
        "gold_in_topics": hit_any,
        "confusion": confusion_table(scored["gold_topic"], pred),
        "n_flagged": flagged.height,
        "macro_f1_flagged": macro_f1(cond, MIN_CLASS_SUPPORT),
    }


def authorship_effect(with_authors: pl.DataFrame, without_authors: pl.DataFrame) -> dict:
    """Narrow papers with and without the authorship signal (same papers, same model): how many it adds and
    removes, and the added share of the narrow count."""
    joined = with_authors.select("arxiv_id", a="is_safety_narrow").join(
        without_authors.select("arxiv_id", b="is_safety_narrow"), on="arxiv_id", how="inner"
    )
    narrow = int(joined["a"].sum())
    added = joined.filter(pl.col("a") & ~pl.col("b")).height
    return {
        "narrow": narrow,
        "added": added,
        "removed": joined.filter(~pl.col("a") & pl.col("b")).height,
        "added_share": added / narrow if narrow else 0.0,
    }


def _researcher_matches(corpus: pl.DataFrame, researchers: pl.DataFrame) -> pl.DataFrame:
    """(arxiv_id, person) for every corpus author in the researcher list, matched as the classifier matches."""
    base = corpus.select("arxiv_id", "authors").with_row_index("_row")
    persons = base.select("arxiv_id", person=safety_authors(base, researchers))
    return persons.explode("person").drop_nulls("person")


def papers_with_researchers(corpus: pl.DataFrame, researchers: pl.DataFrame) -> int:
    return _researcher_matches(corpus, researchers)["arxiv_id"].n_unique()


def most_matched_researcher(corpus: pl.DataFrame, researchers: pl.DataFrame) -> tuple[str, int]:
    """The researcher name on the most corpus papers, and that count (ties: alphabetical); ('-', 0) if none."""
    counts = (
        _researcher_matches(corpus, researchers)
        .group_by("person")
        .len()
        .sort(["len", "person"], descending=[True, False])
    )
    return (counts["person"][0], int(counts["len"][0])) if counts.height else ("-", 0)


def rubric_reading(items: pl.DataFrame) -> RubricReading:
    """How many of the bibliography's TechSafety works a reading against the rubric calls narrow."""
    tech = items.filter(pl.col("source") == "tai", pl.col("truth_narrow"))
    counts = dict(tech.group_by("rubric_narrow").len().iter_rows())
    return RubricReading(
        tech_safety=tech.height,
        yes=counts.get("yes", 0),
        borderline=counts.get("borderline", 0),
        no=counts.get("no", 0),
    )


def second_stage_counts(rel: pl.DataFrame, rel_first: pl.DataFrame) -> pl.DataFrame:
    """What the second stage changed: papers it added and first-stage answers it overruled, per split and source."""
    both = rel.select("_i", "split", "source", "truth_narrow", "is_safety_narrow", "model_probability").join(
        rel_first.select("_i", first="is_safety_narrow"), on="_i"
    )
    rows = []
    for (split, source), s in sorted(
        both.filter(pl.col("truth_narrow").is_not_null()).group_by("split", "source"), key=lambda g: g[0]
    ):
        added = s.filter(pl.col("is_safety_narrow") & ~pl.col("first"))
        vetoed = s.filter(~pl.col("is_safety_narrow") & pl.col("first"))
        positives = s.filter(pl.col("truth_narrow"))
        in_scope = positives.filter(pl.col("model_probability").is_not_null())
        rows.append(
            {
                "split": split,
                "source": source,
                "safety items": positives.height,
                "in scope": in_scope.height,
                "found in scope": int(in_scope["is_safety_narrow"].sum()),
                "added": added.height,
                "added, truly safety": int(added["truth_narrow"].sum()),
                "overruled": vetoed.height,
                "overruled, truly not safety": int((~vetoed["truth_narrow"]).sum()),
            }
        )
    return pl.DataFrame(rows)


def label_flag_rates(rel: pl.DataFrame) -> pl.DataFrame:
    """Flag rates per split and label (all TAI labels, with and without abstract; corpus sample by judgement)."""
    return flag_rates(
        rel.with_columns(
            group=pl.col("split")
            + pl.lit(" / ")
            + pl.col("label")
            + pl.when(pl.col("source") == "corpus")
            .then(pl.lit(" judged ") + pl.col("judged_narrow"))
            .otherwise(pl.lit(""))
            + pl.when(pl.col("ambiguous")).then(pl.lit(" (ambiguous)")).otherwise(pl.lit(""))
            + pl.when(has_abstract()).then(pl.lit("")).otherwise(pl.lit(" / title only"))
        ),
        "group",
    )


def judged_sample(rel: pl.DataFrame) -> JudgedSample:
    """The judged corpus sample: shares judged and flagged per split, and the test split's errors, for inspection."""
    share_rows = []
    for split in SPLITS:
        s = rel.filter(pl.col("split") == split, pl.col("source") == "corpus")
        share_rows.append(
            {
                "split": split,
                "papers": s.height,
                "judged narrow yes": (s["judged_narrow"] == "yes").mean(),
                "judged borderline": (s["judged_narrow"] == "borderline").mean(),
                "flagged narrow": s["is_safety_narrow"].mean(),
                "judged broad yes": (s["judged_broad"] == "yes").mean(),
                "flagged broad": s["is_safety_broad"].mean(),
            }
        )
    test_corpus = rel.filter(pl.col("split") == "test", pl.col("source") == "corpus")
    errors = test_corpus.filter(
        pl.col("judged_narrow").is_in(["yes", "no"]), (pl.col("judged_narrow") == "yes") != pl.col("is_safety_narrow")
    ).select(
        "arxiv_id",
        "title",
        judged="judged_narrow",
        flagged="is_safety_narrow",
        note="judged_note",
        evidence=pl.col("safety_evidence").str.slice(0, 140),
    )
    return JudgedSample(shares=pl.DataFrame(share_rows), test_errors=errors.sort("judged", "arxiv_id"))


def split_scores(
    split: str,
    taxonomy: Taxonomy,
    *,
    rel: pl.DataFrame,
    rel_first: pl.DataFrame,
    rel_text: pl.DataFrame,
    rel_unauthored: pl.DataFrame,
    topics: pl.DataFrame,
) -> SplitScores:
    return SplitScores(
        narrow=narrow_metrics(rel, split),
        first_stage=narrow_metrics(rel_first, split),
        text_context=narrow_metrics(rel_text, split),
        unauthored=narrow_metrics(rel_unauthored, split),
        broad_corpus=broad_metrics(rel, split),
        topics=topic_metrics(topics, split, taxonomy, with_abstract=True),
        topics_title_only=topic_metrics(topics, split, taxonomy, with_abstract=False),
    )


def targets_met(test: SplitScores) -> dict[str, bool]:
    """Test targets: narrow on all items, as the issue defines the set, and on the corpus sample alone."""
    narrow, corpus = test.narrow["all"], test.narrow["corpus"]
    return {
        "narrow precision": (narrow["precision"] or 0) >= TARGETS["narrow_precision"],
        "narrow recall": (narrow["recall"] or 0) >= TARGETS["narrow_recall"],
        "narrow precision on the corpus sample": (corpus["precision"] or 0) >= TARGETS["narrow_precision"],
        "narrow recall on the corpus sample": (corpus["recall"] or 0) >= TARGETS["narrow_recall"],
        "topic macro-F1": (test.topics["macro_f1"] or 0) >= TARGETS["topic_macro_f1"],
    }


def corpus_authorship(
    corpus: pl.DataFrame,
    corpus_all: pl.DataFrame,
    taxonomy: Taxonomy,
    model: RelevanceModel,
    researchers: pl.DataFrame,
) -> Authorship:
    """What the authorship signal does on the whole corpus (`corpus_all`: classified with the researchers)."""
    effect = authorship_effect(corpus_all, classify_relevance(corpus, taxonomy, model=model))
    counted = counted_researchers(model, researchers)
    top_name, top_papers = most_matched_researcher(corpus, counted)
    return Authorship(
        **effect,
        authored_papers=papers_with_researchers(corpus, counted),
        top_name=top_name,
        top_papers=top_papers,
        researchers=researchers.height,
        common_names=len(model.common_author_names),
    )


def alignment_graph(ag: pl.DataFrame, corpus_all: pl.DataFrame) -> AlignmentGraph:
    """Our flag rates on alignment-graph's picks that are in our corpus."""
    joined = ag.join(
        corpus_all.select("arxiv_id", "is_safety_broad", "is_safety_narrow", "primary_topic"),
        on="arxiv_id",
        how="inner",
    )
    joined = joined.with_columns(split=split_of(joined["item_key"]))
    return AlignmentGraph(
        kept=ag.height,
        joined=joined.height,
        by_split=flag_rates(joined, "split"),
        by_cluster=flag_rates(joined, "cluster"),
    )


def evaluate(first_stage_only: bool = False) -> Evaluation:
    """Classify every label set and the corpus, and score them."""
    started = time.perf_counter()
    bundle = inputs.classifier_bundle()
    taxonomy, model, set_aside, researchers = bundle.taxonomy, bundle.model, bundle.set_aside, bundle.researchers
    if first_stage_only:
        model, set_aside = None, "first stage only, as asked"
    tai = eval_inputs.tai()
    an = eval_inputs.alignment_newsletter()
    ag = eval_inputs.alignment_graph()
    corpus = eval_inputs.corpus()
    sample = es.corpus_sample(corpus, eval_inputs.sample_labels())

    items = es.relevance_set(tai, sample, tai_rubric=eval_inputs.tai_rubric_labels()).with_row_index("_i")
    rel = classify_items(items, taxonomy, model, researchers)
    rel_first = classify_items(items, taxonomy, None) if model is not None else rel
    rel_unauthored = classify_items(items, taxonomy, model) if uses_authors(model) else rel
    rel_text = classify_items(es.relevance_set(tai, sample, label_categories=()), taxonomy, model, researchers)
    topics = classify_items(es.topic_set(an), taxonomy, model, researchers)
    corpus_all = corpus.join(classify_relevance(corpus, taxonomy, model=model, researchers=researchers), on="arxiv_id")
    written_at = datetime.now(UTC)

    splits = {
        split: split_scores(
            split,
            taxonomy,
            rel=rel,
            rel_first=rel_first,
            rel_text=rel_text,
            rel_unauthored=rel_unauthored,
            topics=topics,
        )
        for split in SPLITS
    }
    blind = None
    if eval_inputs.eval_path(es.BLIND_FILE).exists():
        blind = evaluate_blind.score(
            corpus_all.select("arxiv_id", "is_safety_narrow").unique("arxiv_id"), corpus_all["arxiv_id"].n_unique()
        )
    flagged_topics = (
        corpus_all.filter(pl.col("is_safety_broad"))
        .group_by("primary_topic")
        .agg(papers=pl.len(), narrow=pl.col("is_safety_narrow").sum())
        .sort("papers", descending=True)
    )
    origin_markdown, origin_metrics = evaluate_origin(
        eval_inputs.tai_raw(),
        bundle.organizations,
        bundle.roster,
        name_counts=eval_inputs.corpus_name_statistics(),
        places=inputs.record_places(),
    )
    return Evaluation(
        written_at=written_at,
        classifier_version=classifier_version(taxonomy, model, researchers),
        model=model,
        set_aside=set_aside,
        sample_size=sample.height,
        splits=splits,
        targets_met=targets_met(splits["test"]),
        blind=blind,
        rubric_reading=rubric_reading(items),
        second_stage=second_stage_counts(rel, rel_first) if model is not None else None,
        label_flag_rates=label_flag_rates(rel),
        judged_sample=judged_sample(rel),
        topic_coverage=topics.group_by("split").agg(n=pl.len(), with_abstract=has_abstract().sum()).sort("split"),
        corpus_rates=corpus_all.select(
            papers=pl.len(), broad=pl.col("is_safety_broad").mean(), narrow=pl.col("is_safety_narrow").mean()
        ),
        authorship=corpus_authorship(corpus, corpus_all, taxonomy, model, researchers) if uses_authors(model) else None,
        corpus_topics=flagged_topics,
        alignment_graph=alignment_graph(ag, corpus_all),
        origin_markdown=origin_markdown,
        origin_metrics=origin_metrics,
        seconds=time.perf_counter() - started,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=settings.PROJECT_ROOT / "docs" / "evaluation.md")
    parser.add_argument(
        "--first-stage-only", action="store_true", help="score the phrase stage alone (ignore the second stage)"
    )
    args = parser.parse_args(argv)
    report = render(evaluate(args.first_stage_only))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
