"""Scores on the fresh blind set: precision, recall and the corpus's narrow share, estimated from a stratified
sample, and how two readings of the same papers agree.

The blind set (eval_sets.draw_blind) samples each stratum at its own rate (flagged papers far more densely than
the rest), so every estimate weighs a paper by its stratum's population / drawn. Intervals: percentiles of a
bootstrap that resamples each stratum on its own (BOOTSTRAP draws, fixed seed). Papers judged `borderline` have
no truth and are left out, as everywhere else. Pure functions.
"""

from __future__ import annotations

import numpy as np
import polars as pl

BOOTSTRAP = 2000
SEED = 20261207
JUDGED = ("yes", "no")


def _weighted(w: np.ndarray, t: np.ndarray, f: np.ndarray) -> dict[str, np.ndarray]:
    """precision, recall, share (true narrow share of the population) and flagged_share from per-paper weight,
    truth and flagged arrays (the last two 0/1), along the last axis: one estimate, or a stack of bootstrap draws.
    An undefined ratio (nothing flagged, no positives) is NaN."""
    flagged, positives, total, hits = ((w * x).sum(axis=-1) for x in (f, t, np.ones_like(w), t * f))
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "precision": hits / flagged,
            "recall": hits / positives,
            "share": positives / total,
            "flagged_share": flagged / total,
        }


def stratified_scores(labels: pl.DataFrame, flagged: pl.DataFrame, strata: pl.DataFrame) -> dict:
    """Estimates and 95% bootstrap intervals for a classifier on the blind set.

    labels: arxiv_id, stratum, narrow (yes|no|borderline). flagged: arxiv_id, is_safety_narrow (the classifier
    under test; a paper it did not classify counts as not flagged). strata: stratum, population, drawn.
    Returns {metric: value, metric_low, metric_high} for precision, recall, share, flagged_share, plus n_judged,
    n_flagged (judged papers flagged) and n_borderline."""
    frame = (
        labels.join(flagged.select("arxiv_id", "is_safety_narrow"), on="arxiv_id", how="left")
        .join(strata.select("stratum", weight=pl.col("population") / pl.col("drawn")), on="stratum")
        .with_columns(flagged=pl.col("is_safety_narrow").fill_null(False), truth=pl.col("narrow") == "yes")
        .sort("stratum", "arxiv_id")
    )
    judged = frame.filter(pl.col("narrow").is_in(JUDGED))
    arrays = [judged[c].to_numpy().astype(float) for c in ("weight", "truth", "flagged")]
    point = _weighted(*arrays)
    # resample each stratum on its own: indices drawn within the stratum's rows
    rng = np.random.default_rng(SEED)
    strata_of = judged["stratum"].to_numpy()
    index = (
        np.concatenate(
            [
                rng.choice(np.flatnonzero(strata_of == s), size=(BOOTSTRAP, int((strata_of == s).sum())))
                for s in dict.fromkeys(strata_of.tolist())
            ],
            axis=1,
        )
        if judged.height
        else np.zeros((BOOTSTRAP, 0), dtype=int)
    )
    draws = _weighted(*(a[index] for a in arrays))
    out: dict = {
        "n_judged": judged.height,
        "n_flagged": int(judged["flagged"].sum()),
        "n_borderline": frame.height - judged.height,
    }
    for k, v in point.items():
        sample = draws[k][np.isfinite(draws[k])]
        low, high = np.percentile(sample, [2.5, 97.5]).tolist() if sample.size else (None, None)
        out |= {k: float(v) if np.isfinite(v) else None, f"{k}_low": low, f"{k}_high": high}
    return out


def agreement(first: pl.DataFrame, second: pl.DataFrame) -> dict:
    """Two readings (arxiv_id, narrow) of the same papers: n (papers read both times), agreement on all three
    values, and on yes/no where neither reading is borderline (n_decided, agreement_decided, Cohen's kappa)."""
    both = first.select("arxiv_id", a="narrow").join(second.select("arxiv_id", b="narrow"), on="arxiv_id")
    decided = both.filter(pl.col("a").is_in(JUDGED), pl.col("b").is_in(JUDGED))
    a, b = (decided[c] == "yes" for c in ("a", "b"))
    observed = float((a == b).mean()) if decided.height else None
    pa, pb = (float(a.mean()), float(b.mean())) if decided.height else (0.0, 0.0)
    expected = pa * pb + (1 - pa) * (1 - pb)
    kappa = (observed - expected) / (1 - expected) if observed is not None and expected < 1 else None
    return {
        "n": both.height,
        "agreement": float((both["a"] == both["b"]).mean()) if both.height else None,
        "n_decided": decided.height,
        "agreement_decided": observed,
        "kappa": kappa,
    }


def confusion(first: pl.DataFrame, second: pl.DataFrame, names: tuple[str, str]) -> pl.DataFrame:
    """Counts of (first reading, second reading) pairs, as a table with the first reading's values as rows."""
    both = first.select("arxiv_id", a="narrow").join(second.select("arxiv_id", b="narrow"), on="arxiv_id")
    values = ["yes", "borderline", "no"]
    rows = []
    for va in values:
        row: dict[str, object] = {names[0]: va}
        for vb in values:
            row[f"{names[1]}: {vb}"] = both.filter(pl.col("a") == va, pl.col("b") == vb).height
        rows.append(row)
    return pl.DataFrame(rows)
