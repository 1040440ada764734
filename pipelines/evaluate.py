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
    wilson_interval,
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

SPLITS = ("dev", "test")
TARGETS = {"narrow_precision": 0.85, "narrow_recall": 0.80, "topic_macro_f1": 0.60}
MIN_CLASS_SUPPORT = 5  # topics with fewer gold items in a split are shown but left out of macro-F1


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


def rubric_reading_note(items: pl.DataFrame) -> str:
    """How many of the bibliography's TechSafety works a reading against the rubric calls narrow."""
    tech = items.filter(pl.col("source") == "tai", pl.col("truth_narrow"))
    counts = dict(tech.group_by("rubric_narrow").len().iter_rows())
    return (
        "The bibliography's curators file works under TechSafety for what they are part of (a safety group's "
        "output, an agenda) as well as for what they say, and many of its works read as capability or "
        "decision-theory work from their text. Each of its works with an abstract and a TechSafety or NotSafety "
        "label was read against the same "
        "rubric as the corpus sample (`seeds/eval/tai_rubric_labels.csv`, `docs/labelling.md`): of "
        f"{tech.height} TechSafety works, {counts.get('yes', 0)} ({counts.get('yes', 0) / max(tech.height, 1):.0%}) "
        f"read as narrow, {counts.get('borderline', 0)} as borderline and {counts.get('no', 0)} as not narrow. "
        "A classifier that reads title and abstract can recover about that share of them; the rows 'the rubric "
        "reads as narrow' score only the TechSafety works the reading confirms (negatives unchanged)."
    )


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


# ---------------------------------------------------------------- report


def _fmt(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def md_table(frame: pl.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([head, rule, *rows])


def metrics_row(name: str, m: dict) -> dict:
    """A table row: counts, precision, recall and F1, and 95% Wilson intervals of precision and recall."""
    row = {"set": name, **{k: m[k] for k in ("n", "tp", "fp", "fn", "tn", "precision", "recall", "f1")}}
    row["precision 95% CI"] = _interval(m["tp"], m["tp"] + m["fp"])
    row["recall 95% CI"] = _interval(m["tp"], m["tp"] + m["fn"])
    return row


def _interval(successes: int, trials: int) -> str:
    bounds = wilson_interval(successes, trials)
    return f"{bounds[0]:.2f}-{bounds[1]:.2f}" if bounds else ""


def model_description(model: RelevanceModel | None, set_aside: str | None) -> str:
    if model is None:
        return f"no second stage ({set_aside})" if set_aside else "no second stage"
    return f"second stage seeds/relevance_model.json {model.sha256[:12]}"


def _pr(m: dict) -> str:
    return f"precision {_fmt(m.get('precision'))}, recall {_fmt(m.get('recall'))}"


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


def second_stage_section(rel: pl.DataFrame, rel_first: pl.DataFrame, model: RelevanceModel) -> str:
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
    t = model.training
    cv = t.get("cross_validation", {})
    first, chosen = cv.get("first_stage", {}), cv.get("combined", {})
    return "\n".join(
        [
            "### Second stage",
            "",
            "A logistic regression over the first stage's phrase matches, the words of title and abstract and "
            "whether an author is a listed AI-safety researcher (pipelines/lib/relevance_model.py, "
            "pipelines/lib/safety_authors.py), trained on the dev split by `make train` "
            "(pipelines/train_relevance.py). A paper is narrow when its probability reaches "
            f"{model.threshold}, or the phrases make it narrow and the probability is not below {model.veto}"
            + (
                " (the same number: among the papers it scores, the model decides alone). "
                if model.veto == model.threshold
                else ". "
            )
            + f"Fitted on the {t.get('fitted_items')} of {t.get('items')} dev items "
            f"({_by_source(t.get('by_source', {}))}) in its scope ({SCOPE_TEXT.get(model.scope, model.scope)}), "
            f"{t.get('features')} features, L2 {t.get('l2')}; "
            + (
                "scope, threshold, veto and L2"
                if len(t.get("scopes_compared", SCOPE_TEXT)) > 1
                else f"scope given ({model.scope}, `make train TRAIN_ARGS=--scope ...`); threshold, veto and L2"
            )
            + " chosen for the best "
            "corpus-sample F1 in 5-fold cross-validation on dev (training pool papers train every fold and are "
            "never scored). On dev, first stage (in-sample: phrases tuned on dev): all items "
            f"{_pr(first.get('all', {}))}, corpus sample {_pr(first.get('corpus', {}))}; second stage, "
            "cross-validated: "
            f"all items {_pr(chosen.get('all', {}))}, corpus sample {_pr(chosen.get('corpus', {}))} (the best "
            "point of the grid, so optimistic). 'In scope': safety items the second stage scores; a safety item "
            "out of scope has no phrase match of the kind the scope needs, so neither stage can find it.",
            "",
            md_table(pl.DataFrame(rows)),
        ]
    )


SCOPE_TEXT = {
    "candidates": "papers with a match that is not a weak phrase",
    "any_match": "papers with any phrase match",
}
SOURCE_TEXT = {"tai": "TAI works", "corpus": "judged sample", "pool": "training pool, scope audit and hard cases"}


def _by_source(counts: dict) -> str:
    return ", ".join(f"{SOURCE_TEXT.get(k, k)} {v}" for k, v in counts.items())


def build_report(args: argparse.Namespace) -> tuple[str, dict]:
    started = time.perf_counter()
    bundle = inputs.classifier_bundle()
    taxonomy, model, set_aside, researchers = bundle.taxonomy, bundle.model, bundle.set_aside, bundle.researchers
    if args.first_stage_only:
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
    ag_joined = ag.join(
        corpus_all.select("arxiv_id", "is_safety_broad", "is_safety_narrow", "primary_topic"),
        on="arxiv_id",
        how="inner",
    )
    ag_joined = ag_joined.with_columns(split=split_of(ag_joined["item_key"]))

    metrics: dict = {"classifier_version": classifier_version(taxonomy, model, researchers)}
    out: list[str] = []
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out += [
        "# Classifier evaluation",
        "",
        f"Written by `.venv/bin/python -m pipelines.evaluate` (`make eval`) on {now}; classifier version "
        f"`{metrics['classifier_version']}` (seeds/taxonomy.yaml, {model_description(model, set_aside)}, "
        "pipelines/lib/relevance.py). Do not edit by hand.",
        "",
        "Labels: `../shared/data/labels` (TAI Safety Bibliography, Alignment Newsletter, alignment-graph) and "
        f"{sample.height} random papers of the arXiv corpus judged against the written rubric "
        "(`seeds/eval/corpus_sample_labels.csv`, how they were judged: `docs/labelling.md`). Every item goes to "
        "**dev** or **test** by an MD5 hash of its normalised title (50/50), so one work lands on the same side "
        "in every label set. Phrases and thresholds were tuned, and the second stage trained, on dev only; "
        "**test is the reported figure**.",
        "",
        "Targets on test: narrow precision >= 0.85, narrow recall >= 0.80, topic macro-F1 >= 0.60; origin "
        "precision >= 0.90 where not unknown (section Origin).",
        "",
    ]

    # -- headline
    head_rows = []
    for split in SPLITS:
        nm, first = narrow_metrics(rel, split), narrow_metrics(rel_first, split)
        tm = topic_metrics(topics, split, taxonomy, with_abstract=True)
        metrics[split] = {
            "narrow": nm["all"],
            "narrow_tai": nm["tai"],
            "narrow_corpus": nm["corpus"],
            "narrow_rubric": nm["all_rubric"],
            "narrow_tai_rubric": nm["tai_rubric"],
            "narrow_confusion": nm["confusion"],
            "narrow_first_stage": first["all"],
            "narrow_first_stage_corpus": first["corpus"],
            "narrow_text_context": narrow_metrics(rel_text, split)["all"],
            "narrow_unauthored": narrow_metrics(rel_unauthored, split)["all"],
            "narrow_unauthored_corpus": narrow_metrics(rel_unauthored, split)["corpus"],
            "broad_corpus": broad_metrics(rel, split),
            "topic_macro_f1": tm["macro_f1"],
            "topic_accuracy": tm["accuracy"],
            "topic_macro_f1_flagged": tm["macro_f1_flagged"],
        }
        head_rows.append(
            {
                "split": split,
                "narrow precision": nm["all"]["precision"],
                "narrow recall": nm["all"]["recall"],
                "narrow F1": nm["all"]["f1"],
                "narrow precision (corpus)": nm["corpus"]["precision"],
                "narrow recall (corpus)": nm["corpus"]["recall"],
                "topic macro-F1": tm["macro_f1"],
                "topic accuracy": tm["accuracy"],
                "broad precision (corpus)": metrics[split]["broad_corpus"]["precision"],
                "broad recall (corpus)": metrics[split]["broad_corpus"]["recall"],
            }
        )
    out += [
        "## Headline",
        "",
        md_table(pl.DataFrame(head_rows)),
        "",
        "The dev rows are in-sample for the second stage (trained on dev); its cross-validated dev estimate is in "
        "'Second stage' below. Broad precision and recall are measured on the judged corpus sample only.",
        "",
    ]
    if eval_inputs.eval_path(es.BLIND_FILE).exists():
        blind_md, metrics["blind"] = evaluate_blind.build_section(
            corpus_all.select("arxiv_id", "is_safety_narrow").unique("arxiv_id"), corpus_all["arxiv_id"].n_unique()
        )
        out += [
            "## Fresh blind set",
            "",
            "**This section is the headline for narrow precision and recall.** The judged sample's test split below "
            "had been in view during development and scores the classifier higher than papers nobody had looked at "
            "(why: `docs/labelling.md`, 'Why the two precision estimates differed'); its rows are kept as the old "
            "figure.",
            "",
            blind_md,
            "",
        ]
    t = metrics["test"]
    met = {
        "narrow precision": (t["narrow"]["precision"] or 0) >= TARGETS["narrow_precision"],
        "narrow recall": (t["narrow"]["recall"] or 0) >= TARGETS["narrow_recall"],
        "narrow precision on the corpus sample": (t["narrow_corpus"]["precision"] or 0) >= TARGETS["narrow_precision"],
        "narrow recall on the corpus sample": (t["narrow_corpus"]["recall"] or 0) >= TARGETS["narrow_recall"],
        "topic macro-F1": (t["topic_macro_f1"] or 0) >= TARGETS["topic_macro_f1"],
    }
    out += [
        "Test targets (narrow: all items, as the issue defines the set, and the corpus sample alone, the papers the "
        "dashboard counts): " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in met.items()) + ".",
        "",
    ]

    # -- narrow relevance
    out += [
        "## Narrow safety relevance",
        "",
        "Positives: TAI `TechSafety` works and corpus-sample papers judged narrow `yes`. Negatives: TAI "
        "`NotSafety` works and corpus-sample papers judged `no`. Left out: `MetaSafety` (strategy/governance/"
        "forecasting: not technical work, reported below), `UnsortedSafety`, anything tagged `AmbiguosSafety`, "
        "corpus papers judged `borderline`, items without an abstract (>= 100 characters; reported below), and "
        "works whose copies carry conflicting labels. The bibliography's works carry no arXiv categories; they "
        f"are scored as listed in {', '.join(es.LABEL_ITEM_CATEGORIES)} (every classified paper has categories; "
        "see `pipelines/lib/eval_sets.py`), and the row 'AI context from text only' scores them without. "
        "The second stage also weighs whether an author holds an AI-safety position in AI Watch "
        "(`pipelines/lib/safety_authors.py`; bibliography works by their listed authors, corpus papers by their "
        "arXiv authors, matched as the pipeline matches them); the rows 'no authorship' score the same model "
        "with no author matched (its other weights were fitted alongside authorship, so these rows understate a "
        "model trained on text alone). "
        "The 95% intervals are Wilson score intervals of each proportion (items taken as independent draws): "
        "they cover the sampling error of a test set this size, not the judges' own error.",
        "",
        "The corpus-sample rows are the figure for the population the pipeline classifies (arXiv papers of 2025-26 "
        "listed in AI-related categories; 83% in the AI categories the shares count); "
        "the TAI rows cover the older literature the bibliography collects (2015-2021, many essays and posts).",
        "",
        rubric_reading_note(items),
        "",
    ]
    rows = []
    for split in SPLITS:
        m = metrics[split]
        rows += [
            metrics_row(f"{split}: all", m["narrow"]),
            metrics_row(f"{split}: TAI works only", m["narrow_tai"]),
            metrics_row(f"{split}: corpus sample only", m["narrow_corpus"]),
            metrics_row(f"{split}: TAI works the rubric reads as narrow", m["narrow_tai_rubric"]),
            metrics_row(f"{split}: all, TAI positives the rubric reads as narrow", m["narrow_rubric"]),
            metrics_row(f"{split}: first stage only (phrases)", m["narrow_first_stage"]),
            metrics_row(f"{split}: first stage only, corpus sample", m["narrow_first_stage_corpus"]),
            metrics_row(f"{split}: AI context from text only", m["narrow_text_context"]),
            metrics_row(f"{split}: no authorship (researchers not matched)", m["narrow_unauthored"]),
            metrics_row(f"{split}: no authorship, corpus sample", m["narrow_unauthored_corpus"]),
        ]
    out += [md_table(pl.DataFrame(rows)), ""]
    for split in SPLITS:
        out += [f"Confusion ({split}):", "", md_table(metrics[split]["narrow_confusion"]), ""]
    if model is not None:
        out += [second_stage_section(rel, rel_first, model), ""]

    # flag rates by label (all TAI labels, with and without abstract; corpus sample by judgement)
    fr = flag_rates(
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
    out += [
        "Share flagged per label set (narrow and broad), including the sets left out of the score above:",
        "",
        md_table(fr),
        "",
    ]

    # the judged corpus sample: shares and the test split's errors, for inspection
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
    out += [
        "### The judged corpus sample",
        "",
        "How much of the AI literature is safety work, judged by reading, against the classifier's count on the "
        "same papers (the broad judgement follows ETO's wider notion; see docs/labelling.md):",
        "",
        md_table(pl.DataFrame(share_rows)),
        "",
        "Test-split disagreements (judged `yes` and not flagged, or judged `no` and flagged), listed so the "
        "judgements and the errors can be checked by reading them; tune on dev, never on these:",
        "",
        md_table(errors.sort("judged", "arxiv_id")) if errors.height else "(none)",
        "",
    ]
    metrics["corpus_sample"] = share_rows

    # -- topics
    out += [
        "## Topics",
        "",
        "Gold: the Alignment Newsletter editor's category mapped to one of our topics "
        "(`seeds/an_category_map.yaml`; categories without a counterpart, such as capabilities sections, "
        "news and forecasting, are left out), for newsletter items that the TAI bibliography does not label "
        "`NotSafety` (the editor filed much capabilities work, e.g. imitation learning, under alignment "
        "headings). The newsletter has no abstracts: items get the abstract of the same work in the TAI "
        "bibliography; the headline uses items with an abstract, title-only items are shown separately. "
        "Prediction: `primary_topic`, or `(none)` when the paper is not flagged as safety at all (a miss). "
        f"Macro-F1 averages the topics with at least {MIN_CLASS_SUPPORT} gold items in the split (all topics: "
        "next column). Also shown: accuracy, the share whose gold topic is anywhere in `topics`, and macro-F1 "
        "on the items the classifier flags (topic assignment given detection).",
        "",
    ]
    trows = []
    for split in SPLITS:
        for with_abs in (True, False):
            tm = topic_metrics(topics, split, taxonomy, with_abstract=with_abs)
            trows.append(
                {
                    "split": split,
                    "items": "with abstract" if with_abs else "title only",
                    "n": tm["n"],
                    "macro-F1": tm["macro_f1"],
                    "macro-F1 all topics": tm["macro_f1_all_classes"],
                    "accuracy": tm["accuracy"],
                    "gold in topics": tm["gold_in_topics"],
                    "flagged": tm["n_flagged"],
                    "macro-F1 on flagged": tm["macro_f1_flagged"],
                }
            )
    out += [md_table(pl.DataFrame(trows)), ""]
    for split in SPLITS:
        tm = topic_metrics(topics, split, taxonomy, with_abstract=True)
        out += [
            f"### Per topic ({split}, with abstract)",
            "",
            md_table(tm["per_class"]),
            "",
            f"Confusion ({split}; rows gold, columns predicted):",
            "",
            md_table(tm["confusion"]),
            "",
        ]
    cov = topics.group_by("split").agg(n=pl.len(), with_abstract=has_abstract().sum()).sort("split")
    out += ["Coverage of the topic set (abstracts come from the TAI entry of the same work):", "", md_table(cov), ""]

    # -- MetaSafety and broad
    out += [
        "## MetaSafety and the broad definition",
        "",
        "TAI `MetaSafety` items (strategy, governance, forecasting, field-building) are not technical work. "
        "We count AI governance of catastrophic risk as a narrow topic, so some are flagged narrow; the "
        "share flagged appears in the table of flag rates above (`meta` rows). Broad flag rates on the whole "
        "corpus:",
        "",
    ]
    overall = corpus_all.select(
        papers=pl.len(), broad=pl.col("is_safety_broad").mean(), narrow=pl.col("is_safety_narrow").mean()
    )
    out += [md_table(overall), ""]
    if uses_authors(model):
        unauthored = classify_relevance(corpus, taxonomy, model=model)
        effect = authorship_effect(corpus_all, unauthored)
        counted = counted_researchers(model, researchers)
        top_name, top_papers = most_matched_researcher(corpus, counted)
        metrics["corpus_authorship"] = effect | {"authored_papers": papers_with_researchers(corpus, counted)}
        out += [
            f"Authorship on the whole corpus: of its {effect['narrow']} narrow papers, {effect['added']} are narrow "
            f"only because an author is in the AI-safety researcher list ({effect['added_share']:.1%} of the "
            f"count), and {effect['removed']} papers the same model makes narrow without authors are not narrow "
            f"with them. The list holds {researchers.height} names; the {len(model.common_author_names)} that many "
            "different people carry (more than safety_authors.MAX_NAMESAKES expected namesakes in the training "
            "corpus, fixed in the model file) never count. "
            f"{metrics['corpus_authorship']['authored_papers']} corpus papers have an author whose name counts. "
            "Names are matched without dates, so a same-name stranger with a rarer name still counts (the most "
            f"matched counted name, {top_name}, is on {top_papers} corpus papers); the evidence names the matched "
            "researchers.",
            "",
        ]
    dist = (
        corpus_all.filter(pl.col("is_safety_broad"))
        .group_by("primary_topic")
        .agg(papers=pl.len(), narrow=pl.col("is_safety_narrow").sum())
        .sort("papers", descending=True)
    )
    out += ["Primary topics of flagged corpus papers:", "", md_table(dist), ""]
    metrics["corpus"] = overall.row(0, named=True)

    # -- alignment-graph agreement
    out += [
        "## Agreement with alignment-graph",
        "",
        f"alignment-graph's {ag.height} kept papers are machine picks (regex, SPECTER2 similarity, an LLM "
        f"check), not truth; {ag_joined.height} of them are in our corpus. Agreement = share of its picks "
        "that we flag.",
        "",
        md_table(flag_rates(ag_joined, "split")),
        "",
        md_table(flag_rates(ag_joined, "cluster")),
        "",
    ]
    metrics["alignment_graph"] = {
        "n_joined": ag_joined.height,
        "agree_broad": float(ag_joined["is_safety_broad"].mean()) if ag_joined.height else None,
        "agree_narrow": float(ag_joined["is_safety_narrow"].mean()) if ag_joined.height else None,
    }

    # -- origin (helper module)
    out += ["## Origin", "", "<!-- origin evaluation: pipelines.lib.origin_eval.evaluate_origin() -->", ""]
    origin_md, origin_metrics = evaluate_origin(
        eval_inputs.tai_raw(),
        bundle.organizations,
        bundle.roster,
        name_counts=eval_inputs.corpus_name_statistics(),
        places=inputs.record_places(),
    )
    out += [origin_md.rstrip(), ""]
    metrics["origin"] = origin_metrics

    out += [f"_Evaluation ran in {time.perf_counter() - started:.1f} s._", ""]
    return "\n".join(out), metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=settings.PROJECT_ROOT / "docs" / "evaluation.md")
    parser.add_argument(
        "--first-stage-only", action="store_true", help="score the phrase stage alone (ignore the second stage)"
    )
    args = parser.parse_args(argv)
    report, _ = build_report(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
