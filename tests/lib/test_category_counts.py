"""The snapshot's denominators: per category and month, and ALL_AI for every month with papers (0 included)."""

import datetime as dt

import duckdb

from pipelines.lib.category_counts import snapshot_category_counts_sql

AI = ["cs.AI", "cs.LG", "stat.ML"]


def _counts(rows: list[tuple]) -> dict[tuple[str, dt.date], tuple[int, int]]:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE papers (arxiv_id VARCHAR, published_date DATE, categories VARCHAR[], primary_category VARCHAR, "
        "source VARCHAR)"
    )
    con.executemany("INSERT INTO papers VALUES (?, ?, ?, ?, 'arxiv_snapshot')", rows)
    sql, params = snapshot_category_counts_sql(AI)
    return {(c, m): (n, p) for c, m, n, p in con.execute(sql, params).fetchall()}


def test_all_ai_counts_distinct_ai_papers_and_is_zero_in_a_month_without_any():
    counts = _counts(
        [
            ("hep-th/9108001", dt.date(1991, 8, 14), ["hep-th"], "hep-th"),  # before any AI category
            ("0801.0001", dt.date(2008, 1, 3), ["cs.LG", "stat.ML"], "cs.LG"),
            ("0801.0002", dt.date(2008, 1, 9), ["math.ST", "stat.ML"], "math.ST"),
            ("0801.0003", dt.date(2008, 1, 9), ["quant-ph"], "quant-ph"),
        ]
    )
    assert counts[("ALL_AI", dt.date(1991, 8, 1))] == (0, 0)  # counted: none, not missing
    assert counts[("hep-th", dt.date(1991, 8, 1))] == (1, 1)
    assert counts[("ALL_AI", dt.date(2008, 1, 1))] == (2, 1)  # the quant-ph paper is not AI; stat.ML once
    assert counts[("stat.ML", dt.date(2008, 1, 1))] == (2, 0)
    assert counts[("quant-ph", dt.date(2008, 1, 1))] == (1, 1)  # non-AI categories keep their own counts
