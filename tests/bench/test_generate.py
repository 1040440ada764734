"""The benchmark corpus generator: exact counts, fresh ids consistent with dates, determinism, the daily file."""

import gzip
import json
from datetime import date

import duckdb
import pytest

from bench import generate
from bench.report import stage


def _records(folder):
    out = []
    for f in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(f, "rt") as fh:
            out += [(f.name, json.loads(line)) for line in fh]
    return out


def test_month_counts_sum_to_n_and_follow_growth():
    counts = generate.month_counts(100_000, date(2007, 4, 1), date(2026, 8, 1))
    assert sum(c for _, c in counts) == 100_000
    by_month = dict(counts)
    assert by_month[date(2025, 6, 1)] > 3 * by_month[date(2008, 6, 1)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, corpus_slice):
    """Sampled from 1,200 real records (tests/conftest.py), not the whole corpus: make bench generates from that."""
    out = tmp_path_factory.mktemp("gen") / "corpus"
    manifest = generate.generate(3_000, out, source=corpus_slice, log=lambda _: None)
    return out, manifest


def test_generated_ids_are_fresh_unique_and_match_dates(corpus):
    folder, manifest = corpus
    records = _records(folder)
    assert len(records) == manifest.n_records == 3_000
    ids = [r["id"] for _, r in records]
    assert len(set(ids)) == len(ids)
    for name, r in records:
        day = date.fromisoformat(r["update_date"])
        assert r["id"][:4] == f"{day:%y%m}" and len(r["id"]) == 10
        assert name == f"arxiv-{day:%Y-%m}.jsonl.gz"
        assert r["title"] and r["versions"][0]["version"] == "v1"


def test_generated_records_are_real_records_and_loadable(corpus, corpus_slice):
    folder, _ = corpus
    con = duckdb.connect()
    con.execute(f"CREATE TABLE real AS SELECT title, abstract FROM read_json('{corpus_slice}/*.jsonl.gz')")
    missing = con.execute(
        f"""SELECT count(*) FROM read_json('{folder}/*.jsonl.gz') g
        ANTI JOIN real r ON r.title = g.title AND r.abstract IS NOT DISTINCT FROM g.abstract"""
    ).fetchone()[0]
    assert missing == 0


def test_generation_is_deterministic(corpus, corpus_slice, tmp_path):
    folder, _ = corpus
    again = generate.generate(3_000, tmp_path / "again", source=corpus_slice, log=lambda _: None)
    assert again.n_records == 3_000
    assert sorted(json.dumps(r, sort_keys=True) for _, r in _records(folder)) == sorted(
        json.dumps(r, sort_keys=True) for _, r in _records(tmp_path / "again")
    )


def test_daily_file_has_new_ids_after_the_corpus(corpus, corpus_slice, tmp_path):
    folder, manifest = corpus
    day = date.fromisoformat(manifest.last_date)
    target = generate.write_day(tmp_path / "day.jsonl.gz", day, 50, source=corpus_slice, first_seq=90_001)
    with gzip.open(target, "rt") as fh:
        day_records = [json.loads(line) for line in fh]
    assert len(day_records) == 50
    assert {r["update_date"] for r in day_records} == {day.isoformat()}
    assert not {r["id"] for r in day_records} & {r["id"] for _, r in _records(folder)}


def test_report_stages():
    assert stage({"step": "arxiv_snapshot_papers", "group": "arxiv", "kind": "asset"}) == "load"
    assert stage({"step": "paper_relevance", "group": "classify", "kind": "asset"}) == "classify"
    assert stage({"step": "x_check", "group": "marts", "kind": "check"}) == "checks"
