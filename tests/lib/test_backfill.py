"""Planning the API backfill: which months are done for good, the estimate, the progress line."""

from datetime import date, datetime

from pipelines.lib.backfill import (
    COUNTS,
    PAPERS,
    CostModel,
    Done,
    Step,
    add_months,
    duration,
    estimate_line,
    is_final,
    month_starts,
    months_to_pull,
    progress_line,
)


def test_months_from_first_to_last_inclusive_across_years():
    assert add_months(date(2015, 11, 1), 3) == date(2016, 2, 1)
    assert add_months(date(2016, 1, 1), -1) == date(2015, 12, 1)
    months = month_starts(date(2010, 1, 15), date(2026, 12, 7))
    assert months[0] == date(2010, 1, 1) and months[-1] == date(2026, 12, 1) and len(months) == 17 * 12


def test_a_month_is_final_once_pulled_after_the_month_after_next_began():
    assert not is_final(date(2026, 10, 1), datetime(2026, 11, 30, 23, 59))
    assert is_final(date(2026, 10, 1), datetime(2026, 12, 1, 0, 0))
    assert is_final(date(2015, 3, 1), date(2026, 12, 7))


def test_months_to_pull_skips_final_months_and_always_repulls_the_last_two():
    today = datetime(2026, 12, 7, 9)
    months = month_starts(date(2026, 6, 1), today.date())
    pulled = {m: today for m in months}  # everything pulled today
    assert months_to_pull(months, pulled) == [date(2026, 11, 1), date(2026, 12, 1)]
    early = {date(2026, 9, 1): datetime(2026, 10, 15)}  # pulled while its announcements still came in
    assert date(2026, 9, 1) in months_to_pull(months, early)
    assert months_to_pull(months, {}) == months


def _model(**kw) -> CostModel:
    args = dict(n_queries=5, n_ai_categories=9, page_size=2000, delay_seconds=3.0, latency_seconds=0.5)
    return CostModel(**{**args, **kw})


def test_estimate_before_anything_is_measured_counts_requests_at_three_seconds():
    model = _model()
    steps = [Step(COUNTS, m) for m in month_starts(date(2010, 1, 1), date(2010, 12, 1))]
    steps += [Step(PAPERS, m) for m in month_starts(date(2015, 1, 1), date(2015, 12, 1))]
    # 12 x 10 count requests + 12 x 5 queries x (a total and a page), at 3.5 s, plus the per-month overhead
    requests = 12 * 10 + 12 * 5 * 2
    assert model.seconds(steps) == requests * 3.5 + 24 * model.overhead_seconds()
    line = estimate_line(model, steps)
    assert line.startswith("12 category-count months (2010-01..2010-12) and 12 papers months (2015-01..2015-12)")
    assert "~240 requests at 3 s apart + 0.50 s latency" in line


def test_measured_months_predict_the_pages_of_bigger_months_from_their_all_ai():
    model = _model(all_ai={date(2015, m, 1): 4000 for m in range(1, 4)} | {date(2025, 1, 1): 40000})
    for m in range(1, 4):  # 5 queries, 2,000 results read in all per month = 0.5 results per AI paper
        step = Step(PAPERS, date(2015, m, 1))
        model.done.append(Done(step, requests=10, records=1500, n_read=2000, asset_seconds=35.0, wall_seconds=36.0))
    # 2025-01: 20,000 results over 5 queries = 4,000 each = 2 pages each, plus a total each
    assert model.requests(Step(PAPERS, date(2025, 1, 1))) == 5 * (1 + 2)
    # before any papers month is measured: 0.5 results per AI paper (20,000 -> 2 pages a query)
    assert _model(all_ai={date(2025, 1, 1): 40000}).requests(Step(PAPERS, date(2025, 1, 1))) == 5 * (1 + 2)
    # a month with no known ALL_AI: the mean of the measured months
    assert model.requests(Step(PAPERS, date(2030, 1, 1))) == 10
    assert model.seconds_per_request() == 3.5
    assert model.overhead_seconds() == 1.0


def test_progress_line_says_done_total_records_rate_and_time_left():
    model = _model()
    first = Step(COUNTS, date(2010, 1, 1))
    model.done.append(Done(first, requests=10, records=10, n_read=0, asset_seconds=35.0, wall_seconds=36.0))
    remaining = [Step(COUNTS, date(2010, 2, 1))]
    line = progress_line(model, 2, remaining, 36.0)
    assert line.startswith("1/2 partitions, counts 2010-01: 10 records in 10 requests (36.0 s) | 10 records")
    assert line.endswith("elapsed 36 s, left ~36 s")
    assert duration(3 * 3600 + 5 * 60 + 9) == "3 h 05 min" and duration(750) == "12 min 30 s"
