"""bench/report.py: the figures and target verdicts `make bench` writes into docs/benchmarks.md."""

from bench.report import BEGIN, END, figures, render_markdown, search_p95, verdicts


def _step(name: str, group: str, seconds: float, kind: str = "asset") -> dict:
    return {"step": name, "group": group, "seconds": seconds, "kind": kind, "ok": True}


def _refresh(wall_s: float, load_s: float, *, published: int, compacted: int) -> dict:
    return {
        "returncode": 0,
        "wall_s": wall_s,
        "peak_rss_bytes": 3 * 2**30,
        "runs": [
            {
                "steps": [
                    _step("arxiv_snapshot_papers", "arxiv", load_s),
                    _step("paper_relevance", "classify", 9),
                    _step("published_warehouse", "publish", 3),
                ]
            }
        ],
        "publish_s": 4.0,
        "published_bytes": published,
        "compacted_bytes": compacted,
    }


def _size(n: int = 2_700_000) -> dict:
    return {
        "n": n,
        "corpus": {"bytes": 2e9},
        "floor": {"seconds": 40.0},
        "refresh": _refresh(200.0, 70.0, published=5_000, compacted=4_000),
        "daily": _refresh(9.0, 1.0, published=4_200, compacted=4_000),
        "dashboard": {
            "p50_ms": 40.0,
            "p95_ms": 150.0,
            "queries": [
                {"query": "search_papers", "args": "text='' safety=broad", "p50_ms": 800.0, "p95_ms": 900.0},
                {"query": "search_papers", "args": "text='alignment' safety=any", "p50_ms": 50.0, "p95_ms": 60.0},
                {
                    "query": "search_papers",
                    "args": "text='\"reward model\" deception' safety=broad",
                    "p50_ms": 70.0,
                    "p95_ms": 80.0,
                },
                {"query": "top_organizations", "args": "definition=broad", "p50_ms": 400.0, "p95_ms": 500.0},
            ],
        },
    }


def test_search_p95_counts_only_searches_with_text():
    p95, args = search_p95(_size()["dashboard"]["queries"])
    assert p95 == 80.0
    assert "reward model" in args
    assert search_p95([{"query": "search_papers", "args": "text='' safety=any", "p95_ms": 5.0}]) == (None, None)


def test_figures_ratios_come_from_the_same_run():
    f = figures(_size())
    assert f["load_vs_floor"] == 70.0 / 40.0
    assert f["refresh_vs_floor"] == 200.0 / 40.0
    # the publish step is reported with the exit after it, not among "other assets"
    assert f["publish_s"] == 4.0 and f["other_s"] == 0.0
    # the published file after the last run (the daily one) against its compacted size
    assert round(f["published_vs_compacted"], 3) == 0.05


def test_verdicts_judge_each_target():
    n, found = verdicts({"sizes": [_size()]})
    assert n == 2_700_000
    met = {v.target: v.met for v in found}
    assert met["snapshot load ≤ 2x the floor"] is True
    assert met["whole `make refresh` ≤ 4x the floor"] is False
    assert met["peak RSS ≤ 4 GiB"] is True
    assert met["one new day, end to end ≤ 10 s"] is True
    assert met["published file ≤ 10 % over its compacted size"] is True
    assert met["explorer search p95 ≤ 100 ms"] is True
    assert met["every page's uncached p95 ≤ 200 ms"] is True


def test_unmeasured_targets_say_so():
    size = _size()
    del size["dashboard"], size["daily"]
    _, found = verdicts({"sizes": [size]})
    by_target = {v.target: v for v in found}
    assert by_target["explorer search p95 ≤ 100 ms"].measured == "not measured"
    assert by_target["explorer search p95 ≤ 100 ms"].met is None
    # without a daily run, the published size is judged after the full refresh: 25 % over
    assert by_target["published file ≤ 10 % over its compacted size"].met is False


def test_markdown_keeps_the_hand_written_analysis():
    report = {
        "sizes": [_size()],
        "started_at": "2026-12-07T18:00:00",
        "command": "make bench",
        "machine": {
            "nproc": 2,
            "cpu_model": "x",
            "ram_bytes": 2**34,
            "os": "Linux",
            "python": "3.11",
            "versions": {},
            "duckdb_memory_limit": "3GB",
        },
    }
    existing = f"# Benchmarks\n\nintro\n\n{BEGIN}\nold\n{END}\n\n## Analysis\nkept\n"
    out = render_markdown(report, existing)
    assert out.startswith("# Benchmarks\n\nintro")
    assert out.endswith("## Analysis\nkept\n")
    assert "old" not in out
    assert "| one new day, end to end ≤ 10 s | 9.0 s | met |" in out
