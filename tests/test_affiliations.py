"""Reading the author records: conference records checked line by line, and Epoch's model-report authors."""

from pathlib import Path

import polars as pl
import pytest

from pipelines import inputs
from pipelines.affiliations import AffiliationsError, read_all_records, read_epoch_models, read_records
from pipelines.lib.people import classify_records

HEADER = "source,venue,year,paper_id,author_position,name,openreview_id,affiliation,affiliation_domain,position\n"


def test_a_bad_year_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(HEADER + "openreview,ICML,2024,p1,1,Ada Lovelace,~Ada1,Oxford,ox.ac.uk,\n"
                    "openreview,ICML,20x4,p2,1,Bo Chen,,ETH,ethz.ch,\n")  # fmt: skip
    with pytest.raises(AffiliationsError, match=r"records\.csv: line 3: year '20x4'"):
        read_records(path)


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text("name,year\nAda,2024\n")
    with pytest.raises(AffiliationsError, match=r"missing columns \['source'"):
        read_records(path)


def test_epoch_reports_give_each_author_of_a_single_organisation_a_place(tmp_path: Path) -> None:
    path = tmp_path / "epoch.csv"
    pl.DataFrame(
        {
            "Model": ["M1", "M2", "M3"],
            "Organization": ["Google DeepMind", "Acme Robotics", "OpenAI,Stanford University"],
            "Organization categorization": ["Industry", "Industry", "Industry,Academia"],
            "Publication date": ["2024-05-01", "2023-02-01", "2024-01-01"],
            "Authors": ["Ada Lovelace, Bo Chen", "Cy Dee", "Di Eve"],
        }
    ).write_csv(path)
    records = read_epoch_models(path)
    assert records.select("name", "year", "affiliation", "class_hint").rows() == [
        ("Ada Lovelace", "2024", "Google DeepMind", "industry"),
        ("Bo Chen", "2024", "Google DeepMind", "industry"),
        ("Cy Dee", "2023", "Acme Robotics", "industry"),
    ]  # a model of two organisations says nothing of which author was where
    classed = classify_records(
        records, inputs.organizations(), is_academic=lambda d: False, is_free_mail=lambda d: False
    )
    got = {r["name_normalized"]: (r["org_class"], r["class_rule"]) for r in classed.iter_rows(named=True)}
    assert got["ada lovelace"] == ("frontier_lab", "seed name")  # the seed beats Epoch's "Industry"
    assert got["cy dee"] == ("industry", "source category")
    assert read_all_records(tmp_path / "none.csv", path).height == 3
    assert read_all_records(tmp_path / "none.csv", tmp_path / "none.csv").is_empty()
