"""The real arxiv.Client (through ArxivClient) against a local arXiv stand-in on 127.0.0.1."""

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from pipelines.arxiv_client import ARXIV_MIN_DELAY_SECONDS, ArxivApiError, ArxivClient
from pipelines.lib import arxiv_api as api
from tests.fixtures.arxiv_server import (
    Entry,
    Reply,
    StubArxiv,
    empty_page_reply,
    entries_from_file,
    error_reply,
    fixture_reply,
    serve_arxiv,
)

DAY = date(2025, 1, 2)
QUERY = api.search_query(['"alignment"'], ["cs.AI", "cs.LG"], api.day_window(DAY))


def _entries(n: int) -> list[Entry]:
    start = datetime(2025, 1, 2, tzinfo=UTC)
    return [
        Entry(f"2501.{i:05d}", start + timedelta(minutes=11 * i), categories=["cs.LG", "cs.AI"][: 1 + i % 2])
        for i in range(n)
    ]


@pytest.fixture
def stub() -> Iterator[StubArxiv]:
    with serve_arxiv(StubArxiv(_entries(25))) as running:
        yield running


def _client(stub: StubArxiv, tmp_path, **overrides) -> ArxivClient:
    options = dict(
        page_size=10,
        delay_seconds=0.0,
        num_retries=3,
        timeout_seconds=5.0,
        backoff_seconds=0.01,
        lock_path=tmp_path / "arxiv.lock",
    )
    return ArxivClient(stub.base_url, **{**options, **overrides})


def test_pages_by_start_until_total_results(stub, tmp_path):
    results = _client(stub, tmp_path).fetch(QUERY)
    assert [r.get_short_id() for r in results] == [f"{e.arxiv_id}v1" for e in stub.entries]
    assert [(r.start, r.max_results) for r in stub.requests] == [(0, 10), (10, 10), (20, 10)]
    assert {r.query for r in stub.requests} == {QUERY}
    assert {r.params["sortBy"] for r in stub.requests} == {"submittedDate"}
    assert {r.params["sortOrder"] for r in stub.requests} == {"ascending"}


def test_empty_page_mid_results_is_retried(stub, tmp_path):
    stub.queue(lambda req: stub.search(req), empty_page_reply(total=25, start=10))
    results = _client(stub, tmp_path).fetch(QUERY)
    assert len(results) == len(stub.entries)
    assert [r.start for r in stub.requests] == [0, 10, 10, 20]


def test_empty_first_page_that_claims_results_is_retried(stub, tmp_path):
    stub.queue(empty_page_reply(total=25))
    assert len(_client(stub, tmp_path).fetch(QUERY)) == len(stub.entries)
    assert [r.start for r in stub.requests] == [0, 0, 10, 20]


def test_empty_result_set_is_one_request_and_no_results(tmp_path):
    with serve_arxiv(StubArxiv()) as empty:
        assert _client(empty, tmp_path).fetch(QUERY) == []
        assert len(empty.requests) == 1


@pytest.mark.parametrize("status", [503, 429, 502])
def test_transient_http_errors_are_retried(stub, tmp_path, status):
    stub.queue(error_reply(status))
    assert len(_client(stub, tmp_path).fetch(QUERY)) == len(stub.entries)
    assert [r.start for r in stub.requests] == [0, 0, 10, 20]


def test_backoff_grows_exponentially(stub, tmp_path):
    stub.queue(error_reply(503), error_reply(503), error_reply(503))
    _client(stub, tmp_path, backoff_seconds=0.1, page_size=100).fetch(QUERY)
    gaps = [b.at - a.at for a, b in itertools.pairwise(stub.requests)]
    assert len(gaps) == 3
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2 and gaps[2] >= 0.4


def test_retry_after_header_is_honoured(stub, tmp_path):
    stub.queue(error_reply(429, retry_after=1))
    _client(stub, tmp_path, page_size=100).fetch(QUERY)
    assert stub.requests[1].at - stub.requests[0].at >= 0.95


def test_persistent_503_fails_naming_query_and_url(stub, tmp_path):
    stub.queue(*[error_reply(503)] * 10)
    with pytest.raises(ArxivApiError) as err:
        _client(stub, tmp_path, num_retries=2).fetch(QUERY)
    assert len(stub.requests) == 3
    message = str(err.value)
    assert "HTTP 503" in message and "3 tries" in message
    assert QUERY in message and stub.base_url in message
    assert err.value.query == QUERY


def test_client_errors_are_not_retried(stub, tmp_path):
    stub.queue(error_reply(400))
    with pytest.raises(ArxivApiError, match="HTTP 400"):
        _client(stub, tmp_path).fetch(QUERY)
    assert len(stub.requests) == 1


def test_malformed_xml_is_retried_then_fails_naming_the_query(stub, tmp_path):
    stub.queue(fixture_reply("malformed.xml"))
    assert len(_client(stub, tmp_path).fetch(QUERY)) == len(stub.entries)

    stub.queue(*[fixture_reply("malformed.xml")] * 4)
    with pytest.raises(ArxivApiError) as err:
        _client(stub, tmp_path).fetch(QUERY)
    assert "malformed XML" in str(err.value) and QUERY in str(err.value)


def test_non_feed_response_is_an_error_not_an_empty_result(stub, tmp_path):
    stub.queue(*[Reply(b"<html><body>Rate exceeded.</body></html>")] * 4)
    with pytest.raises(ArxivApiError, match="not an arXiv Atom feed"):
        _client(stub, tmp_path).fetch(QUERY)


def test_timeouts_are_retried(stub, tmp_path):
    stub.queue(lambda req: Reply(stub.search(req).body, delay=1.0))
    results = _client(stub, tmp_path, timeout_seconds=0.3).fetch(QUERY)
    assert len(results) == len(stub.entries)
    assert [r.start for r in stub.requests] == [0, 0, 10, 20]


def test_connection_refused_fails_naming_the_url(tmp_path):
    with serve_arxiv() as gone:
        url = gone.base_url
    client = ArxivClient(url, delay_seconds=0, num_retries=1, backoff_seconds=0.01, lock_path=tmp_path / "l")
    with pytest.raises(ArxivApiError, match="connection error") as err:
        client.fetch(QUERY)
    assert url in str(err.value)


def test_requests_are_spaced_by_the_delay_even_across_clients(stub, tmp_path):
    """Two clients sharing the lock file (as two Dagster processes would) never come closer than the delay."""
    delay = 0.15
    clients = [_client(stub, tmp_path, delay_seconds=delay) for _ in range(2)]
    threads = [threading.Thread(target=c.fetch, args=(QUERY,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps = sorted(r.at for r in stub.requests)
    assert len(stamps) == 6
    assert min(b - a for a, b in itertools.pairwise(stamps)) >= delay * 0.95


def test_arxiv_org_is_never_asked_faster_than_every_three_seconds(tmp_path):
    client = ArxivClient("https://export.arxiv.org/api/query", delay_seconds=0.1, lock_path=tmp_path / "l")
    assert client.delay_seconds == client.limiter.delay_seconds == ARXIV_MIN_DELAY_SECONDS
    assert client.query_url_format == "https://export.arxiv.org/api/query?{}"
    with pytest.raises(ValueError, match="page_size"):
        ArxivClient("https://export.arxiv.org/api/query", page_size=2001)


def test_total_results_asks_for_zero_results(stub, tmp_path):
    assert _client(stub, tmp_path).total_results(QUERY) == len(stub.entries)
    (request,) = stub.requests
    assert request.max_results == 0 and request.query == QUERY


def test_total_results_of_a_real_counts_page(stub, tmp_path):
    stub.queue(fixture_reply("page_counts.xml"))
    assert _client(stub, tmp_path).total_results("cat:cs.AI") == 7912


def test_category_counts_per_category_and_distinct_union(stub, tmp_path):
    started = time.time()
    counts = _client(stub, tmp_path).category_counts(["cs.AI", "cs.LG", "cs.CL"], DAY)
    assert counts.columns == ["category", "month", "n_papers", "n_primary", "source", "counted_at"]
    got = dict(counts.select("category", "n_papers").iter_rows())
    expected = {c: sum(c in e.categories for e in stub.entries) for c in ("cs.AI", "cs.LG", "cs.CL")}
    expected["ALL_AI"] = sum(bool({"cs.AI", "cs.LG", "cs.CL"} & set(e.categories)) for e in stub.entries)
    assert got == expected
    assert expected["ALL_AI"] < expected["cs.AI"] + expected["cs.LG"]  # cross-lists counted once
    assert all(r.max_results == 0 for r in stub.requests) and len(stub.requests) == 4
    assert "submittedDate:[202501010000 TO 202501312359]" in stub.requests[0].query
    assert counts["month"].unique().to_list() == [date(2025, 1, 1)]
    assert counts["counted_at"].min().timestamp() >= started - 1
    assert counts.schema["n_papers"] == pl.Int64


def test_affiliations_reach_the_authors_frame(tmp_path):
    with serve_arxiv(StubArxiv(entries_from_file("page_affiliations.xml"))) as stub:
        results = _client(stub, tmp_path).fetch("ti:x")
    _, authors, _ = api.convert_results(api.results_frame(results, "q", "ti:x"))
    got = dict(authors.filter(pl.col("affiliation").is_not_null()).select("name", "affiliation").iter_rows())
    assert got == {
        "Ada Lovelace": "Anthropic",
        "Alan M. Turing": "University of Cambridge; Alan Turing Institute",
        "Zoë Müller-Schmidt": "ETH Zürich",
    }
