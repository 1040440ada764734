"""Writes parsed arXiv records into the warehouse: upsert by arxiv_id, so reruns never duplicate.

A paper keeps one row, from its latest version: a record older than the stored one is ignored, an identical one
is counted as unchanged and left alone (so it is not re-classified), anything else replaces the stored row and
its authors (delete, then insert).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

from pipelines.lib.record_order import NEWEST_FIRST, ranks_above_sql

PAPER_COLUMNS = [
    "arxiv_id",
    "title",
    "abstract",
    "primary_category",
    "categories",
    "authors",
    "comments",
    "journal_ref",
    "doi",
    "published_date",
    "date_source",
    "updated_date",
    "latest_version",
    "source",
    "source_detail",
]
AUTHOR_COLUMNS = ["arxiv_id", "position", "name", "name_normalized", "affiliation"]
CONTENT_COLUMNS = [c for c in PAPER_COLUMNS if c not in ("arxiv_id", "source", "source_detail")]


def same_content_sql(stored: str, new: str) -> str:
    """SQL true when the rows aliased `stored` and `new` hold the same paper content (where it was read from aside)."""
    return " AND ".join(f"{stored}.{c} IS NOT DISTINCT FROM {new}.{c}" for c in CONTENT_COLUMNS)
# Ties of date and version go to the record read last: the later file, then the later line, by number
# (source_detail is 'file:line'; as text, 'f:999' would sort after 'f:1000').
LATER_IN_THE_INPUT = (
    "regexp_replace(source_detail, ':\\d+$', '') DESC, "
    "TRY_CAST(regexp_extract(source_detail, ':(\\d+)$', 1) AS BIGINT) DESC NULLS LAST, source_detail DESC"
)


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0

    def add(self, other: UpsertCounts) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.older += other.older

    def as_dict(self) -> dict[str, int]:
        return {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged, "older": self.older}


def dedupe_staged(con: duckdb.DuckDBPyConnection) -> None:
    """`_staged` (papers columns, maybe repeated ids) -> view `_dedup`: the latest record per arxiv_id."""
    drop_dedup(con)
    n, distinct = con.execute("SELECT count(*), count(DISTINCT arxiv_id) FROM _staged").fetchone()
    if n == distinct:  # the usual case: skip copying every record through a window function
        con.execute("CREATE TEMP VIEW _dedup AS SELECT * FROM _staged")
        return
    con.execute(
        f"""CREATE TEMP TABLE _dedup_rows AS
        SELECT * FROM _staged
        QUALIFY row_number() OVER (
            PARTITION BY arxiv_id ORDER BY {NEWEST_FIRST}, {LATER_IN_THE_INPUT}) = 1"""
    )
    con.execute("CREATE TEMP VIEW _dedup AS SELECT * FROM _dedup_rows")


def drop_dedup(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS _dedup; DROP TABLE IF EXISTS _dedup_rows")


def apply_upsert(con: duckdb.DuckDBPyConnection, now: datetime) -> UpsertCounts:
    """Merge `_dedup` (papers columns) and `_dedup_authors` into papers and paper_authors.

    A stored row that ranks above the new one (pipelines/lib/record_order.py) is kept, counted `older`; on a tie
    the new record, read later, wins."""
    same = same_content_sql("p", "s")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _decision AS
        SELECT s.arxiv_id, CASE
            WHEN p.arxiv_id IS NULL THEN 'inserted'
            WHEN {ranks_above_sql("p", "s")} THEN 'older'
            WHEN {same} THEN 'unchanged'
            ELSE 'updated' END AS decision
        FROM _dedup s LEFT JOIN papers p USING (arxiv_id)"""
    )
    counts = dict(con.execute("SELECT decision, count(*) FROM _decision GROUP BY ALL").fetchall())
    result = UpsertCounts(**{k: int(counts.get(k, 0)) for k in ("inserted", "updated", "unchanged", "older")})
    if result.updated:
        for table in ("papers", "paper_authors"):
            con.execute(
                f"DELETE FROM {table} WHERE arxiv_id IN (SELECT arxiv_id FROM _decision WHERE decision = 'updated')"
            )
    if result.inserted or result.updated:
        columns = ", ".join(PAPER_COLUMNS)
        con.execute(
            f"""INSERT INTO papers ({columns}, ingested_at)
            SELECT {", ".join("s." + c for c in PAPER_COLUMNS)}, ?::TIMESTAMP
            FROM _dedup s JOIN _decision d USING (arxiv_id)
            WHERE d.decision IN ('inserted', 'updated')""",
            [now],
        )
        con.execute(
            f"""INSERT INTO paper_authors ({", ".join(AUTHOR_COLUMNS)})
            SELECT {", ".join("a." + c for c in AUTHOR_COLUMNS)}
            FROM _dedup_authors a JOIN _decision d USING (arxiv_id)
            WHERE d.decision IN ('inserted', 'updated')"""
        )
    return result


def upsert_papers(
    con: duckdb.DuckDBPyConnection, papers: pl.DataFrame, authors: pl.DataFrame, now: datetime | None = None
) -> dict[str, int]:
    """Upsert papers (the `papers` columns) and their authors (the `paper_authors` columns) from Polars frames."""
    missing = [c for c in PAPER_COLUMNS if c not in papers.columns]
    missing += [f"authors.{c}" for c in AUTHOR_COLUMNS if c not in authors.columns]
    if missing:
        raise ValueError(f"upsert_papers: missing columns {missing}")
    con.register("_staged", papers.select(PAPER_COLUMNS))
    con.register("_staged_authors_in", authors.select(AUTHOR_COLUMNS))
    try:
        dedupe_staged(con)
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _dedup_authors AS
            SELECT DISTINCT ON (arxiv_id, position) * FROM _staged_authors_in
            WHERE arxiv_id IN (SELECT arxiv_id FROM _dedup)"""
        )
        return apply_upsert(con, now or datetime.now()).as_dict()
    finally:
        con.unregister("_staged")
        con.unregister("_staged_authors_in")


@dataclass
class RunRecord:
    """One row of ingest_runs, filled in as a load goes."""

    run_id: str
    asset: str
    source: str
    source_detail: str = ""
    partition_key: str | None = None
    started_at: datetime = field(default_factory=datetime.now)
    n_read: int = 0
    n_rejected: int = 0
    counts: UpsertCounts = field(default_factory=UpsertCounts)

    def write(self, con: duckdb.DuckDBPyConnection, outcome: str, message: str = "") -> None:
        finished = datetime.now()
        con.execute(
            """INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                self.run_id,
                self.asset,
                self.source,
                self.source_detail,
                self.partition_key,
                self.started_at,
                finished,
                (finished - self.started_at).total_seconds(),
                self.n_read,
                self.counts.inserted,
                self.counts.updated,
                self.counts.unchanged + self.counts.older,
                self.n_rejected,
                outcome,
                message,
            ],
        )


def record_rejects(
    con: duckdb.DuckDBPyConnection, run_id: str, source: str, rejects: pl.DataFrame, now: datetime | None = None
) -> int:
    """rejects: columns location, reason, raw."""
    if rejects.is_empty():
        return 0
    con.register("_rejects", rejects.select("location", "reason", "raw"))
    try:
        con.execute(
            "INSERT INTO rejected_records SELECT ?, ?, location, reason, raw, ?::TIMESTAMP FROM _rejects",
            [run_id, source, now or datetime.now()],
        )
    finally:
        con.unregister("_rejects")
    return rejects.height
