"""The whole graph end to end: materialise into a temporary warehouse, rerun (idempotent), kill a run midway."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines import settings
from tests.test_contract import contract_problems

pytestmark = pytest.mark.slow  # each test runs `make refresh`-like subprocesses

COUNTED_TABLES = ("papers", "paper_authors", "category_month_counts")


def _env(tmp_path: Path, snapshot: Path) -> dict[str, str]:
    return {
        "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "WAREHOUSE_WORK_PATH": str(tmp_path / "work" / "warehouse.duckdb"),
        "ARXIV_SNAPSHOT": str(snapshot),
        "ARXIV_SOURCE": "snapshot",
        "OPENALEX_URL": "http://127.0.0.1:9/",  # nothing listens there: OpenAlex is skipped, never the internet
    }


def _counts(path: Path, tables: tuple[str, ...] = COUNTED_TABLES) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        con.close()


def _all_tables(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    finally:
        con.close()
    return _counts(path, tuple(names))


def _run_snapshot_job(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dg.ExecuteInProcessResult:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from pipelines.definitions import defs

    job = defs().resolve_job_def("snapshot_refresh_job")
    return job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def test_whole_graph_materialises_and_reruns_identically(
    tmp_path: Path, corpus_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(tmp_path, corpus_slice)
    first = _run_snapshot_job(monkeypatch, env)
    failures = [e.step_key for e in first.all_events if e.is_step_failure]
    assert first.success, f"failed steps: {failures}"
    published = Path(env["WAREHOUSE_PATH"])  # the working file is now the previous published one
    after_first = _all_tables(published)
    assert after_first["papers"] == 1200
    assert after_first["category_month_counts"] > 0
    assert contract_problems(Path(env["WAREHOUSE_PATH"])) == []  # every public table, as the contract gives it
    second = _run_snapshot_job(monkeypatch, env)
    assert second.success
    after_second = _all_tables(published)
    # history tables: one more entry per run, by design
    run_logs = ("ingest_runs", "table_row_counts", "warehouse_generation")

    def data(counts: dict[str, int]) -> dict[str, int]:
        return {k: v for k, v in counts.items() if k not in run_logs}

    assert data(after_second) == data(after_first)
    assert after_second["ingest_runs"] == after_first["ingest_runs"] + 1
    assert after_second["table_row_counts"] == 2 * after_first["table_row_counts"]
    assert after_second["warehouse_generation"] == after_first["warehouse_generation"] + 1


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_killed_refresh_leaves_published_and_working_warehouses_as_they_were(
    tmp_path: Path, corpus_slice: Path, real_corpus: Path
) -> None:
    env = {**os.environ, **_env(tmp_path, corpus_slice), "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    (tmp_path / "dagster_home").mkdir()
    cmd = [sys.executable, "-m", "pipelines.refresh"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=settings.PROJECT_ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    published = Path(env["WAREHOUSE_PATH"])
    work = Path(env["WAREHOUSE_WORK_PATH"])
    published_hash, work_counts = _sha(published), _counts(work)

    # Now a much larger load (the whole real corpus), killed once it has staged its first records.
    env["ARXIV_SNAPSHOT"] = str(real_corpus)
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=settings.PROJECT_ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    seen = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        seen += line
        if "records (" in line and "snapshot:" in line:
            break
        assert time.monotonic() < deadline, seen[-3000:]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert "snapshot done" not in seen

    assert _sha(published) == published_hash
    assert _counts(work) == work_counts

    # The killed run stays STARTED in Dagster's records, which would hold the run queue (one run at a time)
    # forever; the sensor sees its worker is gone and fails it.
    from pipelines.defs.run_health import dead_run_workers

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        started = instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert len(started) == 1
        dead_run_workers(dg.build_sensor_context(instance=instance))
        run = instance.get_run_by_id(started[0].dagster_run.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
        assert not instance.get_run_records(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))


def test_schedules_run_by_default_and_every_job_ends_by_publishing() -> None:
    from pipelines.definitions import defs

    loaded = defs()
    schedules = {s.name: s for s in loaded.schedules}
    assert {"daily_snapshot_refresh", "daily_downstream_refresh"} <= set(schedules)
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in schedules.values())
    graph = loaded.resolve_asset_graph()
    publish = dg.AssetKey("published_warehouse")
    upstream = graph.get_ancestor_asset_keys(publish)
    for name in ("snapshot_refresh_job", "downstream_refresh_job"):
        job = loaded.resolve_job_def(name)
        assert job.executor_def.name == "in_process"
        in_job = set(job.asset_layer.selected_asset_keys)
        assert publish in in_job
        assert in_job - {publish} <= upstream, f"{name}: not before the publish: {in_job - {publish} - upstream}"


def test_every_job_and_ad_hoc_materialisation_runs_its_steps_in_one_process() -> None:
    from pipelines.definitions import defs

    loaded = defs()
    jobs = [loaded.resolve_job_def(j.name) for j in loaded.jobs] + [loaded.resolve_implicit_global_asset_job_def()]
    assert {job.executor_def.name for job in jobs} == {"in_process"}


def test_a_second_refresh_says_who_is_writing_or_waits_its_turn(tmp_path: Path, corpus_slice: Path) -> None:
    from tests.test_writer_lock import hold_in_another_process

    env = {**os.environ, **_env(tmp_path, corpus_slice), "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    cmd = [sys.executable, "-m", "pipelines.refresh"]
    work, published = Path(env["WAREHOUSE_WORK_PATH"]), Path(env["WAREHOUSE_PATH"])
    holder = hold_in_another_process(work, 600)
    try:
        busy = subprocess.run(
            [*cmd, "--wait-seconds", "0"],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=settings.PROJECT_ROOT,
        )
        assert busy.returncode == 75, busy.stderr[-2000:]
        assert f"another refresh (PID {holder.pid}, a test holder, started " in busy.stderr
        assert not published.exists()

        waiting = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=settings.PROJECT_ROOT
        )
        assert waiting.stderr is not None
        first = waiting.stderr.readline()
        assert first.startswith(f"refresh: waiting: another refresh (PID {holder.pid}, a test holder"), first
    finally:
        holder.kill()
        holder.wait(timeout=30)
    out, err = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, out[-2000:] + err[-2000:]
    assert _counts(published)["papers"] == 1200


def test_make_refresh_prints_info_not_debug_and_no_code_location_warnings(tmp_path: Path, corpus_slice: Path) -> None:
    """`make refresh` as typed (the environment only moves its files into tmp_path)."""
    env = {**os.environ, **_env(tmp_path, corpus_slice), "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    done = subprocess.run(
        ["make", "refresh"], env=env, capture_output=True, text=True, timeout=600, cwd=settings.PROJECT_ROOT
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout + done.stderr
    assert " - DEBUG - " not in out
    assert "does not match" not in out
    assert len(out.splitlines()) < 80, out
    assert (tmp_path / "dagster_home" / "dagster.yaml").read_text() == (
        settings.PROJECT_ROOT / "pipelines" / "dagster.yaml"
    ).read_text()
    assert "query it: .venv/bin/duckdb -readonly " in done.stdout
