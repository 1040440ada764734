"""AppTest smoke tests: every page renders on the fixture warehouse, and fails soft without one."""

from __future__ import annotations

import datetime as dt
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
    "output_trends": (5, 1),  # per period, yearly fit, year over year, by topic, shares; the growth metrics
    "labs_vs_academia": (4, 0),  # plus three in columns (test below)
    "topics": (3, 0),
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


def test_explorer_ranks_by_relevance_searches_authors_and_sorts_newest(warehouse: Path, fixture_tables) -> None:
    months = ["2023-02", "2026-08"]
    at = _open("views/paper_explorer.py", {"q": "author:lopez", "safety": "all", "months": months})
    assert not at.exception and not at.error
    lopez = fixture_tables["papers"].filter(pl.col("authors").list.contains("Ana Lopez"))
    assert set(at.dataframe[0].value["arxiv_id"]) == set(lopez["arxiv_id"])
    assert "author:hinton" in (at.text_input(key="q").help or "")
    # "interpretability" is a whole word in two papers' abstracts and part of "interpretable" in one title: the
    # whole-word matches rank first; newest first lists the same papers by date.
    best = _open("views/paper_explorer.py", {"q": "interpretab", "safety": "all", "months": months})
    ranked = list(best.dataframe[0].value["arxiv_id"])
    newest = _open("views/paper_explorer.py", {"q": "interpretab", "safety": "all", "months": months, "sort": "newest"})
    by_date = list(newest.dataframe[0].value["arxiv_id"])
    assert sorted(ranked) == sorted(by_date) and len(ranked) >= 2
    dates = dict(fixture_tables["papers"].select("arxiv_id", "published_date").iter_rows())
    assert by_date == sorted(by_date, key=lambda i: dates[i], reverse=True)
    whole = _open("views/paper_explorer.py", {"q": "sparse", "safety": "all", "months": months})
    first = whole.dataframe[0].value["arxiv_id"].iloc[0]
    assert first == "2406.09931"  # "sparse" twice, in title and abstract


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


# ---------------------------------------------------------------- across years (the multi-year fixture)


def _chart_frames(chart) -> list[pl.DataFrame]:
    """The data sets an Altair chart sent to the browser."""
    return [pl.read_ipc_stream(d.data.data) for d in chart.proto.datasets]


def _chart_frame_with(at: AppTest, column: str, index: int = 0) -> pl.DataFrame:
    for frame in _chart_frames(at.get("vega_lite_chart")[index]):
        if column in frame.columns:
            return frame
    raise AssertionError(f"no data set with {column}")


def test_trends_open_on_the_last_ten_years_at_the_yearly_grain(multiyear: Path) -> None:
    at = _open("views/output_trends.py")
    assert not at.exception, [e.value for e in at.exception]
    assert at.segmented_control(key="grain").value == "yearly"
    assert at.select_slider(key="months").value == ("2017-01", "2026-08")
    assert "Safety papers per year (narrow)" in [s.value for s in at.subheader]
    periods = _chart_frame_with(at, "n_safety_narrow")
    # 2020 has no data: no bar at all, never a zero; 2019 is partial (two months)
    assert periods["label"].to_list() == ["2017", "2018", "2019", "2021", "2022", "2023", "2024", "2025", "2026"]
    assert periods.filter(pl.col("label") == "2019")["n_months"].item() == 2
    assert (periods["n_safety_narrow"] > 0).all()


def test_trends_say_which_periods_have_no_data(multiyear: Path) -> None:
    at = _open("views/output_trends.py")
    warnings = [w.value for w in at.warning]
    assert any("No data for 2019-03 to 2020-12" in w for w in warnings), warnings
    gaps = _chart_frame_with(at, "gap_start")
    assert gaps.rows() == [(dt.date(2019, 3, 1), dt.date(2021, 1, 1), "2019-03 to 2020-12")]
    texts = _texts(at)
    assert "Partly covered, drawn paler: 2019 (2 of 12 months), 2026 (8 of 12 months)" in texts


def test_seed_years_are_marked_on_the_yearly_charts(multiyear: Path) -> None:
    at = _open("views/output_trends.py")
    seeds = _chart_frame_with(at, "seed")
    assert seeds["label"].to_list() == ["2017 (seed docs)", "2018 (seed docs)", "2022 (seed docs)"]
    fit_chart = next(c for c in at.get("vega_lite_chart") if "fitted" in c.proto.spec or _has(c, "fitted"))
    assert any(
        "label" in f.columns and f["label"].to_list()[:1] == ["2017 (seed docs)"] for f in _chart_frames(fit_chart)
    )
    assert "Dashed lines: 2017, 2018, 2022" in _texts(at)
    # A range without them says so instead.
    later = _open("views/output_trends.py", {"months": ["2023-01", "2026-08"]})
    assert "Seed-document years outside this range: 2017, 2018, 2022." in _texts(later)


def _has(chart, column: str) -> bool:
    return any(column in f.columns for f in _chart_frames(chart))


def test_yearly_growth_fit_shows_rate_interval_doubling_time_and_years(multiyear: Path) -> None:
    from tests.dashboards.conftest import MULTIYEAR_GROWTH

    at = _open("views/output_trends.py")
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    expected = (1 + MULTIYEAR_GROWTH["ai"]) * (1 + MULTIYEAR_GROWTH["narrow_share"]) - 1  # 37.5% a year
    growth, interval = metrics["Annual growth of safety papers"]
    assert growth == f"{100 * expected:+.0f}%"
    assert interval.startswith("95% interval")
    doubling = metrics["Doubling time"][0]
    assert float(doubling.split()[0]) == pytest.approx(0.693 / 0.318, abs=0.1)
    # complete years only: 2019 (two months) and 2026 (eight) are shown but not fitted, 2020 has no data
    assert metrics["Years fitted"] == ("2017–2025", "7 complete years")
    assert "Fitted years: 2017, 2018, 2021, 2022, 2023, 2024, 2025; not fitted: 2019, 2026" in _texts(at)


def test_grain_switch_is_kept_in_the_url(multiyear: Path) -> None:
    quarterly = _open("views/output_trends.py", {"grain": "quarterly", "months": ["2018-01", "2019-12"]})
    assert "Safety papers per quarter (narrow)" in [s.value for s in quarterly.subheader]
    labels = _chart_frame_with(quarterly, "n_safety_narrow")["label"].to_list()
    assert labels == ["2018-Q1", "2018-Q2", "2018-Q3", "2018-Q4", "2019-Q1"]  # 2019-Q2..Q4 lack data
    assert any("No data for 2019-03 to 2019-12" in w.value for w in quarterly.warning)
    monthly = _open("views/output_trends.py", {"grain": "monthly"})
    assert "Safety papers per month (narrow)" in [s.value for s in monthly.subheader]
    monthly.segmented_control(key="grain").set_value("yearly").run()
    assert "Safety papers per year (narrow)" in [s.value for s in monthly.subheader]


def test_short_history_opens_monthly_on_everything(warehouse: Path) -> None:
    at = _open("views/output_trends.py")
    assert at.segmented_control(key="grain").value == "monthly"
    assert at.select_slider(key="months").value == ("2023-01", "2026-08")
    assert "Seed-document years outside this range: 2017, 2018, 2022." in _texts(at)


@pytest.mark.parametrize(
    ("page", "table"),
    [
        ("views/labs_vs_academia.py", "safety_papers_by_origin_monthly"),
        ("views/topics.py", "safety_papers_by_topic_monthly"),
    ],
)
def test_other_trend_pages_switch_grain_and_note_gaps(multiyear: Path, page: str, table: str) -> None:
    at = _open(page)
    assert not at.exception, [e.value for e in at.exception]
    assert at.segmented_control(key="grain").value == "yearly"
    assert any(f"No data for 2019-03 to 2020-12** (grey bands): `{table}`" in w.value for w in at.warning)
    frames = [f for c in at.get("vega_lite_chart") for f in _chart_frames(c) if {"n_papers", "label"} <= set(f.columns)]
    assert frames and all(set(f["label"]) <= {str(y) for y in range(2017, 2027)} - {"2020"} for f in frames)
    quarterly = _open(page, {"grain": "quarterly"})
    assert any(s.value.endswith("per quarter (narrow)") for s in quarterly.subheader)


def test_workforce_yearly_shares_mark_seed_years_and_missing_years(multiyear: Path) -> None:
    at = _open("views/workforce.py")
    assert not at.exception
    captions = "\n".join(c.value for c in at.caption)
    assert "No data for 2020 (not drawn)" in captions
    assert "Partly covered: 2019 (2 months), 2026 (8 months)" in captions
