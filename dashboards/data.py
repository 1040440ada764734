"""The cached layer between pages and `dashboards.queries`, and the messages shown when the warehouse can't answer.

Results are cached per (query, arguments, warehouse file identity): a newly published warehouse (an atomic rename,
so a new inode and mtime) misses the cache at once, and the TTL bounds staleness otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboards import queries
from pipelines import settings

TTL_SECONDS = 600

# When set (by bench/dashboard_bench.py), every query a page asks for is recorded here with its duration.
RECORDER: list[tuple[str, tuple[Any, ...], dict[str, Any], float]] | None = None


def warehouse_path() -> Path:
    return settings.warehouse_path()


def _identity(path: Path) -> tuple[int, int, int]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=512)
def _cached(name: str, path: str, identity: tuple[int, int, int], args: tuple, kwargs: tuple) -> pl.DataFrame:
    return getattr(queries, name)(Path(path), *args, **dict(kwargs))


def load(query: Callable[..., pl.DataFrame], *args: Any, **kwargs: Any) -> pl.DataFrame:
    """Run `query(warehouse, *args, **kwargs)` through the cache. Errors are never cached."""
    path = warehouse_path()
    name = query.__name__
    if getattr(queries, name, None) is not query:
        raise ValueError(f"{name} is not a function of dashboards.queries")
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items()))
    started = time.perf_counter()
    frame = _cached(name, str(path), _identity(path), tuple(args), frozen)
    if RECORDER is not None:
        RECORDER.append((name, tuple(args), dict(frozen), time.perf_counter() - started))
    return frame


def show_error(error: queries.WarehouseError) -> None:
    """A clear message and the command that fixes it."""
    if isinstance(error, queries.WarehouseMissing):
        st.warning(f"**The warehouse has not been built yet.** {error}", icon=":material/database:")
    elif isinstance(error, queries.TableMissing):
        st.info(f"**Not computed yet.** {error}", icon=":material/hourglass_empty:")
    else:
        st.error(str(error), icon=":material/error:")
    st.markdown("Build or refresh it from the project folder with:")
    st.code(error.hint, language="bash")
    st.caption(f"`{error.hint.split()[0]} run` also starts the dashboard and the Dagster UI afterwards.")


@contextmanager
def section() -> Iterator[None]:
    """Show a missing table as a message in place of one section, and let the rest of the page render."""
    try:
        yield
    except queries.TableMissing as error:
        show_error(error)


def run_page(body: Callable[[], None]) -> None:
    """Render a page; a missing or unreadable warehouse becomes a message instead of a traceback."""
    try:
        body()
    except queries.WarehouseError as error:
        show_error(error)


# ---------------------------------------------------------------- formatting and shared notes


def fmt_int(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def fmt_pct(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


def fmt_time(value: object) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)


def fmt_range(low: float | None, central: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        middle = f" (central {central:,.0f})" if central is not None else ""
        return f"{low:,.0f}–{high:,.0f}{middle}"
    if central is not None:
        return f"{central:,.0f}"
    if high is not None:
        return f"< {high:,.0f}"
    return "—" if low is None else f"> {low:,.0f}"


def sample_note() -> None:
    """Where the papers and the denominators come from, and what that means for reading the numbers."""
    with section():
        papers = load(queries.paper_sources)
        denominators = load(queries.denominator_sources)
        paper_text = ", ".join(f"{s} ({n:,} papers)" for s, n in papers.select("source", "n_papers").iter_rows())
        denominator_kinds = set(denominators["source"].to_list())
        text = f"**Papers:** {paper_text or 'none loaded'}. **Denominator (all AI papers per month):** "
        if "arxiv_snapshot" in denominator_kinds:
            text += (
                "counted from the loaded snapshot (`category_month_counts`, source `arxiv_snapshot`). The snapshot "
                "is a sample of arXiv, not a census: shares within it are meaningful, absolute monthly counts are "
                "not arXiv's totals."
            )
        elif "arxiv_api" in denominator_kinds:
            text += "arXiv's own totals from its API (`category_month_counts`, source `arxiv_api`)."
        else:
            text += "not available yet."
        st.info(text, icon=":material/info:")
