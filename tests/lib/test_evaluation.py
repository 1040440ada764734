"""Metric functions on tiny confusion matrices with known answers, and the dev/test split."""

import polars as pl
import pytest

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


def test_binary_metrics_known_matrix():
    # 3 TP, 1 FP, 2 FN, 4 TN
    truth = pl.Series([True] * 5 + [False] * 5)
    pred = pl.Series([True, True, True, False, False, True, False, False, False, False])
    m = binary_metrics(truth, pred)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 2, 4)
    assert m["precision"] == pytest.approx(0.75)
    assert m["recall"] == pytest.approx(0.6)
    assert m["f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_binary_metrics_without_predictions_has_no_precision():
    m = binary_metrics(pl.Series([True, False]), pl.Series([False, False]))
    assert m["precision"] is None and m["recall"] == 0.0 and m["f1"] is None


def test_binary_confusion_layout():
    table = binary_confusion(pl.Series([True, True, False]), pl.Series([True, False, True]), ("pos", "neg"))
    assert table.to_dicts() == [
        {"gold": "pos", "pred pos": 1, "pred neg": 1},
        {"gold": "neg", "pred pos": 1, "pred neg": 0},
    ]


def test_per_class_and_macro_f1():
    gold = pl.Series(["a", "a", "a", "b", "b", "c"])
    pred = pl.Series(["a", "a", "b", "b", None, "a"])
    per = {r["class"]: r for r in per_class_metrics(gold, pred).iter_rows(named=True)}
    assert per["a"]["precision"] == pytest.approx(2 / 3) and per["a"]["recall"] == pytest.approx(2 / 3)
    assert per["b"]["precision"] == pytest.approx(0.5) and per["b"]["recall"] == pytest.approx(0.5)
    assert per["c"]["tp"] == 0 and per["c"]["precision"] is None and per["c"]["recall"] == 0.0
    frame = per_class_metrics(gold, pred)
    # c never predicted counts as F1 0
    assert macro_f1(frame) == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)
    assert macro_f1(frame, min_support=2) == pytest.approx((2 / 3 + 0.5) / 2)


def test_confusion_table_counts():
    table = confusion_table(pl.Series(["a", "a", "b"]), pl.Series(["a", None, "a"]))
    rows = {r["gold"]: r for r in table.iter_rows(named=True)}
    assert rows["a"]["a"] == 1 and rows["a"][NONE_LABEL] == 1 and rows["b"]["a"] == 1
    assert table.drop("gold").sum_horizontal().sum() == 3


def test_split_is_stable_and_balanced():
    keys = pl.Series("k", [f"paper {i}" for i in range(2000)])
    first, second = split_of(keys), split_of(keys)
    assert first.to_list() == second.to_list()
    share_test = (first == "test").mean()
    assert 0.45 < share_test < 0.55
    # a key's side does not depend on the other keys in the batch
    assert split_of(pl.Series(["paper 7"]))[0] == first[7]


def test_wilson_interval_matches_the_textbook_value():
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 0) is None
    assert wilson_interval(10, 10)[1] == 1.0 and wilson_interval(0, 10)[0] == 0.0
