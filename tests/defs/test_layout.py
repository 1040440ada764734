"""The definitions' layout: each domain under pipelines/defs stands alone; what domains share lives outside."""

import ast
from pathlib import Path

DEFS = Path(__file__).resolve().parents[2] / "pipelines" / "defs"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    return names | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}


def test_no_domain_imports_another_domain() -> None:
    domains = sorted(p.name for p in DEFS.iterdir() if p.is_dir() and not p.name.startswith("_"))
    assert {"arxiv", "classify", "marts", "workforce"} <= set(domains)
    crossing = []
    for domain in domains:
        for path in (DEFS / domain).rglob("*.py"):
            for module in _imports(path):
                parts = module.split(".")
                if parts[:2] == ["pipelines", "defs"] and len(parts) > 2 and parts[2] != domain:
                    crossing.append(f"{path.relative_to(DEFS)} imports {module}")
    assert not crossing, crossing
