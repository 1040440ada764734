"""The judged sample's AI papers: what the claims check and classifier_accuracy read."""

import duckdb

from pipelines.eval_inputs import sample_labels
from pipelines.inputs import ai_categories
from pipelines.judged_sample import judged_ai_papers


def test_only_judged_papers_in_ai_categories_that_the_warehouse_holds():
    ids = sample_labels()["arxiv_id"].head(3).to_list()
    con = duckdb.connect()
    con.execute("CREATE TABLE papers (arxiv_id VARCHAR, title VARCHAR, categories VARCHAR[])")
    con.execute(
        "CREATE TABLE paper_classification (arxiv_id VARCHAR, is_safety_narrow BOOLEAN, is_safety_broad BOOLEAN)"
    )
    ai = ai_categories()[0]
    con.execute("INSERT INTO papers VALUES (?, 'A', ?), (?, 'B', ?)", [ids[0], [ai, "q-bio.GN"], ids[1], ["q-bio.GN"]])
    con.execute("INSERT INTO paper_classification VALUES (?, true, true), (?, false, false)", [ids[0], ids[1]])
    judged = judged_ai_papers(con)
    assert judged.height == 1
    assert judged.columns == ["title", "narrow", "broad", "is_safety_narrow", "is_safety_broad"]
    assert "_judged" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
