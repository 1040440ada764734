"""The full-text index beside the published warehouse: built, updated incrementally, rebuilt when unusable, and
never left unreadable by a failed update; the publish step keeps it up to date."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dashboards import queries
from pipelines import contract, search_index, search_lookup
from pipelines import warehouse as wh
from pipelines.lib import search_query
from pipelines.resources import WarehouseResource

ALL_TIME = {"start": dt.date(1990, 1, 1), "end": dt.date(2100, 1, 1)}
T0 = dt.datetime(2026, 3, 1, 6, 0)


def _insert(path: Path, rows: list[tuple], at: dt.datetime) -> None:
    """(arxiv_id, title, abstract, authors, categories, date) rows upserted into `papers`, ingested at `at`."""
    con = duckdb.connect(str(path))
    try:
        con.execute(contract.ddl(*contract.names("ingest")))
        for arxiv_id, title, abstract, authors, categories, date in rows:
            con.execute("DELETE FROM papers WHERE arxiv_id = ?", [arxiv_id])
            con.execute(
                """INSERT INTO papers (arxiv_id, title, abstract, primary_category, categories, authors,
                       published_date, source, ingested_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 'arxiv_snapshot', ?)""",
                [arxiv_id, title, abstract, categories[0], categories, authors, date, at],
            )
    finally:
        con.close()


PAPERS = [
    ("2401.00001", "Reward Hacking in RLHF", "Policies exploit reward models.", ["Ana Lopez"], ["cs.LG"],
     dt.date(2024, 1, 5)),
    ("2402.00002", "Sleeper Agents", "Deceptive agents persist through safety training.", ["Ben Carter"],
     ["cs.AI"], dt.date(2024, 2, 5)),
    ("2403.00003", "Biosafety of Reagents", "Handling reagents in the lab.", ["Chen Wei", "Ana Lopez"],
     ["q-bio.BM"], dt.date(2024, 3, 5)),
]  # fmt: skip


@pytest.fixture
def published(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    _insert(path, PAPERS, T0)
    return path


def _find(path: Path, text: str, **filters) -> list[str]:
    chosen = search_query.SearchFilters(**{**ALL_TIME, **filters})
    return search_lookup.search(path, search_query.parse(text), chosen, limit=100).arxiv_ids


def test_build_then_incremental_updates_index_only_new_and_changed_papers(published: Path) -> None:
    first = search_index.update_search_index(published, log=lambda _: None)
    assert (first.mode, first.n_indexed, first.n_docs) == ("rebuild", 3, 3)
    assert first.path.parent == published.with_name("warehouse.search") and first.size_bytes > 0
    assert sorted(_find(published, "agent")) == ["2402.00002", "2403.00003"]  # agents, reagents

    unchanged = search_index.update_search_index(published, log=lambda _: None)
    assert (unchanged.mode, unchanged.n_indexed, unchanged.n_docs) == ("incremental", 0, 3)

    later = T0 + dt.timedelta(days=1)
    _insert(published, [
        ("2404.00004", "Scalable Oversight", "Debate helps weak judges.", ["Dan Ho"], ["cs.AI"], dt.date(2024, 4, 5)),
        ("2402.00002", "Sleeper Models", "Deception persists through training.", ["Ben Carter"], ["cs.AI"],
         dt.date(2024, 2, 5)),
    ], later)  # fmt: skip
    update = search_index.update_search_index(published, log=lambda _: None)
    assert (update.mode, update.n_indexed, update.n_docs) == ("incremental", 2, 4)
    assert _find(published, "oversight") == ["2404.00004"]
    assert _find(published, "agent") == ["2403.00003"]  # the updated paper's old text is gone
    assert _find(published, "sleeper") == ["2402.00002"]  # one document per paper
    state = json.loads((update.path / search_index.STATE).read_text())
    assert state["watermark"].startswith(str(later.date()))


def test_an_update_with_nothing_new_commits_nothing_and_rewrites_no_token_list(published: Path) -> None:
    built = search_index.update_search_index(published, log=lambda _: None)
    files = [built.path / "meta.json", *(search_index.vocabulary_path(built.path, f) for f in ("text", "authors"))]
    before = [f.stat().st_mtime_ns for f in files]
    unchanged = search_index.update_search_index(published, log=lambda _: None)
    assert (unchanged.mode, unchanged.n_indexed, unchanged.path) == ("incremental", 0, built.path)
    assert [f.stat().st_mtime_ns for f in files] == before


def test_an_update_lists_the_new_papers_tokens_so_substrings_find_them(published: Path) -> None:
    built = search_index.update_search_index(published, log=lambda _: None)
    authors_list = search_index.vocabulary_path(built.path, search_query.AUTHORS_FIELD)
    authors_before = authors_list.stat().st_mtime_ns
    _insert(published, [
        ("2405.00005", "Interpretability of Transcoders", "Transcoders replace MLPs.", ["Ana Lopez"], ["cs.LG"],
         dt.date(2024, 5, 5)),
    ], T0 + dt.timedelta(days=1))  # fmt: skip
    update = search_index.update_search_index(published, log=lambda _: None)
    assert (update.mode, update.n_indexed, update.path) == ("incremental", 1, built.path)
    text = search_index.vocabulary_path(built.path, search_query.TEXT_FIELD).read_text()
    assert "\ntranscoders\n" in text and "\nmlps\n" in text and "\nreagents\n" in text
    lines = text.strip("\n").split("\n")
    assert lines == sorted(lines)
    assert authors_list.stat().st_mtime_ns == authors_before  # no new author token: the list is not rewritten
    assert _find(published, "ranscod") == ["2405.00005"]  # found through the listed tokens
    assert _find(published, '"f transcoder"') == ["2405.00005"]
    assert sorted(_find(published, "author:ope")) == ["2401.00001", "2403.00003", "2405.00005"]


@pytest.mark.parametrize(
    "text", ["agent", "re", "agent ceptive", "e a s", "author:o", "re models", '"reward models" olic', "agents lab"]
)
def test_words_required_apart_from_their_scores_rank_as_each_words_union(published: Path, text: str) -> None:
    """build_query requires each word's expansion and adds its whole-token scores beside: the same papers and
    scores as a conjunction of (whole token OR expansion) per word."""
    built = search_index.update_search_index(published, log=lambda _: None)
    index = search_index.open_index(built.path)
    searcher, sch = index.searcher(), index.schema
    vocabularies = {f: search_index.vocabulary_path(built.path, f).read_text() for f in ("text", "authors")}
    filters = search_query.SearchFilters(**ALL_TIME)
    parsed = search_query.parse(text)
    per_word = [search_lookup._term_query(sch, t, True, vocabularies[t.field]) for t in parsed.terms]
    reference = search_lookup._all_of(per_word + search_lookup._filter_clauses(sch, filters))

    def scored(query) -> list[tuple[float, str]]:
        return [(round(s, 5), searcher.doc(a)["arxiv_id"][0]) for s, a in searcher.search(query, limit=10).hits]

    expected = scored(reference)
    assert scored(search_lookup.build_query(sch, parsed, filters, True, vocabularies)) == expected
    assert expected or text == "agents lab"


def test_without_its_token_lists_the_index_still_finds_substrings(published: Path) -> None:
    built = search_index.update_search_index(published, log=lambda _: None)
    for field in (search_query.TEXT_FIELD, search_query.AUTHORS_FIELD):
        listed = search_index.vocabulary_path(built.path, field)
        assert "\nreagents\n" in listed.read_text() or field == search_query.AUTHORS_FIELD
        listed.unlink()
    assert sorted(_find(published, "agent")) == ["2402.00002", "2403.00003"]
    assert sorted(_find(published, "author:ope")) == ["2401.00001", "2403.00003"]


def test_filters_phrases_and_authors_in_the_index(published: Path) -> None:
    search_index.update_search_index(published, log=lambda _: None)
    assert _find(published, '"reward models"') == ["2401.00001"]
    assert _find(published, '"models reward"') == []
    assert _find(published, '"hacking policies"') == []  # title and abstract are separate values
    assert sorted(_find(published, "author:lopez")) == ["2401.00001", "2403.00003"]
    assert _find(published, 'author:"lopez chen"') == []  # not across two authors
    assert _find(published, "author:agents") == []
    assert _find(published, "lopez", start=dt.date(2024, 3, 1), end=dt.date(2024, 3, 31)) == ["2403.00003"]
    assert _find(published, "lopez", categories=("cs.LG",)) == ["2401.00001"]


@pytest.mark.parametrize(
    "damage",
    ["current_missing", "current_garbage", "state_garbage", "old_schema", "meta_garbage", "paper_deleted"],
)
def test_a_missing_unreadable_or_outdated_index_is_rebuilt(published: Path, damage: str) -> None:
    built = search_index.update_search_index(published, log=lambda _: None)
    root = built.path.parent
    if damage == "current_missing":
        (root / search_index.CURRENT).unlink()
    elif damage == "current_garbage":
        (root / search_index.CURRENT).write_text("no-such-generation")
    elif damage == "state_garbage":
        (built.path / search_index.STATE).write_text("{not json")
    elif damage == "old_schema":
        state = json.loads((built.path / search_index.STATE).read_text())
        (built.path / search_index.STATE).write_text(json.dumps({**state, "schema_version": 0}))
    elif damage == "meta_garbage":
        (built.path / "meta.json").write_text("garbage")
    else:
        con = duckdb.connect(str(published))
        con.execute("DELETE FROM papers WHERE arxiv_id = '2401.00001'")
        con.close()
    logs: list[str] = []
    again = search_index.update_search_index(published, log=logs.append)
    assert again.mode == "rebuild" and again.reason and any("rebuilding" in line for line in logs)
    assert again.path != built.path and not built.path.exists()
    expected = ["2403.00003"] if damage == "paper_deleted" else ["2401.00001", "2403.00003"]
    assert sorted(_find(published, "lopez")) == expected


def test_a_failed_update_leaves_the_previous_commit_readable(published: Path, monkeypatch) -> None:
    search_index.update_search_index(published, log=lambda _: None)
    _insert(published, [("2405.00005", "Unlearning", "Removing hazards.", ["Eve"], ["cs.LG"], dt.date(2024, 5, 1))],
            T0 + dt.timedelta(days=2))  # fmt: skip
    real = search_index.add_papers

    def fail_after_adding(writer, batches, replace, **kwargs):
        real(writer, batches, replace, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(search_index, "add_papers", fail_after_adding)
    with pytest.raises(RuntimeError, match="disk full"):
        search_index.update_search_index(published, log=lambda _: None)
    assert _find(published, "unlearning") == []
    assert sorted(_find(published, "lopez")) == ["2401.00001", "2403.00003"]
    monkeypatch.setattr(search_index, "add_papers", real)
    retry = search_index.update_search_index(published, log=lambda _: None)
    assert (retry.mode, retry.n_indexed) == ("incremental", 1)  # the watermark did not move
    assert _find(published, "unlearning") == ["2405.00005"]


def test_an_open_reader_does_not_block_updates_and_sees_them(published: Path) -> None:
    search_index.update_search_index(published, log=lambda _: None)
    assert _find(published, "oversight") == []  # the reader now holds the index open
    _insert(published, [("2404.00004", "Oversight", "Debate.", ["Dan Ho"], ["cs.AI"], dt.date(2024, 4, 5))],
            T0 + dt.timedelta(days=1))  # fmt: skip
    search_index.update_search_index(published, log=lambda _: None)
    assert _find(published, "oversight") == ["2404.00004"]


def test_a_missing_index_is_a_clear_dashboard_error(published: Path) -> None:
    with pytest.raises(search_lookup.SearchIndexMissing, match=r"warehouse\.search"):
        _find(published, "lopez")
    con = duckdb.connect(str(published))
    con.execute(contract.ddl("paper_classification"))
    con.close()
    with pytest.raises(queries.WarehouseError, match="built when the warehouse is published") as info:
        queries.search_papers(published, text="lopez", safety="any", **ALL_TIME)
    assert info.value.hint == queries.BUILD_COMMAND
    assert queries.search_papers(published, text="", safety="any", **ALL_TIME).height == 3  # no text: no index


def _label(path: Path, labels: dict[str, tuple[bool, bool, list[str], str]], at: dt.datetime) -> None:
    """Upsert paper_classification rows: arxiv_id -> (broad, narrow, topics, origin), classified at `at`."""
    con = duckdb.connect(str(path))
    try:
        con.execute(contract.ddl("paper_classification"))
        columns = con.execute(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = 'paper_classification'"
        ).fetchall()
        required = {"BOOLEAN": "false", "VARCHAR": "''", "VARCHAR[]": "[]", "TIMESTAMP": "now()::TIMESTAMP"}
        for arxiv_id, (broad, narrow, topics, origin) in labels.items():
            given = {"arxiv_id": "?", "is_safety_broad": "?", "is_safety_narrow": "?", "topics": "?::VARCHAR[]",
                     "origin": "?", "classified_at": "?", "primary_topic": "?"}  # fmt: skip
            select = ", ".join(
                given.get(name) or (f"NULL::{kind}" if nullable else required.get(kind, f"0::{kind}"))
                for name, kind, nullable in columns
            )
            values = {
                "arxiv_id": arxiv_id, "is_safety_broad": broad, "is_safety_narrow": narrow, "topics": topics,
                "origin": origin, "classified_at": at, "primary_topic": topics[0] if topics else None,
            }  # fmt: skip
            con.execute("DELETE FROM paper_classification WHERE arxiv_id = ?", [arxiv_id])
            con.execute(
                f"INSERT INTO paper_classification SELECT {select}", [values[n] for n, *_ in columns if n in given]
            )
    finally:
        con.close()


def _classify_all(path: Path, at: dt.datetime = T0) -> None:
    con = duckdb.connect(str(path), read_only=True)
    ids = [r[0] for r in con.execute("SELECT arxiv_id FROM papers").fetchall()]
    con.close()
    _label(path, {i: (True, False, [], "unknown") for i in ids}, at)


def test_labels_are_indexed_and_a_reclassification_updates_them(published: Path) -> None:
    search_index.update_search_index(published, log=lambda _: None)  # before classification: no labels
    assert _find(published, "lopez", safety="broad") == []
    _label(published, {
        "2401.00001": (True, True, ["alignment_training"], "academic"),
        "2402.00002": (True, False, ["deception"], "frontier_lab"),
        "2403.00003": (False, False, [], "unknown"),
    }, T0)  # fmt: skip
    labelled = search_index.update_search_index(published, log=lambda _: None)
    assert labelled.mode == "rebuild" and "labels" in labelled.reason
    assert sorted(_find(published, "", safety="broad")) == ["2401.00001", "2402.00002"]
    assert _find(published, "lopez", safety="narrow") == ["2401.00001"]
    assert _find(published, "", topics=("deception", "privacy")) == ["2402.00002"]
    assert _find(published, "", origins=("academic", "unknown")) == ["2403.00003", "2401.00001"]  # newest first
    row = search_lookup.search(published, search_query.parse("hacking"), search_query.SearchFilters(**ALL_TIME),
                              limit=5).rows[0]  # fmt: skip
    assert row["safety"] == "narrow" and row["topics"] == "alignment_training" and row["origin"] == "academic"
    assert row["authors"] == "Ana Lopez" and row["published_date"] == "2024-01-05"

    _label(published, {"2403.00003": (True, False, ["governance"], "government")}, T0 + dt.timedelta(hours=1))
    update = search_index.update_search_index(published, log=lambda _: None)
    assert (update.mode, update.n_indexed) == ("incremental", 1)
    assert sorted(_find(published, "lopez", safety="broad")) == ["2401.00001", "2403.00003"]
    assert _find(published, "", origins=("government",)) == ["2403.00003"]


def test_publishing_updates_the_index_beside_the_published_file(warehouse: WarehouseResource) -> None:
    from pipelines.defs.publish.assets import published_warehouse

    work, published = Path(warehouse.work_path), Path(warehouse.published_path)
    work.parent.mkdir(parents=True, exist_ok=True)
    _insert(work, PAPERS, T0)
    con = wh.connect(work)
    wh.ensure_schema(con)
    con.close()
    _classify_all(work)
    assert dg.materialize([published_warehouse], resources={"warehouse": warehouse}).success
    assert sorted(_find(published, "agent")) == ["2402.00002", "2403.00003"]

    _insert(work, [("2404.00004", "Oversight", "Debate.", ["Dan Ho"], ["cs.AI"], dt.date(2024, 4, 5))],
            T0 + dt.timedelta(days=1))  # fmt: skip
    _classify_all(work)
    result = dg.materialize([published_warehouse], resources={"warehouse": warehouse})
    assert result.success
    assert _find(published, "oversight") == ["2404.00004"]
    hits = queries.search_papers(published, text="oversight", safety="broad", **ALL_TIME)
    assert hits["arxiv_id"].to_list() == ["2404.00004"]
    assert not list(search_index.index_root(work).parent.glob("*.search"))  # nothing beside the working file


def test_an_index_copied_with_its_warehouse_still_opens(published: Path, tmp_path: Path) -> None:
    search_index.update_search_index(published, log=lambda _: None)
    copy = tmp_path / "elsewhere" / "warehouse.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(published, copy)
    shutil.copytree(search_index.index_root(published), search_index.index_root(copy))
    assert sorted(_find(copy, "lopez")) == ["2401.00001", "2403.00003"]
