"""Every SQL query the dashboard runs, each a function returning a Polars frame.

Rules: read-only, short-lived connections to the PUBLISHED warehouse (one per call, closed at once, so no lock is
ever held while a pipeline publishes); user input only ever travels as a bound parameter; results are aggregated
in SQL against the marts and LIMITed, so no page loads `papers` wholesale. Caching lives in `dashboards.data`.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

from pipelines import contract, search_lookup
from pipelines.lib import search_query, search_rows

BUILD_COMMAND = "make refresh"

DEFINITIONS = ("narrow", "broad")
SAFETY_FILTERS = ("broad", "narrow", "any")
_SAFETY_COLUMN = {"broad": "c.is_safety_broad", "narrow": "c.is_safety_narrow"}

CONTRACT_TABLES = contract.names()
# Tables a pipeline step after ingestion writes: each may be missing while that step has not run.
DERIVED_TABLES = tuple(t for t in CONTRACT_TABLES if t not in contract.names("ingest"))

MAX_ROWS = 5000


class WarehouseError(RuntimeError):
    """The warehouse cannot answer; `hint` says what to run so that it can."""

    def __init__(self, message: str, hint: str = BUILD_COMMAND) -> None:
        super().__init__(message)
        self.hint = hint


class WarehouseMissing(WarehouseError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"No warehouse at {path}. Build it first; the dashboard only reads it.")
        self.path = path


class TableMissing(WarehouseError):
    def __init__(self, tables: Sequence[str], path: Path) -> None:
        names = ", ".join(tables) or "a table this view needs"
        super().__init__(f"The warehouse at {path} has no {names} yet (that pipeline step has not run).")
        self.tables = tuple(tables)


class WarehouseUnreadable(WarehouseError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"Could not open the warehouse at {path} read-only: {reason}")


# Only the warehouse's own tables: no file access from SQL, and a missing table never resolves to a Python object
# of the same name (DuckDB's replacement scans would otherwise look up e.g. the function `claims` below).
_READ_CONFIG = {"enable_external_access": False, "python_enable_replacements": False}


_SHARED: contextvars.ContextVar[dict[str, duckdb.DuckDBPyConnection] | None] = contextvars.ContextVar(
    "shared_connections", default=None
)


@contextmanager
def shared_connection() -> Iterator[None]:
    """Inside this block (one page render) queries share one lazily opened connection per file, closed at its end.

    Opening a DuckDB file costs ~15 ms, more than most mart queries; a render runs a dozen of them. The connection
    still lives no longer than the render, and the render sees one version of the warehouse throughout.
    """
    token = _SHARED.set({})
    try:
        yield
    finally:
        for con in (_SHARED.get() or {}).values():
            con.close()
        _SHARED.reset(token)


@contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on exit (or at the end of the enclosing `shared_connection`)."""
    if not path.is_file():
        raise WarehouseMissing(path)
    shared = _SHARED.get()
    if shared is not None and str(path) in shared:
        yield shared[str(path)]
        return
    try:
        con = duckdb.connect(str(path), read_only=True, config=_READ_CONFIG)
    except duckdb.Error as exc:
        raise WarehouseUnreadable(path, str(exc).splitlines()[0]) from exc
    if shared is not None:
        shared[str(path)] = con
        yield con
        return
    try:
        yield con
    finally:
        con.close()


def _frame(path: Path, sql: str, params: Sequence[object] = (), tables: Sequence[str] = ()) -> pl.DataFrame:
    with connect(path) as con:
        try:
            return con.sql(sql, params=list(params)).pl() if params else con.sql(sql).pl()
        except duckdb.CatalogException as exc:
            existing = set(_table_names(con))
            missing = [t for t in tables if t not in existing]
            raise TableMissing(missing, path) from exc


def _table_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def _check(value: str, allowed: Sequence[str], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, not {value!r}")
    return value


# ---------------------------------------------------------------- freshness and pipeline status


def table_names(path: Path) -> list[str]:
    with connect(path) as con:
        return _table_names(con)


def table_counts(path: Path) -> pl.DataFrame:
    """Exact row counts of every table in the warehouse, contract tables first, with the missing ones flagged."""
    with connect(path) as con:
        present = _table_names(con)
        parts = [
            f"SELECT '{_literal(t)}' AS table_name, count(*)::BIGINT AS n_rows FROM \"{_ident(t)}\"" for t in present
        ]
        counts = con.sql(" UNION ALL ".join(parts)).pl() if parts else pl.DataFrame()
    order = list(CONTRACT_TABLES) + sorted(set(present) - set(CONTRACT_TABLES))
    frame = pl.DataFrame({"table_name": order, "order": range(len(order))})
    if counts.is_empty():
        counts = pl.DataFrame(schema={"table_name": pl.String, "n_rows": pl.Int64})
    return (
        frame.join(counts, on="table_name", how="left")
        .with_columns(
            in_contract=pl.col("table_name").is_in(list(CONTRACT_TABLES)),
            present=pl.col("n_rows").is_not_null(),
        )
        .sort("order")
        .drop("order")
    )


def _ident(name: str) -> str:
    return name.replace('"', '""')


def _literal(name: str) -> str:
    return name.replace("'", "''")


def freshness(path: Path) -> pl.DataFrame:
    """One row: latest paper date, last ingest, last successful run, last classification and claims run."""
    sql = """
        SELECT
            (SELECT max(published_date) FROM papers) AS latest_published,
            (SELECT min(published_date) FROM papers) AS earliest_published,
            (SELECT max(ingested_at) FROM papers) AS last_ingested,
            (SELECT max(finished_at) FROM ingest_runs WHERE outcome = 'success') AS last_success,
            (SELECT max(started_at) FROM ingest_runs) AS last_run_started,
            (SELECT count(*) FROM ingest_runs WHERE outcome <> 'success') AS n_failed_runs
    """
    return _frame(path, sql, tables=("papers", "ingest_runs"))


def paper_sources(path: Path) -> pl.DataFrame:
    sql = """
        SELECT source, count(*) AS n_papers, min(published_date) AS first_date, max(published_date) AS last_date,
               max(ingested_at) AS last_ingested
        FROM papers GROUP BY source ORDER BY n_papers DESC
    """
    return _frame(path, sql, tables=("papers",))


def denominator_sources(path: Path) -> pl.DataFrame:
    sql = """
        SELECT source, count(DISTINCT category) FILTER (WHERE category <> 'ALL_AI') AS n_categories,
               min(month) AS first_month, max(month) AS last_month, max(counted_at) AS counted_at,
               sum(n_papers) FILTER (WHERE category = 'ALL_AI')::BIGINT AS n_ai_papers
        FROM category_month_counts GROUP BY source ORDER BY source
    """
    return _frame(path, sql, tables=("category_month_counts",))


def last_runs(path: Path, limit: int = 50) -> pl.DataFrame:
    sql = """
        SELECT started_at, finished_at, asset, outcome, source, partition_key, duration_s, n_read, n_inserted,
               n_updated, n_unchanged, n_rejected, message, source_detail, run_id
        FROM ingest_runs ORDER BY started_at DESC LIMIT ?
    """
    return _frame(path, sql, [int(limit)], tables=("ingest_runs",))


def rejected_reasons(path: Path) -> pl.DataFrame:
    sql = """
        SELECT reason, source, count(*) AS n_records, max(rejected_at) AS last_seen
        FROM rejected_records GROUP BY reason, source ORDER BY n_records DESC LIMIT 100
    """
    return _frame(path, sql, tables=("rejected_records",))


def classifier_accuracy(path: Path) -> pl.DataFrame:
    """The stored labels against the judged corpus sample: narrow first, then broad; test, dev, all."""
    sql = """
        SELECT definition, split, papers, judged_share, flagged_share, precision, recall
        FROM classifier_accuracy
        ORDER BY definition DESC, CASE split WHEN 'test' THEN 0 WHEN 'dev' THEN 1 ELSE 2 END
    """
    return _frame(path, sql, tables=("classifier_accuracy",))


def rejected_latest(path: Path, limit: int = 100) -> pl.DataFrame:
    sql = """
        SELECT rejected_at, source, location, reason, left(raw, 300) AS raw_start, run_id
        FROM rejected_records ORDER BY rejected_at DESC LIMIT ?
    """
    return _frame(path, sql, [int(limit)], tables=("rejected_records",))


# ---------------------------------------------------------------- output and neglectedness


def month_bounds(path: Path) -> pl.DataFrame:
    """Months of the neglectedness mart with their AI-paper volume, for the date-range control."""
    sql = "SELECT month, n_ai_papers FROM neglectedness_monthly ORDER BY month"
    return _frame(path, sql, tables=("neglectedness_monthly",))


def neglectedness_monthly(path: Path, start: dt.date, end: dt.date) -> pl.DataFrame:
    sql = """
        SELECT month, n_ai_papers, denominator_source, n_safety_broad, n_safety_narrow, share_broad, share_narrow
        FROM neglectedness_monthly WHERE month BETWEEN ? AND ? ORDER BY month
    """
    return _frame(path, sql, [start, end], tables=("neglectedness_monthly",))


def headline_output(path: Path) -> pl.DataFrame:
    """Safety papers and safety share over the 12 months to the latest month, and the 12 before."""
    sql = """
        WITH latest AS (SELECT max(month) AS m FROM neglectedness_monthly),
        tagged AS (
            SELECT n.*, CASE WHEN n.month > l.m - INTERVAL 12 MONTH THEN 'last' ELSE 'prev' END AS period
            FROM neglectedness_monthly n, latest l
            WHERE n.month > l.m - INTERVAL 24 MONTH
        )
        SELECT period, min(month) AS first_month, max(month) AS last_month, count(*) AS n_months,
               sum(n_ai_papers)::BIGINT AS n_ai_papers, sum(n_safety_broad)::BIGINT AS n_safety_broad,
               sum(n_safety_narrow)::BIGINT AS n_safety_narrow,
               sum(n_safety_broad) / nullif(sum(n_ai_papers), 0) AS share_broad,
               sum(n_safety_narrow) / nullif(sum(n_ai_papers), 0) AS share_narrow,
               string_agg(DISTINCT denominator_source, ', ') AS denominator_source
        FROM tagged GROUP BY period ORDER BY period
    """
    return _frame(path, sql, tables=("neglectedness_monthly",))


def topic_monthly(path: Path, definition: str, start: dt.date, end: dt.date) -> pl.DataFrame:
    _check(definition, DEFINITIONS, "definition")
    sql = """
        SELECT month, coalesce(topic, 'none') AS topic, sum(n_papers)::BIGINT AS n_papers
        FROM safety_papers_by_topic_monthly
        WHERE definition = ? AND month BETWEEN ? AND ?
        GROUP BY ALL ORDER BY month, topic
    """
    return _frame(path, sql, [definition, start, end], tables=("safety_papers_by_topic_monthly",))


def origin_monthly(path: Path, definition: str, start: dt.date, end: dt.date) -> pl.DataFrame:
    _check(definition, DEFINITIONS, "definition")
    sql = """
        SELECT month, coalesce(origin, 'unknown') AS origin, sum(n_papers)::BIGINT AS n_papers
        FROM safety_papers_by_origin_monthly
        WHERE definition = ? AND month BETWEEN ? AND ?
        GROUP BY ALL ORDER BY month, origin
    """
    return _frame(path, sql, [definition, start, end], tables=("safety_papers_by_origin_monthly",))


def origin_shares_three_ways(path: Path, definition: str, period: str) -> pl.DataFrame:
    """Shares by class, three ways, for one safety definition and all AI papers, in one period ('all' or a year)."""
    _check(definition, DEFINITIONS, "definition")
    sql = """
        SELECT population, way, class, n_class, n_known, n_papers, coverage, share, share_low, share_high
        FROM origin_shares_yearly
        WHERE period = ? AND population IN (?, 'all_ai')
        ORDER BY way, class, population
    """
    return _frame(path, sql, [period, definition], tables=("origin_shares_yearly",))


def affiliation_coverage(path: Path) -> pl.DataFrame:
    return _frame(path, "SELECT metric, value FROM affiliation_coverage", [], tables=("affiliation_coverage",))


def unclassified_organizations(path: Path, limit: int) -> pl.DataFrame:
    sql = """SELECT organization, n_slots AS author_slots, n_names AS names FROM unclassified_organizations
        ORDER BY n_slots DESC, organization LIMIT ?"""
    return _frame(path, sql, [limit], tables=("unclassified_organizations",))


def origin_share_periods(path: Path) -> pl.DataFrame:
    sql = "SELECT DISTINCT period FROM origin_shares_yearly ORDER BY period"
    return _frame(path, sql, [], tables=("origin_shares_yearly",))


def lab_share_yearly(path: Path, definition: str) -> pl.DataFrame:
    _check(definition, DEFINITIONS, "definition")
    sql = """
        SELECT year, n_safety_known, n_safety_lab, lab_share_safety, n_ai_known, n_ai_lab, lab_share_ai,
               known_origin_coverage_safety
        FROM lab_share_yearly WHERE definition = ? ORDER BY year
    """
    return _frame(path, sql, [definition], tables=("lab_share_yearly",))


def top_organizations(path: Path, definition: str, start: dt.date, end: dt.date, limit: int = 25) -> pl.DataFrame:
    """Organisations behind the most safety papers in the range (covered months), with the usual origin of their
    papers, from the `safety_papers_by_organization_monthly` mart: a few thousand rows whatever the range, where
    joining the safety papers to 2.7M paper dates took 100-500 ms."""
    _check(definition, DEFINITIONS, "definition")
    sql = """
        WITH cells AS (
            SELECT organization, origin, sum(n_papers) AS n
            FROM safety_papers_by_organization_monthly
            WHERE definition = ? AND month BETWEEN ? AND ?
            GROUP BY ALL
        )
        SELECT organization, sum(n)::BIGINT AS n_papers,
               coalesce(arg_max(origin, n) FILTER (WHERE origin NOT IN ('mixed', 'unknown')), 'mixed') AS origin,
               coalesce(sum(n) FILTER (WHERE origin = 'mixed'), 0)::BIGINT AS n_mixed
        FROM cells GROUP BY organization ORDER BY n_papers DESC, organization LIMIT ?
    """
    return _frame(path, sql, [definition, start, end, int(limit)], tables=("safety_papers_by_organization_monthly",))


def topic_growth(path: Path, definition: str) -> pl.DataFrame:
    _check(definition, DEFINITIONS, "definition")
    sql = """
        SELECT topic, window_end, n_last_12m, n_prev_12m, growth_ratio, status
        FROM topic_growth WHERE definition = ? ORDER BY growth_ratio DESC NULLS LAST, topic
    """
    return _frame(path, sql, [definition], tables=("topic_growth",))


# ---------------------------------------------------------------- workforce


def field_size_estimates(path: Path) -> pl.DataFrame:
    sql = """
        SELECT year, scope, low, central, high, unit, source_title, author, url, method_note
        FROM field_size_estimates ORDER BY year, scope, source_title
    """
    return _frame(path, sql, tables=("field_size_estimates",))


def latest_headcount(path: Path) -> pl.DataFrame:
    """The most recent technical headcount estimate (ties: the one with a central value, then the widest)."""
    sql = """
        SELECT year, scope, low, central, high, unit, source_title, author, url,
               (SELECT count(*) FROM field_size_estimates WHERE scope = 'technical') AS n_technical_estimates
        FROM field_size_estimates WHERE scope = 'technical'
        ORDER BY year DESC, central IS NULL, high - low DESC NULLS LAST LIMIT 1
    """
    return _frame(path, sql, tables=("field_size_estimates",))


def positions_yearly(path: Path) -> pl.DataFrame:
    sql = "SELECT year, org_type, role, n_people FROM workforce_positions_yearly ORDER BY year, org_type, role"
    return _frame(path, sql, tables=("workforce_positions_yearly",))


def growth_fits(path: Path) -> pl.DataFrame:
    sql = """
        SELECT series, year_from, year_to, annual_growth, growth_low, growth_high, doubling_years, n_points
        FROM workforce_growth_fit ORDER BY series
    """
    return _frame(path, sql, tables=("workforce_growth_fit",))


def authors_yearly(path: Path) -> pl.DataFrame:
    sql = """
        SELECT year, definition, n_safety_authors_active, n_safety_authors_core, n_ai_authors_active,
               safety_author_share
        FROM workforce_authors_yearly ORDER BY year, definition
    """
    return _frame(path, sql, tables=("workforce_authors_yearly",))


def papers_per_fte(path: Path) -> pl.DataFrame:
    sql = """
        SELECT year, estimate_source, fte_low, fte_central, fte_high, n_safety_papers, papers_per_fte,
               papers_per_fte_low, papers_per_fte_high
        FROM papers_per_fte_yearly ORDER BY year, estimate_source
    """
    return _frame(path, sql, tables=("papers_per_fte_yearly",))


def neglectedness_yearly(path: Path) -> pl.DataFrame:
    sql = """
        SELECT year(month) AS year, count(*) AS n_months, sum(n_ai_papers)::BIGINT AS n_ai_papers,
               sum(n_safety_broad)::BIGINT AS n_safety_broad, sum(n_safety_narrow)::BIGINT AS n_safety_narrow,
               sum(n_safety_broad) / nullif(sum(n_ai_papers), 0) AS share_broad,
               sum(n_safety_narrow) / nullif(sum(n_ai_papers), 0) AS share_narrow
        FROM neglectedness_monthly GROUP BY ALL ORDER BY year
    """
    return _frame(path, sql, tables=("neglectedness_monthly",))


# ---------------------------------------------------------------- claims


def claims(path: Path) -> pl.DataFrame:
    sql = "SELECT claim, source, data_says, verdict, numbers, computed_at FROM claims_check ORDER BY source, claim"
    return _frame(path, sql, tables=("claims_check",))


# ---------------------------------------------------------------- paper explorer


def paper_date_bounds(path: Path) -> pl.DataFrame:
    sql = "SELECT min(published_date) AS first_date, max(published_date) AS last_date FROM papers"
    return _frame(path, sql, tables=("papers",))


def explorer_options(path: Path) -> pl.DataFrame:
    """Filter choices: categories counted in the denominators, and topics present in the topic mart."""
    sql = """
        SELECT 'category' AS kind, category AS value FROM (
            SELECT DISTINCT category FROM category_month_counts WHERE category <> 'ALL_AI')
        UNION ALL
        SELECT 'topic', topic FROM (SELECT DISTINCT topic FROM safety_papers_by_topic_monthly WHERE topic IS NOT NULL)
        ORDER BY kind, value
    """
    return _frame(path, sql, tables=("category_month_counts", "safety_papers_by_topic_monthly"))


SEARCH_ORDERS = ("relevance", "newest")


class SearchIndexUnavailable(WarehouseError):
    def __init__(self, error: search_lookup.SearchIndexError) -> None:
        super().__init__(str(error))


def search_papers(
    path: Path,
    *,
    text: str = "",
    start: dt.date,
    end: dt.date,
    safety: str = "broad",
    topics: Sequence[str] = (),
    origins: Sequence[str] = (),
    categories: Sequence[str] = (),
    limit: int = 500,
    order: str = "relevance",
) -> pl.DataFrame:
    """Papers matching every search term (pipelines.lib.search_query: words in title, abstract or an author, "quoted
    phrases", author:name) and every filter, best BM25 match first (`order='newest'`, or no text: newest first), at
    most `limit`+1 rows (one beyond `limit` tells the caller that more match), with their labels and the evidence
    behind them (safety_evidence, origin_evidence).

    The full-text index beside the warehouse answers with the filters applied inside it and the result rows stored
    in it (joining ids back to `papers` would scan 2.7M rows). A term without letters or digits, which the index
    cannot find, makes the search a scan of the warehouse (`_scan_papers`), as does a listing without text while
    there is no index yet.
    """
    _check(safety, SAFETY_FILTERS, "safety")
    _check(order, SEARCH_ORDERS, "order")
    limit = max(1, min(int(limit), MAX_ROWS))
    query = search_query.parse(text)
    filters = search_query.SearchFilters(start, end, safety, tuple(topics), tuple(origins), tuple(categories))
    if query.needs_scan:
        return _scan_papers(path, query, filters, limit)
    if not path.is_file():
        raise WarehouseMissing(path)
    try:
        hits = search_lookup.search(path, query, filters, limit=limit + 1, newest_first=order == "newest")
    except search_lookup.SearchIndexError as exc:
        if not query.terms:  # the listing without text still works, as a scan, until the index is built
            return _scan_papers(path, query, filters, limit)
        raise SearchIndexUnavailable(exc) from exc
    return pl.DataFrame(hits.rows, schema=_RESULT_SCHEMA).with_columns(pl.col("published_date").str.to_date())


_RESULT_SCHEMA = {column: pl.String for column in search_rows.COLUMNS}


def _scan_papers(
    path: Path, query: search_query.SearchQuery, filters: search_query.SearchFilters, limit: int
) -> pl.DataFrame:
    """The search as a scan of every paper in the date range, each term matched as text (`literal_regex`)."""
    where = ["p.published_date BETWEEN ? AND ?"]
    params: list[object] = [filters.start, filters.end]
    authors = "array_to_string(p.authors, ' ; ')"
    for term in query.terms:
        if term.field == search_query.AUTHORS_FIELD:
            where.append(f"regexp_matches({authors}, ?)")
            params.append(search_query.literal_regex(term.text))
            continue
        # Short columns first: OR evaluates the abstract only where title and authors did not match.
        where.append(f"(regexp_matches(p.title, ?) OR regexp_matches({authors}, ?) OR regexp_matches(p.abstract, ?))")
        params += [search_query.literal_regex(term.text)] * 3
    if filters.categories:
        where.append("list_has_any(p.categories, ?::VARCHAR[])")
        params.append(list(filters.categories))

    class_where: list[str] = []
    class_params: list[object] = []
    if filters.safety != "any":
        class_where.append(_SAFETY_COLUMN[filters.safety])
    if filters.topics:
        class_where.append("list_has_any(c.topics, ?::VARCHAR[])")
        class_params.append(list(filters.topics))
    if filters.origins:
        class_where.append("list_contains(?::VARCHAR[], c.origin)")
        class_params.append(list(filters.origins))

    # Classification filters select a (small) set of ids first; the newest `limit` hits are then joined back.
    classified = ""
    if class_where:
        classified = (
            "JOIN (SELECT arxiv_id FROM paper_classification c WHERE "
            + " AND ".join(class_where)
            + ") f ON f.arxiv_id = p.arxiv_id"
        )
    sql = f"""
        WITH hits AS (
            SELECT p.arxiv_id, p.published_date, p.title, p.authors, p.primary_category, p.categories
            FROM papers p {classified}
            WHERE {" AND ".join(where)}
            ORDER BY p.published_date DESC, p.arxiv_id DESC
            LIMIT ?
        )
        SELECT h.arxiv_id, h.published_date, h.title,
               array_to_string(h.authors[1:{search_rows.SHOWN_AUTHORS}], ', ')
                   || CASE WHEN len(h.authors) > {search_rows.SHOWN_AUTHORS} THEN ' et al.' ELSE '' END AS authors,
               h.primary_category, array_to_string(h.categories, ' ') AS categories,
               CASE WHEN c.is_safety_narrow THEN 'narrow' WHEN c.is_safety_broad THEN 'broad'
                    WHEN c.arxiv_id IS NULL THEN 'unclassified' ELSE 'no' END AS safety,
               c.primary_topic, array_to_string(c.topics, ', ') AS topics, c.origin,
               array_to_string(c.organizations, ', ') AS organizations,
               c.safety_evidence, c.origin_evidence,
               'https://arxiv.org/abs/' || h.arxiv_id AS url
        FROM hits h LEFT JOIN paper_classification c ON c.arxiv_id = h.arxiv_id
        ORDER BY h.published_date DESC, h.arxiv_id DESC
    """
    return _frame(path, sql, [*class_params, *params, limit + 1], tables=("papers", "paper_classification"))
