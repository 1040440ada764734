"""What placing authors from conference records costs the origin step: `classify_origin` with and without them.

    .venv/bin/python -m bench.origin_bench [--warehouse data/warehouse.duckdb] [--repeats 3]

Reads papers and authors from a warehouse (default: the published one), the AI Watch roster and the conference
affiliation records, then classifies every paper's origin `--repeats` times each way, as the `paper_origins` asset
does in one chunk; the median wall time of each is the figure, with the difference scaled to a million papers.
Building the places table itself (`author_places`, once per run, independent of the number of papers) is timed
apart. Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import duckdb

from pipelines import inputs, settings
from pipelines.lib.origin import classify_origin


def _median_seconds(fn, repeats: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, default=settings.warehouse_path())
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    con = duckdb.connect(str(args.warehouse), read_only=True)
    try:
        papers = con.sql("SELECT arxiv_id, title, abstract, comments, published_date FROM papers").pl()
        authors = con.sql("SELECT arxiv_id, name_normalized, affiliation, position FROM paper_authors").pl()
    finally:
        con.close()
    organizations, roster = inputs.organizations(), inputs.roster()
    started = time.perf_counter()
    places = inputs.record_places()
    build_s = time.perf_counter() - started
    if places is None:
        raise SystemExit("no author records: set AFFILIATIONS_FILE or EPOCH_MODELS_FILE")
    without_s, without_runs = _median_seconds(
        lambda: classify_origin(papers, authors, organizations, roster), args.repeats
    )
    with_s, with_runs = _median_seconds(
        lambda: classify_origin(papers, authors, organizations, roster, places=places), args.repeats
    )
    per_million = (with_s - without_s) * 1_000_000 / papers.height
    print(f"papers: {papers.height:,}; authors: {authors.height:,}; places: {places.height:,}")
    print(f"build author_places once: {build_s:.1f} s")
    print(
        f"classify_origin without people: median {without_s:.2f} s (runs {', '.join(f'{r:.2f}' for r in without_runs)})"
    )
    print(f"classify_origin with people:    median {with_s:.2f} s (runs {', '.join(f'{r:.2f}' for r in with_runs)})")
    print(f"added by people: {with_s - without_s:.2f} s, {per_million:.1f} s per million papers (target <= 15)")
    print(
        json.dumps(
            {
                "papers": papers.height,
                "build_places_s": build_s,
                "without_s": without_s,
                "with_s": with_s,
                "added_per_million_s": per_million,
            }
        )
    )


if __name__ == "__main__":
    main()
