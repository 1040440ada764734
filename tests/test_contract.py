"""The table contract: the writer casts to it and refuses a mismatch; DDL, fixtures, bench and docs follow it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines import contract
from pipelines.warehouse import append_rows, transaction, write_table


def stored_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? AND schema_name = 'main' "
        "ORDER BY column_index",
        [table],
    ).fetchall()


def contract_problems(path: Path) -> list[str]:
    """Every way the tables of the warehouse at `path` differ from the contract (missing, extra, typed otherwise)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()
        }
        problems = [f"{t} missing" for t in contract.names() if t not in present]
        problems += [f"{t} is not in the contract" for t in sorted(present - set(contract.names()))]
        for name in contract.names():
            if name in present:
                problems += contract.mismatches(name, stored_columns(con, name))
        return problems
    finally:
        con.close()


def growth_frame(**overrides: object) -> pl.DataFrame:
    row = {
        "series": "positions_total",
        "year_from": 2015,
        "year_to": 2025,
        "annual_growth": 0.2,
        "growth_low": 0.1,
        "growth_high": 0.3,
        "doubling_years": 3.8,
        "n_points": 11,
    }
    return pl.DataFrame([{**row, **overrides}])


def test_the_ddl_creates_exactly_the_contract_types() -> None:
    con = duckdb.connect()
    con.execute(contract.ddl())
    for name in contract.names():
        assert contract.mismatches(name, stored_columns(con, name)) == [], name


def test_conform_casts_and_orders_columns() -> None:
    frame = growth_frame().select(reversed(growth_frame().columns))  # Int64 years, columns reversed
    out = contract.conform("workforce_growth_fit", frame)
    assert out.columns == contract.table("workforce_growth_fit").column_names
    assert out.schema == contract.table("workforce_growth_fit").polars_schema()


def test_conform_names_missing_and_unexpected_columns() -> None:
    frame = growth_frame().rename({"annual_growth": "growth_rate"})
    with pytest.raises(contract.ContractMismatch) as info:
        contract.conform("workforce_growth_fit", frame)
    assert "missing ['annual_growth']" in str(info.value)
    assert "not in the contract ['growth_rate']" in str(info.value)


def test_conform_refuses_uncastable_values_and_nulls_in_not_null_columns() -> None:
    with pytest.raises(contract.ContractMismatch, match=r"workforce_growth_fit\.year_from"):
        contract.conform("workforce_growth_fit", growth_frame(year_from="twenty-fifteen"))
    rows = pl.DataFrame({"table_name": [None], "run_id": ["r"], "n_rows": [1], "counted_at": [dt.datetime(2026, 1, 1)]})
    with pytest.raises(contract.ContractMismatch, match=r"table_row_counts\.table_name: 1 NULLs"):
        contract.conform("table_row_counts", rows)


def test_unknown_table_is_refused() -> None:
    with pytest.raises(contract.ContractMismatch, match="not a table of the contract"):
        contract.conform("workforce_growth", growth_frame())


def test_writer_refuses_a_mismatch_and_keeps_the_stored_table(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with transaction(path) as con:
        write_table(con, "workforce_growth_fit", growth_frame(), "run-1")
    with pytest.raises(contract.ContractMismatch), transaction(path) as con:
        write_table(con, "workforce_growth_fit", growth_frame().drop("n_points"), "run-2")
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT count(*), max(n_points) FROM workforce_growth_fit").fetchone() == (1, 11)
        assert contract.mismatches("workforce_growth_fit", stored_columns(con, "workforce_growth_fit")) == []
        assert con.execute("SELECT list(run_id) FROM table_row_counts").fetchone()[0] == ["run-1"]
    finally:
        con.close()


def test_append_rows_casts_to_the_table(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with transaction(path) as con:
        con.execute(contract.ddl("openalex_works"))
        frame = pl.DataFrame(
            {"arxiv_id": ["2401.00001"], "status": ["ok"], "openalex_id": ["W1"], "institutions": ["[]"]}
        ).with_columns(cited_by_count=pl.lit(3, pl.Int32), fetched_at=pl.lit(dt.datetime(2026, 1, 1)))
        assert append_rows(con, "openalex_works", frame) == 1
        assert con.execute("SELECT cited_by_count FROM openalex_works").fetchone() == (3,)
        with pytest.raises(contract.ContractMismatch, match="missing"):
            append_rows(con, "openalex_works", frame.drop("status"))


def test_padded_fills_only_nullable_columns() -> None:
    out = contract.padded("claims_check", pl.DataFrame({"claim": ["c"], "verdict": ["supported"]}))
    assert out.columns == contract.table("claims_check").column_names
    with pytest.raises(contract.ContractMismatch, match="NULLs in a NOT NULL column"):
        contract.padded("papers", pl.DataFrame({"arxiv_id": ["2401.00001"]}))


def test_docs_schema_section_is_current() -> None:
    text = contract.DOCS_PATH.read_text()
    assert contract.docs_with_schema(text) == text, "run `python -m pipelines.contract --write-docs`"
    for name in contract.names():
        assert f"#### `{name}`" in text


def test_docs_schema_section_fails_when_a_column_is_renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    text = contract.DOCS_PATH.read_text()
    spec = contract.table("topic_growth")
    renamed = (contract.col("growth", "DOUBLE") if c.name == "growth_ratio" else c for c in spec.columns)
    monkeypatch.setitem(
        contract.BY_NAME, "topic_growth", contract.Table(**{**spec.__dict__, "columns": tuple(renamed)})
    )
    monkeypatch.setattr(contract, "TABLES", tuple(contract.BY_NAME.values()))
    assert contract.docs_with_schema(text) != text


def test_dashboard_fixture_and_bench_synthetic_warehouses_follow_the_contract(tmp_path: Path) -> None:
    from bench.dashboard_bench import build_synthetic
    from tests.dashboards.conftest import build_warehouse

    fixture = build_warehouse(tmp_path / "fixture.duckdb")
    assert contract_problems(fixture) == []
    synthetic = build_synthetic(tmp_path / "synthetic.duckdb", 300, fixture)
    assert contract_problems(synthetic) == []
