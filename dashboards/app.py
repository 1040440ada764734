"""Entry point of the dashboard: `streamlit run dashboards/app.py`. Reads the published warehouse, read-only.

The pages live in `views/`, not `pages/`: Streamlit treats a `pages/` folder beside the entry point as a
legacy multipage app until the first `st.navigation` call, so a deep link opened first after a restart would
run the page script alone (no navigation, no layout).
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, pages, queries

st.set_page_config(page_title="AI Safety Field Monitor", page_icon=":material/monitoring:", layout="wide")

PAGES = [
    st.Page(p.script, title=p.title, icon=p.icon, url_path=p.url_path, default=p is pages.DEFAULT) for p in pages.PAGES
]

page = st.navigation(PAGES)
path = data.warehouse_path()


def sidebar() -> None:
    st.caption(f"Warehouse: `{path}` (read-only)")
    try:
        row = data.load(queries.freshness).row(0, named=True)
    except queries.WarehouseError:
        return
    st.caption(
        f"Papers up to **{row['latest_published'] or '—'}** · last successful run "
        f"**{data.fmt_time(row['last_success'])}**"
    )


# One read-only connection per render at most, opened on the first cache miss and closed when the render ends.
with queries.shared_connection():
    with st.sidebar:
        sidebar()
    if path.is_file():
        page.run()
    else:
        st.title(page.title)
        data.show_error(queries.WarehouseMissing(path))
