"""Classification assets: `paper_relevance` (safety relevance and topics, incremental) and
`paper_classification` (relevance joined with origins: the table users query)."""

from datetime import datetime

import dagster as dg
import duckdb
import polars as pl

from pipelines import contract, settings
from pipelines.inputs import classifier_bundle
from pipelines.judged_sample import judged_ai_papers
from pipelines.lib.eval_sets import judged_accuracy
from pipelines.lib.relevance import (
    classifier_version,
    classify_relevance,
    counted_researchers,
    uses_authors,
)
from pipelines.lib.relevance_model import RelevanceModel
from pipelines.lib.taxonomy import Taxonomy
from pipelines.resources import WarehouseResource
from pipelines.warehouse import append_rows, table_columns, table_exists, write_table

# Papers classified per batch: bounds memory (about 0.5 GiB of Polars working set per 125k papers; smaller batches
# cost no measurable time).
BATCH_SIZE = 125_000
# DuckDB's memory while the batches are classified: it only reads each batch's rows by id, and a cache beyond this
# would sit beside Polars' working set and raise the step's peak (5.4 GiB at 2.7M papers with 3 GB).
CLASSIFY_DUCKDB_MEMORY = "1GB"

PAPER_RELEVANCE_DDL = contract.table("paper_relevance").ddl()

# Papers without a current row: new, re-ingested since classification, or classified by another version.
TODO_SQL = """
CREATE OR REPLACE TEMP TABLE _relevance_todo AS
SELECT p.arxiv_id, (row_number() OVER (ORDER BY p.arxiv_id) - 1) // ? AS batch
FROM papers p LEFT JOIN paper_relevance r USING (arxiv_id)
WHERE r.arxiv_id IS NULL OR r.classifier_version <> ? OR p.ingested_at > r.classified_at
"""

BATCH_SQL = """
SELECT p.arxiv_id, p.title, p.abstract, p.categories, p.primary_category, a.authors
FROM papers p JOIN _relevance_todo t USING (arxiv_id) LEFT JOIN _relevance_authors a USING (arxiv_id)
WHERE t.batch = ?
"""
# The authors of the papers to classify who are in the AI-safety researcher list (safety_authors.py). Only those
# can match, so the rest of paper_authors never leaves DuckDB.
AUTHORS_SQL = """
CREATE OR REPLACE TEMP TABLE _relevance_authors AS
SELECT a.arxiv_id, list(a.name_normalized ORDER BY a.position) AS authors
FROM paper_authors a JOIN _relevance_todo t USING (arxiv_id)
WHERE a.name_normalized IN (SELECT name_normalized FROM _researchers)
GROUP BY a.arxiv_id
"""
NO_AUTHORS_SQL = "CREATE OR REPLACE TEMP TABLE _relevance_authors (arxiv_id VARCHAR, authors VARCHAR[])"

CLASSIFICATION_SQL = """
INSERT INTO paper_classification BY NAME
SELECT r.arxiv_id, r.is_safety_broad, r.is_safety_narrow, r.safety_score, r.topics, r.primary_topic,
       r.safety_evidence,
       coalesce(o.origin, 'unknown') AS origin,
       coalesce(o.organizations, []::VARCHAR[]) AS organizations,
       o.origin_evidence,
       coalesce(o.origin_confidence, 0.0)::DOUBLE AS origin_confidence,
       coalesce(o.has_frontier_lab_author, false) AS has_frontier_lab_author,
       coalesce(o.has_industry_author, false) AS has_industry_author,
       coalesce(o.has_academic_author, false) AS has_academic_author,
       coalesce(o.has_nonprofit_author, false) AS has_nonprofit_author,
       coalesce(o.has_government_author, false) AS has_government_author,
       coalesce(o.first_author_class, 'unknown') AS first_author_class,
       coalesce(o.last_author_class, 'unknown') AS last_author_class,
       coalesce(o.n_authors_placed, 0)::UINTEGER AS n_authors_placed,
       greatest(r.classified_at, o.classified_at) AS classified_at
FROM paper_relevance r
JOIN papers p USING (arxiv_id)
LEFT JOIN {origins} o USING (arxiv_id)
{where}
"""
# Papers whose paper_classification row is missing or older than its relevance or origin row.
CLASSIFICATION_TODO_SQL = """
CREATE OR REPLACE TEMP TABLE _classification_todo AS
SELECT r.arxiv_id
FROM paper_relevance r
JOIN papers p USING (arxiv_id)
LEFT JOIN {origins} o USING (arxiv_id)
LEFT JOIN paper_classification c USING (arxiv_id)
WHERE c.arxiv_id IS NULL OR c.classified_at IS DISTINCT FROM greatest(r.classified_at, o.classified_at)
"""
TODO_FILTER = "WHERE r.arxiv_id IN (SELECT arxiv_id FROM _classification_todo)"

# Stand-in while paper_origins has not been built yet: every origin is then 'unknown'.
NO_ORIGINS = contract.table("paper_origins").empty_select()


def update_relevance(
    con: duckdb.DuckDBPyConnection,
    taxonomy: Taxonomy,
    model: RelevanceModel | None = None,
    *,
    researchers: pl.DataFrame | None = None,
    batch_size: int = BATCH_SIZE,
) -> dict:
    """Classify every paper lacking a current paper_relevance row, inside the caller's transaction.
    `researchers` (pipelines.inputs.safety_researchers) are matched to paper_authors when the model weighs
    authorship."""
    con.execute(PAPER_RELEVANCE_DDL)
    version = classifier_version(taxonomy, model, researchers)
    con.execute(TODO_SQL, [batch_size, version])
    counted = counted_researchers(model, researchers)
    authored = counted is not None and counted.height > 0 and table_exists(con, "paper_authors")
    if authored:
        con.register("_researchers", counted.select("name_normalized"))
        con.execute(AUTHORS_SQL)
        con.unregister("_researchers")
    else:
        con.execute(NO_AUTHORS_SQL)
    n_todo, n_batches = con.execute("SELECT count(*), count(DISTINCT batch) FROM _relevance_todo").fetchone()
    con.execute("DELETE FROM paper_relevance WHERE arxiv_id IN (SELECT arxiv_id FROM _relevance_todo)")
    n_orphans = con.execute(
        "DELETE FROM paper_relevance WHERE arxiv_id NOT IN (SELECT arxiv_id FROM papers)"
    ).fetchone()[0]
    classified_at = datetime.now()
    n_broad = n_narrow = 0
    con.execute(f"SET memory_limit = '{CLASSIFY_DUCKDB_MEMORY}'")
    for batch in range(n_batches):
        papers = con.sql(BATCH_SQL, params=[batch]).pl()
        result = classify_relevance(papers, taxonomy, model=model, researchers=researchers).with_columns(
            classified_at=pl.lit(classified_at)
        )
        n_broad += int(result["is_safety_broad"].sum())
        n_narrow += int(result["is_safety_narrow"].sum())
        append_rows(con, "paper_relevance", result)
    con.execute("DROP TABLE _relevance_todo")
    con.execute("DROP TABLE _relevance_authors")
    total = con.execute("SELECT count(*) FROM paper_relevance").fetchone()[0]
    return {
        "classifier_version": version,
        "second_stage": model is not None,
        "authorship": bool(authored),
        "classified": int(n_todo),
        "batches": int(n_batches),
        "newly_broad": n_broad,
        "newly_narrow": n_narrow,
        "removed_orphans": int(n_orphans),
        "rows": int(total),
    }


def build_classification(con: duckdb.DuckDBPyConnection) -> dict:
    """Bring paper_classification up to date with paper_relevance and paper_origins (in-DuckDB join): only the rows
    of papers classified since are written again; the whole table when it is missing or its columns changed."""
    con.execute(PAPER_RELEVANCE_DDL)
    origins = "paper_origins" if table_exists(con, "paper_origins") else NO_ORIGINS
    spec = contract.table("paper_classification")
    full = table_columns(con, "paper_classification") != set(spec.column_names)
    written: int | None = None
    if full:
        con.execute(spec.ddl(replace=True))
        con.execute(CLASSIFICATION_SQL.format(origins=origins, where=""))
    else:
        con.execute(CLASSIFICATION_TODO_SQL.format(origins=origins))
        con.execute("DELETE FROM paper_classification WHERE arxiv_id IN (SELECT arxiv_id FROM _classification_todo)")
        written = con.execute(CLASSIFICATION_SQL.format(origins=origins, where=TODO_FILTER)).fetchall()[0][0]
        con.execute("DROP TABLE _classification_todo")
        con.execute(
            """DELETE FROM paper_classification WHERE arxiv_id NOT IN
            (SELECT arxiv_id FROM paper_relevance JOIN papers USING (arxiv_id))"""
        )
    rows, broad, narrow, unknown = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE is_safety_broad), count(*) FILTER (WHERE is_safety_narrow),
                  count(*) FILTER (WHERE origin = 'unknown')
           FROM paper_classification"""
    ).fetchone()
    return {
        "rows": rows,
        "safety_broad": broad,
        "safety_narrow": narrow,
        "unknown_origin": unknown,
        "origins_available": origins == "paper_origins",
        "rows_written": rows if written is None else written,
    }


@dg.asset(
    group_name="classify",
    kinds={"duckdb", "polars"},
    deps=[dg.AssetDep("arxiv_snapshot_papers"), dg.AssetDep("arxiv_api_papers")],
    description="AI-safety relevance (broad and narrow), topics and matched evidence of every paper, from the "
    "phrases of seeds/taxonomy.yaml and the second stage seeds/relevance_model.json (pipelines/lib/relevance.py). "
    "Incremental: only papers without a row, re-ingested since, or classified by an older classifier version "
    "(a changed seed, model or code reclassifies all).",
)
def paper_relevance(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    bundle = classifier_bundle()
    if bundle.set_aside:
        context.log.warning(f"second stage not used: {bundle.set_aside}")
    if uses_authors(bundle.model) and bundle.researchers.height == 0:
        context.log.warning(
            f"the second stage weighs authorship but no AI-safety researchers were found in {settings.positions_path()}"
            " (AIWATCH_POSITIONS): no author counts"
        )
    with warehouse.transaction() as con:
        meta = update_relevance(con, bundle.taxonomy, bundle.model, researchers=bundle.researchers)
    context.log.info(f"classified {meta['classified']} papers in {meta['batches']} batches")
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    group_name="classify",
    kinds={"duckdb"},
    deps=[paper_relevance, dg.AssetDep("paper_origins")],
    description="What users query: relevance, topics and evidence joined with origin (LEFT JOIN: papers without "
    "an origin row are 'unknown'). Incremental: only papers whose relevance or origin was classified since are "
    "written again (in full when the table is missing or its columns changed).",
)
def paper_classification(warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.transaction() as con:
        meta = build_classification(con)
    return dg.MaterializeResult(metadata=meta)


@dg.asset(
    group_name="classify",
    kinds={"duckdb", "polars"},
    deps=[paper_classification],
    description="How paper_classification's labels compare with the judged corpus sample (seeds/eval, "
    "docs/labelling.md), per definition and split: judged and flagged shares, precision, recall. The test split is "
    "the honest figure (dev trained the second stage). Recomputed every run from the stored labels.",
)
def classifier_accuracy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.transaction() as con:
        frame = judged_accuracy(judged_ai_papers(con))
        write_table(con, "classifier_accuracy", frame, context.run_id)
    test = frame.filter(pl.col("split") == "test").rows_by_key("definition", named=True, unique=True)
    return dg.MaterializeResult(
        metadata={
            "rows": frame.height,
            **{f"{d}_{k}": v for d, row in test.items() for k, v in row.items() if k != "split" and v is not None},
        }
    )
