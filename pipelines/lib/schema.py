"""DDL of the warehouse tables that ingestion owns. These names are a public interface: see docs/warehouse.md."""

INGEST_TABLES_DDL = """
CREATE TABLE IF NOT EXISTS papers (
    arxiv_id          VARCHAR NOT NULL,     -- unique; without version suffix, e.g. 2401.01234 or hep-th/9901001
    title             VARCHAR NOT NULL,
    abstract          VARCHAR,
    primary_category  VARCHAR,
    categories        VARCHAR[],            -- all categories, primary first
    authors           VARCHAR[],            -- names as given, in order
    comments          VARCHAR,
    journal_ref       VARCHAR,
    doi               VARCHAR,
    published_date    DATE,                 -- first-version date, or the best date available (see date_source)
    date_source       VARCHAR,              -- 'v1' | 'listing' | 'id_month' | 'api_published'
    updated_date      DATE,                 -- last-updated date
    latest_version    INTEGER,
    source            VARCHAR NOT NULL,     -- 'arxiv_snapshot' | 'arxiv_api'
    source_detail     VARCHAR,              -- snapshot file or API query that brought the latest version
    ingested_at       TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS paper_authors (
    arxiv_id          VARCHAR NOT NULL,
    position          INTEGER NOT NULL,     -- 1-based author order
    name              VARCHAR NOT NULL,     -- as given
    name_normalized   VARCHAR NOT NULL,     -- lower case, no accents or punctuation, single spaces
    affiliation       VARCHAR               -- arxiv:affiliation (API) or a parenthesised affiliation (snapshot)
);

CREATE TABLE IF NOT EXISTS category_month_counts (
    category          VARCHAR NOT NULL,     -- an arXiv category, or 'ALL_AI' for the distinct union of AI categories
    month             DATE NOT NULL,        -- first day of the month
    n_papers          BIGINT NOT NULL,      -- papers listing the category (primary or cross-list)
    n_primary         BIGINT,               -- papers with it as primary category (snapshot only)
    source            VARCHAR NOT NULL,     -- 'arxiv_api' (totalResults) | 'arxiv_snapshot' (counted)
    counted_at        TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id            VARCHAR NOT NULL,
    asset             VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    source_detail     VARCHAR,              -- files or queries read
    partition_key     VARCHAR,
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP,
    duration_s        DOUBLE,
    n_read            BIGINT,
    n_inserted        BIGINT,
    n_updated         BIGINT,
    n_unchanged       BIGINT,
    n_rejected        BIGINT,
    outcome           VARCHAR NOT NULL,     -- 'success' | 'failed'
    message           VARCHAR
);

CREATE TABLE IF NOT EXISTS rejected_records (
    run_id            VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    location          VARCHAR NOT NULL,     -- 'file.jsonl.gz:123' or the API query
    reason            VARCHAR NOT NULL,
    raw               VARCHAR,
    rejected_at       TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS snapshot_files (
    file_name         VARCHAR NOT NULL,     -- path inside the snapshot folder: moving the folder reads nothing again
    content_sha256    VARCHAR NOT NULL,     -- of the file's bytes: a file whose content changes is read again
    size_bytes        BIGINT NOT NULL,
    n_lines           BIGINT NOT NULL,      -- non-blank lines read
    n_rejected        BIGINT NOT NULL,      -- of them rejected (see rejected_records), plus 1 if the file ends early
    complete          BOOLEAN NOT NULL,     -- false: truncated or corrupt; the lines before the damage are loaded
    refused           BOOLEAN NOT NULL,     -- true: over 5% of lines rejected or checksum failed; nothing loaded
    error             VARCHAR,              -- where and why reading stopped
    last_path         VARCHAR NOT NULL,     -- where it was read from
    loaded_at         TIMESTAMP NOT NULL,
    seen_in_load      BIGINT NOT NULL       -- number of the last load that found this file, with this content
);
"""

# The public tables by the stage that writes them (see docs/warehouse.md and docs/metrics.md).
INGEST_TABLES = ("papers", "paper_authors", "category_month_counts", "ingest_runs", "rejected_records")
CLASSIFICATION_TABLES = ("paper_relevance", "paper_origins", "paper_classification")
WORKFORCE_TABLES = (
    "field_size_estimates",
    "workforce_positions_yearly",
    "workforce_growth_fit",
    "workforce_authors_yearly",
)
NEGLECTEDNESS_MART_TABLES = (
    "neglectedness_monthly",
    "safety_papers_by_topic_monthly",
    "safety_papers_by_origin_monthly",
    "lab_share_yearly",
    "origin_shares_yearly",
    "papers_per_fte_yearly",
    "topic_growth",
    "claims_check",
)
