"""The explorer's full-text search: index build (or update) time and size, and search latency at scale.

    .venv/bin/python -m bench.search_bench                                   # the published warehouse
    .venv/bin/python -m bench.search_bench --warehouse bench/out/dashboard-2700000.duckdb --rebuild

The index is updated as the publish step does it (--rebuild: built from scratch, the first publish's cost). Each
query then runs through dashboards.queries.search_papers uncached (the dashboard's cost on a cache miss: the index
lookup, then labels joined in DuckDB), with the explorer's defaults (all dates, 500 rows); `index_ms` is the index
lookup alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import time
from pathlib import Path

from bench.query_timing import date_range, percentile
from pipelines import search_index, search_lookup, settings
from pipelines.lib import search_query

QUERIES = {
    "1 word": ["alignment", "agent", "interpretability", "robustness", "transformer", "jailbreak"],
    "2 words": ["reward model", "language agents", "adversarial examples", "safety evaluation"],
    "3 words": ["sparse autoencoder features", "large language model", "reinforcement learning human"],
    "phrase": ['"language models"', '"reward hacking"', '"reinforcement learning from human feedback"',
               '"adversarial robustness"', '"neural network"'],
    "author": ["author:wang", 'author:"yoshua bengio"'],
}  # fmt: skip
SAFETY = ("any", "broad")


def _timed(fn, repeats: int) -> list[float]:
    fn()  # first call: opens the index and warms the page cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def run(warehouse: Path, repeats: int, rebuild: bool) -> dict:
    from dashboards import queries

    if rebuild:
        shutil.rmtree(search_index.index_root(warehouse), ignore_errors=True)
    update = search_index.update_search_index(warehouse)
    start, end = date_range(warehouse)
    rows = []
    for group, texts in QUERIES.items():
        for text in texts:
            for safety in SAFETY:
                full = _timed(
                    lambda t=text, s=safety: queries.search_papers(warehouse, text=t, start=start, end=end, safety=s),
                    repeats,
                )
                hits = queries.search_papers(warehouse, text=text, start=start, end=end, safety=safety)
                parsed = search_query.parse(text)
                filters = search_query.SearchFilters(start, end, safety)
                index = _timed(lambda p=parsed, f=filters: search_lookup.search(warehouse, p, f, limit=501), 5)
                rows.append(
                    {
                        "group": group, "text": text, "safety": safety, "rows": hits.height,
                        "p50_ms": statistics.median(full) * 1e3, "p95_ms": percentile(full, 95) * 1e3,
                        "index_ms": statistics.median(index) * 1e3,
                    }
                )  # fmt: skip
                print(json.dumps(rows[-1]), flush=True)
    target = [r for r in rows if r["group"] != "author"]
    return {
        "warehouse": str(warehouse),
        "load_average": os.getloadavg(),
        "update": {
            "mode": update.mode,
            "seconds": update.seconds,
            "n_indexed": update.n_indexed,
            "n_docs": update.n_docs,
            "size_bytes": update.size_bytes,
        },
        "queries": rows,
        "p95_ms_words_and_phrases": max(r["p95_ms"] for r in target),
        "p50_ms_words_and_phrases": statistics.median(r["p50_ms"] for r in target),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None, help="default: the published warehouse")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--rebuild", action="store_true", help="time a build from scratch")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    result = run((args.warehouse or settings.warehouse_path()).resolve(), args.repeats, args.rebuild)
    summary = {k: v for k, v in result.items() if k != "queries"}
    print(json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
