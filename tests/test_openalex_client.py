"""OpenAlexClient against a local OpenAlex stand-in on 127.0.0.1: paging, retries, malformed answers, offline."""

import json
import socket
from collections.abc import Iterator

import pytest

from pipelines.openalex_client import OpenAlexClient, OpenAlexError, OpenAlexUnreachable
from tests.fixtures.openalex_server import Reply, StubOpenAlex, fixture_works, load, serve_openalex


@pytest.fixture
def stub() -> Iterator[StubOpenAlex]:
    with serve_openalex(StubOpenAlex(fixture_works())) as running:
        yield running


def _client(stub: StubOpenAlex, **overrides) -> tuple[OpenAlexClient, list[float]]:
    slept: list[float] = []
    options = dict(
        min_interval_s=0.0, backoff_s=0.01, max_backoff_s=0.05, max_retries=3, sleep=slept.append, mailto="", api_key=""
    )
    return OpenAlexClient(stub.base_url, **{**options, **overrides}), slept


def test_single_work_by_arxiv_doi(stub):
    client, _ = _client(stub)
    work = client.work("1706.03762")
    assert work is not None and work["title"] == "Attention Is All You Need"
    assert stub.requests[0][0].lower() == "/works/doi:10.48550/arxiv.1706.03762"
    assert client.work("9999.99999") is None


def test_batch_follows_cursor_pages_and_marks_missing_ids(stub):
    stub.per_page = 2
    client, _ = _client(stub)
    ids = ["1706.03762", "1606.06565", "2212.08073", "2301.00001"]
    batches = list(client.fetch_records(ids))
    records = {r["arxiv_id"]: r for batch in batches for r in batch}
    assert set(records) == set(ids)
    assert {i for i, r in records.items() if r["status"] == "ok"} == {"1706.03762", "1606.06565", "2212.08073"}
    assert records["2301.00001"]["status"] == "not_found" and records["2301.00001"]["institutions"] is None
    cursors = [params["cursor"][0] for path, params in stub.requests]
    assert cursors == ["*", "2"]
    flt = stub.requests[0][1]["filter"][0]
    assert flt.startswith("doi:") and flt.count("|") == len(ids) - 1
    assert stub.requests[0][1]["per-page"] == ["50"]


def test_fixture_pages_are_followed_until_next_cursor_is_null(stub):
    stub.queue(*(Reply(200, json.dumps(load(f"works_page{i}.json"))) for i in (1, 2, 3)))
    client, _ = _client(stub)
    works = client.works(["1706.03762", "1606.06565", "2212.08073"])
    assert [w["id"].rsplit("/", 1)[1] for w in works] == ["W2963403868", "W2435315327", "W4311990812"]
    assert len(stub.requests) == 3
    assert [p["cursor"][0] for _, p in stub.requests] == ["*", "IlsxNzA2LjAzNzYyXSI=", "IlsyMjEyLjA4MDczXSI="]


def test_429_then_success_honours_retry_after(stub):
    stub.queue(Reply(429, '{"error": "rate limited"}', {"Retry-After": "0.03"}))
    client, slept = _client(stub)
    assert client.work("2212.08073")["id"].endswith("W4311990812")
    assert len(stub.requests) == 2
    assert max(slept) == pytest.approx(0.03)  # Retry-After beat the 0.01 s backoff, within the 0.05 s cap


def test_503_until_retries_run_out_raises(stub):
    stub.queue(*[Reply(503, "Service Unavailable")] * 4)
    client, slept = _client(stub)
    with pytest.raises(OpenAlexError, match="HTTP 503"):
        client.work("2212.08073")
    assert len(stub.requests) == 4  # 1 + max_retries
    assert slept == [0.01, 0.02, 0.04]  # exponential backoff


def test_503_then_recovery(stub):
    stub.queue(Reply(503, "busy"), Reply(503, "busy"))
    client, _ = _client(stub)
    assert client.work("1606.06565")["title"] == "Concrete Problems in AI Safety"


def test_malformed_json_is_retried_then_raises(stub):
    stub.queue(*[Reply(200, '{"meta": {"count": 1}, "results": [')] * 4)
    client, _ = _client(stub)
    with pytest.raises(OpenAlexError, match="malformed JSON"):
        client.works(["1706.03762"])


def test_list_answer_without_results_is_an_error(stub):
    stub.queue(Reply(200, '{"meta": {"count": 0}}'))
    client, _ = _client(stub)
    with pytest.raises(OpenAlexError, match="no 'results'"):
        client.works(["1706.03762"])


def test_unreachable_server_fails_fast_without_retries():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens there
    slept: list[float] = []
    client = OpenAlexClient(f"http://127.0.0.1:{port}", min_interval_s=0.0, sleep=slept.append)
    with pytest.raises(OpenAlexUnreachable):
        client.work("1706.03762")
    assert slept == []


def test_requests_are_spaced_and_polite(stub):
    client, slept = _client(stub, min_interval_s=5.0, mailto="team@example.org")
    client.work("1706.03762")
    client.work("1606.06565")
    assert len(slept) == 1 and 4.0 < slept[0] <= 5.0  # the second request waited for its turn
    assert all(params["mailto"] == ["team@example.org"] for _, params in stub.requests)


def test_more_than_fifty_ids_per_request_is_refused(stub):
    client, _ = _client(stub)
    with pytest.raises(ValueError):
        client.works([f"2401.{i:05d}" for i in range(51)])
