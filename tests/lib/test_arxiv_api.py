"""Pure parts of the arXiv API source: search strings, window splitting, Atom results -> warehouse frames."""

import bisect
import itertools
import random
from datetime import UTC, date, datetime, timedelta

import arxiv
import polars as pl
import pytest
from arxiv import _feed

from pipelines.ingest import AUTHOR_COLUMNS, PAPER_COLUMNS
from pipelines.inputs import query_config
from pipelines.lib import arxiv_api as api
from pipelines.lib.names import normalize_name
from tests.fixtures.arxiv_server import ATOM_DIR, Entry, atom_feed


def _parsed(name: str) -> list[arxiv.Result]:
    return _feed.parse((ATOM_DIR / name).read_bytes()).results


def _frames(results: list[arxiv.Result], name: str = "q", query: str = "the query"):
    return api.convert_results(api.results_frame(results, name, query))


# ---------------------------------------------------------------- queries and windows


def test_seed_config_has_the_required_keys_and_valid_terms():
    config = query_config()
    assert {"cs.AI", "cs.LG", "cs.CL"} <= set(config.search_categories)
    assert {"cs.AI", "cs.LG", "stat.ML"} <= set(config.ai_categories)
    assert config.queries and len({q.name for q in config.queries}) == len(config.queries)
    for spec in config.queries:  # every seed term builds a valid phrase clause
        clause = api.terms_clause(spec.terms)
        assert clause.count(" OR ") == 2 * len(spec.terms) - 1


def test_parse_query_config_rejects_missing_keys_and_duplicate_names():
    good = {"search_categories": ["cs.AI"], "ai_categories": ["cs.AI"], "queries": [{"name": "a", "terms": ["x"]}]}
    assert api.parse_query_config(good).queries[0] == api.QuerySpec("a", ("x",))
    with pytest.raises(ValueError, match="ai_categories"):
        api.parse_query_config({**good, "ai_categories": []})
    with pytest.raises(ValueError, match="duplicate"):
        api.parse_query_config({**good, "queries": good["queries"] * 2})


def test_search_query_has_arxivs_syntax():
    window = api.day_window(date(2025, 3, 9))
    query = api.search_query(['"AI safety"', "jailbreak"], ["cs.AI", "cs.CL"], window)
    assert query == (
        '(ti:"AI safety" OR abs:"AI safety" OR ti:"jailbreak" OR abs:"jailbreak") '
        "AND (cat:cs.AI OR cat:cs.CL) AND submittedDate:[202503090000 TO 202503092359]"
    )
    with pytest.raises(ValueError):
        api.terms_clause(['"bad " quote"'])


def test_month_window_ends_on_the_last_minute_of_the_month():
    assert api.month_window(date(2024, 2, 17)).clause() == "submittedDate:[202402010000 TO 202402292359]"
    assert api.month_window(date(2025, 12, 1)).clause() == "submittedDate:[202512010000 TO 202512312359]"


def test_bisect_covers_the_window_without_overlap():
    window = api.day_window(date(2025, 1, 1))
    first, second = window.bisect()
    assert first.start == window.start and second.end == window.end
    assert second.start - first.end == timedelta(minutes=1)
    assert first.minutes + second.minutes == window.minutes == 24 * 60


def _counter(stamps: list[datetime]):
    """A fake totalResults: how many of the sorted stamps fall in the query's window."""
    calls = []

    def count(query: str) -> int:
        calls.append(query)
        lo, hi = (datetime.strptime(x, "%Y%m%d%H%M") for x in query.split("[")[1].rstrip("]").split(" TO "))
        return bisect.bisect_right(stamps, hi) - bisect.bisect_left(stamps, lo)

    return count, calls


def test_split_windows_keeps_every_query_under_the_cap_and_loses_nothing():
    rng = random.Random(7)
    day = api.day_window(date(2025, 1, 2))
    # A busy afternoon: most submissions between 13:00 and 14:00.
    stamps = sorted(
        day.start + timedelta(minutes=rng.choice([rng.randrange(1440), 780 + rng.randrange(60)])) for _ in range(5000)
    )
    count, calls = _counter(stamps)
    cap = 400
    windows = api.split_windows(day, lambda w: f"x AND {w.clause()}", count, cap)
    assert len(windows) > len(stamps) // cap
    assert all(0 < n <= cap for _, n in windows)
    assert sum(n for _, n in windows) == len(stamps)
    for (a, _), (b, _) in itertools.pairwise(windows):
        assert a.end < b.start  # ordered, disjoint
    assert calls[0] == f"x AND {day.clause()}"  # the whole day is counted first


def test_split_windows_is_one_request_when_under_the_cap_and_none_when_empty():
    day = api.day_window(date(2025, 1, 2))
    count, calls = _counter([day.start + timedelta(hours=h) for h in range(10)])
    assert api.split_windows(day, lambda w: w.clause(), count, cap=10) == [(day, 10)]
    assert len(calls) == 1
    assert api.split_windows(day, lambda w: w.clause(), lambda q: 0) == []


def test_split_windows_fails_clearly_when_one_minute_is_over_the_cap():
    day = api.day_window(date(2025, 1, 2))
    count, _ = _counter([day.start + timedelta(minutes=5)] * 11)
    with pytest.raises(ValueError, match="one minute"):
        api.split_windows(day, lambda w: w.clause(), count, cap=10)


def test_category_count_queries_and_frame():
    queries = api.category_count_queries(["cs.AI", "cs.LG", "cs.AI"], date(2025, 2, 14))
    assert queries["category"].to_list() == ["cs.AI", "cs.LG", api.ALL_AI]
    assert queries["query"][0] == "cat:cs.AI AND submittedDate:[202502010000 TO 202502282359]"
    assert queries["query"][2] == "(cat:cs.AI OR cat:cs.LG) AND submittedDate:[202502010000 TO 202502282359]"
    counted = datetime(2025, 3, 1, 12)
    frame = api.category_counts_frame(queries, [5, 7, 10], date(2025, 2, 14), counted)
    assert frame.columns == ["category", "month", "n_papers", "n_primary", "source", "counted_at"]
    assert frame["month"].unique().to_list() == [date(2025, 2, 1)]
    assert frame["n_papers"].to_list() == [5, 7, 10]
    assert frame["n_primary"].null_count() == 3 and set(frame["source"]) == {"arxiv_api"}


def test_parse_total_results_reads_the_count_and_names_malformed_xml():
    assert api.parse_total_results((ATOM_DIR / "page_counts.xml").read_bytes()) == 7912
    assert api.parse_total_results((ATOM_DIR / "page_empty.xml").read_bytes()) == 0
    with pytest.raises(ValueError, match="malformed XML"):
        api.parse_total_results((ATOM_DIR / "malformed.xml").read_bytes())
    with pytest.raises(ValueError, match="not an arXiv Atom feed"):
        api.parse_total_results(b"<html><body>busy</body></html>")


def test_arxiv_recover_parser_would_accept_the_truncated_page():
    """Why the client checks XML itself: arxiv's lxml parser recovers a truncated page without complaint."""
    feed = _feed.parse((ATOM_DIR / "malformed.xml").read_bytes())
    assert not feed.malformed


# ---------------------------------------------------------------- results -> frames


def test_convert_results_builds_papers_rows():
    results = _parsed("page_affiliations.xml")
    papers, authors, rejects = _frames(results, "alignment")
    assert rejects.is_empty()
    assert papers.columns == PAPER_COLUMNS
    assert set(AUTHOR_COLUMNS) == set(authors.columns)
    assert papers.height == len(results) == 3
    row = papers.filter(pl.col("arxiv_id") == "2501.01234").row(0, named=True)
    assert row["latest_version"] == 2
    assert row["title"] == ("Scalable Oversight of Language Models via Debate: Evidence from Reward Hacking Benchmarks")
    assert row["abstract"].startswith("We study whether debate") and "\n" not in row["abstract"]
    assert row["abstract"].endswith("from 61% to 78%.")
    assert row["categories"] == ["cs.LG", "cs.AI", "cs.CL"]
    assert row["authors"] == ["Ada Lovelace", "Alan M. Turing", "Grace Hopper"]
    assert row["comments"] == "22 pages, 7 figures; v2: added a third benchmark"
    assert row["journal_ref"] == "Proceedings of ICML 2025"
    assert row["doi"] == "10.48550/arXiv.2501.01234"
    assert row["published_date"] == date(2025, 1, 2) and row["updated_date"] == date(2025, 2, 10)
    assert row["date_source"] == "api_published" and row["source"] == "arxiv_api"
    assert row["source_detail"] == "alignment"


def test_convert_results_puts_the_primary_category_first_and_handles_old_ids():
    papers, _, _ = _frames(_parsed("page_affiliations.xml"))
    jailbreak = papers.filter(pl.col("arxiv_id") == "2501.00917").row(0, named=True)
    assert jailbreak["primary_category"] == "cs.CL"
    assert jailbreak["categories"] == ["cs.CL", "cs.CR"]  # the feed lists cs.CR first
    assert jailbreak["comments"] is None and jailbreak["doi"] is None and jailbreak["journal_ref"] is None
    old = papers.filter(pl.col("arxiv_id") == "cs/0101017").row(0, named=True)
    assert old["latest_version"] == 3 and old["published_date"] == date(2001, 1, 22)


def test_authors_keep_order_affiliations_and_normalized_names():
    results = _parsed("page_affiliations.xml")
    _, authors, _ = _frames(results)
    assert authors.height == sum(len(r.authors) for r in results)
    lovelace = authors.filter(pl.col("arxiv_id") == "2501.01234").sort("position")
    assert lovelace["position"].to_list() == [1, 2, 3]
    assert lovelace["affiliation"].to_list() == [
        "Anthropic",
        "University of Cambridge; Alan Turing Institute",
        None,
    ]
    names = authors.filter(pl.col("arxiv_id") == "2501.00917")
    assert names["name"].to_list() == ["Zoë Müller-Schmidt", "José  Núñez"]
    assert names["name_normalized"].to_list() == [normalize_name(n) for n in names["name"]]
    assert names["name_normalized"].to_list() == ["zoe muller schmidt", "jose nunez"]


def test_bad_entries_become_rejects_naming_the_query():
    published = datetime(2025, 1, 2, 10, tzinfo=UTC)
    entries = [Entry("2501.00001", published, title="Fine"), Entry("2501.00002", published, title="  ")]
    body = atom_feed([e.xml for e in entries], 2, 0, 10, "q")
    body = body.replace(b"abs/2501.00001v1</id>", b"abs/not-an-id</id>")
    papers, authors, rejects = _frames(_feed.parse(body).results, query="ti:x AND cat:cs.AI")
    assert papers.is_empty() and authors.is_empty()
    assert sorted(rejects["reason"]) == ["missing title", "unrecognised arXiv id"]
    assert set(rejects["location"]) == {"ti:x AND cat:cs.AI"}
    assert "not-an-id" in rejects.filter(pl.col("reason") == "unrecognised arXiv id")["raw"].item()


def test_empty_results_give_empty_frames_with_the_right_columns():
    papers, authors, rejects = _frames([])
    assert papers.is_empty() and papers.columns == PAPER_COLUMNS
    assert authors.is_empty() and rejects.is_empty()


def test_dedupe_keeps_the_first_query_per_paper():
    results = _parsed("page_affiliations.xml")
    raw = pl.concat([api.results_frame(results, "first", "q1"), api.results_frame(results[:2], "second", "q2")])
    papers, authors, _ = api.convert_results(raw)
    papers, authors = api.dedupe(papers, authors)
    assert papers["arxiv_id"].is_unique().all() and papers.height == len(results)
    assert set(papers["source_detail"]) == {"first"}
    assert authors.height == sum(len(r.authors) for r in results)
