"""The arXiv API source without the network: search strings, date windows, Atom results -> warehouse frames.

arXiv's search syntax: https://info.arxiv.org/help/api/user-manual.html. Dates in `submittedDate:[A TO B]`
have minute resolution and both ends are inclusive, so a window here is a closed range of whole minutes.
"""

from __future__ import annotations

import calendar
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from pipelines.lib.names import normalize_name_expr

if TYPE_CHECKING:  # results are only read; importing arxiv (and requests) is left to the client
    import arxiv

RESULT_CAP = 30_000  # arXiv returns at most this many results for one query, whatever the paging
MAX_PAGE_SIZE = 2_000  # arXiv's largest page
ALL_AI = "ALL_AI"
SOURCE = "arxiv_api"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"

# An arXiv id without version: new style 2401.01234, old style hep-th/9901001 or math.AG/0601001.
ID_PATTERN = r"^(\d{4}\.\d{4,5}|[a-z][a-z\-]*(\.[A-Z]{2})?/\d{7})$"
_ENTRY_ID = r"arxiv\.org/abs/(.+?)(?:v(\d+))?$"
_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class QuerySpec:
    name: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class QueryConfig:
    search_categories: tuple[str, ...]
    ai_categories: tuple[str, ...]
    queries: tuple[QuerySpec, ...]


def parse_query_config(raw: dict) -> QueryConfig:
    """The parsed seeds/arxiv_queries.yaml (read by pipelines.inputs), validated: a bad seed fails here with its
    key named."""
    for key in ("search_categories", "ai_categories", "queries"):
        if not raw.get(key):
            raise ValueError(f"arxiv queries seed: missing or empty key {key!r}")
    queries = []
    for i, q in enumerate(raw["queries"]):
        if not q.get("name") or not q.get("terms"):
            raise ValueError(f"arxiv queries seed: queries[{i}] needs a name and terms")
        queries.append(QuerySpec(name=str(q["name"]), terms=tuple(str(t) for t in q["terms"])))
    names = [q.name for q in queries]
    if len(set(names)) != len(names):
        raise ValueError(f"arxiv queries seed: duplicate query names in {names}")
    return QueryConfig(
        search_categories=tuple(raw["search_categories"]),
        ai_categories=tuple(raw["ai_categories"]),
        queries=tuple(queries),
    )


# ---------------------------------------------------------------- search strings and windows


@dataclass(frozen=True)
class Window:
    """A closed range of submission minutes [start, end]."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> int:
        return int((self.end - self.start) / _MINUTE) + 1

    def clause(self) -> str:
        return f"submittedDate:[{self.start:%Y%m%d%H%M} TO {self.end:%Y%m%d%H%M}]"

    def bisect(self) -> tuple[Window, Window]:
        if self.minutes < 2:
            raise ValueError(f"cannot split the one-minute window {self.clause()}")
        mid = self.start + (self.minutes // 2 - 1) * _MINUTE
        return Window(self.start, mid), Window(mid + _MINUTE, self.end)


def day_window(day: date) -> Window:
    start = datetime(day.year, day.month, day.day)
    return Window(start, start + timedelta(days=1) - _MINUTE)


def month_window(month: date) -> Window:
    last = calendar.monthrange(month.year, month.month)[1]
    return Window(datetime(month.year, month.month, 1), datetime(month.year, month.month, last, 23, 59))


def _phrase(term: str) -> str:
    inner = term.strip().strip('"').strip()
    if not inner or '"' in inner:
        raise ValueError(f"bad search term {term!r}")
    return f'"{inner}"'


def terms_clause(terms: Sequence[str]) -> str:
    """Title or abstract contains any of the phrases."""
    return "(" + " OR ".join(f"{field}:{_phrase(t)}" for t in terms for field in ("ti", "abs")) + ")"


def categories_clause(categories: Sequence[str]) -> str:
    return "(" + " OR ".join(f"cat:{c}" for c in categories) + ")"


def search_query(terms: Sequence[str], categories: Sequence[str], window: Window) -> str:
    return f"{terms_clause(terms)} AND {categories_clause(categories)} AND {window.clause()}"


def split_windows(
    window: Window, query_for: Callable[[Window], str], count: Callable[[str], int], cap: int = RESULT_CAP
) -> list[tuple[Window, int]]:
    """Windows covering `window` whose queries each have at most `cap` results (bisecting those over it).

    Returns (window, total results) for the windows with results, in time order. `count` asks arXiv for a
    query's total (a request with zero results); each split costs two more such requests.
    """
    n = count(query_for(window))
    if n == 0:
        return []
    if n <= cap:
        return [(window, n)]
    if window.minutes < 2:
        raise ValueError(f"{n} results in one minute exceed arXiv's cap of {cap}: {query_for(window)}")
    first, second = window.bisect()
    return split_windows(first, query_for, count, cap) + split_windows(second, query_for, count, cap)


def category_count_queries(ai_categories: Sequence[str], month: date) -> pl.DataFrame:
    """(category, query): a total-results query per AI category for the month, and ALL_AI for their union."""
    window = month_window(month).clause()
    cats = list(dict.fromkeys(ai_categories))
    return pl.DataFrame(
        {
            "category": [*cats, ALL_AI],
            "query": [f"cat:{c} AND {window}" for c in cats] + [f"{categories_clause(cats)} AND {window}"],
        }
    )


def category_counts_frame(
    queries: pl.DataFrame, totals: Sequence[int], month: date, counted_at: datetime
) -> pl.DataFrame:
    """category_month_counts rows from the queries of category_count_queries and their totals."""
    return queries.select(
        "category",
        pl.lit(month.replace(day=1)).alias("month"),
        pl.Series("n_papers", list(totals), dtype=pl.Int64),
        pl.lit(None, dtype=pl.Int64).alias("n_primary"),
        pl.lit(SOURCE).alias("source"),
        pl.lit(counted_at, dtype=pl.Datetime("us")).alias("counted_at"),
    )


def parse_total_results(content: bytes) -> int:
    """opensearch:totalResults of an Atom page; ValueError naming the problem if it is not a valid feed."""
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        snippet = content[:120].decode("utf-8", "replace")
        raise ValueError(f"malformed XML ({exc}); response starts {snippet!r}") from None
    total = root.find(f"{{{OPENSEARCH_NS}}}totalResults")
    if total is None or not (total.text or "").strip().isdigit():
        raise ValueError(f"not an arXiv Atom feed: no opensearch:totalResults in <{root.tag}>")
    return int(total.text.strip())


# ---------------------------------------------------------------- results -> frames

_RAW_SCHEMA = {
    "entry_id": pl.String,
    "title": pl.String,
    "summary": pl.String,
    "primary_category": pl.String,
    "categories": pl.List(pl.String),
    "author_list": pl.List(pl.Struct({"name": pl.String, "affiliation": pl.List(pl.String)})),
    "comment": pl.String,
    "journal_ref": pl.String,
    "doi": pl.String,
    "published": pl.Datetime("us", "UTC"),
    "updated": pl.Datetime("us", "UTC"),
}


def results_frame(results: Sequence[arxiv.Result], query_name: str, query: str) -> pl.DataFrame:
    """The fields of arxiv.Result objects as columns, untransformed (the one place touching the objects)."""
    columns = {
        "entry_id": [r.entry_id for r in results],
        "title": [r.title for r in results],
        "summary": [r.summary for r in results],
        "primary_category": [r.primary_category for r in results],
        "categories": [r.categories for r in results],
        "author_list": [[{"name": a.name, "affiliation": a.affiliation} for a in r.authors] for r in results],
        "comment": [r.comment for r in results],
        "journal_ref": [r.journal_ref for r in results],
        "doi": [r.doi for r in results],
        "published": [r.published for r in results],
        "updated": [r.updated for r in results],
    }
    return pl.DataFrame(columns, schema=_RAW_SCHEMA).with_columns(
        pl.lit(query_name).alias("query_name"), pl.lit(query).alias("query")
    )


def _clean(col: pl.Expr) -> pl.Expr:
    """Whitespace collapsed and trimmed; empty -> null."""
    text = col.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _with_ids(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_columns(
        pl.col("entry_id").str.extract(_ENTRY_ID, 1).alias("arxiv_id"),
        pl.col("entry_id").str.extract(_ENTRY_ID, 2).cast(pl.Int32).alias("latest_version"),
        _clean(pl.col("title")).alias("title"),
    )


def _reject_reason() -> pl.Expr:
    return (
        pl.when(pl.col("arxiv_id").is_null() | ~pl.col("arxiv_id").str.contains(ID_PATTERN))
        .then(pl.lit("unrecognised arXiv id"))
        .when(pl.col("title").is_null())
        .then(pl.lit("missing title"))
        .when(pl.col("published").is_null())
        .then(pl.lit("missing published date"))
    )


def convert_results(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """A results_frame -> (papers, paper_authors, rejects); rejects has columns location, reason, raw."""
    staged = _with_ids(raw).with_columns(_reject_reason().alias("reason"))
    rejects = staged.filter(pl.col("reason").is_not_null()).select(
        pl.col("query").alias("location"),
        "reason",
        pl.struct("entry_id", "title", "primary_category", "published").struct.json_encode().alias("raw"),
    )
    good = staged.filter(pl.col("reason").is_null())
    primary = _clean(pl.col("primary_category"))
    papers = good.select(
        "arxiv_id",
        "title",
        _clean(pl.col("summary")).alias("abstract"),
        primary.alias("primary_category"),
        pl.concat_list(primary, pl.col("categories"))
        .list.drop_nulls()
        .list.unique(maintain_order=True)
        .alias("categories"),
        pl.col("author_list").list.eval(pl.element().struct.field("name")).alias("authors"),
        _clean(pl.col("comment")).alias("comments"),
        _clean(pl.col("journal_ref")).alias("journal_ref"),
        _clean(pl.col("doi")).alias("doi"),
        pl.col("published").dt.date().alias("published_date"),
        pl.lit("api_published").alias("date_source"),
        pl.col("updated").dt.date().alias("updated_date"),
        "latest_version",
        pl.lit(SOURCE).alias("source"),
        pl.col("query_name").alias("source_detail"),
    )
    authors = (
        good.select("arxiv_id", "author_list")
        .with_row_index("_result")
        .explode("author_list")
        .filter(pl.col("author_list").is_not_null())
        .unnest("author_list")
        .filter(pl.col("name").str.strip_chars() != "")
        .select(
            "arxiv_id",
            (pl.int_range(pl.len()).over("_result") + 1).cast(pl.Int32).alias("position"),
            pl.col("name").str.strip_chars().alias("name"),
            normalize_name_expr(pl.col("name")).alias("name_normalized"),
            _clean(pl.col("affiliation").list.join("; ")).alias("affiliation"),
        )
    )
    return papers, authors, rejects


def dedupe(papers: pl.DataFrame, authors: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One row per paper (the first query that found it) and its authors once."""
    papers = papers.unique("arxiv_id", keep="first", maintain_order=True)
    authors = authors.unique(["arxiv_id", "position"], keep="first", maintain_order=True)
    return papers, authors
