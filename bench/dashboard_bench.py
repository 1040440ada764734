"""Dashboard speed: each page's queries (p50/p95, uncached) and its render through AppTest (cold and warm).

The queries a page runs are recorded from a real render (dashboards.data.RECORDER), then replayed directly against
the warehouse, uncached, each with its own short-lived connection, as a cache miss would run them.

    .venv/bin/python -m bench.dashboard_bench                      # the published warehouse
    .venv/bin/python -m bench.dashboard_bench --warehouse PATH --repeat 20 --json out.json
    .venv/bin/python -m bench.dashboard_bench --synthetic 2700000  # build a full-scale warehouse first

`--synthetic N` writes bench/out/dashboard-<N>.duckdb with every contract table: N papers resampled from the
published warehouse's real papers (fresh ids, dates over 2007-2026 weighted to recent years), synthetic labels
(~5 % broad, ~1.5 % narrow safety) and marts aggregated from them. For timing pages before the real marts exist;
`make bench` times the real pipeline's warehouse.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from dashboards import pages as registry
from pipelines import settings

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboards" / "app.py"
BENCH_OUT = Path(__file__).resolve().parent / "out"
PAGES = [p.name for p in registry.PAGES]
# The explorer's search box is empty on first render; time a typical search as well.
EXPLORER_SEARCHES = {
    "paper_explorer (search)": {"q": "reward model", "safety": "all"},
    "paper_explorer (phrase, broad)": {"q": '"language models" safety', "safety": "broad"},
    "paper_explorer (author)": {"q": "author:wang", "safety": "all"},
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def _apptest(page: str, query: dict | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page(f"views/{page}.py")
    if query:
        at.query_params = dict(query)
    return at


def bench_page(page: str, warehouse: Path, repeat: int, query: dict | None = None) -> dict:
    import streamlit as st

    from dashboards import data, queries

    at = _apptest(page, query)
    st.cache_data.clear()
    data.RECORDER = []
    at.run()
    recorded, data.RECORDER = data.RECORDER, None

    def cold_run() -> None:
        st.cache_data.clear()
        at.run()

    cold = percentile(_timed(cold_run, 3), 0.5)
    if at.exception:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")

    calls = [(getattr(queries, name), args, kwargs) for name, args, kwargs, _ in recorded]

    def replay() -> None:  # as one uncached render runs them: sharing one connection
        with queries.shared_connection():
            for fn, args, kwargs in calls:
                fn(warehouse, *args, **kwargs)

    query_times = _timed(replay, repeat)
    per_query: dict[str, float] = {}
    with queries.shared_connection():  # the query alone, without opening the file
        queries.table_names(warehouse)
        for fn, args, kwargs in calls:
            times = _timed(lambda f=fn, a=args, k=kwargs: f(warehouse, *a, **k), max(3, repeat // 4))
            per_query[fn.__name__] = max(per_query.get(fn.__name__, 0.0), percentile(times, 0.95))
    warm = _timed(at.run, repeat)
    return {
        "page": page,
        "n_queries": len(calls),
        "queries_p50_s": percentile(query_times, 0.5),
        "queries_p95_s": percentile(query_times, 0.95),
        "slowest_query": max(per_query, key=per_query.get) if per_query else None,
        "slowest_query_p95_s": max(per_query.values()) if per_query else 0.0,
        "render_cold_s": cold,  # median of 3 cache-cleared renders (key read by bench/run.py)
        "render_cold_p50_s": cold,
        "render_warm_p50_s": percentile(warm, 0.5),
        "render_warm_p95_s": percentile(warm, 0.95),
    }


def run(warehouse: Path, repeat: int) -> list[dict]:
    os.environ["WAREHOUSE_PATH"] = str(warehouse)
    results = [bench_page(page, warehouse, repeat) for page in PAGES]
    for label, query in EXPLORER_SEARCHES.items():
        results.append({**bench_page("paper_explorer", warehouse, repeat, query), "page": label})
    return results


def report(results: list[dict], warehouse: Path) -> str:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        n_papers = con.execute("SELECT count(*) FROM papers").fetchone()[0]
    finally:
        con.close()
    lines = [
        f"Dashboard on {warehouse} ({n_papers:,} papers); times in ms",
        f"{'page':26} {'queries':>7} {'q p50':>8} {'q p95':>8} {'slowest query (p95)':>34} "
        f"{'cold p50':>8} {'warm p50':>9} {'warm p95':>9}",
    ]
    for r in results:
        slowest = f"{r['slowest_query']} {1000 * r['slowest_query_p95_s']:.0f}"
        lines.append(
            f"{r['page']:26} {r['n_queries']:>7} {1000 * r['queries_p50_s']:>8.0f} {1000 * r['queries_p95_s']:>8.0f} "
            f"{slowest:>34} {1000 * r['render_cold_p50_s']:>8.0f} {1000 * r['render_warm_p50_s']:>9.0f} "
            f"{1000 * r['render_warm_p95_s']:>9.0f}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- synthetic full-scale warehouse

TOPICS = [
    "interpretability", "evaluations", "red_teaming", "alignment_training", "scalable_oversight", "ai_control",
    "deception", "unlearning", "agent_safety", "agent_foundations", "governance", "safety_general", "robustness",
    "fairness", "privacy", "hallucination",
]  # fmt: skip
ORGS = {
    "frontier_lab": ["OpenAI", "Anthropic", "Google DeepMind", "Meta AI"],
    "industry": ["Microsoft Research", "NVIDIA", "IBM Research", "Amazon"],
    "academic": ["MIT", "Stanford University", "University of Oxford", "Tsinghua University", "ETH Zurich", "CMU"],
    "nonprofit": ["Redwood Research", "METR", "Apollo Research"],
    "government": ["UK AI Security Institute", "NIST"],
}


def build_synthetic(out: Path, n: int, source: Path) -> Path:
    """A warehouse of `n` papers resampled from `source`'s real papers, with synthetic labels and marts."""
    from pipelines import contract

    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    con = duckdb.connect(str(out))
    con.execute(f"SET memory_limit = '{settings.duckdb_memory_limit()}'")
    con.execute("SET preserve_insertion_order = false")
    con.execute(contract.ddl())
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    topics = "[" + ", ".join(f"'{t}'" for t in TOPICS) + "]"
    origins = [*ORGS, "mixed", "unknown"]
    started = time.perf_counter()
    size = con.execute("SELECT count(*) FROM src.papers").fetchone()[0]
    if not size:
        raise SystemExit(f"{source} has no papers to resample; run `make refresh` first")
    # Date density grows linearly towards 2026 (sqrt of a uniform), roughly like arXiv's submissions.
    con.execute(f"""
        INSERT INTO papers
        WITH base AS (SELECT row_number() OVER () - 1 AS k, * FROM src.papers),
        gen AS (
            SELECT i, i % {size} AS k,
                   DATE '2007-04-01' + CAST(floor(sqrt((hash(i) % 1000003) / 1000003.0) * 7060) AS INTEGER) AS d
            FROM range({n}) t(i)
        )
        SELECT strftime(g.d, '%y%m') || '.' || lpad(CAST(g.i AS VARCHAR), 7, '0'), b.title, b.abstract,
               b.primary_category, b.categories, b.authors, b.comments, NULL, NULL, g.d, 'listing', g.d, 1,
               'arxiv_snapshot', 'synthetic', now()::TIMESTAMP
        FROM gen g JOIN base b ON b.k = g.k
        ORDER BY g.d
    """)
    print(f"papers: {time.perf_counter() - started:.0f} s", flush=True)
    con.execute("""
        INSERT INTO paper_authors
        SELECT arxiv_id, CAST(pos AS INTEGER), authors[pos], lower(authors[pos]), NULL
        FROM (SELECT arxiv_id, authors, generate_subscripts(authors, 1) AS pos FROM papers)
    """)
    org_cases = " ".join(
        f"WHEN origin = '{o}' THEN [{', '.join(repr(x) for x in names)}][1 + h % {len(names)}]"
        for o, names in ORGS.items()
    )
    con.execute(f"""
        INSERT INTO paper_classification BY NAME
        WITH h AS (
            SELECT arxiv_id, CAST(hash(arxiv_id) % 1000000007 AS BIGINT) AS h0,
                   CAST(hash(arxiv_id || 'x') % 1000000007 AS BIGINT) AS h FROM papers
        ),
        labelled AS (
            SELECT arxiv_id, h, h0 % 1000 < 50 AS is_safety_broad, h0 % 1000 < 15 AS is_safety_narrow,
                   {topics}[1 + h % {len(TOPICS)}] AS t1, {topics}[1 + (h // 7) % {len(TOPICS)}] AS t2,
                   {origins!r}[1 + (h // 13) % {len(origins)}] AS origin
            FROM h
        )
        SELECT arxiv_id, is_safety_broad, is_safety_narrow,
               CASE WHEN is_safety_broad THEN 3.0 ELSE 0.0 END AS safety_score,
               CASE WHEN is_safety_broad THEN list_distinct([t1, t2]) ELSE []::VARCHAR[] END AS topics,
               CASE WHEN is_safety_broad THEN t1 END AS primary_topic,
               CASE WHEN is_safety_broad THEN 'synthetic' END AS safety_evidence,
               origin,
               CASE WHEN origin = 'mixed' THEN ['MIT', 'Google DeepMind']
                    WHEN origin = 'unknown' THEN []::VARCHAR[]
                    ELSE [CASE {org_cases} END] END AS organizations,
               'synthetic' AS origin_evidence, 0.9 AS origin_confidence, now()::TIMESTAMP AS classified_at
        FROM labelled
    """)
    con.execute("""
        INSERT INTO paper_relevance BY NAME SELECT arxiv_id, is_safety_broad, is_safety_narrow, safety_score, topics,
            primary_topic, safety_evidence, 'synthetic' AS classifier_version, classified_at FROM paper_classification;
        INSERT INTO paper_origins BY NAME SELECT arxiv_id, origin, organizations, origin_evidence, origin_confidence,
            'synthetic' AS origin_version, classified_at FROM paper_classification;
        INSERT INTO category_month_counts
            SELECT c, date_trunc('month', published_date)::DATE, count(*), count(*) FILTER (WHERE c = primary_category),
                   'arxiv_snapshot', now()::TIMESTAMP
            FROM (SELECT unnest(categories) AS c, primary_category, published_date FROM papers) GROUP BY ALL;
        INSERT INTO category_month_counts
            SELECT 'ALL_AI', date_trunc('month', published_date)::DATE, count(*), NULL, 'arxiv_snapshot',
                   now()::TIMESTAMP FROM papers GROUP BY ALL;
        INSERT INTO ingest_runs VALUES ('synthetic', 'papers', 'arxiv_snapshot', 'synthetic', NULL,
            now()::TIMESTAMP, now()::TIMESTAMP, 1.0, 0, 0, 0, 0, 0, 'success', 'synthetic benchmark warehouse');
        CREATE TABLE lp AS
            SELECT p.arxiv_id, date_trunc('month', p.published_date)::DATE AS month, c.is_safety_broad,
                   c.is_safety_narrow, c.topics, c.origin, c.organizations
            FROM papers p JOIN paper_classification c USING (arxiv_id);
        INSERT INTO safety_papers_by_organization_monthly BY NAME
            SELECT month, d AS definition, organization, origin, count(*) AS n_papers
            FROM (SELECT month, d, origin, unnest(list_distinct(organizations)) AS organization
                  FROM (SELECT *, unnest(['broad', 'narrow']) AS d FROM lp WHERE is_safety_broad)
                  WHERE d = 'broad' OR is_safety_narrow)
            GROUP BY ALL;
        INSERT INTO neglectedness_monthly BY NAME
            SELECT month, count(*) AS n_ai_papers, 'arxiv_snapshot' AS denominator_source,
                   count(*) FILTER (WHERE is_safety_broad) AS n_safety_broad,
                   count(*) FILTER (WHERE is_safety_narrow) AS n_safety_narrow,
                   count(*) FILTER (WHERE is_safety_broad) / count(*) AS share_broad,
                   count(*) FILTER (WHERE is_safety_narrow) / count(*) AS share_narrow
            FROM lp GROUP BY month;
        INSERT INTO safety_papers_by_topic_monthly BY NAME
            SELECT month, d AS definition, topic, count(*) AS n_papers
            FROM (SELECT month, d, unnest(topics) AS topic
                  FROM (SELECT *, unnest(['broad', 'narrow']) AS d FROM lp WHERE is_safety_broad)
                  WHERE d = 'broad' OR is_safety_narrow)
            GROUP BY ALL;
        INSERT INTO safety_papers_by_origin_monthly BY NAME
            SELECT month, d AS definition, origin, count(*) AS n_papers
            FROM (SELECT *, unnest(['broad', 'narrow']) AS d FROM lp WHERE is_safety_broad)
            WHERE d = 'broad' OR is_safety_narrow GROUP BY ALL;
        INSERT INTO lab_share_yearly BY NAME
            WITH y AS (SELECT year(month) AS year, d AS definition,
                   CASE WHEN d = 'broad' THEN is_safety_broad ELSE is_safety_narrow END AS s, origin
                   FROM lp, (SELECT unnest(['broad', 'narrow']) AS d))
            SELECT year, definition,
                   count(*) FILTER (WHERE s AND origin <> 'unknown') AS n_safety_known,
                   count(*) FILTER (WHERE s AND origin = 'frontier_lab') AS n_safety_lab,
                   n_safety_lab / nullif(n_safety_known, 0) AS lab_share_safety,
                   count(*) FILTER (WHERE origin <> 'unknown') AS n_ai_known,
                   count(*) FILTER (WHERE origin = 'frontier_lab') AS n_ai_lab,
                   n_ai_lab / nullif(n_ai_known, 0) AS lab_share_ai,
                   n_safety_known / nullif(count(*) FILTER (WHERE s), 0) AS known_origin_coverage_safety
            FROM y GROUP BY ALL;
        INSERT INTO topic_growth BY NAME
            WITH last AS (SELECT max(month) AS m FROM safety_papers_by_topic_monthly)
            SELECT topic, definition, any_value(l.m) AS window_end,
                   sum(n_papers) FILTER (WHERE month > l.m - INTERVAL 12 MONTH) AS n_last_12m,
                   sum(n_papers) FILTER (WHERE month <= l.m - INTERVAL 12 MONTH) AS n_prev_12m,
                   n_last_12m / nullif(n_prev_12m, 0) AS growth_ratio,
                   CASE WHEN growth_ratio > 1.5 THEN 'booming' WHEN growth_ratio > 1.1 THEN 'growing'
                        WHEN growth_ratio > 0.9 THEN 'stable' ELSE 'shrinking' END AS status
            FROM safety_papers_by_topic_monthly, last l
            WHERE month > l.m - INTERVAL 24 MONTH GROUP BY topic, definition;
        DROP TABLE lp;
        INSERT INTO field_size_estimates BY NAME SELECT * FROM (VALUES
            (2018, 'technical', NULL, 50.0, NULL, 'FTE', 'synthetic', 'synthetic', NULL, NULL),
            (2022, 'technical', 100.0, NULL, 200.0, 'FTE', 'synthetic', 'synthetic', NULL, NULL),
            (2025, 'technical', NULL, 600.0, NULL, 'FTE', 'synthetic', 'synthetic', NULL, NULL))
            t(year, scope, low, central, high, unit, source_title, author, url, method_note);
        INSERT INTO workforce_positions_yearly BY NAME
            SELECT y AS year, t AS org_type, 'technical' AS role, (y - 2010) * 10 AS n_people
            FROM range(2012, 2026) r(y), (SELECT unnest(['academic', 'nonprofit', 'frontier_lab']) AS t);
        INSERT INTO workforce_growth_fit BY NAME SELECT 'positions_total' AS series, 2012 AS year_from, 2025 AS year_to,
            0.2 AS annual_growth, 0.15 AS growth_low, 0.25 AS growth_high, 3.8 AS doubling_years, 14 AS n_points;
        INSERT INTO workforce_authors_yearly BY NAME
            SELECT y AS year, d AS definition, 1000 * (y - 2006) AS n_safety_authors_active,
                   300 * (y - 2006) AS n_safety_authors_core, 50000 * (y - 2006) AS n_ai_authors_active,
                   0.02 AS safety_author_share
            FROM range(2008, 2027) r(y), (SELECT unnest(['broad', 'narrow']) AS d);
        INSERT INTO papers_per_fte_yearly BY NAME SELECT 2025 AS year, 'synthetic' AS estimate_source,
            500.0 AS fte_low, 600.0 AS fte_central, 700.0 AS fte_high, 3000 AS n_safety_papers,
            5.0 AS papers_per_fte, 4.3 AS papers_per_fte_low, 6.0 AS papers_per_fte_high;
        INSERT INTO claims_check BY NAME SELECT 'synthetic claim' AS claim, 'synthetic' AS source,
            'synthetic' AS data_says, 'not_testable' AS verdict, '{}' AS numbers, now()::TIMESTAMP AS computed_at;
    """)
    con.execute("DETACH src")
    con.execute("CHECKPOINT")
    con.close()
    print(f"built {out} ({n:,} papers) in {time.perf_counter() - started:.0f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None, help="default: the published warehouse")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--synthetic", type=int, default=0, help="build a synthetic warehouse of N papers first")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    warehouse = (args.warehouse or settings.warehouse_path()).resolve()
    if args.synthetic:
        out = BENCH_OUT / f"dashboard-{args.synthetic}.duckdb"
        if not out.exists():
            build_synthetic(out, args.synthetic, warehouse)
        warehouse = out
    results = run(warehouse, args.repeat)
    print(report(results, warehouse))
    if args.json:
        args.json.write_text(json.dumps({"warehouse": str(warehouse), "pages": results}, indent=2))
    worst = max(r["render_warm_p95_s"] for r in results)
    print(f"slowest warm render p95: {1000 * worst:.0f} ms; median page queries p50: "
          f"{1000 * statistics.median(r['queries_p50_s'] for r in results):.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
