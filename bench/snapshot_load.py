"""The snapshot load alone, against DuckDB's read_json floor, each in its own process, on fresh file databases.

    .venv/bin/python -m bench.snapshot_load CORPUS_DIR [--work DIR] [--memory-limit 4GB]   -> one JSON line

The load runs load_snapshot inside one transaction, as the arxiv_snapshot_papers asset does; the floor is
bench/floor.py. Each is measured from outside (wall clock, peak RSS of the process tree: bench/measure.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path

from bench.measure import run_measured

_LOAD = """
import sys, time, uuid
from pathlib import Path
from pipelines import warehouse as wh
from pipelines.ingest import RunRecord
from pipelines.snapshot import load_snapshot
run = RunRecord(run_id=uuid.uuid4().hex, asset="bench", source="arxiv_snapshot")
started = time.perf_counter()
with wh.transaction(Path(sys.argv[2]), memory_limit=sys.argv[3]) as con:
    load_snapshot(con, Path(sys.argv[1]), run, log=lambda line: print(line, flush=True))
    run.write(con, "success")
print("LOAD_SECONDS", time.perf_counter() - started)
"""


def measure(corpus: Path, work: Path, memory_limit: str) -> dict[str, float | int | str]:
    work.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    load_db, floor_db = work / f"load-{tag}.duckdb", work / f"floor-{tag}.duckdb"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    try:
        load_log = work / f"load-{tag}.log"
        load = run_measured(
            [sys.executable, "-c", _LOAD, str(corpus), str(load_db), memory_limit], env=env, log=load_log
        )
        if load.returncode != 0:
            raise SystemExit(f"load failed ({load.returncode}); see {load_log}")
        load_db_bytes = load_db.stat().st_size
        floor = run_measured(
            [sys.executable, "-m", "bench.floor", str(corpus), str(floor_db), "--memory-limit", memory_limit],
            env=env,
            log=work / f"floor-{tag}.log",
        )
        if floor.returncode != 0:
            raise SystemExit(f"floor failed ({floor.returncode})")
    finally:
        for db in (load_db, floor_db):
            db.unlink(missing_ok=True)
            Path(f"{db}.wal").unlink(missing_ok=True)
    return {
        "corpus": str(corpus),
        "load_s": round(load.wall_s, 1),
        "load_peak_rss_mib": load.peak_bytes // 2**20,
        "load_db_mib": load_db_bytes // 2**20,
        "floor_s": round(floor.wall_s, 1),
        "floor_peak_rss_mib": floor.peak_bytes // 2**20,
        "ratio": round(load.wall_s / floor.wall_s, 2),
        "other_cpu_cores_during_load": round(load.other_cpu_cores, 2),
        "load_average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "snapshot-load-bench")
    parser.add_argument("--memory-limit", default="4GB")
    args = parser.parse_args()
    print(json.dumps(measure(args.corpus, args.work, args.memory_limit)))


if __name__ == "__main__":
    main()
