"""The workforce assets on their own (no marts), and their checks catching bad rows."""

import dagster as dg
import duckdb
import polars as pl

from pipelines import inputs
from pipelines.defs.workforce import assets, checks
from pipelines.lib import estimates
from pipelines.warehouse import replace_table
from tests.defs.marts.warehouse_data import build

WORKFORCE = [assets.field_size_estimates, assets.workforce_positions_yearly, assets.workforce_growth_fit,
             assets.workforce_authors_yearly]  # fmt: skip
CHECKS = [checks.estimates_ranges_are_ordered, checks.estimates_years_are_plausible, checks.estimates_have_sources,
          checks.positions_are_consistent, checks.growth_intervals_contain_estimates,
          checks.author_counts_are_nested]  # fmt: skip


def test_workforce_assets_materialise_and_pass_checks(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("AIWATCH_POSITIONS", str(build(warehouse, tmp_path)))
    result = dg.materialize([*WORKFORCE, *CHECKS], resources={"warehouse": warehouse})
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    with duckdb.connect(warehouse.work_path, read_only=True) as con:
        n_estimates = con.execute("SELECT count(*) FROM field_size_estimates").fetchall()[0][0]
        assert n_estimates == inputs.estimates().height
        series = {r[0] for r in con.execute("SELECT series FROM workforce_growth_fit").fetchall()}
        # the seed has three years of Stephen McAleese's technical FTE and of Arb's review outputs
        assert "estimate:Stephen McAleese:technical:FTE" in series
        assert "aiwatch_positions_total" in series
        years = [r[0] for r in con.execute("SELECT DISTINCT year FROM workforce_authors_yearly ORDER BY 1").fetchall()]
        assert years == [2024, 2025]


def test_missing_positions_file_gives_an_empty_table(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("AIWATCH_POSITIONS", str(tmp_path / "nowhere.csv"))
    result = dg.materialize([assets.workforce_positions_yearly], resources={"warehouse": warehouse})
    assert result.success
    with duckdb.connect(warehouse.work_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM workforce_positions_yearly").fetchall()[0][0] == 0


def test_estimate_checks_fail_on_bad_rows(warehouse):
    bad = pl.DataFrame(
        [(2030, "technical", 300.0, 200.0, 100.0, "FTE", None, None, None, None)],
        schema=estimates.SCHEMA,
        orient="row",
    )
    with warehouse.transaction() as con:
        replace_table(con, "field_size_estimates", bad)
    assert not checks.estimates_ranges_are_ordered(warehouse=warehouse).passed
    assert not checks.estimates_years_are_plausible(warehouse=warehouse).passed
    assert not checks.estimates_have_sources(warehouse=warehouse).passed
