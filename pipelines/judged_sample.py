"""The judged corpus sample (seeds/eval) joined to the warehouse: what the classifier's stored labels say of the
papers the rubric was read on. Read by the classifier_accuracy asset and the claims check."""

import duckdb
import polars as pl

from pipelines.eval_inputs import sample_labels
from pipelines.inputs import ai_categories

JUDGED_AI_SQL = """
SELECT p.title, j.narrow, j.broad, c.is_safety_narrow, c.is_safety_broad
FROM _judged j
JOIN papers p USING (arxiv_id)
JOIN paper_classification c USING (arxiv_id)
WHERE coalesce(list_has_any(p.categories, $ai_categories::VARCHAR[]), false)
"""


def judged_ai_papers(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The judged corpus sample's papers that the warehouse holds in AI categories (as the marts count AI papers),
    with their judgements and the warehouse's labels."""
    con.register("_judged", sample_labels().select("arxiv_id", "narrow", "broad"))
    try:
        return con.sql(JUDGED_AI_SQL, params={"ai_categories": ai_categories()}).pl()
    finally:
        con.unregister("_judged")
