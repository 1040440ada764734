"""Published estimates: the seed file's content and the validation, pooling and interpolation rules."""

import re

import polars as pl
import pytest

from pipelines import inputs, settings
from pipelines.lib import estimates

REFERENCE = settings.shared_data_dir() / "workforce" / "field_size_reference.md"


COLUMNS = ("year", "scope", "low", "central", "high", "unit", "source_title", "author")


def frame(rows: list[tuple]) -> pl.DataFrame:
    """Rows as (year, scope, low, central, high, unit, source_title, author)."""
    base = {c: None for c in estimates.SCHEMA}
    return pl.DataFrame([{**base, **dict(zip(COLUMNS, r, strict=True))} for r in rows], schema=estimates.SCHEMA)


def test_seed_loads_with_table_columns_and_passes_every_rule():
    seed = inputs.estimates()
    assert seed.schema == pl.Schema(estimates.SCHEMA)
    assert seed.height > 30
    assert estimates.range_violations(seed).is_empty()
    assert estimates.implausible_years(seed).is_empty()
    assert estimates.missing_sources(seed).is_empty()
    assert estimates.invalid_scopes(seed).is_empty()


def _numbers(text: str) -> set[float]:
    return {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


@pytest.mark.skipif(not REFERENCE.exists(), reason="field_size_reference.md not available")
def test_every_figure_of_the_reference_is_in_the_seed():
    seed = inputs.estimates()
    values = set(seed.select(pl.concat_list("low", "central", "high").explode().drop_nulls()).to_series().to_list())
    notes = " ".join(seed["method_note"].to_list())
    in_notes = _numbers(notes)
    missing = []
    for line in REFERENCE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.match(r"^[~\d]", cells[0]) or "-" * 3 in line:
            continue
        figure = cells[2] if len(cells) == 4 else cells[1]
        for number in _numbers(figure):
            if number not in values and number not in in_notes:
                missing.append((cells[0], figure, number))
    assert not missing


def test_range_year_and_source_rules_flag_the_bad_rows():
    rows = frame(
        [
            (2020, "technical", 10.0, 20.0, 30.0, "FTE", "a", "x"),
            (2020, "technical", 40.0, 20.0, None, "FTE", "b", "x"),
            (2020, "technical", None, 50.0, 30.0, "FTE", "c", "x"),
            (2009, "total", None, 5.0, None, "FTE", "d", "x"),
            (2031, "total", None, 5.0, None, "FTE", "e", "x"),
            (2021, "people", None, 5.0, None, "FTE", None, "x"),
            (2021, "other", None, None, None, "FTE", "g", "x"),
        ]
    )
    assert estimates.range_violations(rows)["source_title"].to_list() == ["b", "c"]
    assert estimates.implausible_years(rows, current_year=2026)["source_title"].to_list() == ["d", "e"]
    assert estimates.missing_sources(rows)["scope"].to_list() == ["people", "other"]
    assert estimates.invalid_scopes(rows)["scope"].to_list() == ["people"]


def test_pooled_series_pools_one_authors_figures_per_year():
    rows = frame(
        [
            (2020, "technical", None, 100.0, None, "FTE", "s1", "A"),
            (2020, "technical", 90.0, 120.0, None, "FTE", "s2", "A"),
            (2022, "technical", None, None, 200.0, "FTE", "s2", "A"),
            (2023, "technical", 100.0, None, 300.0, "FTE", "s3", "B"),
            (2023, "technical", None, 1000.0, None, "FTE_forecast", "s3", "B"),
            (2023, "total", None, 500.0, None, "FTE", "s3", "B"),
        ]
    )
    pooled = estimates.pooled_series(rows)
    a2020 = pooled.filter((pl.col("estimate_source") == "A") & (pl.col("year") == 2020)).row(0, named=True)
    assert (a2020["low"], a2020["central"], a2020["high"]) == (90.0, 110.0, 120.0)
    assert a2020["source_title"] == "s1; s2"
    a2022 = pooled.filter((pl.col("estimate_source") == "A") & (pl.col("year") == 2022)).row(0, named=True)
    assert (a2022["low"], a2022["central"], a2022["high"]) == (None, None, 200.0)
    b = pooled.filter(pl.col("estimate_source") == "B").row(0, named=True)  # no central: the midpoint
    assert (b["low"], b["central"], b["high"]) == (100.0, 200.0, 300.0)
    assert pooled.height == 3  # the forecast and the total-scope row are not technical FTE


def test_interpolation_stays_inside_each_series():
    points = pl.DataFrame(
        {
            "series": ["s", "s", "t"],
            "year": [2020, 2024, 2021],
            "estimate_source": ["A", "A", "B"],
            "source_title": ["x", "y", "z"],
            "low": [50.0, 150.0, 10.0],
            "high": [150.0, 250.0, 30.0],
            "central": [100.0, 200.0, 20.0],
        },
        schema_overrides={"year": pl.Int32},
    )
    filled = estimates.interpolate_series(points)
    s = filled.filter(pl.col("series") == "s").sort("year")
    assert s["year"].to_list() == [2020, 2021, 2022, 2023, 2024]
    assert s["central"].to_list() == [100.0, 125.0, 150.0, 175.0, 200.0]
    assert s["low"][2] == 100.0 and s["high"][2] == 200.0
    assert s["interpolated"].to_list() == [False, True, True, True, False]
    t = filled.filter(pl.col("series") == "t")
    assert t["year"].to_list() == [2021] and t["central"].to_list() == [20.0]
