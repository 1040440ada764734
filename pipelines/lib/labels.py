"""Human (and peer-pipeline) labels of AI-safety work, parsed into tidy Polars frames for evaluation.

The files live in ../shared/data/labels; pipelines.eval_inputs reads them in place (never copied) as strings.
Every frame carries `item_key`, the normalised title, so that the same work lands on the same side of the
dev/test split whichever label set it comes from.
"""

from __future__ import annotations

import polars as pl
import yaml

from pipelines.lib.names import normalize_name_expr

TAI_FILE = "tai_safety_bibliography.csv"
AN_FILE = "alignment_newsletter.csv"
AG_FILE = "alignment_graph_papers.csv"
AN_MAP_FILE = "an_category_map.yaml"

PAPER_COLUMNS = ["arxiv_id", "title", "abstract", "categories", "primary_category"]


def normalize_title(col: pl.Expr) -> pl.Expr:
    """Lower case, runs of non-alphanumerics to one space: the join and split key of a work."""
    return col.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", " ").str.strip_chars()


def tai_author_name(author: pl.Expr) -> pl.Expr:
    """One bibliography author, "Last, First" (or a name without a comma), as "First Last"."""
    parts = author.str.split_exact(",", 1)
    return (
        pl.when(author.str.contains(","))
        .then(
            pl.concat_str(
                [parts.struct.field("field_1").str.strip_chars(), parts.struct.field("field_0")], separator=" "
            )
        )
        .otherwise(author)
        .str.strip_chars()
    )


def tai_author_names(authors: pl.Expr) -> pl.Expr:
    """The bibliography's "Last, First; Last, First" as a list of normalised "first last" names."""
    names = authors.fill_null("").str.split(";").list.eval(normalize_name_expr(tai_author_name(pl.element())))
    return names.list.eval(pl.element().filter(pl.element() != ""))


def parse_tai(raw: pl.DataFrame) -> pl.DataFrame:
    """TAI Safety Bibliography (TAI_FILE as strings): one row per item with `label` in tech|meta|not|unsorted (NULL
    if unlabelled).

    The source's `safety_label` is e.g. 'TechSafety;AmbiguosSafety'; the suffix becomes `ambiguous`.
    """
    base = pl.col("safety_label").str.split(";").list.first()
    return raw.select(
        item_key=normalize_title(pl.col("title")),
        key=pl.col("key"),
        title=pl.col("title"),
        abstract=pl.col("abstract"),
        arxiv_id=pl.col("arxiv_id"),
        item_type=pl.col("item_type"),
        year=pl.col("year").cast(pl.Int32, strict=False),
        authors=tai_author_names(pl.col("authors")),
        label=base.replace_strict(
            {"TechSafety": "tech", "MetaSafety": "meta", "NotSafety": "not", "UnsortedSafety": "unsorted"},
            default=None,
            return_dtype=pl.String,
        ),
        ambiguous=pl.col("safety_label").str.contains("Ambiguo").fill_null(False),
        org_tags=pl.col("org_tags").str.split(";").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )


def parse_an_category_map(text: str, source: str = AN_MAP_FILE) -> dict[str, str | None]:
    """Alignment Newsletter category -> our topic id (None: no corresponding topic, excluded from scoring)."""
    data = yaml.safe_load(text)
    mapping = data["categories"]
    if not isinstance(mapping, dict):
        raise ValueError(f"{source}: 'categories' must be a mapping")
    return {str(k): (None if v in (None, "", "none") else str(v)) for k, v in mapping.items()}


def alignment_newsletter(raw: pl.DataFrame, tai: pl.DataFrame, category_map: dict[str, str | None]) -> pl.DataFrame:
    """Alignment Newsletter items (AN_FILE as strings) with the editor's category, our mapped `gold_topic`, and the
    abstract and safety label (`tai_label`) of the same work in the TAI bibliography (`tai`: parse_tai), by arXiv
    id or normalised title, where it is there; the newsletter has no abstracts itself.
    """
    unknown = set(raw["category"].unique().drop_nulls().to_list()) - set(category_map)
    if unknown:
        raise ValueError(f"categories missing from the Alignment Newsletter map: {sorted(unknown)}")
    tai = tai.sort(pl.col("abstract").is_null(), pl.col("label").is_null())
    by_title = tai.select("item_key", tai_abstract="abstract", title_label="label").unique("item_key", keep="first")
    by_id = (
        tai.filter(pl.col("arxiv_id").is_not_null())
        .select("arxiv_id", id_abstract="abstract", id_label="label")
        .unique("arxiv_id", keep="first")
    )
    items = raw.select(
        item_key=normalize_title(pl.col("title")),
        title=pl.col("title"),
        category=pl.col("category"),
        gold_topic=pl.col("category").replace_strict(category_map, default=None, return_dtype=pl.String),
        arxiv_id=pl.col("arxiv_id"),
        year=pl.col("year").cast(pl.Int32, strict=False),
        venue=pl.col("venue"),
    )
    return (
        items.join(by_id, on="arxiv_id", how="left")
        .join(by_title, on="item_key", how="left")
        .with_columns(
            abstract=pl.coalesce("id_abstract", "tai_abstract"), tai_label=pl.coalesce("id_label", "title_label")
        )
        .drop("id_abstract", "tai_abstract", "id_label", "title_label")
    )


def parse_alignment_graph(raw: pl.DataFrame) -> pl.DataFrame:
    """alignment-graph's kept papers (AG_FILE as strings; a peer pipeline's machine picks) with its cluster label."""
    return raw.select(
        item_key=normalize_title(pl.col("title")),
        arxiv_id=pl.col("arxiv_id"),
        title=pl.col("title"),
        cluster=pl.col("cluster"),
        domain=pl.col("domain"),
        date=pl.col("date"),
    )


def as_papers(items: pl.DataFrame, id_col: str = "item_key") -> pl.DataFrame:
    """Label items in the shape classify_relevance expects; items without a `categories` column get none (the
    text must then show AI context)."""
    cols = items.columns
    return items.select(
        arxiv_id=pl.col(id_col),
        title=pl.col("title").fill_null(""),
        abstract=pl.col("abstract") if "abstract" in cols else pl.lit(None, dtype=pl.String),
        categories=pl.col("categories") if "categories" in cols else pl.lit([], dtype=pl.List(pl.String)),
        primary_category=pl.col("primary_category") if "primary_category" in cols else pl.lit(None, pl.String),
        authors=pl.col("authors") if "authors" in cols else pl.lit([], dtype=pl.List(pl.String)),
    )
