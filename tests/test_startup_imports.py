"""A snapshot run starts without the HTTP clients: `arxiv` and `requests` are imported only when the arXiv API or
OpenAlex is called (their import is a large share of the start-up of every refresh)."""

import subprocess
import sys


def test_loading_the_refresh_and_its_definitions_imports_no_http_client():
    code = (
        "import sys, pipelines.refresh, pipelines.definitions; "
        "print(sorted(m for m in ('arxiv', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
