"""`make train`: fit the relevance classifier's second stage on the dev split and write seeds/relevance_model.json.

    .venv/bin/python -m pipelines.train_relevance [--out seeds/relevance_model.json]

Training items: the dev half of the narrow-relevance set (pipelines/lib/eval_sets.py): TAI TechSafety (positive)
and NotSafety (negative) works with abstracts, the judged corpus sample papers (yes / no; borderline left out),
and the judged training pool, scope audit and hard-case pool (dev-side papers: seeds/eval/corpus_pool_labels.csv,
corpus_audit_labels.csv and corpus_hard_labels.csv, when present; narrow as read again under the clarified rubric
where corpus_relabel_labels.csv has a second reading). The test half is never read here. Only the papers the pipeline
scores (relevance_model.candidate_rows, per scope) are fitted.

The two label sets differ in more than their labels: the bibliography is 2015-2021 essays and papers, 92%
positive; the corpus sample is 2025-26 arXiv abstracts, 6% positive. A word model left alone learns to tell the
two apart by their register ("think", "consider" against "achieves", "accuracy"). A `source:label_set` feature,
1 on bibliography works, takes up that difference while fitting; it is 0 for every paper the pipeline scores and
is not saved.

The scope (relevance_model.SCOPES), the L2 strength, the probability threshold and the veto are chosen by 5-fold
cross-validation on dev (fixed folds by item hash) on the corpus-sample items, the population the dashboard counts
(pool papers train every fold and are never scored: the pool is not a random sample):
among the grid points that flag as many papers as are truly safety (within COUNT_TOLERANCE), the best F1. The
figure recorded is that maximum over the grid, so it is optimistic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl

from pipelines import eval_inputs, inputs
from pipelines.lib import eval_sets as es
from pipelines.lib import labels as lab
from pipelines.lib import relevance_model as rm
from pipelines.lib.evaluation import binary_metrics
from pipelines.lib.relevance import paper_evidence, phrase_scores, prepare
from pipelines.lib.safety_authors import common_names, without_common_names
from pipelines.lib.taxonomy import Taxonomy

FOLDS = 5
L2_GRID = (300.0, 100.0, 30.0, 10.0)  # strongest first: each fit starts from the one before
THRESHOLD_GRID = tuple(round(float(x), 2) for x in np.arange(0.20, 0.951, 0.05))
VETO_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
MIN_ITEMS_PER_FEATURE = 3
COUNT_TOLERANCE = 0.05  # flagged / true safety papers on the corpus sample, within 5% of 1
SOURCE_FEATURE = "source:label_set"
POOL_ITEM_COLUMNS = (
    "arxiv_id",
    "narrow",
    "broad",
    "note",
    "item_key",
    "title",
    "abstract",
    "categories",
    "primary_category",
    "authors",
)


def training_items(taxonomy: Taxonomy, corpus: pl.DataFrame) -> pl.DataFrame:
    """Dev items with a narrow truth, with the first stage's answer and AI context (`corpus`: eval_inputs.corpus)."""
    tai = eval_inputs.tai()
    extra = []  # judged for training only: the pool and the scope audit
    for name, load in ((es.POOL_FILE, eval_inputs.pool_labels), (es.AUDIT_FILE, eval_inputs.audit_labels)):
        if eval_inputs.eval_path(name).exists():
            extra.append(es.corpus_sample(corpus, load(), name).select(*POOL_ITEM_COLUMNS))
    if eval_inputs.eval_path(es.HARD_FILE).exists():
        hard = eval_inputs.hard_labels().with_columns(broad=pl.lit(None, dtype=pl.String))
        extra.append(es.corpus_sample(corpus, hard, es.HARD_FILE).select(*POOL_ITEM_COLUMNS))
    pool = pl.concat(extra) if extra else None
    items = es.relevance_set(tai, es.corpus_sample(corpus, eval_inputs.sample_labels()), pool=pool)
    dev = items.filter(pl.col("split") == "dev", pl.col("truth_narrow").is_not_null())
    return es.classify_items(dev, taxonomy)


def item_features(
    items: pl.DataFrame, taxonomy: Taxonomy, scope: str, researchers: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, np.ndarray]:
    """The second stage's long feature table for the items (_row = the item's position), computed exactly as
    classify_relevance computes it for the papers in scope, plus SOURCE_FEATURE on bibliography works; and the
    mask of the rows the pipeline scores (relevance_model.candidate_rows). The word vocabulary is drawn from
    their text; their authors are matched against `researchers` (safety_authors.py; none: no authorship)."""
    papers = lab.as_papers(items.with_row_index("_i").with_columns(pl.col("_i").cast(pl.String)), "_i")
    base = prepare(papers, researchers)
    per_phrase = phrase_scores(base, taxonomy)
    rows = rm.candidate_rows(per_phrase, scope)
    words = rm.candidate_words(base.join(rows, on="_row", how="semi"), rm.MIN_WORD_ITEMS, rm.MAX_WORD_SHARE)
    source = items.with_row_index("_row").filter(pl.col("source") == "tai")
    source = source.select("_row", feature=pl.lit(SOURCE_FEATURE), value=pl.lit(1.0)).cast(rm.FEATURE_SCHEMA)
    feats = rm.model_features(base, per_phrase, paper_evidence(per_phrase), words, scope)
    # Bibliography works have no arXiv categories of their own (label items carry cs.AI): none is learnt from them.
    tai_category = pl.col("feature").str.starts_with(rm.CATEGORY_PREFIX) & pl.col("_row").is_in(
        source["_row"].implode()
    )
    feats = pl.concat([feats.filter(~tai_category), source])
    mask = np.zeros(items.height, dtype=bool)
    mask[rows["_row"].to_numpy()] = True
    return feats, mask


def _fit(
    feats: pl.DataFrame, n: int, train: np.ndarray, truth: np.ndarray, l2_grid: tuple[float, ...]
) -> list[tuple[list[str], np.ndarray, float, np.ndarray]]:
    """Fit on the given rows for each L2 strength (each fit starting from the one before); returns per strength
    the vocabulary, weights, intercept and the design matrix (source zeroed, as the pipeline scores)."""
    vocab = rm.vocabulary_of(feats, train, MIN_ITEMS_PER_FEATURE)
    x = rm.design_matrix(feats, n, vocab)
    x_train, y_train = x[train], truth[train].astype(float)
    gram = rm.items_gram(x_train) if len(vocab) + 1 > len(train) else None
    fits, start = [], None
    for l2 in l2_grid:
        w, b = rm.fit_logistic(x_train, y_train, l2, start=start, gram=gram)
        start = rm.fit_start(w, b)
        fits.append((w, b))
    if SOURCE_FEATURE in vocab:
        x[:, vocab.index(SOURCE_FEATURE)] = 0.0
    return [(vocab, w, b, x) for w, b in fits]


def _scores(truth: np.ndarray, pred: np.ndarray) -> dict[str, float | None]:
    m = binary_metrics(pl.Series(truth), pl.Series(pred))
    return {k: (round(m[k], 4) if m[k] is not None else None) for k in ("precision", "recall", "f1")}


def cross_validate(items: pl.DataFrame, feats: pl.DataFrame, scored: np.ndarray, scope: str) -> list[dict]:
    """Out-of-fold probabilities per L2 strength, scored for every threshold and veto on all evaluation items
    (bibliography and corpus sample; the pool only trains) and on the corpus sample alone: the grid."""
    n = items.height
    truth = items["truth_narrow"].to_numpy().astype(bool)
    rule = items["is_safety_narrow"].to_numpy().astype(bool)
    context = items["ai_context"].to_numpy().astype(bool)
    corpus = (items["source"] == "corpus").to_numpy()
    evaluated = (items["source"] != "pool").to_numpy()
    pool = ~evaluated  # trains every fold, as it trains the final fit; never held out, never scored
    folds = rm.fold_of(items["item_key"].to_list(), FOLDS)
    oof = np.zeros((len(L2_GRID), n))
    for k in range(FOLDS):
        held = np.where(folds == k)[0]
        for i, (_, w, b, x) in enumerate(_fit(feats, n, np.where(((folds != k) | pool) & scored)[0], truth, L2_GRID)):
            oof[i, held] = rm.predict(x[held], w, b)
    grid = []
    for i, l2 in enumerate(L2_GRID):
        for threshold in THRESHOLD_GRID:
            # a veto above the threshold decides as one at the threshold (the probability that clears it also
            # clears the veto), and a model file refuses it: clamp, and score each distinct veto once
            for veto in sorted({min(v, threshold) for v in VETO_GRID}):
                # papers the pipeline does not score keep the first stage's answer
                combined = np.where(scored, (rule & (oof[i] >= veto)) | (context & (oof[i] >= threshold)), rule)
                grid.append(
                    {
                        "scope": scope,
                        "l2": l2,
                        "threshold": threshold,
                        "veto": veto,
                        "all": _scores(truth[evaluated], combined[evaluated]),
                        "corpus": _scores(truth[corpus], combined[corpus]),
                    }
                )
    return grid


def count_ratio(scores: dict) -> float | None:
    """Flagged papers per true safety paper (recall / precision): 1 means the count is unbiased."""
    p, r = scores.get("precision"), scores.get("recall")
    return r / p if p and r is not None else None


def choose_operating_point(grid: list[dict]) -> dict:
    """The dashboard counts papers, so the operating point must count right before it classifies well: among the
    grid points whose corpus-sample count ratio is within COUNT_TOLERANCE of 1, the best corpus-sample F1 (ties:
    best F1 on all items, then the higher threshold, then grid order); the best F1 of all if none counts right."""

    def key(g: dict) -> tuple:
        return (g["corpus"]["f1"] or 0.0, g["all"]["f1"] or 0.0, g["threshold"])

    unbiased = [g for g in grid if (ratio := count_ratio(g["corpus"])) and abs(ratio - 1) <= COUNT_TOLERANCE]
    return max(unbiased or grid, key=key)


def train(taxonomy: Taxonomy, scopes: tuple[str, ...] = rm.SCOPES) -> rm.RelevanceModel:
    corpus = eval_inputs.corpus()
    items = training_items(taxonomy, corpus)
    researchers = inputs.safety_researchers()
    common = common_names(researchers, corpus.select(name_normalized="authors").explode("name_normalized"))
    counted = without_common_names(researchers, common)
    features = {scope: item_features(items, taxonomy, scope, counted) for scope in scopes}
    best = choose_operating_point(
        [point for scope, (feats, scored) in features.items() for point in cross_validate(items, feats, scored, scope)]
    )
    feats, scored = features[best["scope"]]
    n = items.height
    truth = items["truth_narrow"].to_numpy().astype(bool)
    corpus = (items["source"] == "corpus").to_numpy()
    evaluated = (items["source"] != "pool").to_numpy()
    # warm starts along the grid down to the chosen strength: faster, and the same optimum (the loss is convex)
    strengths = L2_GRID[: L2_GRID.index(best["l2"]) + 1]
    vocab, w, b, _ = _fit(feats, n, np.where(scored)[0], truth, strengths)[-1]
    weights = {f: v for f, v in zip(vocab, w.tolist(), strict=True) if f != SOURCE_FEATURE}
    rule = items["is_safety_narrow"].to_numpy().astype(bool)
    return rm.RelevanceModel(
        intercept=b,
        weights=weights,
        threshold=best["threshold"],
        veto=best["veto"],
        scope=best["scope"],
        taxonomy_sha256=taxonomy.seed_sha256,
        common_author_names=tuple(common),
        training={
            "command": ".venv/bin/python -m pipelines.train_relevance",
            "split": "dev",
            "items": n,
            "positives": int(truth.sum()),
            "fitted_items": int(scored.sum()),
            "by_source": {s: int(c) for s, c in items.group_by("source").len().sort("source").iter_rows()},
            "features": len(weights),
            "researchers": {"listed": researchers.height, "common_names_left_out": len(common)},
            "scope": best["scope"],
            "scopes_compared": list(scopes),
            "l2": best["l2"],
            "cross_validation": {
                "folds": FOLDS,
                "selection": "best corpus-sample F1 among grid points counting within 5% (an optimistic figure)",
                # in-sample: the phrases were tuned on dev
                "first_stage": {
                    "all": _scores(truth[evaluated], rule[evaluated]),
                    "corpus": _scores(truth[corpus], rule[corpus]),
                },
                "combined": best,
            },
        },
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=inputs.seed_path(rm.MODEL_FILE))
    parser.add_argument(
        "--scope",
        choices=rm.SCOPES,
        help="cross-validate this scope only (half the time; the model file records that it was given)",
    )
    args = parser.parse_args(argv)
    model = train(inputs.taxonomy(), scopes=(args.scope,) if args.scope else rm.SCOPES)
    args.out.write_text(rm.model_json(model))
    cv = model.training["cross_validation"]
    print(
        f"wrote {args.out}: {model.training['features']} features, l2={model.training['l2']}, "
        f"threshold={model.threshold}, veto={model.veto}, scope={model.scope}; "
        f"on dev, first stage {cv['first_stage']}; "
        f"5-fold CV with the second stage {cv['combined']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
