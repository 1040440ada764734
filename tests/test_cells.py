"""The paper cells are aggregated once per run while their inputs stay as they are."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipelines import cells, contract
from pipelines.resources import WarehouseResource


def _add_paper(con, arxiv_id: str) -> None:
    con.execute(contract.table("paper_classification").ddl())
    con.execute(
        """INSERT INTO papers (arxiv_id, title, primary_category, categories, published_date, source, ingested_at)
        VALUES (?, 't', 'cs.AI', ['cs.AI'], DATE '2025-01-05', 'arxiv_snapshot', ?)""",
        [arxiv_id, datetime.now()],
    )


def test_the_cells_are_aggregated_once_until_their_inputs_change(
    warehouse: WarehouseResource, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    aggregate = cells.metrics.paper_cells

    def counted(con, categories):
        calls.append(1)
        return aggregate(con, categories)

    monkeypatch.setattr(cells.metrics, "paper_cells", counted)
    with warehouse.transaction() as con:
        _add_paper(con, "2501.00001")
        first = cells.paper_cells(con, warehouse)
    with warehouse.transaction() as con:  # another step of the same run
        assert cells.paper_cells(con, warehouse).equals(first)
    assert len(calls) == 1
    with warehouse.transaction() as con:
        _add_paper(con, "2501.00002")
        again = cells.paper_cells(con, warehouse)
    assert len(calls) == 2
    assert again["n_papers"].sum() == first["n_papers"].sum() + 1


def test_a_new_resource_starts_without_cells(tmp_path: Path) -> None:
    resource = WarehouseResource(work_path=str(tmp_path / "w.duckdb"), published_path=str(tmp_path / "p.duckdb"))
    assert resource.memo(("k",), lambda: 1) == 1
    assert resource.memo(("k",), lambda: 2) == 1
    assert (
        WarehouseResource(work_path=resource.work_path, published_path=resource.published_path).memo(("k",), lambda: 2)
        == 2
    )
