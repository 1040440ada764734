"""Schedules of the live arXiv API source (they skip when ARXIV_SOURCE=snapshot)."""

from __future__ import annotations

import dagster as dg

from pipelines import settings
from pipelines.defs.arxiv.api_assets import (
    arxiv_api_category_counts,
    arxiv_api_daily,
    arxiv_api_history,
    arxiv_api_monthly,
    arxiv_api_papers,
    arxiv_api_papers_monthly,
)

# arXiv announces a day's submissions over the next one or two working days (later on weekends and holidays),
# so each daily run re-pulls the last few days; upserts make the repeats cheap and duplicate-free.
LOOKBACK_DAYS = 4

arxiv_api_papers_job = dg.define_asset_job(
    "arxiv_api_papers_job", selection=[arxiv_api_papers], partitions_def=arxiv_api_daily
)
# The history, one run per month: `make refresh` runs the months it lacks; a backfill of this job from the UI
# (Materialize -> a partition range) does the same, one run at a time.
arxiv_api_papers_monthly_job = dg.define_asset_job(
    "arxiv_api_papers_monthly_job", selection=[arxiv_api_papers_monthly], partitions_def=arxiv_api_history
)
arxiv_api_category_counts_job = dg.define_asset_job(
    "arxiv_api_category_counts_job", selection=[arxiv_api_category_counts], partitions_def=arxiv_api_monthly
)


def _run_requests(
    context: dg.ScheduleEvaluationContext, partitions: dg.TimeWindowPartitionsDefinition, n: int
) -> list[dg.RunRequest] | dg.SkipReason:
    if settings.arxiv_source_mode() == "snapshot":
        return dg.SkipReason("ARXIV_SOURCE=snapshot: the live API is switched off")
    now = context.scheduled_execution_time
    keys = partitions.get_partition_keys(current_time=now)[-n:]
    return [dg.RunRequest(run_key=f"{key}@{now:%Y-%m-%d}", partition_key=key) for key in keys]


@dg.schedule(
    job=arxiv_api_papers_job,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def arxiv_api_papers_daily(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest] | dg.SkipReason:
    """Every morning: the last LOOKBACK_DAYS complete submission days."""
    return _run_requests(context, arxiv_api_daily, LOOKBACK_DAYS)


@dg.schedule(
    job=arxiv_api_category_counts_job,
    cron_schedule="30 6 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def arxiv_api_category_counts_daily(
    context: dg.ScheduleEvaluationContext,
) -> list[dg.RunRequest] | dg.SkipReason:
    """Every morning: this month's totals so far and last month's (late announcements still arrive)."""
    return _run_requests(context, arxiv_api_monthly, 2)
