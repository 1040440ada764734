"""`make refresh` with network: backfill 2015-2026 from the (local, generated) arXiv API, killed midway, resumed.

The stand-in serves a multi-year fixture (tests/fixtures/arxiv_history.py) with a simulated latency per request.
The refresh runs as a subprocess, as `make refresh` runs it; the test kills it during the papers months, resumes
it, and checks that the resumed run did not ask again for the months already done, that the warehouse has every
month without gaps or duplicates, and how the printed estimate compares with the measured runtime.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines import settings
from pipelines.lib.backfill import add_months, is_final, month_starts
from tests.fixtures.arxiv_history import COUNTS_START, PAPERS_START, history_entries, history_totals
from tests.fixtures.arxiv_server import StubArxiv, serve_arxiv

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]  # a few minutes; more on a busy machine

LATENCY = 0.02  # simulated seconds per answer
KILL_IN_MONTH = date(2019, 3, 1)
DELAY = 0.02  # seconds between requests (arXiv asks for 3)
_WINDOW = re.compile(r"submittedDate:\[(\d{6})")
_DURATION = re.compile(r"(?:(\d+) h ?)?(?:(\d+) min ?)?(?:(\d+) s)?$")  # as lib.backfill.duration writes it


def _seconds(text: str) -> float:
    match = _DURATION.search(text.strip())
    assert match, text
    hours, minutes, secs = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + secs


def _month_of(query: str) -> date | None:
    found = _WINDOW.search(query)
    return datetime.strptime(found.group(1), "%Y%m").date() if found else None


def _kill_when_asked(proc: subprocess.Popen, stub: StubArxiv, month: date, timeout_s: float = 900) -> None:
    """SIGKILL the process group once the stand-in was asked for the papers of `month`."""
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        if any("ti:" in r.query and _month_of(r.query) == month for r in list(stub.requests)):
            os.killpg(proc.pid, signal.SIGKILL)
            return
        time.sleep(0.005)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)


def _query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _env(tmp_path: Path, stub: StubArxiv) -> dict[str, str]:
    queries = tmp_path / "queries.yaml"
    queries.write_text(
        yaml.safe_dump(
            {
                "search_categories": ["cs.AI", "cs.LG", "cs.CL", "cs.CR"],
                "ai_categories": ["cs.AI", "cs.LG", "cs.CL"],
                "queries": [
                    {"name": "alignment", "terms": ['"alignment"', '"reward hacking"']},
                    {"name": "safety", "terms": ['"safety"', '"jailbreak"', '"interpretability"']},
                ],
            }
        )
    )
    (tmp_path / "dagster_home").mkdir()
    return {
        **os.environ,
        "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "WAREHOUSE_WORK_PATH": str(tmp_path / "work" / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "ARXIV_SOURCE": "api",
        "ARXIV_API_URL": stub.base_url,
        "ARXIV_API_DELAY_SECONDS": str(DELAY),
        "ARXIV_QUERIES": str(queries),
        "ARXIV_HISTORY_START": PAPERS_START.isoformat(),
        "ARXIV_COUNTS_START": COUNTS_START.isoformat(),
        "OPENALEX_URL": "http://127.0.0.1:9/",  # nothing listens there: OpenAlex is skipped, never the internet
    }


def test_backfill_from_2015_is_estimated_resumes_after_a_kill_and_fills_every_month(tmp_path: Path) -> None:
    today = date.today()
    stub = StubArxiv(history_entries(today), latency=LATENCY, totals=history_totals)
    cmd = [sys.executable, "-m", "pipelines.refresh"]
    with serve_arxiv(stub):
        env = _env(tmp_path, stub)
        work = Path(env["WAREHOUSE_WORK_PATH"])

        # 1. Started, then killed during the papers months.
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=settings.PROJECT_ROOT,
            start_new_session=True,
        )
        assert proc.stdout is not None
        # Killed in the middle of a month: once the stand-in has answered the first request for 2019-03's papers.
        killer = threading.Thread(target=_kill_when_asked, args=(proc, stub, KILL_IN_MONTH), daemon=True)
        killer.start()
        seen = list(proc.stdout)
        proc.wait(timeout=30)
        killer.join(timeout=30)
        assert proc.returncode == -signal.SIGKILL, "".join(seen[-30:])
        first_seconds = time.monotonic() - started
        first_out = "".join(seen)
        estimate = next(line for line in seen if line.startswith("backfill: estimate:"))
        progress = [line for line in seen if re.match(r"backfill: \d+/\d+ partitions", line)]
        # The estimate comes before the first partition, and each partition reports its progress.
        assert seen.index(estimate) < seen.index(progress[0]), first_out[-3000:]
        assert re.search(r"records/s \| elapsed .+, left ~", progress[-1]), progress[-1]
        n_months_counts = len(month_starts(COUNTS_START, today))
        n_months_papers = len(month_starts(PAPERS_START, today))
        assert f"{n_months_counts} category-count months" in estimate
        assert f"{n_months_papers} papers months" in estimate
        total = int(re.match(r"backfill: \d+/(\d+)", progress[0]).group(1))
        assert total == n_months_counts + n_months_papers

        done = {
            (asset, date.fromisoformat(key)): started_at
            for asset, key, started_at in _query(
                work,
                "SELECT asset, partition_key, max(started_at) FROM ingest_runs WHERE outcome = 'success' GROUP BY ALL",
            )
        }
        done_papers = {m for (asset, m), at in done.items() if asset == "arxiv_api_papers_monthly" and is_final(m, at)}
        done_counts = {m for (asset, m), at in done.items() if asset == "arxiv_api_category_counts" and is_final(m, at)}
        assert len(done_counts) == n_months_counts - 2  # every count month; the last two are never final
        # Every month before the killed one is in, the killed one left nothing (its transaction never committed).
        assert done_papers == set(month_starts(PAPERS_START, add_months(KILL_IN_MONTH, -1)))
        assert _query(work, f"SELECT count(*) FROM papers WHERE published_date >= '{KILL_IN_MONTH}'")[0][0] == 0
        killed_at = max(done_papers)
        n_before = len(stub.requests)

        # 2. Resumed: runs to the end and publishes.
        resumed_started = time.monotonic()
        resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800, cwd=settings.PROJECT_ROOT)
        resumed_seconds = time.monotonic() - resumed_started
        assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
        resumed_estimate = next(line for line in resumed.stdout.splitlines() if line.startswith("backfill: estimate:"))
        again = [r for r in stub.requests[n_before:] if _month_of(r.query)]
        asked_papers = Counter(_month_of(r.query) for r in again if "ti:" in r.query)
        asked_counts = Counter(_month_of(r.query) for r in again if "ti:" not in r.query)

    # The resumed run never asked again for a month that was done (the last two months are always pulled again),
    # and started with the papers month the kill interrupted.
    current, previous = today.replace(day=1), add_months(today.replace(day=1), -1)
    assert set(asked_counts) == {previous, current}
    assert set(asked_papers) & done_papers == set(), sorted(set(asked_papers) & done_papers)[:10]
    assert min(asked_papers) == add_months(killed_at, 1)
    assert set(asked_papers) == set(month_starts(add_months(killed_at, 1), today))
    assert f"{len(done_papers) + len(done_counts)} months already pulled for good are skipped" in resumed.stdout

    published = Path(env["WAREHOUSE_PATH"])
    # Papers from every month 2015-01 to now, each once.
    months_sql = "SELECT DISTINCT date_trunc('month', published_date)::DATE FROM papers ORDER BY 1"
    months = [r[0] for r in _query(published, months_sql)]
    assert months == month_starts(PAPERS_START, today)
    n, distinct = _query(published, "SELECT count(*), count(DISTINCT arxiv_id) FROM papers")[0]
    assert n == distinct == len(stub.entries)
    # Category totals for every month from 2010-01, once per category.
    count_months = [
        r[0]
        for r in _query(
            published,
            "SELECT month FROM category_month_counts WHERE category = 'ALL_AI' AND source = 'arxiv_api' ORDER BY 1",
        )
    ]
    assert count_months == month_starts(COUNTS_START, today)
    dupes = _query(
        published,
        "SELECT count(*) FROM (SELECT category, month, source FROM category_month_counts "
        "GROUP BY ALL HAVING count(*) > 1)",
    )[0][0]
    assert dupes == 0
    # The trend mart covers 2015..now without gaps.
    trend = [
        r[0]
        for r in _query(published, "SELECT month FROM neglectedness_monthly WHERE month >= '2015-01-01' ORDER BY 1")
    ]
    assert trend == month_starts(PAPERS_START, today)
    # Safety papers in every year, at a plausible share of AI research.
    per_year = _query(
        published,
        "SELECT year(month), sum(n_safety_narrow), max(share_narrow) FROM neglectedness_monthly "
        "WHERE month >= '2015-01-01' GROUP BY ALL ORDER BY 1",
    )
    assert [r[0] for r in per_year] == list(range(2015, today.year + 1))
    assert all(n > 0 and 0 < share < 0.2 for _, n, share in per_year), per_year

    # Estimate vs measured: the first run's estimate of the whole backfill against the time both runs spent on it
    # (until the kill, and the resumed run's backfill; the downstream refresh is not part of the estimate).
    killed_elapsed = _seconds(re.search(r"elapsed (.+?),", progress[-1]).group(1))
    done_line = next(line for line in resumed.stdout.splitlines() if line.startswith("backfill: done"))
    resumed_backfill = _seconds(done_line.split(" in ", 1)[1])
    measured = killed_elapsed + resumed_backfill
    predicted = _seconds(estimate)
    report = (
        f"estimate before the first run: {estimate.strip()}\n"
        f"estimate before the resumed run: {resumed_estimate.strip()}\n"
        f"measured: {killed_elapsed:.0f} s until the kill + {resumed_backfill:.0f} s resumed = {measured:.0f} s "
        f"(predicted {predicted:.0f} s, ratio {measured / predicted:.2f}); whole runs {first_seconds:.0f} s + "
        f"{resumed_seconds:.0f} s with the downstream refresh; {len(stub.requests)} requests in all, "
        f"{len(again)} after the resume ({sum(asked_counts.values())} for counts of "
        f"{len(asked_counts)} months, {sum(asked_papers.values())} for papers of {len(asked_papers)} months)\n"
    )
    print(report)
    assert predicted / 3 < measured < predicted * 3, report
