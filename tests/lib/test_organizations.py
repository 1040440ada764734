"""The organisations seed and vectorised matching of free-text names against it."""

from pathlib import Path

import polars as pl
import pytest

from pipelines import inputs, settings
from pipelines.lib.organizations import (
    ORG_TYPES,
    ORIGIN_OF_TYPE,
    alias_table,
    domain_table,
    match_organizations,
)


def _orgs_of(name: str) -> set[str]:
    found = match_organizations(pl.Series([name]), inputs.organizations())
    return set(found["organization"].to_list())


def test_seed_loads_with_valid_types_and_origins():
    orgs = inputs.organizations()
    assert orgs.height > 300
    assert set(orgs["type"].unique()) == set(ORG_TYPES)
    assert orgs["name"].is_unique().all()
    assert (orgs["origin"] == orgs["type"].replace_strict(ORIGIN_OF_TYPE)).all()


def test_alias_keys_name_one_organisation_unless_case_tells_them_apart():
    aliases = alias_table(inputs.organizations())
    shared = aliases.group_by("key").agg(pl.col("organization").n_unique().alias("n"), "case_sensitive", "case_key")
    shared = shared.filter(pl.col("n") > 1)
    for row in shared.iter_rows(named=True):
        # e.g. "UvA" (Amsterdam) and "UVA" (Virginia): both acronyms, told apart by case.
        assert all(row["case_sensitive"]), row
        assert len(set(row["case_key"])) == len(row["case_key"]), row


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Google DeepMind, London, UK", {"Google DeepMind"}),
        ("Google Research, Brain Team", {"Google"}),
        ("Department of Computer Science, Stanford University, Stanford, CA", {"Stanford University"}),
        ("MIT CSAIL and Harvard SEAS", {"Massachusetts Institute of Technology", "Harvard University"}),
        ("Technische Universität München", {"Technical University of Munich"}),
        ("FAIR, Meta", {"Meta AI"}),
        ("Anthropic (United States)", {"Anthropic"}),
        ("Redwood Research", {"Redwood Research"}),
        ("Epoch", {"Epoch AI"}),
        ("UvA", {"University of Amsterdam"}),
        ("UVA", {"University of Virginia"}),
    ],
)
def test_match_finds_the_organisations_named(name, expected):
    assert _orgs_of(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "fair allocation lab",  # acronyms match only in capitals
        "Zusammenarbeit mit Kollegen",  # "mit" is not MIT
        "Redwood City, CA",  # "Redwood" alone is exact-only
        "an epoch of training",  # so is "Epoch"
        "Nonlinear Dynamics Group",
        "University of Nowhere",
    ],
)
def test_match_ignores_words_that_are_not_organisations(name):
    assert _orgs_of(name) == set()


def test_match_returns_one_row_per_name_and_organisation_with_type_and_origin():
    names = pl.Series(["OpenAI", "OpenAI", "Microsoft Research Asia; Tsinghua University", None])
    found = match_organizations(names, inputs.organizations()).sort("name", "organization")
    assert found.columns == ["name", "organization", "org_type", "origin", "alias"]
    assert found.select("name", "organization", "org_type", "origin").rows() == [
        ("Microsoft Research Asia; Tsinghua University", "Microsoft", "big_tech", "industry"),
        ("Microsoft Research Asia; Tsinghua University", "Tsinghua University", "academic", "academic"),
        ("OpenAI", "OpenAI", "frontier_lab", "frontier_lab"),
    ]


def test_domains_include_email_domains_and_github_handles():
    domains = domain_table(inputs.organizations())
    rows = set(domains.select("domain", "organization").rows())
    assert ("openai.com", "OpenAI") in rows
    assert ("github.com/facebookresearch", "Meta AI") in rows
    assert domains["domain"].str.contains("[A-Z]").sum() == 0


def test_former_type_is_parsed():
    orgs = inputs.organizations().filter(pl.col("former_type").is_not_null())
    assert orgs.height >= 1
    assert orgs["former_origin"].is_in(list(ORIGIN_OF_TYPE.values())).all()
    assert orgs["former_until"].null_count() == 0


def test_bad_type_is_rejected(tmp_path: Path):
    path = tmp_path / "orgs.csv"
    path.write_text("name,aliases,type,country,domains\nAcme,,startup,US,\n")
    with pytest.raises(ValueError, match="unknown organisation types"):
        inputs.organizations(path)


def test_custom_seed_is_matched_when_passed():
    orgs = pl.DataFrame(
        {
            "name": ["Acme Lab"],
            "aliases": ["ACME|=Acme"],
            "type": ["other_industry"],
            "country": ["US"],
            "domains": [""],
        }
    ).with_columns(origin=pl.lit("industry"))
    found = match_organizations(pl.Series(["ACME, Boston", "Acme", "acme corp", "Acme Lab Paris"]), orgs)
    assert sorted(found["name"].to_list()) == ["ACME, Boston", "Acme", "Acme Lab Paris"]


def test_every_ai_safety_organisation_with_three_positions_is_in_the_seed():
    path = settings.positions_path()
    if not path.is_file():
        pytest.skip(f"AI Watch positions not found at {path}")
    positions = pl.read_csv(path, infer_schema=False)
    busy = (
        positions.filter(pl.col("cause_area") == "AI safety", pl.col("organization").is_not_null())
        .group_by("organization")
        .len()
        .filter(pl.col("len") >= 3)
    )
    matched = match_organizations(busy["organization"], inputs.organizations())
    missing = busy.join(matched, left_on="organization", right_on="name", how="anti")
    assert missing.is_empty(), missing["organization"].to_list()
