"""The dashboard's SQL against the hand-made fixture warehouse; expected answers computed from its tables."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from dashboards import queries
from pipelines import contract, search_index
from pipelines.lib import search_query

ALL_TIME = {"start": dt.date(1990, 1, 1), "end": dt.date(2100, 1, 1)}


def _ids(frame: pl.DataFrame) -> set[str]:
    return set(frame["arxiv_id"].to_list())


def _joined(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return tables["papers"].join(tables["paper_classification"], on="arxiv_id", how="left")


@pytest.fixture
def ingest_only(tmp_path: Path) -> Path:
    """A warehouse where only ingestion has run: no classification, no marts."""
    path = tmp_path / "ingest_only.duckdb"
    con = duckdb.connect(str(path))
    con.execute(contract.ddl(*contract.names("ingest")))
    con.close()
    return path


def test_missing_warehouse_raises_typed_error_with_build_command(tmp_path: Path) -> None:
    with pytest.raises(queries.WarehouseMissing) as info:
        queries.claims(tmp_path / "nope.duckdb")
    assert info.value.hint == "make refresh"
    assert "nope.duckdb" in str(info.value)


def test_missing_table_names_the_table(ingest_only: Path) -> None:
    with pytest.raises(queries.TableMissing) as info:
        queries.claims(ingest_only)
    assert info.value.tables == ("claims_check",)
    with pytest.raises(queries.TableMissing) as info:
        queries.top_organizations(ingest_only, "narrow", **ALL_TIME)
    assert info.value.tables == ("safety_papers_by_organization_monthly",)
    # queries.py defines a function named like this table: it must not be picked up as a replacement scan
    with pytest.raises(queries.TableMissing):
        queries.field_size_estimates(ingest_only)


def test_connections_cannot_touch_files(warehouse_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with queries.connect(warehouse_file) as con, pytest.raises(duckdb.Error):
        con.execute(f"COPY papers TO '{target}'")
    with queries.connect(warehouse_file) as con, pytest.raises(duckdb.Error):
        con.execute("CREATE TABLE x AS SELECT 1")
    assert not target.exists()


def test_unreadable_file_is_a_warehouse_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.duckdb"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(queries.WarehouseUnreadable):
        queries.freshness(path)


def _copy_with_index(warehouse_file: Path, copy: Path) -> Path:
    shutil.copyfile(warehouse_file, copy)
    shutil.copytree(search_index.index_root(warehouse_file), search_index.index_root(copy))
    return copy


def test_connections_are_released_so_a_writer_can_open_the_file(warehouse_file: Path, tmp_path: Path) -> None:
    copy = _copy_with_index(warehouse_file, tmp_path / "copy.duckdb")
    queries.table_counts(copy)
    queries.search_papers(copy, text="model", **ALL_TIME)
    writer = duckdb.connect(str(copy))  # fails while any connection still holds the file
    writer.execute("CREATE TABLE probe AS SELECT 1 AS x")
    writer.close()


def test_shared_connection_serves_a_page_of_queries_then_closes(warehouse_file: Path, tmp_path: Path) -> None:
    copy = _copy_with_index(warehouse_file, tmp_path / "copy.duckdb")
    with queries.shared_connection():
        orgs = queries.top_organizations(copy, "broad", **ALL_TIME)
        hits = queries.search_papers(copy, text="model", **ALL_TIME)
        fresh = queries.freshness(copy)
    assert orgs.height and hits.height and fresh.height
    writer = duckdb.connect(str(copy))
    writer.close()


def test_table_counts_cover_every_table_and_flag_missing(warehouse_file: Path, ingest_only: Path, fixture_tables):
    counts = queries.table_counts(warehouse_file)
    by_name = dict(counts.select("table_name", "n_rows").iter_rows())
    for name, frame in fixture_tables.items():
        assert by_name[name] == frame.height
    assert counts.filter(pl.col("in_contract"))["present"].all()

    partial = queries.table_counts(ingest_only)
    missing = set(partial.filter(~pl.col("present"))["table_name"])
    assert missing == set(queries.DERIVED_TABLES)


def test_freshness_and_sources(warehouse_file: Path, fixture_tables) -> None:
    papers, runs = fixture_tables["papers"], fixture_tables["ingest_runs"]
    row = queries.freshness(warehouse_file).row(0, named=True)
    assert row["latest_published"] == papers["published_date"].max()
    assert row["last_success"] == runs.filter(pl.col("outcome") == "success")["finished_at"].max()
    assert row["n_failed_runs"] == runs.filter(pl.col("outcome") != "success").height
    sources = queries.paper_sources(warehouse_file)
    assert sources["n_papers"].sum() == papers.height


def test_headline_output_sums_the_last_12_months(warehouse_file: Path, fixture_tables) -> None:
    neglect = fixture_tables["neglectedness_monthly"].sort("month")
    last12, prev12 = neglect.tail(12), neglect.slice(neglect.height - 24, 12)
    head = {r["period"]: r for r in queries.headline_output(warehouse_file).iter_rows(named=True)}
    for period, expected in (("last", last12), ("prev", prev12)):
        assert head[period]["n_months"] == 12
        assert head[period]["n_safety_narrow"] == expected["n_safety_narrow"].sum()
        assert head[period]["share_broad"] == pytest.approx(
            expected["n_safety_broad"].sum() / expected["n_ai_papers"].sum()
        )
    assert head["last"]["last_month"] == neglect["month"].max()


def test_topic_and_origin_monthly_filter_definition_and_range(warehouse_file: Path, fixture_tables) -> None:
    start, end = dt.date(2024, 1, 1), dt.date(2024, 12, 1)
    frame = queries.topic_monthly(warehouse_file, "narrow", start, end)
    expected = fixture_tables["safety_papers_by_topic_monthly"].filter(
        (pl.col("definition") == "narrow") & pl.col("month").is_between(start, end)
    )
    assert frame["n_papers"].sum() == expected["n_papers"].sum()
    assert frame["month"].min() == start and frame["month"].max() == end
    origins = queries.origin_monthly(warehouse_file, "broad", start, end)
    assert set(origins["origin"]) <= set(fixture_tables["safety_papers_by_origin_monthly"]["origin"])
    with pytest.raises(ValueError):
        queries.topic_monthly(warehouse_file, "wide'; --", start, end)


@pytest.mark.parametrize(  # most papers in range and few
    ("start", "end"), [(dt.date(2024, 1, 1), dt.date(2026, 12, 31)), (dt.date(2025, 1, 1), dt.date(2025, 12, 31))]
)
def test_top_organizations_counts_safety_papers_per_organisation(
    warehouse_file: Path, fixture_tables, start: dt.date, end: dt.date
) -> None:
    expected = (
        _joined(fixture_tables)
        .filter(pl.col("is_safety_narrow") & pl.col("published_date").is_between(start, end))
        .explode("organizations")
        .drop_nulls("organizations")
        .group_by("organizations")
        .agg(pl.col("arxiv_id").n_unique())
    )
    got = queries.top_organizations(warehouse_file, "narrow", start, end, limit=100)
    assert dict(got.select("organization", "n_papers").iter_rows()) == dict(expected.iter_rows())
    top = queries.top_organizations(warehouse_file, "narrow", start, end, limit=1)
    assert top.height == 1 and top["n_papers"][0] == expected["arxiv_id"].max()


def test_latest_headcount_is_the_newest_technical_estimate(warehouse_file: Path, fixture_tables) -> None:
    est = fixture_tables["field_size_estimates"].filter(pl.col("scope") == "technical")
    got = queries.latest_headcount(warehouse_file).row(0, named=True)
    assert got["year"] == est["year"].max()
    assert got["n_technical_estimates"] == est.height


def test_search_terms_and_literal_patterns() -> None:
    terms = search_query.parse('reward "sparse autoencoders"  Lopez').terms
    assert [t.text for t in terms] == ["reward", "sparse autoencoders", "Lopez"]
    assert len(search_query.parse(" ".join("abcdefghij")).terms) == search_query.MAX_SEARCH_TERMS


@pytest.mark.parametrize(
    ("term", "text", "matches"),
    [
        ("100% (a)", "at 100% (a) utility", True),
        ("a.c", "abc", False),
        ("[a-z]+", "x[a-z]+y", True),
        ("[a-z]+", "abc", False),
        ("reward hacking", "measures REWARD\nhacking", True),
        ("müller", "Kai MÜLLER", True),
        ("x' OR '1'='1", "x' or '1'='1", True),
        ("$^|?{}\\", "$^|?{}\\", True),
    ],
)
def test_literal_regex_matches_plain_text(term: str, text: str, matches: bool) -> None:
    con = duckdb.connect()
    try:
        got = con.execute("SELECT regexp_matches(?, ?)", [text, search_query.literal_regex(term)]).fetchone()[0]
    finally:
        con.close()
    assert got is matches


def test_search_matches_title_abstract_and_authors_case_insensitively(warehouse_file: Path, fixture_tables) -> None:
    papers = fixture_tables["papers"]
    by_author = papers.filter(pl.col("authors").list.eval(pl.element().str.contains("(?i)lopez")).list.any())
    got = queries.search_papers(warehouse_file, text="LOPEZ", safety="any", **ALL_TIME)
    assert _ids(got) == set(by_author["arxiv_id"]) and got.height > 1
    in_abstract = queries.search_papers(warehouse_file, text="monosemantic", safety="any", **ALL_TIME)
    assert _ids(in_abstract) == set(papers.filter(pl.col("abstract").str.contains("monosemantic"))["arxiv_id"])
    both = queries.search_papers(warehouse_file, text='lopez "sparse autoencoders"', safety="any", **ALL_TIME)
    assert _ids(both) == {"2406.09931"}
    assert got["url"].to_list() == [f"https://arxiv.org/abs/{i}" for i in got["arxiv_id"]]


def test_search_treats_wildcards_and_quotes_as_text(warehouse_file: Path, fixture_tables) -> None:
    papers = fixture_tables["papers"]
    text = pl.concat_str("title", "abstract", pl.col("authors").list.join(" ; "))
    with_percent = set(papers.filter(text.str.contains("%", literal=True))["arxiv_id"])
    assert with_percent and len(with_percent) < papers.height
    assert _ids(queries.search_papers(warehouse_file, text="%", safety="any", **ALL_TIME)) == with_percent
    assert queries.search_papers(warehouse_file, text="_", safety="any", **ALL_TIME).is_empty()
    apostrophe = queries.search_papers(warehouse_file, text="O'Brien", safety="any", **ALL_TIME)
    assert apostrophe.height == 2


@pytest.mark.parametrize(
    "text", ["'; DROP TABLE papers; --", "x' OR '1'='1", '" OR 1=1 --', "); DELETE FROM papers; --", "\\'"]
)
def test_search_injection_is_plain_text(warehouse_file: Path, fixture_tables, text: str) -> None:
    got = queries.search_papers(warehouse_file, text=text, safety="any", **ALL_TIME)
    assert got.is_empty()
    assert queries.table_counts(warehouse_file).filter(pl.col("table_name") == "papers")["n_rows"][0] == (
        fixture_tables["papers"].height
    )


def test_search_filters_match_the_tables(warehouse_file: Path, fixture_tables) -> None:
    joined = _joined(fixture_tables)
    start, end = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
    in_range = joined.filter(pl.col("published_date").is_between(start, end))

    narrow = queries.search_papers(warehouse_file, start=start, end=end, safety="narrow")
    assert _ids(narrow) == set(in_range.filter(pl.col("is_safety_narrow"))["arxiv_id"])

    topics = ["interpretability", "privacy"]
    by_topic = queries.search_papers(warehouse_file, start=start, end=end, safety="any", topics=topics)
    expected = in_range.filter(pl.col("topics").list.eval(pl.element().is_in(topics)).list.any())
    assert _ids(by_topic) == set(expected["arxiv_id"])

    origins = ["frontier_lab", "nonprofit"]
    by_origin = queries.search_papers(warehouse_file, start=start, end=end, safety="broad", origins=origins)
    expected = in_range.filter(pl.col("is_safety_broad") & pl.col("origin").is_in(origins))
    assert _ids(by_origin) == set(expected["arxiv_id"])

    cats = ["cs.CR"]
    by_cat = queries.search_papers(warehouse_file, start=start, end=end, safety="any", categories=cats)
    assert _ids(by_cat) == set(in_range.filter(pl.col("categories").list.contains("cs.CR"))["arxiv_id"])


def test_search_limit_returns_one_extra_row_newest_first(warehouse_file: Path, fixture_tables) -> None:
    got = queries.search_papers(warehouse_file, safety="any", limit=3, **ALL_TIME)
    assert got.height == 4  # limit + 1 tells the page that more papers match
    newest = fixture_tables["papers"].sort("published_date", descending=True).head(4)
    assert got["arxiv_id"].to_list() == newest["arxiv_id"].to_list()
    everything = queries.search_papers(warehouse_file, safety="any", limit=1000, **ALL_TIME)
    assert everything.height == fixture_tables["papers"].height
    unclassified = everything.filter(pl.col("safety") == "unclassified")
    assert unclassified.is_empty()


def test_search_shows_the_evidence_behind_each_label(warehouse_file: Path, fixture_tables) -> None:
    got = queries.search_papers(warehouse_file, safety="any", limit=1000, **ALL_TIME)
    stored = fixture_tables["paper_classification"].select("arxiv_id", "safety_evidence", "origin_evidence")
    shown = got.select("arxiv_id", "safety_evidence", "origin_evidence").join(stored, on="arxiv_id", suffix="_stored")
    assert shown.height == got.height and shown["safety_evidence"].drop_nulls().len() > 0
    assert shown["safety_evidence"].to_list() == shown["safety_evidence_stored"].to_list()
    assert shown["origin_evidence"].to_list() == shown["origin_evidence_stored"].to_list()
