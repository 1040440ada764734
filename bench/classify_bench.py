"""Classification throughput: `classify_relevance` on N papers resampled from the real corpus.

    .venv/bin/python -m bench.classify_bench [--papers 1000000] [--repeats 3] [--batch 250000] [--model FILE]

The corpus (settings.snapshot_path()) is read once and resampled with replacement to N papers (fixed seed), so
titles, abstracts and categories have real lengths and vocabulary. Each repeat classifies all N papers in
batches of --batch rows, as the `paper_relevance` asset does; the median wall time is the figure. Prints a
table and, last, one JSON line (for bench/run.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import polars as pl
import psutil

from pipelines import eval_inputs, inputs
from pipelines.lib.relevance import classifier_version, classify_relevance
from pipelines.lib.relevance_model import RelevanceModel
from pipelines.lib.taxonomy import Taxonomy

SEED = 20250301


def resampled_corpus(n: int) -> pl.DataFrame:
    corpus = eval_inputs.corpus()
    sample = corpus.sample(n=n, with_replacement=True, seed=SEED)
    return sample.with_columns(arxiv_id=pl.format("b{}", pl.int_range(pl.len())))


def classify_in_batches(
    papers: pl.DataFrame,
    batch: int,
    taxonomy: Taxonomy,
    model: RelevanceModel | None,
    researchers: pl.DataFrame | None = None,
) -> tuple[int, int]:
    broad = narrow = 0
    for start in range(0, papers.height, batch):
        out = classify_relevance(papers.slice(start, batch), taxonomy, model=model, researchers=researchers)
        broad += int(out["is_safety_broad"].sum())
        narrow += int(out["is_safety_narrow"].sum())
    return broad, narrow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=250_000)
    parser.add_argument("--first-stage-only", action="store_true", help="phrases only, without the second stage")
    parser.add_argument("--model", type=Path, help="another second-stage file (e.g. an older one, to compare)")
    args = parser.parse_args(argv)

    bundle = inputs.classifier_bundle()
    taxonomy, model, researchers = bundle.taxonomy, bundle.model, bundle.researchers
    if args.model:
        model = inputs.relevance_model(args.model)
    if args.first_stage_only:
        model = None
    started = time.perf_counter()
    papers = resampled_corpus(args.papers)
    prepared = time.perf_counter() - started
    process = psutil.Process()
    baseline_rss = process.memory_info().rss
    timings, counts = [], (0, 0)
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        counts = classify_in_batches(papers, args.batch, taxonomy, model, researchers)
        timings.append(time.perf_counter() - t0)
    median = statistics.median(timings)
    result = {
        "benchmark": "classify_relevance",
        "papers": papers.height,
        "batch": args.batch,
        "repeats": args.repeats,
        "median_s": round(median, 2),
        "min_s": round(min(timings), 2),
        "max_s": round(max(timings), 2),
        "papers_per_s": round(papers.height / median),
        "share_broad": round(counts[0] / papers.height, 4),
        "share_narrow": round(counts[1] / papers.height, 4),
        "rss_gib": round(process.memory_info().rss / 2**30, 2),
        "rss_input_gib": round(baseline_rss / 2**30, 2),
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "polars_threads": pl.thread_pool_size(),
        "second_stage": model is not None,
        "classifier_version": classifier_version(taxonomy, model, researchers),
        "prepare_s": round(prepared, 1),
    }
    print(
        f"classified {result['papers']:,} papers x {args.repeats}: median {median:.1f} s "
        f"({result['papers_per_s']:,} papers/s; runs {', '.join(f'{t:.1f}' for t in timings)} s) "
        f"on {result['cpus']} CPUs; broad {result['share_broad']:.2%}, narrow {result['share_narrow']:.2%}"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
