"""The full-text index of the published papers (tantivy), beside the published warehouse: data/warehouse.search/.

Layout: `CURRENT` names the live generation, a folder holding a tantivy index and `state.json` (index-schema
version, watermark, document count). Readers open the generation CURRENT names and never lock anything.

Updates run after each publish, from the published file (read-only). The papers inserted or updated since the
watermark (the largest `ingested_at` indexed; a run stamps its rows later than any earlier run's) replace their old
documents in one tantivy commit: a failed update leaves the previous commit in place. A missing or unreadable index,
one built by another index-schema version, or one whose document count differs from the papers' is rebuilt in a new
generation, which CURRENT then names (an atomic rename); the old generation is removed, and readers that still hold
its files keep reading them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import tantivy

from pipelines.lib import search_query, search_rows
from pipelines.lib.search_query import AUTHORS_FIELD, TEXT_FIELD
from pipelines.warehouse import connect, table_exists

# Raise when the schema or the tokenizer changes: an index of another version is rebuilt, not updated.
SCHEMA_VERSION = 3
ANALYZER = "words"
CURRENT = "CURRENT"
STATE = "state.json"
_BATCH_ROWS = 20_000
# tantivy's indexing memory, shared by its threads (each flushes a segment when its share is full); with DuckDB's
# memory for the scan this bounds the build's peak RSS.
_WRITER_HEAP = 512_000_000
_WRITER_THREADS = 2
_DUCKDB_MEMORY = "1GB"  # a streamed scan and join of the papers and their labels
EPOCH = dt.date(1970, 1, 1)
_LABEL_COLUMNS = {
    "is_safety_broad": "BOOLEAN", "is_safety_narrow": "BOOLEAN", "topics": "VARCHAR[]", "primary_topic": "VARCHAR",
    "origin": "VARCHAR", "organizations": "VARCHAR[]", "safety_evidence": "VARCHAR", "origin_evidence": "VARCHAR",
}  # fmt: skip


class SearchIndexError(RuntimeError):
    """The search index cannot answer; running the refresh (which publishes and indexes) fixes it."""


class SearchIndexMissing(SearchIndexError):
    def __init__(self, root: Path, reason: str) -> None:
        super().__init__(f"No usable search index at {root} ({reason}). It is built when the warehouse is published.")
        self.root = root


def index_root(warehouse: Path) -> Path:
    """The index folder of a published warehouse: data/warehouse.duckdb -> data/warehouse.search."""
    return warehouse.with_name(warehouse.stem + ".search")


@dataclass(frozen=True)
class IndexState:
    schema_version: int
    watermark: str | None  # ISO timestamp: the largest ingested_at indexed
    n_docs: int
    label_watermark: str | None = None  # the largest classified_at indexed; None: no labels yet


@dataclass(frozen=True)
class UpdateReport:
    mode: str  # 'rebuild' | 'incremental'
    reason: str
    n_indexed: int
    n_docs: int
    seconds: float
    path: Path
    size_bytes: int


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("arxiv_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(TEXT_FIELD, tokenizer_name=ANALYZER, index_option="position")
    builder.add_text_field(AUTHORS_FIELD, tokenizer_name=ANALYZER, index_option="position")
    builder.add_text_field("categories", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", indexed=True, fast=True)
    builder.add_boolean_field("broad", indexed=True)
    builder.add_boolean_field("narrow", indexed=True)
    builder.add_text_field("topics", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("origin", tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field("row", stored=True)
    return builder.build()


def analyzer() -> tantivy.TextAnalyzer:
    """Lower-cased runs of letters and digits, however long (search_query.tokenize is its Python twin)."""
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase()).build()


def open_index(path: Path, create: bool = False) -> tantivy.Index:
    index = tantivy.Index(schema(), path=str(path), reuse=not create) if create else tantivy.Index.open(str(path))
    index.register_tokenizer(ANALYZER, analyzer())
    return index


def read_state(root: Path) -> tuple[Path, IndexState]:
    """The live generation and its state; SearchIndexMissing says why there is none usable."""
    try:
        generation = root / (root / CURRENT).read_text().strip()
        raw = json.loads((generation / STATE).read_text())
        state = IndexState(int(raw["schema_version"]), raw["watermark"], int(raw["n_docs"]), raw["label_watermark"])
    except FileNotFoundError as exc:
        raise SearchIndexMissing(root, f"missing {Path(exc.filename).name}") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SearchIndexMissing(root, f"unreadable state: {exc}") from exc
    if state.schema_version != SCHEMA_VERSION:
        raise SearchIndexMissing(root, f"index-schema version {state.schema_version}, not {SCHEMA_VERSION}")
    return generation, state


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_state(generation: Path, state: IndexState) -> None:
    _write_atomically(generation / STATE, json.dumps(state.__dict__))


# Each paper's tantivy document as JSON (IndexWriter.add_json), written by DuckDB for a whole batch: the
# per-document Python loop only hands the text to tantivy. Title, abstract and each author are separate values of
# the text field, so phrases stay within one; `row` (bytes: base64) is the stored display row; an absent day or
# origin is an empty list (tantivy rejects null).
_DOCUMENT_JSON = f"""
    to_json(struct_pack(
        arxiv_id := p.arxiv_id,
        {TEXT_FIELD} := list_concat([coalesce(p.title, ''), coalesce(p.abstract, '')], p.author_values),
        {AUTHORS_FIELD} := p.author_values,
        categories := coalesce(list_filter(p.categories, lambda v: v <> ''), []),
        topics := coalesce(list_filter(c.topics, lambda v: v <> ''), []),
        day := CASE WHEN p.published_date IS NULL THEN [] ELSE [p.published_date - DATE '1970-01-01'] END,
        broad := coalesce(c.is_safety_broad, false),
        narrow := coalesce(c.is_safety_narrow, false),
        origin := CASE WHEN coalesce(c.origin, '') = '' THEN [] ELSE [c.origin] END,
        "row" := to_base64(encode({search_rows.display_row_json_sql("p", "c", "c.arxiv_id IS NOT NULL")}))
    ))::VARCHAR
"""
# The text whose tokens the searched fields index (line breaks separate tokens as any punctuation does).
_TOKEN_TEXT = """
    array_to_string(list_concat([coalesce(p.title, ''), coalesce(p.abstract, '')], p.author_values), chr(10)),
    array_to_string(p.author_values, chr(10))
"""


def _from(con: duckdb.DuckDBPyConnection) -> str:
    """Each paper (with `author_values`: its non-empty author names) and its labels (NULL labels while the
    warehouse has no paper_classification)."""
    papers = "(SELECT *, coalesce(list_filter(authors, lambda v: v <> ''), []) AS author_values FROM papers) p"
    if not table_exists(con, "paper_classification"):
        nulls = ", ".join(f"NULL::{kind} AS {c}" for c, kind in _LABEL_COLUMNS.items())
        return f"{papers} LEFT JOIN (SELECT NULL::VARCHAR AS arxiv_id, {nulls} WHERE false) c ON false"
    return f"{papers} LEFT JOIN paper_classification c ON c.arxiv_id = p.arxiv_id"


def _changed(con: duckdb.DuckDBPyConnection, since: IndexState) -> tuple[str, list]:
    """The condition (and its parameters) of the papers ingested or classified after the watermarks of `since`."""
    where, params = "p.ingested_at > ?::TIMESTAMP", [since.watermark]
    if table_exists(con, "paper_classification") and since.label_watermark:
        where, params = where + " OR c.classified_at > ?::TIMESTAMP", [*params, since.label_watermark]
    return where, params


def _batches(con: duckdb.DuckDBPyConnection, since: IndexState | None = None) -> Iterator[list[tuple]]:
    """Every paper with its labels, or those ingested or classified after the watermarks of `since`: rows of
    (arxiv_id, document JSON, text tokens' text, author tokens' text); the last two only for an update (`since`)."""
    where, params = _changed(con, since) if since is not None else ("true", [])
    tokens = _TOKEN_TEXT if since is not None else "NULL, NULL"
    result = con.execute(f"SELECT p.arxiv_id, {_DOCUMENT_JSON}, {tokens} FROM {_from(con)} WHERE {where}", params)
    while rows := result.fetchmany(_BATCH_ROWS):
        yield rows


def add_papers(
    writer: tantivy.IndexWriter,
    batches: Iterable[list[tuple]],
    replace: bool,
    tokens: dict[str, set[str]] | None = None,
) -> int:
    """Add papers (rows of `_batches`) to an open writer; `replace` deletes each paper's old document first.
    `tokens` (field -> set) gathers the indexed tokens of the searched text fields, as tantivy's analyzer makes
    them."""
    n = 0
    words = analyzer()
    for rows in batches:
        for arxiv_id, document, text, authors in rows:
            if replace:
                writer.delete_documents_by_term("arxiv_id", arxiv_id)
            writer.add_json(document)
            if tokens is not None:
                tokens.setdefault(TEXT_FIELD, set()).update(words.analyze(text))
                tokens.setdefault(AUTHORS_FIELD, set()).update(words.analyze(authors))
        n += len(rows)
    return n


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build_generation(root: Path, batches: Iterable[list[dict]], state: IndexState) -> Path:
    """A new generation folder holding every paper of `batches`; not live until `make_current`."""
    generation = root / f"index-{uuid.uuid4().hex[:12]}"
    generation.mkdir(parents=True)
    try:
        index = open_index(generation, create=True)
        writer = index.writer(_WRITER_HEAP, _WRITER_THREADS)
        n = add_papers(writer, batches, replace=False)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        write_vocabularies(generation, index.searcher())
        _write_state(generation, IndexState(SCHEMA_VERSION, state.watermark, n, state.label_watermark))
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    return generation


def vocabulary_path(generation: Path, field: str) -> Path:
    return generation / f"vocabulary-{field}.txt"


def write_vocabularies(generation: Path, searcher: tantivy.Searcher) -> None:
    """Every indexed token of the searched text fields, one a line (sorted), for looking up the tokens that contain
    a word: scanning this list takes milliseconds, tantivy's regex over its term dictionary ~300 ms at 2.7M papers.
    Tokens of deleted documents may stay listed: they match no paper."""
    for field in (TEXT_FIELD, AUTHORS_FIELD):
        tokens = sorted(term for term, _ in searcher.terms_with_prefix(field, ""))
        _write_atomically(vocabulary_path(generation, field), "\n" + "\n".join(tokens) + "\n")


def make_current(root: Path, generation: Path) -> None:
    """Point CURRENT at `generation` (atomic) and remove the other generations."""
    _write_atomically(root / CURRENT, generation.name + "\n")
    for other in root.glob("index-*"):
        if other != generation:
            shutil.rmtree(other, ignore_errors=True)


def _add_to_vocabularies(generation: Path, tokens: dict[str, set[str]], searcher: tantivy.Searcher) -> None:
    """Add the tokens not listed yet to each field's token list; a list that gains nothing is not rewritten.
    A generation without token lists gets them whole (write_vocabularies)."""
    for field, new in tokens.items():
        path = vocabulary_path(generation, field)
        try:
            listed = path.read_text()
        except FileNotFoundError:
            write_vocabularies(generation, searcher)
            return
        merged = search_query.add_to_vocabulary(listed, new)
        if merged is not None:
            _write_atomically(path, merged)


def _incremental(con: duckdb.DuckDBPyConnection, generation: Path, old: IndexState, new: IndexState) -> int:
    """Replace the documents of papers ingested or classified since the recorded watermarks; one commit, or none on
    failure (the watermarks then stay where they were). Nothing changed: no commit, no token list rewritten."""
    where, params = _changed(con, old)
    (n_changed,) = con.execute(f"SELECT count(*) FROM {_from(con)} WHERE {where}", params).fetchall()[0]
    if n_changed == 0:
        if (old.watermark, old.label_watermark) != (new.watermark, new.label_watermark):
            _write_state(generation, IndexState(SCHEMA_VERSION, new.watermark, old.n_docs, new.label_watermark))
        return 0
    index = open_index(generation)
    writer = index.writer(_WRITER_HEAP, _WRITER_THREADS)
    try:
        tokens: dict[str, set[str]] = {}
        n = add_papers(writer, _batches(con, old), replace=True, tokens=tokens)
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise
    index.reload()
    searcher = index.searcher()
    # A search in between misses only the committed papers' new tokens.
    _add_to_vocabularies(generation, tokens, searcher)
    _write_state(generation, IndexState(SCHEMA_VERSION, new.watermark, searcher.num_docs, new.label_watermark))
    return n


def _warehouse_state(con: duckdb.DuckDBPyConnection) -> tuple[int, IndexState]:
    """The number of papers, and the watermarks an index of them all would record."""
    n_papers, latest = con.execute("SELECT count(*), max(ingested_at)::VARCHAR FROM papers").fetchall()[0]
    labelled = None
    if table_exists(con, "paper_classification"):
        labelled = con.execute("SELECT max(classified_at)::VARCHAR FROM paper_classification").fetchall()[0][0]
    return n_papers, IndexState(SCHEMA_VERSION, latest, n_papers, labelled)


def _rebuild_reason(root: Path, n_papers: int, new: IndexState) -> tuple[str, Path | None, IndexState | None]:
    try:
        generation, state = read_state(root)
        open_index(generation).searcher()
    except (SearchIndexMissing, ValueError, OSError) as exc:
        return str(exc), None, None
    if state.n_docs > n_papers:
        return f"the index holds {state.n_docs:,} documents for {n_papers:,} papers", None, None
    if not state.label_watermark and new.label_watermark:
        return "the papers have labels now", None, None
    if not state.watermark:
        return "the index was built from no papers", None, None
    return "", generation, state


def update_search_index(warehouse: Path, log: Callable[[str], None] = print) -> UpdateReport:
    """Bring the index beside the published `warehouse` up to date with its papers (see the module's docstring)."""
    started = time.perf_counter()
    root = index_root(warehouse)
    con = connect(warehouse, read_only=True, memory_limit=_DUCKDB_MEMORY)
    try:
        n_papers, new = _warehouse_state(con)
        reason, generation, old = _rebuild_reason(root, n_papers, new)
        n_indexed = 0
        if generation is not None and old is not None:
            n_indexed = _incremental(con, generation, old, new)
            n_docs = read_state(root)[1].n_docs
            if n_docs != n_papers:
                reason = f"the index holds {n_docs:,} documents for {n_papers:,} papers"
        if reason:
            log(f"search index: rebuilding ({reason})")
            generation = build_generation(root, _batches(con), new)
            make_current(root, generation)
            n_indexed = n_papers
    finally:
        con.close()
    n_docs = read_state(root)[1].n_docs
    mode = "rebuild" if reason else "incremental"
    report = UpdateReport(mode, reason, n_indexed, n_docs, time.perf_counter() - started, generation, _size(generation))
    log(f"search index: {mode}, {n_indexed:,} papers indexed, {n_docs:,} documents, {report.seconds:.1f} s")
    return report
