"""Merges each block of parsed snapshot records straight into papers and paper_authors: every record is written once.

A block's accepted rows (`_parsed`, PARSE_CHUNK_SQL's result) are deduped among themselves and merged against the
stored rows by the rule of pipelines/lib/record_order.py; a later block is later in the input, so it wins ties.
What a load did to each paper is derived at its end: rows it wrote carry its `ingested_at`; ids it updated, or
found unchanged or older, are listed in `_snapshot_touched` with the file that did it.

A file whose fate is not known yet (it continues in the next block) may still be refused whole. Its blocks are
merged keeping, in `_snapshot_undo_*`, every stored row they replace that the file did not write itself (only
updated ids: nearly none in a first load); refusing the file deletes the rows it wrote and restores those rows.
Files are merged in order, so nothing else touches those papers before the file's fate is known.

Work tables are TEMP: they live in memory, spill under the memory limit, and vanish with the connection.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from pipelines.ingest import AUTHOR_COLUMNS, PAPER_COLUMNS, UpsertCounts, same_content_sql
from pipelines.lib.names import normalize_name_sql
from pipelines.lib.record_order import NEWEST_FIRST, ranks_above_sql
from pipelines.lib.snapshot_sql import PAPERS_FROM_PARSED_SQL

TOUCHED = "_snapshot_touched"
UNDO_PAPERS = "_snapshot_undo_papers"
UNDO_AUTHORS = "_snapshot_undo_authors"
_FILE_OF_DETAIL = "regexp_replace({x}.source_detail, ':\\d+$', '')"

_AUTHORS_OF_BLOCK = f"""
SELECT arxiv_id, position, name, {normalize_name_sql("name")} AS name_normalized, affiliation
FROM (
    SELECT arxiv_id,
           unnest(range(1, len(author_structs) + 1)) AS position,
           unnest(author_structs) AS a
    FROM _block {{where}}
)
CROSS JOIN LATERAL (SELECT a.name AS name, a.affiliation AS affiliation)
WHERE name <> ''
"""


def start_merge(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TEMP TABLE {TOUCHED} (arxiv_id VARCHAR, file_name VARCHAR, kind VARCHAR)")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {UNDO_PAPERS} AS SELECT * FROM papers LIMIT 0")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {UNDO_AUTHORS} AS SELECT * FROM paper_authors LIMIT 0")


def end_merge(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW IF EXISTS _block")
    for table in (TOUCHED, UNDO_PAPERS, UNDO_AUTHORS, "_block_rows", "_block_files", "_decision"):
        con.execute(f"DROP TABLE IF EXISTS {table}")


def merge_block(con: duckdb.DuckDBPyConnection, files: list[str], now: datetime, keep_undo: bool) -> None:
    """Merge the accepted rows of `_parsed` from `files` (in load order) into papers and paper_authors.

    keep_undo: the block's one file may still be refused; keep the stored rows it replaces."""
    _select_block(con, files)
    columns = ", ".join(PAPER_COLUMNS)
    stored = con.execute("SELECT count(*) FROM papers WHERE arxiv_id IN (SELECT arxiv_id FROM _block)").fetchone()[0]
    if not stored:  # the usual case of a first load: every record is new
        con.execute(f"INSERT INTO papers ({columns}, ingested_at) SELECT {columns}, ?::TIMESTAMP FROM _block", [now])
        con.execute(f"INSERT INTO paper_authors ({', '.join(AUTHOR_COLUMNS)}) {_AUTHORS_OF_BLOCK.format(where='')}")
        return
    same = same_content_sql("p", "b")
    this_load = "coalesce(p.ingested_at = ?::TIMESTAMP, false)"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _decision AS
        SELECT b.arxiv_id, b.source_file,
            CASE
                WHEN p.arxiv_id IS NULL THEN 'inserted'
                WHEN {ranks_above_sql("p", "b")} THEN 'older'
                WHEN {same} AND NOT {this_load} THEN 'unchanged'
                ELSE 'updated'
            END AS decision,
            {this_load} AS stored_this_load,
            {this_load} AND {_FILE_OF_DETAIL.format(x="p")} = b.source_file AS stored_by_the_file
        FROM _block b
        LEFT JOIN (SELECT * FROM papers WHERE arxiv_id IN (SELECT arxiv_id FROM _block)) p USING (arxiv_id)""",
        [now, now, now],
    )
    # Only a stored row from before this load makes a paper updated, unchanged or older; a record that meets a
    # row this load wrote is a repeat inside the load, resolved by the same rule and not counted again.
    con.execute(
        f"""INSERT INTO {TOUCHED} SELECT arxiv_id, source_file, decision FROM _decision
        WHERE decision <> 'inserted' AND NOT stored_this_load"""
    )
    replaced = "SELECT arxiv_id FROM _decision WHERE decision = 'updated'"
    if keep_undo:
        saved = f"{replaced} AND NOT stored_by_the_file"
        con.execute(f"INSERT INTO {UNDO_PAPERS} SELECT * FROM papers WHERE arxiv_id IN ({saved})")
        con.execute(f"INSERT INTO {UNDO_AUTHORS} SELECT * FROM paper_authors WHERE arxiv_id IN ({saved})")
    for table in ("papers", "paper_authors"):
        con.execute(f"DELETE FROM {table} WHERE arxiv_id IN ({replaced})")
    written = "WHERE arxiv_id IN (SELECT arxiv_id FROM _decision WHERE decision IN ('inserted', 'updated'))"
    con.execute(
        f"INSERT INTO papers ({columns}, ingested_at) SELECT {columns}, ?::TIMESTAMP FROM _block {written}", [now]
    )
    con.execute(f"INSERT INTO paper_authors ({', '.join(AUTHOR_COLUMNS)}) {_AUTHORS_OF_BLOCK.format(where=written)}")


def _select_block(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """`_block`: the accepted rows of `_parsed` from `files`, the latest per arxiv_id.

    Without repeated ids (the usual case) a view: the rows are read straight from `_parsed` into papers, not copied
    once more."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _block_files AS
        SELECT unnest(?::VARCHAR[]) AS source_file, unnest(range(1, len(?::VARCHAR[]) + 1)) AS file_order""",
        [files, files],
    )
    of_files = "reject_reason IS NULL AND source_file IN (SELECT source_file FROM _block_files)"
    accepted = f"{PAPERS_FROM_PARSED_SQL} WHERE {of_files}"
    repeats = con.execute(f"SELECT count(*) - count(DISTINCT arxiv_id) FROM _parsed WHERE {of_files}").fetchone()[0]
    if not repeats:
        con.execute(f"CREATE OR REPLACE TEMP VIEW _block AS {accepted}")
        return
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _block_rows AS
        SELECT a.* FROM ({accepted}) a JOIN _block_files f USING (source_file)
        QUALIFY row_number() OVER (
            PARTITION BY arxiv_id ORDER BY {NEWEST_FIRST}, f.file_order DESC, line_no DESC) = 1"""
    )
    con.execute("CREATE OR REPLACE TEMP VIEW _block AS FROM _block_rows")


def undo_file(con: duckdb.DuckDBPyConnection, file_name: str, now: datetime) -> None:
    """Take back every row the file wrote in this load, and put back the rows it replaced."""
    mine = f"SELECT arxiv_id FROM papers p WHERE ingested_at = ?::TIMESTAMP AND {_FILE_OF_DETAIL.format(x='p')} = ?"
    con.execute(f"DELETE FROM paper_authors WHERE arxiv_id IN ({mine})", [now, file_name])
    con.execute(f"DELETE FROM papers WHERE arxiv_id IN ({mine})", [now, file_name])
    con.execute(f"INSERT INTO papers SELECT * FROM {UNDO_PAPERS}")
    con.execute(f"INSERT INTO paper_authors SELECT * FROM {UNDO_AUTHORS}")
    con.execute(f"DELETE FROM {TOUCHED} WHERE file_name = ?", [file_name])
    keep_file(con)


def keep_file(con: duckdb.DuckDBPyConnection) -> None:
    """The file's fate is known: the rows it replaced need not be kept any longer."""
    con.execute(f"DELETE FROM {UNDO_PAPERS}; DELETE FROM {UNDO_AUTHORS}")


def load_counts(con: duckdb.DuckDBPyConnection, now: datetime) -> UpsertCounts:
    """Each paper the load met, counted once: inserted (new), updated (a stored row replaced), else unchanged or
    older (the stored row kept)."""
    inserted, updated, unchanged, older = con.execute(
        f"""WITH updated AS (SELECT DISTINCT arxiv_id FROM {TOUCHED} WHERE kind = 'updated'),
        unchanged AS (
            SELECT DISTINCT arxiv_id FROM {TOUCHED} WHERE kind = 'unchanged' AND arxiv_id NOT IN (FROM updated)
        )
        SELECT
            (SELECT count(*) FROM papers WHERE ingested_at = ?::TIMESTAMP AND arxiv_id NOT IN (FROM updated)),
            (SELECT count(*) FROM updated),
            (SELECT count(*) FROM unchanged),
            (SELECT count(DISTINCT arxiv_id) FROM {TOUCHED}
                WHERE kind = 'older' AND arxiv_id NOT IN (FROM updated) AND arxiv_id NOT IN (FROM unchanged))""",
        [now],
    ).fetchone()
    return UpsertCounts(inserted=inserted, updated=updated, unchanged=unchanged, older=older)
