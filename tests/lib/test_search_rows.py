"""The display row DuckDB computes for the search index equals search_rows.display_row."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from pipelines.lib import search_rows

PAPER = {
    "arxiv_id": "2401.00001", "published_date": dt.date(2024, 1, 5), "title": 'Reward "Hacking" — in RLHF',
    "authors": ["Ana López", "Ben Carter"], "primary_category": "cs.LG", "categories": ["cs.LG", "cs.AI"],
}  # fmt: skip
LABELS = {
    "is_safety_broad": True, "is_safety_narrow": False, "topics": ["deception", "evals"], "primary_topic": "evals",
    "origin": "academic", "organizations": ["Lab A", "Uni B"], "safety_evidence": "line\nbreak",
    "origin_evidence": None,
}  # fmt: skip
NO_LABELS = dict.fromkeys(LABELS)


@pytest.mark.parametrize(
    ("paper", "labels", "classified"),
    [
        (PAPER, LABELS, True),
        (PAPER, {**LABELS, "is_safety_narrow": True}, True),
        (PAPER, {**LABELS, "is_safety_broad": False, "topics": [], "organizations": None}, True),
        ({**PAPER, "authors": [f"A{i}" for i in range(7)]}, LABELS, True),  # et al.
        ({**PAPER, "authors": [f"A{i}" for i in range(6)]}, LABELS, True),
        ({**PAPER, "authors": [], "categories": None, "published_date": None}, NO_LABELS, False),
        ({**PAPER, "authors": None}, NO_LABELS, False),
    ],
)
def test_display_row_json_sql_equals_display_row(paper: dict, labels: dict, classified: bool) -> None:
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE p (arxiv_id VARCHAR, published_date DATE, title VARCHAR, authors VARCHAR[],
               primary_category VARCHAR, categories VARCHAR[]);
           CREATE TABLE c (arxiv_id VARCHAR, is_safety_broad BOOLEAN, is_safety_narrow BOOLEAN, topics VARCHAR[],
               primary_topic VARCHAR, origin VARCHAR, organizations VARCHAR[], safety_evidence VARCHAR,
               origin_evidence VARCHAR)"""
    )
    con.execute("INSERT INTO p VALUES (?, ?, ?, ?, ?, ?)", list(paper.values()))
    if classified:
        con.execute("INSERT INTO c VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [paper["arxiv_id"], *labels.values()])
    sql = search_rows.display_row_json_sql("p", "c", "c.arxiv_id IS NOT NULL")
    (text,) = con.execute(f"SELECT {sql} FROM p LEFT JOIN c USING (arxiv_id)").fetchall()[0]
    expected = search_rows.display_row({**paper, **labels, "classified": classified})
    assert json.loads(text) == expected
    assert list(json.loads(text)) == list(search_rows.COLUMNS)
