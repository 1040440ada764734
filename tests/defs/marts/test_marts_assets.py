"""Every workforce and mart asset, with its checks, materialised into a small hand-made warehouse."""

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import contract
from pipelines.defs.marts import assets as mart_assets
from pipelines.defs.marts import checks as mart_checks
from pipelines.defs.workforce import assets as workforce_assets
from pipelines.defs.workforce import checks as workforce_checks
from pipelines.resources import WarehouseResource
from tests.defs.marts.warehouse_data import build

BUILT_TABLES = contract.names("workforce") + contract.names("marts")

# One worker runs these tests, so the first run is made once (make test-fast runs pytest-xdist).
pytestmark = pytest.mark.xdist_group("marts")


def definitions(module) -> list:
    found = [v for v in vars(module).values() if isinstance(v, dg.AssetsDefinition | dg.AssetChecksDefinition)]
    return found + list(getattr(module, "row_count_checks", []))


ALL = [d for m in (workforce_assets, workforce_checks, mart_assets, mart_checks) for d in definitions(m)]


def _resource(folder: Path) -> WarehouseResource:
    return WarehouseResource(
        work_path=str(folder / "work" / "warehouse.duckdb"), published_path=str(folder / "warehouse.duckdb")
    )


@pytest.fixture
def built(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("AIWATCH_POSITIONS", str(build(warehouse, tmp_path)))
    return warehouse


def run(warehouse) -> dg.ExecuteInProcessResult:
    return dg.materialize(ALL, resources={"warehouse": warehouse}, raise_on_error=False)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> tuple[Path, dg.ExecuteInProcessResult]:
    """The hand-made warehouse after one run of every asset (~5 s), made once: tests read it or run on a copy."""
    folder = tmp_path_factory.mktemp("marts_first_run")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIWATCH_POSITIONS", str(build(_resource(folder), folder)))
        return folder, run(_resource(folder))


@pytest.fixture
def after_first_run(first_run, tmp_path, monkeypatch) -> WarehouseResource:
    """A copy of the warehouse after the first run, for a test that runs again."""
    copy = tmp_path / "copy"
    shutil.copytree(first_run[0], copy)
    monkeypatch.setenv("AIWATCH_POSITIONS", str(copy / "positions.csv"))
    return _resource(copy)


def test_all_assets_build_contract_tables_and_pass_their_checks(first_run):
    folder, result = first_run
    built = _resource(folder)
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    failed = {n for n, e in checks.items() if not e.passed}
    # the hand-made papers are from 2024-2025, so the data is stale; the rest must pass
    assert failed == {"arxiv_data_freshness"}
    assert "offline snapshot" in checks["arxiv_data_freshness"].description
    with duckdb.connect(built.work_path, read_only=True) as con:
        for table in BUILT_TABLES:
            got = [tuple(r[:2]) for r in con.execute(f"DESCRIBE {table}").fetchall()]
            assert contract.mismatches(table, got) == []
            assert con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0] > 0, table
        neglect = con.execute(
            "SELECT n_ai_papers, n_safety_broad, n_safety_narrow FROM neglectedness_monthly ORDER BY month LIMIT 1"
        ).fetchall()[0]
        # 16 of 20 papers a month are cs.LG (the denominator); broad safety among them: k in {4, 8, 12, 16}
        assert neglect == (16, 4, 2)
        claims = con.execute("SELECT verdict, numbers FROM claims_check").fetchall()
        assert all(json.loads(n) is not None for _, n in claims)
        people = dict(con.execute("SELECT year, sum(n_people) FROM workforce_positions_yearly GROUP BY 1").fetchall())
        assert people[2018] == 2 and people[2020] == 3  # Ann, Cat; then Ben joins; Dan (board) never counts


SNAPSHOT_QUERIES = (
    "SELECT * FROM neglectedness_monthly ORDER BY month",
    "SELECT * EXCLUDE (computed_at) FROM claims_check ORDER BY claim",
    "SELECT * FROM workforce_authors_yearly ORDER BY year, definition",
)


def test_a_second_run_is_identical_and_compares_row_counts(first_run, after_first_run):
    built = after_first_run
    assert first_run[1].success
    with duckdb.connect(built.work_path, read_only=True) as con:
        first = [con.execute(q).fetchall() for q in SNAPSHOT_QUERIES]
    second = run(built)
    assert second.success
    evaluations = {e.check_name: e for e in second.get_asset_check_evaluations()}
    row_checks = [e for n, e in evaluations.items() if n.endswith("_row_count_vs_previous_run")]
    assert len(row_checks) == len(BUILT_TABLES)
    assert all(e.passed and "previous run" in e.description for e in row_checks)
    with duckdb.connect(built.work_path, read_only=True) as con:
        again = [con.execute(q).fetchall() for q in SNAPSHOT_QUERIES]
        assert con.execute("SELECT count(DISTINCT run_id) FROM table_row_counts").fetchall()[0][0] == 2
    assert again == first


def test_citation_counts_from_openalex_make_the_reading_half_testable(built, monkeypatch):
    """claims_check reads OpenAlex's cited_by_count for narrow safety papers (CITATIONS_SQL) once enough exist."""
    from pipelines.defs.classify.origin_assets import ensure_openalex_table
    from pipelines.lib import claims

    with built.transaction() as con:
        ensure_openalex_table(con)
        n_narrow = con.execute("SELECT count(*) FROM paper_classification WHERE is_safety_narrow").fetchall()[0][0]
        con.execute(
            """INSERT INTO openalex_works (arxiv_id, fetched_at, status, openalex_id, institutions, cited_by_count)
            SELECT arxiv_id, now(), 'ok', 'W' || arxiv_id, '[]', row_number() OVER (ORDER BY arxiv_id)
            FROM paper_classification WHERE is_safety_narrow"""
        )
    monkeypatch.setattr(claims, "MIN_CITED_PAPERS", min(n_narrow, 10))
    assert run(built).success
    with duckdb.connect(built.work_path, read_only=True) as con:
        says, numbers = con.execute(
            "SELECT data_says, numbers FROM claims_check WHERE claim ILIKE '%vast majority%'"
        ).fetchall()[0]
    read = json.loads(numbers)["read"]
    assert read is not None and read["n_cited"] > 0
    assert "most-cited narrow safety papers" in says
