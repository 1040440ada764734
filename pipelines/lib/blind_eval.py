"""Scores on the fresh blind set: precision, recall and the corpus's narrow share, estimated from a stratified
sample, and how two readings of the same papers agree.

The blind set (eval_sets.draw_blind) samples each stratum at its own rate (flagged papers far more densely than
the rest), so every estimate weighs a paper by its stratum's population / drawn. Intervals: percentiles of a
Bayesian bootstrap within strata (stratified_scores; BOOTSTRAP draws, fixed seed). Papers judged `borderline` have
no truth: within its stratum the judged papers stand for them. Pure functions.
"""

from __future__ import annotations

import numpy as np
import polars as pl

BOOTSTRAP = 2000
SEED = 20261207
JUDGED = ("yes", "no")


_CELLS = ((True, True), (True, False), (False, True), (False, False))  # (judged narrow, flagged)


def _posterior_shares(counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(BOOTSTRAP, stratum, cell) shares: per stratum the flagged and unflagged shares as drawn, the narrow share
    within each from Beta(yes + 1/2, no + 1/2). counts: (stratum, cell) in _CELLS order."""
    n = counts.sum(axis=1)
    out = np.zeros((BOOTSTRAP, *counts.shape))
    for yes, no in ((0, 2), (1, 3)):  # cell indices of (narrow, not narrow): flagged, then unflagged
        n_flag = counts[:, yes] + counts[:, no]
        narrow = rng.beta(counts[:, yes] + 0.5, counts[:, no] + 0.5, size=(BOOTSTRAP, len(n)))
        share = np.divide(n_flag, n, out=np.zeros_like(n), where=n > 0)
        out[:, :, yes], out[:, :, no] = share * narrow, share * (1 - narrow)
    return out


def _estimates(shares: np.ndarray, population: np.ndarray) -> dict[str, np.ndarray]:
    """precision, recall and share from per-stratum cell shares (..., stratum, cell in _CELLS order) and the
    strata's populations; the leading axes (bootstrap draws) carry through. An undefined ratio is NaN."""
    papers = shares * population[:, None]  # estimated papers per stratum and cell
    hits, missed, false_alarms = (papers[..., i].sum(axis=-1) for i in range(3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "precision": hits / (hits + false_alarms),
            "recall": hits / (hits + missed),
            "share": (hits + missed) / population.sum(),
        }


def stratified_scores(labels: pl.DataFrame, flagged: pl.DataFrame, strata: pl.DataFrame) -> dict:
    """Estimates and 95% intervals for a classifier on the blind set.

    labels: arxiv_id, stratum, narrow (yes|no|borderline). flagged: arxiv_id, is_safety_narrow (the classifier
    under test); a labelled paper missing from it is an error. strata: stratum, population, drawn.
    Returns {metric: value, metric_low, metric_high} for precision, recall and share (over the judged papers),
    flagged_share (over every drawn paper: flags need no judgement), plus n_judged, n_flagged (judged papers
    flagged) and n_borderline.

    Intervals: within each stratum and flag, the share judged narrow is drawn from its Beta posterior under
    Jeffreys' prior (Beta(yes + 1/2, no + 1/2)) and the estimates recomputed (BOOTSTRAP draws); the flags are the
    classifier's own answers and stay as drawn. A resampling bootstrap would give a stratum with no narrow paper
    among its 100 drawn no uncertainty at all, though 0 of 100 is compatible with a few percent of its population
    being narrow."""
    frame = labels.join(flagged.select("arxiv_id", "is_safety_narrow"), on="arxiv_id", how="left")
    missing = frame.filter(pl.col("is_safety_narrow").is_null())["arxiv_id"].to_list()
    if missing:
        raise ValueError(f"the classifier gave no answer for {len(missing)} blind papers, e.g. {missing[:3]}")
    frame = frame.join(strata.select("stratum", "population", "drawn"), on="stratum").with_columns(
        flagged="is_safety_narrow", truth=pl.col("narrow") == "yes", judged=pl.col("narrow").is_in(JUDGED)
    )
    cells = (
        frame.filter("judged")
        .group_by("stratum", "population")
        .agg(*(((pl.col("truth") == t) & (pl.col("flagged") == f)).sum().alias(f"{t}{f}") for t, f in _CELLS))
        .sort("stratum")
    )
    counts = cells.select([f"{t}{f}" for t, f in _CELLS]).to_numpy().astype(float)
    population = cells["population"].to_numpy().astype(float)
    point = _estimates(counts / counts.sum(axis=1, keepdims=True), population)
    draws = _estimates(_posterior_shares(counts, np.random.default_rng(SEED)), population)
    judged = frame.filter("judged")
    out: dict = {
        "n_judged": judged.height,
        "n_flagged": int(judged["flagged"].sum()),
        "n_borderline": frame.height - judged.height,
    }
    for k in ("precision", "recall", "share"):
        value, sample = point[k], draws[k][np.isfinite(draws[k])]
        low, high = np.percentile(sample, [2.5, 97.5]).tolist() if sample.size else (None, None)
        out |= {k: float(value) if np.isfinite(value) else None, f"{k}_low": low, f"{k}_high": high}
    by_stratum = frame.group_by("stratum", "population", "drawn").agg(pl.col("flagged").sum().alias("n"))
    total = float(by_stratum["population"].sum())
    flagged_share = float((by_stratum["population"] * by_stratum["n"] / by_stratum["drawn"]).sum() / total)
    return out | {"flagged_share": flagged_share, "flagged_share_low": None, "flagged_share_high": None}


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
