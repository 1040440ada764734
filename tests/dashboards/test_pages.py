"""AppTest smoke tests: every page renders on the fixture warehouse, and fails soft without one."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import pages as registry
from dashboards import queries
from pipelines import contract

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
# page -> (least number of Altair charts, least number of metrics); the pages themselves: dashboards/pages.py
MIN_ELEMENTS = {
    "overview": (1, 8),
    "output_trends": (3, 0),
    "labs_vs_academia": (4, 0),  # plus three in columns (test below)
    "topics": (2, 0),
    "workforce": (6, 0),
    "claims_check": (0, 4),
    "paper_explorer": (0, 0),
    "pipeline_status": (0, 4),
}
# page script -> (heading, least number of Altair charts, least number of metrics)
PAGES = {p.script: (p.heading, *MIN_ELEMENTS[p.name]) for p in registry.PAGES}


def test_every_registered_page_has_expectations() -> None:
    assert set(MIN_ELEMENTS) == {p.name for p in registry.PAGES}


def _open(page: str, query: dict[str, object] | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page(page)
    if query:
        at.query_params = dict(query)
    return at.run()


def _charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart")) + sum(len(c.get("vega_lite_chart")) for c in at.columns)


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in (at.markdown, at.caption, at.info, at.warning, at.subheader) for e in kind]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_renders(warehouse: Path, page: str) -> None:
    title, min_charts, min_metrics = PAGES[page]
    at = _open(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == [title]
    assert len(at.get("vega_lite_chart")) >= min_charts
    assert len(at.metric) >= min_metrics


def test_overview_figures_come_from_the_warehouse(warehouse: Path, fixture_tables) -> None:
    at = _open("views/overview.py")
    neglect = fixture_tables["neglectedness_monthly"].sort("month").tail(12)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Safety papers, narrow"] == f"{neglect['n_safety_narrow'].sum():,}"
    share = neglect["n_safety_broad"].sum() / neglect["n_ai_papers"].sum()
    assert metrics["Share of AI papers, broad"] == f"{100 * share:.2f}%"
    captions = "\n".join(c.value for c in at.caption)
    assert f"12 months to {neglect['month'].max():%Y-%m}" in captions
    assert "denominator: arxiv_snapshot" in captions
    assert "sample of arXiv, not a census" in _texts(at)


def test_definition_toggle_and_url_state(warehouse: Path) -> None:
    at = _open("views/output_trends.py", {"def": "broad", "months": ["2024-01", "2024-12"]})
    assert not at.exception
    assert "Safety papers per month (broad)" in [s.value for s in at.subheader]
    assert at.select_slider(key="months").value == ("2024-01", "2024-12")
    narrow = _open("views/output_trends.py")
    assert "Safety papers per month (narrow)" in [s.value for s in narrow.subheader]


def test_explorer_search_filters_and_download(warehouse: Path) -> None:
    at = _open("views/paper_explorer.py", {"q": "hazardous", "safety": "all", "months": ["2023-02", "2026-08"]})
    assert not at.exception
    shown = at.dataframe[0].value
    assert list(shown["arxiv_id"]) == ["2511.08877"]
    assert list(shown["url"]) == ["https://arxiv.org/abs/2511.08877"]
    assert len(at.get("download_button")) == 1
    assert "**1** matching papers (2023-02 to 2026-08)" in _texts(at)


def test_explorer_row_limit_note(warehouse: Path, fixture_tables) -> None:
    at = _open("views/paper_explorer.py", {"safety": "all", "limit": "100", "months": ["2023-02", "2026-08"]})
    assert len(at.dataframe[0].value) == fixture_tables["papers"].height
    assert "more match" not in _texts(at)


@pytest.mark.parametrize("text", ["'; DROP TABLE papers; --", "%' OR 1=1 --", "Robert'); DELETE FROM papers;--"])
def test_explorer_sql_injection_is_treated_as_text(warehouse: Path, fixture_tables, text: str) -> None:
    at = _open("views/paper_explorer.py", {"safety": "all", "months": ["2023-02", "2026-08"]})
    at.text_input(key="q").input(text).run()
    assert not at.exception and not at.error
    assert at.text_input(key="q").value == text
    assert "No papers match" in _texts(at)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == fixture_tables["papers"].height
    finally:
        con.close()


@pytest.mark.parametrize("page", list(PAGES))
def test_missing_warehouse_shows_build_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    monkeypatch.setenv("WAREHOUSE_PATH", str(tmp_path / "absent" / "warehouse.duckdb"))
    at = _open(page)
    assert not at.exception
    assert any("has not been built yet" in w.value for w in at.warning)
    assert "make refresh" in [c.value for c in at.code]


@pytest.mark.parametrize("page", list(PAGES))
def test_ingest_only_warehouse_degrades_per_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    """Before classification and marts exist, pages say what is missing instead of failing."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(contract.ddl(*contract.names("ingest")))
    con.close()
    monkeypatch.setenv("WAREHOUSE_PATH", str(path))
    at = _open(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    messages = [m.value for m in at.info] + [m.value for m in at.warning]
    assert any("Not computed yet" in m or "Not built yet" in m or "empty" in m for m in messages), messages


def test_claims_page_shows_every_claim_with_its_verdict(warehouse: Path, fixture_tables) -> None:
    at = _open("views/claims_check.py")
    claims = fixture_tables["claims_check"]
    text = _texts(at)
    for claim in claims["claim"]:
        assert claim in text
    counts = dict(claims.group_by("verdict").len().iter_rows())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Supported"] == str(counts.get("supported", 0))
    at = _open("views/claims_check.py", {"verdict": "mixed"})
    shown = [c for c in claims["claim"] if c in _texts(at)]
    assert shown == claims.filter(pl.col("verdict") == "mixed")["claim"].to_list()


@pytest.mark.parametrize("table", queries.DERIVED_TABLES)
def test_every_page_survives_one_missing_table(
    warehouse_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: str
) -> None:
    """A step that has not run yet (one table absent) costs one section, never a page."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse_file, path)
    con = duckdb.connect(str(path))
    con.execute(f'DROP TABLE "{table}"')
    con.close()
    monkeypatch.setenv("WAREHOUSE_PATH", str(path))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not at.error, (page, [e.value for e in at.error])


def test_a_newly_published_warehouse_replaces_cached_results(
    warehouse_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse_file, published)
    monkeypatch.setenv("WAREHOUSE_PATH", str(published))
    at = _open("views/claims_check.py")
    assert "A claim added by the next run" not in _texts(at)

    staged = tmp_path / "next.duckdb"  # what the pipeline's publish step does: copy, change, rename over
    shutil.copyfile(published, staged)
    con = duckdb.connect(str(staged))
    con.execute(
        "INSERT INTO claims_check VALUES ('A claim added by the next run', 'seed 001', 'Data.', 'mixed', '{}', now())"
    )
    con.close()
    staged.replace(published)
    at.run()
    assert "A claim added by the next run" in _texts(at)


def test_status_page_shows_label_accuracy_from_the_warehouse(warehouse: Path, fixture_tables) -> None:
    at = _open("views/pipeline_status.py")
    assert "How accurate the safety labels are" in _texts(at)
    shown = [df.value for df in at.dataframe if "flagged_share" in df.value.columns]
    assert len(shown) == 1
    expected = fixture_tables["classifier_accuracy"]
    assert len(shown[0]) == expected.height
    assert list(shown[0]["split"])[:2] == ["test", "dev"]  # narrow first, test first


def test_status_page_shows_affiliation_coverage_and_unclassified_organisations(warehouse: Path) -> None:
    at = _open("views/pipeline_status.py")
    texts = _texts(at)
    assert "1,000 author slots of conference papers name a place; 96.0% got an organisation class" in texts
    assert "12 more name none" in texts
    shown = [df.value for df in at.dataframe if "author_slots" in df.value.columns]
    assert len(shown) == 1 and list(shown[0]["organization"]) == ["Nameless Lab", "Quiet Place"]


def test_labs_page_shows_three_ways_with_coverage(warehouse: Path, fixture_tables) -> None:
    at = _open("views/labs_vs_academia.py")
    assert not at.exception and not at.error
    shares = fixture_tables["origin_shares_yearly"]
    lead = shares.filter(period="all", population="narrow", way="lead_author", **{"class": "academic"}).row(
        0, named=True
    )
    assert f"Rests on {lead['n_known']:,} of {lead['n_papers']:,} safety papers" in _texts(at)
    assert _charts(at) >= 4 + 3  # the three ways are three more charts
