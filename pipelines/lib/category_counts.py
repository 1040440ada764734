"""SQL counting papers per category and month from the papers table (the snapshot's denominators)."""


def snapshot_category_counts_sql(ai_categories: list[str]) -> tuple[str, list]:
    """Rows for category_month_counts from snapshot papers: each category, plus 'ALL_AI' (distinct union).

    'ALL_AI' has a row for every month with snapshot papers, 0 when none of them is in an AI category (arXiv's
    full snapshot starts in 1986, years before any AI category; a sample holds stray non-AI papers in old months):
    a counted zero, not a missing count. Such months are never covered (docs/metrics.md), so they give no share.

    Returns the SQL and its parameters (the AI category list)."""
    sql = """
    WITH p AS (
        SELECT arxiv_id, date_trunc('month', published_date)::DATE AS month, categories, primary_category
        FROM papers
        WHERE source = 'arxiv_snapshot' AND published_date IS NOT NULL
    ), per_category AS (
        SELECT c.category, month, count(*) AS n_papers,
               count(*) FILTER (WHERE primary_category = c.category) AS n_primary
        FROM p, unnest(categories) AS c(category)
        GROUP BY ALL
    ), all_ai AS (
        SELECT 'ALL_AI' AS category, month, count(*) FILTER (WHERE in_ai) AS n_papers,
               count(*) FILTER (WHERE in_ai AND list_contains(?::VARCHAR[], primary_category)) AS n_primary
        FROM (SELECT month, primary_category, len(list_intersect(categories, ?::VARCHAR[])) > 0 AS in_ai FROM p)
        GROUP BY ALL
    )
    SELECT category, month, n_papers, n_primary FROM per_category
    UNION ALL
    SELECT category, month, n_papers, n_primary FROM all_ai
    """
    return sql, [ai_categories, ai_categories]
