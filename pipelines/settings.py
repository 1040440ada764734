"""Paths and settings, each overridable by an environment variable: the only module that reads the environment for
project settings. Nothing here touches the network or disk (pipelines.inputs reads the files named here)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"


def _path(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser().resolve() if value else default


def shared_data_dir() -> Path:
    """The real data shipped beside the project (`../shared/data`), or SHARED_DATA_DIR."""
    return _path("SHARED_DATA_DIR", PROJECT_ROOT.parent / "shared" / "data")


def dagster_home() -> Path:
    """DAGSTER_HOME: Dagster's run history and instance settings."""
    return _path("DAGSTER_HOME", PROJECT_ROOT / "data" / "dagster_home")


def warehouse_path() -> Path:
    """The published warehouse that users and the dashboard read. Replaced atomically after each good run."""
    return _path("WAREHOUSE_PATH", PROJECT_ROOT / "data" / "warehouse.duckdb")


def work_warehouse_path() -> Path:
    """The pipeline's private working copy; only the pipeline opens it, and only for writing."""
    default = warehouse_path().parent / "work" / "warehouse.duckdb"
    return _path("WAREHOUSE_WORK_PATH", default)


def snapshot_path() -> Path:
    """ARXIV_SNAPSHOT: a .jsonl/.jsonl.gz file or a folder of them; default the real corpus in shared/."""
    return _path("ARXIV_SNAPSHOT", shared_data_dir() / "arxiv")


def snapshot_path_is_default() -> bool:
    return not os.environ.get("ARXIV_SNAPSHOT")


def arxiv_source_mode() -> str:
    """ARXIV_SOURCE: 'auto' (API when reachable, else snapshot), 'api' or 'snapshot'."""
    mode = os.environ.get("ARXIV_SOURCE", "auto").strip().lower()
    if mode not in {"auto", "api", "snapshot"}:
        raise ValueError(f"ARXIV_SOURCE must be auto, api or snapshot, not {mode!r}")
    return mode


def arxiv_api_url() -> str:
    return os.environ.get("ARXIV_API_URL", "https://export.arxiv.org/api/query")


def arxiv_api_start_date() -> str:
    """ARXIV_API_START_DATE: the first day of the API's daily papers partitions (YYYY-MM-DD; the daily schedule's
    recent days); default 2025-01-01. History before it comes from the monthly partitions (ARXIV_HISTORY_START)."""
    return os.environ.get("ARXIV_API_START_DATE", "2025-01-01")


def _month_start(env: str, default: str) -> str:
    value = os.environ.get(env, default).strip()
    month = value[:7]
    if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit():
        raise ValueError(f"{env} must be a date YYYY-MM-DD (or YYYY-MM), not {value!r}")
    return month + "-01"


def arxiv_history_start() -> str:
    """ARXIV_HISTORY_START: the first month of the API's monthly papers partitions, the history `make refresh`
    backfills (YYYY-MM-DD, the day is ignored); default 2015-01-01."""
    return _month_start("ARXIV_HISTORY_START", "2015-01-01")


def arxiv_counts_start() -> str:
    """ARXIV_COUNTS_START: the first month of category_month_counts from the API (YYYY-MM-DD, the day is
    ignored); default 2010-01-01."""
    return _month_start("ARXIV_COUNTS_START", "2010-01-01")


def arxiv_api_delay_seconds() -> float:
    """ARXIV_API_DELAY_SECONDS: seconds between API requests; default 3 (arXiv's terms; the client never goes
    below 3 s for arxiv.org, whatever this says)."""
    return float(os.environ.get("ARXIV_API_DELAY_SECONDS", "3"))


def arxiv_queries_path() -> Path:
    """ARXIV_QUERIES: the search phrases and categories (a YAML like seeds/arxiv_queries.yaml)."""
    return _path("ARXIV_QUERIES", SEEDS_DIR / "arxiv_queries.yaml")


def openalex_url() -> str:
    """OPENALEX_URL: the OpenAlex API; default https://api.openalex.org."""
    return os.environ.get("OPENALEX_URL", "https://api.openalex.org").rstrip("/")


def openalex_mode() -> str:
    """OPENALEX: 'auto' (fetch when reachable, the default) or 'off' (never fetch)."""
    mode = os.environ.get("OPENALEX", "auto").strip().lower()
    if mode not in {"auto", "off"}:
        raise ValueError(f"OPENALEX must be auto or off, not {mode!r}")
    return mode


def openalex_max_per_run() -> int:
    """OPENALEX_MAX_PER_RUN: ids looked up per run at most (default 5,000 = 100 requests)."""
    return int(os.environ.get("OPENALEX_MAX_PER_RUN", "5000"))


def openalex_mailto() -> str | None:
    """OPENALEX_MAILTO: an address that joins OpenAlex's polite pool."""
    return os.environ.get("OPENALEX_MAILTO")


def openalex_api_key() -> str | None:
    """OPENALEX_API_KEY: sent with every OpenAlex request when set."""
    return os.environ.get("OPENALEX_API_KEY")


def positions_path() -> Path:
    """AI Watch position records (CSV); AIWATCH_POSITIONS overrides."""
    return _path("AIWATCH_POSITIONS", shared_data_dir() / "workforce" / "aiwatch_positions.csv")


def labels_dir() -> Path:
    return _path("LABELS_DIR", shared_data_dir() / "labels")


def duckdb_memory_limit() -> str:
    return os.environ.get("DUCKDB_MEMORY_LIMIT", "3GB")


def snapshot_refresh_cron() -> str:
    """SNAPSHOT_REFRESH_CRON: when the daily offline refresh runs (cron, UTC); default 07:00."""
    return os.environ.get("SNAPSHOT_REFRESH_CRON", "0 7 * * *")


def affiliations_path() -> Path:
    """AFFILIATIONS_FILE: conference author records with affiliations (the shared author_affiliations.csv.gz)."""
    return _path("AFFILIATIONS_FILE", shared_data_dir() / "affiliations" / "author_affiliations.csv.gz")


def epoch_models_path() -> Path:
    """EPOCH_MODELS_FILE: Epoch AI's notable models with their report authors (the shared epoch_notable_models.csv)."""
    return _path("EPOCH_MODELS_FILE", shared_data_dir() / "affiliations" / "epoch_notable_models.csv")
