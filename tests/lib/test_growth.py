"""Exponential growth fits with a t interval."""

import math

import numpy as np
import polars as pl
import pytest

from pipelines.lib import growth


@pytest.mark.parametrize(("df", "expected"), [(1, 12.7062), (2, 4.3027), (10, 2.2281), (30, 2.0423)])
def test_t_quantile_matches_tables(df, expected):
    assert growth.t_quantile(0.975, df) == pytest.approx(expected, abs=1e-3)
    assert growth.t_quantile(0.025, df) == pytest.approx(-expected, abs=1e-3)


def test_exact_exponential_recovers_the_rate_with_a_zero_width_interval():
    years = np.arange(2010, 2016)
    fit = growth.fit_exponential(years, 100 * 1.2 ** (years - 2010))
    assert fit.annual_growth == pytest.approx(0.2)
    assert fit.growth_low == pytest.approx(0.2) and fit.growth_high == pytest.approx(0.2)
    assert fit.doubling_years == pytest.approx(math.log(2) / math.log(1.2))
    assert (fit.year_from, fit.year_to, fit.n_points) == (2010, 2015, 6)


def test_noisy_fit_matches_hand_computed_ols_and_interval():
    years = [0, 1, 2, 3]
    counts = [10.0, 20.0, 30.0, 80.0]
    fit = growth.fit_exponential(years, counts)
    y = np.log(counts)
    slope, intercept = np.polyfit(years, y, 1)
    resid = y - (intercept + slope * np.array(years))
    se = math.sqrt((resid**2).sum() / 2 / 5.0)  # Sxx of 0..3 is 5
    half = 4.302653 * se  # t(0.975, 2)
    assert fit.annual_growth == pytest.approx(math.exp(slope) - 1)
    assert fit.growth_low == pytest.approx(math.exp(slope - half) - 1, rel=1e-5)
    assert fit.growth_high == pytest.approx(math.exp(slope + half) - 1, rel=1e-5)
    assert fit.growth_low < fit.annual_growth < fit.growth_high


def test_too_few_positive_points_give_no_fit_and_shrinking_has_no_doubling():
    assert growth.fit_exponential([2020, 2021], [1, 2]) is None
    assert growth.fit_exponential([2020, 2021, 2022], [1, 0, 2]) is None  # the zero is dropped
    fit = growth.fit_exponential([2020, 2021, 2022], [100, 50, 25])
    assert fit.annual_growth == pytest.approx(-0.5)
    assert fit.doubling_years is None


def test_fit_series_fits_each_series_with_enough_points():
    points = pl.DataFrame(
        {"series": ["a"] * 3 + ["b"] * 2, "year": [2020, 2021, 2022, 2020, 2021], "value": [1.0, 2.0, 4.0, 1.0, 3.0]}
    )
    fits = growth.fit_series(points)
    assert fits.schema == pl.Schema(growth.FIT_SCHEMA)
    assert fits["series"].to_list() == ["a"]
    assert fits["annual_growth"][0] == pytest.approx(1.0)
    assert fits["doubling_years"][0] == pytest.approx(1.0)
