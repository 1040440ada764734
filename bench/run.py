"""`make bench`: the whole pipeline at full-arXiv scale, against DuckDB's floor and a naive baseline, in one run.

For each size N (default 1M and 2.7M records):
  1. corpus   bench/out/corpus-N (bench/generate.py; reused when its manifest matches, --regenerate to force)
  2. floor    DuckDB read_json of the same files into a fresh file database, + CHECKPOINT (bench/floor.py)
  3. naive    json module + per-row Python loop + row inserts, on a sample, extrapolated (bench/naive.py)
     classify  the relevance classifier alone on N resampled papers, no warehouse I/O (bench/classify_bench.py,
              when present)
  4. refresh  `python -m pipelines.refresh` as a subprocess on fresh warehouse paths and DAGSTER_HOME: wall clock,
              peak RSS of its process tree, per-step durations from the Dagster event log (bench/dagster_steps.py)
  5. daily    one new day's file (fresh ids) added to the snapshot folder, refresh again
  6. queries  dashboard page queries against the published warehouse: p50 / p95
Every measured phase runs in its own process. Results: a markdown table on stdout, bench/out/results.json, and
docs/benchmarks.md (unless --no-doc).

    make bench BENCH_ARGS="--sizes 100000 --no-doc"
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path

import duckdb
import psutil

from bench import generate
from bench.measure import Measured, run_measured
from bench.report import render_markdown, summary_table
from pipelines import settings

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DOC = ROOT / "docs" / "benchmarks.md"
DAILY_RECORDS = 2_000


def log(msg: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {msg}", flush=True)


def _last_json(measured: Measured) -> dict | list | None:
    """The JSON a phase printed as its last stdout line (its log holds stdout and stderr)."""
    for line in reversed(Path(measured.log).read_text().splitlines()):
        line = line.strip()
        if line.startswith(("{", "[")):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def _measured_dict(m: Measured) -> dict:
    return {
        "returncode": m.returncode,
        "wall_s": m.wall_s,
        "peak_rss_bytes": m.peak_bytes,
        "peak_rss_tree_polled_bytes": m.peak_rss_bytes,
        "max_rss_single_process_bytes": m.max_rss_single_bytes,
        "other_cpu_cores": m.other_cpu_cores,
        "log": m.log,
    }


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    versions = {}
    for pkg in ("duckdb", "dagster", "polars", "pyarrow"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "-"
    return {
        "nproc": os.cpu_count(),
        "ram_bytes": psutil.virtual_memory().total,
        "cpu_model": model,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "duckdb_memory_limit": settings.duckdb_memory_limit(),
    }


def _warm_cache(folder: Path) -> None:
    """Read every file once so each phase sees the same (warm) page cache."""
    for f in folder.glob("*.jsonl.gz"):
        with open(f, "rb") as fh:
            while fh.read(16 * 1024 * 1024):
                pass


def _refresh_env(run: Path, snapshot: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ARXIV_SNAPSHOT=str(snapshot),
        ARXIV_SOURCE="snapshot",
        WAREHOUSE_PATH=str(run / "published" / "warehouse.duckdb"),
        WAREHOUSE_WORK_PATH=str(run / "work" / "warehouse.duckdb"),
        DAGSTER_HOME=str(run / "dagster_home"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _refresh(run: Path, env: dict[str, str], name: str) -> dict:
    """One `python -m pipelines.refresh`, measured; its Dagster runs' step durations from the event log."""
    since = time.time()
    m = run_measured([PY, "-m", "pipelines.refresh"], env=env, log=run / f"{name}.log", cwd=ROOT)
    ended = time.time()
    steps = run_measured(
        [PY, "-m", "bench.dagster_steps", "--since", str(since - 1)],
        env=env,
        log=run / f"{name}-steps.json.log",
        cwd=ROOT,
    )
    runs = _last_json(steps) or []
    for dagster_run in runs:
        for step in dagster_run["steps"]:
            inside = [rss for t, rss in m.timeline if step["start"] - 0.05 <= t <= step["end"] + 0.05]
            step["peak_rss_bytes"] = max(inside, default=None)
    out = _measured_dict(m) | {"runs": runs}
    if runs:
        out["job_s"] = sum(r["finished"] - r["started"] for r in runs)
        out["startup_s"] = runs[0]["started"] - since
        out["after_job_s"] = ended - runs[-1]["finished"]  # the closing summary
        publish = [s["end"] - s["start"] for r in runs for s in r["steps"] if s["step"] == "published_warehouse"]
        out["publish_s"] = sum(publish) + out["after_job_s"]  # the publish step (checkpoint + copy) and exit
    out["tail"] = Path(m.log).read_text().splitlines()[-25:]
    work = Path(env["WAREHOUSE_WORK_PATH"])
    out["warehouse_bytes"] = work.stat().st_size if work.is_file() else None
    published = Path(env["WAREHOUSE_PATH"])
    if published.is_file():
        con = duckdb.connect(str(published), read_only=True)
        try:
            _, _, block_size, _, _, free, *_ = con.execute("PRAGMA database_size").fetchone()
        finally:
            con.close()
        out["published_bytes"] = published.stat().st_size
        out["published_free_bytes"] = free * block_size
        out["compacted_bytes"] = _compacted_bytes(published, run / f"{name}-compacted.duckdb")
    return out


def _compacted_bytes(published: Path, scratch: Path) -> int | None:
    """The size of the published data written compactly: COPY FROM DATABASE into a fresh file of the same storage
    version, outside the timed phases and in its own process (a large parent would pass its RSS on to the next
    phase's child: Linux counts a forked child's pages in its peak until exec)."""
    scratch.unlink(missing_ok=True)
    code = (
        "import duckdb, sys\n"
        "con = duckdb.connect()\n"
        "con.execute('SET enable_progress_bar = false')\n"
        "con.execute(f\"ATTACH '{sys.argv[1]}' AS src (READ_ONLY)\")\n"
        "v = con.execute(\"SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = 'src'\")\n"
        "storage = (v.fetchone()[0] or '').rstrip('+')\n"
        "option = f\" (STORAGE_VERSION '{storage}')\" if storage else ''\n"
        "con.execute(f\"ATTACH '{sys.argv[2]}' AS compact{option}\")\n"
        "con.execute('COPY FROM DATABASE src TO compact')\n"
        "con.execute('DETACH compact')\n"
    )
    done = subprocess.run([PY, "-c", code, str(published), str(scratch)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        log(f"compacted size not measured: {done.stderr.strip()[-300:]}")
        return None
    size = scratch.stat().st_size
    scratch.unlink()
    return size


def _count_papers(warehouse: Path) -> int | None:
    if not warehouse.is_file():
        return None
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM papers").fetchone()[0]
    finally:
        con.close()


def _daily_file(snapshot: Path, manifest: generate.Manifest, n: int) -> tuple[Path, date, int]:
    """A new day after the corpus' last date; ids continue after the last sequence number of that month."""
    day = date.fromisoformat(manifest.last_date) + timedelta(days=1)
    counts = dict(
        generate.month_counts(manifest.n_records, generate.FIRST_MONTH, date.fromisoformat(manifest.last_month + "-01"))
    )
    first_seq = counts.get(day.replace(day=1), 0) + 1
    target = snapshot / f"arxiv-{day:%Y-%m-%d}.jsonl.gz"
    generate.write_day(target, day, n, seed=manifest.seed + 1, versions=manifest.versions, first_seq=first_seq)
    return target, day, first_seq


def _dashboard(run: Path, warehouse: Path, repeats: int) -> dict:
    """Page-level timing from bench/dashboard_bench.py (when present: each page's recorded queries replayed
    uncached), and every query function of dashboards/queries.py on its own (bench/query_timing.py)."""
    out: dict = {}
    if (ROOT / "bench" / "dashboard_bench.py").is_file():
        json_path = run / "dashboard.json"
        m = run_measured(
            [
                PY,
                "-m",
                "bench.dashboard_bench",
                "--warehouse",
                str(warehouse),
                "--repeat",
                str(repeats),
                "--json",
                str(json_path),
            ],
            env=dict(os.environ, WAREHOUSE_PATH=str(warehouse)),
            log=run / "dashboard.log",
            cwd=ROOT,
        )
        if m.returncode == 0 and json_path.is_file():
            pages = [
                {
                    "page": p["page"],
                    "n_queries": p.get("n_queries"),
                    "p50_ms": p["queries_p50_s"] * 1e3,
                    "p95_ms": p["queries_p95_s"] * 1e3,
                    "slowest_query": p.get("slowest_query"),
                    "render_cold_ms": p.get("render_cold_s", 0) * 1e3,
                    "render_warm_p95_ms": p.get("render_warm_p95_s", 0) * 1e3,
                }
                for p in json.loads(json_path.read_text())["pages"]
            ]
            worst = max(pages, key=lambda p: p["p95_ms"])
            out |= {
                "source": "bench/dashboard_bench.py: all queries of a page, replayed uncached",
                "pages": pages,
                "p50_ms": statistics.median(p["p50_ms"] for p in pages),
                "p95_ms": worst["p95_ms"],
                "slowest": f"{worst['page']} ({worst['slowest_query']})",
            }
        else:
            out["pages_error"] = f"bench/dashboard_bench.py exit {m.returncode}, see {m.log}"
            log(out["pages_error"])
    m = run_measured(
        [PY, "-m", "bench.query_timing", str(warehouse), "--repeats", str(repeats)], log=run / "queries.log", cwd=ROOT
    )
    data = _last_json(m)
    if not isinstance(data, dict):
        out["queries_error"] = f"bench/query_timing.py exit {m.returncode}, see {m.log}"
        return out
    out["queries"] = data["queries"]
    if "p95_ms" not in out:
        out |= {"source": "bench/query_timing.py: each query function, uncached"} | {
            k: data[k] for k in ("p50_ms", "p95_ms", "slowest")
        }
    return out


def bench_size(n: int, args: argparse.Namespace) -> dict:
    result: dict = {"n": n, "git_commit": _git_commit()}
    folder = generate.corpus_dir(n)
    if args.skip_generate:
        manifest = generate.Manifest.read(folder)
        if not manifest or manifest.n_records != n:
            raise SystemExit(f"--skip-generate: no corpus for {n:,} at {folder}; run without it first")
        generated = False
    else:
        log(f"corpus {n:,}: generating unless {folder} matches")
        t0 = time.monotonic()
        folder, manifest, generated = generate.ensure_corpus(
            n,
            seed=args.seed,
            versions=not args.no_versions,
            regenerate=args.regenerate,
            log=lambda m: log(m),
        )
        if generated:
            result["generate_s"] = time.monotonic() - t0
    result["corpus"] = {"path": str(folder), "generated_now": generated} | vars(manifest)
    log(f"corpus {n:,}: {manifest.n_files} files, {manifest.bytes / 1e9:.2f} GB gzip")

    run = generate.BENCH_OUT / f"run-{n}"
    shutil.rmtree(run, ignore_errors=True)
    snapshot = run / "snapshot"
    snapshot.mkdir(parents=True)
    for f in sorted(folder.glob("*.jsonl.gz")):
        (snapshot / f.name).symlink_to(f)
    (run / "dagster_home").mkdir()
    shutil.copy(ROOT / "pipelines" / "dagster.yaml", run / "dagster_home" / "dagster.yaml")
    _warm_cache(folder)

    if "floor" in args.phases:
        floors = []
        for i in range(args.floor_repeats):
            log(f"floor {n:,}: DuckDB read_json into a fresh database ({i + 1}/{args.floor_repeats})")
            m = run_measured(
                [
                    PY,
                    "-m",
                    "bench.floor",
                    str(folder),
                    str(run / "floor.duckdb"),
                    "--memory-limit",
                    settings.duckdb_memory_limit(),
                ],
                log=run / "floor.log",
                cwd=ROOT,
            )
            floors.append(_measured_dict(m) | (_last_json(m) or {"error": "no result"}))
            (run / "floor.duckdb").unlink(missing_ok=True)
        result["floor_runs"] = floors
        # The fastest repeat: the floor is what the machine can do, and a slower repeat only measured contention.
        ok = [f for f in floors if "seconds" in f]
        result["floor"] = min(ok, key=lambda f: f["seconds"]) if ok else floors[0]
        log(f"floor {n:,}: {result['floor'].get('seconds', float('nan')):.1f} s")

    if "naive" in args.phases:
        log(
            f"naive {n:,}: json + per-row loop on {min(args.naive_sample, n):,} records, inserts on "
            f"{min(args.naive_insert_sample, n):,}, extrapolated"
        )
        m = run_measured(
            [
                PY,
                "-m",
                "bench.naive",
                str(folder),
                str(run / "naive"),
                "--n-total",
                str(n),
                "--parse-sample",
                str(args.naive_sample),
                "--insert-sample",
                str(args.naive_insert_sample),
            ],
            log=run / "naive.log",
            cwd=ROOT,
        )
        result["naive"] = _measured_dict(m) | (_last_json(m) or {"error": "no result"})
        shutil.rmtree(run / "naive", ignore_errors=True)
        log(f"naive {n:,}: {result['naive'].get('extrapolated_s', float('nan')):,.0f} s extrapolated")

    if "classify" in args.phases and (ROOT / "bench" / "classify_bench.py").is_file():
        log(f"classify {n:,}: bench/classify_bench.py (classify_relevance alone, in memory, no warehouse I/O)")
        m = run_measured(
            [PY, "-m", "bench.classify_bench", "--papers", str(n), "--repeats", "1"], log=run / "classify.log", cwd=ROOT
        )
        result["classify_bench"] = _measured_dict(m) | (_last_json(m) or {"error": f"no result, see {m.log}"})
        log(f"classify {n:,}: {result['classify_bench'].get('median_s', float('nan'))} s")

    env = _refresh_env(run, snapshot)
    published = Path(env["WAREHOUSE_PATH"])
    if "refresh" in args.phases:
        log(f"refresh {n:,}: python -m pipelines.refresh (full load into an empty warehouse)")
        result["refresh"] = _refresh(run, env, "refresh")
        result["refresh"]["papers"] = _count_papers(published)
        log(
            f"refresh {n:,}: exit {result['refresh']['returncode']} in {result['refresh']['wall_s']:.1f} s, "
            f"peak {result['refresh']['peak_rss_bytes'] / 2**30:.2f} GiB, papers {result['refresh']['papers']}"
        )

        if "daily" in args.phases:
            target, day, first_seq = _daily_file(snapshot, manifest, args.daily_records)
            log(f"daily {n:,}: added {target.name} ({args.daily_records:,} new records), refresh again")
            result["daily"] = _refresh(run, env, "daily") | {
                "file": target.name,
                "day": day.isoformat(),
                "records": args.daily_records,
                "first_seq": first_seq,
            }
            result["daily"]["papers"] = _count_papers(published)
            log(
                f"daily {n:,}: exit {result['daily']['returncode']} in {result['daily']['wall_s']:.1f} s, "
                f"papers {result['daily']['papers']}"
            )

    if "queries" in args.phases:
        if published.is_file():
            log(f"queries {n:,}: dashboard queries against {published}")
            result["dashboard"] = _dashboard(run, published, args.query_repeats)
            if "p95_ms" in result["dashboard"]:
                log(
                    f"queries {n:,}: p50 {result['dashboard']['p50_ms']:.0f} ms, "
                    f"p95 {result['dashboard']['p95_ms']:.0f} ms"
                )
        else:
            result["dashboard"] = {"error": "no published warehouse (the refresh failed or was skipped)"}
    if not args.keep:
        for name in ("work", "published"):
            shutil.rmtree(run / name, ignore_errors=True)
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000000,2700000", help="comma-separated record counts")
    parser.add_argument("--skip-generate", action="store_true", help="use the existing corpora; fail if missing")
    parser.add_argument("--regenerate", action="store_true", help="generate the corpora even if they exist")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--no-versions", action="store_true", help="generate records without `versions`")
    parser.add_argument(
        "--phases",
        default="floor,naive,classify,refresh,daily,queries",
        help="subset of floor,naive,classify,refresh,daily,queries",
    )
    parser.add_argument("--floor-repeats", type=int, default=2, help="the fastest repeat counts")
    parser.add_argument("--naive-sample", type=int, default=200_000, help="records the naive parse loop reads")
    parser.add_argument("--naive-insert-sample", type=int, default=2_000, help="records the naive inserts write")
    parser.add_argument("--daily-records", type=int, default=DAILY_RECORDS)
    parser.add_argument("--query-repeats", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the warehouses under bench/out/run-N")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    command = "make bench" + (f" BENCH_ARGS={shlex.quote(' '.join(argv))}" if argv else "")
    started = time.monotonic()
    report = {
        "command": command,
        "started_at": datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        "git_commit": _git_commit(),
        "sizes": [],
    }
    for n in args.sizes:
        report["sizes"].append(bench_size(n, args))
        report["total_s"] = time.monotonic() - started
        generate.BENCH_OUT.mkdir(parents=True, exist_ok=True)
        (generate.BENCH_OUT / "results.json").write_text(json.dumps(report, indent=2, default=str))
    print()
    print(summary_table(report))
    if not args.no_doc:
        DOC.write_text(render_markdown(report, DOC.read_text() if DOC.is_file() else None))
        log(f"wrote {DOC}")
    log(f"done in {time.monotonic() - started:,.0f} s; raw results in {generate.BENCH_OUT / 'results.json'}")
    return 0


def _git_commit() -> str:
    """HEAD's short hash, marked when the working tree differs from it (read-only git commands)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return ""
    return f"{head} + uncommitted changes" if changes else head


if __name__ == "__main__":
    sys.exit(main())
