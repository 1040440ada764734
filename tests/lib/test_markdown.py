"""The one markdown table writer of the reports: how each kind of cell is written."""

import polars as pl

from pipelines.lib.markdown import cell_text, md_table


def _frame() -> pl.DataFrame:
    return pl.DataFrame({"name": ["a", None], "share": [0.12345, None], "n": [3, 4]})


def test_floats_get_three_decimals_and_nulls_a_dash():
    assert md_table(_frame()).splitlines() == [
        "| name | share | n |",
        "|---|---|---|",
        "| a | 0.123 | 3 |",
        "| - | - | 4 |",
    ]


def test_a_cell_writer_replaces_the_default():
    assert md_table(_frame(), str).splitlines()[2:] == ["| a | 0.12345 | 3 |", "| None | None | 4 |"]
    assert cell_text(None, missing="n/a") == "n/a"
