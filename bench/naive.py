"""The naive baseline: the json module, a per-row Python loop, and row-by-row inserts into DuckDB.

It builds the same two tables as the real loader (papers with lists of categories and authors, and paper_authors),
with less validation. Measured on the first records of the corpus and extrapolated linearly, in two parts:
- parse: json.loads plus per-row field cleaning, on `parse_sample` records (cheap enough to sample large);
- insert: the parsed rows into a fresh file database, on `insert_sample` records, both with `executemany`
  (batches of 1,000) and with one `execute` per row in a single transaction; the faster one counts.

    .venv/bin/python -m bench.naive CORPUS_DIR WORK_DIR [--parse-sample 200000] [--insert-sample 2000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb

DDL = """
CREATE TABLE papers (arxiv_id VARCHAR, title VARCHAR, abstract VARCHAR, primary_category VARCHAR,
    categories VARCHAR[], authors VARCHAR[], comments VARCHAR, journal_ref VARCHAR, doi VARCHAR,
    published_date DATE, updated_date DATE, latest_version INTEGER);
CREATE TABLE paper_authors (arxiv_id VARCHAR, position INTEGER, name VARCHAR, name_normalized VARCHAR);
"""
PAPER_INSERT = "INSERT INTO papers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
AUTHOR_INSERT = "INSERT INTO paper_authors VALUES (?, ?, ?, ?)"


def iter_lines(corpus: Path) -> Iterator[str]:
    for file in sorted(corpus.glob("*.jsonl.gz")):
        with gzip.open(file, "rt", encoding="utf-8") as f:
            yield from f


def _date(text: str | None, fmt: str) -> date | None:
    try:
        return datetime.strptime(text, fmt).date() if text else None
    except ValueError:
        return None


def parse_line(line: str) -> tuple[tuple, list[tuple]] | None:
    """One JSON line -> (papers row, paper_authors rows), or None when it is unusable."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        return None
    arxiv_id = (rec.get("id") or "").strip()
    title = " ".join((rec.get("title") or "").split())
    if not arxiv_id or not title:
        return None
    categories = (rec.get("categories") or "").split()
    names = (rec.get("authors") or "").replace(", and ", ", ").replace(" and ", ", ").split(",")
    authors = [n.strip() for n in names if n.strip()]
    versions = rec.get("versions") or []
    updated = _date(rec.get("update_date"), "%Y-%m-%d")
    v1 = _date(versions[0].get("created"), "%a, %d %b %Y %H:%M:%S %Z") if versions else None
    paper = (
        arxiv_id,
        title,
        (rec.get("abstract") or "").strip() or None,
        categories[0] if categories else None,
        categories,
        authors,
        rec.get("comments"),
        rec.get("journal-ref"),
        rec.get("doi"),
        v1 or updated,
        updated,
        len(versions) or None,
    )
    return paper, [(arxiv_id, i, name, name.lower()) for i, name in enumerate(authors, start=1)]


def parse_sample(corpus: Path, n: int) -> tuple[list[tuple[tuple, list[tuple]]], float, int]:
    """The first n records parsed; seconds spent (reading and decompressing included); lines read."""
    rows = []
    read = 0
    started = time.perf_counter()
    for line in iter_lines(corpus):
        read += 1
        parsed = parse_line(line)
        if parsed:
            rows.append(parsed)
        if read >= n:
            break
    return rows, time.perf_counter() - started, read


def insert_rows(db: Path, rows: list[tuple[tuple, list[tuple]]], mode: str) -> float:
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        con.execute(DDL)
        started = time.perf_counter()
        con.execute("BEGIN TRANSACTION")
        if mode == "executemany":
            for i in range(0, len(rows), 1000):
                batch = rows[i : i + 1000]
                con.executemany(PAPER_INSERT, [paper for paper, _ in batch])
                con.executemany(AUTHOR_INSERT, [a for _, authors in batch for a in authors])
        else:
            for paper, authors in rows:
                con.execute(PAPER_INSERT, paper)
                for author in authors:
                    con.execute(AUTHOR_INSERT, author)
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        return time.perf_counter() - started
    finally:
        con.close()


def naive_load(corpus: Path, work: Path, n_total: int, parse_n: int, insert_n: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    rows, parse_s, read = parse_sample(corpus, min(parse_n, n_total))
    sample = rows[: min(insert_n, len(rows))]
    insert = {mode: insert_rows(work / f"naive-{mode}.duckdb", sample, mode) for mode in ("executemany", "loop")}
    best = min(insert, key=insert.get)
    parse_per_rec = parse_s / read
    insert_per_rec = insert[best] / len(sample)
    return {
        "parse_sample": read,
        "parse_s": parse_s,
        "insert_sample": len(sample),
        "author_rows_in_insert_sample": sum(len(a) for _, a in sample),
        "insert_s": insert,
        "insert_mode": best,
        "parse_per_record_us": parse_per_rec * 1e6,
        "insert_per_record_us": {m: s / len(sample) * 1e6 for m, s in insert.items()},
        "extrapolated_parse_s": parse_per_rec * n_total,
        "extrapolated_s": (parse_per_rec + insert_per_rec) * n_total,
        "extrapolated_executemany_s": (parse_per_rec + insert["executemany"] / len(sample)) * n_total,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--n-total", type=int, required=True, help="records in the corpus, to extrapolate to")
    parser.add_argument("--parse-sample", type=int, default=200_000)
    parser.add_argument("--insert-sample", type=int, default=2_000)
    args = parser.parse_args()
    print(json.dumps(naive_load(args.corpus, args.work, args.n_total, args.parse_sample, args.insert_sample)))


if __name__ == "__main__":
    main()
