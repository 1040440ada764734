"""End to end: the real app on 127.0.0.1, every page opened in headless Debian Chromium through Playwright.

Needs /usr/bin/chromium (`make browser` installs Debian's chromium and chromium-driver); never `playwright install`.
Screenshots go to docs/screenshots/<page>.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards import pages as registry
from tests.dashboards.conftest import build_warehouse
from tests.e2e.dashboard_server import CHROMIUM, ROOT, headless_chromium, serve_dashboard, wait_idle

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "docs" / "screenshots"
# page -> the least number of charts it must draw (the pages themselves: dashboards/pages.py)
MIN_CHARTS = {
    "overview": 1,
    "output_trends": 3,
    "labs_vs_academia": 4,
    "topics": 2,
    "workforce": 6,
    "claims_check": 0,
    "paper_explorer": 0,
    "pipeline_status": 0,
}
# url path -> (screenshot name, a heading the page must show, the least number of charts it must draw)
# The default page is served at the root; its url_path is not a route of its own.
PAGES = {("" if p is registry.DEFAULT else p.url_path): (p.name, p.heading, MIN_CHARTS[p.name]) for p in registry.PAGES}
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
CHARTS = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg.marks'

if not CHROMIUM.exists():
    pytest.skip(
        "Debian chromium is not installed at /usr/bin/chromium (run `make browser`, or "
        "`apt-get install chromium chromium-driver`)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    warehouse = build_warehouse(tmp_path_factory.mktemp("e2e") / "warehouse.duckdb")
    with serve_dashboard(warehouse, tmp_path_factory.mktemp("e2e_log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with headless_chromium() as chromium:
        yield chromium


def _screenshot(page: object, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main container, so grow the viewport to its height first."""
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(max(int(height), 1000), 8000)})
    page.wait_for_timeout(800)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


@pytest.mark.parametrize("url_path", list(PAGES), ids=[v[0] for v in PAGES.values()])
def test_page_renders_in_browser(server: str, browser: object, url_path: str) -> None:
    name, heading, min_charts = PAGES[url_path]
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    try:
        page.goto(f"{server}/{url_path}", wait_until="domcontentloaded")
        page.get_by_role("heading", name=heading).first.wait_for(timeout=30_000)
        wait_idle(page)
        if min_charts:
            page.wait_for_selector(CHARTS, timeout=30_000)
            page.wait_for_function(
                "n => document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= n", arg=min_charts
            )
            assert page.locator(CHARTS).count() >= min_charts
        assert page.locator(ERRORS).count() == 0, page.locator(ERRORS).all_inner_texts()
        assert page.get_by_text("Page not found").count() == 0
        assert not console_errors, console_errors
        _screenshot(page, SCREENSHOTS / f"{name}.png")
    finally:
        context.close()


def test_explorer_search_in_browser(server: str, browser: object) -> None:
    """A search typed in the box filters the table and lands in the URL, so the view can be shared."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{server}/explorer?safety=all", wait_until="domcontentloaded")
        box = page.get_by_role("textbox", name="Search title, abstract and authors")
        box.wait_for(timeout=30_000)
        wait_idle(page)
        box.fill("hazardous knowledge")
        box.press("Enter")
        page.wait_for_url("**q=hazardous*", timeout=15_000)
        wait_idle(page)
        page.get_by_text("matching papers").wait_for(timeout=15_000)
        assert "1 matching papers" in page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()[-2]
        assert page.locator(ERRORS).count() == 0
    finally:
        context.close()
