"""Origin assets: the OpenAlex cache `openalex_works` and the per-paper origin table `paper_origins`."""

import time
from datetime import datetime
from typing import TYPE_CHECKING

import dagster as dg
import duckdb
import polars as pl

from pipelines import contract, settings
from pipelines.defs.classify.assets import CLASSIFY_DUCKDB_MEMORY
from pipelines.defs.classify.people_assets import author_places, load_places
from pipelines.inputs import classifier_bundle
from pipelines.lib.origin import classify_origin, prior_author_evidence
from pipelines.resources import WarehouseResource
from pipelines.warehouse import append_rows, drop_if_older, table_exists

if TYPE_CHECKING:  # the client imports requests, needed only when OpenAlex is looked up
    from pipelines.openalex_client import OpenAlexClient

OPENALEX_DDL = contract.table("openalex_works").ddl()
# Papers fetched besides safety papers: a fixed pseudo-random sample of the rest (by a hash of the id), so shares
# among all AI papers have an OpenAlex-based denominator without looking up every paper.
SAMPLE_PER_MILLE = 50
PAPER_ORIGINS_DDL = contract.table("paper_origins").ddl()
NOT_FOUND_RETRY_DAYS = 30  # a recent paper OpenAlex did not know yet is looked up again after this


class OpenAlexResource(dg.ConfigurableResource):
    """OpenAlex lookups; empty fields fall back to OPENALEX_URL, OPENALEX (auto|off), OPENALEX_MAX_PER_RUN."""

    base_url: str = ""
    mode: str = ""
    max_per_run: int = 0
    min_interval_s: float = 0.12
    max_retries: int = 4

    def enabled(self) -> bool:
        return (self.mode or settings.openalex_mode()) != "off"

    def limit(self) -> int:
        return self.max_per_run or settings.openalex_max_per_run()

    def client(self) -> "OpenAlexClient":
        from pipelines.openalex_client import OpenAlexClient

        return OpenAlexClient(
            self.base_url or settings.openalex_url(), min_interval_s=self.min_interval_s, max_retries=self.max_retries
        )


@dg.definitions
def openalex_resources() -> dg.Definitions:
    return dg.Definitions(resources={"openalex": OpenAlexResource()})


def ensure_openalex_table(con: duckdb.DuckDBPyConnection) -> None:
    """The cache table, with cited_by_count added to one made before it was fetched (its rows then lack it)."""
    con.execute(OPENALEX_DDL)
    con.execute("ALTER TABLE openalex_works ADD COLUMN IF NOT EXISTS cited_by_count BIGINT")


def in_sample(arxiv_id: str) -> str:
    """SQL: whether a paper is in the fixed sample of all papers looked up on OpenAlex (SAMPLE_PER_MILLE)."""
    return f"(hash('openalex-sample:' || {arxiv_id}) % 1000) < {SAMPLE_PER_MILLE}"


def _ids_to_fetch(con: duckdb.DuckDBPyConnection, limit: int) -> list[str]:
    """Papers that matter and were never looked up, or looked up in vain while recent: safety papers (broad) first,
    then the fixed sample of all papers; before relevance exists, every paper (newest first)."""
    has_relevance = table_exists(con, "paper_relevance")
    join = "LEFT JOIN paper_relevance r USING (arxiv_id)" if has_relevance else ""
    wanted = f"AND (coalesce(r.is_safety_broad, false) OR {in_sample('p.arxiv_id')})" if has_relevance else ""
    first = "coalesce(r.is_safety_broad, false) DESC," if has_relevance else ""
    rows = con.execute(
        f"""SELECT p.arxiv_id FROM papers p
        LEFT JOIN openalex_works o USING (arxiv_id) {join}
        WHERE (o.arxiv_id IS NULL
           OR (o.status = 'not_found' AND o.fetched_at < now() - INTERVAL {NOT_FOUND_RETRY_DAYS} DAY
               AND p.published_date >= current_date - INTERVAL 365 DAY)
           OR (o.status = 'ok' AND o.cited_by_count IS NULL)) {wanted}
        ORDER BY {first} p.published_date DESC NULLS LAST, p.arxiv_id
        LIMIT ?""",
        [limit],
    ).fetchall()
    return [r[0] for r in rows]


@dg.asset(
    group_name="classify",
    kinds={"duckdb", "api"},
    deps=[dg.AssetDep("arxiv_snapshot_papers"), dg.AssetDep("arxiv_api_papers")],
    description="OpenAlex institutions of each paper's authorships (DOI 10.48550/arXiv.<id>), cached so each id is "
    "looked up once (recent not-found ids again after 30 days). When OpenAlex is unreachable or OPENALEX=off the "
    "run is a no-op whose metadata says why.",
)
def openalex_works(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, openalex: OpenAlexResource
) -> dg.MaterializeResult:
    with warehouse.transaction() as con:
        ensure_openalex_table(con)
        ids = _ids_to_fetch(con, openalex.limit()) if openalex.enabled() else []
    if not openalex.enabled():
        context.log.info("OpenAlex lookups skipped: OPENALEX=off")
        return dg.MaterializeResult(metadata={"skipped": "OPENALEX=off", "fetched": 0})
    if not ids:
        return dg.MaterializeResult(metadata={"skipped": "nothing to look up", "fetched": 0})

    from pipelines.openalex_client import OpenAlexError, OpenAlexUnreachable

    client = openalex.client()
    records: list[dict] = []
    skipped = ""
    try:
        for batch in client.fetch_records(ids):
            records.extend(batch)
    except OpenAlexUnreachable as exc:
        skipped = f"network unreachable: {exc}"
    except OpenAlexError as exc:
        skipped = f"stopped after {len(records)} ids: {exc}"
    finally:
        client.close()
    if skipped:
        context.log.warning(f"OpenAlex: {skipped}")

    fetched_at = datetime.now()
    frame = pl.DataFrame(
        records,
        schema={
            "arxiv_id": pl.String,
            "status": pl.String,
            "openalex_id": pl.String,
            "institutions": pl.String,
            "cited_by_count": pl.Int64,
        },
    ).with_columns(fetched_at=pl.lit(fetched_at))
    if frame.height:
        with warehouse.transaction() as con:
            con.register("_fetched", frame)
            con.execute("DELETE FROM openalex_works WHERE arxiv_id IN (SELECT arxiv_id FROM _fetched)")
            con.unregister("_fetched")
            append_rows(con, "openalex_works", frame)
    n_ok = frame.filter(pl.col("status") == "ok").height
    return dg.MaterializeResult(
        metadata={
            "requested": len(ids),
            "fetched": frame.height,
            "found": n_ok,
            "not_found": frame.height - n_ok,
            "requests": client.n_requests,
            "skipped": skipped or "no",
            "base_url": client.base_url,
        }
    )


class PaperOriginsConfig(dg.Config):
    full_refresh: bool = False  # reclassify every paper even if code, seed and roster are unchanged
    chunk_size: int = 250_000  # papers classified per step (bounds memory; propagation uses all stored evidence)


def _todo(con: duckdb.DuckDBPyConnection, version: str, full: bool) -> tuple[pl.DataFrame, bool]:
    if not full:
        rows, stale = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE origin_version <> ?) FROM paper_origins", [version]
        ).fetchall()[0]
        full = rows == 0 or stale > 0
    if full:
        return con.sql("SELECT arxiv_id FROM papers ORDER BY arxiv_id").pl(), True
    todo = con.sql(
        """SELECT p.arxiv_id FROM papers p
        LEFT JOIN paper_origins o USING (arxiv_id)
        LEFT JOIN (SELECT arxiv_id, max(fetched_at) AS fetched_at FROM openalex_works
                   WHERE status = 'ok' GROUP BY arxiv_id) w USING (arxiv_id)
        WHERE o.arxiv_id IS NULL OR p.ingested_at > o.classified_at OR w.fetched_at > o.classified_at
        ORDER BY p.arxiv_id"""
    ).pl()
    return todo, False


def _context(
    con: duckdb.DuckDBPyConnection,
    organizations: pl.DataFrame,
    roster_frame: pl.DataFrame,
    places: pl.DataFrame,
    names: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Strong author evidence over the whole warehouse (for propagation) and per-name paper counts (ambiguity).

    names, if given, limits both to those authors: classify_origin reads the context only for the names of the
    papers it classifies, so a batch given the context of its own authors is classified as in a full run.
    """
    batch = None if names is None else pl.DataFrame({"name_normalized": names}).unique()
    if batch is not None:
        con.register("_batch_names", batch)
    only_batch = "AND name_normalized IN (SELECT name_normalized FROM _batch_names)" if batch is not None else ""
    authors = con.sql(
        f"""SELECT arxiv_id, name_normalized, affiliation FROM paper_authors
        WHERE affiliation IS NOT NULL AND trim(affiliation) <> '' {only_batch}"""
    ).pl()
    works = con.sql("SELECT arxiv_id, status, institutions FROM openalex_works WHERE status = 'ok'").pl()
    ids = pl.concat([authors.select("arxiv_id"), works.select("arxiv_id")]).unique()
    con.register("_ctx_ids", ids)
    dates = con.sql("SELECT arxiv_id, published_date FROM papers JOIN _ctx_ids USING (arxiv_id)").pl()
    con.unregister("_ctx_ids")
    prior = prior_author_evidence(dates, authors, organizations, works, names=None if batch is None else names)
    wanted = pl.concat(
        [roster_frame.select("name_normalized"), prior.select("name_normalized"), places.select("name_normalized")]
    ).unique()
    if batch is not None:
        wanted = wanted.join(batch, on="name_normalized", how="semi")
        con.unregister("_batch_names")
    con.register("_names", wanted)
    # The SQL form of origin.name_statistics, over every paper in the warehouse.
    counts = con.sql(
        """WITH distinct_names AS (
            SELECT DISTINCT name_normalized FROM paper_authors WHERE contains(name_normalized, ' ')
        ), tokens AS (
            SELECT name_normalized, split_part(name_normalized, ' ', 1) AS first,
                   regexp_extract(name_normalized, '(\\S+)$', 1) AS last
            FROM distinct_names
        ), namesakes AS (
            SELECT t.name_normalized,
                   f.n * l.n / (SELECT count(*) FROM distinct_names) AS expected_namesakes
            FROM tokens t JOIN _names USING (name_normalized)
            JOIN (SELECT first, count(*) AS n FROM tokens GROUP BY first) f USING (first)
            JOIN (SELECT last, count(*) AS n FROM tokens GROUP BY last) l USING (last)
        ), per_year AS (
            SELECT name_normalized, max(n) AS max_papers_per_year FROM (
                SELECT a.name_normalized, year(p.published_date) AS y, count(DISTINCT a.arxiv_id) AS n
                FROM paper_authors a JOIN _names USING (name_normalized) JOIN papers p USING (arxiv_id)
                GROUP BY 1, 2)
            GROUP BY 1
        )
        SELECT name_normalized, coalesce(max_papers_per_year, 0) AS max_papers_per_year,
               coalesce(expected_namesakes, 0.0) AS expected_namesakes
        FROM namesakes FULL JOIN per_year USING (name_normalized)"""
    ).pl()
    con.unregister("_names")
    return prior, counts


def _batch_names(con: duckdb.DuckDBPyConnection, todo: pl.DataFrame) -> pl.Series:
    """The distinct author names of the papers to classify."""
    con.register("_todo_ids", todo.select("arxiv_id"))
    names = con.sql(
        """SELECT DISTINCT name_normalized FROM paper_authors JOIN _todo_ids USING (arxiv_id)
        WHERE name_normalized IS NOT NULL"""
    ).pl()["name_normalized"]
    con.unregister("_todo_ids")
    return names


@dg.asset(
    group_name="classify",
    kinds={"duckdb", "polars"},
    deps=[dg.AssetDep("arxiv_snapshot_papers"), dg.AssetDep("arxiv_api_papers"), openalex_works, author_places],
    description="Origin of each paper (frontier_lab, industry, academic, nonprofit, government, mixed, unknown) with "
    "the organisations, the evidence and a confidence (pipelines/lib/origin.py). Incremental: only papers without "
    "a row, re-ingested since, or with new OpenAlex data; everything when the origin version changes (code version, "
    "seed, roster or places).",
)
def paper_origins(
    context: dg.AssetExecutionContext, config: PaperOriginsConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    started = time.monotonic()
    bundle = classifier_bundle()
    roster_frame = bundle.roster
    if roster_frame.height == 0:
        context.log.warning(f"no roster: no placed positions in {settings.positions_path()}; roster evidence skipped")
    # The places actually read, not only the record files they came from: a rebuilt or missing people file
    # reclassifies.
    places = load_places(warehouse.people_path)
    version = bundle.origin_version(places)
    classified_at = datetime.now()
    counts: dict[str, int] = {}
    with warehouse.transaction() as con:
        ensure_openalex_table(con)
        drop_if_older(con, "paper_origins", "has_academic_author")  # rebuilt: its origin_version is stale anyway
        con.execute(PAPER_ORIGINS_DDL)
        todo, full = _todo(con, version, config.full_refresh)
        prior, name_counts = None, None
        if todo.height:
            # A small batch needs the context of its own authors only; a full run reads it all once for every chunk.
            names = None if full else _batch_names(con, todo)
            prior, name_counts = _context(con, bundle.organizations, roster_frame, places, names)
        con.execute(f"SET memory_limit = '{CLASSIFY_DUCKDB_MEMORY}'")  # chunks are read by id, beside Polars' frames
        for start in range(0, todo.height, config.chunk_size):
            con.register("_ids", todo.slice(start, config.chunk_size))
            papers = con.sql(
                "SELECT arxiv_id, title, abstract, comments, published_date FROM papers JOIN _ids USING (arxiv_id)"
            ).pl()
            authors = con.sql(
                """SELECT arxiv_id, name_normalized, affiliation, position FROM paper_authors
                JOIN _ids USING (arxiv_id)"""
            ).pl()
            works = con.sql(
                """SELECT arxiv_id, status, institutions FROM openalex_works
                JOIN _ids USING (arxiv_id) WHERE status = 'ok'"""
            ).pl()
            result = classify_origin(
                papers,
                authors,
                bundle.organizations,
                roster_frame,
                works,
                prior_author_evidence=prior,
                name_counts=name_counts,
                places=places,
            ).with_columns(origin_version=pl.lit(version), classified_at=pl.lit(classified_at))
            con.execute("DELETE FROM paper_origins WHERE arxiv_id IN (SELECT arxiv_id FROM _ids)")
            append_rows(con, "paper_origins", result)
            con.unregister("_ids")
            for row in result.group_by("origin").len().iter_rows():
                counts[row[0]] = counts.get(row[0], 0) + row[1]
            context.log.info(f"paper_origins: {start + papers.height:,} / {todo.height:,} classified")
        if full:
            con.execute("DELETE FROM paper_origins WHERE arxiv_id NOT IN (SELECT arxiv_id FROM papers)")
        total, unknown = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE origin = 'unknown') FROM paper_origins"
        ).fetchall()[0]
    return dg.MaterializeResult(
        metadata={
            "mode": "full" if full else "incremental",
            "classified": todo.height,
            "by_origin": dg.MetadataValue.json(counts),
            "rows_total": total,
            "unknown_share": unknown / total if total else 0.0,
            "origin_version": version,
            "duration_s": round(time.monotonic() - started, 2),
        }
    )
