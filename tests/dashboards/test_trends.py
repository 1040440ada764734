"""The pure trend functions: roll-ups to a grain, gaps, default window, year-over-year growth and the yearly fit."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from dashboards import trends

D = dt.date


def _monthly(months: list[dt.date], ai: list[int], narrow: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"month": months, "n_ai_papers": ai, "n_safety_broad": [2 * n for n in narrow], "n_safety_narrow": narrow},
        schema={"month": pl.Date, "n_ai_papers": pl.Int64, "n_safety_broad": pl.Int64, "n_safety_narrow": pl.Int64},
    )


def _full_years(values: dict[int, int], partial: dict[int, int] | None = None) -> pl.DataFrame:
    """Monthly rows: each year in `values` fully covered with value/12 per month; `partial` years get 6 months."""
    months, narrow = [], []
    for year, total in values.items():
        for m in range(1, 13):
            months.append(D(year, m, 1))
            narrow.append(total // 12)
    for year, total in (partial or {}).items():
        for m in range(1, 7):
            months.append(D(year, m, 1))
            narrow.append(total // 12)
    return _monthly(months, [1000] * len(months), narrow)


@pytest.mark.parametrize(
    ("month", "grain", "start"),
    [
        (D(2019, 5, 1), "monthly", D(2019, 5, 1)),
        (D(2019, 5, 1), "quarterly", D(2019, 4, 1)),
        (D(2019, 12, 1), "quarterly", D(2019, 10, 1)),
        (D(2019, 5, 1), "yearly", D(2019, 1, 1)),
    ],
)
def test_period_start(month: dt.date, grain: str, start: dt.date) -> None:
    assert trends.period_start(month, grain) == start


def test_unknown_grain_is_refused() -> None:
    with pytest.raises(ValueError, match="grain"):
        trends.period_start(D(2020, 1, 1), "weekly")


def test_gaps_are_runs_of_missing_months_and_read_as_years_when_whole() -> None:
    covered = [D(2018, m, 1) for m in range(1, 13)] + [D(2019, 1, 1), D(2019, 2, 1)] + [D(2021, 3, 1)]
    runs = trends.gaps(covered, D(2018, 1, 1), D(2021, 4, 1))
    assert runs == [(D(2019, 3, 1), D(2021, 2, 1)), (D(2021, 4, 1), D(2021, 4, 1))]
    assert trends.describe_gaps(runs) == "2019-03 to 2021-02, 2021-04"
    assert trends.describe_gaps([(D(2019, 1, 1), D(2020, 12, 1)), (D(2022, 1, 1), D(2022, 12, 1))]) == "2019–2020, 2022"
    bands = trends.gap_bands(runs)
    assert bands["gap_end"].to_list() == [D(2021, 3, 1), D(2021, 5, 1)]
    assert trends.gaps(covered, D(2018, 1, 1), D(2018, 12, 1)) == []


def test_roll_up_counts_covered_months_and_never_fills_a_missing_period() -> None:
    months = [D(2018, m, 1) for m in range(1, 13)] + [D(2020, 1, 1), D(2020, 2, 1)]
    frame = trends.output_by_period(_monthly(months, [100] * 14, [2] * 14), "yearly")
    assert frame["label"].to_list() == ["2018", "2020"]  # 2019 has no data: no row, so nothing drawn, not a zero
    assert frame["n_safety_narrow"].to_list() == [24, 4]
    assert frame["n_months"].to_list() == [12, 2]
    assert frame["complete"].to_list() == [True, False]
    assert frame["segment"].to_list() == [0, 1]  # a line is broken across 2019
    assert frame["share_narrow"].to_list() == pytest.approx([0.02, 0.02])
    assert trends.partial_periods(frame) == ["2020 (2 of 12 months)"]
    quarters = trends.output_by_period(_monthly(months, [100] * 14, [2] * 14), "quarterly")
    assert quarters["label"].to_list() == ["2018-Q1", "2018-Q2", "2018-Q3", "2018-Q4", "2020-Q1"]
    assert quarters["segment"].to_list() == [0, 0, 0, 0, 1]


def test_roll_up_by_group_counts_months_of_the_period_not_of_the_group() -> None:
    frame = pl.DataFrame(
        {"month": [D(2020, 1, 1), D(2020, 2, 1), D(2020, 2, 1)], "topic": ["a", "a", "b"], "n_papers": [1, 2, 5]}
    )
    rolled = trends.roll_up(frame, "quarterly", ("n_papers",), by=("topic",))
    assert rolled.select("topic", "n_papers", "n_months").rows() == [("a", 3, 2), ("b", 5, 2)]
    assert trends.roll_up(frame.clear(), "yearly", ("n_papers",), by=("topic",)).is_empty()


def test_default_window_is_the_last_ten_years_when_history_exists() -> None:
    assert trends.default_window(D(2007, 4, 1), D(2026, 8, 1)) == (D(2017, 1, 1), D(2026, 8, 1))
    assert trends.default_window(D(2025, 4, 1), D(2026, 8, 1)) == (D(2025, 4, 1), D(2026, 8, 1))
    assert trends.default_window(D(2007, 4, 1), D(2026, 8, 1), D(2019, 6, 1)) == (D(2019, 6, 1), D(2026, 8, 1))
    assert trends.default_grain(D(2007, 4, 1), D(2026, 8, 1)) == "yearly"
    assert trends.default_grain(D(2025, 4, 1), D(2026, 8, 1)) == "monthly"


def test_fit_recovers_a_known_growth_rate_from_complete_years_only() -> None:
    values = {y: round(1200 * 1.5 ** (y - 2015)) for y in range(2015, 2022)}
    # A partial year far below the trend must not pull the fit down.
    yearly = trends.output_by_period(_full_years(values, partial={2022: 120}), "yearly")
    fit = trends.fit_yearly(yearly, "n_safety_narrow")
    assert fit is not None
    assert fit.fit.annual_growth == pytest.approx(0.5, abs=0.01)
    assert fit.fit.growth_low <= fit.fit.annual_growth <= fit.fit.growth_high
    assert fit.years == tuple(range(2015, 2022))
    assert fit.left_out == (2022,)
    assert fit.fit.doubling_years == pytest.approx(math.log(2) / math.log(1.5), rel=0.02)
    fastest, slowest = fit.doubling_interval()
    assert fastest <= fit.fit.doubling_years <= slowest
    curve = fit.curve([2015, 2021])
    assert curve["fitted"].to_list() == pytest.approx([values[2015], values[2021]], rel=0.02)
    assert (curve["fitted_low"] <= curve["fitted"]).all() and (curve["fitted"] <= curve["fitted_high"]).all()


def test_noisy_flat_series_has_an_interval_across_zero_and_no_bounded_doubling_time() -> None:
    yearly = trends.output_by_period(_full_years({2018: 1200, 2019: 1440, 2020: 1080, 2021: 1320}), "yearly")
    fit = trends.fit_yearly(yearly, "n_safety_narrow")
    assert fit is not None
    assert fit.fit.growth_low < 0 < fit.fit.growth_high
    assert fit.doubling_interval()[1] is None


def test_no_fit_under_three_complete_years() -> None:
    yearly = trends.output_by_period(_full_years({2020: 1200, 2021: 2400}, partial={2022: 1200}), "yearly")
    assert trends.fit_yearly(yearly, "n_safety_narrow") is None
    assert trends.fit_yearly(yearly.clear(), "n_safety_narrow") is None


def test_year_over_year_only_between_consecutive_complete_years() -> None:
    yearly = trends.output_by_period(_full_years({2016: 1200, 2017: 1800, 2019: 2400}, partial={2020: 1200}), "yearly")
    yoy = trends.year_over_year(yearly, "n_safety_narrow")
    growth = dict(zip(yoy["year"].to_list(), yoy["growth"].to_list(), strict=True))
    assert growth[2016] is None
    assert growth[2017] == pytest.approx(0.5)
    assert growth[2019] is None  # 2018 has no data
    assert growth[2020] is None  # partial


def test_seed_years_in_range() -> None:
    assert trends.SEED_YEARS == (2017, 2018, 2022)
    assert trends.seed_years_in(D(2018, 1, 1), D(2026, 8, 1)) == [2018, 2022]
    assert trends.seed_years_in(D(2025, 4, 1), D(2026, 8, 1)) == []
