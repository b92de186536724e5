"""How a value is written into a cell of any export (public CSV, admin CSV and XLSX).

The formula guard and the partial-date format are written here once, in Python, and the
same definitions are installed in PostgreSQL as SQL functions (``install_sql_functions``,
run after every migrate), which the COPY exports call. A cell a spreadsheet would run as
a formula gets a leading ``'``.
"""

import re

from ..partial_dates import _QUALIFIER_EN, _QUALIFIER_JA_MONTH, _QUALIFIER_JA_YEAR, PartialDate

# Spreadsheets run a cell that starts with one of these, in ASCII or full width...
FORMULA_CHARS = "-=+@－＝＋＠"
# ...also after leading blanks that they may strip: spaces, tab, CR, LF, NBSP, the
# ideographic space, zero-width space and a stray BOM. A cell starting with a tab or CR
# is guarded whatever follows.
LEADING_BLANKS = " \t\r\n\u00a0\u3000\u200b\ufeff"
FORMULA_PATTERN = f"^(?:[{LEADING_BLANKS}]*[{FORMULA_CHARS}]|[\t\r])"
_FORMULA = re.compile(FORMULA_PATTERN)


def needs_guard(text: str) -> bool:
    return bool(_FORMULA.match(text))


def guard(text: str) -> str:
    """The text, with a leading ' where a spreadsheet would run it as a formula."""
    return "'" + text if needs_guard(text) else text


def unguard(text):
    """Undo ``guard`` on import: "'=x" back to "=x" (other text is left alone)."""
    if isinstance(text, str) and text.startswith("'") and needs_guard(text[1:]):
        return text[1:]
    return text


# What XML 1.0 cannot hold (an XLSX cell, an Atom feed): the C0 controls but tab, LF and
# CR, and the two noncharacters U+FFFE and U+FFFF. Word writes U+000B for a manual line
# break and U+000C for a page break; both become a line break, the rest go.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_AS_LINE_BREAK = {"\x0b": "\n", "\x0c": "\n"}


def xml_text(value):
    """Text an XML document can hold: vertical tab and form feed as line breaks, the other
    characters XML 1.0 forbids left out. Anything but text is returned as it is."""
    if isinstance(value, str) and _NOT_XML.search(value):
        return _NOT_XML.sub(lambda match: _AS_LINE_BREAK.get(match.group(), ""), value)
    return value


def cell(value) -> str:
    """Any value as the text of a cell."""
    if value is None:
        return ""
    if isinstance(value, PartialDate):
        return value.iso()
    if isinstance(value, bool):
        return "true" if value else "false"
    return guard(str(value))


SQL_FUNCTIONS = [
    # The formula guard, from the same pattern as needs_guard (PostgreSQL's regular
    # expressions read it as Python's do: a bracket class and a non-capturing group).
    f"""
    CREATE OR REPLACE FUNCTION alliance_csv_cell(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN value ~ '{FORMULA_PATTERN}' THEN '''' || value ELSE value END
    $$
    """,
    # A cell as PostgreSQL's COPY … (FORMAT csv) writes it: NULL as nothing, the empty
    # string and any text with a comma, a quote or a line break quoted, its quotes doubled
    # (copyto.c, CopyAttributeOutCSV). The meetings' stored CSV lines are made of these.
    """
    CREATE OR REPLACE FUNCTION alliance_csv_quoted(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN value IS NULL THEN ''
            WHEN value = '' OR value ~ E'[",\\r\\n]' THEN '"' || replace(value, '"', '""') || '"'
            ELSE value END
    $$
    """,
    # A partial date as PartialDate.iso(): ISO 8601 at its precision (1996, 2009-11,
    # 2017-04-25), FY2022 for a fiscal year, and its qualifier after a space (2025-03 end).
    """
    CREATE OR REPLACE FUNCTION alliance_partial_date(day date, prec text, qual text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE prec
            WHEN 'year' THEN to_char(day, 'YYYY')
            WHEN 'fiscal_year' THEN 'FY' || to_char(day, 'YYYY')
            WHEN 'month' THEN to_char(day, 'YYYY-MM')
            WHEN 'day' THEN to_char(day, 'YYYY-MM-DD')
        END || CASE WHEN qual <> '' THEN ' ' || qual ELSE '' END
    $$
    """,
    # The last day of a partial date's period, as PartialDate.end: 1996 → 1996-12-31, FY2022
    # → 2023-03-31, FY9999 → 9999-12-31 (the calendar's last day: partial_dates.day_or_bound)
    # (the stored day is the first of its period; date + interval is a timestamp without zone).
    """
    CREATE OR REPLACE FUNCTION alliance_partial_date_end(day date, prec text) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE prec
            WHEN 'year' THEN (day + interval '1 year' - interval '1 day')::date
            WHEN 'fiscal_year' THEN LEAST((day + interval '1 year' - interval '1 day')::date, date '9999-12-31')
            WHEN 'month' THEN (day + interval '1 month' - interval '1 day')::date
            WHEN 'day' THEN day
        END
    $$
    """,
]


def _qualifiers(table: dict) -> str:
    return " ".join(f"WHEN '{key}' THEN '{value}'" for key, value in table.items())


# A partial date as PartialDate.ja() and .en() write it, for the titles composed in SQL.
SQL_FUNCTIONS += [
    f"""
    CREATE OR REPLACE FUNCTION alliance_partial_date_ja(day date, prec text, qual text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE prec
            WHEN 'year' THEN to_char(day, 'FMYYYY') || '年' || CASE qual {_qualifiers(_QUALIFIER_JA_YEAR)} ELSE '' END
            WHEN 'fiscal_year' THEN to_char(day, 'FMYYYY') || '年度' || CASE qual {_qualifiers(_QUALIFIER_JA_YEAR)} ELSE '' END
            WHEN 'month' THEN to_char(day, 'FMYYYY') || '年' || to_char(day, 'FMMM') || '月'
                || CASE qual {_qualifiers(_QUALIFIER_JA_MONTH)} ELSE '' END
            WHEN 'day' THEN to_char(day, 'FMYYYY') || '年' || to_char(day, 'FMMM') || '月' || to_char(day, 'FMDD') || '日'
        END
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION alliance_partial_date_en(day date, prec text, qual text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN prec = 'day' THEN to_char(day, 'FMDD FMMonth FMYYYY')
        ELSE CASE WHEN qual IN ({", ".join(f"'{key}'" for key in _QUALIFIER_EN)})
            THEN CASE qual {_qualifiers(_QUALIFIER_EN)} END || ' ' ELSE '' END
            || CASE prec
                WHEN 'year' THEN to_char(day, 'FMYYYY')
                WHEN 'fiscal_year' THEN 'FY' || to_char(day, 'FMYYYY')
                WHEN 'month' THEN to_char(day, 'FMMonth FMYYYY')
            END
        END
    $$
    """,
]


def install_sql_functions(connection):
    with connection.cursor() as cursor:
        for sql in SQL_FUNCTIONS:
            cursor.execute(sql)
