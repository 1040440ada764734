"""Which of two records of one paper is the later: the one rule shared by every dedupe and merge of `papers` rows.

A record ranks above another by updated_date, then latest_version (a missing value ranks below any value); when
both are equal, the record read later in the input wins (a later load, a later file, a later line). The SQL below
is text over the `papers` columns; the merge against stored rows and the dedupe within a batch agree by
construction.
"""

NEWEST_FIRST = "updated_date DESC NULLS LAST, latest_version DESC NULLS LAST"


def ranks_above_sql(a: str, b: str) -> str:
    """True when row `a` ranks strictly above row `b` by NEWEST_FIRST (ties are false: input order decides them)."""

    def above(column: str) -> str:
        return f"({a}.{column} IS NOT NULL AND ({b}.{column} IS NULL OR {a}.{column} > {b}.{column}))"

    return (
        f"({above('updated_date')} OR ({a}.updated_date IS NOT DISTINCT FROM {b}.updated_date "
        f"AND {above('latest_version')}))"
    )
