"""Parsed inputs that several domains of the definitions share, read from the seeds named by settings."""

from pipelines.lib.arxiv_api import load_query_config


def ai_categories() -> list[str]:
    """The arXiv categories counted as AI research (seeds/arxiv_queries.yaml)."""
    return list(load_query_config().ai_categories)
