"""Planning a resumable arXiv API backfill: which months still need pulling, how long it will take, progress lines.

Pure: no Dagster, no I/O. `pipelines.refresh` feeds it what the warehouse's ingest_runs and category_month_counts
hold and what each finished partition reported.

- A month is **final** once a successful pull of it started on or after the first day of the month after next
  (so the current and the previous month are always pulled again: arXiv still announces papers submitted then);
  final months are never pulled again.
- The **estimate** counts requests: a category-counts month costs one total-results request per AI category plus
  one for their union; a papers month costs, per query, one total-results request and its pages
  (ceil(results / page size), at least one). Where the month's ALL_AI total is known (the counts are pulled
  first), results = results per AI paper x ALL_AI: 0.5 at first, then what the finished papers months measured;
  where it is not, one page per query (or the measured mean). Time = requests x (delay + the probe's latency) +
  months x an overhead, both replaced by what finished months measured.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

COUNTS = "counts"
PAPERS = "papers"
# Before any partition has finished: what a month adds around its requests (its transaction, and its share of
# the Dagster run that pulls it with up to 11 more: ~2 s a run), as measured at the local test server.
PRIOR_OVERHEAD_SECONDS = 0.35
# Results the seed queries return per AI paper (summed over queries): 0.49 in the shipped corpus' 2025 papers
# (95,487 AI papers, phrases matched as substrings of title and abstract), used until measured months replace it.
PRIOR_RESULTS_PER_AI_PAPER = 0.5


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_starts(first: date, last: date) -> list[date]:
    """First days of every month from first's month to last's month, inclusive."""
    months, month = [], first.replace(day=1)
    while month <= last.replace(day=1):
        months.append(month)
        month = add_months(month, 1)
    return months


def is_final(month: date, pulled_at: datetime | date) -> bool:
    """A pull that started on or after the first of the month after next saw the month complete."""
    pulled = pulled_at.date() if isinstance(pulled_at, datetime) else pulled_at
    return pulled >= add_months(month, 2)


def months_to_pull(months: Iterable[date], last_success: Mapping[date, datetime]) -> list[date]:
    """The months without a final successful pull, oldest first."""
    return [m for m in sorted(months) if m not in last_success or not is_final(m, last_success[m])]


@dataclass(frozen=True)
class Step:
    """One partition run of the backfill."""

    kind: str  # COUNTS | PAPERS
    month: date

    @property
    def partition_key(self) -> str:
        return self.month.isoformat()

    @property
    def label(self) -> str:
        return f"{self.kind} {self.month:%Y-%m}"


@dataclass
class Done:
    step: Step
    requests: int
    records: int
    n_read: int  # results read (papers months), 0 for counts
    asset_seconds: float  # time inside the asset (its requests)
    wall_seconds: float  # the whole run


@dataclass
class CostModel:
    n_queries: int
    n_ai_categories: int
    page_size: int
    delay_seconds: float
    latency_seconds: float
    all_ai: dict[date, int] = field(default_factory=dict)  # ALL_AI per month, as known so far
    done: list[Done] = field(default_factory=list)

    @property
    def count_requests(self) -> int:
        return self.n_ai_categories + 1

    def _results_per_ai_paper(self) -> float:
        pairs = [(d.n_read, self.all_ai[d.step.month]) for d in self.done if d.step.kind == PAPERS]
        pairs = [(n, a) for n, a in pairs if a]
        if len(pairs) < 3:
            return PRIOR_RESULTS_PER_AI_PAPER
        return sum(n for n, _ in pairs) / sum(a for _, a in pairs)

    def requests(self, step: Step) -> float:
        """Expected requests of a partition."""
        if step.kind == COUNTS:
            return float(self.count_requests)
        if self.all_ai.get(step.month):
            per_query = self._results_per_ai_paper() * self.all_ai[step.month] / self.n_queries
            return self.n_queries * (1 + max(1, math.ceil(per_query / self.page_size)))
        measured = [d.requests for d in self.done if d.step.kind == PAPERS]
        if measured:
            return sum(measured) / len(measured)
        return self.n_queries * 2.0  # one total-results request and one page per query

    def seconds_per_request(self) -> float:
        requests = sum(d.requests for d in self.done)
        if requests >= 10:
            return sum(d.asset_seconds for d in self.done) / requests
        return self.delay_seconds + self.latency_seconds

    def overhead_seconds(self) -> float:
        if not self.done:
            return PRIOR_OVERHEAD_SECONDS
        return max(0.0, sum(d.wall_seconds - d.asset_seconds for d in self.done) / len(self.done))

    def seconds(self, steps: Iterable[Step]) -> float:
        steps = list(steps)
        requests = sum(self.requests(s) for s in steps)
        return requests * self.seconds_per_request() + len(steps) * self.overhead_seconds()


def duration(seconds: float) -> str:
    """3 h 05 min, 12 min 30 s, 45 s."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def estimate_line(model: CostModel, steps: list[Step]) -> str:
    """What the backfill will do and how long it should take, printed before it starts."""
    counts = [s for s in steps if s.kind == COUNTS]
    papers = [s for s in steps if s.kind == PAPERS]
    requests = sum(model.requests(s) for s in steps)

    def span(part: list[Step]) -> str:
        return f"{part[0].month:%Y-%m}..{part[-1].month:%Y-%m}" if part else "none"

    return (
        f"{len(counts)} category-count months ({span(counts)}) and {len(papers)} papers months ({span(papers)}): "
        f"~{requests:,.0f} requests at {model.delay_seconds:g} s apart + {model.latency_seconds:.2f} s latency, "
        f"~{duration(model.seconds(steps))}"
    )


def progress_line(model: CostModel, total: int, remaining: list[Step], elapsed: float) -> str:
    """done/total, what the last partition brought, records, rates and time left."""
    last = model.done[-1]
    records = sum(d.records for d in model.done)
    requests = sum(d.requests for d in model.done)
    rate = records / elapsed if elapsed > 0 else 0.0
    return (
        f"{len(model.done)}/{total} partitions, {last.step.label}: {last.records:,} records in "
        f"{last.requests} requests ({last.wall_seconds:.1f} s) | {records:,} records, {requests:,} requests, "
        f"{rate:,.1f} records/s | elapsed {duration(elapsed)}, left ~{duration(model.seconds(remaining))}"
    )
