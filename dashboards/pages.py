"""The dashboard's pages in navigation order: the one list the app, its tests and the bench read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    name: str  # the script's stem under views/
    title: str  # in the navigation
    icon: str
    url_path: str
    heading: str  # the page's own title, which the tests look for

    @property
    def script(self) -> str:
        return f"views/{self.name}.py"


PAGES = (
    PageSpec("overview", "Overview", ":material/dashboard:", "overview", "AI safety field monitor"),
    PageSpec("output_trends", "Output trends", ":material/show_chart:", "trends", "Output trends"),
    PageSpec("labs_vs_academia", "Labs vs academia", ":material/domain:", "labs", "Labs vs academia"),
    PageSpec("topics", "Topics", ":material/category:", "topics", "Topics"),
    PageSpec("workforce", "Workforce & neglectedness", ":material/groups:", "workforce", "Workforce & neglectedness"),
    PageSpec("claims_check", "Claims check", ":material/fact_check:", "claims", "Claims check"),
    PageSpec("paper_explorer", "Paper explorer", ":material/search:", "explorer", "Paper explorer"),
    PageSpec("pipeline_status", "Data & pipeline status", ":material/storage:", "status", "Data & pipeline status"),
)
DEFAULT = PAGES[0]  # served at the root
