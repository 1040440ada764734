"""The 'Fresh blind set' section of docs/evaluation.md: the narrow classifier scored on papers it never trained or
tuned on, read blind by two readers, beside the judged sample's test split read three times.

score(classified, corpus_size) takes the classifier under evaluation's answers for the corpus (arxiv_id,
is_safety_narrow) and the corpus's size, and returns the section's numbers (BlindEvaluation); render(result) writes
them as markdown. The sets and how they were read: docs/labelling.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines import eval_inputs
from pipelines.lib import blind_eval as be
from pipelines.lib import eval_sets as es
from pipelines.lib.markdown import md_table

TARGET_PRECISION = 0.88
MAX_LOST = 0.05  # share of the judged safety papers the classifier of the draw found that may be lost
FIRST_READING = "first reading (the judged sample)"


@dataclass(frozen=True)
class BlindEvaluation:
    n_papers: int
    strata: pl.DataFrame  # per stratum: population, drawn, reader 1's yes / borderline / no
    scores: dict[str, dict]  # be.stratified_scores per classifier and reading (current_reader1, at_draw_reader1...)
    lost: float | None
    missed: dict[str, float | None]  # current, at_draw
    flagged: int  # papers of the corpus the classifier flags narrow
    corpus_size: int
    readers: dict  # be.agreement of the two readers
    readings: pl.DataFrame  # reader 1 (rows) by reader 2 (columns)
    disagreements: pl.DataFrame
    mixed: pl.DataFrame  # mixed_rows
    rereadings: list[dict]  # reading, judged, precision, agreement (be.agreement with the first reading or None)

    @property
    def met_precision(self) -> bool:
        return (self.scores["current_reader1"]["precision"] or 0) >= TARGET_PRECISION

    @property
    def met_lost(self) -> bool:
        return self.lost is not None and self.lost <= MAX_LOST


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


def disagreements(first: pl.DataFrame, second: pl.DataFrame) -> pl.DataFrame:
    """The papers the two readers read differently, with the start of each reader's note."""
    return (
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


def rereadings(readings: dict[str, pl.DataFrame], flagged_at_draw: pl.DataFrame) -> list[dict]:
    """Per reading of the judged sample's test split: the flagged papers it judged, their precision, and its
    agreement with the first reading (None for the first)."""
    rows = []
    for name, frame in readings.items():
        decided = frame.join(flagged_at_draw, on="arxiv_id", how="semi").filter(pl.col("narrow").is_in(be.JUDGED))
        yes = int((decided["narrow"] == "yes").sum())
        rows.append(
            {
                "reading": name,
                "judged": decided.height,
                "precision": yes / decided.height if decided.height else None,
                "agreement": None if name == FIRST_READING else be.agreement(readings[FIRST_READING], frame),
            }
        )
    return rows


def score(classified: pl.DataFrame, corpus_size: int) -> BlindEvaluation:
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
    sample = eval_inputs.sample_labels(es.NO_RELABELS)  # the first reading, as judged then
    reread, clarified = eval_inputs.reread_labels(), eval_inputs.reread_labels(es.REREAD_CLARIFIED_FILE)
    readings = {
        FIRST_READING: sample.join(reread.select("arxiv_id"), on="arxiv_id", how="semi"),
        "second reading, same rubric": reread,
        "third reading, clarified rubric": clarified,
    }
    strata_rows = strata.join(
        first.group_by("stratum").agg(
            *(pl.col("narrow").eq(v).sum().alias(f"reader 1 {v}") for v in ("yes", "borderline", "no"))
        ),
        on="stratum",
    ).sort("stratum")
    return BlindEvaluation(
        n_papers=first.height,
        strata=strata_rows,
        scores=scores,
        lost=lost_share(first, classified),
        missed={"current": missed_share(first, classified, strata), "at_draw": missed_share(first, at_draw, strata)},
        flagged=int(classified["is_safety_narrow"].sum()),
        corpus_size=corpus_size,
        readers=be.agreement(first, second),
        readings=be.confusion(first, second, ("reader 1", "reader 2")),
        disagreements=disagreements(first, second),
        mixed=mixed_rows(eval_inputs.mixed_labels()),
        rereadings=rereadings(readings, reread.filter("flagged").select("arxiv_id")),
    )


def _agreement_text(agreement: dict | None) -> str:
    if agreement is None:
        return "-"
    return f"{agreement['agreement_decided']:.3f} (n={agreement['n_decided']}, kappa {agreement['kappa']:.2f})"


def render(blind: BlindEvaluation) -> str:
    n_one_borderline = blind.disagreements.filter(
        (pl.col("reader 1") == "borderline") | (pl.col("reader 2") == "borderline")
    ).height
    reread_rows = [
        {
            "reading": row["reading"],
            "flagged papers judged": row["judged"],
            "precision": _fmt(row["precision"]),
            "agreement with the first reading (yes/no, kappa)": _agreement_text(row["agreement"]),
        }
        for row in blind.rereadings
    ]
    readers = blind.readers
    return "\n\n".join(
        [
            "The narrow classifier scored on corpus papers it never trained or tuned on "
            f"(`seeds/eval/corpus_blind_labels.csv`, {blind.n_papers} papers; how they were drawn and read: "
            "`docs/labelling.md`). Test-side papers never judged before, drawn at random within four strata of "
            f"what the classifier of {es.BLIND_CLASSIFIER_VERSION} said of them (flagged; not flagged with second-"
            f"stage probability > {es.BLIND_NEAR}, > {es.BLIND_MID}, the rest), each read from title and abstract "
            "by two language-model readers against the clarified rubric, blind to the classifier and to each other; "
            "neither wrote training labels. Every estimate weighs a paper by its stratum's population / drawn; "
            "intervals are 95% bootstrap percentiles within strata; `borderline` papers have no truth. Precision "
            "is the share of flagged papers judged narrow, recall the share of narrow papers flagged, over the "
            "test-side corpus.",
            md_table(blind.strata, cell=str),
            md_table(
                pl.DataFrame(
                    [
                        _row("current, reader 1", blind.scores["current_reader1"]),
                        _row("current, reader 2", blind.scores["current_reader2"]),
                        _row("current, where the readers agree", blind.scores["current_agreed"]),
                        _row(f"at the draw ({es.BLIND_CLASSIFIER_VERSION}), reader 1", blind.scores["at_draw_reader1"]),
                        _row(f"at the draw ({es.BLIND_CLASSIFIER_VERSION}), reader 2", blind.scores["at_draw_reader2"]),
                    ]
                ),
                cell=str,
            ),
            "Flagged narrow in the whole corpus by the current classifier: "
            f"{blind.flagged:,} of {blind.corpus_size:,} papers ({blind.flagged / blind.corpus_size:.2%}). "
            "Of the blind papers judged narrow that the classifier of the draw flagged, the current one no longer "
            f"flags {_fmt(blind.lost)} (target <= {MAX_LOST}). Among the draw "
            "classifier's near misses (strata near and mid) that a classifier leaves unflagged, the share judged "
            f"narrow (weighted): current {_fmt(blind.missed['current'])}, at the draw {_fmt(blind.missed['at_draw'])}. "
            f"Targets: precision >= {TARGET_PRECISION} on the blind set (reader 1) "
            f"{'met' if blind.met_precision else 'NOT met'}; "
            f"safety papers lost <= {MAX_LOST:.0%} {'met' if blind.met_lost else 'NOT met'}.",
            f"**The two readers** agree on {readers['agreement']:.1%} of the {readers['n']} papers and on "
            f"{readers['agreement_decided']:.1%} of the {readers['n_decided']} that neither called borderline "
            f"(Cohen's kappa {readers['kappa']:.2f}); both are readings by the same language model, so this "
            "measures consistency, not what two human experts would agree on. Readings (rows: reader 1):",
            md_table(blind.readings, cell=str),
            f"Where they disagree ({blind.disagreements.height} papers, {n_one_borderline} with one reading "
            "borderline):",
            md_table(blind.disagreements, cell=str) if blind.disagreements.height else "nowhere",
            "**One reader, both sets.** Another reader read 100 flagged papers of the rereading below and 100 of "
            "the blind set's flagged stratum, shuffled into one packet, blind to where each came from "
            "(`corpus_mixed_labels.csv`): if the two precisions differ for one reader, the papers differ, not the "
            "readers.",
            md_table(blind.mixed, cell=str),
            "**The judged sample's test split, read again.** The papers the classifier of the draw flagged in the "
            "test half of the judged sample (`seeds/eval/corpus_sample_labels.csv`), mixed with unflagged ones so "
            "that the reader could not tell them apart, read by a fresh reader with the rubric the sample was "
            "judged with (`corpus_reread_labels.csv`) and by another with the clarified rubric "
            "(`corpus_reread_clarified_labels.csv`):",
            md_table(pl.DataFrame(reread_rows), cell=str),
        ]
    )
