"""The data-quality check rules: freshness with its explanation, row counts against the previous run."""

import datetime as dt

import polars as pl

from pipelines.defs.marts.checks import freshness
from pipelines.row_count_checks import row_count_change

TODAY = dt.date(2026, 11, 23)


def test_freshness_explains_a_stale_snapshot():
    fresh = freshness(dt.date(2026, 11, 20), ["arxiv_api"], TODAY)
    assert fresh["passed"] and fresh["age_days"] == 3
    stale = freshness(dt.date(2026, 8, 21), ["arxiv_snapshot"], TODAY)
    assert not stale["passed"] and stale["age_days"] == 94
    assert "offline snapshot" in stale["explanation"] and "2026-08-21" in stale["explanation"]
    stale_api = freshness(dt.date(2026, 11, 1), ["arxiv_snapshot", "arxiv_api"], TODAY)
    assert not stale_api["passed"] and "API pull" in stale_api["explanation"]
    assert not freshness(None, [], TODAY)["passed"]


def history(*counts: int) -> pl.DataFrame:
    stamps = [dt.datetime(2026, 1, 1) + dt.timedelta(days=i) for i in range(len(counts))]
    return pl.DataFrame({"n_rows": list(counts), "counted_at": stamps})


def test_row_count_change_against_the_previous_run():
    assert row_count_change(history(100))["explanation"] == "first run"
    assert not row_count_change(history(0))["passed"]
    assert row_count_change(history(100, 120))["passed"]
    assert row_count_change(history(100, 50))["passed"]  # a 50% drop is the limit
    dropped = row_count_change(history(100, 49))
    assert not dropped["passed"] and (dropped["current"], dropped["previous"]) == (49, 100)
    assert not row_count_change(history(5, 0))["passed"]
    assert not row_count_change(history())["passed"]
