"""End to end across years: the trend pages on a multi-year warehouse (the bench generator's corpus, 2007-2026) in
headless Debian Chromium, which must draw the yearly charts.

By default the warehouse is a small synthetic one built from the fixture warehouse. YEARS_WAREHOUSE=<path> runs the
same checks on another (e.g. the 2.7M-paper bench warehouse) and YEARS_SCREENSHOT=<png> saves the yearly trend
section of the output-trends page there (docs/screenshots/output_trends_yearly.png is made that way).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.dashboard_server import headless_chromium, serve_dashboard, wait_idle
from tests.e2e.test_browser import CHARTS, ERRORS

pytestmark = pytest.mark.e2e
sync_api = pytest.importorskip("playwright.sync_api")

SMALL_PAPERS = 20_000
# url path -> (a subheader of the yearly view, the least number of charts)
TREND_PAGES = {
    "trends": ("Safety papers per year (narrow)", 5),
    "labs": ("Origin of safety papers per year (narrow)", 4),
    "topics": ("Topics per year (narrow)", 3),
}
# The data marks (bars, points, lines, bands; not axes or legends) each chart drew: Vega's SVG renderer puts them in
# groups of role "mark"; on a canvas, the non-blank pixels are counted instead.
DRAWN = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(el => {
    const canvas = el.querySelector('canvas');
    if (!canvas) { return el.querySelectorAll('svg.marks g.role-mark path, svg.marks g.role-mark line').length; }
    const {data} = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 3; i < data.length; i += 4 * 7) { if (data[i] > 0) inked++; }
    return inked;
})"""
MIN_MARKS = 5


@pytest.fixture(scope="module")
def multiyear_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("YEARS_WAREHOUSE")
    if given:
        return Path(given).resolve()
    from bench.dashboard_bench import build_synthetic
    from tests.dashboards.conftest import build_warehouse

    folder = tmp_path_factory.mktemp("years")
    source = build_warehouse(folder / "fixture.duckdb")
    return build_synthetic(folder / "warehouse.duckdb", SMALL_PAPERS, source)


@pytest.fixture(scope="module")
def server(multiyear_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_dashboard(multiyear_warehouse, tmp_path_factory.mktemp("years_log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with headless_chromium() as chromium:
        yield chromium


def _open(browser: object, url: str) -> tuple[object, object, list[str]]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url, wait_until="domcontentloaded")
    return context, page, errors


def _charts_drawn(page: object, least: int) -> list[int]:
    page.wait_for_selector(CHARTS, timeout=60_000)
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= n", arg=least, timeout=60_000
    )
    page.wait_for_timeout(1000)  # vega draws after the element appears
    return page.evaluate(DRAWN)


@pytest.mark.parametrize("url_path", list(TREND_PAGES))
def test_trend_pages_draw_yearly_charts_across_years(server: str, browser: object, url_path: str) -> None:
    heading, least = TREND_PAGES[url_path]
    context, page, errors = _open(browser, f"{server}/{url_path}")
    try:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=60_000)
        wait_idle(page, 60_000)
        inked = _charts_drawn(page, least)
        assert len(inked) >= least
        assert all(n >= MIN_MARKS for n in inked[:least]), inked  # marks on every chart, not an empty frame
        assert page.locator(ERRORS).count() == 0, page.locator(ERRORS).all_inner_texts()
        # the grain control opened on yearly, and the seed documents' years are named
        assert page.get_by_role("radio", name="yearly").first.get_attribute("aria-checked") == "true"
        assert page.get_by_text("2017, 2018, 2022", exact=False).count() >= 1
        assert not errors, errors
    finally:
        context.close()


def test_yearly_growth_fit_is_drawn_and_named(server: str, browser: object) -> None:
    context, page, errors = _open(browser, f"{server}/trends")
    try:
        page.get_by_role("heading", name="Year over year (narrow)").first.wait_for(timeout=60_000)
        wait_idle(page, 60_000)
        inked = _charts_drawn(page, 5)
        assert inked[1] >= MIN_MARKS and inked[2] >= MIN_MARKS, inked  # the yearly fit and the year-over-year bars
        text = page.locator('[data-testid="stMain"]').inner_text()
        assert "Annual growth of safety papers" in text and "Doubling time" in text and "Years fitted" in text
        assert "95% interval" in text
        assert not errors, errors
        target = os.environ.get("YEARS_SCREENSHOT")
        if target:
            _screenshot_yearly(page, Path(target))
    finally:
        context.close()


def _screenshot_yearly(page: object, path: Path) -> None:
    """From the per-year chart's heading to the end of the year-over-year charts: the yearly trend, kept small."""
    page.set_viewport_size({"width": 1200, "height": 2400})
    page.wait_for_timeout(1500)
    top = page.get_by_role("heading", name="Safety papers per year").first.bounding_box()
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    bottom = charts.nth(2).bounding_box()
    left = max(top["x"] - 16, 0)
    height = bottom["y"] + bottom["height"] - top["y"] + 90
    clip = {"x": left, "y": max(top["y"] - 10, 0), "width": 1200 - left, "height": height}
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), clip=clip)
    from PIL import Image  # a Streamlit dependency

    with Image.open(path) as image:  # 128 colours: a third of the size, no visible loss on flat charts
        small = image.convert("RGB").quantize(colors=128)
    small.save(path, optimize=True)
