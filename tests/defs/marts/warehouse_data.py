"""A small hand-made warehouse with the contract's input tables, for the workforce and marts asset tests."""

import datetime as dt
from pathlib import Path

import polars as pl

from pipelines.resources import WarehouseResource

POSITIONS_CSV = (
    (
        "person,organization,title,start_date,start_date_precision,end_date,end_date_precision,employment_type,"
        "cause_area,ai_safety_relation,subject\n"
    )
    + """Ann,OpenAI,Research Scientist,2018-01-01,month,2020-06-01,month,full-time,AI safety,,
Ben,OpenAI,Operations Manager,2019-3-01,month,,,,AI safety,,
Cat,Machine Intelligence Research Institute,Researcher,2016,year,2024-01-01,month,,AI safety,,
Dan,Machine Intelligence Research Institute,Board Member,2016-01-01,month,,,board member,AI safety,,
Eve,Some Unknown Lab,Engineer,2021-05-01,day,,,,AI safety,,
Fay,Some Unknown Lab,Engineer,2022-05-01,day,,,,Animal welfare,,
"""
)


def papers_frame() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Papers over 2024-01..2025-12, 20 a month; every 4th is broad safety, every 8th narrow; 3 authors each."""
    rows, authors, classification = [], [], []
    months = [dt.date(2024 + i // 12, i % 12 + 1, 1) for i in range(24)]
    for m_index, month in enumerate(months):
        for k in range(20):
            arxiv_id = f"{month:%y%m}.{k:05d}"
            rows.append((arxiv_id, f"Paper {arxiv_id}", month + dt.timedelta(days=k), ["cs.LG" if k % 5 else "cs.CR"]))
            for position in range(3):
                name = f"author {(m_index * 7 + k * 3 + position) % 40}"
                authors.append((arxiv_id, position + 1, name.title(), name, None))
            broad, narrow = k % 4 == 0, k % 8 == 0
            topic = ("interpretability" if k % 16 == 0 else "red_teaming") if broad else None
            origin = ["academic", "frontier_lab", "industry", "unknown", "mixed"][k % 5]
            classification.append((arxiv_id, broad, narrow, topic, origin))
    papers = pl.DataFrame(rows, schema=["arxiv_id", "title", "published_date", "categories"], orient="row")
    paper_authors = pl.DataFrame(
        authors, schema=["arxiv_id", "position", "name", "name_normalized", "affiliation"], orient="row"
    )
    cls = pl.DataFrame(
        classification,
        schema=["arxiv_id", "is_safety_broad", "is_safety_narrow", "primary_topic", "origin"],
        orient="row",
    )
    return papers, paper_authors, cls


def build(warehouse: WarehouseResource, tmp_path: Path) -> Path:
    """Fill the warehouse's input tables and write a position-records CSV; returns the CSV path."""
    papers, paper_authors, cls = papers_frame()
    with warehouse.transaction() as con:
        con.register("p", papers)
        con.execute(
            """INSERT INTO papers (arxiv_id, title, categories, published_date, source, ingested_at)
            SELECT arxiv_id, title, categories, published_date, 'arxiv_snapshot', now() FROM p"""
        )
        con.register("a", paper_authors)
        con.execute("INSERT INTO paper_authors SELECT * FROM a")
        con.register("c", cls)
        con.execute(
            """CREATE TABLE paper_classification AS
            SELECT arxiv_id, is_safety_broad, is_safety_narrow, 0.5 AS safety_score,
                   CASE WHEN primary_topic IS NULL THEN []::VARCHAR[] ELSE [primary_topic] END AS topics,
                   primary_topic, NULL::VARCHAR AS safety_evidence, origin,
                   CASE origin WHEN 'academic' THEN ['MIT'] WHEN 'frontier_lab' THEN ['OpenAI']
                        WHEN 'industry' THEN ['Microsoft'] WHEN 'mixed' THEN ['MIT', 'OpenAI']
                        ELSE []::VARCHAR[] END AS organizations,
                   NULL::VARCHAR AS origin_evidence, 0.5 AS origin_confidence,
                   origin = 'frontier_lab' AS has_frontier_lab_author, origin = 'industry' AS has_industry_author,
                   origin = 'academic' AS has_academic_author, origin = 'nonprofit' AS has_nonprofit_author,
                   origin = 'government' AS has_government_author,
                   CASE WHEN origin = 'mixed' THEN 'unknown' ELSE origin END AS first_author_class,
                   'unknown' AS last_author_class, (origin <> 'unknown')::INT::UINTEGER AS n_authors_placed,
                   now() AS classified_at
            FROM c"""
        )
        con.execute(
            """INSERT INTO category_month_counts
            SELECT 'ALL_AI', date_trunc('month', published_date)::DATE, count(*), NULL, 'arxiv_snapshot', now()
            FROM papers WHERE list_has_any(categories, ['cs.LG']) GROUP BY 2"""
        )
    path = tmp_path / "positions.csv"
    path.write_text(POSITIONS_CSV)
    return path
