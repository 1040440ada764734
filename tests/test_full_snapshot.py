"""arXiv's complete metadata snapshot as the fast path: one `arxiv-metadata-oai-snapshot.json` (the Kaggle file, every
field of science, 1986 on), loaded through ARXIV_SNAPSHOT by the real snapshot job, gives papers, denominators for
every month, marts for every year it covers, and claims computed from the years it covers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from bench import generate
from pipelines.inputs import ai_categories

pytestmark = pytest.mark.slow  # generates a corpus and runs the whole snapshot job (about a minute)

N = 20_000  # enough that every month from 2007-04 has a few dozen records, so every month is covered
NON_AI_SHARE = 0.3
# A paper of 1992, before any AI category existed, as arXiv's full snapshot holds thousands (old-style id).
OLD_PHYSICS = {
    "id": "hep-th/9201001",
    "submitter": "A. Physicist",
    "authors": "A. Physicist and B. Theorist",
    "title": "Strings before machine learning",
    "comments": "10 pages",
    "journal-ref": "Nucl.Phys. B380 (1992) 1-10",
    "doi": "10.1016/0550-3213(92)90001-A",
    "report-no": None,
    "categories": "hep-th",
    "license": None,
    "abstract": "  We study strings.\n",
    "versions": [
        {"version": "v1", "created": "Thu, 2 Jan 1992 10:00:00 GMT"},
        {"version": "v2", "created": "Fri, 3 Apr 1992 10:00:00 GMT"},
    ],
    "update_date": "2008-02-03",
    "authors_parsed": [["Physicist", "A.", ""], ["Theorist", "B.", ""]],
}


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = dt.date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, corpus_slice: Path):
    from tests.test_refresh import _env, _run_snapshot_job

    tmp = tmp_path_factory.mktemp("full_snapshot")
    manifest = generate.generate(
        N, tmp / "kaggle", source=corpus_slice, full_snapshot=True, non_ai_share=NON_AI_SHARE, log=lambda _: None
    )
    snapshot = tmp / "kaggle" / generate.FULL_SNAPSHOT_NAME
    with open(snapshot, "a") as f:
        f.write(json.dumps(OLD_PHYSICS) + "\n")
    with pytest.MonkeyPatch.context() as monkeypatch:
        env = _env(tmp, snapshot)  # the single file, as downloaded: uncompressed .json
        result = _run_snapshot_job(monkeypatch, env)
    con = duckdb.connect(env["WAREHOUSE_PATH"], read_only=True)
    yield result, con, manifest, snapshot
    con.close()


def test_the_generator_writes_the_full_snapshot_shape(loaded) -> None:
    _, _, manifest, snapshot = loaded
    assert snapshot.name == "arxiv-metadata-oai-snapshot.json" and manifest.full_snapshot
    with open(snapshot) as f:
        first = json.loads(f.readline())
    assert {"id", "submitter", "authors", "title", "comments", "journal-ref", "doi", "report-no", "categories",
            "license", "abstract", "versions", "update_date", "authors_parsed"} <= first.keys()  # fmt: skip
    assert first["id"].startswith("0704.") and first["versions"][0]["version"] == "v1"


def test_every_record_loads_with_its_first_version_date_doi_and_journal_ref(loaded) -> None:
    result, con, _, _ = loaded
    failures = [e.step_key for e in result.all_events if e.is_step_failure]
    assert result.success, f"failed steps: {failures}"
    n, n_v1, n_doi, n_journal = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE date_source = 'v1'), count(doi), count(journal_ref) FROM papers"
    ).fetchone()
    assert n == N + 1 and n_v1 == N + 1
    assert N / 4 < n_doi < N / 2 and N / 8 < n_journal < N / 3  # a third and a fifth of the generated records
    old = con.execute(
        "SELECT published_date, latest_version, journal_ref, doi FROM papers WHERE arxiv_id = 'hep-th/9201001'"
    ).fetchone()
    assert old == (dt.date(1992, 1, 2), 2, "Nucl.Phys. B380 (1992) 1-10", "10.1016/0550-3213(92)90001-A")
    assert con.execute("SELECT count(*) FROM rejected_records").fetchone()[0] == 0


def test_denominators_for_every_month_count_ai_papers_only(loaded) -> None:
    _, con, manifest, _ = loaded
    all_ai = dict(
        con.execute(
            "SELECT month, n_papers FROM category_month_counts WHERE category = 'ALL_AI' AND source = 'arxiv_snapshot'"
        ).fetchall()
    )
    expected = dict(
        con.execute(
            """SELECT date_trunc('month', published_date)::DATE, count(*) FILTER (WHERE list_has_any(categories, ?))
            FROM papers GROUP BY ALL""",
            [ai_categories()],
        ).fetchall()
    )
    assert all_ai == expected  # every month with papers, each counting its AI papers once
    last = dt.date.fromisoformat(manifest.last_month + "-01")
    assert set(_months(dt.date(2007, 4, 1), last)) <= all_ai.keys()
    assert all_ai[dt.date(1992, 1, 1)] == 0  # a month of physics only: counted, zero AI papers
    n_non_ai = con.execute("SELECT count(*) FROM papers WHERE NOT list_has_any(categories, ?)", [ai_categories()])
    assert sum(all_ai.values()) == N + 1 - n_non_ai.fetchone()[0]
    non_ai = con.execute(
        "SELECT sum(n_papers) FROM category_month_counts WHERE category IN ('hep-th', 'quant-ph', 'math.AP')"
    ).fetchone()[0]
    assert non_ai > 0.3 * NON_AI_SHARE * N  # non-AI categories keep their own counts


def test_checks_pass_and_marts_cover_every_year_without_gaps(loaded) -> None:
    result, con, manifest, _ = loaded
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert checks["every_month_has_a_denominator"]
    failed = [name for name, passed in checks.items() if not passed]
    assert failed == ["arxiv_data_freshness"]  # a warning only: the generated snapshot ends months ago
    last = dt.date.fromisoformat(manifest.last_month + "-01")
    months = [m for (m,) in con.execute("SELECT month FROM neglectedness_monthly ORDER BY month").fetchall()]
    assert months == _months(dt.date(2007, 4, 1), last)  # 2007-04 .. 2026-03: every month, no gap, not 1992
    shares = con.execute("SELECT min(share_broad), max(share_broad) FROM neglectedness_monthly").fetchone()
    assert 0 <= shares[0] <= shares[1] <= 1
    years = [y for (y,) in con.execute("SELECT DISTINCT year FROM workforce_authors_yearly ORDER BY 1").fetchall()]
    assert set(range(2007, last.year + 1)) <= set(years)


def test_claims_about_2017_to_2022_are_computed_from_papers_and_authors(loaded) -> None:
    _, con, _, _ = loaded
    rows = {
        c: (v, json.loads(n), s)
        for c, v, n, s in con.execute("SELECT claim, verdict, numbers, data_says FROM claims_check").fetchall()
    }

    def claim(fragment: str):
        (found,) = [v for c, v in rows.items() if fragment in c]
        return found

    _, numbers, says = claim("every day")
    assert numbers["not_covered_years"] == []
    assert set(numbers["per_day_narrow"]) >= {str(y) for y in range(2020, 2026)}
    assert numbers["share_days_2plus_broad"]["2021"] is not None
    assert "does not cover" not in says
    _, numbers, says = claim("in 2017")
    for year in ("2017", "2018"):
        assert numbers[year]["authors_window_coverage"] == 1.0
        assert numbers[year]["narrow_authors_active"] is not None
    assert "does not cover 2017" not in says and "authors had a narrow safety paper" in says
    _, numbers, _ = claim("100-200")
    assert numbers["narrow_authors_active"] is not None
    _, numbers, says = claim("thousands upon thousands")
    assert numbers["not_covered_years"] == [] and "2020" in json.dumps(numbers["narrow_by_year"])
