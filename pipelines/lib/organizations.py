"""The organisations seed (seeds/organizations.csv, read by pipelines.inputs) and vectorised matching of free-text
names against it.

Seed columns: name, aliases ("|"-separated), type, country, domains ("|"-separated e-mail/web domains and
`github.com/<org>` handles, used for mention evidence), former_type ("<type> until YYYY-MM-DD" when the organisation
was of another type before: GovAI was a centre of Oxford's FHI until mid-2021). Types and their origin classes:

- frontier_lab -> frontier_lab: developers whose own flagship general-purpose model has at some point matched the
  best available model (OpenAI, Anthropic, Google DeepMind incl. legacy DeepMind and Google Brain, Meta's AI research
  units, xAI, DeepSeek). A parent company is not a frontier lab by itself: plain "Google" or "Meta" is big_tech,
  "Google DeepMind" or "FAIR" is frontier_lab. Mistral, Cohere, Qwen (Alibaba) and similar are not (yet) counted.
- big_tech -> industry: large diversified technology companies and their research labs.
- other_industry -> industry: every other company, including AI start-ups such as Scale AI, Hugging Face, Conjecture.
- academic -> academic: universities, their centres (FHI and GPI at Oxford, CHAI at Berkeley, CSER and CFI at
  Cambridge, CSET at Georgetown) and public basic-research institutes (Max Planck, CNRS, Inria, RIKEN, CAS, Mila).
- nonprofit -> nonprofit: independent non-profits (MIRI, Redwood, METR, Apollo Research, EleutherAI, Ai2, RAND...).
- government -> government: government bodies, AI safety/security institutes, national and defence laboratories.

Matching rules (all vectorised: Aho-Corasick over padded, folded text, then joins):
- text is folded (accents stripped, punctuation to spaces) and aliases match whole words only;
- aliases of at most SHORT_ALIAS_MAX characters (acronyms like MIT, FAIR, Meta) match case-sensitively, longer
  aliases case-insensitively;
- an alias written with a leading "=" (e.g. "=Ought", "=Redwood") matches only the whole string, for names that are
  also ordinary words or place names; "=<name>" makes the organisation's own name exact-only;
- when several aliases could start at the same place the longest wins ("Google DeepMind" over "Google");
- if the whole string equals an alias, only that organisation is returned.
"""

from __future__ import annotations

import polars as pl

from pipelines.lib.names import normalize_name_expr

ORG_TYPES = ("frontier_lab", "big_tech", "other_industry", "academic", "nonprofit", "government")
ORIGIN_OF_TYPE = {
    "frontier_lab": "frontier_lab",
    "big_tech": "industry",
    "other_industry": "industry",
    "academic": "academic",
    "nonprofit": "nonprofit",
    "government": "government",
}
ORIGINS = ("frontier_lab", "industry", "academic", "nonprofit", "government", "mixed", "unknown")
SHORT_ALIAS_MAX = 5
MATCH_SCHEMA = {
    "name": pl.String,
    "organization": pl.String,
    "org_type": pl.String,
    "origin": pl.String,
    "alias": pl.String,
}


def fold_expr(col: pl.Expr, *, lowercase: bool = True) -> pl.Expr:
    """Accents stripped, every run of non-alphanumerics a single space; lower case unless asked to keep case.

    With lowercase=True this is exactly names.normalize_name_expr.
    """
    if lowercase:
        return normalize_name_expr(col)
    return (
        col.str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
    )


def _pad(col: pl.Expr) -> pl.Expr:
    # Words separated by two spaces and the text padded by one, so " alias " patterns (internal spaces doubled)
    # match whole words and adjacent matches do not compete for the same space.
    return pl.concat_str([pl.lit(" "), col.str.replace_all(" ", "  ", literal=True), pl.lit(" ")])


def parse_organizations(raw: pl.DataFrame, source: str = "organizations seed") -> pl.DataFrame:
    """The seed (read as strings) with `origin` (the class the type maps to) and former_type/former_until/
    former_origin parsed; errors name `source`."""
    orgs = raw
    if "former_type" not in orgs.columns:
        orgs = orgs.with_columns(former_type=pl.lit(None, dtype=pl.String))
    orgs = orgs.with_columns(
        pl.col("aliases", "domains", "country").fill_null(""),
        pl.col("name").str.strip_chars(),
        pl.col("type").str.strip_chars(),
    )
    bad = orgs.filter(~pl.col("type").is_in(ORG_TYPES))
    if bad.height:
        raise ValueError(f"unknown organisation types in {source}: {bad.select('name', 'type').rows()}")
    dupes = orgs.filter(pl.col("name").is_duplicated())
    if dupes.height:
        raise ValueError(f"duplicate organisation names in {source}: {dupes['name'].to_list()}")
    former = pl.col("former_type").fill_null("").str.extract_groups(r"^\s*(\w+)\s+until\s+(\d{4}-\d{2}-\d{2})\s*$")
    orgs = orgs.with_columns(
        former_type=former.struct.field("1"),
        former_until=former.struct.field("2").str.to_date("%Y-%m-%d", strict=False),
    )
    bad = orgs.filter(~pl.col("former_type").is_in(ORG_TYPES) & pl.col("former_type").is_not_null())
    if bad.height:
        raise ValueError(f"unknown former types in {source}: {bad.select('name', 'former_type').rows()}")
    return orgs.with_columns(
        origin=pl.col("type").replace_strict(ORIGIN_OF_TYPE),
        former_origin=pl.col("former_type").replace_strict(ORIGIN_OF_TYPE, default=None, return_dtype=pl.String),
    )


def alias_table(organizations: pl.DataFrame) -> pl.DataFrame:
    """One row per (organisation, alias), the name included: folded keys, exact-only and case-sensitive flags."""
    aliases = (
        organizations.select(
            pl.col("name").alias("organization"),
            pl.col("type").alias("org_type"),
            "origin",
            pl.concat_list(pl.col("name"), pl.col("aliases").str.split("|")).alias("alias"),
        )
        .explode("alias")
        .with_columns(pl.col("alias").str.strip_chars())
        .filter(pl.col("alias") != "")
        .with_columns(
            exact_only=pl.col("alias").str.starts_with("="),
            alias=pl.col("alias").str.strip_prefix("="),
        )
    )
    # "=Name" in the aliases makes the organisation's own name exact-only.
    aliases = aliases.group_by("organization", "org_type", "origin", "alias", maintain_order=True).agg(
        pl.col("exact_only").any()
    )
    return (
        aliases.with_columns(case_key=fold_expr(pl.col("alias"), lowercase=False))
        .with_columns(key=pl.col("case_key").str.to_lowercase())
        .with_columns(case_sensitive=pl.col("case_key").str.len_chars() <= SHORT_ALIAS_MAX)
        .filter(pl.col("key") != "")
    )


def domain_table(organizations: pl.DataFrame) -> pl.DataFrame:
    """(domain, organization, org_type, origin): lower-case e-mail/web domains and github.com/<org> handles."""
    return (
        organizations.select(
            pl.col("domains").str.split("|").alias("domain"),
            pl.col("name").alias("organization"),
            pl.col("type").alias("org_type"),
            "origin",
        )
        .explode("domain")
        .with_columns(pl.col("domain").str.strip_chars().str.to_lowercase())
        .filter(pl.col("domain") != "")
        .unique()
    )


def _padded_patterns(aliases: pl.DataFrame) -> list[str]:
    # Longest first: at one start position the first listed pattern wins (leftmost=True).
    keys = aliases.filter(~pl.col("exact_only")).select(pl.col("key").unique())
    keys = keys.sort(pl.col("key").str.len_chars(), "key", descending=[True, False])
    return keys.select(_pad(pl.col("key")).alias("key"))["key"].to_list()


def match_organizations(names: pl.Series, organizations: pl.DataFrame) -> pl.DataFrame:
    """Every seed organisation named in each distinct non-null string of `names`.

    Returns one row per (name, organization) with the organisation's type, origin class and the alias that matched;
    strings that name no organisation are absent.
    """
    aliases = alias_table(organizations)
    padded = _padded_patterns(aliases)

    frame = (
        pl.DataFrame({"name": names.cast(pl.String)})
        .drop_nulls()
        .unique()
        .with_columns(case_key=fold_expr(pl.col("name"), lowercase=False))
        .with_columns(key=pl.col("case_key").str.to_lowercase())
    )
    # For exact matches a trailing parenthesis is dropped: OpenAlex writes "Anthropic (United States)".
    trailing = r"\s*\([^()]*\)\s*$"
    with_paren = frame.filter(pl.col("name").str.contains(trailing)).with_columns(
        exact_case_key=fold_expr(pl.col("name").str.replace(trailing, ""), lowercase=False)
    )
    frame = pl.concat(
        [
            frame.filter(~pl.col("name").str.contains(trailing)).with_columns(exact_case_key=pl.col("case_key")),
            with_paren,
        ]
    ).with_columns(exact_key=pl.col("exact_case_key").str.to_lowercase())
    alias_cols = ["organization", "org_type", "origin", "alias", "case_key", "case_sensitive"]
    # Joins keep the order of the names, then of the seed: callers that keep "the first found" per name get the exact
    # match, else the leftmost hit, an alias that several organisations share going to the first in the seed.
    exact = frame.join(
        aliases.select("key", *alias_cols),
        left_on="exact_key",
        right_on="key",
        suffix="_alias",
        maintain_order="left_right",
    )
    exact = exact.filter(~pl.col("case_sensitive") | (pl.col("exact_case_key") == pl.col("case_key_alias")))

    found = frame.select("name", "case_key", hit=_pad(pl.col("key")).str.extract_many(padded, leftmost=True)).explode(
        "hit"
    )
    substring = (
        found.drop_nulls("hit")
        .with_columns(key=pl.col("hit").str.strip_chars().str.replace_all("  ", " ", literal=True))
        .join(
            aliases.filter(~pl.col("exact_only")).select("key", *alias_cols),
            on="key",
            suffix="_alias",
            maintain_order="left_right",
        )
        .filter(
            ~pl.col("case_sensitive")
            | pl.concat_str([pl.lit(" "), pl.col("case_key"), pl.lit(" ")]).str.contains(
                pl.concat_str([pl.lit(" "), pl.col("case_key_alias"), pl.lit(" ")]), literal=True
            )
        )
    )
    exact = exact.select(*MATCH_SCHEMA)
    substring = substring.join(exact.select("name"), on="name", how="anti", maintain_order="left").select(*MATCH_SCHEMA)
    return (
        pl.concat([exact, substring])
        .unique(["name", "organization"], keep="first", maintain_order=True)
        .cast(MATCH_SCHEMA)  # type: ignore[arg-type]
    )
