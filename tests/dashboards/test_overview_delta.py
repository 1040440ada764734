"""Headline changes compare like with like: a count never against a window the corpus covers less."""

from dashboards.views.overview import _delta


def test_count_change_needs_an_equally_covered_window() -> None:
    assert _delta(200, 100, prev_months=12, last_months=12, is_count=True) == "+100% on the year before"
    assert _delta(200, 100, prev_months=4, last_months=12, is_count=True) is None


def test_share_change_names_the_covered_months() -> None:
    assert _delta(0.06, 0.05, prev_months=4, last_months=12, is_count=False) == "+20% on the 4 covered months before"
    assert _delta(0.06, None, prev_months=0, last_months=12, is_count=False) is None
