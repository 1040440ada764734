"""Pure metric functions for the classifier evaluation: binary and per-class precision/recall/F1, macro-F1,
confusion tables, and the fixed dev/test split by hashing each item's key.
"""

from __future__ import annotations

import hashlib
import math

import polars as pl

NONE_LABEL = "(none)"


def split_of(keys: pl.Series, test_share: float = 0.5, salt: str = "eval-v1") -> pl.Series:
    """'dev' or 'test' for each key, from an MD5 of salt+key: stable across runs, machines and library versions.

    Runs over label items (thousands), not over the corpus, so a Python-level hash is fine here.
    """
    cut = int(test_share * 10_000)
    values = [
        "test" if int(hashlib.md5(f"{salt}:{k}".encode()).hexdigest()[:8], 16) % 10_000 < cut else "dev"
        for k in keys.fill_null("").to_list()
    ]
    return pl.Series(keys.name or "split", values, dtype=pl.String)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return 2 * p * r / (p + r) if p + r else 0.0


def binary_metrics(truth: pl.Series, pred: pl.Series) -> dict[str, float | int | None]:
    """Counts and precision/recall/F1 of boolean predictions against boolean truth."""
    frame = pl.DataFrame({"t": truth.cast(pl.Boolean), "p": pred.cast(pl.Boolean)})
    row = frame.select(
        tp=(pl.col("t") & pl.col("p")).sum(),
        fp=(~pl.col("t") & pl.col("p")).sum(),
        fn=(pl.col("t") & ~pl.col("p")).sum(),
        tn=(~pl.col("t") & ~pl.col("p")).sum(),
    ).row(0, named=True)
    tp, fp, fn, tn = (int(row[k]) for k in ("tp", "fp", "fn", "tn"))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {
        "n": tp + fp + fn + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
    }


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (95% by default); None without trials. Treats the items as
    independent draws, which the judged sample is and the bibliography only roughly."""
    if trials == 0:
        return None
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def per_class_metrics(gold: pl.Series, pred: pl.Series, classes: list[str] | None = None) -> pl.DataFrame:
    """One row per class (default: every gold class): support, tp, fp, fn, precision, recall, f1.

    Single-label: each item has one gold and one predicted class (use NONE_LABEL for "no prediction").
    """
    frame = pl.DataFrame({"gold": gold.fill_null(NONE_LABEL), "pred": pred.fill_null(NONE_LABEL)})
    if classes is None:
        classes = sorted(c for c in frame["gold"].unique().to_list() if c != NONE_LABEL)
    rows = []
    for c in classes:
        counts = frame.select(
            tp=((pl.col("gold") == c) & (pl.col("pred") == c)).sum(),
            fp=((pl.col("gold") != c) & (pl.col("pred") == c)).sum(),
            fn=((pl.col("gold") == c) & (pl.col("pred") != c)).sum(),
        ).row(0, named=True)
        tp, fp, fn = int(counts["tp"]), int(counts["fp"]), int(counts["fn"])
        p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        rows.append(
            {"class": c, "support": tp + fn, "tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": _f1(p, r)}
        )
    schema = {
        "class": pl.String,
        "support": pl.Int64,
        "tp": pl.Int64,
        "fp": pl.Int64,
        "fn": pl.Int64,
        "precision": pl.Float64,
        "recall": pl.Float64,
        "f1": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def macro_f1(per_class: pl.DataFrame, min_support: int = 1) -> float | None:
    """Mean F1 over classes with at least `min_support` gold items; a class never predicted scores F1 = 0."""
    supported = per_class.filter(pl.col("support") >= max(min_support, 1))
    if supported.is_empty():
        return None
    return float(supported["f1"].fill_null(0.0).mean())


def confusion_table(gold: pl.Series, pred: pl.Series) -> pl.DataFrame:
    """Counts with gold classes as rows and predicted classes as columns (missing pairs are 0)."""
    frame = pl.DataFrame({"gold": gold.fill_null(NONE_LABEL), "pred": pred.fill_null(NONE_LABEL)})
    pred_order = sorted(frame["pred"].unique().to_list())
    return (
        frame.group_by("gold", "pred")
        .len()
        .pivot(on="pred", index="gold", values="len", on_columns=pred_order)
        .fill_null(0)
        .select("gold", *pred_order)
        .sort("gold")
    )


def binary_confusion(
    truth: pl.Series, pred: pl.Series, labels: tuple[str, str] = ("safety", "not safety")
) -> pl.DataFrame:
    """A 2x2 confusion table (gold rows, predicted columns) for boolean labels."""
    m = binary_metrics(truth, pred)
    pos, neg = labels
    return pl.DataFrame({"gold": [pos, neg], f"pred {pos}": [m["tp"], m["fp"]], f"pred {neg}": [m["fn"], m["tn"]]})
