"""The live-API assets materialized into a temporary warehouse against a local arXiv stand-in."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from pipelines.defs.arxiv.api_assets import arxiv_api_category_counts, arxiv_api_papers, arxiv_api_papers_monthly
from pipelines.defs.arxiv.api_resource import ArxivApiResource
from pipelines.defs.arxiv.schedules import LOOKBACK_DAYS, arxiv_api_papers_daily
from pipelines.lib.arxiv_api import day_window
from pipelines.resources import WarehouseResource
from tests.fixtures.arxiv_server import Entry, StubArxiv, entries_from_file, error_reply, serve_arxiv

DAY = "2025-01-02"
AI_CATEGORIES = ["cs.AI", "cs.LG", "cs.CL"]


def _corpus() -> list:
    day = datetime(2025, 1, 2, tzinfo=UTC)
    entries: list = [
        Entry(
            f"2501.{10000 + i}",
            day + timedelta(minutes=47 * i),
            title=f"Paper {i}",
            authors=[(f"Author {i} {k}", []) for k in range(1 + i % 3)],
            categories=[["cs.LG"], ["cs.LG", "cs.AI"], ["cs.CL"]][i % 3],
        )
        for i in range(30)
    ]
    entries += [e for e in entries_from_file("page_affiliations.xml") if e.published.date() == day.date()]
    entries += [Entry("2501.20000", day - timedelta(hours=3)), Entry("2501.20001", day + timedelta(days=1, hours=2))]
    entries.append(Entry("not-an-id", day + timedelta(hours=5), title="Broken"))
    return entries


@pytest.fixture
def stub() -> Iterator[StubArxiv]:
    with serve_arxiv(StubArxiv(_corpus())) as running:
        yield running


@pytest.fixture
def queries_path(tmp_path: Path) -> Path:
    path = tmp_path / "queries.yaml"
    seed = {
        "search_categories": ["cs.AI", "cs.LG"],
        "ai_categories": AI_CATEGORIES,
        "queries": [{"name": "alignment", "terms": ['"alignment"']}, {"name": "safety", "terms": ['"safety"']}],
    }
    path.write_text(yaml.safe_dump(seed))
    return path


def _resources(tmp_path: Path, stub: StubArxiv, **api: object) -> dict:
    return {
        "warehouse": WarehouseResource(
            work_path=str(tmp_path / "work" / "warehouse.duckdb"),
            published_path=str(tmp_path / "published" / "warehouse.duckdb"),
        ),
        "arxiv_api": ArxivApiResource(
            **{
                "base_url": stub.base_url,
                "page_size": 10,
                "delay_seconds": 0.0,
                "backoff_seconds": 0.01,
                "num_retries": 2,
                "lock_path": str(tmp_path / "arxiv.lock"),
                **api,
            }
        ),
    }


def _materialize(asset, partition: str, tmp_path: Path, stub: StubArxiv, queries_path: Path, **api: object):
    return dg.materialize(
        [asset],
        partition_key=partition,
        resources=_resources(tmp_path, stub, **api),
        run_config={"ops": {asset.key.path[-1]: {"config": {"queries_path": str(queries_path)}}}},
        raise_on_error=False,
    )


def _query(tmp_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "work" / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _counts(tmp_path: Path) -> dict[str, int]:
    tables = ["papers", "paper_authors", "rejected_records", "ingest_runs", "category_month_counts"]
    return {t: _query(tmp_path, f"SELECT count(*) FROM {t}")[0][0] for t in tables}


def _in_day(stub: StubArxiv) -> list:
    """Entries submitted on DAY in a searched category (what arXiv would return for every query here)."""
    window = day_window(date.fromisoformat(DAY))
    return [
        e
        for e in stub.entries
        if window.start <= e.published.replace(tzinfo=None) <= window.end and {"cs.AI", "cs.LG"} & set(e.categories)
    ]


def test_papers_partition_loads_the_day_and_reruns_identically(tmp_path, stub, queries_path):
    first = _materialize(arxiv_api_papers, DAY, tmp_path, stub, queries_path)
    assert first.success
    in_day = _in_day(stub)
    valid = [e for e in in_day if e.xml.count("abs/not-an-id") == 0]
    counts = _counts(tmp_path)
    assert counts["papers"] == len(valid)
    assert _query(tmp_path, "SELECT count(DISTINCT arxiv_id) FROM papers")[0][0] == len(valid)
    assert counts["paper_authors"] == sum(e.xml.count("<author>") for e in valid)
    assert counts["rejected_records"] == 2  # the broken entry, once per query that returned it
    ids = {r[0] for r in _query(tmp_path, "SELECT arxiv_id FROM papers")}
    assert "2501.20000" not in ids and "2501.20001" not in ids  # other days
    assert _query(tmp_path, "SELECT DISTINCT source, source_detail, date_source FROM papers") == [
        ("arxiv_api", "alignment", "api_published")
    ]
    run = _query(tmp_path, "SELECT outcome, partition_key, n_read, n_inserted, n_rejected FROM ingest_runs")
    assert run == [("success", DAY, 2 * len(in_day), len(valid), 2)]
    # the broken entry is rejected once per query that returned it; each rejection names its query and day
    rejected = _query(tmp_path, "SELECT location, reason FROM rejected_records ORDER BY location")
    assert {reason for _, reason in rejected} == {"unrecognised arXiv id"}
    assert all("submittedDate:[202501020000 TO 202501022359]" in location for location, _ in rejected)
    assert [('ti:"alignment"' in loc, 'ti:"safety"' in loc) for loc, _ in rejected] == [(True, False), (False, True)]

    second = _materialize(arxiv_api_papers, DAY, tmp_path, stub, queries_path)
    assert second.success
    again = _counts(tmp_path)
    assert {k: again[k] for k in ("papers", "paper_authors")} == {k: counts[k] for k in ("papers", "paper_authors")}
    runs = _query(tmp_path, "SELECT n_inserted, n_unchanged, outcome FROM ingest_runs ORDER BY started_at")
    assert runs[1] == (0, len(valid), "success")
    checks = second.get_asset_check_evaluations()
    assert [c.check_name for c in checks] == ["papers_unique_ids"] and checks[0].passed


def test_affiliation_from_the_feed_lands_in_paper_authors(tmp_path, stub, queries_path):
    assert _materialize(arxiv_api_papers, DAY, tmp_path, stub, queries_path).success
    rows = _query(
        tmp_path,
        "SELECT position, name, name_normalized, affiliation FROM paper_authors "
        "WHERE arxiv_id = '2501.01234' ORDER BY position",
    )
    assert rows == [
        (1, "Ada Lovelace", "ada lovelace", "Anthropic"),
        (2, "Alan M. Turing", "alan m turing", "University of Cambridge; Alan Turing Institute"),
        (3, "Grace Hopper", "grace hopper", None),
    ]
    paper = _query(tmp_path, "SELECT latest_version, doi, categories FROM papers WHERE arxiv_id = '2501.01234'")
    assert paper == [(2, "10.48550/arXiv.2501.01234", ["cs.LG", "cs.AI", "cs.CL"])]


def test_windows_are_split_so_no_query_exceeds_the_cap(tmp_path, stub, queries_path):
    cap = 7
    assert _materialize(arxiv_api_papers, DAY, tmp_path, stub, queries_path, result_cap=cap).success
    fetches = [r for r in stub.requests if r.max_results > 0]
    assert fetches and all(len(stub.matching(r.query)) <= cap for r in fetches)
    assert len({r.query for r in fetches}) > 2 * len(_in_day(stub)) // cap  # several windows per query
    valid = [e for e in _in_day(stub) if "not-an-id" not in e.xml]
    assert _counts(tmp_path)["papers"] == len(valid)


def test_failed_pull_leaves_papers_untouched_and_records_the_failure(tmp_path, stub, queries_path):
    assert _materialize(arxiv_api_papers, DAY, tmp_path, stub, queries_path).success
    before = _counts(tmp_path)
    stub.queue(*[error_reply(503)] * 20)
    result = _materialize(arxiv_api_papers, DAY, tmp_path, stub, queries_path, num_retries=1)
    assert not result.success
    after = _counts(tmp_path)
    assert {k: after[k] for k in ("papers", "paper_authors", "rejected_records")} == {
        k: before[k] for k in ("papers", "paper_authors", "rejected_records")
    }
    failed = _query(tmp_path, "SELECT message FROM ingest_runs WHERE outcome = 'failed'")
    assert len(failed) == 1 and "HTTP 503" in failed[0][0] and "submittedDate" in failed[0][0]


def test_category_counts_month_from_total_results_and_rerun_replaces(tmp_path, stub, queries_path):
    month = "2025-01-01"
    for _ in range(2):
        result = _materialize(arxiv_api_category_counts, month, tmp_path, stub, queries_path)
        assert result.success
        rows = dict(_query(tmp_path, "SELECT category, n_papers FROM category_month_counts WHERE source = 'arxiv_api'"))
        in_month = [e for e in stub.entries if (e.published.year, e.published.month) == (2025, 1)]
        expected = {c: sum(c in e.categories for e in in_month) for c in AI_CATEGORIES}
        expected["ALL_AI"] = sum(bool(set(AI_CATEGORIES) & set(e.categories)) for e in in_month)
        assert rows == expected
        assert _query(tmp_path, "SELECT DISTINCT month, n_primary FROM category_month_counts") == [
            (date(2025, 1, 1), None)
        ]
        assert all(c.passed for c in result.get_asset_check_evaluations())
    assert _query(tmp_path, "SELECT count(*), min(outcome) FROM ingest_runs")[0] == (2, "success")


def test_daily_schedule_requests_the_last_complete_days(monkeypatch):
    monkeypatch.setenv("ARXIV_SOURCE", "auto")
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2025, 3, 10, 6, tzinfo=UTC))
    requests = arxiv_api_papers_daily(context)
    assert [r.partition_key for r in requests] == [
        str(date(2025, 3, 10) - timedelta(days=k)) for k in range(LOOKBACK_DAYS, 0, -1)
    ]
    assert len({r.run_key for r in requests}) == LOOKBACK_DAYS


def _materialize_range(asset, first: str, last: str, tmp_path, stub, queries_path, **config: object):
    """A run over a range of partitions, as a backfill of the monthly assets launches it."""
    return dg.materialize(
        [asset],
        tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        resources=_resources(tmp_path, stub),
        run_config={"ops": {asset.key.path[-1]: {"config": {"queries_path": str(queries_path), **config}}}},
        raise_on_error=False,
    )


def test_monthly_papers_over_a_range_pull_each_month_in_its_own_transaction(tmp_path, stub, queries_path):
    result = _materialize_range(arxiv_api_papers_monthly, "2024-12-01", "2025-02-01", tmp_path, stub, queries_path)
    assert result.success
    valid = [e for e in stub.entries if "abs/not-an-id" not in e.xml and {"cs.AI", "cs.LG"} & set(e.categories)]
    assert _counts(tmp_path)["papers"] == len(valid)  # every day of January, and 2025-01-01 21:00
    runs = _query(tmp_path, "SELECT partition_key, outcome FROM ingest_runs ORDER BY partition_key")
    assert runs == [("2024-12-01", "success"), ("2025-01-01", "success"), ("2025-02-01", "success")]
    materializations = result.asset_materializations_for_node("arxiv_api_papers_monthly")
    assert sorted(m.partition for m in materializations) == ["2024-12-01", "2025-01-01", "2025-02-01"]
    per_month = materializations[0].metadata["per_month"].value
    assert per_month["2025-01-01"]["n_papers"] == len(valid) and per_month["2024-12-01"]["n_requests"] == 2


def test_a_range_run_again_skips_months_pulled_for_good_unless_asked(tmp_path, stub, queries_path):
    months = ("2024-12-01", "2025-02-01")
    assert _materialize_range(arxiv_api_category_counts, *months, tmp_path, stub, queries_path).success
    n_requests, rows = len(stub.requests), _counts(tmp_path)["category_month_counts"]
    assert rows == 3 * (len(AI_CATEGORIES) + 1)

    assert _materialize_range(arxiv_api_category_counts, *months, tmp_path, stub, queries_path).success
    assert len(stub.requests) == n_requests  # a resumed backfill never asks again for what it has
    assert _counts(tmp_path)["ingest_runs"] == 3

    again = _materialize_range(
        arxiv_api_category_counts, *months, tmp_path, stub, queries_path, repull_final_months=True
    )
    assert again.success and len(stub.requests) == n_requests + 3 * (len(AI_CATEGORIES) + 1)
    assert _counts(tmp_path)["category_month_counts"] == rows and _counts(tmp_path)["ingest_runs"] == 6
