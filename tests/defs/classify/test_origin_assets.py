"""openalex_works and paper_origins materialized into a temporary warehouse, OpenAlex served on 127.0.0.1."""

import socket
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines import inputs
from pipelines.defs.classify import origin_checks
from pipelines.defs.classify.origin_assets import OpenAlexResource, openalex_works, paper_origins
from pipelines.lib.names import normalize_name
from pipelines.resources import WarehouseResource
from tests.fixtures.openalex_server import StubOpenAlex, fixture_works, serve_openalex

CHECKS = [
    origin_checks.paper_origins_have_evidence,
    origin_checks.paper_origins_cover_papers,
    origin_checks.paper_origins_unknown_share,
]
PAPERS = [
    # arxiv_id, published, title, abstract, comments, authors [(name, affiliation)]
    (
        "2212.08073",
        date(2022, 12, 15),
        "Constitutional AI",
        "We train a harmless assistant.",
        None,
        [("Yuntao Bai", None)],
    ),
    ("2401.00001", date(2024, 1, 5), "Affiliated", "Abstract.", None, [("Ann Lee", "Stanford University")]),
    ("2402.00002", date(2024, 2, 5), "Commented", "Abstract.", "Work done during an internship at IBM Research.", []),
    ("2403.00003", date(2024, 3, 5), "On the roster", "Abstract.", None, [("Fay Gold", None)]),
    ("2404.00004", date(2024, 4, 5), "Same author later", "Abstract.", None, [("Ann Lee", None)]),
    ("2405.00005", date(2024, 5, 5), "Nothing known", "Abstract.", None, [("Zed Nobody", None)]),
]


@pytest.fixture
def stub() -> Iterator[StubOpenAlex]:
    with serve_openalex(StubOpenAlex(fixture_works())) as running:
        yield running


@pytest.fixture
def positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "positions.csv"
    pl.DataFrame(
        {
            "person": ["Fay Gold"],
            "organization": ["Anthropic"],
            "title": ["Member of Technical Staff"],
            "start_date": ["2021-03-01"],
            "start_date_precision": ["month"],
            "end_date": [None],
            "end_date_precision": [None],
            "employment_type": ["full-time"],
            "cause_area": ["AI safety"],
        },
        schema_overrides={"end_date": pl.String, "end_date_precision": pl.String},
    ).write_csv(path)
    monkeypatch.setenv("AIWATCH_POSITIONS", str(path))
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> WarehouseResource:
    resource = WarehouseResource(
        work_path=str(tmp_path / "work" / "warehouse.duckdb"), published_path=str(tmp_path / "warehouse.duckdb")
    )
    with resource.transaction() as con:
        for arxiv_id, published, title, abstract, comments, authors in PAPERS:
            _insert(con, arxiv_id, published, title, abstract, comments, authors)
    return resource


def _insert(con, arxiv_id, published, title, abstract, comments, authors, ingested_at=None) -> None:
    con.execute(
        """INSERT INTO papers (arxiv_id, title, abstract, comments, published_date, authors, source, ingested_at)
        VALUES (?, ?, ?, ?, ?, ?, 'arxiv_snapshot', ?)""",
        [arxiv_id, title, abstract, comments, published, [a for a, _ in authors], ingested_at or datetime(2025, 1, 1)],
    )
    for position, (name, affiliation) in enumerate(authors, start=1):
        con.execute(
            "INSERT INTO paper_authors VALUES (?, ?, ?, ?, ?)",
            [arxiv_id, position, name, normalize_name(name), affiliation],
        )


def _run(warehouse: WarehouseResource, openalex: OpenAlexResource, *, full: bool = False) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [openalex_works, paper_origins, *CHECKS],
        resources={"warehouse": warehouse, "openalex": openalex},
        run_config={"ops": {"paper_origins": {"config": {"full_refresh": full, "chunk_size": 4}}}},
        raise_on_error=False,
    )


def _rows(warehouse: WarehouseResource, sql: str) -> list[tuple]:
    con = duckdb.connect(warehouse.work_path, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _origins(warehouse: WarehouseResource) -> dict[str, tuple]:
    rows = _rows(warehouse, "SELECT arxiv_id, origin, organizations, origin_evidence_kind FROM paper_origins")
    return {r[0]: r[1:] for r in rows}


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict:
    [event] = result.asset_materializations_for_node(asset)
    return {k: v.value for k, v in event.metadata.items()}


def test_origins_from_every_kind_of_evidence_and_checks_pass(warehouse, stub, positions):
    result = _run(warehouse, OpenAlexResource(base_url=stub.base_url, mode="auto", min_interval_s=0.0))
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    origins = _origins(warehouse)
    assert origins["2212.08073"] == ("frontier_lab", ["Anthropic"], "openalex")
    assert origins["2401.00001"] == ("academic", ["Stanford University"], "affiliation")
    assert origins["2402.00002"] == ("industry", ["IBM"], "mention")
    assert origins["2403.00003"] == ("frontier_lab", ["Anthropic"], "roster")
    assert origins["2404.00004"] == ("academic", ["Stanford University"], "propagation")
    assert origins["2405.00005"] == ("unknown", [], None)
    cached = dict(_rows(warehouse, "SELECT arxiv_id, status FROM openalex_works"))
    assert cached == {p[0]: ("ok" if p[0] == "2212.08073" else "not_found") for p in PAPERS}
    cited = dict(_rows(warehouse, "SELECT arxiv_id, cited_by_count FROM openalex_works"))
    assert cited == {p[0]: (1845 if p[0] == "2212.08073" else None) for p in PAPERS}
    meta = _metadata(result, "paper_origins")
    assert (meta["mode"], meta["classified"], meta["rows_total"]) == ("full", len(PAPERS), len(PAPERS))


def test_reruns_are_incremental_and_fetch_nothing_twice(warehouse, stub, positions):
    resource = OpenAlexResource(base_url=stub.base_url, mode="auto", min_interval_s=0.0)
    assert _run(warehouse, resource).success
    n_requests = len(stub.requests)
    second = _run(warehouse, resource)
    assert second.success
    assert len(stub.requests) == n_requests  # every id is cached, found or not
    assert _metadata(second, "openalex_works")["skipped"] == "nothing to look up"
    assert (_metadata(second, "paper_origins")["mode"], _metadata(second, "paper_origins")["classified"]) == (
        "incremental",
        0,
    )
    # A re-ingested paper and a new one are classified again; nothing else is.
    with warehouse.transaction() as con:
        con.execute(
            "UPDATE papers SET comments = 'Work done at Google DeepMind.', ingested_at = now() "
            "WHERE arxiv_id = '2405.00005'"
        )
        _insert(con, "2406.00006", date(2024, 6, 6), "New", "Abstract.", None, [("Fay Gold", None)], datetime.now())
    third = _run(warehouse, resource)
    assert _metadata(third, "paper_origins")["classified"] == 2
    origins = _origins(warehouse)
    assert origins["2405.00005"] == ("frontier_lab", ["Google DeepMind"], "mention")
    assert origins["2406.00006"] == ("frontier_lab", ["Anthropic"], "roster")
    assert len(origins) == len(PAPERS) + 1


def test_a_changed_roster_reclassifies_everything(warehouse, stub, positions):
    resource = OpenAlexResource(base_url=stub.base_url, mode="auto", min_interval_s=0.0)
    assert _run(warehouse, resource).success
    positions.write_text(positions.read_text().replace("Anthropic", "Redwood Research"))
    result = _run(warehouse, resource)
    assert _metadata(result, "paper_origins")["mode"] == "full"
    assert _origins(warehouse)["2403.00003"] == ("nonprofit", ["Redwood Research"], "roster")


def test_offline_openalex_is_a_no_op_with_a_reason(warehouse, positions):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _run(warehouse, OpenAlexResource(base_url=f"http://127.0.0.1:{port}", mode="auto", min_interval_s=0.0))
    assert result.success
    meta = _metadata(result, "openalex_works")
    assert meta["skipped"].startswith("network unreachable") and meta["fetched"] == 0
    assert _rows(warehouse, "SELECT count(*) FROM openalex_works") == [(0,)]
    assert _origins(warehouse)["2212.08073"] == ("unknown", [], None)  # no OpenAlex, no other evidence


def test_openalex_off_skips_lookups(warehouse, stub, positions):
    result = _run(warehouse, OpenAlexResource(base_url=stub.base_url, mode="off"))
    assert result.success and stub.requests == []
    assert _metadata(result, "openalex_works")["skipped"] == "OPENALEX=off"


def test_warehouse_name_statistics_match_the_polars_rule(tmp_path):
    from pipelines.defs.classify.origin_assets import _context
    from pipelines.lib.origin import name_statistics
    from pipelines.lib.roster import ROSTER_SCHEMA
    from pipelines.warehouse import ensure_schema
    from tests.lib.test_origin import _population

    authors, papers = _population()
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con)
    con.register("_a", authors)
    con.register("_p", papers)
    con.execute(
        """INSERT INTO papers (arxiv_id, title, published_date, source, ingested_at)
        SELECT arxiv_id, 't', published_date, 'test', now() FROM _p"""
    )
    con.execute("INSERT INTO paper_authors SELECT arxiv_id, 1, name_normalized, name_normalized, NULL FROM _a")
    con.execute(
        "CREATE TABLE openalex_works (arxiv_id VARCHAR, fetched_at TIMESTAMP, status VARCHAR, "
        "openalex_id VARCHAR, institutions VARCHAR)"
    )
    wanted = ["wei wang", "rare person", "given7 family7"]
    roster = pl.DataFrame({"name_normalized": wanted}).with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in ROSTER_SCHEMA.items() if c != "name_normalized"]
    )
    organizations = inputs.organizations()
    _, sql_stats = _context(con, organizations, roster, pl.DataFrame(schema={"name_normalized": pl.String}))
    con.close()
    polars_stats = name_statistics(authors, papers, pl.Series(wanted))
    joined = sql_stats.join(polars_stats, on="name_normalized", suffix="_pl")
    assert joined.height == len(wanted)
    assert (joined["max_papers_per_year"] == joined["max_papers_per_year_pl"]).all()
    assert ((joined["expected_namesakes"] - joined["expected_namesakes_pl"]).abs() < 1e-9).all()


def test_with_relevance_only_safety_papers_and_a_fixed_sample_are_looked_up(warehouse, stub, positions):
    from pipelines.defs.classify.origin_assets import SAMPLE_PER_MILLE, _ids_to_fetch, ensure_openalex_table

    with warehouse.transaction() as con:
        # 2,000 papers as _insert would write them, in two statements rather than 4,000 (~2 s)
        ids = [f"2407.{i:05d}" for i in range(2000)]
        con.execute(
            """INSERT INTO papers (arxiv_id, title, abstract, comments, published_date, authors, source, ingested_at)
            SELECT unnest(?), 'T', 'A.', NULL, ?, ['Gil Hart'], 'arxiv_snapshot', ?""",
            [ids, date(2024, 7, 1), datetime(2025, 1, 1)],
        )
        con.execute(
            "INSERT INTO paper_authors SELECT unnest(?), 1, 'Gil Hart', ?, NULL", [ids, normalize_name("Gil Hart")]
        )
        con.execute(
            "CREATE TABLE paper_relevance AS SELECT arxiv_id, arxiv_id IN ('2401.00001', '2402.00002') "
            "AS is_safety_broad FROM papers"
        )
        ensure_openalex_table(con)
        ids = _ids_to_fetch(con, 10_000)
    assert ids[:2] == ["2401.00001", "2402.00002"] or set(ids[:2]) == {"2401.00001", "2402.00002"}
    n_sample = len(ids) - 2
    assert 0.5 * SAMPLE_PER_MILLE / 1000 * 2000 < n_sample < 1.5 * SAMPLE_PER_MILLE / 1000 * 2000
    with warehouse.transaction() as con:  # the sample is fixed: the same ids every time
        assert _ids_to_fetch(con, 10_000) == ids


def test_places_from_author_records_stay_private_and_evidence_names_no_person(
    warehouse, positions, tmp_path, monkeypatch
):
    from pipelines.defs.classify.people_assets import author_places

    records = tmp_path / "records.csv"
    records.write_text(
        "source,venue,year,paper_id,author_position,name,openreview_id,affiliation,affiliation_domain,position\n"
        "openreview,ICML,2024,p1,1,Gil Hart,~Gil1,Massachusetts Institute of Technology,mit.edu,Professor\n"
    )
    monkeypatch.setenv("AFFILIATIONS_FILE", str(records))
    monkeypatch.setenv("EPOCH_MODELS_FILE", str(tmp_path / "none.csv"))
    with warehouse.transaction() as con:
        _insert(con, "2407.00001", date(2024, 7, 1), "A paper", "Abstract.", None, [("Gil Hart", None)])
    result = dg.materialize(
        [author_places, openalex_works, paper_origins],
        resources={"warehouse": warehouse, "openalex": OpenAlexResource(mode="off")},
        raise_on_error=False,
    )
    assert result.success
    ((kind, evidence, origin),) = _rows(
        warehouse,
        "SELECT origin_evidence_kind, origin_evidence, origin FROM paper_origins WHERE arxiv_id = '2407.00001'",
    )
    assert (kind, origin) == ("people", "academic")
    assert evidence == "people: Massachusetts Institute of Technology <- 1 of 1 authors, author records"
    tables = {r[0] for r in _rows(warehouse, "SELECT table_name FROM duckdb_tables()")}
    assert "author_places" not in tables and {"affiliation_coverage", "unclassified_organizations"} <= tables
    private = duckdb.connect(str(warehouse.people_path), read_only=True)
    try:
        assert private.execute("SELECT name_normalized, org_class FROM author_places").fetchall() == [
            ("gil hart", "academic")
        ]
    finally:
        private.close()


def test_an_incremental_day_is_classified_as_a_full_run_classifies_it(warehouse, stub, positions):
    resource = OpenAlexResource(base_url=stub.base_url, mode="auto", min_interval_s=0.0)
    assert _run(warehouse, resource).success
    day = [
        # a known author with an affiliation elsewhere, one propagated from an old paper, one on the roster, one
        # with a new affiliation, and an updated old paper
        ("2407.00007", "Later", [("Ann Lee", None), ("Bo Chen", "Meta AI")]),
        ("2407.00008", "Roster again", [("Fay Gold", None), ("Bo Chen", None)]),
        ("2407.00009", "Unknown", [("Zed Nobody", None), ("Cy Park", "ETH Zurich")]),
    ]
    with warehouse.transaction() as con:
        for arxiv_id, title, authors in day:
            _insert(con, arxiv_id, date(2024, 7, 7), title, "Abstract.", None, authors, datetime.now())
        con.execute("UPDATE papers SET ingested_at = now(), title = 'Renamed' WHERE arxiv_id = '2404.00004'")
    incremental = _run(warehouse, resource)
    assert _metadata(incremental, "paper_origins")["mode"] == "incremental"
    assert _metadata(incremental, "paper_origins")["classified"] == len(day) + 1
    columns = "* EXCLUDE (classified_at)"
    changed = "('2407.00007', '2407.00008', '2407.00009', '2404.00004')"
    after_day = _rows(warehouse, f"SELECT {columns} FROM paper_origins WHERE arxiv_id IN {changed} ORDER BY 1")
    full = _run(warehouse, resource, full=True)
    assert _metadata(full, "paper_origins")["mode"] == "full"
    assert _rows(warehouse, f"SELECT {columns} FROM paper_origins WHERE arxiv_id IN {changed} ORDER BY 1") == after_day
    origins = {r[0]: r[1:3] for r in after_day}
    assert origins["2407.00007"][0] == "frontier_lab"  # Meta AI by affiliation
    assert origins["2404.00004"] == ("academic", ["Stanford University"])  # propagated from Ann Lee's old paper
