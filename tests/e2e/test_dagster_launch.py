"""Runs launched the way Dagster launches them: `python -m pipelines.serve` (what `make run` starts) brings up the
webserver and the daemon; runs are submitted through GraphQL (the UI's Materialize and `launchRun` take this path)
or ticked by the daemon's scheduler, and each executes in its own run worker process with the instance's run queue.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import requests
import yaml
from dagster_graphql import DagsterGraphQLClient

from pipelines import settings
from tests.defs.arxiv.test_api_assets import _corpus
from tests.fixtures.arxiv_server import StubArxiv, serve_arxiv

pytestmark = pytest.mark.e2e

RUNS_QUERY = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""
DONE = {"SUCCESS", "FAILURE", "CANCELED"}


def _wait_until_closed(ports: list[int], timeout_s: float) -> list[int]:
    """The ports still accepting connections after `timeout_s` (none, once the servers have stopped)."""
    deadline = time.monotonic() + timeout_s
    while True:
        open_ports = []
        for port in ports:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    open_ports.append(port)
        if not open_ports or time.monotonic() > deadline:
            return open_ports
        time.sleep(0.5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Served:
    client: DagsterGraphQLClient
    graphql_url: str
    env: dict[str, str]
    queries_path: Path
    log: Path

    @property
    def published(self) -> Path:
        return Path(self.env["WAREHOUSE_PATH"])

    @property
    def work(self) -> Path:
        return Path(self.env["WAREHOUSE_WORK_PATH"])

    def runs(self, **filter: object) -> list[dict]:
        reply = requests.post(self.graphql_url, json={"query": RUNS_QUERY, "variables": {"filter": filter}}, timeout=30)
        reply.raise_for_status()
        return reply.json()["data"]["runsOrError"]["results"]

    def wait(self, run_ids: list[str], timeout_s: float = 300) -> dict[str, str]:
        deadline = time.monotonic() + timeout_s
        while True:
            status = {r: self.client.get_run_status(r).value for r in run_ids}
            if all(s in DONE for s in status.values()):
                return status
            assert time.monotonic() < deadline, f"runs still going after {timeout_s} s: {status}\n{self.tail()}"
            time.sleep(1)

    def tail(self) -> str:
        return self.log.read_text()[-4000:]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, corpus_slice: Path) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("served")
    queries_path = root / "queries.yaml"
    queries_path.write_text(
        yaml.safe_dump(
            {
                "search_categories": ["cs.AI", "cs.LG"],
                "ai_categories": ["cs.AI", "cs.LG", "cs.CL"],
                "queries": [{"name": "alignment", "terms": ['"alignment"']}],
            }
        )
    )
    with serve_arxiv(StubArxiv(_corpus())) as stub:
        dagster_port, dashboard_port = _free_port(), _free_port()
        env = {
            **os.environ,
            "DAGSTER_HOME": str(root / "dagster_home"),
            "WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
            "WAREHOUSE_WORK_PATH": str(root / "work" / "warehouse.duckdb"),
            "ARXIV_SNAPSHOT": str(corpus_slice),
            "ARXIV_SOURCE": "snapshot",  # the API schedules skip; API partitions launched by hand still pull
            "ARXIV_API_URL": stub.base_url,
            "ARXIV_API_START_DATE": "2025-01-01",
            "OPENALEX_URL": "http://127.0.0.1:9/",
            "SNAPSHOT_REFRESH_CRON": "* * * * *",  # so the daemon ticks the schedule within a minute
        }
        log = root / "serve.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pipelines.serve",
                    "--host",
                    "127.0.0.1",
                    "--dagster-port",
                    str(dagster_port),
                    "--dashboard-port",
                    str(dashboard_port),
                ],
                cwd=settings.PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        graphql_url = f"http://127.0.0.1:{dagster_port}/graphql"
        client = DagsterGraphQLClient("127.0.0.1", port_number=dagster_port)
        served = Served(client, graphql_url, env, queries_path, log)
        try:
            deadline = time.monotonic() + 120
            while True:
                assert proc.poll() is None, f"serve exited:\n{served.tail()}"
                try:
                    if requests.get(f"http://127.0.0.1:{dagster_port}/server_info", timeout=2).ok:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, f"the Dagster webserver did not come up:\n{served.tail()}"
                time.sleep(1)
            yield served
        finally:
            proc.send_signal(signal.SIGTERM)  # `kill` of serve alone stops all three servers
            try:
                proc.wait(timeout=60)
                still_serving = _wait_until_closed([dagster_port, dashboard_port], timeout_s=30)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            assert not still_serving, f"ports still open after serve was stopped: {still_serving}"


def _papers(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM papers").fetchone()[0]
    finally:
        con.close()


def test_snapshot_refresh_launched_through_graphql_succeeds_and_publishes(served: Served) -> None:
    launched_at = time.time()
    run_id = served.client.submit_job_execution("snapshot_refresh_job")
    assert served.wait([run_id]) == {run_id: "SUCCESS"}, served.tail()
    assert served.published.exists()
    assert served.published.stat().st_mtime >= launched_at
    assert _papers(served.published) == 1200
    assert "does not match" not in served.log.read_text()  # the code location is `pipelines`, as configured


def test_three_api_partitions_launched_at_once_all_succeed(served: Served) -> None:
    run_config = {
        "ops": {"arxiv_api_papers": {"config": {"queries_path": str(served.queries_path)}}},
        "resources": {"arxiv_api": {"config": {"delay_seconds": 0.0, "page_size": 10}}},
    }
    days = ["2025-01-01", "2025-01-02", "2025-01-03"]
    run_ids = [
        served.client.submit_job_execution(
            "arxiv_api_papers_job", run_config=run_config, tags={"dagster/partition": day}
        )
        for day in days
    ]
    assert served.wait(run_ids) == dict.fromkeys(run_ids, "SUCCESS"), served.tail()
    con = duckdb.connect(str(served.work), read_only=True)
    try:
        loaded = dict(
            con.execute("SELECT partition_key, outcome FROM ingest_runs WHERE asset = 'arxiv_api_papers'").fetchall()
        )
        api_papers = con.execute("SELECT count(*) FROM papers WHERE source = 'arxiv_api'").fetchone()[0]
    finally:
        con.close()
    assert loaded == dict.fromkeys(days, "success")
    assert api_papers > 0


def test_the_daemon_ticks_the_snapshot_schedule_and_its_run_succeeds(served: Served) -> None:
    deadline = time.monotonic() + 240
    while True:
        runs = served.runs(tags=[{"key": "dagster/schedule_name", "value": "daily_snapshot_refresh"}])
        if runs and runs[0]["status"] in DONE:
            break
        assert time.monotonic() < deadline, f"no finished scheduled run: {runs}\n{served.tail()}"
        time.sleep(2)
    assert runs[0]["status"] == "SUCCESS", served.tail()
