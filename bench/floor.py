"""The physical floor: DuckDB's own `read_json` of the snapshot files into a table of a fresh file database.

No validation, no upsert, no authors table: what it costs DuckDB just to decompress, parse and store the records.

    .venv/bin/python -m bench.floor CORPUS_DIR DB_PATH [--memory-limit 4GB]   -> one JSON line on stdout
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb


def floor_load(corpus: Path, db: Path, memory_limit: str) -> dict[str, float | int]:
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET enable_progress_bar = false")
        started = time.perf_counter()
        con.execute(
            f"""CREATE TABLE raw AS
            SELECT * FROM read_json('{corpus}/*.jsonl.gz', format = 'newline_delimited')"""
        )
        loaded = time.perf_counter()
        con.execute("CHECKPOINT")
        done = time.perf_counter()
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    finally:
        con.close()
    return {
        "rows": rows,
        "read_s": loaded - started,
        "checkpoint_s": done - loaded,
        "seconds": done - started,
        "db_bytes": db.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("db", type=Path)
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args()
    print(json.dumps(floor_load(args.corpus, args.db, args.memory_limit)))


if __name__ == "__main__":
    main()
