"""The evaluation's inputs, read for the scripts (evaluate, train_relevance, draw_blind, evaluate_blind) and the
judged-sample asset: the label files in the shared data (settings.labels_dir), the judged sets of seeds/eval and the
arXiv snapshot as the classifier reads it. Parsing and checks are pipelines/lib's (labels.py, eval_sets.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipelines import settings
from pipelines.lib import eval_sets as es
from pipelines.lib import labels as lab
from pipelines.lib.names import normalize_name_sql
from pipelines.lib.origin_eval import corpus_name_counts
from pipelines.lib.snapshot_sql import authors_list_sql

CORPUS_COLUMNS = ("id", "title", "abstract", "categories", "authors")


def _strings(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False)


# ---------------------------------------------------------------- label files in the shared data


def tai_raw() -> pl.DataFrame:
    """The TAI Safety Bibliography file as strings (origin_eval reads its dates and raw author strings)."""
    return _strings(settings.labels_dir() / lab.TAI_FILE)


def tai() -> pl.DataFrame:
    return lab.parse_tai(tai_raw())


def an_category_map(path: Path | None = None) -> dict[str, str | None]:
    path = path or settings.SEEDS_DIR / lab.AN_MAP_FILE
    return lab.parse_an_category_map(path.read_text(), str(path))


def alignment_newsletter() -> pl.DataFrame:
    raw = _strings(settings.labels_dir() / lab.AN_FILE)
    return lab.alignment_newsletter(raw, tai(), an_category_map())


def alignment_graph() -> pl.DataFrame:
    return lab.parse_alignment_graph(_strings(settings.labels_dir() / lab.AG_FILE))


# ---------------------------------------------------------------- the arXiv snapshot


def corpus(path: Path | None = None, columns: tuple[str, ...] = CORPUS_COLUMNS) -> pl.DataFrame:
    """The arXiv snapshot (a .jsonl[.gz] file or a folder of them; settings.snapshot_path by default) as a frame
    with the `papers` column names the classifier reads: arxiv_id, title, abstract, categories (list),
    primary_category, authors (normalised names, parsed as ingestion parses them).
    """
    path = path or settings.snapshot_path()
    pattern = str(path / "*.jsonl*") if path.is_dir() else str(path)
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        schema = ", ".join(f"{c}: 'VARCHAR'" for c in columns)
        names = f"list_transform({authors_list_sql('authors')}, lambda a: {normalize_name_sql('a.name')})"
        authors = names if "authors" in columns else "[]::VARCHAR[]"
        frame = con.sql(
            f"""
            SELECT id AS arxiv_id, title, abstract,
                   string_split(trim(categories), ' ') AS categories,
                   split_part(trim(categories), ' ', 1) AS primary_category,
                   {authors} AS authors
            FROM read_json(?, format = 'newline_delimited', columns = {{{schema}}})
            WHERE id IS NOT NULL
            """,
            params=[pattern],
        ).pl()
    finally:
        con.close()
    return frame.unique("arxiv_id", keep="first").sort("arxiv_id")


def corpus_name_statistics(path: Path | None = None) -> pl.DataFrame:
    """origin_eval.corpus_name_counts over the snapshot's records (raw author strings and listing dates)."""
    path = path or settings.snapshot_path()
    files = sorted(path.glob("*.jsonl*")) if path.is_dir() else [path]
    schema = {"id": pl.String, "authors": pl.String, "update_date": pl.String}
    return corpus_name_counts(pl.concat([pl.read_ndjson(f, schema=schema) for f in files]).unique("id"))


# ---------------------------------------------------------------- the judged sets of seeds/eval


def eval_path(name: str) -> Path:
    """A file of seeds/eval (the eval_sets *_FILE names)."""
    return settings.SEEDS_DIR / "eval" / name


def relabel_labels() -> pl.DataFrame:
    """The clarified rubric's second readings (eval_sets.parse_relabels); NO_RELABELS without the file."""
    path = eval_path(es.RELABEL_FILE)
    return es.parse_relabels(_strings(path), str(path)) if path.is_file() else es.NO_RELABELS


def sample_labels(relabels: pl.DataFrame | None = None) -> pl.DataFrame:
    """The judged corpus sample; `relabels` (default: relabel_labels()) replace the first readings they cover."""
    path = eval_path(es.SAMPLE_FILE)
    return es.parse_sample_labels(_strings(path), _or_relabels(relabels), str(path))


def pool_labels(relabels: pl.DataFrame | None = None) -> pl.DataFrame:
    path = eval_path(es.POOL_FILE)
    return es.parse_pool_labels(_strings(path), _or_relabels(relabels), str(path))


def audit_labels(relabels: pl.DataFrame | None = None) -> pl.DataFrame:
    path = eval_path(es.AUDIT_FILE)
    return es.parse_audit_labels(_strings(path), _or_relabels(relabels), str(path))


def _or_relabels(given: pl.DataFrame | None) -> pl.DataFrame:
    return relabel_labels() if given is None else given


def tai_rubric_labels() -> pl.DataFrame:
    path = eval_path(es.TAI_RUBRIC_FILE)
    return es.parse_tai_rubric_labels(_strings(path), str(path))


def hard_labels() -> pl.DataFrame:
    path = eval_path(es.HARD_FILE)
    return es.parse_hard_labels(_strings(path), str(path))


def blind_labels(name: str = es.BLIND_FILE) -> pl.DataFrame:
    """The fresh blind set (BLIND_FILE), or its second reading (BLIND_SECOND_FILE)."""
    path = eval_path(name)
    return es.parse_blind_labels(_strings(path), str(path))


def blind_strata() -> pl.DataFrame:
    path = eval_path(es.BLIND_STRATA_FILE)
    frame = pl.read_csv(path, schema_overrides={"population": pl.Int64, "drawn": pl.Int64})
    return es.parse_blind_strata(frame, str(path))


def reread_labels(name: str = es.REREAD_FILE) -> pl.DataFrame:
    """The judged sample's test split read again (REREAD_FILE), or a third time (REREAD_CLARIFIED_FILE)."""
    path = eval_path(name)
    return es.parse_reread_labels(_strings(path), str(path))


def mixed_labels() -> pl.DataFrame:
    path = eval_path(es.MIXED_FILE)
    return es.parse_mixed_labels(_strings(path), str(path))
