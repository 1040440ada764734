"""pipelines/lib is pure: it imports nothing that resolves settings or reads files (only pipelines.lib itself from
this project) and calls nothing that touches the file system. pipelines.inputs and pipelines.eval_inputs read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[2] / "pipelines" / "lib"
# Modules that reach the environment or the file system, whatever is imported from them.
FORBIDDEN_MODULES = ("os", "glob", "shutil", "pathlib", "io", "gzip", "csv", "tempfile")
# Project modules outside pipelines.lib that lib may import: declarations that read nothing when imported (the table
# contract gives the library the schemas of the tables it computes).
ALLOWED_PROJECT_MODULES = ("pipelines.contract",)
# Calls that read or write files, by the name called (a method or a function).
FILE_CALLS = frozenset(
    {
        "open", "read_text", "read_bytes", "write_text", "write_bytes", "exists", "is_file", "is_dir", "glob",
        "iterdir", "rglob", "stat", "mkdir", "unlink", "read_csv", "read_parquet", "read_ndjson", "read_json",
        "read_excel", "read_ipc", "read_database", "read_delta", "scan_csv", "scan_parquet", "scan_ndjson",
        "scan_ipc", "scan_delta", "sink_csv", "sink_parquet", "sink_ndjson", "sink_ipc", "connect", "load", "dump",
    }
)  # fmt: skip
# Frame writers return text when given no file: only a call with a destination writes.
WRITE_CALLS = frozenset({"write_csv", "write_parquet", "write_ndjson", "write_json", "write_ipc", "write_excel"})


def _has_destination(call: ast.Call) -> bool:
    return bool(call.args) or any(k.arg == "file" for k in call.keywords)


def violations(source: str, module: str) -> list[str]:
    """`module:line: what` for each import of a project module outside pipelines.lib (settings, inputs, I/O edges),
    each import of a file-system module and each call of a file-reading or -writing function."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] if node.module != "pipelines" else [f"pipelines.{a.name}" for a in node.names]
        for name in names:
            outside_lib = (
                name.startswith("pipelines")
                and not name.startswith("pipelines.lib")
                and name not in ALLOWED_PROJECT_MODULES
            )
            if outside_lib or name.split(".")[0] in FORBIDDEN_MODULES:
                found.append(f"{module}:{node.lineno}: imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in FILE_CALLS or (called in WRITE_CALLS and _has_destination(node)):
                found.append(f"{module}:{node.lineno}: calls {called}()")
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        "from pipelines import settings",
        "from pipelines.settings import SEEDS_DIR",
        "import pipelines.inputs",
        "def f():\n    from pipelines.affiliations import places_from_files",
        "from pathlib import Path",
        "import os",
        "text = open('seeds/taxonomy.yaml').read()",
        "text = path.read_text()",
        "frame = pl.read_csv(path)",
        "frame = pl.scan_parquet(path)",
        "data = json.load(handle)",
        "present = path.exists()",
        "con = duckdb.connect()",
        "frame.write_csv(path)",
        "frame.write_parquet(file=path)",
    ],
)
def test_the_detector_flags_settings_and_file_access(snippet):
    assert violations(snippet, "snippet")


def test_the_detector_passes_pure_code():
    pure = (
        "import json\nimport polars as pl\nimport yaml\nfrom pipelines.lib.names import normalize_name_expr\n"
        "data = json.loads(text)\nraw = yaml.safe_load(text)\nframe = pl.DataFrame(raw).filter(pl.col('x') > 1)\n"
        "csv_text = frame.write_csv(include_header=False)\n"
    )
    assert violations(pure, "snippet") == []


def test_lib_imports_no_settings_and_reads_no_files():
    modules = sorted(LIB.glob("*.py"))
    assert len(modules) > 20
    found = [v for path in modules for v in violations(path.read_text(encoding="utf-8"), f"pipelines/lib/{path.name}")]
    assert found == [], "pipelines/lib must stay pure (read inputs in pipelines/inputs.py):\n" + "\n".join(found)
