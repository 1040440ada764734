"""docs/evaluation.md from an Evaluation (pipelines/evaluation_results.py), one function per section."""

from __future__ import annotations

import polars as pl

from pipelines import evaluate_blind
from pipelines.evaluation_results import MIN_CLASS_SUPPORT, SPLITS, Evaluation, RubricReading
from pipelines.lib import eval_sets as es
from pipelines.lib.evaluation import wilson_interval
from pipelines.lib.markdown import cell_text, md_table
from pipelines.lib.relevance_model import RelevanceModel

SCOPE_TEXT = {
    "candidates": "papers with a match that is not a weak phrase",
    "any_match": "papers with any phrase match",
}
SOURCE_TEXT = {"tai": "TAI works", "corpus": "judged sample", "pool": "training pool, scope audit and hard cases"}


def render(ev: Evaluation) -> str:
    sections = [
        header(ev),
        headline(ev),
        blind_section(ev),
        targets(ev),
        narrow_section(ev),
        topics_section(ev),
        broad_section(ev),
        alignment_graph_section(ev),
        ["## Origin", "", "<!-- origin evaluation: pipelines.lib.origin_eval.evaluate_origin() -->", ""],
        [ev.origin_markdown.rstrip(), ""],
        [f"_Evaluation ran in {ev.seconds:.1f} s._", ""],
    ]
    return "\n".join(line for section in sections for line in section)


# ---------------------------------------------------------------- helpers


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
    return f"precision {cell_text(m.get('precision'))}, recall {cell_text(m.get('recall'))}"


def _by_source(counts: dict) -> str:
    return ", ".join(f"{SOURCE_TEXT.get(k, k)} {v}" for k, v in counts.items())


# ---------------------------------------------------------------- sections


def header(ev: Evaluation) -> list[str]:
    now = ev.written_at.strftime("%Y-%m-%d %H:%M UTC")
    return [
        "# Classifier evaluation",
        "",
        f"Written by `.venv/bin/python -m pipelines.evaluate` (`make eval`) on {now}; classifier version "
        f"`{ev.classifier_version}` (seeds/taxonomy.yaml, {model_description(ev.model, ev.set_aside)}, "
        "pipelines/lib/relevance.py). Do not edit by hand.",
        "",
        "Labels: `../shared/data/labels` (TAI Safety Bibliography, Alignment Newsletter, alignment-graph) and "
        f"{ev.sample_size} random papers of the arXiv corpus judged against the written rubric "
        "(`seeds/eval/corpus_sample_labels.csv`, how they were judged: `docs/labelling.md`). Every item goes to "
        "**dev** or **test** by an MD5 hash of its normalised title (50/50), so one work lands on the same side "
        "in every label set. Phrases and thresholds were tuned, and the second stage trained, on dev only; "
        "**test is the reported figure**.",
        "",
        "Targets on test: narrow precision >= 0.85, narrow recall >= 0.80, topic macro-F1 >= 0.60; origin "
        "precision >= 0.90 where not unknown (section Origin).",
        "",
    ]


def headline(ev: Evaluation) -> list[str]:
    rows = []
    for split in SPLITS:
        s = ev.splits[split]
        narrow, corpus = s.narrow["all"], s.narrow["corpus"]
        rows.append(
            {
                "split": split,
                "narrow precision": narrow["precision"],
                "narrow recall": narrow["recall"],
                "narrow F1": narrow["f1"],
                "narrow precision (corpus)": corpus["precision"],
                "narrow recall (corpus)": corpus["recall"],
                "topic macro-F1": s.topics["macro_f1"],
                "topic accuracy": s.topics["accuracy"],
                "broad precision (corpus)": s.broad_corpus["precision"],
                "broad recall (corpus)": s.broad_corpus["recall"],
            }
        )
    return [
        "## Headline",
        "",
        md_table(pl.DataFrame(rows)),
        "",
        "The dev rows are in-sample for the second stage (trained on dev); its cross-validated dev estimate is in "
        "'Second stage' below. Broad precision and recall are measured on the judged corpus sample only.",
        "",
    ]


def blind_section(ev: Evaluation) -> list[str]:
    if ev.blind is None:
        return []
    return [
        "## Fresh blind set",
        "",
        "**This section is the headline for narrow precision and recall.** The judged sample's test split below "
        "had been in view during development and scores the classifier higher than papers nobody had looked at "
        "(why: `docs/labelling.md`, 'Why the two precision estimates differed'); its rows are kept as the old "
        "figure.",
        "",
        evaluate_blind.render(ev.blind),
        "",
    ]


def targets(ev: Evaluation) -> list[str]:
    return [
        "Test targets (narrow: all items, as the issue defines the set, and the corpus sample alone, the papers the "
        "dashboard counts): " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in ev.targets_met.items()) + ".",
        "",
    ]


def rubric_reading_note(r: RubricReading) -> str:
    """How many of the bibliography's TechSafety works a reading against the rubric calls narrow."""
    return (
        "The bibliography's curators file works under TechSafety for what they are part of (a safety group's "
        "output, an agenda) as well as for what they say, and many of its works read as capability or "
        "decision-theory work from their text. Each of its works with an abstract and a TechSafety or NotSafety "
        "label was read against the same "
        "rubric as the corpus sample (`seeds/eval/tai_rubric_labels.csv`, `docs/labelling.md`): of "
        f"{r.tech_safety} TechSafety works, {r.yes} ({r.yes / max(r.tech_safety, 1):.0%}) "
        f"read as narrow, {r.borderline} as borderline and {r.no} as not narrow. "
        "A classifier that reads title and abstract can recover about that share of them; the rows 'the rubric "
        "reads as narrow' score only the TechSafety works the reading confirms (negatives unchanged)."
    )


def narrow_section(ev: Evaluation) -> list[str]:
    out = [
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
        rubric_reading_note(ev.rubric_reading),
        "",
    ]
    rows = []
    for split in SPLITS:
        s = ev.splits[split]
        rows += [
            metrics_row(f"{split}: all", s.narrow["all"]),
            metrics_row(f"{split}: TAI works only", s.narrow["tai"]),
            metrics_row(f"{split}: corpus sample only", s.narrow["corpus"]),
            metrics_row(f"{split}: TAI works the rubric reads as narrow", s.narrow["tai_rubric"]),
            metrics_row(f"{split}: all, TAI positives the rubric reads as narrow", s.narrow["all_rubric"]),
            metrics_row(f"{split}: first stage only (phrases)", s.first_stage["all"]),
            metrics_row(f"{split}: first stage only, corpus sample", s.first_stage["corpus"]),
            metrics_row(f"{split}: AI context from text only", s.text_context["all"]),
            metrics_row(f"{split}: no authorship (researchers not matched)", s.unauthored["all"]),
            metrics_row(f"{split}: no authorship, corpus sample", s.unauthored["corpus"]),
        ]
    out += [md_table(pl.DataFrame(rows)), ""]
    for split in SPLITS:
        out += [f"Confusion ({split}):", "", md_table(ev.splits[split].narrow["confusion"]), ""]
    if ev.model is not None and ev.second_stage is not None:
        out += [second_stage_section(ev.second_stage, ev.model), ""]
    out += [
        "Share flagged per label set (narrow and broad), including the sets left out of the score above:",
        "",
        md_table(ev.label_flag_rates),
        "",
        "### The judged corpus sample",
        "",
        "How much of the AI literature is safety work, judged by reading, against the classifier's count on the "
        "same papers (the broad judgement follows ETO's wider notion; see docs/labelling.md):",
        "",
        md_table(ev.judged_sample.shares),
        "",
        "Test-split disagreements (judged `yes` and not flagged, or judged `no` and flagged), listed so the "
        "judgements and the errors can be checked by reading them; tune on dev, never on these:",
        "",
        md_table(ev.judged_sample.test_errors) if ev.judged_sample.test_errors.height else "(none)",
        "",
    ]
    return out


def second_stage_section(counts: pl.DataFrame, model: RelevanceModel) -> str:
    """The second stage: how it was trained and chosen, and what it changed (evaluate.second_stage_counts)."""
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
            md_table(counts),
        ]
    )


def topics_section(ev: Evaluation) -> list[str]:
    out = [
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
    rows = []
    for split in SPLITS:
        s = ev.splits[split]
        for with_abs, tm in ((True, s.topics), (False, s.topics_title_only)):
            rows.append(
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
    out += [md_table(pl.DataFrame(rows)), ""]
    for split in SPLITS:
        tm = ev.splits[split].topics
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
    return [
        *out,
        "Coverage of the topic set (abstracts come from the TAI entry of the same work):",
        "",
        md_table(ev.topic_coverage),
        "",
    ]


def broad_section(ev: Evaluation) -> list[str]:
    out = [
        "## MetaSafety and the broad definition",
        "",
        "TAI `MetaSafety` items (strategy, governance, forecasting, field-building) are not technical work. "
        "We count AI governance of catastrophic risk as a narrow topic, so some are flagged narrow; the "
        "share flagged appears in the table of flag rates above (`meta` rows). Broad flag rates on the whole "
        "corpus:",
        "",
        md_table(ev.corpus_rates),
        "",
    ]
    a = ev.authorship
    if a is not None:
        out += [
            f"Authorship on the whole corpus: of its {a.narrow} narrow papers, {a.added} are narrow "
            f"only because an author is in the AI-safety researcher list ({a.added_share:.1%} of the "
            f"count), and {a.removed} papers the same model makes narrow without authors are not narrow "
            f"with them. The list holds {a.researchers} names; the {a.common_names} that many "
            "different people carry (more than safety_authors.MAX_NAMESAKES expected namesakes in the training "
            "corpus, fixed in the model file) never count. "
            f"{a.authored_papers} corpus papers have an author whose name counts. "
            "Names are matched without dates, so a same-name stranger with a rarer name still counts (the most "
            f"matched counted name, {a.top_name}, is on {a.top_papers} corpus papers); the evidence names the matched "
            "researchers.",
            "",
        ]
    return [*out, "Primary topics of flagged corpus papers:", "", md_table(ev.corpus_topics), ""]


def alignment_graph_section(ev: Evaluation) -> list[str]:
    ag = ev.alignment_graph
    return [
        "## Agreement with alignment-graph",
        "",
        f"alignment-graph's {ag.kept} kept papers are machine picks (regex, SPECTER2 similarity, an LLM "
        f"check), not truth; {ag.joined} of them are in our corpus. Agreement = share of its picks "
        "that we flag.",
        "",
        md_table(ag.by_split),
        "",
        md_table(ag.by_cluster),
        "",
    ]
