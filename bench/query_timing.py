"""Latency of every dashboard query (each public function of dashboards/queries.py that takes the warehouse path),
against a published warehouse, with representative arguments, uncached (each call opens its own connection, as
the dashboard does on a cache miss). Used when bench/dashboard_bench.py (page-level timing) is absent.

    .venv/bin/python -m bench.query_timing WAREHOUSE [--repeats 20]   -> JSON on stdout
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

# The explorer's text searches timed at scale: one to three words (substrings included), phrases, author:.
EXPLORER_TEXT_SEARCHES = (
    ("alignment", "any"),
    ("agent", "any"),
    ("reward model", "any"),
    ("sparse autoencoder features", "any"),
    ('"reward model" deception', "broad"),
    ('"language models"', "any"),
    ('"reinforcement learning from human feedback"', "any"),
    ("author:wang", "any"),
    ("safety", "narrow"),
)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def date_range(warehouse: Path) -> tuple[dt.date, dt.date]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        first, last = con.execute("SELECT min(published_date), max(published_date) FROM papers").fetchone()
    finally:
        con.close()
    return first or dt.date(2007, 1, 1), last or dt.date.today()


def variants(fn: Callable, warehouse: Path, start: dt.date, end: dt.date) -> list[tuple[str, dict[str, Any]]]:
    """Argument sets for one query function: the dashboard's defaults and its heavier choices."""
    params = inspect.signature(fn).parameters
    base: dict[str, Any] = {"path": warehouse}
    if "start" in params:
        base["start"], base["end"] = start, end
    options: list[tuple[str, dict[str, Any]]] = [("", base)]
    if "definition" in params:
        options = [(f"definition={d}", {**base, "definition": d}) for d in ("broad", "narrow")]
    if "text" in params:
        options = [
            (f"text={text!r} safety={safety}", {**base, "text": text, "safety": safety})
            for text, safety in (("", "broad"), *EXPLORER_TEXT_SEARCHES)
        ]
    return options


def time_queries(warehouse: Path, repeats: int, budget_s: float = 5.0) -> dict:
    from dashboards import queries

    start, end = date_range(warehouse)
    results = []
    for name, fn in inspect.getmembers(queries, inspect.isfunction):
        if name.startswith("_") or fn.__module__ != queries.__name__:
            continue
        signature = inspect.signature(fn)
        if "path" not in signature.parameters or "DataFrame" not in str(signature.return_annotation):
            continue
        for label, kwargs in variants(fn, warehouse, start, end):
            path = kwargs.pop("path")
            try:
                first = time.perf_counter()
                fn(path, **kwargs)
                cold = time.perf_counter() - first
                times: list[float] = []
                # Slow queries stop repeating after `budget_s` (at least 3 timings), so a 5 s search costs 15 s.
                while len(times) < repeats and (len(times) < 3 or sum(times) < budget_s):
                    t0 = time.perf_counter()
                    fn(path, **kwargs)
                    times.append(time.perf_counter() - t0)
            except Exception as exc:  # report it, keep timing the others
                results.append({"query": name, "args": label, "error": f"{type(exc).__name__}: {exc}"[:300]})
                continue
            results.append(
                {
                    "query": name,
                    "args": label,
                    "first_ms": cold * 1e3,
                    "n": len(times),
                    "p50_ms": statistics.median(times) * 1e3,
                    "p95_ms": percentile(times, 95) * 1e3,
                    "max_ms": max(times) * 1e3,
                }
            )
    timed = [r for r in results if "p95_ms" in r]
    return {
        "method": "dashboards/queries.py functions, uncached, one connection per call",
        "repeats": repeats,
        "queries": results,
        "p50_ms": statistics.median([r["p50_ms"] for r in timed]) if timed else None,
        "p95_ms": max(r["p95_ms"] for r in timed) if timed else None,
        "slowest": max(timed, key=lambda r: r["p95_ms"])["query"] if timed else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(time_queries(args.warehouse, args.repeats), default=str))


if __name__ == "__main__":
    main()
