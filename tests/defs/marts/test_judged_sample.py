"""The claims check reads the judged sample's AI papers only, as the shares it compares them with count AI papers."""

import duckdb

from pipelines.defs.marts.assets import ai_categories, judged_ai_papers
from pipelines.lib.eval_sets import load_sample_labels


def test_only_judged_papers_in_ai_categories_that_the_warehouse_holds():
    ids = load_sample_labels()["arxiv_id"].head(3).to_list()
    con = duckdb.connect()
    con.execute("CREATE TABLE papers (arxiv_id VARCHAR, categories VARCHAR[])")
    ai = ai_categories()[0]
    con.execute("INSERT INTO papers VALUES (?, ?), (?, ?)", [ids[0], [ai, "q-bio.GN"], ids[1], ["q-bio.GN"]])
    judged = judged_ai_papers(con)
    assert judged.height == 1 and judged.columns == ["narrow", "broad"]
    assert "_judged" not in {r[0] for r in con.execute("SHOW TABLES").fetchall()}
