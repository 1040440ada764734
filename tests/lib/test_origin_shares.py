"""Labs vs academia three ways: shares, coverage and intervals from hand-made involvement cells."""

import datetime as dt

import polars as pl
import pytest

from pipelines.lib.origin_shares import ALL_PERIOD, origin_shares_yearly

BASE = {
    "month": dt.date(2025, 6, 1),
    "in_ai": True,
    "is_safety_broad": True,
    "is_safety_narrow": True,
    "origin": "academic",
    "first_author_class": "academic",
    "any_placed": True,
    "has_frontier_lab_author": False,
    "has_industry_author": False,
    "has_academic_author": True,
    "has_nonprofit_author": False,
    "has_government_author": False,
    "n_papers": 0,
}


def _cells(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame([{**BASE, **r} for r in rows])


def _row(frame: pl.DataFrame, **keys: str) -> dict:
    hit = frame.filter(*[pl.col(k) == v for k, v in keys.items()])
    assert hit.height == 1, keys
    return hit.row(0, named=True)


def test_three_ways_count_different_papers_with_their_coverage() -> None:
    cells = _cells(
        {"n_papers": 60},  # academic, first author academic
        {"origin": "mixed", "first_author_class": "frontier_lab", "has_frontier_lab_author": True, "n_papers": 20},
        {"origin": "unknown", "first_author_class": "unknown", "has_frontier_lab_author": True,
         "has_academic_author": False, "n_papers": 10},  # a mention: involvement only
        {"origin": "unknown", "first_author_class": "unknown", "any_placed": False, "has_academic_author": False,
         "n_papers": 10},
    )  # fmt: skip
    out = origin_shares_yearly(cells)
    lab_any = _row(out, period=ALL_PERIOD, population="narrow", way="involvement", **{"class": "frontier_lab"})
    assert (lab_any["n_class"], lab_any["n_known"], lab_any["n_papers"]) == (30, 90, 100)
    assert lab_any["share"] == pytest.approx(30 / 90) and lab_any["coverage"] == pytest.approx(0.9)
    assert lab_any["share_low"] < 30 / 90 < lab_any["share_high"]
    lead = _row(out, period="2025", population="narrow", way="lead_author", **{"class": "frontier_lab"})
    assert (lead["n_class"], lead["n_known"]) == (20, 80)
    single = _row(out, period=ALL_PERIOD, population="narrow", way="single_class", **{"class": "academic"})
    assert (single["n_class"], single["n_known"], single["share"]) == (60, 80, 0.75)
    mixed = _row(out, period=ALL_PERIOD, population="narrow", way="single_class", **{"class": "mixed"})
    assert mixed["n_class"] == 20


def test_all_ai_is_its_own_population_and_an_empty_one_has_no_share() -> None:
    cells = _cells(
        {"n_papers": 5},
        {"is_safety_broad": False, "is_safety_narrow": False, "origin": "industry", "first_author_class": "industry",
         "has_academic_author": False, "has_industry_author": True, "n_papers": 95},
    )  # fmt: skip
    out = origin_shares_yearly(cells)
    ai = _row(out, period=ALL_PERIOD, population="all_ai", way="single_class", **{"class": "industry"})
    assert (ai["n_class"], ai["n_known"], ai["share"]) == (95, 100, 0.95)
    none = _row(out, period=ALL_PERIOD, population="narrow", way="single_class", **{"class": "industry"})
    assert none["n_class"] == 0 and none["share"] == 0.0
    assert origin_shares_yearly(cells.clear()).is_empty()
