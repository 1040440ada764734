"""SQL that turns raw JSON lines of arXiv's metadata snapshot into `papers` rows, or a reason to reject them.

Pure text: the statements run over a relation `_chunk(source_file, line_no, raw, encoding_error)` (the reason a
line is not UTF-8, else NULL) and are executed by
pipelines/snapshot.py. Parsing runs inside DuckDB, vectorised, so no Python code touches individual records.
"""

ID_PATTERN = r"(\d{4}\.\d{4,5}|[a-z][a-z.\-]*(\.[A-Z]{2})?/\d{7})(v\d+)?"

# Commas and " and " inside parentheses belong to an affiliation, not the author list: protect them first.
_PROTECT_PARENS = "regexp_replace({x}, '\\(([^(),]*),([^()]*)\\)', '(\\1;\\2)', 'g')"
_PROTECT_AND = "regexp_replace({x}, '\\(([^()]*?)\\s+and\\s+([^()]*)\\)', '(\\1 & \\2)', 'g')"


def authors_list_sql(column: str) -> str:
    """A list of struct(name, affiliation) from an authors string like 'A (MIT), B and C'.

    Plain string functions on the common path; the regular expressions run only on lists with parentheses.
    """
    text = f"replace(coalesce({column}, ''), chr(10), ' ')"
    protected = text
    for _ in range(3):
        protected = _PROTECT_PARENS.format(x=protected)
        protected = _PROTECT_AND.format(x=protected)
    text = f"CASE WHEN contains({text}, '(') THEN {protected} ELSE {text} END"
    text = f"replace(replace({text}, ', and ', ', '), ' and ', ', ')"
    return f"""list_transform(
        list_filter(
            list_transform(string_split({text}, ','), lambda a: trim(a)),
            lambda a: a <> '' AND a NOT IN ('Jr', 'Jr.', 'Sr', 'Sr.', 'II', 'III', 'IV')
        ),
        lambda a: CASE WHEN contains(a, '(') THEN {{
            'name': trim(regexp_replace(a, '\\s*\\([^)]*\\)\\s*', ' ', 'g')),
            'affiliation': nullif(trim(replace(regexp_extract(a, '\\(([^)]*)\\)', 1), ';', ',')), '')
        }} ELSE {{'name': a, 'affiliation': NULL::VARCHAR}} END
    )"""


def _id_month_sql(arxiv_id: str) -> str:
    """First day of the submission month encoded in an arXiv id (new style YYMM.NNNNN, old style arch/YYMMNNN)."""
    return f"""CASE
        WHEN regexp_matches({arxiv_id}, '^\\d{{4}}\\.') THEN
            make_date(2000 + CAST(substr({arxiv_id}, 1, 2) AS INTEGER), CAST(substr({arxiv_id}, 3, 2) AS INTEGER), 1)
        WHEN regexp_matches({arxiv_id}, '/\\d{{7}}$') THEN make_date(
            CASE WHEN CAST(regexp_extract({arxiv_id}, '/(\\d{{2}})', 1) AS INTEGER) >= 91 THEN 1900 ELSE 2000 END
                + CAST(regexp_extract({arxiv_id}, '/(\\d{{2}})', 1) AS INTEGER),
            CAST(regexp_extract({arxiv_id}, '/\\d{{2}}(\\d{{2}})', 1) AS INTEGER), 1)
    END"""


def _clean_text(x: str) -> str:
    """Joins hard-wrapped lines of short fields. Abstracts keep arXiv's line breaks: rewriting every abstract
    costs more than parsing the JSON, and every consumer (regexes, Markdown) treats them as spaces."""
    return f"nullif(trim(replace({x}, chr(10), ' ')), '')"


def _trim_long(x: str) -> str:
    """trim(x) for long text. DuckDB's trim decodes every character to find trailing spaces (Unicode category Zs),
    ~7 µs per abstract; a text ending in '.' (96 % of abstracts) has none, so ltrim, which stops at the first
    non-space, returns the same string."""
    return f"CASE WHEN ends_with({x}, '.') THEN ltrim({x}) ELSE trim({x}) END"


def _scalar_type_ok(type_col: str) -> str:
    """A field that must be a string when present: missing or JSON null is fine."""
    return f"({type_col} IS NULL OR {type_col} IN ('VARCHAR', 'NULL'))"


# The top-level fields a record may carry. Each record's JSON is parsed twice, not once per field: `json_type` and
# `json_extract_string` with a list of paths each read the document once and answer for every path (a missing key
# or a JSON null gives NULL text; a non-string value gives its JSON text, which the type checks below reject).
# Duplicate keys resolve to the first occurrence, as `from_json` did before.
_FIELDS = [
    "id",
    "title",
    "abstract",
    "authors",
    "categories",
    "comments",
    "journal-ref",
    "doi",
    "update_date",
    "versions",
]
_TYPE_PATHS = "[" + ", ".join(f"'$.\"{f}\"'" for f in _FIELDS) + "]"
_TEXT_PATHS = _TYPE_PATHS[:-1] + ', \'$."versions"[0]."created"\']'
_T = {f: i + 1 for i, f in enumerate(_FIELDS)}  # 1-based positions in both lists; versions[0].created is last


def _type(field: str) -> str:
    return f"t[{_T[field]}]"


def _text(field: str) -> str:
    return f"v[{_T[field]}]"


PARSE_CHUNK_SQL = f"""
WITH docs AS (
    SELECT source_file, line_no, raw, encoding_error,
        try(json_type(raw, {_TYPE_PATHS})) AS t,
        try(json_extract_string(raw, {_TEXT_PATHS})) AS v
    FROM _chunk
    WHERE ltrim(raw) <> ''  -- not blank; ltrim stops at the first non-space, trim would walk the line (_trim_long)
), fields AS (
    SELECT
        source_file, line_no, raw, encoding_error, t,
        {_type("id")} AS id_type,
        trim({_text("id")}) AS id_text,
        {_type("title")} AS title_type,
        {_text("title")} AS title_text,
        {_type("abstract")} AS abstract_type,
        {_text("abstract")} AS abstract_text,
        {_type("authors")} AS authors_type,
        {_text("authors")} AS authors_text,
        {_type("categories")} AS categories_type,
        {_text("categories")} AS categories_text,
        {_type("comments")} AS comments_type,
        {_text("comments")} AS comments_text,
        {_type("journal-ref")} AS journal_type,
        {_text("journal-ref")} AS journal_text,
        {_type("doi")} AS doi_type,
        {_text("doi")} AS doi_text,
        {_type("update_date")} AS update_type,
        {_text("update_date")} AS update_text,
        {_type("versions")} AS versions_type,
        CASE WHEN {_type("versions")} = 'ARRAY' THEN json_array_length({_text("versions")}) END AS n_versions,
        CASE WHEN {_type("versions")} = 'ARRAY' THEN v[{len(_FIELDS) + 1}] END AS v1_text
    FROM docs
), checked AS (
    SELECT *,
        try_strptime(update_text, '%Y-%m-%d')::DATE AS update_date,
        try_strptime(v1_text, '%a, %d %b %Y %H:%M:%S %Z')::DATE AS v1_date,
        CASE
            WHEN encoding_error IS NOT NULL THEN encoding_error
            WHEN t IS NULL AND NOT json_valid(raw) THEN 'malformed JSON'
            WHEN t IS NULL OR NOT starts_with(ltrim(raw), '{{') THEN 'not a JSON object'
            WHEN id_type IS NULL OR id_type = 'NULL' OR id_text = '' THEN 'missing id'
            WHEN id_type <> 'VARCHAR' THEN 'id is not a string (' || id_type || ')'
            WHEN NOT regexp_full_match(id_text, '{ID_PATTERN}') THEN 'malformed id ' || id_text
            WHEN title_type IS NULL OR title_type = 'NULL' OR trim(title_text) = '' THEN 'missing title'
            WHEN title_type <> 'VARCHAR' THEN 'title is not a string (' || title_type || ')'
            WHEN NOT {_scalar_type_ok("abstract_type")} THEN 'abstract is not a string (' || abstract_type || ')'
            WHEN NOT {_scalar_type_ok("authors_type")} THEN 'authors is not a string (' || authors_type || ')'
            WHEN NOT {_scalar_type_ok("categories_type")}
                THEN 'categories is not a string (' || categories_type || ')'
            WHEN NOT {_scalar_type_ok("comments_type")} THEN 'comments is not a string (' || comments_type || ')'
            WHEN NOT {_scalar_type_ok("journal_type")} THEN 'journal-ref is not a string (' || journal_type || ')'
            WHEN NOT {_scalar_type_ok("doi_type")} THEN 'doi is not a string (' || doi_type || ')'
            WHEN NOT {_scalar_type_ok("update_type")} THEN 'update_date is not a string (' || update_type || ')'
            WHEN update_text IS NOT NULL AND try_strptime(update_text, '%Y-%m-%d') IS NULL
                THEN 'unparsable update_date ' || update_text
            WHEN versions_type IS NOT NULL AND versions_type NOT IN ('ARRAY', 'NULL') THEN 'versions is not a list'
            WHEN v1_text IS NOT NULL AND try_strptime(v1_text, '%a, %d %b %Y %H:%M:%S %Z') IS NULL
                THEN 'unparsable versions[0].created ' || v1_text
        END AS reject_reason
    FROM fields
)
SELECT
    source_file, line_no, reject_reason,
    CASE WHEN reject_reason IS NOT NULL THEN left(raw, 10000) END AS raw,
    regexp_replace(id_text, 'v\\d+$', '') AS arxiv_id,
    coalesce(nullif(n_versions, 0), TRY_CAST(regexp_extract(id_text, 'v(\\d+)$', 1) AS INTEGER)) AS latest_version,
    {_clean_text("title_text")} AS title,
    nullif({_trim_long("abstract_text")}, '') AS abstract,
    string_split(trim(regexp_replace(coalesce(categories_text, ''), '\\s+', ' ', 'g')), ' ') AS categories_raw,
    {authors_list_sql("authors_text")} AS author_structs,
    {_clean_text("comments_text")} AS comments,
    {_clean_text("journal_text")} AS journal_ref,
    {_clean_text("doi_text")} AS doi,
    v1_date,
    update_date,
    {_id_month_sql("id_text")} AS id_month
FROM checked
"""

# Turns parsed rows into `papers` columns (plus author_structs, source_file and line_no); runs over `_parsed`,
# PARSE_CHUNK_SQL's result.
PAPERS_FROM_PARSED_SQL = """
SELECT
    arxiv_id,
    title,
    abstract,
    list_filter(categories_raw, lambda c: c <> '')[1] AS primary_category,
    list_filter(categories_raw, lambda c: c <> '') AS categories,
    list_transform(author_structs, lambda a: a.name) AS authors,
    comments,
    journal_ref,
    doi,
    CASE
        WHEN v1_date IS NOT NULL THEN v1_date
        WHEN update_date IS NOT NULL AND (id_month IS NULL
            OR (update_date >= id_month AND update_date < id_month + INTERVAL 2 MONTH)) THEN update_date
        WHEN id_month IS NOT NULL THEN id_month
    END AS published_date,
    CASE
        WHEN v1_date IS NOT NULL THEN 'v1'
        WHEN update_date IS NOT NULL AND (id_month IS NULL
            OR (update_date >= id_month AND update_date < id_month + INTERVAL 2 MONTH)) THEN 'listing'
        WHEN id_month IS NOT NULL THEN 'id_month'
    END AS date_source,
    coalesce(update_date, v1_date, id_month) AS updated_date,
    latest_version,
    'arxiv_snapshot' AS source,
    source_file || ':' || line_no AS source_detail,
    author_structs,
    source_file,
    line_no
FROM _parsed
"""
