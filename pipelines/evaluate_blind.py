"""The 'Fresh blind set' section of docs/evaluation.md: the narrow classifier scored on papers it never trained or
tuned on, read blind by two readers, beside the judged sample's test split read three times.

build_section(classified, corpus_size) takes the classifier under evaluation's answers for the corpus (arxiv_id,
is_safety_narrow) and the corpus's size, and returns (markdown, metrics). The sets and how they were read:
docs/labelling.md.
"""

from __future__ import annotations

import polars as pl

from pipelines import eval_inputs
from pipelines.lib import blind_eval as be
from pipelines.lib import eval_sets as es

TARGET_PRECISION = 0.88
MAX_LOST = 0.05  # share of the judged safety papers the classifier of the draw found that may be lost


def _fmt(value: float | None, low: float | None = None, high: float | None = None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" + (f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else "")


def _row(name: str, s: dict) -> dict:
    return {
        "classifier, reading": name,
        "judged": s["n_judged"],
        "flagged (judged)": s["n_flagged"],
        "precision [95%]": _fmt(s["precision"], s["precision_low"], s["precision_high"]),
        "recall [95%]": _fmt(s["recall"], s["recall_low"], s["recall_high"]),
        "narrow share, judged [95%]": _fmt(s["share"], s["share_low"], s["share_high"]),
        "narrow share, flagged": _fmt(s["flagged_share"]),
    }


def _table(frame: pl.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join([head, rule, *body])


def lost_share(labels: pl.DataFrame, classified: pl.DataFrame) -> float | None:
    """Of the papers judged narrow that the classifier of the draw flagged (stratum 'flagged'), the share the
    classifier under test does not flag: the safety papers a stricter classifier loses."""
    found = labels.filter(pl.col("stratum") == "flagged", pl.col("narrow") == "yes")
    if not found.height:
        return None
    kept = found.join(classified.filter(pl.col("is_safety_narrow")), on="arxiv_id", how="semi").height
    return 1 - kept / found.height


def missed_share(labels: pl.DataFrame, classified: pl.DataFrame, strata: pl.DataFrame) -> float | None:
    """Among the papers of the strata near and mid (the draw classifier's near misses) that the classifier under
    test does not flag, the share judged narrow, weighted by stratum."""
    weights = strata.select("stratum", w=pl.col("population") / pl.col("drawn"))
    near = (
        labels.filter(pl.col("stratum").is_in(["near", "mid"]), pl.col("narrow").is_in(be.JUDGED))
        .join(classified.filter(pl.col("is_safety_narrow")), on="arxiv_id", how="anti")
        .join(weights, on="stratum")
    )
    total = near["w"].sum()
    return float(near.filter(pl.col("narrow") == "yes")["w"].sum() / total) if total else None


def mixed_rows(mixed: pl.DataFrame) -> pl.DataFrame:
    """Per source of the mixed reading: papers, yes / no / borderline, precision (yes among yes or no)."""
    return (
        mixed.group_by("source")
        .agg(pl.len().alias("papers"), *(pl.col("narrow").eq(v).sum().alias(v) for v in ("yes", "no", "borderline")))
        .with_columns(precision=(pl.col("yes") / (pl.col("yes") + pl.col("no"))).round(3))
        .sort("source", descending=True)
    )


def build_section(classified: pl.DataFrame, corpus_size: int) -> tuple[str, dict]:
    first, second = eval_inputs.blind_labels(), eval_inputs.blind_labels(es.BLIND_SECOND_FILE)
    strata = eval_inputs.blind_strata()
    at_draw = first.select("arxiv_id", is_safety_narrow=pl.col("stratum") == "flagged")
    agreed = first.join(second.select("arxiv_id", other="narrow"), on="arxiv_id").filter(
        pl.col("narrow") == pl.col("other")
    )
    scores = {
        "current_reader1": be.stratified_scores(first, classified, strata),
        "current_reader2": be.stratified_scores(second, classified, strata),
        "current_agreed": be.stratified_scores(agreed.drop("other"), classified, strata),
        "at_draw_reader1": be.stratified_scores(first, at_draw, strata),
        "at_draw_reader2": be.stratified_scores(second, at_draw, strata),
    }
    lost = lost_share(first, classified)
    missed = {"current": missed_share(first, classified, strata), "at_draw": missed_share(first, at_draw, strata)}
    readers = be.agreement(first, second)

    sample = eval_inputs.sample_labels(es.NO_RELABELS)  # the first reading, as judged then
    reread, clarified = eval_inputs.reread_labels(), eval_inputs.reread_labels(es.REREAD_CLARIFIED_FILE)
    reread_ids = reread.select("arxiv_id")
    flagged_at_draw = reread.filter("flagged").select("arxiv_id")
    readings = {
        "first reading (the judged sample)": sample.join(reread_ids, on="arxiv_id", how="semi"),
        "second reading, same rubric": reread,
        "third reading, clarified rubric": clarified,
    }
    reread_rows = []
    for name, frame in readings.items():
        decided = frame.join(flagged_at_draw, on="arxiv_id", how="semi").filter(pl.col("narrow").is_in(be.JUDGED))
        yes = int((decided["narrow"] == "yes").sum())
        reread_rows.append(
            {
                "reading": name,
                "flagged papers judged": decided.height,
                "precision": _fmt(yes / decided.height if decided.height else None),
                "agreement with the first reading (yes/no, kappa)": "-"
                if name.startswith("first")
                else "{:.3f} (n={}, kappa {:.2f})".format(
                    *(lambda a: (a["agreement_decided"], a["n_decided"], a["kappa"]))(
                        be.agreement(readings["first reading (the judged sample)"], frame)
                    )
                ),
            }
        )
    n_flagged = int(classified["is_safety_narrow"].sum())
    s1 = scores["current_reader1"]
    met_precision = (s1["precision"] or 0) >= TARGET_PRECISION
    met_lost = lost is not None and lost <= MAX_LOST
    disagreements = (
        first.join(second.select("arxiv_id", reader2="narrow", note2="note"), on="arxiv_id")
        .filter(pl.col("narrow") != pl.col("reader2"))
        .select(
            "arxiv_id",
            "stratum",
            pl.col("narrow").alias("reader 1"),
            "reader2",
            pl.col("note").fill_null("").str.slice(0, 70).alias("reader 1's note"),
            pl.col("note2").fill_null("").str.slice(0, 70).alias("reader 2's note"),
        )
        .rename({"reader2": "reader 2"})
        .sort("arxiv_id")
    )
    borderline = (pl.col("reader 1") == "borderline") | (pl.col("reader 2") == "borderline")
    n_one_borderline = disagreements.filter(borderline).height
    strata_rows = strata.join(
        first.group_by("stratum").agg(
            *(pl.col("narrow").eq(v).sum().alias(f"reader 1 {v}") for v in ("yes", "borderline", "no"))
        ),
        on="stratum",
    ).sort("stratum")
    md = "\n\n".join(
        [
            "The narrow classifier scored on corpus papers it never trained or tuned on "
            f"(`seeds/eval/corpus_blind_labels.csv`, {first.height} papers; how they were drawn and read: "
            "`docs/labelling.md`). Test-side papers never judged before, drawn at random within four strata of "
            f"what the classifier of {es.BLIND_CLASSIFIER_VERSION} said of them (flagged; not flagged with second-"
            f"stage probability > {es.BLIND_NEAR}, > {es.BLIND_MID}, the rest), each read from title and abstract "
            "by two language-model readers against the clarified rubric, blind to the classifier and to each other; "
            "neither wrote training labels. Every estimate weighs a paper by its stratum's population / drawn; "
            "intervals are 95% bootstrap percentiles within strata; `borderline` papers have no truth. Precision "
            "is the share of flagged papers judged narrow, recall the share of narrow papers flagged, over the "
            "test-side corpus.",
            _table(strata_rows),
            _table(
                pl.DataFrame(
                    [
                        _row("current, reader 1", scores["current_reader1"]),
                        _row("current, reader 2", scores["current_reader2"]),
                        _row("current, where the readers agree", scores["current_agreed"]),
                        _row(f"at the draw ({es.BLIND_CLASSIFIER_VERSION}), reader 1", scores["at_draw_reader1"]),
                        _row(f"at the draw ({es.BLIND_CLASSIFIER_VERSION}), reader 2", scores["at_draw_reader2"]),
                    ]
                )
            ),
            f"Flagged narrow in the whole corpus by the current classifier: {n_flagged:,} of {corpus_size:,} "
            f"papers ({n_flagged / corpus_size:.2%}). Of the blind papers judged narrow that the classifier of the "
            f"draw flagged, the current one no longer flags {_fmt(lost)} (target <= {MAX_LOST}). Among the draw "
            "classifier's near misses (strata near and mid) that a classifier leaves unflagged, the share judged "
            f"narrow (weighted): current {_fmt(missed['current'])}, at the draw {_fmt(missed['at_draw'])}. Targets: "
            f"precision >= {TARGET_PRECISION} on the blind set (reader 1) {'met' if met_precision else 'NOT met'}; "
            f"safety papers lost <= {MAX_LOST:.0%} {'met' if met_lost else 'NOT met'}.",
            f"**The two readers** agree on {readers['agreement']:.1%} of the {readers['n']} papers and on "
            f"{readers['agreement_decided']:.1%} of the {readers['n_decided']} that neither called borderline "
            f"(Cohen's kappa {readers['kappa']:.2f}); both are readings by the same language model, so this "
            "measures consistency, not what two human experts would agree on. Readings (rows: reader 1):",
            _table(be.confusion(first, second, ("reader 1", "reader 2"))),
            f"Where they disagree ({disagreements.height} papers, {n_one_borderline} with one reading borderline):",
            _table(disagreements) if disagreements.height else "nowhere",
            "**One reader, both sets.** Another reader read 100 flagged papers of the rereading below and 100 of "
            "the blind set's flagged stratum, shuffled into one packet, blind to where each came from "
            "(`corpus_mixed_labels.csv`): if the two precisions differ for one reader, the papers differ, not the "
            "readers.",
            _table(mixed_rows(eval_inputs.mixed_labels())),
            "**The judged sample's test split, read again.** The papers the classifier of the draw flagged in the "
            "test half of the judged sample (`seeds/eval/corpus_sample_labels.csv`), mixed with unflagged ones so "
            "that the reader could not tell them apart, read by a fresh reader with the rubric the sample was "
            "judged with (`corpus_reread_labels.csv`) and by another with the clarified rubric "
            "(`corpus_reread_clarified_labels.csv`):",
            _table(pl.DataFrame(reread_rows)),
        ]
    )
    metrics: dict = dict(scores)
    metrics |= {
        "lost": lost,
        "missed_near_threshold": missed,
        "readers": readers,
        "flagged": n_flagged,
        "corpus": corpus_size,
    }
    return md, metrics
