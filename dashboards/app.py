"""Entry point of the dashboard: `streamlit run dashboards/app.py`. Reads the published warehouse, read-only.

The pages live in `views/`, not `pages/`: Streamlit treats a `pages/` folder beside the entry point as a
legacy multipage app until the first `st.navigation` call, so a deep link opened first after a restart would
run the page script alone (no navigation, no layout).
"""

from __future__ import annotations

import streamlit as st

from dashboards import data, queries

st.set_page_config(page_title="AI Safety Field Monitor", page_icon=":material/monitoring:", layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
    st.Page("views/output_trends.py", title="Output trends", icon=":material/show_chart:", url_path="trends"),
    st.Page("views/labs_vs_academia.py", title="Labs vs academia", icon=":material/domain:", url_path="labs"),
    st.Page("views/topics.py", title="Topics", icon=":material/category:", url_path="topics"),
    st.Page("views/workforce.py", title="Workforce & neglectedness", icon=":material/groups:", url_path="workforce"),
    st.Page("views/claims_check.py", title="Claims check", icon=":material/fact_check:", url_path="claims"),
    st.Page("views/paper_explorer.py", title="Paper explorer", icon=":material/search:", url_path="explorer"),
    st.Page("views/pipeline_status.py", title="Data & pipeline status", icon=":material/storage:", url_path="status"),
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
